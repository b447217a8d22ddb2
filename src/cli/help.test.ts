import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMAND_WORDS, commandLines, forProgram, wrapText } from './help.js';
import { COMMANDS } from './main.js';

describe('wrapText', () => {
  const cases: { story: string; text: string; width: number; want: string[] }[] = [
    { story: 'short text stays on one line', text: 'Ignore DaemonSet-managed pods', width: 40, want: ['Ignore DaemonSet-managed pods'] },
    { story: 'words move to the next line at the width', text: 'drain up to N nodes at once (budgets are never broken)', width: 20, want: ['drain up to N nodes', 'at once (budgets are', 'never broken)'] },
    { story: 'a word longer than the width stays whole', text: 'see https://kubernetes.io/docs/concepts/workloads/pods/disruptions/', width: 20, want: ['see', 'https://kubernetes.io/docs/concepts/workloads/pods/disruptions/'] },
    { story: 'line breaks are kept', text: 'one\ntwo', width: 80, want: ['one', 'two'] },
  ];
  for (const c of cases) it(c.story, () => assert.deepEqual(wrapText(c.text, c.width), c.want));
});

describe('commandLines', () => {
  const cases: { story: string; command: string; width: number; want: string[] }[] = [
    { story: 'a short command: one line, indented', command: 'upkeep drain node01 --force', width: 80, want: ['  upkeep drain node01 --force'] },
    {
      story: 'a long one breaks before a flag, keeping each flag with its value',
      command: 'upkeep etcd snapshot save etcd.db --endpoints https://etcd1.test:2379 --cacert ca.crt --timeout 5m',
      width: 60,
      want: ['  upkeep etcd snapshot save etcd.db \\', '      --endpoints https://etcd1.test:2379 --cacert ca.crt \\', '      --timeout 5m'],
    },
  ];
  for (const c of cases) it(c.story, () => assert.deepEqual(commandLines(c.command, c.width), c.want));
});

describe('forProgram', () => {
  const cases: { story: string; text: string; program: string; want: string }[] = [
    { story: 'as upkeep: unchanged', text: 'upkeep etcd members --endpoints=x', program: 'upkeep', want: 'upkeep etcd members --endpoints=x' },
    { story: 'as the kubectl plugin: the command it was started as', text: 'upkeep etcd members --endpoints=x', program: 'kubectl upkeep', want: 'kubectl upkeep etcd members --endpoints=x' },
    { story: 'inside a sentence and in quotes', text: "run `upkeep drain node01` or 'upkeep plan'", program: 'kubectl upkeep', want: "run `kubectl upkeep drain node01` or 'kubectl upkeep plan'" },
    { story: 'the tool named in prose stays', text: 'Check kubernetes.io/releases, and update upkeep for a current table.', program: 'kubectl upkeep', want: 'Check kubernetes.io/releases, and update upkeep for a current table.' },
    { story: 'names that only contain upkeep stay', text: 'context upkeep-seed-6443, upkeep.dev/cordoned', program: 'kubectl upkeep', want: 'context upkeep-seed-6443, upkeep.dev/cordoned' },
  ];
  for (const c of cases) it(c.story, () => assert.equal(forProgram(c.text, c.program), c.want));
  it('knows every command upkeep has', () => assert.deepEqual([...COMMAND_WORDS].sort(), COMMANDS.map((c) => c.name).sort()));
});
