// Watches against a fault-injecting HTTPS server: dropped streams, split lines, 410 both ways.
import assert from 'node:assert/strict';
import os from 'node:os';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { StatusError } from '../api/status.js';
import type { KubeObject } from '../api/types.js';
import { KubeClient } from './client.js';
import { FakeApiServer, sendJson, sendStatus, startWatch, type Handler, type RecordedRequest } from './testing/fake-apiserver.js';
import type { InformerEvent, WatchStreamEvent } from './watch.js';

const TIMEOUT = { timeout: 15_000 };
const pods = { version: 'v1', resource: 'pods', namespace: 'default' };

const pod = (name: string, rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', resourceVersion: rv } });
const bookmark = (rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { resourceVersion: rv } });
const expired = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (40)', reason: 'Expired', code: 410 };

function write(res: ServerResponse, text: string): Promise<void> {
  return new Promise((resolve) => res.write(text, () => setTimeout(resolve, 15)));
}
function line(type: string, object: unknown): string {
  return `${JSON.stringify({ type, object })}\n`;
}
/** One scripted answer per watch connection, in order; lists are answered by `list`. */
function watchServer(connections: ((res: ServerResponse, req: RecordedRequest) => Promise<void> | void)[], list?: (req: RecordedRequest, res: ServerResponse) => void): Handler {
  let n = 0;
  return async (req, res) => {
    if (req.query.get('watch') !== 'true') {
      if (list) list(req, res);
      else sendStatus(res, 500, 'InternalError', 'no list scripted');
      return;
    }
    const script = connections[n++];
    if (script) await script(res, req);
    else startWatch(res); // park: stays open until the client goes away
  };
}

async function clientFor(server: FakeApiServer): Promise<KubeClient> {
  return KubeClient.create({
    kubeconfig: server.writeKubeconfig({ token: 't' }),
    retry: { baseDelayMs: 1, maxDelayMs: 4 },
    environment: { env: {}, homeDir: os.tmpdir() },
  });
}

function describeEvent(e: WatchStreamEvent): string {
  if (e.type === 'RELIST') return `RELIST@${e.resourceVersion}[${e.items.map((i) => i.metadata.name).join(',')}]`;
  return `${e.type} ${e.object.metadata.name ?? ''}@${e.object.metadata.resourceVersion}`;
}

async function take(iterable: AsyncIterable<WatchStreamEvent>, count: number): Promise<string[]> {
  const out: string[] = [];
  if (count === 0) return out;
  for await (const e of iterable) {
    out.push(describeEvent(e));
    if (out.length === count) break;
  }
  return out;
}

const watchRequests = (server: FakeApiServer): RecordedRequest[] => server.requests.filter((r) => r.query.get('watch') === 'true');

describe('watch', () => {
  it('reassembles events split across chunks and resumes from the last resourceVersion (bookmarks too) after a dropped connection', TIMEOUT, async () => {
    const server = await FakeApiServer.start(
      watchServer([
        async (res) => {
          startWatch(res);
          const added = line('ADDED', pod('a', '11'));
          await write(res, added.slice(0, 25));
          await write(res, added.slice(25));
          await write(res, line('BOOKMARK', bookmark('15')));
          res.socket?.destroy(); // the connection drops
        },
        async (res) => {
          startWatch(res);
          await write(res, line('MODIFIED', pod('a', '16')));
          res.end(); // the server ends the watch (timeoutSeconds)
        },
        async (res) => {
          startWatch(res);
          await write(res, line('DELETED', pod('a', '17')));
        },
      ]),
    );
    const kube = await clientFor(server);
    try {
      const events = await take(kube.watch(pods, { resourceVersion: '10' }), 4);
      assert.deepEqual(events, ['ADDED a@11', 'BOOKMARK @15', 'MODIFIED a@16', 'DELETED a@17']);
      const watches = watchRequests(server);
      assert.deepEqual(watches.map((r) => r.query.get('resourceVersion')), ['10', '15', '16']);
      assert.ok(watches.every((r) => r.query.get('allowWatchBookmarks') === 'true' && r.path === '/api/v1/namespaces/default/pods'));
      // Without timeoutSeconds each connection asks the server to end it within 5-10 minutes.
      assert.ok(watches.every((r) => Number(r.query.get('timeoutSeconds')) >= 300 && Number(r.query.get('timeoutSeconds')) < 600));
    } finally {
      kube.close();
      await server.close();
    }
  });

  it('relists when the server answers the watch with 410 Gone, then watches from the list', TIMEOUT, async () => {
    const server = await FakeApiServer.start(
      watchServer(
        [
          (res) => sendStatus(res, 410, 'Expired', 'too old resource version: 1 (40)'),
          async (res) => {
            startWatch(res);
            await write(res, line('ADDED', pod('c', '51')));
          },
        ],
        (_req, res) => sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '50' }, items: [pod('a', '41'), pod('b', '42')] }),
      ),
    );
    const kube = await clientFor(server);
    try {
      const events = await take(kube.watch(pods, { resourceVersion: '1', labelSelector: 'app=web', timeoutSeconds: 30 }), 2);
      assert.deepEqual(events, ['RELIST@50[a,b]', 'ADDED c@51']);
      assert.deepEqual(server.paths(), [
        'GET /api/v1/namespaces/default/pods?watch=true&resourceVersion=1&allowWatchBookmarks=true&labelSelector=app%3Dweb&timeoutSeconds=30',
        'GET /api/v1/namespaces/default/pods?labelSelector=app%3Dweb&limit=500',
        'GET /api/v1/namespaces/default/pods?watch=true&resourceVersion=50&allowWatchBookmarks=true&labelSelector=app%3Dweb&timeoutSeconds=30',
      ]);
    } finally {
      kube.close();
      await server.close();
    }
  });

  it('relists on an ERROR event carrying a 410 Status in the middle of the stream', TIMEOUT, async () => {
    const server = await FakeApiServer.start(
      watchServer(
        [
          async (res) => {
            startWatch(res);
            await write(res, line('ADDED', pod('a', '11')));
            await write(res, line('ERROR', expired));
            // the server keeps the stream open; the client must leave on its own
          },
          async (res) => {
            startWatch(res);
            await write(res, line('MODIFIED', pod('a', '61')));
          },
        ],
        (_req, res) => sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '60' }, items: [pod('a', '58')] }),
      ),
    );
    const kube = await clientFor(server);
    try {
      const events = await take(kube.watch(pods, { resourceVersion: '10' }), 3);
      assert.deepEqual(events, ['ADDED a@11', 'RELIST@60[a]', 'MODIFIED a@61']);
      assert.deepEqual(watchRequests(server).map((r) => r.query.get('resourceVersion')), ['10', '60']);
    } finally {
      kube.close();
      await server.close();
    }
  });

  it("throws the 410 instead when the caller says onExpired: 'throw'", TIMEOUT, async () => {
    const server = await FakeApiServer.start(watchServer([(res) => sendStatus(res, 410, 'Expired', 'too old resource version: 1 (40)')]));
    const kube = await clientFor(server);
    try {
      await assert.rejects(take(kube.watch(pods, { resourceVersion: '1', onExpired: 'throw' }), 1), (err: unknown) => err instanceof StatusError && err.code === 410);
      assert.equal(server.requests.length, 1, 'no relist');
    } finally {
      kube.close();
      await server.close();
    }
  });

  it('throws a refusal that retrying cannot fix (403)', TIMEOUT, async () => {
    const server = await FakeApiServer.start(
      watchServer([(res) => sendStatus(res, 403, 'Forbidden', 'pods is forbidden: User "bob" cannot watch resource "pods"')]),
    );
    const kube = await clientFor(server);
    try {
      await assert.rejects(take(kube.watch(pods, { resourceVersion: '1' }), 1), /cannot watch resource "pods"/);
    } finally {
      kube.close();
      await server.close();
    }
  });

  it('keeps reconnecting through server errors, up to the retry bound', TIMEOUT, async () => {
    const unavailable = (res: ServerResponse): void => sendStatus(res, 503, 'ServiceUnavailable', 'apiserver is restarting');
    const server = await FakeApiServer.start(watchServer([unavailable, unavailable, unavailable, unavailable, unavailable, unavailable]));
    const kube = await clientFor(server);
    try {
      await assert.rejects(take(kube.watch(pods, { resourceVersion: '1', retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 } }), 1), /apiserver is restarting/);
      assert.equal(watchRequests(server).length, 4);
    } finally {
      kube.close();
      await server.close();
    }
  });

  it('ends quietly when aborted, closing the connection', TIMEOUT, async () => {
    const server = await FakeApiServer.start(
      watchServer([
        async (res) => {
          startWatch(res);
          await write(res, line('ADDED', pod('a', '11')));
        },
      ]),
    );
    const kube = await clientFor(server);
    const controller = new AbortController();
    try {
      const events: string[] = [];
      for await (const e of kube.watch(pods, { resourceVersion: '10', signal: controller.signal })) {
        events.push(describeEvent(e));
        setTimeout(() => controller.abort(), 20);
      }
      assert.deepEqual(events, ['ADDED a@11']);
      assert.equal(watchRequests(server).length, 1);
    } finally {
      kube.close();
      await server.close();
    }
  });
});

describe('listAndWatch', () => {
  it('keeps the cache equal to the server across events and a relist', TIMEOUT, async () => {
    let lists = 0;
    const server = await FakeApiServer.start(
      watchServer(
        [
          async (res) => {
            startWatch(res);
            await write(res, line('MODIFIED', pod('a', '21')));
            await write(res, line('DELETED', pod('b', '22')));
            await write(res, line('ERROR', expired));
          },
        ],
        (_req, res) => {
          lists++;
          const items = lists === 1 ? [pod('a', '11'), pod('b', '12')] : [pod('a', '31'), pod('c', '32')];
          sendJson(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: lists === 1 ? '20' : '40' }, items });
        },
      ),
    );
    const kube = await clientFor(server);
    try {
      const informer = kube.listAndWatch(pods);
      const seen: string[] = [];
      const render = (e: InformerEvent): string =>
        e.type === 'SYNCED' ? `SYNCED@${e.resourceVersion}` : `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`;
      for await (const e of informer) {
        seen.push(render(e));
        if (e.type === 'SYNCED' && seen.length > 3) break;
      }
      assert.deepEqual(seen, [
        'ADDED a@11',
        'ADDED b@12',
        'SYNCED@20',
        'MODIFIED a@21',
        'DELETED b@22',
        'MODIFIED a@31',
        'ADDED c@32',
        'SYNCED@40',
      ]);
      assert.deepEqual([...informer.cache.keys()].sort(), ['default/a', 'default/c']);
      assert.equal(informer.cache.get('default/a')?.metadata.resourceVersion, '31');
      assert.equal(informer.hasSynced, true);
      assert.equal(watchRequests(server)[0].query.get('resourceVersion'), '20');
    } finally {
      kube.close();
      await server.close();
    }
  });
});
