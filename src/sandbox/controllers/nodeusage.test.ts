import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/types.js';
import { NodeUsageTable } from './nodeusage.js';

const pod = (owner: string, cpu?: string, memory?: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p-${owner}`, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `uid-${owner}`, controller: true }] },
  spec: { containers: [{ name: 'c', image: 'i', resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } } }] },
});

describe('NodeUsageTable: what bound pods hold per node', () => {
  it('adds and takes away pods, requests and owners per node', () => {
    const t = new NodeUsageTable();
    t.add('a', pod('web', '500m', '1Gi'), 1);
    t.add('a', pod('web', '250m'), 1);
    t.add('b', pod('db', undefined, '512Mi'), 1);
    assert.deepEqual(t.usage('a'), { pods: 2, cpu: 0.75, memory: 1073741824, byOwner: new Map([['uid-web', 2]]) });
    assert.deepEqual(t.usage('b'), { pods: 1, cpu: 0, memory: 536870912, byOwner: new Map([['uid-db', 1]]) });
    assert.deepEqual([...(t.ownerCounts('uid-web')?.entries() ?? [])], [[t.slot('a'), 2]]);
    t.add('a', pod('web', '500m', '1Gi'), -1);
    t.add('a', pod('web', '250m'), -1);
    assert.deepEqual(t.usage('a'), { pods: 0, cpu: 0, memory: 0, byOwner: new Map() });
    assert.equal(t.ownerCounts('uid-web'), undefined, 'an owner with no pods left is forgotten');
    assert.deepEqual(t.usage('never-seen'), { pods: 0, cpu: 0, memory: 0, byOwner: new Map() });
  });

  it('keeps every node\'s figures when it grows past its first size', () => {
    const t = new NodeUsageTable();
    for (let i = 0; i < 200; i++) for (let k = 0; k <= i % 3; k++) t.add(`worker-${i}`, pod(`rs-${i % 5}`), 1);
    assert.deepEqual([0, 1, 2, 64, 65, 199].map((i) => t.usage(`worker-${i}`).pods), [1, 2, 3, 2, 3, 2]);
    assert.equal(t.pods[t.slot('worker-199')], 2);
    assert.equal(t.ownerCounts('uid-rs-4')?.get(t.slot('worker-199')), 2);
  });

  it('counts an owner on many nodes the same as one on few, and forgets it when its last pod goes', () => {
    const t = new NodeUsageTable();
    for (let i = 0; i < 150; i++) t.add(`worker-${i}`, pod('big'), 1);
    t.add('worker-7', pod('big'), 1);
    const counts = t.ownerCounts('uid-big');
    assert.deepEqual([counts?.size, counts?.get(t.slot('worker-7')), counts?.get(t.slot('worker-149')), counts?.get(t.slot('nowhere'))], [150, 2, 1, 0]);
    assert.deepEqual(t.usage('worker-7').byOwner, new Map([['uid-big', 2]]));
    t.add('worker-7', pod('big'), -1);
    for (let i = 0; i < 150; i++) t.add(`worker-${i}`, pod('big'), -1);
    assert.equal(t.ownerCounts('uid-big'), undefined);
  });
});
