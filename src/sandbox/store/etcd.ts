// The sandbox's Store on a real etcd, laid out as kube-apiserver lays out its storage: one key
// per object under /registry (Kubernetes' --etcd-prefix), JSON values (as with
// --storage-media-type=application/json), resourceVersion = the key's mod_revision.
//
// Reads go to etcd. Writes are etcd transactions: create only if the key's create_revision is 0,
// update and delete only if its mod_revision is the expected one. Lists read at one revision,
// paged, with kube's continue token ({"v":"meta.k8s.io/v1","rv":R,"start":KEY}); a token whose
// revision etcd has compacted is Expired (410), as in kube-apiserver.
//
// Watches are served the way kube-apiserver's watch cache serves them: one etcd watch over the
// whole prefix feeds an in-memory history, and Store.watch replays from it synchronously; a
// revision older than the history is Expired ("too old resource version"). A write resolves once
// the watch has delivered it, so the store's watchers see a write before its caller goes on (as
// with MemoryStore). Like kube-apiserver, the store compacts etcd's history every 5 minutes.
import { type Compare, type EtcdClient, type EtcdConnectionOptions, EtcdError, type KeyValue, type WatchResponse, createEtcdClient } from '../../etcd/connection.js';
import { type KubeObject, isKubeObject } from '../../api/types.js';
import { errors } from '../../api/status.js';
import { BUILTIN_RESOURCES } from '../server/resources.js';
import { errorMessage } from '../server/json.js';
import { type ListOptions, type ListResult, type Store, type StoreEvent, StoreError, type Unsubscribe, type WatchOptions, storeKey } from './store.js';

export interface EtcdStoreOptions {
  /** How to reach etcd (endpoints, TLS). */
  connection: EtcdConnectionOptions;
  /** kube-apiserver's --etcd-prefix (default /registry). */
  prefix?: string;
  /** Watch events kept for watches that resume from an older revision. */
  historySize?: number;
  /** kube-apiserver's --etcd-compaction-interval (default 5 minutes; 0: never compact). */
  compactionIntervalMs?: number;
  /** Keys read per etcd range request when listing. */
  pageSize?: number;
  log?: (line: string) => void;
}

// ---- key layout --------------------------------------------------------------------------------

/** Built-in resources whose etcd prefix is not their plural (kube's storage factory, as auger mirrors it). */
const SPECIAL_PREFIXES: Record<string, string> = {
  services: 'services/specs',
  endpoints: 'services/endpoints',
  nodes: 'minions',
  replicationcontrollers: 'controllers',
  'ingresses.networking.k8s.io': 'ingress',
};

/** Built-in resource keys ("deployments.apps") other than CRDs and APIServices: stored under their bare plural. */
const BUILTIN_KEYS = new Set(
  BUILTIN_RESOURCES.filter((t) => t.group !== 'apiextensions.k8s.io' && t.group !== 'apiregistration.k8s.io').map((t) => (t.group ? `${t.resource}.${t.group}` : t.resource)),
);

/** The etcd prefix (below --etcd-prefix) of a resource key: "pods", "minions", "example.com/widgets". */
export function resourcePrefix(resource: string): string {
  const special = SPECIAL_PREFIXES[resource];
  if (special) return special;
  const dot = resource.indexOf('.');
  if (dot < 0) return resource;
  // Built-in groups keep the bare plural; CRDs, custom resources and aggregated groups use group/plural.
  if (BUILTIN_KEYS.has(resource)) return resource.slice(0, dot);
  return `${resource.slice(dot + 1)}/${resource.slice(0, dot)}`;
}

const BARE_TO_RESOURCE = new Map<string, string>();
for (const key of BUILTIN_KEYS) BARE_TO_RESOURCE.set(resourcePrefix(key), key);

/** The object an etcd key holds: resource key, namespace ('' when cluster-scoped) and name. */
export function parseObjectKey(prefix: string, key: string): { resource: string; namespace: string; name: string } | undefined {
  if (!key.startsWith(`${prefix}/`)) return undefined;
  const parts = key.slice(prefix.length + 1).split('/');
  let resource: string | undefined;
  let rest: string[];
  if (parts[0].includes('.')) {
    resource = parts.length >= 3 ? `${parts[1]}.${parts[0]}` : undefined;
    rest = parts.slice(2);
  } else if (parts[0] === 'services' && (parts[1] === 'specs' || parts[1] === 'endpoints')) {
    resource = BARE_TO_RESOURCE.get(`services/${parts[1]}`);
    rest = parts.slice(2);
  } else {
    resource = BARE_TO_RESOURCE.get(parts[0]);
    rest = parts.slice(1);
  }
  if (!resource || rest.length < 1 || rest.length > 2 || rest.some((p) => p === '')) return undefined;
  return rest.length === 2 ? { resource, namespace: rest[0], name: rest[1] } : { resource, namespace: '', name: rest[0] };
}

/** The first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all keys
}

// ---- values ------------------------------------------------------------------------------------

function encode(obj: KubeObject): Buffer {
  // kube-apiserver does not store resourceVersion: it is the key's mod_revision.
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return Buffer.from(JSON.stringify({ ...obj, metadata }));
}

function decode(value: Buffer, revision: string): KubeObject | undefined {
  // Values that are not JSON objects (protobuf from a real kube-apiserver, foreign keys) are skipped.
  if (value.length === 0 || value[0] !== 0x7b) return undefined;
  try {
    const obj: unknown = JSON.parse(value.toString('utf8'));
    if (!isKubeObject(obj)) return undefined;
    obj.metadata.resourceVersion = revision;
    return obj;
  } catch {
    return undefined;
  }
}

const CONFLICT = 'the object has been modified; please apply your changes to the latest version and try again';
const CONTINUE_EXPIRED = 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';

/**
 * A txn comparison. Enums go as numbers: the rpc.proto that is loaded spells them Equal/Mod/...,
 * and protobufjs quietly encodes a name it does not know as 0 (Version, Equal).
 */
function compareEqual(key: Buffer, target: 'version' | 'create' | 'mod', value: number | string): Compare {
  const targets = { version: 0, create: 1, mod: 2 };
  const field = { version: 'version', create: 'create_revision', mod: 'mod_revision' }[target];
  return { key, result: 0, target: targets[target], [field]: value } as unknown as Compare;
}

/** mvccpb.Event.type: PUT (0) or DELETE (1), however the enum is rendered. */
function isDelete(type: unknown): boolean {
  return type === 1 || String(type).toUpperCase() === 'DELETE';
}

function isCompacted(e: unknown): boolean {
  return e instanceof EtcdError && /required revision (has been compacted|is a future revision)/.test(`${e.details ?? ''} ${e.message}`);
}

// ---- the store ---------------------------------------------------------------------------------

interface Watcher {
  resource: string | undefined;
  namespace: string | undefined;
  from: number;
  listener: (e: StoreEvent) => void;
}

export class EtcdStore implements Store {
  readonly prefix: string;
  readonly endpoints: string[];
  private readonly client: EtcdClient;
  private readonly log: (line: string) => void;
  private readonly pageSize: number;
  /** Revision up to which watch events have been delivered (what the store has seen). */
  private rev: number;
  /** Lowest revision a watch may resume from. */
  private oldest: number;
  private readonly history: StoreEvent[] = [];
  private historyStart = 0;
  private readonly historySize: number;
  private readonly watchers = new Set<Watcher>();
  private readonly counts = new Map<string, number>();
  private readonly waiters: Array<{ rev: number; resolve: () => void }> = [];
  private stream?: ReturnType<EtcdClient['watch']>;
  private closed = false;
  private reconnectTimer?: NodeJS.Timeout;
  private compactTimer?: NodeJS.Timeout;
  private compactState = { version: 0, lastRev: 0 };

  private constructor(client: EtcdClient, options: EtcdStoreOptions, revision: number) {
    this.client = client;
    this.prefix = (options.prefix ?? '/registry').replace(/\/+$/, '');
    this.endpoints = options.connection.endpoints;
    this.log = options.log ?? (() => undefined);
    this.historySize = options.historySize ?? 100_000;
    this.pageSize = options.pageSize ?? 500;
    this.rev = revision;
    this.oldest = revision;
  }

  /** Connects, counts what is stored, and starts the watch that feeds watchers. */
  static async open(options: EtcdStoreOptions): Promise<EtcdStore> {
    let client: EtcdClient;
    try {
      client = await createEtcdClient(options.connection);
    } catch (e) {
      throw new StoreError('Unavailable', e instanceof Error ? e.message : String(e));
    }
    try {
      const prefix = Buffer.from(`${(options.prefix ?? '/registry').replace(/\/+$/, '')}/`);
      const head = await client.range({ key: prefix, range_end: prefixEnd(prefix), count_only: true });
      const store = new EtcdStore(client, options, Number(head.header.revision));
      await store.countObjects(Number(head.header.revision));
      store.startWatch();
      const interval = options.compactionIntervalMs ?? 5 * 60_000;
      if (interval > 0) {
        store.compactTimer = setInterval(() => void store.compact(), interval);
        store.compactTimer.unref();
      }
      return store;
    } catch (e) {
      client.close();
      throw e instanceof StoreError ? e : new StoreError('Unavailable', e instanceof Error ? e.message : String(e));
    }
  }

  revision(): number {
    return this.rev;
  }

  resources(): string[] {
    return [...this.counts].filter(([, n]) => n > 0).map(([r]) => r);
  }

  key(resource: string, namespace: string, name: string): string {
    return `${this.prefix}/${resourcePrefix(resource)}/${storeKey(namespace, name)}`;
  }

  private async countObjects(revision: number): Promise<void> {
    const start = Buffer.from(`${this.prefix}/`);
    const end = prefixEnd(start);
    let from = start;
    for (;;) {
      const res = await this.client.range({ key: from, range_end: end, keys_only: true, limit: 5000, revision });
      for (const kv of res.kvs) {
        const o = parseObjectKey(this.prefix, kv.key.toString('utf8'));
        if (o) this.counts.set(o.resource, (this.counts.get(o.resource) ?? 0) + 1);
      }
      if (!res.more || res.kvs.length === 0) return;
      from = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
    }
  }

  // ---- reads -----------------------------------------------------------------------------------

  async get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    const res = await this.call(() => this.client.range({ key: Buffer.from(this.key(resource, namespace, name)) }));
    const kv = res.kvs[0];
    return kv ? decode(kv.value, kv.mod_revision) : undefined;
  }

  async list(resource: string, namespace: string | undefined, options: ListOptions = {}): Promise<ListResult> {
    const limit = options.limit && options.limit > 0 ? options.limit : 0;
    const listPrefix = `${this.prefix}/${resourcePrefix(resource)}/${namespace ? `${namespace}/` : ''}`;
    const end = prefixEnd(Buffer.from(listPrefix));
    let from = Buffer.from(listPrefix);
    let revision = 0;
    if (options.continue) {
      const token = decodeContinue(options.continue);
      from = Buffer.from(listPrefix + token.start);
      revision = token.rv;
    }
    const items: KubeObject[] = [];
    let next: Buffer | undefined;
    for (;;) {
      // Without a filter every key is an item: ask for just what the page needs.
      const batch = limit && !options.filter ? Math.min(limit - items.length, this.pageSize) : this.pageSize;
      let res;
      try {
        res = await this.call(() => this.client.range({ key: from, range_end: end, limit: batch, ...(revision ? { revision } : {}) }));
      } catch (e) {
        if (e instanceof StoreError && e.code === 'Expired') throw new StoreError('Expired', CONTINUE_EXPIRED);
        throw e;
      }
      if (!revision) revision = Number(res.header.revision);
      let i = 0;
      for (; i < res.kvs.length; i++) {
        if (limit && items.length === limit) break;
        const kv = res.kvs[i];
        // Only this resource's objects: a prefix could hold deeper keys that are not objects.
        if (!parseObjectKey(this.prefix, kv.key.toString('utf8'))) continue;
        const o = decode(kv.value, kv.mod_revision);
        if (!o || (options.filter && !options.filter(o))) continue;
        items.push(o);
      }
      if (i < res.kvs.length) {
        next = res.kvs[i].key;
        break;
      }
      if (!res.more || res.kvs.length === 0) break;
      from = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
      if (limit && items.length === limit) {
        next = from;
        break;
      }
    }
    const result: ListResult = { items, revision };
    if (next) {
      result.continue = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start: next.toString('utf8').slice(listPrefix.length) })).toString('base64url');
      if (options.countRemaining) {
        const rest = await this.call(() => this.client.range({ key: next!, range_end: end, count_only: true, revision }));
        result.remainingItemCount = Number(rest.count);
      }
    }
    return result;
  }

  // ---- writes ----------------------------------------------------------------------------------

  async create(resource: string, obj: KubeObject): Promise<KubeObject> {
    const ns = obj.metadata.namespace ?? '';
    const key = Buffer.from(this.key(resource, ns, obj.metadata.name ?? ''));
    const res = await this.call(() =>
      this.client.txn({
        compare: [compareEqual(key, 'create', 0)],
        success: [{ request_put: { key, value: encode(obj) } }],
      }),
    );
    if (!res.succeeded) throw new StoreError('AlreadyExists', `${storeKey(ns, obj.metadata.name ?? '')} already exists`);
    const rev = Number(res.header.revision);
    await this.caughtUp(rev);
    return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rev) } };
  }

  async update(resource: string, obj: KubeObject, expectedRevision: string): Promise<KubeObject> {
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    const key = Buffer.from(this.key(resource, ns, name));
    const expected = /^\d+$/.test(expectedRevision) ? expectedRevision : '-1';
    const res = await this.call(() =>
      this.client.txn({
        compare: [compareEqual(key, 'mod', expected)],
        success: [{ request_put: { key, value: encode(obj) } }],
        failure: [{ request_range: { key, keys_only: true } }],
      }),
    );
    if (!res.succeeded) {
      const current = res.responses[0]?.response_range?.kvs ?? [];
      throw current.length ? new StoreError('Conflict', CONFLICT) : new StoreError('NotFound', `${storeKey(ns, name)} not found`);
    }
    const rev = Number(res.header.revision);
    await this.caughtUp(rev);
    return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rev) } };
  }

  async delete(resource: string, namespace: string, name: string, expectedRevision?: string): Promise<KubeObject> {
    const key = Buffer.from(this.key(resource, namespace, name));
    let prev: KeyValue | undefined;
    let rev: number;
    if (expectedRevision === undefined) {
      const res = await this.call(() => this.client.deleteRange({ key, prev_kv: true }));
      prev = res.prev_kvs[0];
      rev = Number(res.header.revision);
    } else {
      const expected = /^\d+$/.test(expectedRevision) ? expectedRevision : '-1';
      const res = await this.call(() =>
        this.client.txn({
          compare: [compareEqual(key, 'mod', expected)],
          success: [{ request_delete_range: { key, prev_kv: true } }],
          failure: [{ request_range: { key, keys_only: true } }],
        }),
      );
      if (!res.succeeded) {
        if (res.responses[0]?.response_range?.kvs.length) throw new StoreError('Conflict', CONFLICT);
        throw new StoreError('NotFound', `${storeKey(namespace, name)} not found`);
      }
      prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
      rev = Number(res.header.revision);
    }
    if (!prev) throw new StoreError('NotFound', `${storeKey(namespace, name)} not found`);
    await this.caughtUp(rev);
    // A deleted object's last state carries the deletion's revision, as watch DELETED events do.
    return decode(prev.value, String(rev)) ?? { metadata: { name, namespace: namespace || undefined, resourceVersion: String(rev) } };
  }

  /** etcd errors turned into StoreErrors: compaction is told apart for callers that map it to Expired. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      // A read at a revision etcd no longer has (or does not have yet, after a restore).
      if (isCompacted(e)) throw new StoreError('Expired', 'compacted');
      if (e instanceof EtcdError) throw new StoreError('Unavailable', e.message);
      throw e;
    }
  }

  /** Resolves once the watch has delivered revision `rev` (or after a few seconds, if it lags). */
  private caughtUp(rev: number): Promise<void> {
    if (this.rev >= rev || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const w = {
        rev,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        this.log(`etcd store: the watch has not delivered revision ${rev} after 5s (it is at ${this.rev})`);
        resolve();
      }, 5_000);
      this.waiters.push(w);
    });
  }

  // ---- watch -----------------------------------------------------------------------------------

  watch(resource: string | undefined, options: WatchOptions, listener: (e: StoreEvent) => void): Unsubscribe {
    if (options.fromRevision < this.oldest) {
      // kube's watch cache names the oldest resourceVersion it can still watch from.
      throw new StoreError('Expired', `too old resource version: ${options.fromRevision} (${this.oldest})`);
    }
    const watcher: Watcher = { resource, namespace: options.namespace, from: options.fromRevision, listener };
    for (let i = 0; i < this.history.length; i++) {
      const e = this.history[(this.historyStart + i) % this.history.length];
      if (e.revision > watcher.from && matches(watcher, e)) listener(e);
    }
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  private startWatch(): void {
    if (this.closed) return;
    const key = Buffer.from(`${this.prefix}/`);
    const stream = this.client.watch();
    this.stream = stream;
    stream.on('data', (res: WatchResponse) => this.onWatch(res));
    const retry = (why: string) => {
      if (this.closed || this.stream !== stream) return;
      this.stream = undefined;
      this.log(`etcd store: watch ended (${why}); resuming from revision ${this.rev + 1}`);
      stream.removeAllListeners();
      stream.on('error', () => undefined);
      stream.cancel();
      this.reconnectTimer = setTimeout(() => this.startWatch(), 500);
    };
    stream.on('error', (e: Error) => retry(e.message));
    stream.on('end', () => retry('stream closed'));
    stream.write({ create_request: { key, range_end: prefixEnd(key), start_revision: String(this.rev + 1), prev_kv: true, progress_notify: true } });
  }

  private onWatch(res: WatchResponse): void {
    if (res.canceled) {
      if (Number(res.compact_revision) > 0) {
        // Events between our revision and the compaction are gone: watchers cannot resume
        // before it any more, and the cache continues from there.
        this.log(`etcd store: history up to ${res.compact_revision} was compacted before the watch resumed; events were lost`);
        this.oldest = Number(res.compact_revision);
        this.rev = Math.max(this.rev, Number(res.compact_revision) - 1);
      }
      const old = this.stream;
      this.stream = undefined;
      old?.removeAllListeners();
      old?.on('error', () => undefined);
      old?.cancel();
      if (!this.closed) this.reconnectTimer = setTimeout(() => this.startWatch(), 200);
      return;
    }
    for (const ev of res.events) this.apply(ev.type, ev.kv, ev.prev_kv);
    // The header says how far etcd is: nothing in our prefix happened up to there.
    const head = Number(res.header.revision);
    if (res.events.length === 0 && head > this.rev && !res.created) this.advance(head);
  }

  private apply(type: unknown, kv: KeyValue, prevKv: KeyValue | null): void {
    const rev = Number(kv.mod_revision);
    const where = parseObjectKey(this.prefix, kv.key.toString('utf8'));
    if (where && rev >= this.rev) {
      let event: StoreEvent | undefined;
      if (!isDelete(type)) {
        const object = decode(kv.value, kv.mod_revision);
        const added = kv.create_revision === kv.mod_revision;
        const prev = prevKv ? decode(prevKv.value, prevKv.mod_revision) : undefined;
        if (object) event = { type: added ? 'ADDED' : 'MODIFIED', resource: where.resource, namespace: where.namespace, object, ...(prev && !added ? { prev } : {}), revision: rev };
        if (added) this.counts.set(where.resource, (this.counts.get(where.resource) ?? 0) + 1);
      } else {
        const last = prevKv ? decode(prevKv.value, String(rev)) : undefined;
        event = {
          type: 'DELETED',
          resource: where.resource,
          namespace: where.namespace,
          object: last ?? { metadata: { name: where.name, namespace: where.namespace || undefined, resourceVersion: String(rev) } },
          revision: rev,
        };
        this.counts.set(where.resource, Math.max(0, (this.counts.get(where.resource) ?? 0) - 1));
      }
      if (event) this.emit(event);
    }
    this.advance(rev);
  }

  private emit(event: StoreEvent): void {
    if (this.history.length < this.historySize) this.history.push(event);
    else {
      this.history[this.historyStart] = event;
      this.historyStart = (this.historyStart + 1) % this.historySize;
      this.oldest = this.history[this.historyStart].revision - 1;
    }
    for (const w of this.watchers) {
      if (event.revision > w.from && matches(w, event)) {
        try {
          w.listener(event);
        } catch {
          // A failing watcher must not break the others.
        }
      }
    }
  }

  private advance(rev: number): void {
    if (rev <= this.rev) return;
    this.rev = rev;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].rev <= rev) {
        this.waiters[i].resolve();
        this.waiters.splice(i, 1);
      }
    }
  }

  /**
   * kube-apiserver's compactor: every interval, compact etcd at the revision seen one interval
   * ago, coordinated through compact_rev_key so several API servers compact once.
   */
  private async compact(): Promise<void> {
    const target = this.compactState.lastRev;
    this.compactState.lastRev = this.rev;
    if (this.closed || target <= 0) return;
    const key = Buffer.from('compact_rev_key');
    try {
      const res = await this.client.txn({
        compare: [compareEqual(key, 'version', this.compactState.version)],
        success: [{ request_put: { key, value: Buffer.from(String(target)) } }],
        failure: [{ request_range: { key } }],
      });
      if (!res.succeeded) {
        this.compactState.version = Number(res.responses[0]?.response_range?.kvs[0]?.version ?? 0);
        return;
      }
      this.compactState.version++;
      await this.client.compact({ revision: target });
    } catch (e) {
      if (!isCompacted(e)) this.log(`etcd store: compaction at ${target} failed: ${errorMessage(e)}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.compactTimer);
    for (const w of this.waiters.splice(0)) w.resolve();
    this.watchers.clear();
    const s = this.stream;
    this.stream = undefined;
    if (s) {
      s.removeAllListeners();
      s.on('error', () => undefined);
      s.cancel();
    }
    this.client.close();
  }
}

function matches(w: Watcher, e: StoreEvent): boolean {
  return (w.resource === undefined || w.resource === e.resource) && (!w.namespace || w.namespace === e.namespace);
}

/** kube's continue token: base64url JSON {"v":"meta.k8s.io/v1","rv":<revision>,"start":<key after the list prefix>}. */
function decodeContinue(token: string): { rv: number; start: string } {
  const invalid = (why: string) => errors.badRequest(`invalid continue token: continue key is not valid: ${why}`);
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(token)) throw invalid('illegal base64 data');
  let parsed: { v?: unknown; rv?: unknown; start?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (e) {
    throw invalid(errorMessage(e));
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') {
    throw invalid('server does not recognize this encoded version');
  }
  if (parsed.rv <= 0 || parsed.start.includes('..') || parsed.start.startsWith('/')) throw invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  return { rv: parsed.rv, start: parsed.start };
}
