import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory.js';
import type { KubeObject } from '../../api/types.js';

const cm = (name: string, data: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data });

describe('MemoryStore history', () => {
  it('lists the objects as they were at an older revision', async () => {
    const store = new MemoryStore();
    const a = await store.create('configmaps', cm('a', { v: '1' }));
    const at = Number(a.metadata.resourceVersion);
    await store.update('configmaps', { ...a, data: { v: '2' } }, a.metadata.resourceVersion!);
    await store.create('configmaps', cm('b'));
    const c = await store.create('configmaps', cm('c'));
    await store.delete('configmaps', 'ns', 'c', c.metadata.resourceVersion);
    const then = await store.listAt('configmaps', 'ns', at);
    assert.equal(then.revision, at);
    assert.deepEqual(then.items.map((o) => [o.metadata.name, o.metadata.resourceVersion, (o as { data?: { v?: string } }).data?.v]), [['a', String(at), '1']]);
    const afterC = await store.listAt('configmaps', 'ns', Number(c.metadata.resourceVersion));
    assert.deepEqual(afterC.items.map((o) => o.metadata.name), ['a', 'b', 'c']);
  });

  it('forgets history older than its window: an older watch or Exact list is Expired', async () => {
    let now = 1_000;
    const store = new MemoryStore({ historyWindowMs: 300_000, now: () => now });
    const a = await store.create('configmaps', cm('a'));
    now += 301_000;
    const b = await store.create('configmaps', cm('b'));
    assert.throws(() => store.watch('configmaps', { fromRevision: Number(a.metadata.resourceVersion) - 1 }, () => undefined), /too old resource version/);
    await assert.rejects(store.listAt('configmaps', 'ns', Number(a.metadata.resourceVersion) - 1), /too old resource version/);
    const seen: string[] = [];
    const stop = store.watch('configmaps', { fromRevision: Number(a.metadata.resourceVersion) }, (e) => seen.push(`${e.type} ${e.object.metadata.name}`));
    stop();
    assert.deepEqual(seen, ['ADDED b']);
    assert.ok(b);
  });
});
