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

describe("pinnedTo: the nodes a pod can run on, by the scheduler's node affinity, when too few", () => {
  // node01 has an SSD and 8 cores, node02 and node03 4 cores; every node its kubernetes.io/hostname.
  const extra: Record<string, Record<string, string>> = { node01: { disk: 'ssd', cores: '8' }, node02: { cores: '4' }, node03: { cores: '4' } };
  const nodes = healthy()
    .nodes.filter((n) => n.metadata.name !== 'controlplane')
    .map((n) => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, ...extra[n.metadata.name ?? ''] } } }));
  const withSpec = (spec: Partial<NonNullable<Pod['spec']>>): Pod => {
    const p = pod('p', 'node01');
    p.spec = { ...p.spec, containers: p.spec?.containers ?? [], ...spec };
    return p;
  };
  type Req = { key: string; operator: string; values?: string[] };
  const terms = (...nodeSelectorTerms: Array<{ matchExpressions?: Req[]; matchFields?: Req[] }>) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } } });
  const field = (operator: string, values: string[]) => terms({ matchFields: [{ key: 'metadata.name', operator, values }] });
  const expr = (key: string, operator: string, values?: string[]) => terms({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] });
  const cases: Array<[string, Pod, string[] | undefined, Set<string>?]> = [
    ['no constraint', withSpec({}), undefined],
    ['nodeSelector kubernetes.io/hostname=node01', withSpec({ nodeSelector: { 'kubernetes.io/hostname': 'node01' } }), ['node01']],
    ['nodeSelector on a label only node01 carries', withSpec({ nodeSelector: { disk: 'ssd' } }), ['node01']],
    ['nodeSelector that every node matches', withSpec({ nodeSelector: { 'kubernetes.io/hostname': 'node01', disk: 'ssd', cores: '8' } }), ['node01']],
    ['matchFields metadata.name In [node02]', withSpec(field('In', ['node02'])), ['node02']],
    ['matchFields metadata.name In [node02, node03]: two nodes', withSpec(field('In', ['node02', 'node03'])), undefined],
    ['matchFields metadata.name NotIn [node02, node03]: node01 alone', withSpec(field('NotIn', ['node02', 'node03'])), ['node01']],
    ['hostname In [node03] as an expression', withSpec(expr('kubernetes.io/hostname', 'In', ['node03'])), ['node03']],
    ['cores Gt 4: node01 alone', withSpec(expr('cores', 'Gt', ['4'])), ['node01']],
    ['cores Lt 8: two nodes', withSpec(expr('cores', 'Lt', ['8'])), undefined],
    ['disk DoesNotExist: two nodes', withSpec(expr('disk', 'DoesNotExist')), undefined],
    ['disk Exists: node01 alone', withSpec(expr('disk', 'Exists')), ['node01']],
    ['terms ORed: ssd or node03, two nodes', withSpec(terms({ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node03'] }] })), undefined],
    ['nodeSelector and affinity ANDed: node01 alone', withSpec({ nodeSelector: { cores: '8' }, ...expr('cores', 'Gt', ['2']) }), ['node01']],
    ['no node satisfies it any more (labels changed)', withSpec({ nodeSelector: { disk: 'nvme' } }), []],
    ['two nodes, both drained together', withSpec(field('In', ['node01', 'node02'])), ['node01', 'node02'], new Set(['node01', 'node02'])],
    ['two nodes, one of them drained', withSpec(field('In', ['node01', 'node02'])), undefined, new Set(['node01'])],
  ];
  for (const [story, p, expected, drained] of cases) it(`${story}: ${expected?.join(', ') ?? 'not pinned'}`, () => assert.deepEqual(pinnedTo(p, nodes, drained)?.nodes, expected));
  it('a cluster of one node pins nothing', () => assert.equal(pinnedTo(withSpec({ nodeSelector: { disk: 'ssd' } }), nodes.slice(0, 1)), undefined));
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
    ['a drain report draining node01 and node02: a pod that fits only those', (s) => ((s.drainedNodes = ['node01', 'node02']), s.pods.push({ ...pod('green', 'node01'), spec: { nodeName: 'node01', nodeSelector: { pool: 'a' }, containers: [] } }), (s.nodes = s.nodes.map((n) => (['node01', 'node02'].includes(n.metadata.name ?? '') ? { ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, pool: 'a' } } } : n)))), ['warning PodPinnedToNode pod default/green']],
  ]);
  it('the messages: one node, the drained nodes, no node any more', () => {
    const s = healthy();
    s.nodes = s.nodes.map((n) => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, pool: ['node01', 'node02'].includes(n.metadata.name ?? '') ? 'a' : 'b' } } }));
    const at = (name: string, nodeSelector: Record<string, string>): Pod => ({ ...pod(name, 'node01'), spec: { nodeName: 'node01', nodeSelector, containers: [] } });
    s.pods = [at('one', { 'kubernetes.io/hostname': 'node01' }), at('two', { pool: 'a' }), at('none', { pool: 'c' })];
    s.drainedNodes = ['node01', 'node02'];
    assert.deepEqual(pinnedPods(auditInput(s, MAINTENANCES.drain)).map((f) => f.message), [
      'pod default/one can only run on node01 (nodeSelector or required node affinity): draining node01 leaves its pods Pending until node01 is uncordoned',
      'pod default/two can only run on node01, node02, all of them drained (nodeSelector or required node affinity): its pods stay Pending until one is uncordoned',
      'no node satisfies the nodeSelector or required node affinity of pod default/none any more (node labels changed after its pods were scheduled): a pod evicted from node01 stays Pending',
    ]);
  });
});
