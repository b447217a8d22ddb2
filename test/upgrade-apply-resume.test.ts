// Story: an upgrade that stops half-way is finished by `upkeep upgrade resume`. A node that does
// not come back after its upgrade stops the run with exit 3 (the node, the gate, its state, the
// command to continue); once the node is fixed, resume finishes. And the run killed with SIGKILL
// at seeded random points, each followed by resume, always ends with every node at the target,
// nothing left cordoned, and blue never below its budget.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { upkeep } from './helpers/cli.js';
import { upgradeSandbox, watchBlue, nodeFacts } from './helpers/upgrade.js';
import { killPointTests } from './helpers/kill-points.js';

const TARGET = 'v1.32.13';
const ALL_DONE = [`controlplane ${TARGET} schedulable`, `node01 ${TARGET} schedulable`, `node02 ${TARGET} schedulable`, `node03 ${TARGET} schedulable`];

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

  // Points 1-3 here; 4-20 in upgrade-apply-kill-points.test.ts (its own file, so CI runs it beside others). UPKEEP_KILL_POINTS=N runs 1..N here.
  killPointTests(1, Number(process.env.UPKEEP_KILL_POINTS ?? 3));
});
