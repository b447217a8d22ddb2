// A rolling upgrade as a person watches it in a terminal (tmux): with --max-unavailable 2, two
// workers are in flight at once, and each has its own live line (its step, phase, time, and what
// it waits for), redrawn in place below the permanent lines; the block is gone when the run ends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestSandbox } from './helpers/sandbox.js';
import { upgradeSandbox } from './helpers/upgrade.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SESSION = `upkeep-upgrade-lines-${process.pid}`;

function tmux(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => execFile('tmux', args, (err, stdout) => resolve({ code: err ? 1 : 0, stdout })));
}

const screen = async (): Promise<string> => (await tmux(['capture-pane', '-p', '-t', SESSION])).stdout;
/** The live line of each worker upgrading now. */
const upgradingLines = (s: string): string[] => s.split('\n').filter((l) => /^node0[123]: step \d, upgrading/.test(l));

describe('the live lines of an upgrade with two workers at once', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await upgradeSandbox(3);
    // Each worker's upgrade takes 10 simulated minutes (10 s at time scale 60), so both are seen in flight.
    for (const n of ['node01', 'node02', 'node03']) sb.sandbox.kubelets?.setFaults(n, { upgradeSeconds: 600 });
  });
  after(async () => {
    await tmux(['kill-session', '-t', SESSION]);
    await sb?.stop();
  });

  it('one line per node in flight, redrawn in place, erased at the end', async () => {
    const command = [process.execPath, path.join(ROOT, 'bin/upkeep'), '--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--max-unavailable', '2', '--etcd-snapshot', 'none', '--yes'].join(' ');
    const started = await tmux(['new-session', '-d', '-s', SESSION, '-x', '200', '-y', '50', `${command}; echo EXIT=$?; sleep 600`]);
    assert.equal(started.code, 0);
    let s = '';
    for (let i = 0; i < 240 && upgradingLines(s).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 250));
      s = await screen();
    }
    const both = upgradingLines(s);
    assert.equal(both.length, 2, s);
    // Two different workers, each on its own step (node0N is step N+1): which two depends on how
    // fast each drain went (node01 may be done before node02 starts upgrading on a loaded machine).
    const inFlight = both.map((l) => /^node0(\d): step (\d), upgrading \d+s$/.exec(l));
    assert.ok(inFlight.every((m) => m && Number(m[2]) === Number(m[1]) + 1), both.join('\n'));
    assert.notEqual(inFlight[0]![1], inFlight[1]![1], both.join('\n'));
    // The two lines are the last ones written, one under the other (the block at the bottom).
    const written = s.trimEnd().split('\n');
    assert.deepEqual(written.slice(-2), both, s);
    // A second look: still one line per node (redrawn, not scrolled), the time moving on.
    await new Promise((r) => setTimeout(r, 2500));
    const later = upgradingLines(await screen());
    assert.ok(later.length <= 2 && ['node01:', 'node02:', 'node03:'].every((n) => later.filter((l) => l.startsWith(n)).length <= 1), later.join('\n'));
    let end = '';
    for (let i = 0; i < 240 && !/EXIT=\d+/.test(end); i++) {
      await new Promise((r) => setTimeout(r, 250));
      end = await screen();
    }
    assert.match(end, /Upgrade to v1\.32\.13 done: 4 steps\.\nEXIT=0/);
    assert.deepEqual(upgradingLines(end), [], 'no live line is left on the screen');
  });
});
