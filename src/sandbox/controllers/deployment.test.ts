import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from '../../api/types.js';
import {
  type DeploymentStatus,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  REVISION,
  calculateStatus,
  cleanupUnhealthyPlan,
  findActiveOrLatest,
  isScalingEvent,
  maxScaledDown,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  proportionalSizes,
  replicaSetsToClean,
  resolveFenceposts,
  rolloutConditions,
  sameTemplate,
  scaleDownOldPlan,
} from './deployment.js';

const T0 = Date.parse('2025-06-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const NOW = iso(T0);

type Strategy = { type: 'Recreate' } | { type: 'RollingUpdate'; rollingUpdate: { maxSurge: number | string; maxUnavailable: number | string } };

function deploy(replicas: number, strategy: Strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, status: DeploymentStatus = {}): Deployment {
  return { metadata: { name: 'web', uid: 'd1', generation: 2 }, spec: { replicas, strategy, progressDeadlineSeconds: 600, selector: { matchLabels: { app: 'web' } }, template: {} }, status };
}

let serial = 0;
function rs(name: string, replicas: number, available = replicas, extra: { created?: number; revision?: number; desired?: number; max?: number; statusReplicas?: number } = {}): ReplicaSet {
  const annotations: Record<string, string> = {};
  if (extra.revision !== undefined) annotations[REVISION] = String(extra.revision);
  if (extra.desired !== undefined) annotations[DESIRED_REPLICAS] = String(extra.desired);
  if (extra.max !== undefined) annotations[MAX_REPLICAS] = String(extra.max);
  return {
    metadata: { name, uid: `uid-${name}`, creationTimestamp: iso(T0 + (extra.created ?? serial++) * 1000), annotations, generation: 1 },
    spec: { replicas, selector: { matchLabels: { app: 'web' } } },
    status: { replicas: extra.statusReplicas ?? replicas, readyReplicas: available, availableReplicas: available, observedGeneration: 1 },
  };
}

const rolling = (maxSurge: number | string, maxUnavailable: number | string): Strategy => ({ type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } });

describe('resolveFenceposts (maxSurge rounds up, maxUnavailable rounds down)', () => {
  const cases: Array<[string, unknown, unknown, number, [number, number]]> = [
    ['the defaults on 10 replicas', '25%', '25%', 10, [3, 2]],
    ['the defaults on 1 replica: surge 1, unavailable 0', '25%', '25%', 1, [1, 0]],
    ['both zero would stall: unavailable becomes 1', 0, 0, 5, [0, 1]],
    ['0% and 0% likewise', '0%', '0%', 5, [0, 1]],
    ['integers as given', 2, 1, 5, [2, 1]],
  ];
  for (const [story, s, u, n, want] of cases) it(story, () => assert.deepEqual(resolveFenceposts(s, u, n), want));

  it('Recreate has neither surge nor unavailability budget', () => {
    assert.equal(maxSurge(deploy(4, { type: 'Recreate' })), 0);
    assert.equal(maxUnavailable(deploy(4, { type: 'Recreate' })), 0);
  });
  it('maxUnavailable never exceeds replicas', () => assert.equal(maxUnavailable(deploy(2, rolling(0, 5))), 2));
});

describe('newRSNewReplicas', () => {
  const cases: Array<{ story: string; d: Deployment; old: ReplicaSet[]; next: ReplicaSet; want: number }> = [
    { story: 'a fresh deployment gets every replica at once', d: deploy(10), old: [], next: rs('new', 0), want: 10 },
    { story: 'a rollout starts with the surge (25% of 10 = 3)', d: deploy(10), old: [rs('old', 10)], next: rs('new', 0), want: 3 },
    { story: 'no room while old + new already fill replicas + surge', d: deploy(10), old: [rs('old', 10)], next: rs('new', 3), want: 3 },
    { story: 'room freed by scaled-down old pods is taken', d: deploy(10), old: [rs('old', 6)], next: rs('new', 3), want: 7 },
    { story: 'never more than replicas', d: deploy(10), old: [rs('old', 0)], next: rs('new', 8), want: 10 },
    { story: 'Recreate goes straight to replicas', d: deploy(4, { type: 'Recreate' }), old: [rs('old', 0)], next: rs('new', 0), want: 4 },
  ];
  for (const c of cases) it(c.story, () => assert.equal(newRSNewReplicas(c.d, [...c.old, c.next], c.next), c.want));
});

describe('a rolling update, step by step, stays within maxSurge and maxUnavailable', () => {
  // Each step: scale the new ReplicaSet up as allowed, pods become available, scale old ones down as allowed.
  const cases: Array<[string, number, number | string, number | string, number]> = [
    ['defaults on 4 replicas (surge 1, unavailable 1)', 4, '25%', '25%', 3],
    ['maxSurge 1, maxUnavailable 0 (one extra pod at a time)', 5, 1, 0, 5],
    ['maxSurge 0, maxUnavailable 1 (one fewer pod at a time)', 3, 0, 1, 4],
    ['a big surge', 10, '100%', 0, 1],
  ];
  for (const [story, replicas, s, u, wantSteps] of cases) {
    it(story, () => {
      const d = deploy(replicas, rolling(s, u));
      let old = rs('old', replicas, replicas, { created: 0 });
      let next = rs('new', 0, 0, { created: 1 });
      const surge = maxSurge(d);
      const unavailable = maxUnavailable(d);
      let steps = 0;
      for (; steps < 50; steps++) {
        const nextReplicas = newRSNewReplicas(d, [old, next], next);
        assert.ok(nextReplicas + (old.spec as { replicas: number }).replicas <= replicas + surge, `step ${steps}: too many pods`);
        // The scheduler and kubelets bring the new pods up.
        next = rs('new', nextReplicas, nextReplicas, { created: 1 });
        const limit = maxScaledDown([old, next], next, d);
        let oldReplicas = (old.spec as { replicas: number }).replicas;
        if (limit > 0) {
          for (const step of cleanupUnhealthyPlan([old], limit)) oldReplicas = step.to;
          old = rs('old', oldReplicas, oldReplicas, { created: 0 });
          for (const step of scaleDownOldPlan([old, next], [old], d)) oldReplicas = step.to;
        }
        assert.ok(oldReplicas + nextReplicas >= replicas - unavailable, `step ${steps}: too few available`);
        old = rs('old', oldReplicas, oldReplicas, { created: 0 });
        if (oldReplicas === 0 && nextReplicas === replicas) break;
      }
      assert.equal(steps + 1, wantSteps, 'number of steps');
    });
  }
});

describe('cleanupUnhealthyPlan and scaleDownOldPlan', () => {
  it('unavailable old replicas go first, oldest ReplicaSet first, up to the limit', () => {
    const older = rs('older', 3, 1, { created: 0 });
    const newer = rs('newer', 4, 2, { created: 5 });
    assert.deepEqual(
      cleanupUnhealthyPlan([newer, older], 3).map((s) => [s.rs.metadata.name, s.to]),
      [
        ['older', 1],
        ['newer', 3],
      ],
    );
  });
  it('available old replicas go only down to minAvailable', () => {
    const d = deploy(10, rolling(3, 2));
    const old = rs('old', 10, 10, { created: 0 });
    const next = rs('new', 3, 3, { created: 1 });
    // 13 available, at least 8 must stay: 5 old replicas may go.
    assert.deepEqual(scaleDownOldPlan([old, next], [old], d).map((s) => s.to), [5]);
  });
});

describe('proportionalSizes (scaling in the middle of a rollout)', () => {
  it('the documented example: 10 -> 15 replicas with maxSurge 3 adds 3 to the old and 2 to the new ReplicaSet', () => {
    const d = deploy(15, rolling(3, 2));
    const old = rs('old', 8, 8, { created: 0, max: 13 });
    const next = rs('new', 5, 0, { created: 1, max: 13 });
    const sizes = proportionalSizes(d, [old, next]);
    assert.deepEqual([sizes.get('uid-old'), sizes.get('uid-new')], [11, 7]);
  });
  it('scaling to zero empties every ReplicaSet', () => {
    const d = deploy(0, rolling(3, 2));
    const sizes = proportionalSizes(d, [rs('old', 8, 8, { created: 0, max: 13 }), rs('new', 5, 0, { created: 1, max: 13 })]);
    assert.deepEqual([...sizes.values()], [0, 0]);
  });
  it('rounding leftovers go to the largest ReplicaSet', () => {
    const d = deploy(4, rolling(1, 0));
    const a = rs('a', 2, 2, { created: 0, max: 3 });
    const b = rs('b', 1, 1, { created: 1, max: 3 });
    const sizes = proportionalSizes(d, [a, b]);
    assert.equal((sizes.get('uid-a') ?? 0) + (sizes.get('uid-b') ?? 0), 5, 'replicas + surge in total');
  });
});

describe('scaling events and the active ReplicaSet', () => {
  it('a ReplicaSet sized for another replica count marks a scaling event', () => {
    assert.equal(isScalingEvent(deploy(5), [rs('a', 3, 3, { desired: 3 })]), true);
    assert.equal(isScalingEvent(deploy(3), [rs('a', 3, 3, { desired: 3 })]), false);
    assert.equal(isScalingEvent(deploy(5), [rs('a', 0, 0, { desired: 3 })]), false, 'inactive sets do not count');
  });
  it('findActiveOrLatest: the only active set, the newest when none is active, none when several are', () => {
    const a = rs('a', 0, 0, { created: 0 });
    const b = rs('b', 0, 0, { created: 1 });
    const c = rs('c', 2, 2, { created: 2 });
    assert.equal(findActiveOrLatest(undefined, [a, b])?.metadata.name, 'b');
    assert.equal(findActiveOrLatest(c, [a, b])?.metadata.name, 'c');
    assert.equal(findActiveOrLatest(c, [rs('d', 1)]), undefined);
  });
});

describe('replicaSetsToClean (revisionHistoryLimit)', () => {
  const olds = [1, 2, 3, 4].map((r) => rs(`r${r}`, 0, 0, { revision: r, created: r }));
  const cases: Array<[string, ReplicaSet[], number | undefined, string[]]> = [
    ['within the limit nothing goes', olds, 4, []],
    ['the oldest revisions beyond the limit go', olds, 2, ['r1', 'r2']],
    ['limit 0 keeps no history', olds, 0, ['r1', 'r2', 'r3', 'r4']],
    ['a set still running pods is kept (and not replaced by a younger one)', [rs('busy', 1, 1, { revision: 1 }), ...olds.slice(1)], 1, ['r2', 'r3']],
    ['no limit, no cleanup', olds, undefined, []],
  ];
  for (const [story, list, limit, want] of cases) it(story, () => assert.deepEqual(replicaSetsToClean(list, limit).map((r) => r.metadata.name), want));
});

describe('status and conditions', () => {
  it('calculateStatus sums the ReplicaSets and sets Available', () => {
    const d = deploy(4);
    const s = calculateStatus(d, [rs('old', 1, 1, { statusReplicas: 1 }), rs('new', 3, 2)], rs('new', 3, 2), NOW);
    assert.deepEqual(
      { replicas: s.replicas, updated: s.updatedReplicas, ready: s.readyReplicas, available: s.availableReplicas, unavailable: s.unavailableReplicas, generation: s.observedGeneration },
      { replicas: 4, updated: 3, ready: 3, available: 3, unavailable: 1, generation: 2 },
    );
    assert.deepEqual(
      s.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
      [['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.']],
    );
    const low = calculateStatus(d, [rs('new', 4, 1)], rs('new', 4, 1), NOW);
    assert.deepEqual(low.conditions?.map((c) => [c.status, c.reason, c.message]), [['False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.']]);
  });

  const progressing = (reason: string, updatedAt: number) => ({ type: 'Progressing', status: 'True', reason, message: '', lastUpdateTime: iso(updatedAt), lastTransitionTime: iso(T0 - 1e6) });
  const cases: Array<{ story: string; old: DeploymentStatus; next: DeploymentStatus; nowMs: number; want: [string, string, string] }> = [
    {
      story: 'every replica updated and available: NewReplicaSetAvailable',
      old: { replicas: 4, updatedReplicas: 3, availableReplicas: 3, conditions: [progressing('ReplicaSetUpdated', T0)] },
      next: { replicas: 4, updatedReplicas: 4, availableReplicas: 4, observedGeneration: 2 },
      nowMs: T0,
      want: ['True', 'NewReplicaSetAvailable', 'ReplicaSet "web-new" has successfully progressed.'],
    },
    {
      story: 'more updated pods: ReplicaSetUpdated',
      old: { replicas: 4, updatedReplicas: 1, availableReplicas: 3, conditions: [progressing('NewReplicaSetCreated', T0)] },
      next: { replicas: 5, updatedReplicas: 2, availableReplicas: 3, observedGeneration: 2 },
      nowMs: T0,
      want: ['True', 'ReplicaSetUpdated', 'ReplicaSet "web-new" is progressing.'],
    },
    {
      story: 'no progress for longer than progressDeadlineSeconds: ProgressDeadlineExceeded',
      old: { replicas: 4, updatedReplicas: 1, availableReplicas: 3, conditions: [progressing('ReplicaSetUpdated', T0)] },
      next: { replicas: 4, updatedReplicas: 1, availableReplicas: 3, observedGeneration: 2 },
      nowMs: T0 + 601_000,
      want: ['False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-new" has timed out progressing.'],
    },
    {
      story: 'no progress within the deadline: unchanged',
      old: { replicas: 4, updatedReplicas: 1, availableReplicas: 3, conditions: [progressing('ReplicaSetUpdated', T0)] },
      next: { replicas: 4, updatedReplicas: 1, availableReplicas: 3, observedGeneration: 2 },
      nowMs: T0 + 599_000,
      want: ['True', 'ReplicaSetUpdated', ''],
    },
  ];
  for (const c of cases) {
    it(`rolloutConditions: ${c.story}`, () => {
      const d = deploy(4, undefined, c.old);
      const conds = rolloutConditions(d, { ...c.next, conditions: c.old.conditions }, rs('web-new', 4), iso(c.nowMs), c.nowMs, (ms) => ms);
      const p = conds.find((x) => x.type === 'Progressing')!;
      assert.deepEqual([p.status, p.reason, p.message], c.want);
    });
  }
  it('progress keeps lastTransitionTime and refreshes lastUpdateTime', () => {
    const d = deploy(4, undefined, { replicas: 4, updatedReplicas: 1, conditions: [progressing('ReplicaSetUpdated', T0 - 5000)] });
    const p = rolloutConditions(d, { replicas: 4, updatedReplicas: 2, conditions: (d.status as DeploymentStatus).conditions }, rs('web-new', 4), NOW, T0, (ms) => ms)[0];
    assert.equal(p.lastUpdateTime, NOW);
    assert.equal(p.lastTransitionTime, iso(T0 - 1e6));
  });
});

describe('sameTemplate (EqualIgnoreHash)', () => {
  const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
  const withHash = { metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
  it('ignores the pod-template-hash label', () => assert.equal(sameTemplate(t, withHash), true));
  it('sees an image change', () => assert.equal(sameTemplate(t, { ...t, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }), false));
});
