// What decides a drain's outcome, as `upkeep drain` tells it on the sandbox: a budget that can
// never allow the eviction stops the dry run (exit 3) and names the flag that helps; a
// --wait-ready that fails says why the replacement is not Ready, and calls the node drained.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestSandbox } from './helpers/sandbox.js';
import { seedSandbox } from './helpers/seed-sandbox.js';
import { upkeep } from './helpers/cli.js';

const deployment = (name: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:${extra}
      containers: [{name: app, image: nginx}]
`;

describe('upkeep drain: what decides the outcome', () => {
  let sb: TestSandbox;
  let k: string[];
  before(async () => {
    sb = await seedSandbox();
    k = ['--kubeconfig', sb.kubeconfig];
  });
  after(async () => {
    await sb?.stop();
  });

  it('a budget that can never allow the eviction: the dry run says so, names --surge, and exits 3', async () => {
    const budget = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: solo-pdb, namespace: default}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: solo}}
`;
    assert.equal((await sb.kubectl(['apply', '-f', '-'], { input: deployment('solo') + '---\n' + budget })).code, 0);
    assert.equal((await sb.kubectl(['rollout', 'status', 'deployment/solo', '--timeout=60s'])).code, 0);
    const node = (await sb.kubectl(['get', 'pods', '-l', 'app=solo', '-o', 'jsonpath={.items[0].spec.nodeName}'])).stdout.trim();
    const r = await upkeep([...k, 'drain', node, '--ignore-daemonsets', '--force', '--delete-emptydir-data', '--pod-selector', 'app=solo', '--dry-run=client', '--timeout', '2m']);
    assert.equal(r.code, 3, r.err);
    assert.match(r.out, /\nVerdict: will never finish — PodDisruptionBudget default\/solo-pdb can never allow the evictions needed: the drain waits until --timeout 120s and fails \(1 to evict, 0 skipped, 0 blocking\)\n/);
    assert.match(r.out, /\nTo continue: --surge \(starts Deployment default\/solo at 2 replicas \(from 1\) elsewhere first, so PodDisruptionBudget default\/solo-pdb allows the evictions\)\n/);
    const surged = await upkeep([...k, 'drain', node, '--ignore-daemonsets', '--pod-selector', 'app=solo', '--dry-run=client', '--surge', '-o', 'json']);
    assert.equal(surged.code, 0, surged.err);
    const doc = JSON.parse(surged.out);
    assert.deepEqual([doc.verdict, doc.surgePlan], ['will-wait', [{ workload: { kind: 'Deployment', namespace: 'default', name: 'solo' }, from: 1, to: 2, podDisruptionBudgets: ['default/solo-pdb'] }]]);
    assert.equal((await sb.kubectl(['delete', 'pdb', 'solo-pdb', '--wait=false'])).code, 0);
  });

  it('--wait-ready that fails says the scheduler\'s reason, and the node is drained, not pending', async () => {
    assert.equal((await sb.kubectl(['apply', '-f', '-'], { input: deployment('pinned', '\n      nodeSelector: {kubernetes.io/hostname: node02}') })).code, 0);
    assert.equal((await sb.kubectl(['rollout', 'status', 'deployment/pinned', '--timeout=60s'])).code, 0);
    const r = await upkeep([...k, 'drain', 'node02', '--ignore-daemonsets', '--force', '--delete-emptydir-data', '--pod-selector', 'app=pinned', '--wait-ready', '--timeout', '5s']);
    assert.equal(r.code, 3, r.err);
    assert.match(r.out, /^node\/node02 cordoned\nevicting pod default\/pinned-\S+\npod\/pinned-\S+ evicted\n$/);
    assert.match(r.err, /error: node "node02" drained, but workloads not available again within 5s \(--wait-ready\): Deployment default\/pinned: 0\/1 available; pod default\/pinned-\S+ Pending: 0\/\d nodes are available: 1 node\(s\) were unschedulable, \d node\(s\) didn't match Pod's node affinity\/selector\./);
    assert.match(r.err, /\nDrained, but workloads not back to full availability \(--wait-ready\):\n node02\n$/);
    assert.doesNotMatch(r.err, /pending nodes to be drained/);
  });
});
