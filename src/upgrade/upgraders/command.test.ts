import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommandProvisioner, CommandUpgrader } from './command.js';
import { UpgraderError, type UpgraderContext } from './types.js';

function ctx(lines: string[]): UpgraderContext {
  return { signal: new AbortController().signal, log: (l) => lines.push(l) };
}

describe('the command upgrader', () => {
  it('runs the template through sh, the fields also in UPKEEP_* variables, output streamed line by line', async () => {
    const lines: string[] = [];
    await new CommandUpgrader('echo upgrading {node} to {version} as {role}; echo "from $UPKEEP_FROM" >&2').upgrade({ node: 'node01', role: 'worker', from: 'v1.31.4', to: 'v1.32.0' }, ctx(lines));
    assert.deepEqual(lines.sort(), ['$ echo upgrading node01 to v1.32.0 as worker; echo "from $UPKEEP_FROM" >&2', 'from v1.31.4', 'upgrading node01 to v1.32.0 as worker'].sort());
  });

  it('fails with the exit status and the last lines of output', async () => {
    const lines: string[] = [];
    await assert.rejects(new CommandUpgrader('seq 1 30; exit 3').upgrade({ node: 'node02', role: 'worker', from: 'v1.31.4', to: 'v1.32.0' }, ctx(lines)), (e: unknown) => {
      assert.ok(e instanceof UpgraderError);
      assert.equal(e.message, 'node node02: node-command: "seq 1 30; exit 3" exited with status 3');
      assert.deepEqual(e.output, Array.from({ length: 20 }, (_, i) => String(i + 11)));
      return true;
    });
    assert.equal(lines.length, 31);
  });

  it('an abort ends the command and is no machine failure (the executor reports it)', async () => {
    const abort = new AbortController();
    const run = new CommandUpgrader('echo started; sleep 30').upgrade({ node: 'node01', role: 'worker', from: 'v1.31.4', to: 'v1.32.0' }, {
      signal: abort.signal,
      log: (l) => {
        if (l === 'started') abort.abort();
      },
    });
    await assert.rejects(run, { name: 'AbortError' });
  });

  it('maintain runs --run with the node fields, role "maintain"', async () => {
    const lines: string[] = [];
    await new CommandUpgrader('false').maintain({ node: 'node03', from: 'v1.31.4' }, 'echo patch {node} {role} {version}', ctx(lines));
    assert.deepEqual(lines, ['$ echo patch node03 maintain v1.31.4', 'patch node03 maintain v1.31.4']);
  });
});

describe('the command provisioner', () => {
  it("takes each new Node's name from the add command's last line", async () => {
    const names = await new CommandProvisioner('echo creating at {version}; echo new-{version}', undefined).add(2, 'v1.32.0', ctx([]));
    assert.deepEqual(names, ['new-v1.32.0', 'new-v1.32.0']);
    await assert.rejects(new CommandProvisioner('echo "Not A Name"', undefined).add(1, 'v1.32.0', ctx([])), { message: `node (new): node-add-command: its last output line must be the new Node's name, got "Not A Name"` });
  });
});
