// The HTTP(S) face of the sandbox: authentication, routing, content negotiation (JSON, YAML,
// Table), discovery, OpenAPI, lists, watches and the verbs, answering like kube-apiserver.
import http from 'node:http';
import https from 'node:https';
import { timingSafeEqual } from 'node:crypto';
import YAML from 'yaml';
import { StatusError, errors, failure, qualifiedResource } from '../../api/status.js';
import type { KubeObject, ListMeta, Status, StatusCause } from '../../api/types.js';
import { isKubeObject, isStatus } from '../../api/types.js';
import { parseLabelSelector } from '../../api/labels.js';
import { fieldSelectorMatcher, fieldSelectorsFor, parseFieldSelector } from '../store/fields.js';
import type { StoreEvent } from '../store/store.js';
import { AGGREGATED_V2, AGGREGATED_V2BETA1, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, groups, wantsAggregated } from './discovery.js';
import { OpenApi, type OpenApiDocument, crdSchemas } from './openapi/index.js';
import { PROTOBUF_TYPE, PROTOBUF_WATCH_TYPE, decodeProtobuf, encodeProtobuf, hasMessage, watchEventFrame } from './protobuf/codec.js';
import { notAcceptable, queryBool, statusJson, wantsProtobufOnly } from './wire.js';
import { listTooOld, listWatchOptions, revisionOf, tooLargeResourceVersion } from './listwatch.js';
import { StoreError } from '../store/store.js';
import { decodePatchBody, patchTypeFromContentType, supportsStrategicMerge, unsupportedPatchTypeError } from './patch.js';
import { crdPrinter, printerFor, toTable, type Printer } from './printers.js';
import { errorMessage, jsonObject } from './json.js';
import { type DeleteOptions, type Registry } from './registry.js';
import { jsonNestingExceeds, parseFieldValidation } from './validation/index.js';
import { type ResourceType, groupVersion, resourceKey } from './resources.js';
import { ANONYMOUS, forbidden, requestAttributes } from '../auth/attributes.js';
import type { SandboxAuth } from '../auth/auth.js';
import { admit } from '../auth/filter.js';
import { STREAM_SUBRESOURCES, noContainerRuntime, podLog } from '../kubelet/streams.js';
import { patchStoredVersion, storedVersionOf } from './eventsv1.js';
import { GZIP_THRESHOLD_BYTES, ResponseBody, acceptsGzip, encodeBody } from './compression.js';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

export function versionInfo(gitVersion: string): VersionInfo {
  const m = /^v(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '0',
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.6',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export interface ApiServerOptions {
  registry: Registry;
  /** Bearer tokens accepted (when no `auth` is given: all-powerful). */
  tokens: string[];
  /** Identities and RBAC (src/sandbox/auth): replaces `tokens` when set. */
  auth?: SandboxAuth;
  /** `ca`: client certificates it signed are accepted (requested, not required). */
  tls?: { cert: string; key: string; ca?: string };
  /** The version /version reports (the control plane's kube-apiserver version). */
  version: () => string;
  /** Extra routes (sandbox-only endpoints), tried before the API. */
  extraRoutes?: (req: http.IncomingMessage, body: Buffer, url: URL) => Promise<{ code: number; body: unknown } | undefined>;
  /** Max request body in bytes (kube: 3 MiB). */
  maxBodyBytes?: number;
  /** Longest watch before the server ends it (clients re-watch from the last resourceVersion). */
  maxWatchSeconds?: number;
  /** How often watches with allowWatchBookmarks get a BOOKMARK (real ms). */
  bookmarkIntervalMs?: number;
  log?: (line: string) => void;
}

const JSON_TYPE = 'application/json';
const TABLE_ACCEPT = /as=Table/;
const jsonCache = new WeakMap<object, string>();

/** Serialise an immutable stored object once, however many lists and watches send it. */
function cachedJson(o: object): string {
  let s = jsonCache.get(o);
  if (s === undefined) {
    s = JSON.stringify(o);
    jsonCache.set(o, s);
  }
  return s;
}

interface Route {
  kind: 'collection' | 'object';
  type: ResourceType;
  namespace: string | undefined;
  name?: string;
  subresource?: string;
  watchPath: boolean;
}

export class ApiServer {
  readonly server: http.Server;
  private readonly registry: Registry;
  private readonly tokens: Buffer[];
  private readonly opts: ApiServerOptions;
  private readonly openWatches = new Set<() => void>();
  private discoveryCache = new Map<string, string>();
  private readonly openApi: OpenApi;
  /** Warnings a write collected, sent in Warning headers with its response. */
  private readonly warningsFor = new WeakMap<http.ServerResponse, string[]>();
  /** Responses to clients that take gzip (compression.ts). */
  private readonly gzipOk = new WeakSet<http.ServerResponse>();
  private address = '127.0.0.1:0';

  constructor(opts: ApiServerOptions) {
    this.opts = opts;
    this.registry = opts.registry;
    this.tokens = opts.tokens.map((t) => Buffer.from(t));
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.handle(req, res).catch((e) => this.fail(res, e, req));
    };
    const clientCerts = opts.tls?.ca ? { ca: opts.tls.ca, requestCert: true, rejectUnauthorized: false } : {};
    this.server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key, ...clientCerts }, handler) : http.createServer(handler);
    this.server.keepAliveTimeout = 65_000;
    this.openApi = new OpenApi(() => this.registry.allTypes(), opts.version, () => crdSchemas(this.registry));
    this.registry.onTypesChanged(() => {
      this.discoveryCache = new Map();
      this.openApi.typesChanged();
    });
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const a = this.server.address();
    // A TCP listener's address is an AddressInfo (a string is a pipe or socket path).
    if (a === null || typeof a === 'string') throw new Error(`the API server is not listening on a TCP port (${String(a)})`);
    this.address = `${host}:${a.port}`;
    return a.port;
  }

  async close(): Promise<void> {
    for (const stop of this.openWatches) stop();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections?.();
    });
  }

  private authenticated(req: http.IncomingMessage): boolean {
    const h = req.headers.authorization;
    if (!h || !h.startsWith('Bearer ')) return false;
    const given = Buffer.from(h.slice(7).trim());
    return this.tokens.some((t) => t.length === given.length && timingSafeEqual(t, given));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (acceptsGzip(req.headers['accept-encoding'])) this.gzipOk.add(res);
    // Go's HTTP server refuses a request path it cannot unescape before any handler runs.
    try {
      decodeURIComponent(url.pathname);
    } catch {
      return this.text(res, 400, '400 Bad Request');
    }
    // Like a kubeadm cluster (anonymous auth on): a wrong token is a 401 everywhere; a request
    // without one is system:anonymous, which RBAC lets read health and version and nothing else.
    const bearer = req.headers.authorization?.startsWith('Bearer ') ?? false;
    const admitted = this.opts.auth ? await admit(this.opts.auth, req, method, url) : undefined;
    if (!this.opts.auth && bearer && !this.authenticated(req)) throw errors.unauthorized();
    if (method === 'GET' && ['/healthz', '/livez', '/readyz'].includes(path)) return this.text(res, 200, 'ok');
    if (method === 'GET' && path === '/version') return this.json(res, 200, versionInfo(this.opts.version()));
    if (!this.opts.auth && !bearer) throw forbidden(ANONYMOUS.name, requestAttributes(method, url));

    let body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await this.readBody(req);
    if (admitted?.rewrite && body.length) body = Buffer.from(JSON.stringify(admitted.rewrite(this.decode(req, body))));
    if (admitted?.review) {
      const answer = await admitted.review(method === 'POST' ? this.decode(req, body) : undefined);
      return this.json(res, answer.code, answer.body);
    }
    if (this.opts.extraRoutes) {
      const r = await this.opts.extraRoutes(req, body, url);
      if (r) return this.json(res, r.code, r.body);
    }
    if (method === 'GET') {
      const doc = this.discovery(path, req.headers.accept);
      if (doc) {
        res.setHeader('Vary', 'Accept');
        return this.raw(res, 200, doc.contentType, doc.body);
      }
      if (path === '/openapi/v3' || path.startsWith('/openapi/v3/') || path === '/openapi/v2') return this.openapi(req, res, path, url);
    }
    const route = this.route(path);
    if (!route) {
      return this.json(res, 404, failure(404, 'NotFound', 'the server could not find the requested resource', {}));
    }
    await this.serve(route, method, url.searchParams, req, res, body).catch((e: unknown) => {
      throw storedVersionOf(this.registry, route.type)?.renamed(e) ?? e;
    });
  }

  // ---- routing ----

  private route(path: string): Route | undefined {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 3) {
      group = '';
      version = parts[1];
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 4) {
      group = parts[1];
      version = parts[2];
      rest = parts.slice(3);
    } else return undefined;
    let watchPath = false;
    if (rest[0] === 'watch') {
      watchPath = true;
      rest = rest.slice(1);
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && rest.length === 3 && ['status', 'finalize'].includes(rest[2]))) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const type = this.registry.type(group, version, rest[0]);
    if (!type) return undefined;
    if (namespace !== undefined && !type.namespaced) return undefined;
    if (rest.length === 1) return { kind: 'collection', type, namespace, watchPath };
    if (rest.length > 3) return undefined;
    const subresource = rest[2];
    if (subresource && !type.subresources.some((s) => s.name === subresource) && !(type.resource === 'namespaces' && subresource === 'finalize')) {
      return undefined;
    }
    if (type.namespaced && namespace === undefined) return undefined;
    return { kind: 'object', type, namespace, name: rest[1], subresource, watchPath };
  }

  private discovery(path: string, accept: string | undefined): { contentType: string; body: string } | undefined {
    const aggregated = path === '/api' || path === '/apis' ? wantsAggregated(accept) : undefined;
    const key = `${path}|${aggregated ?? ''}`;
    const cached = this.discoveryCache.get(key);
    const contentType = aggregated === 'v2' ? AGGREGATED_V2 : aggregated === 'v2beta1' ? AGGREGATED_V2BETA1 : JSON_TYPE;
    if (cached !== undefined) return { contentType, body: cached };
    const types = this.registry.allTypes();
    let doc: object | undefined;
    if (path === '/api') doc = aggregated ? aggregatedDiscovery(types, true, aggregated) : apiVersions(this.address);
    else if (path === '/apis') doc = aggregated ? aggregatedDiscovery(types, false, aggregated) : apiGroupList(types);
    else if (path === '/api/v1') doc = apiResourceList(types, '', 'v1');
    else {
      const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
      if (m) {
        const g = groups(types).find((x) => x.name === m[1]);
        if (g && !m[2]) doc = apiGroup(g);
        else if (g && g.versions.includes(m[2])) doc = apiResourceList(types, m[1], m[2]);
      }
    }
    if (!doc) return undefined;
    const body = JSON.stringify(doc);
    this.discoveryCache.set(key, body);
    return { contentType, body };
  }

  private async openapi(req: http.IncomingMessage, res: http.ServerResponse, path: string, url: URL): Promise<void> {
    if (path === '/openapi/v3') return this.json(res, 200, await this.openApi.v3Index());
    // Only JSON is served (kube also offers protobuf; clients that accept nothing else get 406).
    if (wantsProtobufOnly(req.headers.accept) || /^application\/com\.github\.proto-openapi/.test(req.headers.accept ?? '')) throw notAcceptable();
    let doc: OpenApiDocument | undefined;
    if (path === '/openapi/v2') doc = this.openApi.v2();
    else {
      doc = (await this.openApi.v3()).get(path.slice('/openapi/v3/'.length));
      if (!doc) throw errors.notFound('', '', '');
      const hash = url.searchParams.get('hash');
      if (hash && hash !== doc.hash) {
        // kube-apiserver sends a stale hash to the document's current URL.
        res.setHeader('Location', `${path}?hash=${doc.hash}`);
        return this.raw(res, 301, 'text/plain; charset=utf-8', '');
      }
      res.setHeader('Cache-Control', hash ? 'public, immutable' : 'no-cache, private');
    }
    res.setHeader('ETag', `"${doc.hash}"`);
    res.setHeader('Vary', 'Accept');
    if (req.headers['if-none-match'] === `"${doc.hash}"`) {
      res.statusCode = 304;
      res.end();
      return;
    }
    this.raw(res, 200, JSON_TYPE, doc.body);
  }

  // ---- verbs ----

  private async serve(route: Route, method: string, q: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const { namespace, name, subresource } = route;
    // A version stored as another (events.k8s.io/v1 Events as core/v1): the registry works on
    // the stored type; bodies and answers are converted (eventsv1.ts).
    const stored = storedVersionOf(this.registry, route.type);
    const type = stored?.storage ?? route.type;
    const input = (create: boolean) => (stored ? stored.incoming(this.decode(req, body), create) : this.decode(req, body));
    const ns = namespace ?? '';
    // GET has no dryRun option (kube ignores unknown query parameters there).
    const dryRun = method === 'GET' ? false : parseDryRun(q.getAll('dryRun'), OPTIONS_KIND[method] ?? 'CreateOptions');
    const fieldManager = q.get('fieldManager') ?? defaultFieldManager(req);
    const warnings: string[] = [];
    const writes = { dryRun, fieldManager, warnings, force: queryBool(q, 'force') === true, fieldValidation: method === 'GET' ? undefined : parseFieldValidation(q.get('fieldValidation')) };
    this.warningsFor.set(res, warnings);
    const wantsWatch = route.watchPath || queryBool(q, 'watch') === true;
    if (route.kind === 'collection') {
      switch (method) {
        case 'GET':
          return wantsWatch ? this.watch(route, q, req, res) : this.list(route, q, req, res);
        case 'POST':
          return this.send(req, res, 201, await this.registry.create(type, ns, input(true), writes), route.type);
        case 'DELETE': {
          const filter = this.filter(route.type, q);
          // DeleteOptions may ask for a dry run in the body (client-go does) or the query.
          const opts = this.deleteOptions(q, body, req);
          return this.send(req, res, 200, await this.registry.deleteCollection(type, namespace, { filter }, { ...opts, dryRun: dryRun || opts.dryRun }), route.type);
        }
        default:
          throw methodNotAllowed();
      }
    }
    const n = name ?? '';
    if (wantsWatch && method === 'GET') {
      // A watch on one object is a watch on the collection with metadata.name=<name>.
      const qq = new URLSearchParams(q);
      qq.set('fieldSelector', [q.get('fieldSelector'), `metadata.name=${n}`].filter(Boolean).join(','));
      return this.watch({ ...route, kind: 'collection' }, qq, req, res);
    }
    if (subresource === 'eviction') {
      if (method !== 'POST') throw methodNotAllowed();
      return this.json(res, 201, await this.registry.evict(ns, n, this.decode(req, body), { dryRun }));
    }
    if (subresource === 'binding') {
      if (method !== 'POST') throw methodNotAllowed();
      return this.json(res, 201, await this.registry.bind(ns, n, this.decode(req, body), { dryRun }));
    }
    if (subresource === 'log') return this.text(res, 200, podLog(await this.registry.get(type, ns, n), q));
    if (subresource && STREAM_SUBRESOURCES.has(subresource) && type.resource === 'pods') {
      await this.registry.get(type, ns, n);
      throw noContainerRuntime(n, subresource);
    }
    switch (method) {
      case 'GET':
        if (subresource === 'scale') return this.json(res, 200, await this.registry.getScale(type, ns, n));
        return this.send(req, res, 200, await this.registry.get(type, ns, n), route.type);
      case 'PUT':
        return this.send(req, res, 200, await this.registry.update(type, ns, n, input(false), subresource === 'finalize' ? undefined : subresource, writes), route.type);
      case 'PATCH': {
        const patchType = patchTypeFromContentType(req.headers['content-type']);
        if (!patchType || (patchType === 'strategic' && (type.crd || !supportsStrategicMerge(type.kind, type.group)))) {
          throw unsupportedPatchTypeError(type.crd ? '' : type.kind, type.crd ? type.group : type.group);
        }
        const patch = patchType === 'apply' ? this.decodeYamlOrJson(body) : decodePatchBody(body.toString('utf8'), patchType);
        if (patchType === 'apply' && !q.get('fieldManager')) {
          throw optionsInvalid('PatchOptions', [{ reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' }]);
        }
        // Server-side apply creates a missing object, and then answers 201 Created.
        const creates = patchType === 'apply' && !subresource && (await this.registry.get(type, ns, n).then(() => false, () => true));
        const result = stored ? await patchStoredVersion(this.registry, stored, ns, n, patchType, patch, writes) : await this.registry.patch(type, ns, n, patchType, patch, subresource, writes);
        return subresource === 'scale' ? this.json(res, 200, result) : this.send(req, res, creates ? 201 : 200, result, route.type);
      }
      case 'DELETE': {
        const opts = this.deleteOptions(q, body, req);
        const result = await this.registry.delete(type, ns, n, { ...opts, dryRun: dryRun || opts.dryRun });
        if (isStatus(result)) {
          // The storage layer's Success Status carries no code (only details of what went).
          const { code: _code, ...success } = result;
          return this.json(res, 200, success);
        }
        return this.send(req, res, 200, result, route.type);
      }
      default:
        throw methodNotAllowed();
    }
  }

  private deleteOptions(q: URLSearchParams, body: Buffer, req: http.IncomingMessage): DeleteOptions {
    const opts: DeleteOptions = {};
    const b = (body.length ? jsonObject(this.decode(req, body)) : undefined) ?? {};
    const grace = q.get('gracePeriodSeconds') ?? b.gracePeriodSeconds;
    if (grace !== undefined && grace !== null) {
      const g = Number(grace);
      if (!Number.isInteger(g)) throw errors.badRequest(`gracePeriodSeconds: invalid value "${String(grace)}"`);
      opts.gracePeriodSeconds = g;
    }
    const policy = q.get('propagationPolicy') ?? b.propagationPolicy;
    const orphan = q.get('orphanDependents') ?? b.orphanDependents;
    if (policy !== undefined && policy !== null) {
      // ValidateDeleteOptions: 422 Invalid on DeleteOptions.meta.k8s.io.
      if (orphan !== undefined && orphan !== null) {
        throw optionsInvalid('DeleteOptions', [{ reason: 'FieldValueInvalid', field: 'propagationPolicy', message: `Invalid value: ${JSON.stringify(String(policy))}: orphanDependents and deletionPropagation cannot be both set` }]);
      }
      if (!isPropagationPolicy(policy)) {
        throw optionsInvalid('DeleteOptions', [
          { reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: ${JSON.stringify(String(policy))}: supported values: "Foreground", "Background", "Orphan", "nil"` },
        ]);
      }
      opts.propagationPolicy = policy;
    } else if (orphan === true || orphan === 'true') opts.propagationPolicy = 'Orphan';
    const preconditions = jsonObject(b.preconditions);
    if (preconditions) opts.preconditions = preconditions;
    if (Array.isArray(b.dryRun) && parseDryRun(b.dryRun.map(String), 'DeleteOptions')) opts.dryRun = true;
    return opts;
  }

  // ---- list and watch ----

  private filter(type: ResourceType, q: URLSearchParams): ((o: KubeObject) => boolean) | undefined {
    const ls = q.get('labelSelector');
    const fs = q.get('fieldSelector');
    const label = ls ? parseLabelSelector(ls) : undefined;
    const matcher = fs ? fieldSelectorMatcher(parseFieldSelector(fs), fieldSelectorsFor(type.group, type.resource), qualifiedResource(type.resource, type.group)) : undefined;
    // Fields are named after the served version: match them on the object as that version shows it.
    const stored = storedVersionOf(this.registry, type);
    const field = matcher && stored ? (o: KubeObject) => matcher(stored.outgoing(o)) : matcher;
    if (label?.empty) return field;
    if (!label && !field) return undefined;
    return (o) => (!label || label.matches(o.metadata.labels)) && (!field || field(o));
  }

  private async list(route: Route, q: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { type } = route;
    const filter = this.filter(type, q);
    const limit = q.get('limit') ? Number(q.get('limit')) : 0;
    if (!Number.isInteger(limit) || limit < 0) throw errors.badRequest(`limit: Invalid value: "${q.get('limit')}"`);
    const cont = q.get('continue') ?? undefined;
    const opts = listWatchOptions(q, false, this.opts.version());
    const rv = opts.resourceVersion;
    // A continue token pins its own snapshot.
    if (cont && rv && rv !== '0') throw errors.badRequest('specifying resource version is not allowed when using continue');
    const stored = storedVersionOf(this.registry, type);
    const listed = (rv && rv !== '0' && !cont ? await this.listAtRevision(route, revisionOf(rv), opts.resourceVersionMatch, filter) : undefined) ??
      (await this.registry.list(stored?.storage ?? type, route.namespace, { filter, limit, continue: cont || undefined, countRemaining: !filter }));
    const result = stored ? { ...listed, items: listed.items.map(stored.outgoing) } : listed;
    const metadata: ListMeta = { resourceVersion: String(result.revision) };
    if (result.continue) metadata.continue = result.continue;
    if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
    const accept = req.headers.accept ?? '';
    if (wantsProtobufOnly(accept)) {
      return this.protobuf(res, 200, { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata, items: result.items });
    }
    if (TABLE_ACCEPT.test(accept)) {
      const table = toTable(this.printer(type), result.items, this.registry.clock.now(), {
        includeObject: includeObject(q),
        resourceVersion: String(result.revision),
        continue: result.continue,
        remainingItemCount: result.remainingItemCount,
      });
      return this.json(res, 200, table);
    }
    if (wantsYaml(accept)) {
      return this.raw(res, 200, 'application/yaml', YAML.stringify({ apiVersion: groupVersion(type), kind: `${type.kind}List`, metadata, items: result.items }));
    }
    // Built by concatenation so each object's cached JSON is reused, and sent in parts of about
    // 1 MiB as the client (or the compressor) takes them.
    const head = `{"kind":${JSON.stringify(`${type.kind}List`)},"apiVersion":${JSON.stringify(groupVersion(type))},"metadata":${JSON.stringify(metadata)},"items":[`;
    res.statusCode = 200;
    res.setHeader('Content-Type', JSON_TYPE);
    const body = new ResponseBody(res, this.gzipOk.has(res));
    const chunks: string[] = [head];
    let size = head.length;
    for (let i = 0; i < result.items.length && body.open; i++) {
      const s = cachedJson(result.items[i]);
      chunks.push(i ? ',' + s : s);
      size += s.length + 1;
      if (size > 1 << 20) {
        await body.write(chunks.join(''));
        chunks.length = 0;
        size = 0;
      }
    }
    chunks.push(']}\n');
    await body.write(chunks.join(''));
    await body.end();
  }

  /**
   * A list at a given resourceVersion: a future one is a 504 (kube waits for its cache first), an
   * Exact older one is read from history (410 once compacted); otherwise the current state will do.
   */
  private async listAtRevision(route: Route, want: number, match: string | undefined, filter: ((o: KubeObject) => boolean) | undefined) {
    const store = this.registry.store;
    const current = store.revision();
    if (want > current) throw tooLargeResourceVersion(want, current);
    if (match !== 'Exact' || want === current || !store.listAt) return undefined;
    const type = storedVersionOf(this.registry, route.type)?.storage ?? route.type;
    try {
      return await store.listAt(resourceKey(type), type.namespaced ? route.namespace : undefined, want, filter);
    } catch (e) {
      if (e instanceof StoreError && e.code === 'Expired') throw listTooOld();
      throw e;
    }
  }

  private printer(type: ResourceType): Printer {
    return type.crd ? crdPrinter(type.crd.additionalPrinterColumns) : printerFor(type.group, type.resource);
  }

  private async watch(route: Route, q: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { type } = route;
    const filter = this.filter(type, q);
    const table = TABLE_ACCEPT.test(req.headers.accept ?? '');
    const printer = table ? this.printer(type) : undefined;
    // A client that takes only protobuf gets kube's length-delimited protobuf stream.
    const protobuf = wantsProtobufOnly(req.headers.accept);
    if (protobuf && !hasMessage(groupVersion(type), type.kind)) throw notAcceptable();
    const opts = listWatchOptions(q, true, this.opts.version());
    const bookmarks = opts.allowWatchBookmarks;
    const timeout = Math.min(Number(q.get('timeoutSeconds') ?? 0) || Infinity, this.opts.maxWatchSeconds ?? 1800);
    const rvParam = opts.resourceVersion;
    const stored = storedVersionOf(this.registry, type);
    let fromRevision: number;
    const initial: KubeObject[] = [];
    // sendInitialEvents=true (WatchList): the current state, then a bookmark marking its end.
    const initialEventsEnd = opts.sendInitialEvents === true;
    if (initialEventsEnd || (opts.sendInitialEvents === undefined && (!rvParam || rvParam === '0'))) {
      // No resourceVersion: start with the current state as ADDED events, then follow changes.
      const snapshot = await this.registry.list(stored?.storage ?? type, route.namespace, { filter });
      initial.push(...snapshot.items);
      fromRevision = snapshot.revision;
    } else {
      fromRevision = rvParam && rvParam !== '0' ? revisionOf(rvParam) : this.registry.store.revision();
    }

    res.statusCode = 200;
    res.setHeader('Content-Type', protobuf ? PROTOBUF_WATCH_TYPE : JSON_TYPE);
    res.setHeader('Transfer-Encoding', 'chunked');
    res.setHeader('Cache-Control', 'no-cache, private');
    res.flushHeaders();
    let first = true;
    let ended = false;
    const write = (type: string, given: KubeObject | Status) => {
      if (ended) return;
      const object = stored && !isStatus(given) && type !== 'BOOKMARK' ? stored.outgoing(given) : given;
      let line: string | Buffer;
      if (protobuf) {
        const withType = isStatus(object) ? object : { ...object, kind: route.type.kind, apiVersion: groupVersion(route.type) };
        line = watchEventFrame(type, { ...withType }) ?? Buffer.alloc(0);
      } else if (isStatus(object) || type === 'BOOKMARK') {
        line = `{"type":"${type}","object":${JSON.stringify(object)}}\n`;
      } else if (printer) {
        // Only the first event of a watch carries the column definitions.
        const t = toTable(printer, [object], this.registry.clock.now(), { includeObject: includeObject(q), resourceVersion: object.metadata.resourceVersion ?? '', noHeaders: !first });
        first = false;
        line = `{"type":"${type}","object":${JSON.stringify(t)}}\n`;
      } else {
        line = `{"type":"${type}","object":${cachedJson(object)}}\n`;
      }
      res.write(line);
      // A client that stops reading gets dropped, as kube-apiserver drops slow watchers.
      if (res.writableLength > 64 * 1024 * 1024) stop();
    };
    const onEvent = (e: StoreEvent) => {
      let kind: string = e.type;
      if (filter) {
        const now = filter(e.object);
        const before = e.prev ? filter(e.prev) : false;
        if (e.type === 'MODIFIED') {
          if (now && !before) kind = 'ADDED';
          else if (!now && before) kind = 'DELETED';
          else if (!now) return;
        } else if (!now) return;
      }
      write(kind, e.object);
    };
    let unsubscribe: () => void = () => undefined;
    const timers: NodeJS.Timeout[] = [];
    const stop = () => {
      if (ended) return;
      ended = true;
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.openWatches.delete(stop);
      res.end();
    };
    this.openWatches.add(stop);
    req.on('close', stop);
    res.on('close', stop);
    for (const o of initial) write('ADDED', o);
    if (initialEventsEnd) {
      const annotations = { 'k8s.io/initial-events-end': 'true' };
      write('BOOKMARK', { kind: type.kind, apiVersion: groupVersion(type), metadata: { resourceVersion: String(fromRevision), annotations } });
    }
    try {
      unsubscribe = this.registry.watch(stored?.storage ?? type, route.namespace, fromRevision, onEvent);
    } catch (e) {
      const status = e instanceof StatusError ? e.status : failure(500, 'InternalError', String(e));
      write('ERROR', status);
      stop();
      return;
    }
    if (Number.isFinite(timeout)) timers.push(setTimeout(stop, timeout * 1000));
    if (bookmarks) {
      const every = this.opts.bookmarkIntervalMs ?? 60_000;
      const tick = () => {
        write('BOOKMARK', { kind: type.kind, apiVersion: groupVersion(type), metadata: { resourceVersion: String(this.registry.store.revision()) } });
        timers.push(setTimeout(tick, every));
      };
      timers.push(setTimeout(tick, every));
      // kube-apiserver sends one more about two seconds before the watch times out.
      if (Number.isFinite(timeout) && timeout * 1000 - 2000 < every) {
        timers.push(setTimeout(() => write('BOOKMARK', { kind: type.kind, apiVersion: groupVersion(type), metadata: { resourceVersion: String(this.registry.store.revision()) } }), Math.max(0, timeout * 1000 - 2000)));
      }
    }
  }

  // ---- encoding ----

  private async readBody(req: http.IncomingMessage): Promise<Buffer> {
    const max = this.opts.maxBodyBytes ?? 3 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buf: Buffer = chunk;
      size += buf.length;
      if (size > max) throw errors.requestEntityTooLarge(`Request entity too large: limit is ${max}`);
      chunks.push(buf);
    }
    return Buffer.concat(chunks);
  }

  private decode(req: http.IncomingMessage, body: Buffer): unknown {
    const ct = req.headers['content-type'] ?? '';
    if (/yaml/.test(ct)) return this.decodeYamlOrJson(body);
    if (ct.startsWith(PROTOBUF_TYPE)) return decodeProtobuf(body);
    if (ct && !/json|\*\/\*/.test(ct)) throw errors.unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
    return this.decodeJson(body);
  }

  private decodeJson(body: Buffer): unknown {
    if (body.length === 0) throw errors.badRequest('the body of the request was empty');
    const text = body.toString('utf8');
    // encoding/json's nesting limit, checked before parsing (see validation/decode.ts).
    if (jsonNestingExceeds(text)) throw errors.badRequest(`couldn't get version/kind; json parse error: exceeded max depth`);
    try {
      return JSON.parse(text);
    } catch (e) {
      throw errors.badRequest(`couldn't get version/kind; json parse error: ${errorMessage(e)}`);
    }
  }

  private decodeYamlOrJson(body: Buffer): unknown {
    try {
      return YAML.parse(body.toString('utf8'));
    } catch (e) {
      throw errors.badRequest(`error converting YAML to JSON: ${errorMessage(e).split('\n')[0]}`);
    }
  }

  private send(req: http.IncomingMessage, res: http.ServerResponse, code: number, given: KubeObject | Status, type: ResourceType): void {
    const accept = req.headers.accept ?? '';
    const stored = isStatus(given) ? undefined : storedVersionOf(this.registry, type);
    let o = given;
    if (stored && !isStatus(given)) {
      // A deletecollection answers with the list of what went.
      o = Array.isArray(given.items) ? { ...given, apiVersion: groupVersion(type), items: given.items.filter(isKubeObject).map(stored.outgoing) } : stored.outgoing(given);
    }
    if (wantsProtobufOnly(accept)) return this.protobuf(res, code, o);
    if (TABLE_ACCEPT.test(accept) && !isStatus(o) && !o.items) {
      return this.json(res, code, toTable(this.printer(type), [o], this.registry.clock.now(), { includeObject: 'Metadata', resourceVersion: o.metadata.resourceVersion ?? '' }));
    }
    if (wantsYaml(accept)) return this.raw(res, code, 'application/yaml', YAML.stringify(o));
    this.raw(res, code, JSON_TYPE, cachedJson(o));
  }

  private json(res: http.ServerResponse, code: number, body: unknown): void {
    this.raw(res, code, JSON_TYPE, isStatus(body) ? statusJson(body) : JSON.stringify(body));
  }

  /** Kubernetes' protobuf encoding, for clients that accept nothing else (kube: 406 for kinds without a message). */
  private protobuf(res: http.ServerResponse, code: number, o: object): void {
    const wire = encodeProtobuf({ ...o });
    if (!wire) throw notAcceptable();
    if (res.headersSent) {
      res.end();
      return;
    }
    res.statusCode = code;
    res.setHeader('Content-Type', PROTOBUF_TYPE);
    res.setHeader('Content-Length', wire.length);
    res.end(wire);
  }

  private text(res: http.ServerResponse, code: number, body: string): void {
    this.raw(res, code, 'text/plain; charset=utf-8', body);
  }

  private raw(res: http.ServerResponse, code: number, contentType: string, body: string): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    // kube's JSON serializer is Go's json.Encoder, which ends every document with a newline.
    if (contentType.startsWith(JSON_TYPE) && !body.endsWith('\n')) body += '\n';
    const warnings = this.warningsFor.get(res);
    // kube's warning headers: code 299, agent "-", the text quoted.
    if (warnings?.length && code < 400) res.setHeader('Warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
    res.statusCode = code;
    res.setHeader('Content-Type', contentType);
    if (!this.gzipOk.has(res) || Buffer.byteLength(body) <= GZIP_THRESHOLD_BYTES) {
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(body);
      return;
    }
    void encodeBody(body, true).then(
      (encoded) => {
        if (encoded.encoding) {
          res.setHeader('Content-Encoding', encoded.encoding);
          res.setHeader('Vary', 'Accept-Encoding');
        }
        res.setHeader('Content-Length', Buffer.byteLength(encoded.body));
        res.end(encoded.body);
      },
      () => res.destroy(),
    );
  }

  private fail(res: http.ServerResponse, e: unknown, req: http.IncomingMessage): void {
    let status: Status;
    if (e instanceof StatusError) status = e.status;
    else {
      // Nothing a client sends may crash the server: an unexpected failure is a 500 Status.
      this.opts.log?.(`internal error on ${req.method} ${req.url}: ${(e instanceof Error ? e.stack : undefined) ?? String(e)}`);
      status = failure(500, 'InternalError', `Internal error occurred: ${errorMessage(e)}`);
    }
    if (status.code === 429 && status.details?.retryAfterSeconds) res.setHeader('Retry-After', String(status.details.retryAfterSeconds));
    if (res.headersSent) {
      res.end();
      return;
    }
    if (wantsProtobufOnly(req.headers.accept)) {
      const wire = encodeProtobuf({ ...status });
      if (wire) {
        res.statusCode = status.code;
        res.setHeader('Content-Type', PROTOBUF_TYPE);
        res.end(wire);
        return;
      }
    }
    this.json(res, status.code, status);
  }
}

/** go-restful's 405 through kube's error handler: a generic Status with empty details. */
function methodNotAllowed(): StatusError {
  return new StatusError(failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}));
}

/** The options kind kube decodes a verb's query into (and names in its 422s). */
const OPTIONS_KIND: Record<string, string> = { POST: 'CreateOptions', PUT: 'UpdateOptions', PATCH: 'PatchOptions', DELETE: 'DeleteOptions' };

/** Invalid request options: 422 on the meta.k8s.io options kind, as kube's ValidateXOptions. */
function optionsInvalid(kind: string, causes: StatusCause[]): StatusError {
  return errors.invalid(kind, 'meta.k8s.io', '', causes);
}

function parseDryRun(values: string[], optionsKind: string): boolean {
  if (values.some((v) => v !== 'All')) {
    // field.NotSupported prints the []string value the Go way.
    const value = `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
    throw optionsInvalid(optionsKind, [{ reason: 'FieldValueNotSupported', field: 'dryRun', message: `Unsupported value: ${value}: supported values: "All"` }]);
  }
  return values.length > 0;
}

function includeObject(q: URLSearchParams): 'None' | 'Metadata' | 'Object' {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function wantsYaml(accept: string): boolean {
  return /application\/yaml/.test(accept) && !/json/.test(accept);
}

function defaultFieldManager(req: http.IncomingMessage): string | undefined {
  // kube derives the manager from the User-Agent's program name (e.g. "kubectl-client-side-apply").
  const ua = req.headers['user-agent'];
  return ua ? ua.split('/')[0] : undefined;
}

function isPropagationPolicy(v: unknown): v is NonNullable<DeleteOptions['propagationPolicy']> {
  return v === 'Orphan' || v === 'Background' || v === 'Foreground';
}
