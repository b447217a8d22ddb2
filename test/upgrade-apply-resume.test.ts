// Story: an upgrade that stops half-way is finished by `upkeep upgrade resume`. A node that does
// not come back after its upgrade stops the run with exit 3 (the node, the gate, its state, the
// command to continue); once the node is fixed, resume finishes. And the run killed with SIGKILL
// at seeded random points, each followed by resume, always ends with every node at the target,
// nothing left cordoned, and blue never below its budget.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { upkeep } from './helpers/cli.js';
import type { TestSandbox } from './helpers/sandbox.js';
import { upgradeSandbox, watchBlue, nodeFacts } from './helpers/upgrade.js';

const TARGET = 'v1.32.13';
const BIN = path.resolve(import.meta.dirname, '../../bin/upkeep');


const ALL_DONE = [`controlplane ${TARGET} schedulable`, `node01 ${TARGET} schedulable`, `node02 ${TARGET} schedulable`, `node03 ${TARGET} schedulable`];

/** A small seeded generator (mulberry32), so every kill point can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('upkeep upgrade resume', () => {
  it('a node that never comes back stops the run with exit 3 and the command to continue; resume after the fix finishes', async () => {
    const sb = await upgradeSandbox(3);
    try {
      // node02's kubelet does not start again after its upgrade (a broken package, a machine that hangs at boot).
      const kubelets = sb.sandbox.kubelets;
      assert.ok(kubelets);
      const up = kubelets.up.bind(kubelets);
      let broken = true;
      kubelets.up = (node: string, version?: string) => (node === 'node02' && broken ? undefined : up(node, version));
      const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--yes', '--node-ready-timeout', '3s']);
      assert.equal(r.code, 3, r.err);
      // The last line (the lines before it say what the run waited for).
      assert.match(
        r.err.trimEnd().split('\n').at(-1) ?? '',
        new RegExp(
          `^error: gate node-ready failed at step 3 on node02 \\(waiting-ready\\): node02 is (not Ready|kubelet at v1\\.31\\.4, not ${TARGET.replace(/\./g, '\\.')}) after 3s; ` +
            `node02 is cordoned by this run, drained, upgraded to ${TARGET.replace(/\./g, '\\.')}, waiting for its gates; fix it, then continue with: upkeep --kubeconfig \\S+ upgrade resume$`,
        ),
      );
      assert.deepEqual(nodeFacts(await sb.list('nodes')).slice(0, 3), [`controlplane ${TARGET} schedulable`, `node01 ${TARGET} schedulable`, 'node02 v1.31.4 cordoned']);
      const status = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'status']);
      assert.match(status.out, /^State: {4}failed, no run holds the lease\n/m);
      assert.match(status.out, /\n3 +3 +node02 +v1\.31\.4 +v1\.32\.13 +waiting-ready \(gate node-ready failed\) +cordoned by this run/);

      broken = false;
      up('node02', TARGET);
      const blue = watchBlue(sb);
      const resumed = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'resume', '--yes']);
      assert.ok((await blue.stop()) >= 2, 'blue stayed at or above its budget');
      assert.equal(resumed.code, 0, resumed.err);
      assert.deepEqual(nodeFacts(await sb.list('nodes')), ALL_DONE);
    } finally {
      await sb.stop();
    }
  });

  const points = Number(process.env.UPKEEP_KILL_POINTS ?? 3);
  const random = seeded(20261203);
  for (let i = 0; i < points; i++) {
    const delayMs = Math.round(500 + random() * 5000);
    it(`kill -9 after ${delayMs}ms (point ${i + 1} of ${points}), then resume: every node at ${TARGET}, nothing cordoned, blue never below its budget`, async () => {
      const sb = await upgradeSandbox(3);
      try {
        const blue = watchBlue(sb);
        await killedRun(sb, delayMs);
        await finish(sb);
        assert.ok((await blue.stop()) >= 2, 'blue stayed at or above its budget');
        assert.deepEqual(nodeFacts(await sb.list('nodes')), ALL_DONE);
        const s = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'upgrade', 'status']);
        assert.equal((JSON.parse(s.out) as { journal: { state: string } }).journal.state, 'done');
      } finally {
        await sb.stop();
      }
    });
  }
});

/** `upkeep upgrade apply` as its own process, killed with SIGKILL after delayMs (unless it ended first). */
async function killedRun(sb: TestSandbox, delayMs: number): Promise<void> {
  const child = spawn(process.execPath, [BIN, '--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--yes'], { stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  await new Promise((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
}

/** Resume (or start again when the kill came before the journal existed) until the run is done; bounded. */
async function finish(sb: TestSandbox): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'resume', '--yes']);
    if (r.code === 0 || /is done: there is nothing to resume/.test(r.err)) return;
    if (/there is no upgrade run to resume/.test(r.err)) {
      const again = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--yes']);
      assert.equal(again.code, 0, again.err);
      return;
    }
    assert.fail(`resume failed (${r.code}): ${r.err}`);
  }
}
