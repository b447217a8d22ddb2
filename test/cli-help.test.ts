// Every command's help, as a user reads it at 80 columns (a pipe, a CI log): no line longer than
// 80, an Examples section, and the global flags (-n, -A, --context, --kubeconfig) on every
// command. The whole command tree is walked, so a new command is checked without a change here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { buildProgram } from '../src/cli/main.js';
import type { Io } from '../src/cli/context.js';

function allCommands(cmd: CommandUnknownOpts): CommandUnknownOpts[] {
  return [cmd, ...cmd.commands.filter((c) => c.name() !== 'help').flatMap(allCommands)];
}

function pathOf(cmd: CommandUnknownOpts): string {
  const names: string[] = [];
  for (let c: CommandUnknownOpts | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

async function helpTexts(programName: string, columns?: number): Promise<Map<string, string>> {
  let out = '';
  const io: Io = { out: (s) => (out += s), err: (s) => (out += s), isTTY: columns !== undefined, columns };
  const program = await buildProgram(io, programName, 'all');
  const texts = new Map<string, string>();
  for (const cmd of allCommands(program)) {
    out = '';
    cmd.outputHelp();
    texts.set(pathOf(cmd), out);
  }
  return texts;
}

describe('help', () => {
  it('renders every command within 80 columns, with examples and the global flags', async () => {
    const texts = await helpTexts('upkeep');
    assert.ok(texts.size >= 25, `only ${texts.size} commands found`);
    const problems: string[] = [];
    for (const [cmd, text] of texts) {
      for (const line of text.split('\n')) if (line.length > 80) problems.push(`${cmd}: ${line.length} columns: ${line}`);
      if (!text.includes('\nExamples:\n  # ')) problems.push(`${cmd}: no Examples section`);
      for (const flag of ['--kubeconfig <path>', '--context <name>', '-n, --namespace <namespace>', '-A, --all-namespaces', '-o, --output <format>']) {
        if (!text.includes(`\n  ${flag}`)) problems.push(`${cmd}: no ${flag}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('wraps to a wide terminal, and names `kubectl upkeep` when run as the plugin', async () => {
    const wide = await helpTexts('kubectl upkeep', 120);
    const drain = wide.get('kubectl upkeep drain') ?? '';
    assert.match(drain, /^Usage: kubectl upkeep drain \[options\] \[nodes\.\.\.\]\n/);
    assert.match(drain, /\n {2}kubectl upkeep drain node01 --ignore-daemonsets --force\n/);
    assert.doesNotMatch(drain, /\n {2}upkeep /);
    const lines = drain.split('\n');
    assert.ok(lines.some((l) => l.length > 80 && l.length <= 120), 'some description uses the width of the terminal');
    assert.ok(lines.every((l) => l.length <= 120));
  });

  it('lists only the flags that apply: sandbox node down has none of its own', async () => {
    const texts = await helpTexts('upkeep');
    const down = texts.get('upkeep sandbox node down') ?? '';
    const own = down.slice(down.indexOf('Options:'), down.indexOf('Global Options:'));
    assert.equal(own, 'Options:\n  -h, --help                    display help for command\n\n');
    assert.match(texts.get('upkeep sandbox node upgrade') ?? '', /\n {2}--version <version> +kubelet version after the upgrade/);
    assert.doesNotMatch(texts.get('upkeep sandbox node reboot') ?? '', /--version <version>/);
  });
});
