import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodDisruptionBudget } from '../../api/types.js';
import { type ControllerScale, computePdbStatus, failSafeStatus, goLabelSelector, needsControllerScale } from './disruption.js';
import { scaledValue } from './workloads.js';

type PdbSpec = NonNullable<PodDisruptionBudget['spec']>;
type PdbStatus = NonNullable<PodDisruptionBudget['status']>;

const NOW = Date.parse('2025-01-01T12:00:00Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function pdb(spec: PdbSpec, status: Partial<PdbStatus> = {}, generation = 1): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'shop', uid: 'pdb-uid', generation },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, observedGeneration: 0, ...status },
  };
}

interface PodOpts {
  ready?: boolean;
  owner?: string | null; // controllerRef uid; null = bare pod
  deleting?: boolean;
}

function pod(name: string, o: PodOpts = {}): Pod {
  const meta: Pod['metadata'] = { name, namespace: 'shop', uid: `uid-${name}`, labels: { app: 'web' } };
  if (o.owner !== null) meta.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-rs', uid: o.owner ?? 'rs-uid', controller: true }];
  if (o.deleting) meta.deletionTimestamp = iso(NOW + 30_000);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta,
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

const pods = (n: number, o: PodOpts = {}) => Array.from({ length: n }, (_, i) => pod(`web-${i}`, o));
/** The pods' ReplicaSet resolves to its Deployment with this many replicas. */
const deployment = (replicas: number) => new Map<string, ControllerScale>([['rs-uid', { uid: 'deploy-uid', scale: replicas }]]);
const NONE = new Map<string, ControllerScale>();

interface Want {
  expectedPods: number;
  desiredHealthy: number;
  currentHealthy: number;
  disruptionsAllowed: number;
  condition: [string, string];
}

describe('computePdbStatus: the numbers kube computes', () => {
  const cases: Array<{ story: string; pdb: PodDisruptionBudget; pods: Pod[]; scales?: Map<string, ControllerScale>; want: Want }> = [
    {
      story: 'minAvailable 2 over 3 ready pods allows one disruption',
      pdb: pdb({ minAvailable: 2 }),
      pods: pods(3),
      want: { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1, condition: ['True', 'SufficientPods'] },
    },
    {
      story: 'minAvailable int counts bare pods (no controller needed)',
      pdb: pdb({ minAvailable: 1 }),
      pods: pods(2, { owner: null }),
      want: { expectedPods: 2, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1, condition: ['True', 'SufficientPods'] },
    },
    {
      story: 'minAvailable 3 over 3 pods allows nothing',
      pdb: pdb({ minAvailable: 3 }),
      pods: pods(3),
      want: { expectedPods: 3, desiredHealthy: 3, currentHealthy: 3, disruptionsAllowed: 0, condition: ['False', 'InsufficientPods'] },
    },
    {
      story: 'minAvailable 50% of a 3-replica Deployment rounds up to 2',
      pdb: pdb({ minAvailable: '50%' }),
      pods: pods(3),
      scales: deployment(3),
      want: { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1, condition: ['True', 'SufficientPods'] },
    },
    {
      story: 'a percentage uses the controller scale, not the pods that exist',
      pdb: pdb({ minAvailable: '50%' }),
      pods: pods(2),
      scales: deployment(4),
      want: { expectedPods: 4, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0, condition: ['False', 'InsufficientPods'] },
    },
    {
      story: 'maxUnavailable 1 of 3 replicas',
      pdb: pdb({ maxUnavailable: 1 }),
      pods: pods(3),
      scales: deployment(3),
      want: { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1, condition: ['True', 'SufficientPods'] },
    },
    {
      story: 'maxUnavailable 34% of 3 rounds up to 2 unavailable',
      pdb: pdb({ maxUnavailable: '34%' }),
      pods: pods(3),
      scales: deployment(3),
      want: { expectedPods: 3, desiredHealthy: 1, currentHealthy: 3, disruptionsAllowed: 2, condition: ['True', 'SufficientPods'] },
    },
    {
      story: 'maxUnavailable 0 blocks every disruption',
      pdb: pdb({ maxUnavailable: 0 }),
      pods: pods(3),
      scales: deployment(3),
      want: { expectedPods: 3, desiredHealthy: 3, currentHealthy: 3, disruptionsAllowed: 0, condition: ['False', 'InsufficientPods'] },
    },
    {
      story: 'unready and terminating pods are not healthy',
      pdb: pdb({ minAvailable: 1 }),
      pods: [pod('a'), pod('b', { ready: false }), pod('c', { deleting: true })],
      want: { expectedPods: 3, desiredHealthy: 1, currentHealthy: 1, disruptionsAllowed: 0, condition: ['False', 'InsufficientPods'] },
    },
    {
      story: 'no matching pods: expectedPods 0 keeps the budget shut',
      pdb: pdb({ maxUnavailable: 1 }),
      pods: [],
      want: { expectedPods: 0, desiredHealthy: 0, currentHealthy: 0, disruptionsAllowed: 0, condition: ['False', 'InsufficientPods'] },
    },
    {
      story: 'unmanaged pods count as healthy but not as expected',
      pdb: pdb({ maxUnavailable: 1 }),
      pods: [...pods(2), pod('bare', { owner: null })],
      scales: deployment(2),
      want: { expectedPods: 2, desiredHealthy: 1, currentHealthy: 3, disruptionsAllowed: 2, condition: ['True', 'SufficientPods'] },
    },
    {
      story: 'pods of two controllers add up their scales',
      pdb: pdb({ minAvailable: '100%' }),
      pods: [pod('a'), pod('b', { owner: 'ss-uid' })],
      scales: new Map<string, ControllerScale>([
        ['rs-uid', { uid: 'deploy-uid', scale: 2 }],
        ['ss-uid', { uid: 'ss-uid', scale: 3 }],
      ]),
      want: { expectedPods: 5, desiredHealthy: 5, currentHealthy: 2, disruptionsAllowed: 0, condition: ['False', 'InsufficientPods'] },
    },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const r = computePdbStatus(c.pdb, c.pods, c.scales ?? NONE, NOW);
      const s = r.status;
      assert.equal(r.changed, true);
      assert.deepEqual(
        { expectedPods: s.expectedPods, desiredHealthy: s.desiredHealthy, currentHealthy: s.currentHealthy, disruptionsAllowed: s.disruptionsAllowed },
        { expectedPods: c.want.expectedPods, desiredHealthy: c.want.desiredHealthy, currentHealthy: c.want.currentHealthy, disruptionsAllowed: c.want.disruptionsAllowed },
      );
      assert.equal(s.observedGeneration, 1);
      const cond = (s.conditions ?? []).find((x) => x.type === 'DisruptionAllowed');
      assert.deepEqual([cond?.status, cond?.reason, cond?.message, cond?.observedGeneration], [...c.want.condition, '', 1]);
    });
  }
});

describe('computePdbStatus: disruptedPods', () => {
  const cases: Array<{ story: string; recorded: Record<string, string>; pods: Pod[]; keep: string[]; healthy: number; recheck?: number; notDeleted?: string }> = [
    {
      story: 'a fresh eviction is kept, not counted healthy, and rechecked when it times out',
      recorded: { 'web-0': iso(NOW - 30_000) },
      pods: pods(3),
      keep: ['web-0'],
      healthy: 2,
      recheck: NOW - 30_000 + 2 * MIN,
    },
    {
      story: 'an entry older than the 2-minute DeletionTimeout is dropped with a NotDeleted warning',
      recorded: { 'web-0': iso(NOW - 3 * MIN) },
      pods: pods(3),
      keep: [],
      healthy: 3,
      notDeleted: 'web-0',
    },
    {
      story: 'an entry for a pod that is gone is dropped',
      recorded: { gone: iso(NOW - 10_000) },
      pods: pods(3),
      keep: [],
      healthy: 3,
    },
    {
      story: 'an entry for a pod now terminating is dropped (the deletion was seen)',
      recorded: { 'web-0': iso(NOW - 10_000) },
      pods: [pod('web-0', { deleting: true }), pod('web-1'), pod('web-2')],
      keep: [],
      healthy: 2,
    },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const r = computePdbStatus(pdb({ minAvailable: 1 }, { disruptedPods: c.recorded }), c.pods, NONE, NOW);
      assert.deepEqual(Object.keys(r.status.disruptedPods ?? {}), c.keep);
      assert.equal(r.status.currentHealthy, c.healthy);
      assert.equal(r.recheckAt, c.recheck);
      const warned = r.events.filter((e) => e.reason === 'NotDeleted');
      if (c.notDeleted) {
        assert.equal(warned.length, 1);
        assert.equal(warned[0].object.metadata.name, c.notDeleted);
        // kube's message names the PDB's namespace twice.
        assert.equal(warned[0].message, "Pod was expected by PDB shop/shop to be deleted but it wasn't");
      } else {
        assert.equal(warned.length, 0);
      }
    });
  }

  it('respects a scaled deletion timeout (simulated time)', () => {
    // At time scale 60 the 2-minute timeout lasts 2 real seconds.
    const r = computePdbStatus(pdb({ minAvailable: 1 }, { disruptedPods: { 'web-0': iso(NOW - 3000) } }), pods(2), NONE, NOW, 2000);
    assert.equal(r.status.disruptedPods, undefined);
  });
});

describe('computePdbStatus: failures and events', () => {
  const cases: Array<{ story: string; spec: PdbSpec; pods: Pod[]; scales: Map<string, ControllerScale>; reason: string; message: string }> = [
    {
      story: 'a controllerRef no finder resolves fails the sync',
      spec: { maxUnavailable: 1 },
      pods: pods(1),
      scales: NONE,
      reason: 'CalculateExpectedPodCountFailed',
      message: 'found no controllers for pod "web-0"',
    },
    {
      story: 'a controller kind without /scale fails the sync with the finder error',
      spec: { minAvailable: '50%' },
      pods: pods(1),
      scales: new Map<string, ControllerScale>([['rs-uid', { error: 'daemonsets.apps does not implement the scale subresource' }]]),
      reason: 'CalculateExpectedPodCountFailed',
      message: 'daemonsets.apps does not implement the scale subresource',
    },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const before = pdb(c.spec, { disruptionsAllowed: 2, currentHealthy: 3, desiredHealthy: 1, expectedPods: 3, observedGeneration: 1 }, 2);
      const r = computePdbStatus(before, c.pods, c.scales, NOW);
      assert.equal(r.changed, true);
      // failSafe: no disruption allowed, everything else (observedGeneration too) untouched.
      assert.equal(r.status.disruptionsAllowed, 0);
      assert.equal(r.status.currentHealthy, 3);
      assert.equal(r.status.observedGeneration, 1);
      const cond = (r.status.conditions ?? [])[0];
      assert.deepEqual([cond.type, cond.status, cond.reason, cond.message], ['DisruptionAllowed', 'False', 'SyncFailed', c.message]);
      const ev = r.events.find((e) => e.reason === c.reason);
      assert.equal(ev?.type, 'Warning');
      assert.equal(ev?.message, `Failed to calculate the number of expected pods: ${c.message}`);
    });
  }

  it('warns about unmanaged pods with the selector in Go form', () => {
    const r = computePdbStatus(pdb({ maxUnavailable: 1 }), [pod('bare', { owner: null })], NONE, NOW);
    const ev = r.events.find((e) => e.reason === 'UnmanagedPods');
    assert.ok(ev);
    assert.match(ev.message, /^Pods selected by this PodDisruptionBudget \(selector: &LabelSelector\{MatchLabels:map\[string\]string\{app: web,\},MatchExpressions:\[\]LabelSelectorRequirement\{\},\}\) were found to be unmanaged\./);
  });

  it('records NoPods when nothing matches', () => {
    const r = computePdbStatus(pdb({ minAvailable: 1 }), [], NONE, NOW);
    assert.deepEqual(
      r.events.map((e) => [e.type, e.reason, e.message]),
      [['Normal', 'NoPods', 'No matching pods found']],
    );
  });
});

describe('computePdbStatus: when to write', () => {
  it('an up-to-date status is not written again', () => {
    const first = computePdbStatus(pdb({ minAvailable: 2 }), pods(3), NONE, NOW);
    const again = computePdbStatus({ ...pdb({ minAvailable: 2 }), status: first.status }, pods(3), NONE, NOW + 5000);
    assert.equal(again.changed, false);
  });

  it('a new generation is written even with the same numbers', () => {
    const first = computePdbStatus(pdb({ minAvailable: 2 }), pods(3), NONE, NOW);
    const bumped = computePdbStatus({ ...pdb({ minAvailable: 2 }, {}, 2), status: first.status }, pods(3), NONE, NOW);
    assert.equal(bumped.changed, true);
    assert.equal(bumped.status.observedGeneration, 2);
  });

  it('lastTransitionTime moves only when the condition status changes', () => {
    const first = computePdbStatus(pdb({ minAvailable: 2 }), pods(3), NONE, NOW);
    const t0 = (first.status.conditions ?? [])[0].lastTransitionTime;
    const sameStatus = computePdbStatus({ ...pdb({ minAvailable: 1 }), status: first.status }, pods(3), NONE, NOW + 60_000);
    assert.equal((sameStatus.status.conditions ?? [])[0].lastTransitionTime, t0);
    const flipped = computePdbStatus({ ...pdb({ minAvailable: 3 }), status: first.status }, pods(3), NONE, NOW + 60_000);
    assert.equal((flipped.status.conditions ?? [])[0].lastTransitionTime, iso(NOW + 60_000));
  });

  it('failSafeStatus keeps the recorded numbers', () => {
    const s = failSafeStatus(pdb({ minAvailable: 1 }, { disruptionsAllowed: 4, currentHealthy: 5 }), 'boom', NOW);
    assert.deepEqual([s.disruptionsAllowed, s.currentHealthy], [0, 5]);
  });
});

describe('scaledValue (intstr.GetScaledValueFromIntOrPercent)', () => {
  const cases: Array<[unknown, number, boolean, number | string]> = [
    [2, 10, true, 2],
    ['50%', 3, true, 2],
    ['50%', 3, false, 1],
    ['0%', 3, true, 0],
    ['100%', 7, true, 7],
    ['5', 10, true, 'invalid value for IntOrString: invalid type: string is not a percentage'],
    ['x%', 10, true, 'invalid value for IntOrString: invalid value "x%": strconv.Atoi: parsing "x": invalid syntax'],
  ];
  for (const [value, total, up, want] of cases) {
    it(`${JSON.stringify(value)} of ${total} (round ${up ? 'up' : 'down'})`, () => {
      if (typeof want === 'number') assert.equal(scaledValue(value, total, up), want);
      else assert.throws(() => scaledValue(value, total, up), { message: want });
    });
  }
});

describe('needsControllerScale and goLabelSelector', () => {
  it('only integer minAvailable avoids the controller lookup', () => {
    assert.equal(needsControllerScale(pdb({ minAvailable: 1 })), false);
    assert.equal(needsControllerScale(pdb({ minAvailable: '10%' })), true);
    assert.equal(needsControllerScale(pdb({ maxUnavailable: 1 })), true);
  });
  it('prints expressions like Go', () => {
    assert.equal(
      goLabelSelector({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['x', 'y'] }] }),
      '&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:tier,Operator:In,Values:[x y],},},}',
    );
  });
});
