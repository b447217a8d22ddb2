// List and watch semantics clients depend on: bookmarks (also one before a watch times out),
// history compacted after five simulated minutes (410 Gone, and informers relist),
// resourceVersionMatch, a future resourceVersion (504), sendInitialEvents by server version, and
// Kubernetes' protobuf encoding for clients that accept only protobuf.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { type TestSandbox, eventually, testSandbox } from './helpers/sandbox.js';
import { rawRequest } from './helpers/raw-http.js';
import { decodeProtobuf, decodeWatchFrames } from '../src/sandbox/server/protobuf/codec.js';
import { bulkScenario, parseScenario } from '../src/sandbox/index.js';

function lines(text: string): Array<{ type: string; object: { kind?: string; code?: number; message?: string; reason?: string; metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } } }> {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('list and watch semantics', () => {
  let sb: TestSandbox;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  before(async () => {
    // 600x: five simulated minutes of history are half a real second; watches end after 2 s.
    sb = await testSandbox({ timeScale: 600, maxWatchSeconds: 2 });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(sb.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'w' } } });
  });
  after(async () => sb?.stop());

  it('sends a BOOKMARK to @kubernetes/client-node before the watch times out', async () => {
    const events: Array<[string, string | undefined, string | undefined]> = [];
    await new Promise<void>((resolve, reject) => {
      new k8s.Watch(kc)
        .watch('/api/v1/namespaces/w/configmaps', { allowWatchBookmarks: true, timeoutSeconds: 3 }, (type, obj: k8s.V1ConfigMap) => events.push([type, obj.kind, obj.metadata?.resourceVersion]), (err) => (err ? reject(err) : resolve()))
        .catch(reject);
    });
    const bookmark = events.find(([type]) => type === 'BOOKMARK');
    assert.ok(bookmark, `events: ${JSON.stringify(events)}`);
    assert.equal(bookmark[1], 'ConfigMap');
    assert.match(bookmark[2] ?? '', /^\d+$/);
  });

  it('answers a watch from a compacted resourceVersion with 410 Gone "too old resource version"', async () => {
    const first = await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'old' } } });
    const oldRv = first.metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'newer' } } });
    const r = await eventually('history compacted past the old resourceVersion', async () => {
      const res = await rawRequest(sb.sandbox, 'GET', `/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=${oldRv}`, { until: (t) => t.includes('\n'), readMs: 3000 });
      const first = lines(res.text)[0];
      return first?.type === 'ERROR' ? first : undefined;
    });
    assert.equal(r.object.code, 410);
    assert.equal(r.object.reason, 'Expired');
    assert.match(r.object.message ?? '', new RegExp(`^too old resource version: ${oldRv} \\(\\d+\\)$`));
    const list = await rawRequest(sb.sandbox, 'GET', `/api/v1/namespaces/w/configmaps?resourceVersion=${oldRv}&resourceVersionMatch=Exact`);
    assert.equal(list.status, 410);
    assert.equal(JSON.parse(list.text).message, 'The resourceVersion for the provided list is too old.');
  });

  it('relists a @kubernetes/client-node informer after 410 and keeps its cache right', async () => {
    let lists = 0;
    const listFn = async () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace: 'w' });
    };
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/w/configmaps', listFn);
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'after-start' } } });
      // Writes elsewhere move the revision on; history compacts; the next re-watch gets 410.
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'elsewhere' } } });
      await eventually('the informer relisted', () => lists >= 2, 30_000);
      await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'after-relist' } } });
      const names = await eventually('the informer cache has every ConfigMap', () => {
        const n = informer.list('w').map((c) => c.metadata!.name!).sort();
        return n.includes('after-relist') ? n : undefined;
      });
      assert.deepEqual(names, ['after-relist', 'after-start', 'kube-root-ca.crt', 'newer', 'old']);
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });

});

describe('list options and protobuf answers', () => {
  let sb: TestSandbox;
  let core: k8s.CoreV1Api;
  before(async () => {
    // Real time (history kept five real minutes), API server only.
    sb = await testSandbox({ timeScale: 1, controllers: false });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(sb.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'w' } } });
    await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'old' } } });
  });
  after(async () => sb?.stop());

  it('lists at an Exact older resourceVersion, and answers 504 for a future one', async () => {
    const a = await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'exact-a' } } });
    await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'exact-b' } } });
    const rv = a.metadata!.resourceVersion!;
    const exact = await rawRequest(sb.sandbox, 'GET', `/api/v1/namespaces/w/configmaps?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    assert.equal(exact.status, 200, exact.text);
    const body = JSON.parse(exact.text) as { metadata: { resourceVersion: string }; items: Array<{ metadata: { name: string } }> };
    assert.equal(body.metadata.resourceVersion, rv);
    assert.ok(body.items.some((i) => i.metadata.name === 'exact-a'));
    assert.ok(!body.items.some((i) => i.metadata.name === 'exact-b'), 'exact-b came later');
    const future = Number(exact.text && body.metadata.resourceVersion) + 1_000_000;
    const tooLarge = await rawRequest(sb.sandbox, 'GET', `/api/v1/namespaces/w/configmaps?resourceVersion=${future}&resourceVersionMatch=NotOlderThan`);
    assert.equal(tooLarge.status, 504);
    const status = JSON.parse(tooLarge.text) as { reason: string; message: string; details: { causes: Array<{ reason: string }>; retryAfterSeconds: number } };
    assert.equal(status.reason, 'Timeout');
    assert.match(status.message, new RegExp(`^Timeout: Too large resource version: ${future}, current: \\d+$`));
    assert.deepEqual(status.details.causes, [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }]);
  });

  it('refuses resourceVersionMatch without a resourceVersion, and sendInitialEvents on a 1.31 server, with 422', async () => {
    const r = await rawRequest(sb.sandbox, 'GET', '/api/v1/namespaces/w/configmaps?resourceVersionMatch=Exact');
    assert.equal(r.status, 422);
    assert.equal(JSON.parse(r.text).message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
    const w = await rawRequest(sb.sandbox, 'GET', '/api/v1/namespaces/w/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
    assert.equal(w.status, 422);
    assert.equal(JSON.parse(w.text).message, 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled');
  });

  it('answers a client that accepts only protobuf in Kubernetes protobuf', async () => {
    const r = await rawRequest(sb.sandbox, 'GET', '/api/v1/namespaces/w/configmaps/old', { headers: { Accept: 'application/vnd.kubernetes.protobuf' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.kubernetes.protobuf');
    const cm = decodeProtobuf(r.body) as { kind: string; apiVersion: string; metadata: { name: string; namespace: string } };
    assert.deepEqual([cm.kind, cm.apiVersion, cm.metadata.name, cm.metadata.namespace], ['ConfigMap', 'v1', 'old', 'w']);
    const missing = await rawRequest(sb.sandbox, 'GET', '/api/v1/namespaces/w/configmaps/missing', { headers: { Accept: 'application/vnd.kubernetes.protobuf' } });
    assert.equal(missing.status, 404);
    const status = decodeProtobuf(missing.body) as { kind: string; reason: string; message: string; code: number };
    assert.deepEqual([status.kind, status.reason, status.message, status.code], ['Status', 'NotFound', 'configmaps "missing" not found', 404]);
    const watch = await rawRequest(sb.sandbox, 'GET', '/api/v1/namespaces/w/configmaps?watch=1', {
      headers: { Accept: 'application/vnd.kubernetes.protobuf' },
      until: () => false,
      readMs: 1500,
    });
    assert.equal(watch.headers['content-type'], 'application/vnd.kubernetes.protobuf;stream=watch');
    const events = decodeWatchFrames(watch.body).map((e) => [e.type, e.object.kind, (e.object.metadata as { name?: string }).name]);
    assert.deepEqual(events.filter((e) => e[2] === 'old'), [['ADDED', 'ConfigMap', 'old']]);
  });
});

describe('sendInitialEvents on a 1.32 control plane (WatchList on)', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await testSandbox({ scenario: parseScenario(bulkScenario(1, 0, 'v1.32.0'), 'bulk'), timeScale: 1, controllers: false });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(sb.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'w' } } });
    for (const name of ['a', 'b']) await core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name } } });
  });
  after(async () => sb?.stop());

  it('streams the current state, then a bookmark marking the end of the initial events', async () => {
    const r = await rawRequest(sb.sandbox, 'GET', '/api/v1/namespaces/w/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true', {
      until: (t) => t.includes('"BOOKMARK"'),
    });
    assert.equal(r.status, 200);
    const events = lines(r.text);
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata?.name ?? '', e.object.metadata?.annotations?.['k8s.io/initial-events-end'] ?? '']),
      [
        ['ADDED', 'a', ''],
        ['ADDED', 'b', ''],
        ['BOOKMARK', '', 'true'],
      ],
    );
  });
});
