import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/types.js';
import { OwnedPods } from './ownedpods.js';

function pod(name: string, labels: Record<string, string>, state: 'pending' | 'ready' | 'terminating' | 'succeeded'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels, ...(state === 'terminating' ? { deletionTimestamp: '2026-12-03T00:00:00Z' } : {}) },
    status: {
      phase: state === 'pending' ? 'Pending' : state === 'succeeded' ? 'Succeeded' : 'Running',
      conditions: [{ type: 'Ready', status: state === 'ready' || state === 'terminating' ? 'True' : 'False' }],
    },
  };
}

describe("a controller's running tally of its active pods", () => {
  const web = { app: 'web', 'pod-template-hash': 'abc' };
  it('counts active, ready and fully labeled pods as they come and go', () => {
    const a = pod('a', web, 'pending');
    const aReady = pod('a', web, 'ready');
    const b = pod('b', web, 'ready');
    const c = pod('c', { app: 'web' }, 'ready');
    const d = pod('d', web, 'terminating');
    const e = pod('e', web, 'succeeded');
    // [step, action, active, ready, fully labeled by {app: web, pod-template-hash: abc}, by {app: web}]
    const table: Array<[string, (o: OwnedPods) => void, number, number, number, number]> = [
      ['a pending pod', (o) => o.add('default/a', a), 1, 0, 1, 1],
      ['a ready pod', (o) => o.add('default/b', b), 2, 1, 2, 2],
      ['a pod missing a label', (o) => o.add('default/c', c), 3, 2, 2, 3],
      ['a terminating pod is not active', (o) => o.add('default/d', d), 3, 2, 2, 3],
      ['a succeeded pod is not active', (o) => o.add('default/e', e), 3, 2, 2, 3],
      ['a becomes ready (its old version removed first)', (o) => (o.remove('default/a', a), o.add('default/a', aReady)), 3, 3, 2, 3],
      ['removing a version that is no longer the counted one changes nothing', (o) => o.remove('default/a', a), 3, 3, 2, 3],
      ['b deleted', (o) => o.remove('default/b', b), 2, 2, 1, 2],
      ['c deleted', (o) => o.remove('default/c', c), 1, 1, 1, 1],
      ['a deleted', (o) => o.remove('default/a', aReady), 0, 0, 0, 0],
    ];
    const owned = new OwnedPods();
    for (const [step, act, active, ready, full, byApp] of table) {
      act(owned);
      assert.deepEqual(
        [owned.size, owned.ready, owned.fullyLabeled(web), owned.fullyLabeled({ app: 'web' })],
        [active, ready, full, byApp],
        step,
      );
      assert.equal(owned.pods().length, active, step);
    }
  });
});
