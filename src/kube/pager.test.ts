import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import { StatusError, errors } from '../api/status.js';
import type { KubeList, KubeObject } from '../api/types.js';
import { KubeClient } from './client.js';
import { listAll, listPages, type FetchList, type ListOptions } from './pager.js';
import type { Query } from './paths.js';
import { FakeApiServer, sendJson, sendStatus } from './testing/fake-apiserver.js';

const pod = (name: string): KubeObject => ({ metadata: { name, namespace: 'ns', uid: `uid-${name}` } });

/**
 * A server with a fixed snapshot of pods served `limit` at a time, with continue tokens "c<offset>".
 * `expireAt` lists the request numbers (1-based) answered with 410 Expired.
 */
function fakeLister(names: string[], expireAt: number[] = [], rv = '100'): { fetch: FetchList; queries: Query[] } {
  const queries: Query[] = [];
  const fetch: FetchList = async (query) => {
    queries.push(query);
    if (expireAt.includes(queries.length)) {
      throw errors.gone('The provided continue parameter is too old to display a consistent list result.');
    }
    const start = query.continue ? Number(String(query.continue).slice(1)) : 0;
    const limit = typeof query.limit === 'number' ? query.limit : names.length;
    const slice = names.slice(start, start + limit);
    const next = start + limit < names.length ? `c${start + limit}` : undefined;
    const list: KubeList = {
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: { resourceVersion: rv, ...(next ? { continue: next, remainingItemCount: names.length - start - limit } : {}) },
      items: slice.map(pod),
    };
    return list;
  };
  return { fetch, queries };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

describe('listPages', () => {
  const cases: {
    story: string;
    names: string[];
    options: ListOptions;
    pages: string[][];
    queries: Query[];
  }[] = [
    {
      story: 'follows continue tokens page by page',
      names: ['a', 'b', 'c', 'd', 'e'],
      options: { limit: 2, labelSelector: 'app=web' },
      pages: [['a', 'b'], ['c', 'd'], ['e']],
      queries: [
        { labelSelector: 'app=web', fieldSelector: undefined, limit: 2, resourceVersion: undefined, resourceVersionMatch: undefined },
        { labelSelector: 'app=web', fieldSelector: undefined, limit: 2, continue: 'c2' },
        { labelSelector: 'app=web', fieldSelector: undefined, limit: 2, continue: 'c4' },
      ],
    },
    {
      story: 'limit 0 asks for everything at once',
      names: ['a', 'b', 'c'],
      options: { limit: 0 },
      pages: [['a', 'b', 'c']],
      queries: [{ labelSelector: undefined, fieldSelector: undefined, limit: undefined, resourceVersion: undefined, resourceVersionMatch: undefined }],
    },
    {
      story: 'resourceVersion goes with the first request only (the server refuses it with continue)',
      names: ['a', 'b', 'c'],
      options: { limit: 2, resourceVersion: '0', fieldSelector: 'spec.nodeName=n1' },
      pages: [['a', 'b'], ['c']],
      queries: [
        { labelSelector: undefined, fieldSelector: 'spec.nodeName=n1', limit: 2, resourceVersion: '0', resourceVersionMatch: undefined },
        { labelSelector: undefined, fieldSelector: 'spec.nodeName=n1', limit: 2, continue: 'c2' },
      ],
    },
    {
      story: 'an empty list is one empty page',
      names: [],
      options: {},
      pages: [[]],
      queries: [{ labelSelector: undefined, fieldSelector: undefined, limit: 500, resourceVersion: undefined, resourceVersionMatch: undefined }],
    },
  ];
  for (const c of cases) {
    it(c.story, async () => {
      const { fetch, queries } = fakeLister(c.names);
      const pages = await collect(listPages(fetch, c.options));
      assert.deepEqual(pages.map((p) => p.items.map((i) => i.metadata.name)), c.pages);
      assert.deepEqual(queries, c.queries);
      assert.ok(pages.every((p) => p.resourceVersion === '100' && p.kind === 'PodList' && !p.restarted));
    });
  }

  it('fills in apiVersion and kind of the items', async () => {
    const { fetch } = fakeLister(['a']);
    const [page] = await collect(listPages(fetch));
    assert.deepEqual(page.items[0], { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'ns', uid: 'uid-a' } });
  });
});

describe('410 Expired in the middle of a list', () => {
  it('is thrown unless the caller allows a restart', async () => {
    const { fetch } = fakeLister(['a', 'b', 'c', 'd'], [2]);
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const item of listAll(fetch, { limit: 2 })) seen.push(item.metadata.name ?? '');
      })(),
      (err: unknown) => err instanceof StatusError && err.code === 410,
    );
    assert.deepEqual(seen, ['a', 'b'], 'the first page was delivered before the failure');
  });

  it('restarts from the first page when allowed, marking the pages and not repeating items', async () => {
    const { fetch, queries } = fakeLister(['a', 'b', 'c', 'd', 'e'], [2]);
    const pages = await collect(listPages(fetch, { limit: 2, restartOnExpired: true }));
    assert.deepEqual(pages.map((p) => [p.restarted, p.items.map((i) => i.metadata.name)]), [
      [false, ['a', 'b']],
      [true, ['a', 'b']],
      [true, ['c', 'd']],
      [true, ['e']],
    ]);
    assert.equal(queries[2].continue, undefined, 'the restart asked for the first page');
    const { fetch: again } = fakeLister(['a', 'b', 'c', 'd', 'e'], [2]);
    const items = await collect(listAll(again, { limit: 2, restartOnExpired: true }));
    assert.deepEqual(items.map((i) => i.metadata.name), ['a', 'b', 'c', 'd', 'e']);
  });

  it('gives up after a few restarts', async () => {
    const { fetch, queries } = fakeLister(['a', 'b', 'c'], [2, 4, 6, 8, 10]);
    await assert.rejects(collect(listAll(fetch, { limit: 2, restartOnExpired: true })), (err: unknown) => err instanceof StatusError && err.code === 410);
    assert.equal(queries.length, 8, 'three restarts, then the fourth 410 is thrown');
  });
});

describe('KubeClient.listAll over HTTPS', () => {
  it('pages through a real server with limit and continue', async () => {
    const names = ['p1', 'p2', 'p3'];
    const server = await FakeApiServer.start((req, res) => {
      if (req.query.get('continue') === 'stale') {
        sendStatus(res, 410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.');
        return;
      }
      const start = Number(req.query.get('continue') ?? 0);
      const limit = Number(req.query.get('limit'));
      const next = start + limit < names.length ? String(start + limit) : '';
      sendJson(res, 200, {
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: { resourceVersion: '55', continue: next },
        items: names.slice(start, start + limit).map((n) => ({ metadata: { name: n, namespace: 'default' } })),
      });
    });
    const kube = await KubeClient.create({ kubeconfig: server.writeKubeconfig({ token: 't' }), environment: { env: {}, homeDir: os.tmpdir() } });
    try {
      const got: string[] = [];
      for await (const p of kube.listAll({ version: 'v1', resource: 'pods', namespace: 'default' }, { limit: 2, fieldSelector: 'spec.nodeName=n1' })) {
        got.push(`${p.kind}/${p.metadata.name}`);
      }
      assert.deepEqual(got, ['Pod/p1', 'Pod/p2', 'Pod/p3']);
      assert.deepEqual(server.paths(), [
        'GET /api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dn1&limit=2',
        'GET /api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dn1&limit=2&continue=2',
      ]);
    } finally {
      kube.close();
      await server.close();
    }
  });
});
