// The sandbox on a real etcd (3.4, on loopback): the store keeps objects where kube-apiserver
// keeps them, with etcd's revisions as resourceVersions, compare-and-swap writes, consistent
// paged lists and watches; and the disaster-recovery story end to end: a cluster's etcd is
// lost, restored by upkeep from a snapshot, and a new sandbox on it shows kubectl the same objects.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EtcdProcess, etcdctl, freePort, startEtcd } from './helpers/etcd-process.js';
import { eventually, podPhase, testSandbox, type TestSandbox } from './helpers/sandbox.js';
import { upkeep } from './helpers/cli.js';
import { EtcdStore } from '../src/sandbox/store/etcd.js';
import { StoreError, type StoreEvent } from '../src/sandbox/store/store.js';
import { StatusError } from '../src/api/status.js';
import type { KubeObject } from '../src/api/types.js';

const pod = (ns: string, name: string, extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { containers: [{ name: 'c', image: 'nginx' }] }, ...extra });

async function etcdJson(clientURL: string, prefix: string): Promise<Array<{ key: string; value: Record<string, unknown>; mod: number }>> {
  const r = await etcdctl(['--endpoints', clientURL, 'get', prefix, '--prefix', '-w', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { kvs?: Array<{ key: string; value: string; mod_revision: number }> };
  return (out.kvs ?? []).map((kv) => ({ key: Buffer.from(kv.key, 'base64').toString(), value: JSON.parse(Buffer.from(kv.value, 'base64').toString()), mod: kv.mod_revision }));
}

async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof StoreError && e.code === code && (!message || message.test(e.message)));
}

describe('EtcdStore on real etcd', { timeout: 120_000 }, () => {
  let dir: string;
  let etcd: EtcdProcess;
  let store: EtcdStore;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-etcd-store-'));
    etcd = await startEtcd({ dataDir: path.join(dir, 'etcd') });
    store = await EtcdStore.open({ connection: { endpoints: [etcd.clientURL] }, compactionIntervalMs: 0 });
  });
  after(async () => {
    await store?.close();
    await etcd?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("keeps objects under kube-apiserver's keys, as JSON, with the key's mod_revision as resourceVersion", async () => {
    const made = [
      await store.create('pods', pod('layout', 'web')),
      await store.create('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'layout-node' } }),
      await store.create('services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'layout' } }),
      await store.create('deployments.apps', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'dep', namespace: 'layout' } }),
      await store.create('widgets.example.com', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'layout' } }),
    ];
    const keys = ['/registry/pods/layout/web', '/registry/minions/layout-node', '/registry/services/specs/layout/svc', '/registry/deployments/layout/dep', '/registry/example.com/widgets/layout/w'];
    for (const [i, key] of keys.entries()) {
      const [kv] = await etcdJson(etcd.clientURL, key);
      assert.ok(kv, `${key} exists`);
      assert.equal(String(kv.mod), made[i].metadata.resourceVersion, `${key}: resourceVersion is the mod_revision`);
      assert.equal((kv.value.metadata as Record<string, unknown>).resourceVersion, undefined, 'resourceVersion is not stored');
      assert.equal((kv.value.metadata as Record<string, unknown>).name, made[i].metadata.name);
    }
    assert.equal(store.revision(), Number(made[4].metadata.resourceVersion), 'revision() is the last write');
    assert.deepEqual((await store.get('pods', 'layout', 'web'))?.metadata.resourceVersion, made[0].metadata.resourceVersion);
    assert.ok(store.resources().includes('widgets.example.com'));
  });

  it('writes are compare-and-swap on the revision', async () => {
    const v1 = await store.create('pods', pod('cas', 'p'));
    await rejects(store.create('pods', pod('cas', 'p')), 'AlreadyExists');
    const v2 = await store.update('pods', { ...v1, metadata: { ...v1.metadata, labels: { a: 'b' } } }, v1.metadata.resourceVersion!);
    assert.ok(Number(v2.metadata.resourceVersion) > Number(v1.metadata.resourceVersion));
    await rejects(store.update('pods', v1, v1.metadata.resourceVersion!), 'Conflict', /the object has been modified/);
    await rejects(store.update('pods', pod('cas', 'missing'), '1'), 'NotFound');
    await rejects(store.delete('pods', 'cas', 'p', v1.metadata.resourceVersion), 'Conflict');
    const gone = await store.delete('pods', 'cas', 'p', v2.metadata.resourceVersion);
    assert.deepEqual(gone.metadata.labels, { a: 'b' }, 'delete returns the last state');
    assert.ok(Number(gone.metadata.resourceVersion) > Number(v2.metadata.resourceVersion), '...at the revision of the deletion');
    await rejects(store.delete('pods', 'cas', 'p'), 'NotFound');
    assert.equal(await store.get('pods', 'cas', 'p'), undefined);
  });

  it('lists page at one revision with continue tokens, and count what remains', async () => {
    for (let i = 0; i < 7; i++) await store.create('pods', pod('paging', `p${i}`, { metadata: { name: `p${i}`, namespace: 'paging', labels: { odd: String(i % 2 === 1) } } }));
    const first = await store.list('pods', 'paging', { limit: 3, countRemaining: true });
    assert.deepEqual(first.items.map((o) => o.metadata.name), ['p0', 'p1', 'p2']);
    assert.equal(first.remainingItemCount, 4);
    assert.ok(first.continue);
    // Writes after the first page do not show in later pages: the list is a snapshot.
    await store.create('pods', pod('paging', 'p9'));
    await store.delete('pods', 'paging', 'p5');
    const second = await store.list('pods', 'paging', { limit: 3, continue: first.continue });
    assert.deepEqual(second.items.map((o) => o.metadata.name), ['p3', 'p4', 'p5']);
    assert.equal(second.revision, first.revision);
    const third = await store.list('pods', 'paging', { limit: 3, continue: second.continue });
    assert.deepEqual(third.items.map((o) => o.metadata.name), ['p6']);
    assert.equal(third.continue, undefined);
    // A filter applies before paging, as kube-apiserver's predicate.
    const odd = await store.list('pods', 'paging', { limit: 2, filter: (o) => o.metadata.labels?.odd === 'true' });
    assert.deepEqual(odd.items.map((o) => o.metadata.name), ['p1', 'p3']);
    const rest = await store.list('pods', 'paging', { limit: 2, continue: odd.continue, filter: (o) => o.metadata.labels?.odd === 'true' });
    assert.deepEqual(rest.items.map((o) => o.metadata.name), []);
    // All namespaces: everything under /registry/pods/.
    const all = await store.list('pods', undefined);
    assert.ok(all.items.some((o) => o.metadata.namespace === 'layout') && all.items.some((o) => o.metadata.namespace === 'paging'));
  });

  it('a continue token whose revision etcd compacted is Expired; a malformed one is a bad request', async () => {
    for (let i = 0; i < 3; i++) await store.create('pods', pod('compact', `p${i}`));
    const page = await store.list('pods', 'compact', { limit: 1 });
    await store.create('pods', pod('compact', 'later'));
    const c = await etcdctl(['--endpoints', etcd.clientURL, 'compact', String(store.revision())]);
    assert.equal(c.code, 0, c.stderr);
    await rejects(store.list('pods', 'compact', { limit: 1, continue: page.continue }), 'Expired', /The provided continue parameter is too old to display a consistent list result/);
    await assert.rejects(store.list('pods', 'compact', { continue: 'not a token!' }), (e: unknown) => e instanceof StatusError && e.status.code === 400);
  });

  it('watchers see writes from anyone (etcdctl too), replay from a revision, and too old revisions are Expired', async () => {
    const events: StoreEvent[] = [];
    const from = store.revision();
    const stop = store.watch('configmaps', { namespace: 'watched', fromRevision: from }, (e) => events.push(e));
    const cm = await store.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'watched' }, data: { k: '1' } });
    assert.equal(events.length, 1, 'the event is delivered before the write returns');
    // Another writer, straight to etcd: the object appears as MODIFIED with its previous state.
    const other = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'watched' }, data: { k: '2' } });
    assert.equal((await etcdctl(['--endpoints', etcd.clientURL, 'put', '/registry/configmaps/watched/a', other])).code, 0);
    assert.equal((await etcdctl(['--endpoints', etcd.clientURL, 'del', '/registry/configmaps/watched/a'])).code, 0);
    await store.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'elsewhere', namespace: 'other' } });
    await eventually('three events', () => events.length >= 3 || undefined);
    stop();
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name, (e.object as { data?: { k?: string } }).data?.k, (e.prev as { data?: { k?: string } } | undefined)?.data?.k]),
      [
        ['ADDED', 'a', '1', undefined],
        ['MODIFIED', 'a', '2', '1'],
        ['DELETED', 'a', '2', undefined],
      ],
    );
    assert.equal(events[0].object.metadata.resourceVersion, cm.metadata.resourceVersion);
    assert.deepEqual(events.map((e) => e.revision), events.map((e) => Number(e.object.metadata.resourceVersion)), 'events carry their revision');
    // Resuming from the first event replays the rest from history.
    const replay: StoreEvent[] = [];
    store.watch('configmaps', { namespace: 'watched', fromRevision: events[0].revision }, (e) => replay.push(e))();
    assert.deepEqual(replay.map((e) => e.type), ['MODIFIED', 'DELETED']);
    // A store started later has no history before its start: "too old resource version", as
    // kube-apiserver's watch cache says; the client relists.
    const late = await EtcdStore.open({ connection: { endpoints: [etcd.clientURL] }, compactionIntervalMs: 0 });
    try {
      assert.throws(
        () => late.watch(undefined, { fromRevision: events[0].revision }, () => undefined),
        (e: unknown) => e instanceof StoreError && e.code === 'Expired' && new RegExp(`too old resource version: ${events[0].revision} \\(${late.revision()}\\)`).test(e.message),
      );
    } finally {
      await late.close();
    }
  });
});

describe('disaster recovery: a sandbox on etcd, its etcd lost and restored by upkeep', { timeout: 240_000 }, () => {
  let dir: string;
  const cleanups: Array<() => Promise<void>> = [];

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-etcd-dr-'));
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('kubectl shows the same objects after the restore', async () => {
    // Day 1: a cluster whose API server keeps its state in etcd.
    const etcd = await startEtcd({ dataDir: path.join(dir, 'etcd-data') });
    cleanups.push(() => etcd.stop());
    const sb: TestSandbox = await testSandbox({ etcd: { endpoints: [etcd.clientURL] } });
    cleanups.push(() => sb.stop());
    const apply = await sb.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.27}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {currency: EUR}
---
apiVersion: v1
kind: Secret
metadata: {name: db-password, namespace: shop}
data: {password: czNjcmV0}
`,
    });
    assert.equal(apply.code, 0, apply.stderr);
    await eventually('2 running web pods', async () => {
      const pods = (await sb.list('pods', 'shop')).filter((p) => podPhase(p) === 'Running');
      return pods.length === 2 || undefined;
    });
    // What the admin sees before the disaster.
    const view = async (s: TestSandbox) => {
      const r = await s.kubectl(['get', 'deployment,replicaset,pod,configmap,secret,serviceaccount', '-n', 'shop', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const ns = await s.kubectl(['get', 'namespace', 'shop', '-o', 'json']);
      assert.equal(ns.code, 0, ns.stderr);
      const items = [...(JSON.parse(r.stdout) as { items: KubeObject[] }).items, JSON.parse(ns.stdout) as KubeObject];
      return items.map((o) => `${o.kind}/${o.metadata.name} uid=${o.metadata.uid}`).sort();
    };
    const beforeView = await view(sb);
    assert.equal(beforeView.filter((l) => l.startsWith('Pod/')).length, 2);
    const nodesBefore = (await sb.kubectl(['get', 'nodes', '-o', 'name'])).stdout;
    const apiserver = await sb.kubectl(['get', 'pod', '-n', 'kube-system', 'kube-apiserver-controlplane', '-o', 'jsonpath={.spec.containers[0].command}']);
    assert.match(apiserver.stdout, new RegExp(`--etcd-servers=${etcd.clientURL}`), "the API server's mirror pod names the real etcd");

    // The backup, taken with upkeep.
    const snapshot = path.join(dir, 'backup.db');
    const saved = await upkeep(['etcd', 'snapshot', 'save', snapshot, '--endpoints', etcd.clientURL]);
    assert.equal(saved.code, 0, saved.err);

    // The disaster: the API server goes, etcd goes, its data directory is gone.
    await sb.stop();
    await etcd.stop();
    await fs.rm(path.join(dir, 'etcd-data'), { recursive: true, force: true });

    // The recovery: upkeep restores the snapshot into a new data directory (with the revision
    // bump Kubernetes wants), etcd starts on it, and a new API server on that etcd.
    const peerPort = await freePort();
    const restored = path.join(dir, 'etcd-from-backup');
    const r = await upkeep([
      'etcd', 'snapshot', 'restore', snapshot,
      '--data-dir', restored,
      '--name', 'etcd-1',
      '--initial-cluster', `etcd-1=http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--bump-revision', '1000000000', '--mark-compacted',
    ]);
    assert.equal(r.code, 0, r.err);
    const etcd2 = await startEtcd({ dataDir: restored, name: 'etcd-1', peerPort });
    cleanups.push(() => etcd2.stop());
    const sb2 = await testSandbox({ etcd: { endpoints: [etcd2.clientURL] } });
    cleanups.push(() => sb2.stop());

    assert.deepEqual(await view(sb2), beforeView, 'the same namespace, deployment, replica set, pods, config map and secret, with the same uids');
    assert.equal((await sb2.kubectl(['get', 'nodes', '-o', 'name'])).stdout, nodesBefore);
    const secret = await sb2.kubectl(['get', 'secret', 'db-password', '-n', 'shop', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(secret.stdout, 'base64').toString(), 's3cret');
    // Resource versions moved forward past the bump: clients holding old ones must relist.
    const rv = await sb2.kubectl(['get', 'configmap', 'settings', '-n', 'shop', '-o', 'jsonpath={.metadata.resourceVersion}']);
    assert.ok(Number(rv.stdout) < 1_000_000_000, 'objects keep the revision they were written at');
    const list = await sb2.kubectl(['get', '--raw', '/api/v1/namespaces/shop/configmaps']);
    const listRV = (JSON.parse(list.stdout) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    assert.ok(Number(listRV) >= 1_000_000_000, `a list is at a revision past the bump (${listRV})`);
    // A watch resuming from before the disaster is told its resourceVersion is gone.
    const watch = await sb2.kubectl(['get', '--raw', `/api/v1/namespaces/shop/configmaps?watch=true&resourceVersion=${rv.stdout}&timeoutSeconds=1`]);
    assert.match(watch.stdout, /"code":410/);
    // The restored cluster works: scaling the deployment makes a new pod.
    assert.equal((await sb2.kubectl(['scale', 'deployment/web', '-n', 'shop', '--replicas=3'])).code, 0);
    await eventually('3 web pods', async () => ((await sb2.list('pods', 'shop')).length === 3 ? true : undefined));
  });
});
