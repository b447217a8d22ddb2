// End-to-end API semantics of the sandbox over real HTTPS: each test is a small story that a
// client of kube-apiserver would notice (codes, reasons, messages, object fields), answered the
// way kube-apiserver v1.32 answers it. The sandboxes run without controllers, so every status
// (pod phase, PDB counters) is set by the test itself.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseScenario, startSandbox, type Sandbox, type SandboxOptions } from '../src/sandbox/index.js';
import { MemoryStore } from '../src/sandbox/store/memory.js';
import { KubeClient, StatusError } from '../src/kube/index.js';
import type { KubeList, KubeObject, Status } from '../src/api/types.js';

type Obj = Record<string, unknown>;

const SCENARIO = parseScenario(
  `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: api}
spec:
  controlPlane: {version: v1.32.4}
  nodes:
    - {name: cp, role: control-plane}
    - {name: n1}
`,
  'api',
);

const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

// ---- harness ----

interface Env {
  sb: Sandbox;
  client: KubeClient;
  kubeconfig: string;
  dir: string;
  stop(): Promise<void>;
}

async function start(options: SandboxOptions = {}): Promise<Env> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-api-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  const sb = await startSandbox({ controllers: false, scenario: SCENARIO, ...options, kubeconfigOut: kubeconfig });
  // One attempt per request: the story is about what the server answers, not about retries.
  const client = await KubeClient.create({ kubeconfig, retry: { maxAttempts: 1 } });
  return {
    sb,
    client,
    kubeconfig,
    dir,
    async stop() {
      client.close();
      await sb.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

interface RawResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The server ended the response (rather than the reader stopping at readMs or until). */
  ended: boolean;
  json<T = Obj>(): T;
}

interface RawOptions {
  /** undefined: the sandbox's token; null: no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Stop reading after this many ms (for watch streams); what arrived so far is returned. */
  readMs?: number;
  /** Stop reading once the body so far satisfies this. */
  until?: (text: string) => boolean;
}

function raw(env: { sb: Sandbox }, method: string, urlPath: string, opts: RawOptions = {}): Promise<RawResult> {
  const base = { url: env.sb.url, ca: env.sb.caCertPem, token: env.sb.token };
  const token = opts.token === undefined ? base.token : opts.token;
  const headers: Record<string, string | number> = { Accept: 'application/json', ...opts.headers };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) {
    headers['Content-Length'] = Buffer.byteLength(opts.body);
    if (!headers['Content-Type']) headers['Content-Type'] = 'application/json';
  }
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(urlPath, base.url), { method, ca: base.ca, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      const finish = (ended: boolean) => {
        if (timer) clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, ended, json: <T>() => JSON.parse(text) as T });
        res.destroy();
      };
      if (opts.readMs !== undefined) timer = setTimeout(() => finish(false), opts.readMs);
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        if (opts.until?.(Buffer.concat(chunks).toString('utf8'))) finish(false);
      });
      res.on('end', () => finish(true));
      res.on('error', () => finish(false));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** The request must fail with a StatusError; returns its Status. */
async function failsWith(p: Promise<unknown>, expected: { code: number; reason?: string; message?: string | RegExp }): Promise<Status> {
  let status: Status | undefined;
  try {
    await p;
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    status = e.status;
  }
  assert.ok(status, `expected a ${expected.code} failure, but the request succeeded`);
  assert.equal(status.code, expected.code, `code (message: ${status.message})`);
  if (expected.reason !== undefined) assert.equal(status.reason, expected.reason);
  if (typeof expected.message === 'string') assert.equal(status.message, expected.message);
  else if (expected.message) assert.match(status.message ?? '', expected.message);
  return status;
}

async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

async function gone(client: KubeClient, p: string): Promise<boolean> {
  try {
    await client.get(p);
    return false;
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) return true;
    throw e;
  }
}

const nsPath = (ns: string, resource: string, name?: string, sub?: string) =>
  `/api/v1/namespaces/${ns}/${resource}${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`;

async function namespace(client: KubeClient, name: string): Promise<void> {
  await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

function configMap(name: string, labels?: Record<string, string>, extra: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}), ...(extra.metadata ?? {}) }, data: { k: 'v' } };
}

function pod(name: string, opts: { labels?: Record<string, string>; nodeName?: string; containers?: Obj[] } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: { ...(opts.nodeName ? { nodeName: opts.nodeName } : {}), containers: opts.containers ?? [{ name: 'app', image: 'nginx:1.27.3' }] },
  };
}

/** A pod bound to n1, Running, and Ready (or not): what the kubelet would report. */
async function runningPod(client: KubeClient, ns: string, name: string, labels: Record<string, string>, ready = true): Promise<KubeObject> {
  await client.create(nsPath(ns, 'pods'), pod(name, { labels, nodeName: 'n1' }));
  return client.patch(
    nsPath(ns, 'pods', name, 'status'),
    { status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } },
    'merge',
  );
}

/** A PDB whose status the disruption controller would have written. */
async function budget(client: KubeClient, ns: string, name: string, matchLabels: Record<string, string>, status: Obj, spec: Obj = {}): Promise<KubeObject> {
  await client.create(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name },
    spec: { minAvailable: 1, selector: { matchLabels }, ...spec },
  });
  return client.patch(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${name}/status`, { status: { observedGeneration: 1, ...status } }, 'merge');
}

/** Real kubectl against the sandbox, with a private discovery cache. */
function runKubectl(env: Env, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', env.kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(env.dir, 'cache'), HOME: env.dir }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const evictionOf = (name: string, deleteOptions: Obj = {}) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name }, deleteOptions });
const names = (list: { items: KubeObject[] }): string[] => list.items.map((o) => o.metadata.name ?? '');

// ---- stories ----

describe('authentication', () => {
  let env: Env;
  before(async () => (env = await start()));
  after(() => env.stop());

  it('answers a wrong token with 401 Unauthorized, on every path', async () => {
    const unauthorized = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
    for (const p of ['/api/v1/namespaces', '/api', '/version', '/healthz']) {
      const r = await raw(env, 'GET', p, { token: 'not-the-token' });
      assert.equal(r.status, 401, p);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      assert.deepEqual(r.json(), unauthorized, p);
    }
  });

  it('treats a request without a token as system:anonymous, which RBAC forbids all but health and version', async () => {
    // kubeadm leaves --anonymous-auth on, so no token is not a 401 but a 403 from RBAC.
    const cases: Array<[string, string, string, Obj]> = [
      ['GET', '/api/v1/nodes', 'nodes is forbidden: User "system:anonymous" cannot list resource "nodes" in API group "" at the cluster scope', { kind: 'nodes' }],
      [
        'GET',
        '/api/v1/namespaces/default/pods?watch=true',
        'pods is forbidden: User "system:anonymous" cannot watch resource "pods" in API group "" in the namespace "default"',
        { kind: 'pods' },
      ],
      [
        'POST',
        '/api/v1/namespaces/default/pods/p/eviction',
        'pods "p" is forbidden: User "system:anonymous" cannot create resource "pods/eviction" in API group "" in the namespace "default"',
        { name: 'p', kind: 'pods' },
      ],
      [
        'DELETE',
        '/apis/apps/v1/namespaces/kube-system/deployments',
        'deployments.apps is forbidden: User "system:anonymous" cannot deletecollection resource "deployments" in API group "apps" in the namespace "kube-system"',
        { group: 'apps', kind: 'deployments' },
      ],
      ['GET', '/api/v1/namespaces/default', 'namespaces "default" is forbidden: User "system:anonymous" cannot get resource "namespaces" in API group "" in the namespace "default"', { name: 'default', kind: 'namespaces' }],
      ['GET', '/apis', 'forbidden: User "system:anonymous" cannot get path "/apis"', {}],
    ];
    for (const [method, p, message, details] of cases) {
      const r = await raw(env, method, p, { token: null, ...(method === 'POST' ? { body: '{}' } : {}) });
      assert.equal(r.status, 403, p);
      assert.deepEqual(r.json(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403 }, p);
    }
  });

  it('serves /version, /healthz, /livez and /readyz to anonymous clients', async () => {
    const v = await raw(env, 'GET', '/version', { token: null });
    assert.equal(v.status, 200);
    const info = v.json<{ major: string; minor: string; gitVersion: string; platform: string }>();
    assert.deepEqual([info.major, info.minor, info.gitVersion, info.platform], ['1', '32', 'v1.32.4', 'linux/amd64']);
    for (const p of ['/healthz', '/livez', '/readyz']) {
      const h = await raw(env, 'GET', p, { token: null });
      assert.equal(h.status, 200, p);
      assert.equal(h.text, 'ok');
    }
  });

});

describe('create', () => {
  let env: Env;
  before(async () => {
    env = await start();
    await namespace(env.client, 'create');
  });
  after(() => env.stop());

  it('sets uid, creationTimestamp and resourceVersion; generateName gets a 5-character suffix', async () => {
    const created = await env.client.create(nsPath('create', 'configmaps'), configMap('plain'));
    assert.match(created.metadata.uid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(created.metadata.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(created.metadata.resourceVersion ?? '', /^\d+$/);
    assert.equal(created.metadata.namespace, 'create');
    const again = await env.client.get<KubeObject>(nsPath('create', 'configmaps', 'plain'));
    assert.deepEqual(again, created);

    const generated = await env.client.create(nsPath('create', 'configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
    assert.match(generated.metadata.name ?? '', /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(generated.metadata.generateName, 'gen-');
  });

  it('answers 409 AlreadyExists for a taken name', async () => {
    await env.client.create(nsPath('create', 'configmaps'), configMap('taken'));
    const s = await failsWith(env.client.create(nsPath('create', 'configmaps'), configMap('taken')), {
      code: 409,
      reason: 'AlreadyExists',
      message: 'configmaps "taken" already exists',
    });
    assert.deepEqual(s.details, { name: 'taken', kind: 'configmaps' });
  });

  it('answers 404 for a namespace that does not exist', async () => {
    const s = await failsWith(env.client.create(nsPath('nowhere', 'configmaps'), configMap('x')), {
      code: 404,
      reason: 'NotFound',
      message: 'namespaces "nowhere" not found',
    });
    assert.deepEqual(s.details, { name: 'nowhere', kind: 'namespaces' });
  });

  it('answers 422 Invalid with causes for a bad name and for a pod without containers', async () => {
    const bad = await failsWith(env.client.create(nsPath('create', 'configmaps'), configMap('Bad_Name')), { code: 422, reason: 'Invalid' });
    assert.match(bad.message ?? '', /^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
    assert.equal(bad.details?.kind, 'ConfigMap');
    assert.equal(bad.details?.name, 'Bad_Name');
    assert.equal(bad.details?.causes?.[0]?.field, 'metadata.name');

    const empty = await failsWith(env.client.create(nsPath('create', 'pods'), { ...pod('empty'), spec: { containers: [] } }), {
      code: 422,
      reason: 'Invalid',
      message: 'Pod "empty" is invalid: spec.containers: Required value',
    });
    assert.deepEqual(
      empty.details?.causes?.map((c) => [c.field, c.message]),
      [['spec.containers', 'Required value']],
    );
    assert.ok(await gone(env.client, nsPath('create', 'pods', 'empty')));
  });

  it('answers 400 when the body names another kind or apiVersion than the URL', async () => {
    const wrongVersion = await failsWith(
      env.client.create('/apis/policy/v1/namespaces/create/poddisruptionbudgets', { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'x' }, spec: {} }),
      { code: 400, reason: 'BadRequest' },
    );
    assert.equal(wrongVersion.message, 'the API version in the data (policy/v1beta1) does not match the expected API version (policy/v1)');
    const wrongKind = await failsWith(env.client.create(nsPath('create', 'pods'), configMap('x')), { code: 400, reason: 'BadRequest' });
    assert.match(wrongKind.message ?? '', /^ConfigMap in version "v1" cannot be handled as a Pod: /);
    assert.ok(await gone(env.client, nsPath('create', 'pods', 'x')));
  });

  it('dryRun=All answers like a create but stores nothing', async () => {
    const dry = await env.client.create(nsPath('create', 'configmaps'), configMap('dry'), { dryRun: 'All' });
    assert.equal(dry.metadata.name, 'dry');
    assert.ok(dry.metadata.uid, 'a dry-run create still fills in the uid');
    assert.ok(await gone(env.client, nsPath('create', 'configmaps', 'dry')));
    await failsWith(env.client.create(nsPath('create', 'configmaps'), configMap('x'), { dryRun: 'Some' }), {
      code: 422,
      reason: 'Invalid',
      message: 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: supported values: "All"',
    });
  });
});

describe('update', () => {
  let env: Env;
  const deploy = '/apis/apps/v1/namespaces/update/deployments';
  before(async () => {
    env = await start();
    await namespace(env.client, 'update');
  });
  after(() => env.stop());

  it('answers 409 Conflict to a write based on a stale resourceVersion', async () => {
    const first = await env.client.create(nsPath('update', 'configmaps'), configMap('cas'));
    await env.client.replace(nsPath('update', 'configmaps', 'cas'), { ...first, data: { k: 'second' } });
    const s = await failsWith(env.client.replace(nsPath('update', 'configmaps', 'cas'), { ...first, data: { k: 'stale' } }), {
      code: 409,
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on configmaps "cas": the object has been modified; please apply your changes to the latest version and try again',
    });
    assert.deepEqual(s.details, { name: 'cas', kind: 'configmaps' });
    const now = await env.client.get<KubeObject & { data: Obj }>(nsPath('update', 'configmaps', 'cas'));
    assert.equal(now.data.k, 'second');
  });

  it('bumps generation on spec changes only; /status keeps spec and the main resource keeps status', async () => {
    const d = await env.client.create(deploy, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27.3' }] } } },
    });
    assert.equal(d.metadata.generation, 1);

    const relabelled = await env.client.replace(`${deploy}/web`, { ...d, metadata: { ...d.metadata, labels: { team: 'a' } } });
    assert.equal(relabelled.metadata.generation, 1, 'a metadata change is not a new generation');
    assert.deepEqual(relabelled.metadata.labels, { team: 'a' });

    const withStatus = await env.client.replace(`${deploy}/web/status`, {
      ...relabelled,
      spec: { ...(relabelled.spec as Obj), replicas: 9 },
      status: { replicas: 2, readyReplicas: 1, observedGeneration: 1 },
    });
    assert.equal(withStatus.metadata.generation, 1, 'a status write is not a new generation');
    assert.equal((withStatus.spec as Obj).replicas, 2, '/status ignores spec');
    assert.deepEqual(withStatus.status, { replicas: 2, readyReplicas: 1, observedGeneration: 1 });

    const scaled = await env.client.replace(`${deploy}/web`, { ...withStatus, spec: { ...(withStatus.spec as Obj), replicas: 3 }, status: { replicas: 99 } });
    assert.equal(scaled.metadata.generation, 2);
    assert.equal((scaled.spec as Obj).replicas, 3);
    assert.deepEqual(scaled.status, { replicas: 2, readyReplicas: 1, observedGeneration: 1 }, 'the main resource ignores status');
  });

  it('answers 404 to a PUT of a missing object, 400 to a name mismatch, 422 to a changed uid', async () => {
    await failsWith(env.client.replace(nsPath('update', 'configmaps', 'missing'), configMap('missing')), { code: 404, reason: 'NotFound', message: 'configmaps "missing" not found' });
    const cm = await env.client.create(nsPath('update', 'configmaps'), configMap('named'));
    await failsWith(env.client.replace(nsPath('update', 'configmaps', 'named'), configMap('other')), {
      code: 400,
      reason: 'BadRequest',
      message: 'the name of the object (other) does not match the name on the URL (named)',
    });
    // A same-name object from before a delete and re-create must not overwrite the new one.
    const s = await failsWith(env.client.replace(nsPath('update', 'configmaps', 'named'), { ...cm, metadata: { ...cm.metadata, uid: '00000000-0000-0000-0000-000000000000' } }), {
      code: 422,
      reason: 'Invalid',
      message: 'ConfigMap "named" is invalid: metadata.uid: Invalid value: "00000000-0000-0000-0000-000000000000": field is immutable',
    });
    assert.equal(s.details?.causes?.[0]?.field, 'metadata.uid');
    // Leaving uid out is fine.
    const { uid: _uid, ...withoutUid } = cm.metadata;
    await env.client.replace(nsPath('update', 'configmaps', 'named'), { ...cm, metadata: withoutUid, data: { k: 'new' } });
  });

  it('refuses pod spec changes other than images with 422 Forbidden', async () => {
    const p = await env.client.create(nsPath('update', 'pods'), pod('fixed'));
    const image = await env.client.replace(nsPath('update', 'pods', 'fixed'), {
      ...p,
      spec: { ...(p.spec as Obj), containers: [{ ...((p.spec as { containers: Obj[] }).containers[0]), image: 'nginx:1.28.0' }] },
    });
    assert.equal((image.spec as { containers: Obj[] }).containers[0].image, 'nginx:1.28.0');
    const s = await failsWith(env.client.replace(nsPath('update', 'pods', 'fixed'), { ...image, spec: { ...(image.spec as Obj), restartPolicy: 'Never' } }), {
      code: 422,
      reason: 'Invalid',
      message: /^Pod "fixed" is invalid: spec: Forbidden: pod updates may not change fields other than `spec\.containers\[\*\]\.image`/,
    });
    assert.equal(s.details?.causes?.[0]?.field, 'spec');
    assert.equal(s.details?.causes?.[0]?.reason, 'FieldValueForbidden');
  });
});

describe('patch', () => {
  let env: Env;
  before(async () => {
    env = await start();
    await namespace(env.client, 'patch');
  });
  after(() => env.stop());

  it('merge patch sets and (with null) removes fields', async () => {
    await env.client.create(nsPath('patch', 'configmaps'), configMap('m', { app: 'a', drop: 'me' }));
    const p = await env.client.patch(nsPath('patch', 'configmaps', 'm'), { metadata: { labels: { app: 'b', drop: null } } }, 'merge');
    assert.deepEqual(p.metadata.labels, { app: 'b' });
  });

  it('json patch applies operations; a failing test op is 422 and changes nothing', async () => {
    await env.client.create(nsPath('patch', 'configmaps'), configMap('j', { app: 'a' }));
    const ok = await env.client.patch(nsPath('patch', 'configmaps', 'j'), [{ op: 'test', path: '/metadata/labels/app', value: 'a' }, { op: 'add', path: '/metadata/labels/tier', value: 'fe' }], 'json');
    assert.deepEqual(ok.metadata.labels, { app: 'a', tier: 'fe' });
    await failsWith(
      env.client.patch(nsPath('patch', 'configmaps', 'j'), [{ op: 'test', path: '/metadata/labels/app', value: 'other' }, { op: 'remove', path: '/metadata/labels/app' }], 'json'),
      { code: 422, reason: 'Invalid', message: 'the server rejected our request due to an error in our request' },
    );
    const after = await env.client.get<KubeObject>(nsPath('patch', 'configmaps', 'j'));
    assert.deepEqual(after.metadata.labels, { app: 'a', tier: 'fe' });
    assert.equal(after.metadata.resourceVersion, ok.metadata.resourceVersion);
  });

  it('strategic merge patch merges pod containers by name', async () => {
    await env.client.create(
      nsPath('patch', 'pods'),
      pod('two', {
        containers: [
          { name: 'a', image: 'nginx:1.27.3' },
          { name: 'b', image: 'busybox:1.36' },
        ],
      }),
    );
    const p = await env.client.patch(nsPath('patch', 'pods', 'two'), { spec: { containers: [{ name: 'b', image: 'busybox:1.37' }] } }, 'strategic');
    assert.deepEqual(
      (p.spec as { containers: Obj[] }).containers.map((c) => [c.name, c.image]),
      [
        ['a', 'nginx:1.27.3'],
        ['b', 'busybox:1.37'],
      ],
    );
  });

  it('strategic merge patch cordons a node and null uncordons it (the field is removed)', async () => {
    const cordoned = await env.client.patch('/api/v1/nodes/n1', { spec: { unschedulable: true } }, 'strategic');
    assert.equal((cordoned.spec as Obj).unschedulable, true);
    const uncordoned = await env.client.patch('/api/v1/nodes/n1', { spec: { unschedulable: null } }, 'strategic');
    assert.ok(!('unschedulable' in (uncordoned.spec as Obj)));
  });

  it('a patch carrying a stale resourceVersion is 409 Conflict', async () => {
    const cm = await env.client.create(nsPath('patch', 'configmaps'), configMap('rv'));
    await env.client.patch(nsPath('patch', 'configmaps', 'rv'), { data: { k: 'moved on' } }, 'merge');
    await failsWith(env.client.patch(nsPath('patch', 'configmaps', 'rv'), { metadata: { resourceVersion: cm.metadata.resourceVersion }, data: { k: 'stale' } }, 'merge'), {
      code: 409,
      reason: 'Conflict',
    });
  });

  it('server-side apply creates a missing object with 201, then updates with 200; it needs a fieldManager (422)', async () => {
    const apply = (query: Record<string, string>) =>
      env.client.request({
        method: 'PATCH',
        path: nsPath('patch', 'configmaps', 'ssa'),
        query,
        body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { a: '1' } }),
        contentType: 'application/apply-patch+yaml',
      });
    assert.equal((await apply({ fieldManager: 'me' })).statusCode, 201);
    assert.equal((await apply({ fieldManager: 'me' })).statusCode, 200);
    await failsWith(apply({}), {
      code: 422,
      reason: 'Invalid',
      message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    });
  });

  it('answers 404 to a patch of a missing object', async () => {
    for (const type of ['merge', 'strategic'] as const) {
      const s = await failsWith(env.client.patch(nsPath('patch', 'pods', 'nope'), { metadata: { labels: { a: 'b' } } }, type), {
        code: 404,
        reason: 'NotFound',
        message: 'pods "nope" not found',
      });
      assert.deepEqual(s.details, { name: 'nope', kind: 'pods' });
    }
  });
});

describe('list', () => {
  let env: Env;
  before(async () => {
    env = await start({ store: new MemoryStore({ snapshotTtlMs: 300 }) });
    await namespace(env.client, 'sel');
    await namespace(env.client, 'page');
    const labelled: Array<[string, Record<string, string> | undefined]> = [
      ['a', { app: 'web', tier: 'fe' }],
      ['b', { app: 'web', tier: 'be' }],
      ['c', { app: 'db' }],
      ['d', undefined],
    ];
    for (const [n, labels] of labelled) await env.client.create(nsPath('sel', 'configmaps'), configMap(n, labels));
    for (let i = 0; i < 10; i++) await env.client.create(nsPath('page', 'configmaps'), configMap(`cm-${String(i).padStart(2, '0')}`));
  });
  after(() => env.stop());

  it('filters by label selector: =, !=, in, notin, exists, !', async () => {
    const cases: Array<[string, string[]]> = [
      ['app=web', ['a', 'b']],
      ['app==web', ['a', 'b']],
      ['app!=web', ['c', 'd']],
      ['tier in (fe,be)', ['a', 'b']],
      ['tier notin (fe)', ['b', 'c', 'd']],
      ['tier', ['a', 'b']],
      ['!tier', ['c', 'd']],
      ['app=web,tier=be', ['b']],
      ['', ['a', 'b', 'c', 'd']],
    ];
    for (const [labelSelector, want] of cases) {
      const list = await env.client.list(nsPath('sel', 'configmaps'), { labelSelector });
      assert.deepEqual(names(list), want, labelSelector);
    }
    await failsWith(env.client.list(nsPath('sel', 'configmaps'), { labelSelector: 'app in (web' }), { code: 400, reason: 'BadRequest' });
  });

  it('filters pods by field selector: metadata.name, spec.nodeName, status.phase; other fields are 400', async () => {
    await env.client.create(nsPath('sel', 'pods'), pod('unscheduled'));
    await runningPod(env.client, 'sel', 'running', {});
    const cases: Array<[string, string[]]> = [
      ['metadata.name=running', ['running']],
      ['spec.nodeName=n1', ['running']],
      ['spec.nodeName=', ['unscheduled']],
      ['status.phase=Pending', ['unscheduled']],
      ['status.phase!=Pending', ['running']],
      ['metadata.namespace=sel,status.phase=Running', ['running']],
    ];
    for (const [fieldSelector, want] of cases) {
      assert.deepEqual(names(await env.client.list(nsPath('sel', 'pods'), { fieldSelector })), want, fieldSelector);
    }
    // Across namespaces, as kubectl drain asks.
    assert.deepEqual(names(await env.client.list('/api/v1/pods', { fieldSelector: 'spec.nodeName=n1' })), ['running']);
    const s = await failsWith(env.client.list(nsPath('sel', 'pods'), { fieldSelector: 'spec.hostname=x' }), {
      code: 400,
      reason: 'BadRequest',
      message: 'field label not supported: spec.hostname',
    });
    assert.equal(s.details, undefined);
    await failsWith(env.client.list('/apis/apps/v1/deployments', { fieldSelector: 'spec.replicas=1' }), {
      code: 400,
      reason: 'BadRequest',
      message: '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    });
  });

  it('pages with limit/continue over one snapshot: every object once, in order, despite writes between pages', async () => {
    const url = nsPath('page', 'configmaps');
    const first = await env.client.list(url, { limit: 3 });
    assert.deepEqual(names(first), ['cm-00', 'cm-01', 'cm-02']);
    assert.equal(first.metadata.remainingItemCount, 7);
    assert.ok(first.metadata.continue);
    // Writes between pages do not show up in this list...
    await env.client.delete(nsPath('page', 'configmaps', 'cm-05'));
    await env.client.create(url, configMap('cm-04a'));
    await env.client.create(url, configMap('cm-99'));
    const seen = [...names(first)];
    let token: string | undefined = first.metadata.continue;
    const remaining: number[] = [];
    while (token) {
      const page: KubeList = await env.client.list(url, { limit: 3, continue: token });
      assert.equal(page.metadata.resourceVersion, first.metadata.resourceVersion, 'every page carries the snapshot resourceVersion');
      seen.push(...names(page));
      if (page.metadata.continue) remaining.push(page.metadata.remainingItemCount ?? -1);
      else assert.equal(page.metadata.remainingItemCount, undefined, 'the last page has no remainingItemCount');
      token = page.metadata.continue;
    }
    assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => `cm-${String(i).padStart(2, '0')}`));
    assert.deepEqual(remaining, [4, 1]);
    // ...but a new list sees them.
    const fresh = await env.client.list(url);
    assert.deepEqual(names(fresh).slice(3, 6), ['cm-03', 'cm-04', 'cm-04a']);
    assert.ok(!names(fresh).includes('cm-05'));
    assert.equal(fresh.metadata.continue, undefined);
  });

  it('a continue token can be sent again (a retried page request gets the same page), but not with a resourceVersion', async () => {
    const url = nsPath('page', 'configmaps');
    const first = await env.client.list(url, { limit: 4 });
    const a = await env.client.list(url, { limit: 4, continue: first.metadata.continue });
    const b = await env.client.list(url, { limit: 4, continue: first.metadata.continue });
    assert.deepEqual(names(a), names(b));
    assert.equal(a.metadata.resourceVersion, b.metadata.resourceVersion);
    await failsWith(env.client.list(url, { limit: 4, continue: first.metadata.continue, resourceVersion: first.metadata.resourceVersion }), {
      code: 400,
      reason: 'BadRequest',
      message: 'specifying resource version is not allowed when using continue',
    });
  });

  it('leaves remainingItemCount out when a selector filters the list', async () => {
    const list = await env.client.list(nsPath('sel', 'configmaps'), { limit: 1, labelSelector: 'app' });
    assert.deepEqual(names(list), ['a']);
    assert.ok(list.metadata.continue);
    assert.equal(list.metadata.remainingItemCount, undefined);
  });

  it('answers 400 to a malformed continue token and 410 Expired to an expired one', async () => {
    const url = nsPath('page', 'configmaps');
    await failsWith(env.client.list(url, { limit: 2, continue: 'not-a-token' }), {
      code: 400,
      reason: 'BadRequest',
      message: /^invalid continue token: continue key is not valid: /,
    });
    const first = await env.client.list(url, { limit: 2 });
    await new Promise((r) => setTimeout(r, 400)); // past the store's snapshotTtlMs (etcd compaction)
    const s = await failsWith(env.client.list(url, { limit: 2, continue: first.metadata.continue }), { code: 410, reason: 'Expired' });
    assert.match(s.message ?? '', /^The provided continue parameter is too old to display a consistent list result\. You can start a new list without the continue parameter/);
  });
});

describe('watch', () => {
  let env: Env;
  before(async () => {
    env = await start();
    await namespace(env.client, 'w');
  });
  after(() => env.stop());

  async function collect(url: string, rv: string, count: number, labelSelector?: string, act?: () => Promise<void>): Promise<Array<[string, string, string]>> {
    const ac = new AbortController();
    const events: Array<[string, string, string]> = [];
    const done = (async () => {
      for await (const e of env.client.watch(url, { resourceVersion: rv, labelSelector, signal: ac.signal, allowWatchBookmarks: false, onExpired: 'throw' })) {
        if (e.type === 'RELIST') throw new Error('unexpected relist');
        events.push([e.type, e.object.metadata.name ?? '', e.object.metadata.labels?.app ?? '']);
        if (events.length >= count) break;
      }
    })();
    await act?.();
    const timer = setTimeout(() => ac.abort(), 5000);
    await done;
    clearTimeout(timer);
    return events;
  }

  it('from a list resourceVersion sees ADDED, MODIFIED and DELETED in order', async () => {
    const url = nsPath('w', 'configmaps');
    const list = await env.client.list(url);
    const events = await collect(url, list.metadata.resourceVersion ?? '', 3, undefined, async () => {
      await env.client.create(url, configMap('x', { app: 'one' }));
      await env.client.patch(nsPath('w', 'configmaps', 'x'), { metadata: { labels: { app: 'two' } } }, 'merge');
      await env.client.delete(nsPath('w', 'configmaps', 'x'));
    });
    assert.deepEqual(events, [
      ['ADDED', 'x', 'one'],
      ['MODIFIED', 'x', 'two'],
      ['DELETED', 'x', 'two'],
    ]);
  });

  it('replays history: a watch from an older resourceVersion gets the events since', async () => {
    const url = nsPath('w', 'configmaps');
    const list = await env.client.list(url);
    await env.client.create(url, configMap('late', { app: 'l' }));
    await env.client.delete(nsPath('w', 'configmaps', 'late'));
    assert.deepEqual(await collect(url, list.metadata.resourceVersion ?? '', 2), [
      ['ADDED', 'late', 'l'],
      ['DELETED', 'late', 'l'],
    ]);
  });

  it('with a label selector, an object leaving the selector is DELETED and one entering is ADDED', async () => {
    const url = nsPath('w', 'configmaps');
    const list = await env.client.list(url, { labelSelector: 'app=in' });
    const events = await collect(url, list.metadata.resourceVersion ?? '', 4, 'app=in', async () => {
      await env.client.create(url, configMap('mover', { app: 'in' }));
      await env.client.create(url, configMap('other', { app: 'out' }));
      await env.client.patch(nsPath('w', 'configmaps', 'mover'), { metadata: { labels: { app: 'out' } } }, 'merge');
      await env.client.patch(nsPath('w', 'configmaps', 'other'), { metadata: { labels: { app: 'in' } } }, 'merge');
      await env.client.delete(nsPath('w', 'configmaps', 'other'));
    });
    assert.deepEqual(events, [
      ['ADDED', 'mover', 'in'],
      ['DELETED', 'mover', 'out'],
      ['ADDED', 'other', 'in'],
      ['DELETED', 'other', 'in'],
    ]);
  });

  it('ends the stream after timeoutSeconds', async () => {
    // How long the stream lasts is a figure of bench/apiserver.ts; here: the server ends it.
    const rv = (await env.client.list(nsPath('w', 'configmaps'))).metadata.resourceVersion;
    const r = await raw(env, 'GET', `${nsPath('w', 'configmaps')}?watch=true&timeoutSeconds=1&resourceVersion=${rv}`, { readMs: 10_000 });
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.ok(r.ended, 'the server ended the stream');
    const open = await raw(env, 'GET', `${nsPath('w', 'configmaps')}?watch=true&resourceVersion=${rv}`, { readMs: 1500 });
    assert.equal(open.ended, false, 'a watch without timeoutSeconds stays open');
  });

  it('without a resourceVersion starts with ADDED for every existing object', async () => {
    await env.client.create(nsPath('w', 'configmaps'), configMap('present', { app: 'p' }));
    const r = await raw(env, 'GET', `${nsPath('w', 'configmaps')}?watch=true&labelSelector=app%3Dp`, { readMs: 3000, until: (t) => t.includes('\n') });
    assert.equal(r.status, 200);
    const line = JSON.parse(r.text.split('\n')[0]) as { type: string; object: KubeObject };
    assert.equal(line.type, 'ADDED');
    assert.equal(line.object.metadata.name, 'present');
    assert.equal(line.object.kind, 'ConfigMap');
  });
});

describe('watch history and bookmarks', () => {
  it('a resourceVersion older than the history is a 410 Expired ERROR event', async () => {
    const env = await start({ store: new MemoryStore({ historySize: 5 }) });
    try {
      await namespace(env.client, 'old');
      const list = await env.client.list(nsPath('old', 'configmaps'));
      const rvs: string[] = [];
      for (let i = 0; i < 8; i++) rvs.push((await env.client.create(nsPath('old', 'configmaps'), configMap(`c${i}`))).metadata.resourceVersion ?? '');
      const r = await raw(env, 'GET', `${nsPath('old', 'configmaps')}?watch=true&resourceVersion=${list.metadata.resourceVersion}`, { readMs: 3000 });
      // kube-apiserver opens the stream (200) and reports the error as its only event.
      assert.equal(r.status, 200);
      const lines = r.text.trim().split('\n');
      assert.equal(lines.length, 1);
      const e = JSON.parse(lines[0]) as { type: string; object: Status };
      assert.equal(e.type, 'ERROR');
      assert.equal(e.object.kind, 'Status');
      assert.equal(e.object.code, 410);
      assert.equal(e.object.reason, 'Expired');
      // The number is the oldest resourceVersion still watchable: one before the oldest kept
      // event (the history holds the last 5 creates, c3..c7).
      assert.equal(e.object.message, `too old resource version: ${list.metadata.resourceVersion} (${rvs[2]})`);
      // The client sees it as 410 and, asked to, relists.
      const ac = new AbortController();
      for await (const ev of env.client.watch(nsPath('old', 'configmaps'), { resourceVersion: list.metadata.resourceVersion, signal: ac.signal, allowWatchBookmarks: false })) {
        assert.equal(ev.type, 'RELIST');
        if (ev.type === 'RELIST') assert.equal(ev.items.length, 8);
        ac.abort();
      }
    } finally {
      await env.stop();
    }
  });

  it('sends BOOKMARKs (kind, apiVersion, resourceVersion only) when allowWatchBookmarks is set', async () => {
    const env = await start({ bookmarkIntervalMs: 100 });
    try {
      const list = await raw(env, 'GET', '/api/v1/namespaces/default/configmaps');
      const rv = list.json<KubeList>().metadata.resourceVersion;
      const withBookmarks = await raw(env, 'GET', `/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`, {
        readMs: 3000,
        until: (t) => t.includes('BOOKMARK'),
      });
      const e = JSON.parse(withBookmarks.text.trim().split('\n')[0]) as { type: string; object: KubeObject };
      assert.equal(e.type, 'BOOKMARK');
      assert.equal(e.object.kind, 'ConfigMap');
      assert.equal(e.object.apiVersion, 'v1');
      assert.equal(e.object.metadata.resourceVersion, rv);
      assert.deepEqual(Object.keys(e.object).sort(), ['apiVersion', 'kind', 'metadata']);
      const without = await raw(env, 'GET', `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`, { readMs: 400 });
      assert.equal(without.text, '', 'no bookmarks unless asked for');
    } finally {
      await env.stop();
    }
  });
});

describe('delete', () => {
  let env: Env;
  before(async () => {
    env = await start();
    await namespace(env.client, 'del');
  });
  after(() => env.stop());

  it('a pod on a node gets deletionTimestamp and its grace period, and stays until a grace-0 delete', async () => {
    await runningPod(env.client, 'del', 'bound', {});
    const before = Date.now();
    const deleting = await env.client.delete<KubeObject>(nsPath('del', 'pods', 'bound'));
    assert.equal(deleting.kind, 'Pod');
    assert.equal(deleting.metadata.deletionGracePeriodSeconds, 30);
    const ts = Date.parse(deleting.metadata.deletionTimestamp ?? '');
    assert.ok(ts >= Math.floor(before / 1000) * 1000 + 29_000, 'deletionTimestamp is now + grace period');
    const still = await env.client.get<KubeObject>(nsPath('del', 'pods', 'bound'));
    assert.equal(still.metadata.deletionTimestamp, deleting.metadata.deletionTimestamp);
    // The kubelet confirms with a grace-0 delete.
    const last = await env.client.delete<KubeObject>(nsPath('del', 'pods', 'bound'), { gracePeriodSeconds: 0 });
    assert.equal(last.kind, 'Pod');
    assert.ok(await gone(env.client, nsPath('del', 'pods', 'bound')));
  });

  it('an unscheduled pod goes at once', async () => {
    await env.client.create(nsPath('del', 'pods'), pod('floating'));
    const r = await env.client.delete<KubeObject>(nsPath('del', 'pods', 'floating'));
    assert.equal(r.kind, 'Pod');
    assert.ok(await gone(env.client, nsPath('del', 'pods', 'floating')));
  });

  it('finalizers keep an object (with deletionTimestamp) until an update removes them', async () => {
    await env.client.create(nsPath('del', 'configmaps'), configMap('held', undefined, { metadata: { finalizers: ['example.com/hold'] } }));
    const r = await env.client.delete<KubeObject>(nsPath('del', 'configmaps', 'held'));
    assert.equal(r.kind, 'ConfigMap', 'a delete that does not remove the object answers with the object');
    assert.ok(r.metadata.deletionTimestamp);
    assert.equal(r.metadata.deletionGracePeriodSeconds, 0);
    const held = await env.client.get<KubeObject>(nsPath('del', 'configmaps', 'held'));
    assert.deepEqual(held.metadata.finalizers, ['example.com/hold']);
    // New finalizers may not be added to an object being deleted, but removing them is fine.
    await failsWith(env.client.patch(nsPath('del', 'configmaps', 'held'), { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } }, 'merge'), {
      code: 422,
      reason: 'Invalid',
      message: 'ConfigMap "held" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ["example.com/more"]',
    });
    await env.client.patch(nsPath('del', 'configmaps', 'held'), { metadata: { finalizers: null } }, 'merge');
    assert.ok(await gone(env.client, nsPath('del', 'configmaps', 'held')));
  });

  it('answers a plain delete with a Success Status and refuses a wrong uid precondition with 409', async () => {
    const cm = await env.client.create(nsPath('del', 'configmaps'), configMap('pre'));
    const s = await failsWith(env.client.delete(nsPath('del', 'configmaps', 'pre'), { preconditions: { uid: 'not-the-uid' } }), {
      code: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on configmaps "pre": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${cm.metadata.uid}`,
    });
    assert.equal(s.details?.name, 'pre');
    const ok = await env.client.delete<Status>(nsPath('del', 'configmaps', 'pre'), { preconditions: { uid: cm.metadata.uid } });
    assert.deepEqual(ok, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'pre', kind: 'configmaps', uid: cm.metadata.uid } });
  });

  it('refuses unknown DeleteOptions values with 422 on DeleteOptions', async () => {
    await env.client.create(nsPath('del', 'configmaps'), configMap('opts'));
    await failsWith(env.client.delete(nsPath('del', 'configmaps', 'opts'), { propagationPolicy: 'Sideways' as 'Orphan' }), {
      code: 422,
      reason: 'Invalid',
      message: 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"',
    });
    await failsWith(env.client.delete(nsPath('del', 'configmaps', 'opts'), { dryRun: ['Maybe'] }), {
      code: 422,
      reason: 'Invalid',
      message: 'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Maybe"}: supported values: "All"',
    });
    // A dry-run delete answers like a delete and keeps the object, whether the dry run is asked
    // for in the DeleteOptions body (client-go, kubectl --dry-run=server) or in the query.
    await env.client.delete(nsPath('del', 'configmaps', 'opts'), { dryRun: ['All'] });
    await env.client.delete(nsPath('del', 'configmaps', 'opts'), undefined, { dryRun: 'All' });
    const k = await runKubectl(env, ['delete', 'configmap', 'opts', '-n', 'del', '--dry-run=server']);
    assert.equal(k.code, 0, k.stderr);
    assert.equal(k.stdout.trim(), 'configmap "opts" deleted (server dry run)');
    assert.ok(!(await gone(env.client, nsPath('del', 'configmaps', 'opts'))));
  });

  it('deletecollection deletes what the label selector selects and answers with the list', async () => {
    for (const [n, app] of [
      ['dc-1', 'x'],
      ['dc-2', 'x'],
      ['dc-3', 'y'],
    ]) {
      await env.client.create(nsPath('del', 'configmaps'), configMap(n, { app }));
    }
    const r = await env.client.request({ method: 'DELETE', path: nsPath('del', 'configmaps'), query: { labelSelector: 'app=x' } });
    const list = JSON.parse(r.body.toString('utf8')) as KubeList;
    assert.equal(r.statusCode, 200);
    assert.equal(list.kind, 'ConfigMapList');
    assert.deepEqual(names(list), ['dc-1', 'dc-2']);
    assert.deepEqual(names(await env.client.list(nsPath('del', 'configmaps'), { labelSelector: 'app' })), ['dc-3']);
  });

  it('a deleted namespace is Terminating, refuses new content with 403 NamespaceTerminating, empties, then goes', async () => {
    await namespace(env.client, 'doomed');
    await env.client.create(nsPath('doomed', 'configmaps'), configMap('plain'));
    await env.client.create(nsPath('doomed', 'pods'), pod('unscheduled'));
    await env.client.create(nsPath('doomed', 'configmaps'), configMap('sticky', undefined, { metadata: { finalizers: ['example.com/hold'] } }));
    const ns = await env.client.delete<KubeObject>('/api/v1/namespaces/doomed');
    assert.equal(ns.kind, 'Namespace');
    assert.equal((ns.status as Obj).phase, 'Terminating');
    assert.ok(ns.metadata.deletionTimestamp);

    const s = await failsWith(env.client.create(nsPath('doomed', 'configmaps'), configMap('late')), {
      code: 403,
      reason: 'Forbidden',
      message: 'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    });
    assert.equal(s.details?.name, 'late');
    assert.equal(s.details?.kind, 'configmaps');
    assert.deepEqual(
      s.details?.causes?.map((c) => [c.reason, c.message, c.field]),
      [['NamespaceTerminating', 'namespace doomed is being terminated', 'metadata.namespace']],
    );
    // Admission runs before a generated name exists, so the message names the prefix.
    await failsWith(env.client.create(nsPath('doomed', 'configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } }), {
      code: 403,
      message: 'configmaps "gen-" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    });

    await eventually('namespace content removed', async () => (await gone(env.client, nsPath('doomed', 'configmaps', 'plain'))) && (await gone(env.client, nsPath('doomed', 'pods', 'unscheduled'))));
    const stuck = await env.client.get<KubeObject>('/api/v1/namespaces/doomed');
    assert.equal((stuck.status as Obj).phase, 'Terminating', 'a finalizer keeps the namespace terminating');
    await env.client.patch(nsPath('doomed', 'configmaps', 'sticky'), { metadata: { finalizers: null } }, 'merge');
    await eventually('namespace gone', () => gone(env.client, '/api/v1/namespaces/doomed'));
  });
});

describe('eviction', () => {
  let env: Env;
  const ev = (name: string) => nsPath('ev', 'pods', name, 'eviction');
  const pdbPath = (name: string) => `/apis/policy/v1/namespaces/ev/poddisruptionbudgets/${name}`;
  const blocked = "Cannot evict pod as it would violate the pod's disruption budget.";
  before(async () => {
    env = await start();
    await namespace(env.client, 'ev');
  });
  after(() => env.stop());

  it('without a PDB answers 201 Success and deletes the pod gracefully', async () => {
    await runningPod(env.client, 'ev', 'free', { app: 'free' });
    const r = await env.client.request({ method: 'POST', path: ev('free'), body: JSON.stringify(evictionOf('free')), contentType: 'application/json' });
    assert.equal(r.statusCode, 201);
    assert.deepEqual(JSON.parse(r.body.toString('utf8')), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const p = await env.client.get<KubeObject>(nsPath('ev', 'pods', 'free'));
    assert.ok(p.metadata.deletionTimestamp, 'a pod on a node is deleted gracefully');
    assert.equal(p.metadata.deletionGracePeriodSeconds, 30);
  });

  it('with disruptionsAllowed 0 answers 429 with the DisruptionBudget cause and leaves the pod alone', async () => {
    await runningPod(env.client, 'ev', 'held', { app: 'held' });
    await budget(env.client, 'ev', 'held-pdb', { app: 'held' }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 });
    const s = await failsWith(env.client.post(ev('held'), evictionOf('held')), { code: 429, reason: 'TooManyRequests', message: blocked });
    assert.deepEqual(
      s.details?.causes?.map((c) => [c.reason, c.message]),
      [['DisruptionBudget', 'The disruption budget held-pdb needs 1 healthy pods and has 1 currently']],
    );
    const p = await env.client.get<KubeObject>(nsPath('ev', 'pods', 'held'));
    assert.equal(p.metadata.deletionTimestamp, undefined);
  });

  it('with room in the budget decrements disruptionsAllowed and records the pod in disruptedPods', async () => {
    await runningPod(env.client, 'ev', 'roomy', { app: 'roomy' });
    await budget(env.client, 'ev', 'roomy-pdb', { app: 'roomy' }, { disruptionsAllowed: 2, currentHealthy: 3, desiredHealthy: 1, expectedPods: 3 });
    const before = Date.now();
    await env.client.post(ev('roomy'), evictionOf('roomy'));
    const pdb = await env.client.get<KubeObject>(pdbPath('roomy-pdb'));
    const status = pdb.status as { disruptionsAllowed: number; disruptedPods: Record<string, string> };
    assert.equal(status.disruptionsAllowed, 1);
    assert.deepEqual(Object.keys(status.disruptedPods), ['roomy']);
    assert.ok(Date.parse(status.disruptedPods.roomy) >= Math.floor(before / 1000) * 1000);
    assert.ok((await env.client.get<KubeObject>(nsPath('ev', 'pods', 'roomy'))).metadata.deletionTimestamp);
  });

  it('with two PDBs selecting the pod answers 500 with kube’s message, even when both have room', async () => {
    await runningPod(env.client, 'ev', 'twice', { app: 'twice', tier: 'x' });
    await budget(env.client, 'ev', 'twice-a', { app: 'twice' }, { disruptionsAllowed: 5, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 });
    await budget(env.client, 'ev', 'twice-b', { tier: 'x' }, { disruptionsAllowed: 5, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 });
    await failsWith(env.client.post(ev('twice'), evictionOf('twice')), {
      code: 500,
      message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    });
    assert.equal((await env.client.get<KubeObject>(nsPath('ev', 'pods', 'twice'))).metadata.deletionTimestamp, undefined);
    assert.equal(((await env.client.get<KubeObject>(pdbPath('twice-a'))).status as Obj).disruptionsAllowed, 5);
  });

  it('a Pending pod skips the budget', async () => {
    await env.client.create(nsPath('ev', 'pods'), pod('pending', { labels: { app: 'held' } }));
    await env.client.post(ev('pending'), evictionOf('pending'));
    assert.ok(await gone(env.client, nsPath('ev', 'pods', 'pending')), 'an unscheduled pod is deleted at once');
    assert.equal(((await env.client.get<KubeObject>(pdbPath('held-pdb'))).status as Obj).disruptionsAllowed, 0);
  });

  it('an unready Running pod is evicted despite 0 allowed under unhealthyPodEvictionPolicy AlwaysAllow', async () => {
    await runningPod(env.client, 'ev', 'sick', { app: 'sick' }, false);
    await budget(env.client, 'ev', 'sick-pdb', { app: 'sick' }, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 1, expectedPods: 1 }, { unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    await env.client.post(ev('sick'), evictionOf('sick'));
    assert.ok((await env.client.get<KubeObject>(nsPath('ev', 'pods', 'sick'))).metadata.deletionTimestamp);
    // The same pod under the default IfHealthyBudget, with the budget unhealthy, is blocked.
    await runningPod(env.client, 'ev', 'sick2', { app: 'sick2' }, false);
    await budget(env.client, 'ev', 'sick2-pdb', { app: 'sick2' }, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 1, expectedPods: 1 });
    await failsWith(env.client.post(ev('sick2'), evictionOf('sick2')), { code: 429, reason: 'TooManyRequests' });
  });

  it('a budget the controller has not observed yet answers 429 "still being processed"', async () => {
    await runningPod(env.client, 'ev', 'fresh', { app: 'fresh' });
    await budget(env.client, 'ev', 'fresh-pdb', { app: 'fresh' }, { observedGeneration: 0, disruptionsAllowed: 3, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 });
    const s = await failsWith(env.client.post(ev('fresh'), evictionOf('fresh')), { code: 429, reason: 'TooManyRequests', message: blocked });
    assert.deepEqual(
      s.details?.causes?.map((c) => [c.reason, c.message]),
      [['DisruptionBudget', 'The disruption budget fresh-pdb is still being processed by the server.']],
    );
  });

  it('a UID precondition that does not match is 409 and evicts nothing', async () => {
    const p = await runningPod(env.client, 'ev', 'pinned', { app: 'pinned' });
    const s = await failsWith(env.client.post(ev('pinned'), evictionOf('pinned', { preconditions: { uid: 'someone-else' } })), { code: 409, reason: 'Conflict' });
    assert.equal(s.message, `Operation cannot be fulfilled on pods "pinned": Precondition failed: UID in precondition: someone-else, UID in object meta: ${p.metadata.uid}`);
    assert.equal((await env.client.get<KubeObject>(nsPath('ev', 'pods', 'pinned'))).metadata.deletionTimestamp, undefined);
  });

  it('dryRun evictions answer 201 and change nothing', async () => {
    await runningPod(env.client, 'ev', 'dry', { app: 'dry' });
    await budget(env.client, 'ev', 'dry-pdb', { app: 'dry' }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    await env.client.post(ev('dry'), evictionOf('dry', { dryRun: ['All'] }));
    await env.client.post(ev('dry'), evictionOf('dry'), { dryRun: 'All' });
    assert.equal((await env.client.get<KubeObject>(nsPath('ev', 'pods', 'dry'))).metadata.deletionTimestamp, undefined);
    assert.equal(((await env.client.get<KubeObject>(pdbPath('dry-pdb'))).status as Obj).disruptionsAllowed, 1);
  });

  it('answers 404 for a missing pod', async () => {
    await failsWith(env.client.post(ev('ghost'), evictionOf('ghost')), { code: 404, reason: 'NotFound', message: 'pods "ghost" not found' });
  });

  it('in a terminating namespace answers 403 with cause NamespaceTerminating', async () => {
    await namespace(env.client, 'ev-doomed');
    await runningPod(env.client, 'ev-doomed', 'last', { app: 'last' });
    await env.client.delete('/api/v1/namespaces/ev-doomed');
    const s = await failsWith(env.client.post(nsPath('ev-doomed', 'pods', 'last', 'eviction'), evictionOf('last')), {
      code: 403,
      reason: 'Forbidden',
      message: 'pods "last" is forbidden: unable to create new content in namespace ev-doomed because it is being terminated',
    });
    assert.deepEqual(
      s.details?.causes?.map((c) => c.reason),
      ['NamespaceTerminating'],
    );
  });
});

describe('scale subresource', () => {
  let env: Env;
  before(async () => {
    env = await start();
    await namespace(env.client, 'sc');
  });
  after(() => env.stop());

  it('GET answers an autoscaling/v1 Scale; PATCH spec.replicas changes the Deployment', async () => {
    const d = await env.client.create('/apis/apps/v1/namespaces/sc/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27.3' }] } } },
    });
    const scale = await env.client.get<KubeObject>('/apis/apps/v1/namespaces/sc/deployments/api/scale');
    assert.deepEqual(scale, {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'api', namespace: 'sc', uid: d.metadata.uid, resourceVersion: d.metadata.resourceVersion, creationTimestamp: d.metadata.creationTimestamp },
      spec: { replicas: 2 },
      status: { replicas: 0, selector: 'app=api' },
    });
    const patched = await env.client.patch('/apis/apps/v1/namespaces/sc/deployments/api/scale', { spec: { replicas: 5 } }, 'merge');
    assert.equal(patched.kind, 'Scale');
    assert.equal((patched.spec as Obj).replicas, 5);
    const after = await env.client.get<KubeObject>('/apis/apps/v1/namespaces/sc/deployments/api');
    assert.equal((after.spec as Obj).replicas, 5);
    assert.equal(after.metadata.generation, 2);
    await failsWith(env.client.patch('/apis/apps/v1/namespaces/sc/deployments/api/scale', { spec: { replicas: -1 } }, 'merge'), { code: 422, reason: 'Invalid' });
  });
});

describe('custom resources', () => {
  let env: Env;
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
  const widgets = '/apis/example.com/v1/namespaces/default/widgets';
  const kubectl = (args: string[]) => runKubectl(env, args);
  before(async () => (env = await start()));
  after(() => env.stop());

  it('a CRD serves its resources: discovery, create/get/list, kubectl get; strategic patch is 415', async () => {
    await failsWith(env.client.get(widgets), { code: 404, reason: 'NotFound' });
    const created = await env.client.create<KubeObject>('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    assert.ok(((created.status as Obj).conditions as Obj[]).some((c) => c.type === 'Established' && c.status === 'True'));
    const discovery = await env.client.get<{ resources: Obj[] }>('/apis/example.com/v1');
    assert.deepEqual(
      discovery.resources.map((r) => [r.name, r.kind, r.namespaced]),
      [['widgets', 'Widget', true]],
    );
    const w = await env.client.create(widgets, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', labels: { a: 'b' } }, spec: { size: 3 } });
    assert.equal(w.metadata.generation, 1);
    assert.deepEqual((await env.client.get<KubeObject>(`${widgets}/w1`)).spec, { size: 3 });
    assert.deepEqual(names(await env.client.list(widgets)), ['w1']);
    const got = await kubectl(['get', 'widgets', '-n', 'default']);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /^NAME\s+AGE\n/);
    assert.match(got.stdout, /\nw1\s+\d+s\n$/);
    assert.equal((await kubectl(['get', 'wd', 'w1', '-o', 'name'])).stdout.trim(), 'widget.example.com/w1');

    await failsWith(env.client.patch(`${widgets}/w1`, { spec: { size: 4 } }, 'strategic'), {
      code: 415,
      reason: 'UnsupportedMediaType',
      message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    });
    const merged = await env.client.patch(`${widgets}/w1`, { spec: { size: 4 } }, 'merge');
    assert.deepEqual(merged.spec, { size: 4 });
    assert.equal(merged.metadata.generation, 2);
  });

  it('deleting the CRD removes the resources from discovery and deletes the custom resources', async () => {
    await env.client.delete('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com');
    await eventually('CRD gone', () => gone(env.client, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com'));
    await failsWith(env.client.get('/apis/example.com/v1'), { code: 404 });
    const groups = await env.client.get<{ groups: Array<{ name: string }> }>('/apis');
    assert.ok(!groups.groups.some((g) => g.name === 'example.com'));
    await failsWith(env.client.get(`${widgets}/w1`), { code: 404, reason: 'NotFound' });
    // A CRD of the same name later starts empty: the old widgets went with the old CRD.
    await env.client.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    assert.deepEqual(names(await env.client.list(widgets)), []);
  });
});

describe('content negotiation: Table and aggregated discovery', () => {
  let env: Env;
  before(async () => (env = await start()));
  after(() => env.stop());

  it('answers a Table of nodes with the node printer columns to the Table Accept header', async () => {
    const r = await raw(env, 'GET', '/api/v1/nodes?limit=500', { headers: { Accept: TABLE_ACCEPT } });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const table = r.json<{ kind: string; apiVersion: string; columnDefinitions: Array<{ name: string; priority: number }>; rows: Array<{ cells: unknown[]; object: KubeObject }>; metadata: Obj }>();
    assert.equal(table.kind, 'Table');
    assert.equal(table.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(
      table.columnDefinitions.map((c) => [c.name, c.priority]),
      [
        ['Name', 0],
        ['Status', 0],
        ['Roles', 0],
        ['Age', 0],
        ['Version', 0],
        ['Internal-IP', 1],
        ['External-IP', 1],
        ['OS-Image', 1],
        ['Kernel-Version', 1],
        ['Container-Runtime', 1],
      ],
    );
    assert.deepEqual(
      table.rows.map((row) => [row.cells[0], row.cells[1], row.cells[2], row.cells[4]]),
      [
        ['cp', 'Ready', 'control-plane', 'v1.32.4'],
        ['n1', 'Ready', '<none>', 'v1.32.4'],
      ],
    );
    assert.equal(table.rows[0].object.kind, 'PartialObjectMetadata');
    assert.ok(table.metadata.resourceVersion);
  });

  it('answers aggregated discovery v2 with its Content-Type, listing pods/eviction in group policy', async () => {
    const core = await raw(env, 'GET', '/api', { headers: { Accept: AGGREGATED_ACCEPT } });
    assert.equal(core.status, 200);
    assert.equal(core.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const doc = core.json<{ kind: string; apiVersion: string; items: Array<{ versions: Array<{ version: string; resources: Array<{ resource: string; subresources?: Obj[] }> }> }> }>();
    assert.equal(doc.kind, 'APIGroupDiscoveryList');
    assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2');
    const pods = doc.items[0].versions[0].resources.find((r) => r.resource === 'pods');
    const eviction = pods?.subresources?.find((s) => s.subresource === 'eviction');
    assert.deepEqual(eviction, { subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] });
    const groups = await raw(env, 'GET', '/apis', { headers: { Accept: AGGREGATED_ACCEPT } });
    assert.equal(groups.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const policy = groups.json<{ items: Array<{ metadata: { name: string } }> }>().items.find((g) => g.metadata.name === 'policy');
    assert.ok(policy, 'group policy is listed');
    // Legacy discovery still has the entry drain looks for.
    const v1 = await env.client.get<{ resources: Obj[] }>('/api/v1');
    assert.deepEqual(
      v1.resources.filter((r) => r.name === 'pods/eviction').map((r) => [r.group, r.version, r.kind, r.verbs]),
      [['policy', 'v1', 'Eviction', ['create']]],
    );
  });
});

describe('robustness', () => {
  let env: Env;
  before(async () => {
    env = await start();
    await namespace(env.client, 'rb');
  });
  after(() => env.stop());

  const healthy = async () => assert.equal((await raw(env, 'GET', '/api/v1/namespaces/rb')).status, 200);

  it('answers malformed JSON with 400 and keeps serving', async () => {
    for (const body of ['{"metadata": {', 'not json at all', '']) {
      const r = await raw(env, 'POST', nsPath('rb', 'configmaps'), { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json().kind, 'Status');
      assert.equal(r.json().reason, 'BadRequest');
    }
    const arr = await raw(env, 'POST', nsPath('rb', 'configmaps'), { body: '[1,2]' });
    assert.equal(arr.status, 400);
    const patch = await raw(env, 'PATCH', '/api/v1/namespaces/rb', { body: '{"metadata":', headers: { 'Content-Type': 'application/merge-patch+json' } });
    assert.equal(patch.status, 400);
    await healthy();
  });

  it('answers a body over 3 MiB with 413 and keeps serving', async () => {
    const big = JSON.stringify(configMap('big', undefined)).replace('"v"', JSON.stringify('x'.repeat(4 * 1024 * 1024)));
    const r = await raw(env, 'POST', nsPath('rb', 'configmaps'), { body: big });
    assert.equal(r.status, 413);
    assert.equal(r.json().reason, 'RequestEntityTooLarge');
    assert.equal(r.json().message, 'Request entity too large: limit is 3145728');
    await healthy();
  });

  it('answers unknown paths with a 404 Status and wrong methods with 405', async () => {
    for (const p of ['/api/v1/foos', '/apis/nope.example.com/v1/things', '/nothing/here', '/api/v1/namespaces/rb/configmaps/x/nosuchsub']) {
      const r = await raw(env, 'GET', p);
      assert.equal(r.status, 404, p);
      assert.deepEqual(r.json(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 }, p);
    }
    for (const [method, p] of [
      ['PUT', nsPath('rb', 'configmaps')],
      ['POST', '/api/v1/namespaces/rb'],
      ['GET', nsPath('rb', 'pods', 'x', 'eviction')],
    ]) {
      const r = await raw(env, method, p, method === 'GET' ? {} : { body: '{}' });
      assert.equal(r.status, 405, `${method} ${p}`);
      assert.deepEqual(r.json(), {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server does not allow this method on the requested resource',
        reason: 'MethodNotAllowed',
        details: {},
        code: 405,
      });
    }
    await healthy();
  });

  it('survives a broken percent-encoding, a wrong Content-Type and an unsupported patch type', async () => {
    const enc = await raw(env, 'GET', '/api/v1/namespaces/%zz/configmaps');
    assert.equal(enc.status, 400);
    const ct = await raw(env, 'POST', nsPath('rb', 'configmaps'), { body: JSON.stringify(configMap('ct')), headers: { 'Content-Type': 'text/plain' } });
    assert.equal(ct.status, 415);
    const pt = await raw(env, 'PATCH', '/api/v1/namespaces/rb', { body: '{}', headers: { 'Content-Type': 'application/xml' } });
    assert.equal(pt.status, 415);
    await healthy();
  });
});

describe('wire details', () => {
  it('sends status causes with the "reason" key, as metav1.StatusCause is serialised', async () => {
    const env = await start();
    try {
      const r = await raw(env, 'POST', '/api/v1/namespaces/default/pods', { body: JSON.stringify({ ...pod('empty'), spec: { containers: [] } }) });
      const cause = r.json<Status>().details?.causes?.[0] as Obj | undefined;
      assert.equal(cause?.reason, 'FieldValueRequired');
    } finally {
      await env.stop();
    }
  });

  it('answers two PDBs with a reason-less 500 Status, as kube-apiserver does', async () => {
    const env = await start();
    try {
      await runningPod(env.client, 'default', 'p', { app: 'p', tier: 't' });
      await budget(env.client, 'default', 'a', { app: 'p' }, { disruptionsAllowed: 1 });
      await budget(env.client, 'default', 'b', { tier: 't' }, { disruptionsAllowed: 1 });
      const s = await failsWith(env.client.post(nsPath('default', 'pods', 'p', 'eviction'), evictionOf('p')), { code: 500 });
      assert.equal(s.reason, undefined);
    } finally {
      await env.stop();
    }
  });
});
