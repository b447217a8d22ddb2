// In-memory Store. Objects are kept as immutable values: callers must never mutate what they
// read (the server copies before changing anything), so lists and watches share references.
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../api/types.js';
import { errors } from '../../api/status.js';
import { errorMessage } from '../server/json.js';
import {
  type ListOptions,
  type ListResult,
  type Store,
  type StoreEvent,
  StoreError,
  type Unsubscribe,
  type WatchOptions,
  storeKey,
} from './store.js';

interface Bucket {
  objects: Map<string, KubeObject>;
  /** Keys in etcd order (lexicographic), rebuilt lazily after a create or delete. */
  sorted: string[] | null;
}

interface Snapshot {
  items: KubeObject[];
  revision: number;
  expires: number;
  /** Set once the snapshot is kept for continue tokens. */
  id?: string;
}

interface Watcher {
  resource: string | undefined;
  namespace: string | undefined;
  listener: (e: StoreEvent) => void;
}

export interface MemoryStoreOptions {
  /** Events kept for watches that resume from an older revision (etcd keeps ~5 min). */
  historySize?: number;
  /** Drop history older than this (real ms; kube-apiserver compacts etcd every 5 minutes). Off when unset. */
  historyWindowMs?: number;
  /** How long a continue token stays valid (kube: until etcd compacts, 5 min by default). */
  snapshotTtlMs?: number;
  now?: () => number;
}

export class MemoryStore implements Store {
  private rev = 1;
  private readonly buckets = new Map<string, Bucket>();
  private readonly history: StoreEvent[] = [];
  /** When each kept event happened (now()), parallel to `history`. */
  private readonly historyAt: number[] = [];
  private readonly historyWindowMs: number | undefined;
  private historyStart = 0; // index of the oldest kept event in the ring
  private historyCount = 0;
  private readonly historySize: number;
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly snapshotTtlMs: number;
  private readonly watchers = new Set<Watcher>();
  private readonly now: () => number;
  /** Lowest revision a watch may resume from (older history was dropped). */
  private compacted = 1;

  constructor(options: MemoryStoreOptions = {}) {
    this.historySize = options.historySize ?? 100_000;
    this.historyWindowMs = options.historyWindowMs;
    this.snapshotTtlMs = options.snapshotTtlMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  revision(): number {
    return this.rev;
  }

  resources(): string[] {
    return [...this.buckets.keys()].filter((k) => (this.buckets.get(k)?.objects.size ?? 0) > 0);
  }

  private bucket(resource: string): Bucket {
    let b = this.buckets.get(resource);
    if (!b) {
      b = { objects: new Map(), sorted: null };
      this.buckets.set(resource, b);
    }
    return b;
  }

  async get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    return this.buckets.get(resource)?.objects.get(storeKey(namespace, name));
  }

  async list(resource: string, namespace: string | undefined, options: ListOptions = {}): Promise<ListResult> {
    const limit = options.limit && options.limit > 0 ? options.limit : 0;
    if (options.continue) return this.continueList(options.continue, limit, options.countRemaining);
    const b = this.buckets.get(resource);
    const items: KubeObject[] = [];
    if (b) {
      if (!b.sorted) b.sorted = [...b.objects.keys()].sort();
      const prefix = namespace ? `${namespace}/` : '';
      for (const key of b.sorted) {
        if (prefix && !key.startsWith(prefix)) continue;
        const obj = b.objects.get(key)!;
        if (options.filter && !options.filter(obj)) continue;
        items.push(obj);
      }
    }
    const revision = this.rev;
    if (!limit || items.length <= limit) return { items, revision };
    return this.page({ items, revision, expires: 0 }, 0, limit, options.countRemaining);
  }

  private page(snapshot: Snapshot, offset: number, limit: number, countRemaining?: boolean): ListResult {
    const end = limit ? offset + limit : snapshot.items.length;
    const items = snapshot.items.slice(offset, end);
    const result: ListResult = { items, revision: snapshot.revision };
    if (end < snapshot.items.length) {
      this.expireSnapshots();
      // One entry per list, shared by all its pages; tokens are reusable until it expires, as
      // kube's are until compaction (a retried page request must get the same page).
      if (!snapshot.id) {
        snapshot.id = randomBytes(9).toString('base64url');
        this.snapshots.set(snapshot.id, snapshot);
      }
      snapshot.expires = this.now() + this.snapshotTtlMs;
      result.continue = Buffer.from(JSON.stringify({ rv: snapshot.revision, id: snapshot.id, offset: end })).toString('base64url');
      if (countRemaining) result.remainingItemCount = snapshot.items.length - end;
    }
    return result;
  }

  private continueList(token: string, limit: number, countRemaining?: boolean): ListResult {
    // A token that does not decode is the client's mistake (kube: 400 "invalid continue token");
    // one that decodes but whose snapshot is gone has expired (410).
    const invalid = (why: string) => errors.badRequest(`invalid continue token: continue key is not valid: ${why}`);
    let parsed: { rv?: unknown; id?: unknown; offset?: unknown };
    if (!/^[A-Za-z0-9_-]*$/.test(token)) throw invalid('illegal base64 data');
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch (e) {
      throw invalid(errorMessage(e));
    }
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.id !== 'string' || typeof parsed.offset !== 'number' || typeof parsed.rv !== 'number') {
      throw invalid('server does not recognize this encoded version');
    }
    const snapshot = this.snapshots.get(parsed.id);
    if (!snapshot || snapshot.expires < this.now() || snapshot.revision !== parsed.rv || parsed.offset < 0 || parsed.offset > snapshot.items.length) {
      throw new StoreError(
        'Expired',
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      );
    }
    return this.page(snapshot, parsed.offset, limit, countRemaining);
  }

  private expireSnapshots(): void {
    const now = this.now();
    for (const [id, s] of this.snapshots) if (s.expires < now) this.snapshots.delete(id);
    // Bound memory if clients abandon paginated lists.
    if (this.snapshots.size > 1000) {
      const oldest = this.snapshots.keys().next().value;
      if (oldest) this.snapshots.delete(oldest);
    }
  }

  async create(resource: string, obj: KubeObject): Promise<KubeObject> {
    const ns = obj.metadata.namespace ?? '';
    const key = storeKey(ns, obj.metadata.name ?? '');
    const b = this.bucket(resource);
    if (b.objects.has(key)) throw new StoreError('AlreadyExists', `${key} already exists`);
    const stored = this.stamp(obj);
    b.objects.set(key, stored);
    b.sorted = null;
    this.emit({ type: 'ADDED', resource, namespace: ns, object: stored, revision: this.rev });
    return stored;
  }

  async update(resource: string, obj: KubeObject, expectedRevision: string): Promise<KubeObject> {
    const ns = obj.metadata.namespace ?? '';
    const key = storeKey(ns, obj.metadata.name ?? '');
    const b = this.bucket(resource);
    const current = b.objects.get(key);
    if (!current) throw new StoreError('NotFound', `${key} not found`);
    if (current.metadata.resourceVersion !== expectedRevision) {
      throw new StoreError('Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const stored = this.stamp(obj);
    b.objects.set(key, stored);
    this.emit({ type: 'MODIFIED', resource, namespace: ns, object: stored, prev: current, revision: this.rev });
    return stored;
  }

  async delete(resource: string, namespace: string, name: string, expectedRevision?: string): Promise<KubeObject> {
    const key = storeKey(namespace, name);
    const b = this.buckets.get(resource);
    const current = b?.objects.get(key);
    if (!b || !current) throw new StoreError('NotFound', `${key} not found`);
    if (expectedRevision !== undefined && current.metadata.resourceVersion !== expectedRevision) {
      throw new StoreError('Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
    }
    b.objects.delete(key);
    b.sorted = null;
    this.rev++;
    // A deleted object's last state carries the deletion's revision, as watch DELETED events do.
    const last: KubeObject = { ...current, metadata: { ...current.metadata, resourceVersion: String(this.rev) } };
    this.emit({ type: 'DELETED', resource, namespace, object: last, prev: current, revision: this.rev });
    return last;
  }

  private stamp(obj: KubeObject): KubeObject {
    this.rev++;
    return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rev) } };
  }

  private emit(event: StoreEvent): void {
    this.compact();
    if (this.historyCount === this.historySize) this.dropOldest();
    const at = (this.historyStart + this.historyCount) % this.historySize;
    this.history[at] = event;
    this.historyAt[at] = this.now();
    this.historyCount++;
    for (const w of this.watchers) {
      if (matches(w, event)) {
        try {
          w.listener(event);
        } catch {
          // A failing watcher must not break the write that triggered it.
        }
      }
    }
  }

  /** Forget events older than the history window, as etcd's compaction does. */
  private compact(): void {
    if (this.historyWindowMs === undefined) return;
    const cutoff = this.now() - this.historyWindowMs;
    while (this.historyCount > 0 && this.historyAt[this.historyStart] < cutoff) this.dropOldest();
  }

  private dropOldest(): void {
    this.compacted = this.history[this.historyStart].revision;
    this.historyStart = (this.historyStart + 1) % this.historySize;
    this.historyCount--;
  }

  /** The objects of a resource as they were at `revision` (a list with resourceVersionMatch=Exact). */
  async listAt(resource: string, namespace: string | undefined, revision: number, filter?: (o: KubeObject) => boolean): Promise<ListResult> {
    this.compact();
    if (revision < this.compacted) throw new StoreError('Expired', `too old resource version: ${revision} (${this.compacted})`);
    const state = new Map(this.buckets.get(resource)?.objects ?? []);
    // Undo the newer events, newest first.
    for (let i = this.historyCount - 1; i >= 0; i--) {
      const e = this.history[(this.historyStart + i) % this.historySize];
      if (e.revision <= revision) break;
      if (e.resource !== resource) continue;
      const key = storeKey(e.namespace, e.object.metadata.name ?? '');
      if (e.type === 'ADDED') state.delete(key);
      else if (e.prev) state.set(key, e.prev);
    }
    const prefix = namespace ? `${namespace}/` : '';
    const items = [...state.keys()]
      .sort()
      .filter((k) => !prefix || k.startsWith(prefix))
      .map((k) => state.get(k)!)
      .filter((o) => !filter || filter(o));
    return { items, revision };
  }

  watch(resource: string | undefined, options: WatchOptions, listener: (e: StoreEvent) => void): Unsubscribe {
    const watcher: Watcher = { resource, namespace: options.namespace, listener };
    this.compact();
    if (options.fromRevision < this.compacted) {
      // kube's watch cache names the oldest resourceVersion it can still watch from.
      throw new StoreError('Expired', `too old resource version: ${options.fromRevision} (${this.compacted})`);
    }
    if (options.fromRevision < this.rev) {
      for (let i = 0; i < this.historyCount; i++) {
        const e = this.history[(this.historyStart + i) % this.historySize];
        if (e.revision > options.fromRevision && matches(watcher, e)) listener(e);
      }
    }
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  async close(): Promise<void> {
    this.watchers.clear();
  }
}

function matches(w: Watcher, e: StoreEvent): boolean {
  return (w.resource === undefined || w.resource === e.resource) && (!w.namespace || w.namespace === e.namespace);
}
