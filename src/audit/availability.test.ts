import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../api/types.js';
import { budgetsSelectingNothing, pinnedPods, pinnedTo, workloadsInOneZone, workloadsWithoutBudget } from './availability.js';
import { blockingBudgets } from './drains.js';
import type { Finding } from './finding.js';
import { MAINTENANCES } from './maintenance.js';
import { type AuditRule, auditInput } from './rules.js';
import type { Snapshot } from './snapshot.js';
import { healthy, node, pdb, pod, replica } from './testing/cluster.js';

// The story cluster (testing/cluster.ts): blue's 3 replicas on node01..03, no budget.

const line = (f: Finding) => `${f.severity} ${f.code} ${f.object ?? '-'}`;

function table(rule: AuditRule, cases: Array<[string, (s: Snapshot) => void, string[]]>): void {
  for (const [story, change, expected] of cases) {
    it(story, () => {
      const s = healthy();
      change(s);
      assert.deepEqual(rule(auditInput(s, MAINTENANCES.drain)).map(line), expected);
    });
  }
}

const budget = (spec: Parameters<typeof pdb>[2], healthyPods: number, allowed: number) => pdb('blue', 'blue', spec, { currentHealthy: healthyPods, desiredHealthy: healthyPods - allowed, disruptionsAllowed: allowed, expectedPods: 3 });

describe('budgets at and above their minimum (blockingBudgets, over each node drained on its own)', () => {
  table(blockingBudgets, [
    ['minAvailable 2 of 3: one eviction allowed, nothing to say', (s) => s.pdbs.push(budget({ minAvailable: 2 }, 3, 1)), []],
    ['minAvailable 3 of 3, exactly the replicas: no disruption ever', (s) => s.pdbs.push(budget({ minAvailable: 3 }, 3, 0)), ['blocking PDBAllowsNoDisruption poddisruptionbudget.policy default/blue']],
    ['maxUnavailable 0: no disruption ever', (s) => s.pdbs.push(budget({ maxUnavailable: 0 }, 3, 0)), ['blocking PDBAllowsNoDisruption poddisruptionbudget.policy default/blue']],
    ['maxUnavailable 1: fine', (s) => s.pdbs.push(budget({ maxUnavailable: 1 }, 3, 1)), []],
  ]);
});

describe('audit rule budgetsSelectingNothing', () => {
  table(budgetsSelectingNothing, [
    ['a budget on app=blue: it protects blue', (s) => s.pdbs.push(pdb('blue', 'blue', { maxUnavailable: 1 })), []],
    ['a budget on app=bleu (a typo): it protects nothing', (s) => s.pdbs.push(pdb('blue', 'bleu', { maxUnavailable: 1 })), ['warning PDBSelectsNothing poddisruptionbudget.policy default/blue']],
    ['a budget in another namespace than its pods', (s) => s.pdbs.push({ ...pdb('blue', 'blue', { maxUnavailable: 1 }), metadata: { name: 'blue', namespace: 'shop' } }), ['warning PDBSelectsNothing poddisruptionbudget.policy shop/blue']],
  ]);
});

describe('audit rule workloadsWithoutBudget (info)', () => {
  table(workloadsWithoutBudget, [
    ['blue, 3 replicas, no budget', () => undefined, ['info NoPodDisruptionBudget deployment.apps default/blue']],
    ['blue with a budget', (s) => s.pdbs.push(pdb('blue', 'blue', { maxUnavailable: 1 })), []],
    [
      'blue scaled to 1: a single replica is drains.ts business, not this one',
      (s) => {
        for (const w of s.workloads) if (w.kind === 'Deployment' && w.spec) w.spec.replicas = 1;
      },
      [],
    ],
  ]);
  it('the fix is the command that creates the budget', () => {
    const s = healthy();
    assert.equal(workloadsWithoutBudget(auditInput(s, MAINTENANCES.drain))[0].fix, 'kubectl create poddisruptionbudget blue -n default --selector=app=blue --max-unavailable=1');
  });
});

describe('audit rule workloadsInOneZone', () => {
  const zones = (z: [string, string, string]) => (s: Snapshot) => {
    s.nodes = s.nodes.map((n) => {
      const i = ['node01', 'node02', 'node03'].indexOf(n.metadata.name ?? '');
      return i < 0 ? n : { ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, 'topology.kubernetes.io/zone': z[i] } } };
    });
  };
  table(workloadsInOneZone, [
    ['no zones on the nodes: nothing to say', () => undefined, []],
    ['blue over two zones', zones(['a', 'a', 'b']), []],
    ['blue all in zone a, the cluster has b too', (s) => (zones(['a', 'a', 'a'])(s), s.nodes.push({ ...node('node04'), metadata: { name: 'node04', labels: { 'topology.kubernetes.io/zone': 'b' } } })), ['warning WorkloadInOneZone deployment.apps default/blue']],
  ]);
});

describe('pinnedTo: the one node a pod can run on', () => {
  const nodes = healthy().nodes.map((n) => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, 'kubernetes.io/hostname': n.metadata.name ?? '', ...(n.metadata.name === 'node01' ? { disk: 'ssd' } : {}) } } }));
  const withSpec = (spec: Partial<NonNullable<Pod['spec']>>): Pod => {
    const p = pod('p', 'node01');
    p.spec = { ...p.spec, containers: p.spec?.containers ?? [], ...spec };
    return p;
  };
  const hostIn = (key: string, values: string[]) => ({
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key, operator: 'In', values }] }] } } },
  });
  const cases: Array<[string, Pod, string | undefined]> = [
    ['no constraint', withSpec({}), undefined],
    ['nodeSelector kubernetes.io/hostname=node01', withSpec({ nodeSelector: { 'kubernetes.io/hostname': 'node01' } }), 'node01'],
    ['nodeSelector on a label only node01 carries', withSpec({ nodeSelector: { disk: 'ssd' } }), 'node01'],
    ['nodeSelector that every node matches', withSpec({ nodeSelector: { 'kubernetes.io/os': 'linux' } }), undefined],
    ['required affinity metadata.name In [node02]', withSpec(hostIn('metadata.name', ['node02'])), 'node02'],
    ['required affinity metadata.name In [node02, node03]: two nodes', withSpec(hostIn('metadata.name', ['node02', 'node03'])), undefined],
  ];
  for (const [story, p, expected] of cases) it(`${story}: ${expected ?? 'not pinned'}`, () => assert.equal(pinnedTo(p, nodes), expected));
});

describe('audit rule pinnedPods', () => {
  table(pinnedPods, [
    ['the seed: nothing pinned', () => undefined, []],
    ['green pinned to node01 by hostname', (s) => s.pods.push({ ...pod('green', 'node01'), spec: { nodeName: 'node01', nodeSelector: { 'kubernetes.io/hostname': 'node01' }, containers: [] } }), ['warning PodPinnedToNode pod default/green']],
    [
      'a DaemonSet pod is pinned by design',
      (s) => s.pods.push({ ...pod('ds-x', 'node01', { owner: ['DaemonSet', 'ds'] }), spec: { nodeName: 'node01', containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node01'] }] }] } } } } }),
      [],
    ],
    [
      "blue's replicas pinned: one finding for the Deployment",
      (s) => (s.pods = s.pods.map((p) => (p.metadata.labels?.app === 'blue' ? { ...replica('blue', p.metadata.name?.slice(-1) ?? 'x', 'node01'), spec: { nodeName: 'node01', nodeSelector: { 'kubernetes.io/hostname': 'node01' }, containers: [] } } : p))),
      ['warning PodPinnedToNode deployment.apps default/blue'],
    ],
  ]);
});
