// KubeClient: upkeep's one way to talk to a cluster (a real one or the sandbox), over the
// Kubernetes HTTP API with raw JSON. Configuration and credentials come from client-node;
// requests, retries, errors, pagination, watches and discovery are ours.
import type { IncomingMessage } from 'node:http';
import type { KubeList, KubeObject, Status } from '../api/types.js';
import { Credentials } from './auth.js';
import { loadKubeConfig, type ConfigEnvironment, type KubeConfigOptions, type LoadedConfig } from './config.js';
import {
  DEFAULT_DISCOVERY_CONCURRENCY,
  discover,
  resolveResource,
  serverResourcesForGroupVersion,
  type APIResourceInfo,
  type DiscoveryResult,
  type ResolvedResource,
} from './discovery.js';
import { listAll, listPages, withTypeMeta, type ListOptions, type ListPage } from './pager.js';
import { resourcePath, type Query, type ResourceRef } from './paths.js';
import type { RetryOptions } from './retry.js';
import { Transport, type RawResponse, type RequestSpec } from './transport.js';
import { Informer, watchStream, type WatchOptions, type WatchStreamEvent } from './watch.js';

export interface KubeClientOptions extends KubeConfigOptions {
  /** --request-timeout in milliseconds; per attempt (for watches: until the stream opens). */
  requestTimeoutMs?: number;
  retry?: Partial<RetryOptions>;
  userAgent?: string;
  /** One line per request and per retry, for -v. */
  log?: (line: string) => void;
  /** Each distinct server warning (Warning: 299 headers, e.g. deprecated APIs), once. */
  onWarning?: (message: string) => void;
  /** Parallel per-group requests of legacy discovery (default 8). */
  discoveryConcurrency?: number;
  /** Where to look for kubeconfig files; tests only. */
  environment?: ConfigEnvironment;
}

/** Per-request options. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the client's request timeout; 0 means none. */
  timeoutMs?: number;
  /** Overrides the client's retry options; false sends exactly once. */
  retry?: Partial<RetryOptions> | false;
  headers?: Record<string, string>;
}

/** A request target: a raw path ("/api/v1/nodes") or the parts to build it from. */
export type Target = string | ResourceRef;

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** Content-Type per patch type, always sent explicitly (client-node's generated default is JSON patch). */
export const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = Object.freeze({
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
});

/** One RFC 6902 operation, for `patch(..., 'json')`. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

/** metav1.DeleteOptions (sent as the DELETE body). */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  /** ["All"] for a server-side dry run. */
  dryRun?: string[];
}

/** GET /version. */
export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit?: string;
  gitTreeState?: string;
  buildDate?: string;
  goVersion?: string;
  compiler?: string;
  platform?: string;
}

/** The field manager sent with server-side apply when the caller names none. */
export const DEFAULT_FIELD_MANAGER = 'upkeep';

interface Ready {
  config: LoadedConfig;
  transport: Transport;
}

export class KubeClient {
  private readonly options: KubeClientOptions;
  private ready: Promise<Ready> | undefined;
  private loaded: Ready | undefined;
  private discovery: Promise<DiscoveryResult> | undefined;

  /** Load the kubeconfig now, so configuration errors surface before any work starts. */
  static async create(options: KubeClientOptions = {}): Promise<KubeClient> {
    const client = new KubeClient(options);
    await client.init();
    return client;
  }

  constructor(options: KubeClientOptions = {}) {
    this.options = options;
  }

  /** Load configuration and credentials source (once; later calls share the result). */
  async init(): Promise<LoadedConfig> {
    this.ready ??= (async () => {
      const config = await loadKubeConfig(this.options, this.options.environment);
      const transport = new Transport(config.server, new Credentials(config), {
        requestTimeoutMs: this.options.requestTimeoutMs,
        retry: this.options.retry,
        userAgent: this.options.userAgent,
        log: this.options.log,
        onWarning: this.options.onWarning,
      });
      this.loaded = { config, transport };
      return this.loaded;
    })();
    this.ready.catch(() => {
      this.ready = undefined;
    });
    return (await this.ready).config;
  }

  /** The loaded configuration (after `init()` / `KubeClient.create()`). */
  get config(): LoadedConfig {
    if (!this.loaded) throw new Error('KubeClient is not initialised: use `await KubeClient.create(...)` or `await client.init()`');
    return this.loaded.config;
  }

  /** -n, else the context's namespace, else "default". */
  get namespace(): string {
    return this.config.namespace;
  }

  /** The API server URL. */
  get server(): string {
    return this.config.server;
  }

  /** Close idle keep-alive connections. The client can still be used afterwards. */
  close(): void {
    this.loaded?.transport.close();
  }

  // --- raw requests -----------------------------------------------------------------------

  /** Send any request; 2xx answers come back raw, others throw StatusError. */
  async request(spec: RequestSpec): Promise<RawResponse> {
    const { transport } = await this.whenReady();
    return transport.request(spec);
  }

  /** Open a streaming GET (watch, logs); the stream ends when `signal` aborts. */
  async stream(spec: Omit<RequestSpec, 'method'> & { method?: 'GET' }): Promise<IncomingMessage> {
    const { transport } = await this.whenReady();
    return transport.stream({ ...spec, method: 'GET' });
  }

  async get<T = KubeObject>(target: Target, query?: Query, options?: RequestOptions): Promise<T> {
    return this.json<T>({ method: 'GET', path: pathOf(target), query, ...requestFields(options) });
  }

  /** GET a collection; items get apiVersion and kind filled in. */
  async list<T extends KubeObject = KubeObject>(target: Target, query?: Query, options?: RequestOptions): Promise<KubeList<T>> {
    return withTypeMeta(await this.get<KubeList<T>>(target, query, options));
  }

  /** POST an object to its collection. */
  async create<T extends KubeObject = KubeObject>(target: Target, body: unknown, query?: Query, options?: RequestOptions): Promise<T> {
    return this.post<T>(target, body, query, options);
  }

  /** POST anything (evictions, reviews); the answer as sent. */
  async post<T = unknown>(target: Target, body: unknown, query?: Query, options?: RequestOptions): Promise<T> {
    return this.json<T>({
      method: 'POST',
      path: pathOf(target),
      query,
      body: JSON.stringify(body),
      contentType: 'application/json',
      ...requestFields(options),
    });
  }

  /** PUT: replace the object (optimistic concurrency through metadata.resourceVersion). */
  async replace<T extends KubeObject = KubeObject>(target: Target, body: unknown, query?: Query, options?: RequestOptions): Promise<T> {
    return this.json<T>({
      method: 'PUT',
      path: pathOf(target),
      query,
      body: JSON.stringify(body),
      contentType: 'application/json',
      ...requestFields(options),
    });
  }

  /**
   * PATCH with an explicit Content-Type. Server-side apply ('apply') needs a field manager:
   * `fieldManager` defaults to "upkeep"; pass `force: true` in the query to take over fields.
   * The body is sent as JSON (JSON is YAML, so apply accepts it).
   */
  async patch<T extends KubeObject = KubeObject>(
    target: Target,
    body: unknown,
    type: PatchType,
    query?: Query,
    options?: RequestOptions,
  ): Promise<T> {
    const contentType = PATCH_CONTENT_TYPES[type];
    if (!contentType) throw new Error(`unknown patch type "${String(type)}" (json, merge, strategic or apply)`);
    if (type === 'json' && !Array.isArray(body)) throw new Error('a JSON patch body must be an array of operations');
    const fullQuery: Query = type === 'apply' ? { fieldManager: DEFAULT_FIELD_MANAGER, ...query } : { ...query };
    return this.json<T>({
      method: 'PATCH',
      path: pathOf(target),
      query: fullQuery,
      body: JSON.stringify(body),
      contentType,
      ...requestFields(options),
    });
  }

  /** DELETE; the answer is the object (being deleted, or with finalizers) or a Success Status. */
  async delete<T = KubeObject | Status>(
    target: Target,
    deleteOptions?: DeleteOptions,
    query?: Query,
    options?: RequestOptions,
  ): Promise<T> {
    const body = deleteOptions ? JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', ...deleteOptions }) : undefined;
    return this.json<T>({
      method: 'DELETE',
      path: pathOf(target),
      query,
      body,
      contentType: body ? 'application/json' : undefined,
      ...requestFields(options),
    });
  }

  // --- lists and watches --------------------------------------------------------------------

  /** Pages of a list over limit/continue, each with the list's resourceVersion. */
  listPages<T extends KubeObject = KubeObject>(target: Target, options: ListOptions = {}): AsyncGenerator<ListPage<T>> {
    return listPages<T>(this.fetchList(target), options);
  }

  /** Every object of a list, fetched page by page as the iteration goes. */
  listAll<T extends KubeObject = KubeObject>(target: Target, options: ListOptions = {}): AsyncGenerator<T> {
    return listAll<T>(this.fetchList(target), options);
  }

  /**
   * Watch a collection (target without a name), resuming after dropped connections and
   * relisting after 410 (a RELIST event with the full state). Runs until `signal` aborts or
   * the loop breaks.
   */
  watch<T extends KubeObject = KubeObject>(target: Target, options: WatchOptions = {}): AsyncGenerator<WatchStreamEvent<T>> {
    return watchStream<T>(this.watchSource(target), options);
  }

  /** List, then watch, keeping `informer.cache` current. Iterate the informer to drive it. */
  listAndWatch<T extends KubeObject = KubeObject>(target: Target, options: Omit<WatchOptions, 'resourceVersion'> = {}): Informer<T> {
    return new Informer<T>(watchStream<T>(this.watchSource(target), options, true));
  }

  // --- discovery ----------------------------------------------------------------------------

  /** All groups, versions and resources (cached per client; `refresh` asks the server again). */
  discover(options: { refresh?: boolean } = {}): Promise<DiscoveryResult> {
    if (options.refresh || !this.discovery) {
      const running = discover(
        (path, accept) => this.request({ method: 'GET', path, accept }),
        this.options.discoveryConcurrency ?? DEFAULT_DISCOVERY_CONCURRENCY,
      );
      this.discovery = running;
      running.catch(() => {
        if (this.discovery === running) this.discovery = undefined;
      });
    }
    return this.discovery;
  }

  /** A user's resource word ("po", "deploy", "deployments.apps") -> the resource; UnknownResourceError if none. */
  async resolveResource(name: string): Promise<ResolvedResource> {
    return resolveResource(await this.discover(), name);
  }

  /** Legacy discovery of one group version ("v1", "apps/v1"), always asked fresh. */
  async serverResourcesForGroupVersion(groupVersion: string): Promise<APIResourceInfo[]> {
    return serverResourcesForGroupVersion((path, accept) => this.request({ method: 'GET', path, accept }), groupVersion);
  }

  /** GET /version. */
  async serverVersion(options?: RequestOptions): Promise<VersionInfo> {
    return this.get<VersionInfo>('/version', undefined, options);
  }

  // --- internals ----------------------------------------------------------------------------

  private async whenReady(): Promise<Ready> {
    if (this.loaded) return this.loaded;
    await this.init();
    if (!this.loaded) throw new Error('KubeClient failed to initialise');
    return this.loaded;
  }

  private async json<T>(spec: RequestSpec): Promise<T> {
    const response = await this.request(spec);
    const text = response.body.toString('utf8');
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(
        `the server answered ${spec.method} ${spec.path} with ${response.statusCode} but the body is not JSON (Content-Type ${response.contentType || 'none'}): ${text.slice(0, 200)}`,
      );
    }
  }

  private fetchList(target: Target): (query: Query, signal?: AbortSignal) => Promise<KubeList<KubeObject>> {
    const path = pathOf(target);
    return (query, signal) => this.get<KubeList<KubeObject>>(path, query, { signal });
  }

  private watchSource(target: Target): Parameters<typeof watchStream>[0] {
    const path = pathOf(target);
    const loaded = (): Ready | undefined => this.loaded;
    return {
      get describe() {
        const ready = loaded();
        return ready ? `${ready.config.server}${path}` : path;
      },
      fetchList: this.fetchList(target),
      // Watch handles reconnection itself; the connection attempt is sent once.
      open: (query, signal) => this.stream({ path, query, signal, retry: false }),
    };
  }
}

function pathOf(target: Target): string {
  return typeof target === 'string' ? target : resourcePath(target);
}

function requestFields(options: RequestOptions | undefined): Partial<RequestSpec> {
  if (!options) return {};
  const fields: Partial<RequestSpec> = {};
  if (options.signal) fields.signal = options.signal;
  if (options.timeoutMs !== undefined) fields.timeoutMs = options.timeoutMs;
  if (options.retry !== undefined) fields.retry = options.retry;
  if (options.headers) fields.headers = options.headers;
  return fields;
}
