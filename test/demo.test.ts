// `upkeep demo`, the quick start's first command: story 1 on the embedded sandbox, both ways.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { upkeep } from './helpers/cli.js';

describe('upkeep demo', () => {
  it('tells story 1 (the unsafe failure, then the safe drain), story 2 (the plan, then the upgrade carried out) and story 3 (backups)', async () => {
    const r = await upkeep(['demo']);
    assert.equal(r.code, 0, r.err);
    // The audit before story 1: green is a bare pod (pinned to its node), blue has no budget.
    assert.match(r.out, /\$ upkeep audit availability -n default\nBLOCKING \(1\)\n {2}node\/node01 {2}DrainRefused\n/);
    assert.match(r.out, /\n {2}pod default\/green {2}BarePod\n/);
    assert.match(r.out, /\n {2}deployment\.apps default\/blue {2}NoPodDisruptionBudget\n/);
    // The unsafe way: node01 dies past the eviction timeout.
    assert.match(r.out, /node\/node01 is NotReady/);
    assert.match(r.out, /blue: its ReplicaSet replaced the pod from node01 on another node/);
    assert.match(r.out, /green: a bare pod with no controller; .* It is lost\./);
    // The safe way: an impact report first, then a drain that keeps blue available.
    // The transcript is what the command prints: the report, the audit of the pods, the verdict.
    assert.match(r.out, /\$ upkeep drain node0\d --ignore-daemonsets --dry-run=client\nImpact of draining node0\d/);
    assert.match(r.out, /\nAudit of the pods to drain \(upkeep audit\):\n/);
    assert.match(r.out, /default\/blue \(Deployment\)\s+\d of 3 ready replicas on node0\d, stays available/);
    assert.match(r.out, /default\/green \(Pod\)\s+bare pod, will be lost — needs --force/);
    assert.match(r.out, /pod\/green evicted\n/);
    const min = /blue's available replicas never dropped below (\d+) of 3/.exec(r.out);
    assert.ok(min && Number(min[1]) >= 1, 'blue stayed available during the drain');
    assert.match(r.out, /node\/node0\d uncordoned/);
    // Story 2 carried out: the budget the audit asked for, then the upgrade it planned, blue watched throughout.
    assert.match(r.out, /\$ kubectl create poddisruptionbudget blue --selector=app=blue --min-available=2\npoddisruptionbudget\.policy\/blue created\n/);
    assert.match(r.out, /\n\$ upkeep upgrade apply --to v1\.32 --etcd-snapshot \S+ --yes\nUpgrade v1\.31\.4 -> v1\.32\.13: 4 steps \(one-by-one\)\n/);
    assert.match(r.out, /\netcd snapshot: \S+\/upgrade-\S+\.db \(revision \d+, \d+ bytes, from http:\/\/127\.0\.0\.1:\d+, sha256 verified\)\n/);
    assert.match(r.out, /\nUpgrade to v1\.32\.13 done: 4 steps\.\n/);
    const fewest = /blue's available replicas never dropped below (\d+) of 3 during the upgrade \(its budget: at least 2\)/.exec(r.out);
    assert.ok(fewest && Number(fewest[1]) >= 2, 'blue never went below its budget during the upgrade');
    const after = r.out.slice(r.out.indexOf('during the upgrade'));
    for (const n of ['controlplane', 'node01', 'node02', 'node03']) assert.match(after, new RegExp(`\\n${n} +Ready +v1\\.32\\.13\\n`), `${n} at v1.32.13 after the upgrade`);
    // Story 3: a resource backup, namespace shop deleted by mistake, restored from the backup.
    assert.match(r.out, /\$ upkeep backup create \S+sandbox-resources\.tar\.gz\nBackup written to \S+sandbox-resources\.tar\.gz: \d+ objects of \d+ resources/);
    const inShop = /\((\d+) of those objects are in namespace shop\.\)/.exec(r.out);
    assert.ok(inShop && Number(inShop[1]) >= 3, 'the backup holds the shop namespace');
    assert.match(r.out, /\$ kubectl delete namespace shop\nnamespace "shop" deleted/);
    assert.match(r.out, /\$ upkeep backup restore \S+sandbox-resources\.tar\.gz --include-namespaces shop\n/);
    assert.match(r.out, /deployments\.apps\s+1\s+0\s+0\s+\d+\s+0\n/);
    const restored = /Restored (\d+), updated \d+, unchanged \d+, skipped \d+, failed 0 in/.exec(r.out);
    assert.ok(restored && Number(restored[1]) >= 3, 'namespace, configmap and deployment restored');
    assert.match(r.out, /shop is back: deployment shop has 2\/2 replicas available, configmap shop-config holds 2 keys/);
    assert.ok(r.out.indexOf('$ upkeep backup restore') < r.out.indexOf('$ upkeep etcd snapshot save'), 'the resource backup comes before the etcd snapshot');
    // Story 3: the sandbox lived in a real etcd (installed by the test setup); the demo ends with a verified snapshot.
    assert.match(r.out, /\$ upkeep etcd snapshot save \S+sandbox-etcd-snapshot\.db --endpoints=http:\/\/127\.0\.0\.1:\d+/);
    assert.match(r.out, /--endpoints=http:\/\/127\.0\.0\.1:\d+\nSnapshot saved at \S+sandbox-etcd-snapshot\.db\n/);
    assert.match(r.err, /\d+(\.\d+)? [kM]B from http:\/\/127\.0\.0\.1:\d+ at revision \d+ in \S+; sha256 [0-9a-f]{64} verified\n/);
    assert.match(r.out, /sha256:\s+ok \([0-9a-f]{64}\)/);
    assert.match(r.out, /pages:\s+consistent/);
  });

  it('--no-etcd keeps the sandbox in memory and does not claim etcd is missing', async () => {
    const r = await upkeep(['demo', '--no-etcd']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\nStory 3, etcd: this sandbox ran in memory \(--no-etcd\)\. Without --no-etcd the demo keeps the cluster in etcd and ends with a verified snapshot of it\.\n$/);
    assert.doesNotMatch(r.out, /apt-get install etcd/);
  });
});
