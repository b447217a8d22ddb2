import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Pod } from '../../api/types.js';
import { omitZero, replicaSetCounts, statusOnlyChange } from './replicaset.js';

const T0 = Date.parse('2025-06-01T12:00:00Z');

function pod(labels: Record<string, string>, readyAgoS?: number): Pod {
  return {
    metadata: { name: 'p', labels },
    status: {
      phase: 'Running',
      conditions: [readyAgoS === undefined ? { type: 'Ready', status: 'False' } : { type: 'Ready', status: 'True', lastTransitionTime: new Date(T0 - readyAgoS * 1000).toISOString() }],
    },
  };
}

describe('replicaSetCounts', () => {
  const template = { app: 'web', tier: 'front' };
  const pods = [pod({ app: 'web', tier: 'front' }, 60), pod({ app: 'web', tier: 'front' }, 2), pod({ app: 'web' }, 60), pod({ app: 'web', tier: 'front' })];
  const cases: Array<[string, number, { replicas: number; fullyLabeledReplicas: number; readyReplicas: number; availableReplicas: number }]> = [
    ['without minReadySeconds every ready pod is available', 0, { replicas: 4, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3 }],
    ['minReadySeconds 10: a pod ready for 2 s is not yet available', 10_000, { replicas: 4, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 2 }],
  ];
  for (const [story, minMs, want] of cases) it(story, () => assert.deepEqual(replicaSetCounts(template, pods, minMs, T0), want));
});

describe('omitZero (omitempty)', () => {
  it('drops zero, empty and undefined optional fields, keeps the rest', () => {
    assert.deepEqual(omitZero({ replicas: 0, readyReplicas: 0, availableReplicas: 2, conditions: [], observedGeneration: undefined }, ['readyReplicas', 'availableReplicas', 'conditions', 'observedGeneration']), { replicas: 0, availableReplicas: 2 });
  });
});

describe('statusOnlyChange', () => {
  const base: KubeObject = { metadata: { name: 'rs', generation: 1, resourceVersion: '5', labels: { a: 'b' } }, spec: { replicas: 1 }, status: { replicas: 0 } };
  const cases: Array<[string, KubeObject, boolean]> = [
    ['a status write', { ...base, metadata: { ...base.metadata, resourceVersion: '6' }, status: { replicas: 1 } }, true],
    ['a scale (generation bump)', { ...base, metadata: { ...base.metadata, generation: 2 }, spec: { replicas: 3 } }, false],
    ['an annotation change', { ...base, metadata: { ...base.metadata, annotations: { x: 'y' } } }, false],
  ];
  for (const [story, next, want] of cases) it(story, () => assert.equal(statusOnlyChange(base, next), want));
});
