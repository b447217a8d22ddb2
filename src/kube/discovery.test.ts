import assert from 'node:assert/strict';
import os from 'node:os';
import { before, describe, it } from 'node:test';
import { KubeClient } from './client.js';
import {
  discover,
  isAggregatedDiscovery,
  parseAggregated,
  parseLegacyIndex,
  parseResourceList,
  type LegacyResource,
  type LegacyResourceList,
  resolveResource,
  type APIGroupInfo,
  type DiscoveryResult,
} from './discovery.js';
import { UnknownResourceError } from './errors.js';
import { FakeApiServer, sendStatus } from './testing/fake-apiserver.js';
import type { RawResponse } from './transport.js';

// --- one description of a server's API, rendered in both discovery shapes ---

interface Sub {
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs?: string[];
}
interface Res {
  name: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  short?: string[];
  subs?: Sub[];
}
interface Group {
  name: string;
  versions: string[]; // preferred first
  resources: Record<string, Res[]>; // by version
}

const pods: Res = {
  name: 'pods',
  singular: 'pod',
  kind: 'Pod',
  namespaced: true,
  short: ['po'],
  subs: [
    { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
    { name: 'status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
  ],
};
const hpa: Res = { name: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', kind: 'HorizontalPodAutoscaler', namespaced: true, short: ['hpa'] };
const api: Group[] = [
  {
    name: '',
    versions: ['v1'],
    resources: {
      v1: [
        pods,
        { name: 'nodes', singular: 'node', kind: 'Node', namespaced: false, short: ['no'] },
        { name: 'events', singular: 'event', kind: 'Event', namespaced: true, short: ['ev'] },
        { name: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, short: ['ns'] },
      ],
    },
  },
  {
    name: 'apps',
    versions: ['v1'],
    resources: {
      v1: [
        { name: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, short: ['deploy'], subs: [{ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1' }] },
        { name: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', namespaced: true, short: ['ds'] },
      ],
    },
  },
  { name: 'events.k8s.io', versions: ['v1'], resources: { v1: [{ name: 'events', singular: 'event', kind: 'Event', namespaced: true, short: ['ev'] }] } },
  { name: 'autoscaling', versions: ['v2', 'v1'], resources: { v2: [hpa], v1: [hpa] } },
  { name: 'policy', versions: ['v1'], resources: { v1: [{ name: 'poddisruptionbudgets', singular: 'poddisruptionbudget', kind: 'PodDisruptionBudget', namespaced: true, short: ['pdb'] }] } },
  {
    name: 'metrics.k8s.io',
    versions: ['v1beta1'],
    resources: {
      v1beta1: [
        { name: 'nodes', singular: '', kind: 'NodeMetrics', namespaced: false },
        { name: 'pods', singular: '', kind: 'PodMetrics', namespaced: true },
      ],
    },
  },
];

function aggregated(groups: Group[]): unknown {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.name },
      versions: g.versions.map((v) => ({
        version: v,
        freshness: 'Current',
        resources: g.resources[v].map((r) => ({
          resource: r.name,
          responseKind: { group: g.name, version: v, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singular,
          verbs: ['get', 'list', 'watch'],
          ...(r.short ? { shortNames: r.short } : {}),
          subresources: (r.subs ?? []).map((s) => ({
            subresource: s.name,
            responseKind: { group: s.group ?? g.name, version: s.version ?? v, kind: s.kind },
            verbs: s.verbs ?? ['get'],
          })),
        })),
      })),
    })),
  };
}

function legacyResourceList(g: Group, v: string): LegacyResourceList {
  const resources: LegacyResource[] = [];
  for (const r of g.resources[v]) {
    resources.push({ name: r.name, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'list', 'watch'], ...(r.short ? { shortNames: r.short } : {}) });
    for (const s of r.subs ?? []) {
      resources.push({
        name: `${r.name}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: s.kind,
        verbs: s.verbs ?? ['get'],
        ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: g.name ? `${g.name}/${v}` : v, resources };
}

const AGG_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** A DiscoveryGet answering from `api`, aggregated or legacy. */
function fakeGet(mode: 'aggregated' | 'legacy', log: string[] = []): (path: string, accept: string) => Promise<RawResponse> {
  return async (path) => {
    log.push(path);
    const respond = (body: unknown, contentType = 'application/json'): RawResponse => ({ statusCode: 200, headers: {}, contentType, body: Buffer.from(JSON.stringify(body)) });
    if (mode === 'aggregated' && path === '/api') return respond(aggregated(api.filter((g) => !g.name)), AGG_TYPE);
    if (mode === 'aggregated' && path === '/apis') return respond(aggregated(api.filter((g) => g.name)), AGG_TYPE);
    if (path === '/api') return respond({ kind: 'APIVersions', versions: ['v1'] });
    if (path === '/apis') {
      return respond({
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: api.filter((g) => g.name).map((g) => ({
          name: g.name,
          versions: g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v })),
          preferredVersion: { groupVersion: `${g.name}/${g.versions[0]}`, version: g.versions[0] },
        })),
      });
    }
    const m = /^\/(?:api\/(v1)|apis\/(.+)\/([^/]+))$/.exec(path);
    const group = api.find((g) => (m?.[1] ? g.name === '' : g.name === m?.[2]));
    const version = m?.[1] ?? m?.[3] ?? '';
    if (!group || !group.resources[version]) throw new Error(`unexpected ${path}`);
    return respond(legacyResourceList(group, version));
  };
}

describe('isAggregatedDiscovery', () => {
  const cases: [string, boolean][] = [
    [AGG_TYPE, true],
    ['application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io', true],
    ['application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList', true],
    ['application/json', false],
    ['application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList', false],
    ['application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', false],
    ['', false],
  ];
  for (const [type, expected] of cases) it(`${type || '(none)'} -> ${expected}`, () => assert.equal(isAggregatedDiscovery(type), expected));
});

describe('both discovery shapes give the same picture', () => {
  it('aggregated and legacy answers parse to equal groups', async () => {
    const viaAggregated = await discover(fakeGet('aggregated'));
    const viaLegacy = await discover(fakeGet('legacy'));
    assert.equal(viaAggregated.aggregated, true);
    assert.equal(viaLegacy.aggregated, false);
    const strip = (groups: APIGroupInfo[]): unknown =>
      groups.map((g) => ({ ...g, versions: g.versions.map((v) => ({ ...v, resources: v.resources.map((r) => ({ ...r, verbs: [] })) })) }));
    assert.deepEqual(strip(viaLegacy.groups), strip(viaAggregated.groups));
  });

  it('folds pods/eviction into the pods resource with its own group and version', () => {
    const core = api[0];
    const resources = parseResourceList(legacyResourceList(core, 'v1'), '', 'v1');
    const podsInfo = resources.find((r) => r.resource === 'pods');
    assert.deepEqual(podsInfo?.subresources, [
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'status', kind: 'Pod', group: '', version: 'v1', verbs: ['get', 'patch', 'update'] },
    ]);
    assert.ok(!resources.some((r) => r.resource.includes('/')));
  });

  it('orders legacy versions preferred first', () => {
    const [group] = parseLegacyIndex({ kind: 'APIGroupList', groups: [{ name: 'autoscaling', versions: [{ version: 'v1' }, { version: 'v2' }], preferredVersion: { version: 'v2' } }] });
    assert.deepEqual(group.versions.map((v) => v.version), ['v2', 'v1']);
    assert.equal(group.preferredVersion, 'v2');
  });

  it('marks stale aggregated versions', () => {
    const [group] = parseAggregated({ items: [{ metadata: { name: 'metrics.k8s.io' }, versions: [{ version: 'v1beta1', freshness: 'Stale', resources: [] }] }] });
    assert.equal(group.versions[0].stale, true);
  });
});

describe('resolveResource', () => {
  let discovery: DiscoveryResult;
  const cases: { input: string; group: string; version: string; resource: string }[] = [
    { input: 'pods', group: '', version: 'v1', resource: 'pods' },
    { input: 'pod', group: '', version: 'v1', resource: 'pods' },
    { input: 'po', group: '', version: 'v1', resource: 'pods' },
    { input: 'Pod', group: '', version: 'v1', resource: 'pods' },
    { input: 'deploy', group: 'apps', version: 'v1', resource: 'deployments' },
    { input: 'Deployment', group: 'apps', version: 'v1', resource: 'deployments' },
    { input: 'deployments.apps', group: 'apps', version: 'v1', resource: 'deployments' },
    { input: 'deployment.apps', group: 'apps', version: 'v1', resource: 'deployments' },
    { input: 'deployments.v1.apps', group: 'apps', version: 'v1', resource: 'deployments' },
    { input: 'events', group: '', version: 'v1', resource: 'events' }, // core wins over events.k8s.io
    { input: 'events.events.k8s.io', group: 'events.k8s.io', version: 'v1', resource: 'events' },
    { input: 'nodes', group: '', version: 'v1', resource: 'nodes' }, // not metrics.k8s.io's nodes
    { input: 'nodes.metrics.k8s.io', group: 'metrics.k8s.io', version: 'v1beta1', resource: 'nodes' },
    { input: 'NodeMetrics', group: 'metrics.k8s.io', version: 'v1beta1', resource: 'nodes' },
    { input: 'hpa', group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' }, // preferred version
    { input: 'hpa.v1.autoscaling', group: 'autoscaling', version: 'v1', resource: 'horizontalpodautoscalers' },
    { input: 'pdb', group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' },
    { input: ' ns ', group: '', version: 'v1', resource: 'namespaces' },
  ];
  before(async () => {
    discovery = await discover(fakeGet('aggregated'));
  });
  for (const c of cases) {
    it(`"${c.input}" is ${c.resource}.${c.version}.${c.group || 'core'}`, () => {
      const r = resolveResource(discovery, c.input);
      assert.deepEqual([r.group, r.version, r.resource], [c.group, c.version, c.resource]);
    });
  }

  const unknown: { input: string; message: string }[] = [
    { input: 'widgets', message: 'the server doesn\'t have a resource type "widgets"' },
    { input: 'podz', message: 'the server doesn\'t have a resource type "podz"; did you mean "pods"?' },
    { input: 'pods.apps', message: 'the server doesn\'t have a resource type "pods.apps"' }, // no "pods" hint: wrong group
    { input: 'deploymens.apps', message: 'the server doesn\'t have a resource type "deploymens.apps"; did you mean "deployments.apps"?' },
    { input: '', message: 'the server doesn\'t have a resource type ""' },
  ];
  for (const c of unknown) {
    it(`"${c.input}" is unknown`, () => {
      assert.throws(() => resolveResource(discovery, c.input), (err: unknown) => {
        assert.ok(err instanceof UnknownResourceError);
        assert.equal(err.message, c.message);
        return true;
      });
    });
  }
});

describe('KubeClient discovery over HTTPS', () => {
  async function serve(mode: 'aggregated' | 'legacy', failing?: string) {
    const get = fakeGet(mode);
    let inFlight = 0;
    let maxInFlight = 0;
    const server = await FakeApiServer.start(async (req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      if (req.path === failing) {
        sendStatus(res, 503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
        return;
      }
      // Like a real server: aggregated only for clients that ask for it.
      const wantsAggregated = String(req.headers.accept).includes('as=APIGroupDiscoveryList');
      const answer = await (wantsAggregated ? get : fakeGet('legacy'))(req.path, String(req.headers.accept));
      res.writeHead(200, { 'Content-Type': answer.contentType });
      res.end(answer.body);
    });
    const kube = await KubeClient.create({
      kubeconfig: server.writeKubeconfig({ token: 't' }),
      discoveryConcurrency: 2,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
      environment: { env: {}, homeDir: os.tmpdir() },
    });
    return { server, kube, maxInFlight: () => maxInFlight };
  }

  it('uses aggregated discovery in two requests and caches it', async () => {
    const { server, kube } = await serve('aggregated');
    try {
      const result = await kube.discover();
      assert.equal(result.aggregated, true);
      assert.deepEqual(server.paths().sort(), ['GET /api', 'GET /apis']);
      assert.equal((await kube.resolveResource('deploy')).resource, 'deployments');
      assert.equal(server.requests.length, 2, 'the second lookup used the cache');
      await kube.discover({ refresh: true });
      assert.equal(server.requests.length, 4);
    } finally {
      kube.close();
      await server.close();
    }
  });

  it('falls back to per-group requests, bounded in parallel, and survives a failing group', async () => {
    const { server, kube, maxInFlight } = await serve('legacy', '/apis/metrics.k8s.io/v1beta1');
    try {
      const result = await kube.discover();
      assert.equal(result.aggregated, false);
      assert.deepEqual(
        server.paths().filter((p) => p !== 'GET /api' && p !== 'GET /apis').sort(),
        ['GET /api/v1', 'GET /apis/apps/v1', 'GET /apis/autoscaling/v1', 'GET /apis/autoscaling/v2', 'GET /apis/events.k8s.io/v1', 'GET /apis/metrics.k8s.io/v1beta1', 'GET /apis/metrics.k8s.io/v1beta1', 'GET /apis/policy/v1'],
      );
      assert.ok(maxInFlight() <= 2, `at most 2 group requests at once, saw ${maxInFlight()}`);
      assert.deepEqual(result.failed.map((f) => f.groupVersion), ['metrics.k8s.io/v1beta1']);
      assert.match(result.failed[0].message, /unable to handle the request/);
      assert.ok(!result.groups.some((g) => g.name === 'metrics.k8s.io'));
      assert.equal((await kube.resolveResource('pdb')).group, 'policy');
    } finally {
      kube.close();
      await server.close();
    }
  });

  it('serverResourcesForGroupVersion("v1") shows the eviction subresource drain needs', async () => {
    const { server, kube } = await serve('aggregated');
    try {
      const resources = await kube.serverResourcesForGroupVersion('v1');
      const eviction = resources.find((r) => r.resource === 'pods')?.subresources.find((s) => s.name === 'eviction');
      assert.deepEqual(eviction, { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
      assert.deepEqual(server.paths(), ['GET /api/v1']);
    } finally {
      kube.close();
      await server.close();
    }
  });
});
