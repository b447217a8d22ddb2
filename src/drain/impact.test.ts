import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodDisruptionBudget } from '../api/types.js';
import { allowedAfterSurge, analyzeDrain } from './impact.js';
import { blue, cluster, deployment, drain, node, pdb, pod } from './testing/cluster.js';
import type { DrainImpact, DrainOptions, PodImpact, WorkloadImpact } from './types.js';
import { drainOptions } from './types.js';

// A small cluster, as in user story 1 (testing/cluster.ts): "blue" has 3 replicas on different
// nodes, "green" is a bare pod, kube-proxy runs everywhere, "solo" is a single-replica
// Deployment on node01.

function podOf(r: DrainImpact, key: string): PodImpact {
  const p = r.nodes.flatMap((n) => n.pods).find((x) => `${x.namespace}/${x.name}` === key);
  assert.ok(p, `pod ${key} in the report`);
  return p;
}

function workloadOf(r: DrainImpact, kind: string, name: string): WorkloadImpact {
  const w = r.workloads.find((x) => x.kind === kind && x.name === name);
  assert.ok(w, `workload ${kind} ${name} in the report`);
  return w;
}

describe('analyzeDrain: pod fates', () => {
  const cases: { story: string; nodes?: string[]; flags: Partial<DrainOptions>; pods?: Pod[]; pod: string; fate: PodImpact['fate']; action?: PodImpact['action']; lost?: PodImpact['lost']; needs?: string[]; reason?: RegExp }[] = [
    { story: 'a blue replica is evicted, named by its ReplicaSet', flags: { ignoreDaemonSets: true }, pod: 'default/blue-66c9f-a', fate: 'evict', action: 'evict', reason: /^ReplicaSet default\/blue-66c9f$/ },
    { story: 'with --disable-eviction it is deleted instead', flags: { ignoreDaemonSets: true, disableEviction: true }, pod: 'default/blue-66c9f-a', fate: 'delete', action: 'delete' },
    { story: 'green, a bare pod, blocks without --force, and would be lost', flags: { ignoreDaemonSets: true }, pod: 'default/green', fate: 'blocked', action: 'none', lost: 'pod', needs: ['--force'], reason: /bare pod \(no controller\): needs --force; it will be lost/ },
    { story: 'green with --force is lost for good', flags: { ignoreDaemonSets: true, force: true }, pod: 'default/green', fate: 'lost', action: 'evict', lost: 'pod', needs: [] },
    { story: 'kube-proxy blocks without --ignore-daemonsets, and would stay', flags: {}, pod: 'kube-system/kube-proxy-1', fate: 'blocked', action: 'none', lost: null, needs: ['--ignore-daemonsets'], reason: /stays on the node/ },
    { story: 'kube-proxy is skipped with --ignore-daemonsets', flags: { ignoreDaemonSets: true }, pod: 'kube-system/kube-proxy-1', fate: 'skip', action: 'none' },
    {
      story: 'a replica with emptyDir blocks without --delete-emptydir-data',
      flags: { ignoreDaemonSets: true },
      pods: [pod('cache-0', 'node01', { owner: ['StatefulSet', 'cache'], emptyDir: true })],
      pod: 'default/cache-0',
      fate: 'blocked',
      lost: 'emptyDir',
      needs: ['--delete-emptydir-data'],
    },
    {
      story: 'with --delete-emptydir-data its data is lost, the pod recreated',
      flags: { ignoreDaemonSets: true, deleteEmptyDirData: true },
      pods: [pod('cache-0', 'node01', { owner: ['StatefulSet', 'cache'], emptyDir: true })],
      pod: 'default/cache-0',
      fate: 'lost',
      action: 'evict',
      lost: 'emptyDir',
      reason: /emptyDir data deleted .*StatefulSet default\/cache recreates the pod/,
    },
    { story: 'a bare pod with emptyDir needs both flags and is lost', flags: { ignoreDaemonSets: true }, pods: [pod('scratch', 'node01', { emptyDir: true })], pod: 'default/scratch', fate: 'blocked', lost: 'pod', needs: ['--delete-emptydir-data', '--force'] },
    { story: 'an orphaned DaemonSet pod blocks without --force', flags: { ignoreDaemonSets: true }, pods: [pod('fluentd-x', 'node01', { owner: ['DaemonSet', 'fluentd'] })], pod: 'default/fluentd-x', fate: 'blocked', lost: 'pod', needs: ['--force'], reason: /daemonsets\.apps "fluentd" not found/ },
    { story: 'an orphaned DaemonSet pod with --force is lost', flags: { ignoreDaemonSets: true, force: true }, pods: [pod('fluentd-x', 'node01', { owner: ['DaemonSet', 'fluentd'] })], pod: 'default/fluentd-x', fate: 'lost', lost: 'pod' },
    { story: 'a finished bare pod is removed without --force and loses nothing', flags: { ignoreDaemonSets: true }, pods: [pod('migrate', 'node01', { phase: 'Succeeded', ready: false })], pod: 'default/migrate', fate: 'evict', lost: null, reason: /^Succeeded: finished/ },
    { story: 'a mirror pod is left alone', flags: { ignoreDaemonSets: true }, pods: [pod('etcd-node01', 'node01', { ns: 'kube-system', mirror: true })], pod: 'kube-system/etcd-node01', fate: 'skip', reason: /mirror pod/ },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const r = drain(c.nodes ?? ['node01'], c.flags, { pods: c.pods });
      const p = podOf(r, c.pod);
      assert.equal(p.fate, c.fate);
      if (c.action) assert.equal(p.action, c.action);
      if (c.lost !== undefined) assert.equal(p.lost, c.lost);
      if (c.needs) assert.deepEqual(p.needs, c.needs);
      if (c.reason) assert.match(p.reason, c.reason);
    });
  }

  it('only pods on the drained nodes matching --pod-selector are considered', () => {
    const r = drain(['node01'], { ignoreDaemonSets: true, podSelector: 'app in (blue,green)' });
    assert.deepEqual(
      r.nodes[0].pods.map((p) => p.name),
      ['blue-66c9f-a', 'green'],
    );
  });

  it('says whether the node was already cordoned', () => {
    const r = drain(['node01', 'node02'], { ignoreDaemonSets: true, force: true }, { cordoned: ['node02'] });
    assert.deepEqual(
      r.nodes.map((n) => [n.name, n.cordoned]),
      [
        ['node01', false],
        ['node02', true],
      ],
    );
  });
});

describe('analyzeDrain: refusing nodes as kubectl does', () => {
  it('green refuses node01: blocked verdict, kubectl’s error line, other nodes unaffected', () => {
    const r = drain(['node01', 'node02'], { ignoreDaemonSets: true });
    assert.equal(r.verdict, 'blocked');
    assert.deepEqual(r.refusedNodes, ['node01']);
    assert.deepEqual(r.nodes[0].errors, ['cannot delete cannot delete Pods that declare no controller (use --force to override): default/green']);
    assert.deepEqual(r.nodes[0].warnings, ['ignoring DaemonSet-managed Pods: kube-system/kube-proxy-1']);
    assert.equal(r.nodes[1].refused, false);
    assert.deepEqual(r.nodes[0].counts, { evict: 2, delete: 0, skip: 1, blocked: 1, lost: 0 });
  });

  it('with --force the drain goes through', () => {
    const r = drain(['node01'], { ignoreDaemonSets: true, force: true });
    assert.equal(r.verdict, 'ok');
    assert.deepEqual(r.nodes[0].warnings, ['deleting Pods that declare no controller: default/green', 'ignoring DaemonSet-managed Pods: kube-system/kube-proxy-1']);
    assert.equal(r.counts.lost, 1);
  });
});

describe('analyzeDrain: what availability each workload keeps', () => {
  it('blue, 3 replicas one per node, stays available; solo goes down; green is lost', () => {
    const r = drain(['node01'], { ignoreDaemonSets: true });
    const b = workloadOf(r, 'Deployment', 'blue');
    assert.deepEqual([b.replicas, b.ready, b.readyOnDrainedNodes, b.readyElsewhere, b.verdict], [3, 3, 1, 2, 'stays available']);
    assert.equal(b.summary, '1 of 3 ready replicas on node01, stays available');
    const s = workloadOf(r, 'Deployment', 'solo');
    assert.equal(s.verdict, 'goes down');
    assert.match(s.summary, /^1 of 1 ready replica on node01, goes down/);
    const g = workloadOf(r, 'Pod', 'green');
    assert.equal(g.verdict, 'lost');
    assert.equal(g.summary, 'bare pod, will be lost — needs --force');
    assert.equal(workloadOf(r, 'DaemonSet', 'kube-proxy').verdict, 'daemonset (stays)');
    assert.equal(r.counts.workloadsGoingDown, 1);
    assert.equal(r.counts.workloadsLost, 1);
  });

  it('with --force green is still lost, and the summary says the flag was given', () => {
    const r = drain(['node01'], { ignoreDaemonSets: true, force: true });
    assert.equal(workloadOf(r, 'Pod', 'green').summary, 'bare pod, will be lost (--force)');
  });

  it('draining two nodes that hold every ready replica takes the app down', () => {
    const web = (n: string, at: string) => pod(`web-66c9f-${n}`, at, { owner: ['ReplicaSet', 'web-66c9f'], labels: { app: 'web' } });
    const extra = { pods: [web('a', 'node01'), web('b', 'node02')], workloads: deployment('web', 2) };
    const one = drain(['node01'], { ignoreDaemonSets: true, force: true }, extra);
    assert.equal(workloadOf(one, 'Deployment', 'web').verdict, 'stays available');
    const both = drain(['node01', 'node02'], { ignoreDaemonSets: true, force: true }, extra);
    const w = workloadOf(both, 'Deployment', 'web');
    assert.deepEqual([w.readyOnDrainedNodes, w.readyElsewhere, w.verdict], [2, 0, 'goes down']);
    assert.deepEqual(w.nodes, ['node01', 'node02']);
    assert.match(w.summary, /^2 of 2 ready replicas on node01, node02/);
    // blue keeps its node03 replica.
    assert.equal(workloadOf(both, 'Deployment', 'blue').summary, '2 of 3 ready replicas on node01, node02, stays available');
  });

  it('an unready replica on the node costs no availability; the desired count shows when short', () => {
    const r = drain(['node01'], { ignoreDaemonSets: true, force: true }, { pods: [], workloads: [] });
    const c = cluster();
    const pods = c.pods.map((p) => (p.metadata.name === 'blue-66c9f-a' ? blue('a', 'node01', { ready: false }) : p));
    const r2 = analyzeDrain({ nodes: [node('node01')], pods, pdbs: [], workloads: c.workloads, options: drainOptions({ ignoreDaemonSets: true, force: true }) });
    assert.equal(workloadOf(r, 'Deployment', 'blue').readyOnDrainedNodes, 1);
    const b = workloadOf(r2, 'Deployment', 'blue');
    assert.deepEqual([b.ready, b.readyOnDrainedNodes, b.verdict], [2, 0, 'stays available']);
    assert.equal(b.summary, '0 of 2 ready replicas on node01 (3 desired), stays available');
  });

  it('a workload with no ready replica anywhere is already down', () => {
    const r = drain(['node01'], { ignoreDaemonSets: true, force: true }, { pods: [pod('job-x', 'node01', { owner: ['Job', 'backfill'], ready: false })] });
    assert.equal(workloadOf(r, 'Job', 'backfill').verdict, 'already down');
  });
});

describe('analyzeDrain: PodDisruptionBudgets', () => {
  const flags = { ignoreDaemonSets: true, force: true };

  it('minAvailable 3 over 3 blue pods blocks the drain by 1, and never allows more', () => {
    const budget = pdb('blue', { app: 'blue' }, { minAvailable: 3 }, { disruptionsAllowed: 0, currentHealthy: 3, desiredHealthy: 3, expectedPods: 3 });
    const r = drain(['node01'], flags, { pdbs: [budget] });
    assert.equal(r.verdict, 'never');
    assert.deepEqual(r.blockingBudgets, ['default/blue']);
    assert.deepEqual(r.neverAllowingBudgets, ['default/blue']);
    const b = r.podDisruptionBudgets[0];
    assert.deepEqual([b.selector, b.disruptionsAllowed, b.evictions, b.blocks, b.shortBy, b.waitsForever, b.source], ['app=blue', 0, 1, true, 1, true, 'status']);
    assert.deepEqual(b.pods, ['default/blue-66c9f-a']);
    assert.match(workloadOf(r, 'Deployment', 'blue').summary, /PodDisruptionBudget default\/blue blocks/);
  });

  it('without a status, the budget is computed the disruption controller’s way', () => {
    const r = drain(['node01'], flags, { pdbs: [pdb('blue', { app: 'blue' }, { minAvailable: 3 })] });
    const b = r.podDisruptionBudgets[0];
    assert.deepEqual([b.source, b.expectedPods, b.currentHealthy, b.desiredHealthy, b.disruptionsAllowed, b.shortBy], ['computed', 3, 3, 3, 0, 1]);
  });

  it('computes percentages and maxUnavailable against the Deployment’s scale', () => {
    const pct = drain(['node01', 'node02'], flags, { pdbs: [pdb('blue', { app: 'blue' }, { maxUnavailable: '34%' })] }).podDisruptionBudgets[0];
    // 34% of 3 rounds up to 2 unavailable: 1 healthy needed, 2 allowed, 2 evicted.
    assert.deepEqual([pct.expectedPods, pct.desiredHealthy, pct.disruptionsAllowed, pct.evictions, pct.blocks], [3, 1, 2, 2, false]);
  });

  it('minAvailable 2 over 3 allows the one eviction node01 needs', () => {
    const budget = pdb('blue', { app: 'blue' }, { minAvailable: 2 }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 });
    const r = drain(['node01'], flags, { pdbs: [budget] });
    assert.equal(r.verdict, 'ok');
    assert.equal(r.podDisruptionBudgets[0].blocks, false);
    // Draining two nodes needs two: the drain waits for a replacement, but not forever.
    const two = drain(['node01', 'node02'], flags, { pdbs: [budget] }).podDisruptionBudgets[0];
    assert.deepEqual([two.evictions, two.shortBy, two.waitsForever], [2, 1, false]);
  });

  it('an unready pod is evicted for free while the budget is healthy, but not under an unhealthy one', () => {
    const c = cluster();
    const pods = c.pods.map((p) => (p.metadata.name === 'blue-66c9f-a' ? blue('a', 'node01', { ready: false }) : p));
    const run = (status: NonNullable<PodDisruptionBudget['status']>, policy?: string) =>
      analyzeDrain({
        nodes: [node('node01')],
        pods,
        pdbs: [pdb('blue', { app: 'blue' }, { minAvailable: 2, ...(policy ? { unhealthyPodEvictionPolicy: policy } : {}) }, status)],
        workloads: c.workloads,
        options: drainOptions(flags),
      }).podDisruptionBudgets[0];
    assert.equal(run({ disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 3 }).evictions, 0);
    assert.equal(run({ disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2, expectedPods: 3 }).shortBy, 1);
    assert.equal(run({ disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2, expectedPods: 3 }, 'AlwaysAllow').evictions, 0);
  });

  it('two budgets over the same pod are flagged: the eviction answers 500', () => {
    const a = pdb('blue-a', { app: 'blue' }, { maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 });
    const b = pdb('everything', {}, { maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 5, desiredHealthy: 4, expectedPods: 5 });
    const r = drain(['node01'], flags, { pdbs: [a, b] });
    assert.equal(r.verdict, 'will-fail');
    assert.deepEqual(r.overlappingBudgets, [{ pod: 'default/blue-66c9f-a', node: 'node01', podDisruptionBudgets: ['default/blue-a', 'default/everything'] }]);
    assert.equal(r.counts.overlappingPods, 1);
  });

  it('--disable-eviction bypasses budgets and overlaps', () => {
    const a = pdb('blue-a', { app: 'blue' }, { minAvailable: 3 }, { disruptionsAllowed: 0, currentHealthy: 3, desiredHealthy: 3, expectedPods: 3 });
    const b = pdb('everything', {}, { maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 5, desiredHealthy: 4, expectedPods: 5 });
    const r = drain(['node01'], { ...flags, disableEviction: true }, { pdbs: [a, b] });
    assert.equal(r.verdict, 'ok');
    assert.deepEqual(r.overlappingBudgets, []);
    assert.ok(r.podDisruptionBudgets.every((x) => x.bypassed && !x.blocks));
  });

  it('budgets selecting no pod the drain removes are left out', () => {
    const r = drain(['node01'], flags, { pdbs: [pdb('other', { app: 'other' }, { minAvailable: 1 }, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 })] });
    assert.deepEqual(r.podDisruptionBudgets, []);
  });
});

describe('analyzeDrain: the longest grace period', () => {
  it('is the longest among pods to evict (solo, 90s), default 30s where unset', () => {
    assert.deepEqual(drain(['node01'], { ignoreDaemonSets: true, force: true }).longestGracePeriod, { seconds: 90, pod: 'default/solo-66c9f-x' });
    assert.deepEqual(drain(['node02'], { ignoreDaemonSets: true }).longestGracePeriod, { seconds: 30, pod: 'default/blue-66c9f-b' });
  });

  it('honours --grace-period', () => {
    assert.deepEqual(drain(['node01'], { ignoreDaemonSets: true, force: true, gracePeriodSeconds: 5 }).longestGracePeriod, { seconds: 5, pod: 'default/blue-66c9f-a' });
  });

  it('is null when nothing is evicted', () => {
    assert.equal(drain(['node03'], { ignoreDaemonSets: true, podSelector: 'app=none' }).longestGracePeriod, null);
  });
});

describe('the report as data', () => {
  it('survives JSON unchanged (-o json)', () => {
    const r = drain(['node01'], { ignoreDaemonSets: true }, { pdbs: [pdb('blue', { app: 'blue' }, { minAvailable: 3 })] });
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });
});

describe('analyzeDrain: what decides the outcome (--surge, a NotReady node) and the flags that help', () => {
  const flags = { ignoreDaemonSets: true, force: true };
  const soloBudget = (spec: { minAvailable?: number | string; maxUnavailable?: number | string }, status: { disruptionsAllowed: number; currentHealthy: number; desiredHealthy: number; expectedPods: number }) => pdb('solo', { app: 'solo' }, spec, status);
  const cases: {
    story: string;
    extra: Parameters<typeof drain>[2];
    want: { verdict: string; never: string[]; surgeResolves: boolean[]; hints: string[] };
  }[] = [
    {
      story: 'minAvailable 1 over the one solo replica: never without --surge, which would resolve it',
      extra: { pdbs: [soloBudget({ minAvailable: 1 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 })] },
      want: { verdict: 'never', never: ['default/solo'], surgeResolves: [true], hints: ['--surge'] },
    },
    {
      story: 'the same with --surge: the drain waits for the replacement, then evicts',
      extra: { surge: true, pdbs: [soloBudget({ minAvailable: 1 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 })] },
      want: { verdict: 'will-wait', never: [], surgeResolves: [true], hints: [] },
    },
    {
      story: 'maxUnavailable 0: no surge helps; only --disable-eviction gets past it',
      extra: { surge: true, pdbs: [soloBudget({ maxUnavailable: 0 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 })] },
      want: { verdict: 'never', never: ['default/solo'], surgeResolves: [false], hints: ['--disable-eviction'] },
    },
    {
      story: 'minAvailable 100%: the bigger scale needs every replica too',
      extra: { pdbs: [soloBudget({ minAvailable: '100%' }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 })] },
      want: { verdict: 'never', never: ['default/solo'], surgeResolves: [false], hints: ['--disable-eviction'] },
    },
    {
      story: 'a NotReady node: evicted pods never finish terminating',
      extra: { notReady: ['node01'] },
      want: { verdict: 'ok', never: [], surgeResolves: [], hints: ['--skip-wait-for-delete-timeout=60'] },
    },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const r = drain(['node01'], flags, c.extra);
      assert.deepEqual(
        { verdict: r.verdict, never: r.neverAllowingBudgets, surgeResolves: r.podDisruptionBudgets.map((b) => b.surgeResolves), hints: r.hints.map((h) => h.flag) },
        c.want,
      );
    });
  }

  it('the surge plan: solo (its only ready replica on node01) goes from 1 to 2; blue keeps replicas elsewhere', () => {
    const r = drain(['node01'], flags);
    assert.deepEqual(r.surgePlan, [{ workload: { kind: 'Deployment', namespace: 'default', name: 'solo' }, from: 1, to: 2, podDisruptionBudgets: [] }]);
  });

  it('a refused node: the flags its blocked pods need', () => {
    const r = drain(['node01'], { ignoreDaemonSets: true });
    assert.deepEqual(r.hints, [{ flag: '--force', why: 'gets past 1 pod the node would be refused for: default/green' }]);
  });
});

describe('allowedAfterSurge: the budget\'s arithmetic on the bigger scale', () => {
  const base = { expectedPods: 1, currentHealthy: 1, desiredHealthy: 1 };
  const cases: { story: string; budget: { minAvailable: number | string | null; maxUnavailable: number | string | null }; extra: number; want: number }[] = [
    { story: 'minAvailable 1, one more replica', budget: { minAvailable: 1, maxUnavailable: null }, extra: 1, want: 1 },
    { story: 'minAvailable 50%, one more replica: needs 1 of 2', budget: { minAvailable: '50%', maxUnavailable: null }, extra: 1, want: 1 },
    { story: 'minAvailable 100%: needs 2 of 2', budget: { minAvailable: '100%', maxUnavailable: null }, extra: 1, want: 0 },
    { story: 'maxUnavailable 0: never', budget: { minAvailable: null, maxUnavailable: 0 }, extra: 3, want: 0 },
    { story: 'maxUnavailable 1: one', budget: { minAvailable: null, maxUnavailable: 1 }, extra: 1, want: 1 },
  ];
  for (const c of cases) it(c.story, () => assert.equal(allowedAfterSurge({ ...base, ...c.budget }, c.extra), c.want));
});
