import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, OwnerReference, Pod } from '../../api/types.js';
import { type GcAction, type RefState, blockingDependents, decideDependent, orphanedPodStatus, withoutOwnerReferences } from './gc.js';

const ref = (uid: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid, ...extra });

function obj(refs: OwnerReference[], finalizers?: string[]): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'p-uid', ownerReferences: refs, finalizers } };
}

describe('decideDependent (attemptToDeleteItem)', () => {
  const cases: Array<{ story: string; refs: OwnerReference[]; states: Record<string, RefState>; finalizers?: string[]; hasDependents?: boolean; want: GcAction }> = [
    { story: 'no owners: nothing to do', refs: [], states: {}, want: { action: 'none' } },
    { story: 'a live owner keeps it', refs: [ref('a')], states: { a: 'solid' }, want: { action: 'none' } },
    { story: 'its only owner is gone: background delete', refs: [ref('a')], states: { a: 'dangling' }, want: { action: 'delete', propagationPolicy: 'Background' } },
    {
      story: 'one owner gone, one alive: only the dangling reference goes',
      refs: [ref('a'), ref('b')],
      states: { a: 'dangling', b: 'solid' },
      want: { action: 'removeOwnerReferences', uids: ['a'] },
    },
    {
      story: 'one owner deleting in the foreground, one alive: the waiting reference goes',
      refs: [ref('a'), ref('b')],
      states: { a: 'waiting', b: 'solid' },
      want: { action: 'removeOwnerReferences', uids: ['a'] },
    },
    { story: 'owner deleting in the foreground: delete it', refs: [ref('a')], states: { a: 'waiting' }, want: { action: 'delete', propagationPolicy: 'Background' } },
    {
      story: 'owner deleting in the foreground and it has dependents: cascade in the foreground',
      refs: [ref('a')],
      states: { a: 'waiting' },
      hasDependents: true,
      want: { action: 'delete', propagationPolicy: 'Foreground' },
    },
    {
      story: 'an existing orphan finalizer is honoured',
      refs: [ref('a')],
      states: { a: 'dangling' },
      finalizers: ['orphan'],
      want: { action: 'delete', propagationPolicy: 'Orphan' },
    },
    {
      story: 'an unresolvable reference (unknown kind) is never collected',
      refs: [ref('a'), ref('b')],
      states: { a: 'dangling', b: 'unresolvable' },
      want: { action: 'none' },
    },
  ];
  for (const c of cases) {
    it(c.story, () => {
      assert.deepEqual(decideDependent(obj(c.refs, c.finalizers), new Map(Object.entries(c.states)), c.hasDependents ?? false), c.want);
    });
  }
});

describe('blockingDependents', () => {
  it('only dependents whose reference to the owner has blockOwnerDeletion block it', () => {
    const a = { ...obj([ref('owner', { blockOwnerDeletion: true })]), metadata: { name: 'a', ownerReferences: [ref('owner', { blockOwnerDeletion: true })] } };
    const b = { ...obj([]), metadata: { name: 'b', ownerReferences: [ref('owner')] } };
    const c = { ...obj([]), metadata: { name: 'c', ownerReferences: [ref('owner'), ref('other', { blockOwnerDeletion: true })] } };
    assert.deepEqual(
      blockingDependents('owner', [a, b, c]).map((d) => d.metadata.name),
      ['a'],
    );
  });
});

describe('withoutOwnerReferences', () => {
  it('drops the given owners and the field when none is left', () => {
    assert.deepEqual(withoutOwnerReferences(obj([ref('a'), ref('b')]), new Set(['a'])).metadata.ownerReferences, [ref('b')]);
    assert.equal('ownerReferences' in withoutOwnerReferences(obj([ref('a')]), new Set(['a'])).metadata, false);
  });
});

describe('orphanedPodStatus (PodGC)', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  const cases: Array<{ story: string; phase: string; want: string | undefined }> = [
    { story: 'a running pod is marked Failed', phase: 'Running', want: 'Failed' },
    { story: 'a pending pod is marked Failed', phase: 'Pending', want: 'Failed' },
    { story: 'a succeeded pod keeps its status', phase: 'Succeeded', want: undefined },
    { story: 'a failed pod keeps its status', phase: 'Failed', want: undefined },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const pod: Pod = { metadata: { name: 'p' }, status: { phase: c.phase, conditions: [{ type: 'Ready', status: 'True' }] } };
      const s = orphanedPodStatus(pod, now);
      assert.equal(s?.phase, c.want);
      if (s) {
        const cond = s.conditions.find((x) => x.type === 'DisruptionTarget');
        assert.deepEqual([cond?.status, cond?.reason, cond?.message, cond?.lastTransitionTime], ['True', 'DeletionByPodGC', 'PodGC: node no longer exists', '2025-01-01T00:00:00Z']);
        assert.ok(s.conditions.some((x) => x.type === 'Ready'));
      }
    });
  }
});
