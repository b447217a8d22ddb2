// Story: `upkeep upgrade apply` carries out the plan on a sandbox (controlplane + 3 workers,
// v1.31.4 -> v1.32.13): the control plane first, then each worker drained (evictions only, blue's
// budget of 2 never broken), upgraded through the machine API, Ready at the new kubelet version,
// uncordoned; the journal says done. Without --yes off a terminal it refuses; a second run
// refuses while the lease is held and says by whom.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { upkeep } from './helpers/cli.js';
import type { TestSandbox } from './helpers/sandbox.js';
import { upgradeSandbox, watchBlue, nodeFacts } from './helpers/upgrade.js';

const TARGET = 'v1.32.13';


describe('upkeep upgrade apply, one by one, on a sandbox', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await upgradeSandbox(3);
  });
  after(async () => sb?.stop());

  it('--dry-run lists every step in order with what each wave evicts, and changes nothing', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--dry-run']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.equal(lines[0], `Upgrade v1.31.4 -> ${TARGET}: 4 steps (one-by-one)`);
    assert.equal(lines[1], 'one-by-one: at most 1 worker unavailable at once; budgets are never broken');
    assert.deepEqual(
      lines.filter((l) => /^\s+\d+\. /.test(l)),
      [
        `  1. controlplane (first-control-plane): kubeadm upgrade apply, drain, kubelet v1.31.4 -> ${TARGET}, wait for Ready, uncordon`,
        `  2. node01 (worker): drain, kubelet v1.31.4 -> ${TARGET}, wait for Ready, uncordon`,
        `  3. node02 (worker): drain, kubelet v1.31.4 -> ${TARGET}, wait for Ready, uncordon`,
        `  4. node03 (worker): drain, kubelet v1.31.4 -> ${TARGET}, wait for Ready, uncordon`,
      ],
    );
    // Each worker's wave evicts its blue pods (and whatever else runs there) and keeps every workload available.
    assert.deepEqual(
      lines.filter((l) => l.startsWith('wave ')).map((l) => l.replace(/evicts \d+ pods?/, 'evicts N pods')),
      ['wave 1 (v1.31 -> v1.32): evicts N pods; every workload stays available', ...[2, 3, 4].map((w) => `wave ${w} (v1.31 -> v1.32): evicts N pods; every workload stays available`)],
    );
    assert.deepEqual(nodeFacts(await sb.list('nodes')), ['controlplane v1.31.4 schedulable', 'node01 v1.31.4 schedulable', 'node02 v1.31.4 schedulable', 'node03 v1.31.4 schedulable']);
  });

  it('without --yes and without a terminal it refuses with exit 2', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32']);
    assert.equal(r.code, 2);
    assert.match(r.err, /^error: refusing to change the cluster without --yes when not on a terminal: review the steps with --dry-run, then run again with --yes\n$/);
  });

  it('a second run refuses while another holds the lease, and says who', async () => {
    const now = new Date().toISOString().replace('Z', '000Z');
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'upkeep-upgrade', namespace: 'kube-system' }, spec: { holderIdentity: 'alice@bastion.test pid 4242', leaseDurationSeconds: 300, renewTime: now, acquireTime: now } };
    const created = await sb.kubectl(['create', '-f', '-'], { input: JSON.stringify(lease) });
    assert.equal(created.code, 0, created.stderr);
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--yes']);
    assert.equal(r.code, 3);
    assert.match(r.err, /^error: another upkeep run holds lease kube-system\/upkeep-upgrade: alice@bastion\.test pid 4242 \(until .*\); wait for it, or stop it with 'upkeep upgrade abort'\n$/);
    assert.equal((await sb.kubectl(['-n', 'kube-system', 'delete', 'lease', 'upkeep-upgrade'])).code, 0);
  });

  it('--yes upgrades every node to v1.32.13, blue never below its budget, nothing left cordoned; status says done', async () => {
    const blue = watchBlue(sb);
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--yes']);
    const fewest = await blue.stop();
    assert.equal(r.code, 0, r.err + r.out);
    assert.ok(fewest >= 2, `blue had ${fewest} ready pods at one point; its budget says at least 2`);
    // The in-memory sandbox's etcd is a static pod whose certificates live on controlplane: no snapshot from here, a warning, and on.
    assert.match(r.err, /^Warning: no etcd snapshot before the upgrade: etcd at https:\/\/127\.0\.0\.1:2379 does not answer from this machine: .*; its client certificate \(\/etc\/kubernetes\/pki\/apiserver-etcd-client\.crt\) is on control-plane node controlplane .*: run upkeep there, or set ETCDCTL_ENDPOINTS, ETCDCTL_CACERT, ETCDCTL_CERT and ETCDCTL_KEY\. Take one yourself, or pass --etcd-snapshot none to say it is not needed\.$/m);
    assert.deepEqual(nodeFacts(await sb.list('nodes')), [`controlplane ${TARGET} schedulable`, `node01 ${TARGET} schedulable`, `node02 ${TARGET} schedulable`, `node03 ${TARGET} schedulable`]);
    assert.match(r.out, /\nNODE +FROM +TO +DRAINED +UPGRADED +READY +PODS MOVED +TIME\n/);
    for (const n of ['node01', 'node02', 'node03']) assert.match(r.out, new RegExp(`\\n${n} +v1\\.31\\.4 +v1\\.32\\.13 +yes +yes +yes +[1-9]\\d* +\\S+\\n`));
    assert.match(r.out, new RegExp(`\\nUpgrade to ${TARGET.replace(/\./g, '\\.')} done: 4 steps\\.\\n$`));
    const s = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'upgrade', 'status']);
    const status = JSON.parse(s.out) as { kind: string; journal: { state: string; steps: Array<{ node: string; phase: string }> }; holder: string | null };
    assert.equal(status.kind, 'UpgradeStatus');
    assert.equal(status.journal.state, 'done');
    assert.deepEqual(status.journal.steps.map((x) => `${x.node} ${x.phase}`), ['controlplane done', 'node01 done', 'node02 done', 'node03 done']);
    assert.equal(status.holder, null);
    const again = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'resume', '--yes']);
    assert.equal(again.code, 2);
    assert.match(again.err, /is done: there is nothing to resume\n$/);
  });
});
