import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference, PersistentVolumeClaim, Pod, StatefulSet } from '../../api/types.js';
import { type StatefulSetAction, claimOwnerReferences, ordinalOf, planStatefulSet, statefulSetCounts } from './statefulset.js';

const T0 = Date.parse('2025-06-01T12:00:00Z');
type State = 'ready' | 'pending' | 'terminating' | 'failed' | 'running-not-ready';

function pod(ordinal: number, state: State, revision = 'web-new'): Pod {
  const ready = state === 'ready';
  return {
    metadata: { name: `web-${ordinal}`, uid: `uid-${ordinal}`, labels: { 'controller-revision-hash': revision }, ...(state === 'terminating' ? { deletionTimestamp: new Date(T0).toISOString() } : {}) },
    spec: { containers: [] },
    status: {
      phase: state === 'pending' ? 'Pending' : state === 'failed' ? 'Failed' : 'Running',
      conditions: [{ type: 'Ready', status: ready || state === 'terminating' ? 'True' : 'False', lastTransitionTime: new Date(T0).toISOString() }],
    },
  };
}

const show = (actions: StatefulSetAction[]) => actions.map((a) => (a.kind === 'create' ? `create ${a.ordinal}` : a.kind === 'delete' ? `delete ${a.pod.metadata.name}` : 'wait'));

describe('ordinalOf', () => {
  const cases: Array<[string, string, number | undefined]> = [
    ['web', 'web-0', 0],
    ['web', 'web-12', 12],
    ['web', 'web-01', undefined],
    ['web', 'web-x', undefined],
    ['web', 'webx-1', undefined],
    ['my-web', 'my-web-3', 3],
  ];
  for (const [set, name, want] of cases) it(`${name} of ${set}`, () => assert.equal(ordinalOf(set, name), want));
});

describe('planStatefulSet', () => {
  const cases: Array<{ story: string; replicas: number; parallel?: boolean; pods: Array<[number, State, string?]>; partition?: number; want: string[] }> = [
    { story: 'OrderedReady starts with ordinal 0 only', replicas: 3, pods: [], want: ['create 0'] },
    { story: 'the next ordinal once its predecessor is running and ready', replicas: 3, pods: [[0, 'ready']], want: ['create 1'] },
    { story: 'not while the predecessor is pending', replicas: 3, pods: [[0, 'pending']], want: ['wait'] },
    { story: 'not while the predecessor runs but is not ready', replicas: 3, pods: [[0, 'running-not-ready']], want: ['wait'] },
    { story: 'a deleted pod comes back under its name (after the old one is gone)', replicas: 3, pods: [[0, 'ready'], [2, 'ready']], want: ['create 1'] },
    { story: 'no new pod while the old one terminates', replicas: 3, pods: [[0, 'ready'], [1, 'terminating'], [2, 'ready']], want: ['wait'] },
    { story: 'a failed pod is deleted to be recreated', replicas: 2, pods: [[0, 'failed'], [1, 'ready']], want: ['delete web-0'] },
    { story: 'Parallel creates every missing ordinal at once', replicas: 3, parallel: true, pods: [[1, 'pending']], want: ['create 0', 'create 2'] },
    { story: 'scale down removes the highest ordinal first, one at a time', replicas: 1, pods: [[0, 'ready'], [1, 'ready'], [2, 'ready']], want: ['delete web-2'] },
    { story: 'scale down waits for a terminating pod', replicas: 1, pods: [[0, 'ready'], [1, 'ready'], [2, 'terminating']], want: ['wait'] },
    { story: 'Parallel scale down removes all extra pods at once', replicas: 1, parallel: true, pods: [[0, 'ready'], [1, 'ready'], [2, 'ready']], want: ['delete web-2', 'delete web-1'] },
    { story: 'a rolling update deletes the highest outdated pod', replicas: 3, pods: [[0, 'ready', 'web-old'], [1, 'ready', 'web-old'], [2, 'ready', 'web-old']], want: ['delete web-2'] },
    { story: 'then waits for the replacement to be healthy', replicas: 3, pods: [[0, 'ready', 'web-old'], [1, 'ready', 'web-old'], [2, 'pending']], want: ['wait'] },
    { story: 'then continues downwards', replicas: 3, pods: [[0, 'ready', 'web-old'], [1, 'ready', 'web-old'], [2, 'ready']], want: ['delete web-1'] },
    { story: 'a partition keeps lower ordinals on the old revision', replicas: 3, partition: 2, pods: [[0, 'ready', 'web-old'], [1, 'ready', 'web-old'], [2, 'ready']], want: [] },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const pods = new Map(c.pods.map(([o, s, r]) => [o, pod(o, s, r)]));
      const actions = planStatefulSet({ start: 0, replicas: c.replicas, parallel: !!c.parallel, pods, updateRevision: 'web-new', partition: c.partition ?? 0, minReadyRealMs: 0, nowMs: T0 });
      assert.deepEqual(show(actions), c.want);
    });
  }
});

describe('statefulSetCounts', () => {
  it('counts terminating pods as replicas but not as current or updated', () => {
    const pods = [pod(0, 'ready', 'web-old'), pod(1, 'ready'), pod(2, 'terminating'), pod(3, 'pending')];
    assert.deepEqual(statefulSetCounts(pods, 'web-old', 'web-new', 0, T0), { replicas: 4, readyReplicas: 3, availableReplicas: 3, currentReplicas: 1, updatedReplicas: 2 });
  });
});

describe('claimOwnerReferences: persistentVolumeClaimRetentionPolicy as ownerReferences', () => {
  type Policy = 'Retain' | 'Delete';
  const set = (whenDeleted: Policy, whenScaled: Policy): StatefulSet => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'data', uid: 'set-uid' },
    spec: { selector: {}, serviceName: 'db', template: {}, persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled } },
  });
  const dbPod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db-2', namespace: 'data', uid: 'pod-uid' } };
  const toSet: OwnerReference = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'set-uid', controller: true, blockOwnerDeletion: true };
  const toPod: OwnerReference = { apiVersion: 'v1', kind: 'Pod', name: 'db-2', uid: 'pod-uid', controller: true, blockOwnerDeletion: true };
  const claim = (...ownerReferences: OwnerReference[]): PersistentVolumeClaim => ({ metadata: { name: 'data-db-2', namespace: 'data', ...(ownerReferences.length ? { ownerReferences } : {}) } });
  const cases: Array<{ story: string; whenDeleted: Policy; whenScaled: Policy; scaledDown: boolean; refs: OwnerReference[]; want: OwnerReference[] | undefined }> = [
    { story: 'Retain/Retain: no references, nothing to do', whenDeleted: 'Retain', whenScaled: 'Retain', scaledDown: true, refs: [], want: undefined },
    { story: 'Retain/Retain removes references an earlier policy left', whenDeleted: 'Retain', whenScaled: 'Retain', scaledDown: false, refs: [toSet], want: [] },
    { story: 'whenDeleted=Delete: owned by the set', whenDeleted: 'Delete', whenScaled: 'Retain', scaledDown: false, refs: [], want: [toSet] },
    { story: 'whenDeleted=Delete keeps the set when scaled away', whenDeleted: 'Delete', whenScaled: 'Retain', scaledDown: true, refs: [toSet], want: undefined },
    { story: 'whenScaled=Delete: a pod within the replicas leaves its claim alone', whenDeleted: 'Retain', whenScaled: 'Delete', scaledDown: false, refs: [], want: undefined },
    { story: 'whenScaled=Delete: a scaled-away pod owns its claim', whenDeleted: 'Retain', whenScaled: 'Delete', scaledDown: true, refs: [], want: [toPod] },
    { story: 'Delete/Delete within the replicas: the set', whenDeleted: 'Delete', whenScaled: 'Delete', scaledDown: false, refs: [toPod], want: [toSet] },
    { story: 'Delete/Delete scaled away: the pod instead of the set', whenDeleted: 'Delete', whenScaled: 'Delete', scaledDown: true, refs: [toSet], want: [toPod] },
    { story: 'a stale reference (an earlier pod of that name) is left for the garbage collector', whenDeleted: 'Retain', whenScaled: 'Delete', scaledDown: true, refs: [{ ...toPod, uid: 'old-pod-uid' }], want: undefined },
    {
      story: 'another controller keeps the claim: only our references go',
      whenDeleted: 'Delete',
      whenScaled: 'Retain',
      scaledDown: false,
      refs: [{ apiVersion: 'example.com/v1', kind: 'Backup', name: 'b', uid: 'b-uid', controller: true }, toSet],
      want: [{ apiVersion: 'example.com/v1', kind: 'Backup', name: 'b', uid: 'b-uid', controller: true }],
    },
  ];
  for (const c of cases) {
    it(c.story, () => assert.deepEqual(claimOwnerReferences(claim(...c.refs), set(c.whenDeleted, c.whenScaled), dbPod, c.scaledDown), c.want));
  }
});
