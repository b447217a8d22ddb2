import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LabelSelector } from '../../api/labels.js';
import type { Pod, ReplicaSet } from '../../api/types.js';
import {
  Expectations,
  canonicalJSON,
  computeHash,
  isPodAvailable,
  observePodReadiness,
  podFromTemplate,
  podsToDelete,
  safeEncodeString,
  scaledValue,
  slowStartBatch,
  workloadSelector,
} from './workloads.js';

const T0 = Date.parse('2025-06-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export interface PodSpec {
  name: string;
  node?: string;
  phase?: string;
  /** Seconds after T0 the pod became Ready; undefined = not ready. */
  readyAt?: number;
  /** Seconds after T0 the pod was created. */
  createdAt?: number;
  restarts?: number;
}

export function pod(p: PodSpec): Pod {
  return {
    metadata: { name: p.name, uid: `uid-${p.name}`, creationTimestamp: iso(T0 + (p.createdAt ?? 0) * 1000), labels: { app: 'x' } },
    spec: p.node ? { nodeName: p.node, containers: [] } : { containers: [] },
    status: {
      phase: p.phase ?? (p.node ? 'Running' : 'Pending'),
      conditions: p.readyAt === undefined ? [{ type: 'Ready', status: 'False' }] : [{ type: 'Ready', status: 'True', lastTransitionTime: iso(T0 + p.readyAt * 1000) }],
      containerStatuses: [{ name: 'c', restartCount: p.restarts ?? 0, image: 'i', imageID: '', ready: p.readyAt !== undefined }],
    },
  };
}

describe('workloadSelector (metav1.LabelSelectorAsSelector, through src/api/labels)', () => {
  const labels = { app: 'web', tier: 'front' };
  const cases: Array<[string, LabelSelector | undefined, boolean]> = [
    ['a missing selector matches nothing', undefined, false],
    ['an empty selector matches everything', {}, true],
    ['matchLabels all equal', { matchLabels: { app: 'web' } }, true],
    ['matchLabels one differs', { matchLabels: { app: 'web', tier: 'back' } }, false],
    ['In', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true],
    ['In on a missing key', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, false],
    ['NotIn on a missing key matches', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['NotIn', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, false],
    ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    ['labels and expressions are ANDed', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, false],
  ];
  for (const [story, selector, want] of cases) it(story, () => assert.equal(workloadSelector(selector).matches(labels), want));
});

describe('scaledValue (IntOrString maxSurge / maxUnavailable)', () => {
  const cases: Array<[string, unknown, number, boolean, number | 'throws']> = [
    ['an integer is taken as is', 2, 10, true, 2],
    ['25% of 10 rounded up (surge)', '25%', 10, true, 3],
    ['25% of 10 rounded down (unavailable)', '25%', 10, false, 2],
    ['25% of 1 rounds down to 0', '25%', 1, false, 0],
    ['25% of 1 rounds up to 1', '25%', 1, true, 1],
    ['100% of 3', '100%', 3, false, 3],
    ['unset is 0', undefined, 3, true, 0],
    ['a string that is not a percentage is refused', '2', 3, true, 'throws'],
  ];
  for (const [story, v, total, up, want] of cases) {
    it(story, () => {
      if (want === 'throws') assert.throws(() => scaledValue(v, total, up), /not a percentage/);
      else assert.equal(scaledValue(v, total, up), want);
    });
  }
});

describe('computeHash (pod-template-hash)', () => {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27.3' }] } };
  it('has the safe-encoded form of a 32-bit decimal', () => assert.match(computeHash(template), /^[456789bcdf]{1,10}$/));
  it('does not depend on key order', () => {
    const reordered = { spec: { containers: [{ image: 'nginx:1.27.3', name: 'app' }] }, metadata: { labels: { app: 'web' } } };
    assert.equal(computeHash(reordered), computeHash(template));
  });
  it('changes with the image', () => {
    const other = { ...template, spec: { containers: [{ name: 'app', image: 'nginx:1.28.0' }] } };
    assert.notEqual(computeHash(other), computeHash(template));
  });
  it('changes with the collision count', () => assert.notEqual(computeHash(template, 1), computeHash(template)));
  it('safe-encodes decimal digits into the ten characters real hashes show', () => assert.equal(safeEncodeString('0123456789'), '456789bcdf'));
  it('canonical JSON sorts keys and drops undefined', () => assert.equal(canonicalJSON({ b: 1, a: { d: undefined, c: [2, 1] } }), '{"a":{"c":[2,1]},"b":1}'));
});

describe('isPodAvailable (minReadySeconds)', () => {
  const p = pod({ name: 'a', node: 'n1', readyAt: 0 });
  const cases: Array<[string, Pod, number, number, boolean]> = [
    ['ready and no minReadySeconds', p, 0, T0, true],
    ['ready for less than minReadySeconds', p, 10_000, T0 + 5_000, false],
    ['ready for exactly minReadySeconds', p, 10_000, T0 + 10_000, true],
    ['not ready', pod({ name: 'b', node: 'n1' }), 0, T0, false],
  ];
  for (const [story, pd, minMs, now, want] of cases) it(story, () => assert.equal(isPodAvailable(pd, minMs, now), want));
});

describe('observePodReadiness (sub-second readiness on a scaled clock)', () => {
  it('counts minReadySeconds from the moment the pod was seen turning Ready, not the whole second before', () => {
    const before = pod({ name: 'a', node: 'n1' });
    const after = pod({ name: 'a', node: 'n1', readyAt: 0 }); // lastTransitionTime truncated to T0
    observePodReadiness({ type: 'MODIFIED', resource: 'pods', namespace: 'ns', object: after, prev: before, revision: 2 }, T0 + 700);
    assert.equal(isPodAvailable(after, 500, T0 + 1000), false, 'only 300 ms since it became ready');
    assert.equal(isPodAvailable(after, 500, T0 + 1200), true);
    // A later version of the same pod (say a status heartbeat) keeps that moment.
    const later = { ...after, metadata: { ...after.metadata, resourceVersion: '3' } };
    observePodReadiness({ type: 'MODIFIED', resource: 'pods', namespace: 'ns', object: later, prev: after, revision: 3 }, T0 + 5000);
    assert.equal(isPodAvailable(later, 500, T0 + 1000), false);
  });
});

describe('podsToDelete (which surplus pods go first)', () => {
  const cases: Array<{ story: string; pods: PodSpec[]; count: number; want: string[] }> = [
    {
      story: 'unscheduled before pending before running',
      pods: [
        { name: 'running', node: 'n1', readyAt: 0 },
        { name: 'pending', node: 'n2', phase: 'Pending' },
        { name: 'unscheduled' },
      ],
      count: 2,
      want: ['unscheduled', 'pending'],
    },
    {
      story: 'not ready before ready',
      pods: [
        { name: 'ready', node: 'n1', readyAt: 0 },
        { name: 'not-ready', node: 'n2' },
      ],
      count: 1,
      want: ['not-ready'],
    },
    {
      story: 'a pod doubled up on a node before a lone one, even if older',
      pods: [
        { name: 'lone-new', node: 'n1', readyAt: 50, createdAt: 50 },
        { name: 'pair-old-1', node: 'n2', readyAt: 0, createdAt: 0 },
        { name: 'pair-old-2', node: 'n2', readyAt: 1, createdAt: 1 },
      ],
      count: 1,
      want: ['pair-old-2'],
    },
    {
      story: 'ready more recently goes first, then more restarts, then newer',
      pods: [
        { name: 'old', node: 'n1', readyAt: 0, createdAt: 0 },
        { name: 'recent', node: 'n2', readyAt: 30, createdAt: 0 },
        { name: 'restarty', node: 'n3', readyAt: 0, createdAt: 0, restarts: 3 },
      ],
      count: 2,
      want: ['recent', 'restarty'],
    },
    {
      story: 'scaling 9 pods on 3 nodes down to 3 leaves one per node',
      pods: [
        ...[1, 2, 3].flatMap((n) => [0, 1, 2].map((i) => ({ name: `n${n}-${i}`, node: `n${n}`, readyAt: i * 10 + n, createdAt: i * 10 + n }))),
      ],
      count: 6,
      want: ['n3-2', 'n2-2', 'n1-2', 'n3-1', 'n2-1', 'n1-1'],
    },
  ];
  for (const c of cases) {
    it(c.story, () => assert.deepEqual(podsToDelete(c.pods.map(pod), c.count).map((p) => p.metadata.name), c.want));
  }
});

describe('podFromTemplate (controller.GetPodFromTemplate)', () => {
  const owner: ReplicaSet = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'prod', uid: 'u1' } };
  const template = { metadata: { labels: { app: 'web' }, annotations: { a: 'b' }, finalizers: ['f'] }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  it('copies labels, annotations, finalizers and spec, with a controller reference', () => {
    const p = podFromTemplate(template, owner, { generateName: 'web-abc-' });
    assert.deepEqual(p.metadata, {
      namespace: 'prod',
      generateName: 'web-abc-',
      labels: { app: 'web' },
      annotations: { a: 'b' },
      finalizers: ['f'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u1', controller: true, blockOwnerDeletion: true }],
    });
    assert.deepEqual(p.spec, template.spec);
    assert.notEqual(p.spec, template.spec, 'a copy: callers set fields of the pod spec');
    assert.equal(p.spec?.containers, template.spec.containers, 'nested parts shared: nothing changes them in place');
  });
});

describe('slowStartBatch', () => {
  const cases: Array<[string, number, number | undefined, number[], number]> = [
    ['batches double: 1, 2, 4, then the rest', 10, undefined, [1, 2, 4, 3], 10],
    ['stops after the batch where a call fails', 10, 2, [1, 2], 2],
    ['nothing to do', 0, undefined, [], 0],
  ];
  for (const [story, count, failAt, wantBatches, wantSuccesses] of cases) {
    it(story, async () => {
      const batches: number[] = [];
      let inBatch = 0;
      let scheduled = false;
      const r = await slowStartBatch(count, 1, async (i) => {
        inBatch++;
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(() => {
            batches.push(inBatch);
            inBatch = 0;
            scheduled = false;
          });
        }
        if (i === failAt) throw new Error('quota exceeded');
      });
      assert.deepEqual(batches, wantBatches);
      assert.equal(r.successes, wantSuccesses);
      assert.equal(r.error !== undefined, failAt !== undefined);
    });
  }
});

describe('Expectations', () => {
  it('holds a controller back until its creations and deletions are observed, or the TTL passes', () => {
    let now = 0;
    const e = new Expectations(() => 1000, () => now);
    assert.equal(e.satisfied('ns/rs'), true);
    e.expectCreations('ns/rs', 2);
    e.expectDeletions('ns/rs', ['a']);
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), false);
    e.creationObserved('ns/rs');
    e.deletionObserved('ns/rs', 'a');
    assert.equal(e.satisfied('ns/rs'), true);
    e.expectCreations('ns/rs', 1);
    now = 999;
    assert.equal(e.satisfied('ns/rs'), false);
    now = 1001;
    assert.equal(e.satisfied('ns/rs'), true, 'a lost event does not block forever');
  });
});
