// Watches that keep going. A watch connection ends for ordinary reasons (the server's
// timeoutSeconds, an API server restart, a proxy idling out); we reconnect from the last
// resourceVersion seen, BOOKMARKs included. When that version is too old (410 Expired/Gone,
// as an HTTP status or as an ERROR event), the only way on is a fresh list: we relist and yield
// it as one RELIST event carrying the complete current state, then watch from the list's
// resourceVersion. A consumer keeping a cache replaces it with the RELIST items.
import { StatusError } from '../api/status.js';
import { isKubeObject, isStatus, objectKey, type KubeObject, type Status } from '../api/types.js';
import { errnoCode } from '../util/errors.js';
import { ConnectionError, isExpired } from './errors.js';
import { JsonLineSplitter } from './jsonlines.js';
import { listPages, type FetchList } from './pager.js';
import type { Query } from './paths.js';
import { decideRetry, retryOptions, sleep, type AttemptOutcome, type RetryOptions } from './retry.js';

export interface ObjectEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  /** For BOOKMARK only kind, apiVersion and metadata.resourceVersion are meaningful. */
  object: T;
}

/** The watch had to start over from a fresh list: `items` is the complete current state. */
export interface RelistEvent<T extends KubeObject = KubeObject> {
  type: 'RELIST';
  items: T[];
  resourceVersion: string;
}

export type WatchStreamEvent<T extends KubeObject = KubeObject> = ObjectEvent<T> | RelistEvent<T>;

export interface WatchOptions {
  /**
   * Start after this resourceVersion (typically a list's). Without it the server first sends
   * ADDED for every existing object, then changes.
   */
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Ask for BOOKMARK events (default true); they are yielded, and keep resuming cheap. */
  allowWatchBookmarks?: boolean;
  /**
   * Per connection: the server ends the stream after this long and the watch reconnects.
   * Default: a random 5-10 minutes, like client-go's reflector, so a connection that died
   * silently (no RST through a NAT or VPN) is noticed: the client also gives up on a stream
   * that outlives this by a minute.
   */
  timeoutSeconds?: number;
  /** Aborting ends the iteration quietly (no error). */
  signal?: AbortSignal;
  /** What to do on 410 Expired: relist (default) or throw the StatusError. */
  onExpired?: 'relist' | 'throw';
  /** Page size of relists (default 500). */
  relistLimit?: number;
  /** Bounds consecutive failed connections (maxAttempts) and their backoff. */
  retry?: Partial<RetryOptions>;
}

/** What the watch needs from the client: one connection at a time, and lists. */
export interface WatchSource {
  /** Open one watch connection, without retries; a non-2xx answer throws StatusError. */
  open(query: Query, signal: AbortSignal): Promise<AsyncIterable<Buffer | string>>;
  fetchList: FetchList;
  /** "https://host:6443/api/v1/pods", for messages. */
  describe: string;
}

// A stream that ends sooner than this without any event counts as a failure (backoff), so a
// server that closes watches at once is not hammered.
const QUICK_END_MS = 1000;
// How long past its timeoutSeconds a stream may stay open before the client closes it.
const OVERDUE_GRACE_MS = 60_000;

export async function* watchStream<T extends KubeObject = KubeObject>(
  source: WatchSource,
  options: WatchOptions = {},
  startWithList = false,
): AsyncGenerator<WatchStreamEvent<T>> {
  const retry = retryOptions(options.retry);
  const outer = options.signal;
  let resourceVersion = options.resourceVersion || undefined;
  let relist = startWithList;
  let failures = 0;

  while (!outer?.aborted) {
    if (relist) {
      let snapshot: { items: T[]; resourceVersion: string };
      try {
        snapshot = await collectList<T>(source.fetchList, options);
      } catch (err) {
        if (outer?.aborted) return;
        throw err;
      }
      relist = false;
      resourceVersion = snapshot.resourceVersion;
      yield { type: 'RELIST', items: snapshot.items, resourceVersion: snapshot.resourceVersion };
      if (outer?.aborted) return;
    }

    const connection = new AbortController();
    const onOuterAbort = (): void => connection.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    const opened = Date.now();
    const timeoutSeconds = options.timeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    let overdue = false;
    const overdueTimer = setTimeout(() => {
      overdue = true;
      connection.abort(new Error(`the watch ${source.describe} stayed open past its timeoutSeconds`));
    }, timeoutSeconds * 1000 + OVERDUE_GRACE_MS);
    overdueTimer.unref();
    let received = 0;
    let drop: { outcome: AttemptOutcome; error: Error } | undefined;
    let expired: StatusError | undefined;

    try {
      const query: Query = {
        watch: 'true',
        resourceVersion,
        allowWatchBookmarks: options.allowWatchBookmarks === false ? undefined : 'true',
        labelSelector: options.labelSelector || undefined,
        fieldSelector: options.fieldSelector || undefined,
        timeoutSeconds,
      };
      try {
        const stream = await source.open(query, connection.signal);
        for await (const line of jsonLines(stream)) {
          const event = parseEvent(line, source.describe);
          // An ERROR event is classified like an HTTP error answer (below): 410 relists,
          // 429/5xx reconnect, anything else ends the watch.
          if (event.type === 'ERROR') throw new StatusError(event.status);
          const rv = event.object.metadata?.resourceVersion;
          if (rv) resourceVersion = rv;
          received++;
          failures = 0;
          yield event as ObjectEvent<T>;
        }
      } catch (err) {
        if (outer?.aborted) return;
        if (overdue) {
          // Treated as the server ending the stream: resume from where we were.
        } else if (isExpired(err)) {
          expired = err;
        } else if (err instanceof StatusError) {
          const code = err.status.code;
          if (!(code === 429 || code >= 500)) throw err;
          drop = {
            outcome: { kind: 'status', code, retryAfterSeconds: err.status.details?.retryAfterSeconds },
            error: err,
          };
        } else if (err instanceof ConnectionError) {
          drop = { outcome: { kind: 'connection', code: err.code }, error: err };
        } else if (isSocketError(err)) {
          const code = errnoCode(err) ?? 'ECONNRESET';
          const message = `the watch ${source.describe} was interrupted: ${err instanceof Error ? err.message : String(err)} (${code})`;
          drop = { outcome: { kind: 'connection', code }, error: new ConnectionError(message, source.describe, code, 'reset', { cause: err }) };
        } else {
          throw err;
        }
      }
    } finally {
      clearTimeout(overdueTimer);
      connection.abort();
      outer?.removeEventListener('abort', onOuterAbort);
    }
    if (outer?.aborted) return;

    if (expired) {
      if (options.onExpired === 'throw') throw expired;
      relist = true;
      continue;
    }
    if (!drop && (received > 0 || Date.now() - opened >= QUICK_END_MS)) {
      // The server ended the stream normally (timeoutSeconds): resume where we were.
      if (resourceVersion === undefined) relist = true;
      continue;
    }
    drop ??= {
      outcome: { kind: 'connection', code: 'ECONNRESET' },
      error: new Error(`the server closed the watch ${source.describe} at once, without events`),
    };
    if (received > 0) failures = 0;
    failures++;
    const decision = decideRetry({ attempt: failures, idempotent: true, outcome: drop.outcome, options: retry });
    if (!decision.retry) throw drop.error;
    // Without a resourceVersion there is nothing to resume from: a new watch would replay
    // everything as ADDED, so start from a list instead.
    if (resourceVersion === undefined) relist = true;
    try {
      await sleep(decision.delayMs, outer);
    } catch {
      return;
    }
  }
}

/** Whole lines of a chunked stream, the unterminated last one included. */
async function* jsonLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const splitter = new JsonLineSplitter();
  for await (const chunk of stream) yield* splitter.push(chunk);
  yield* splitter.end();
}

type ParsedEvent = ObjectEvent<KubeObject> | { type: 'ERROR'; status: Status };

function parseEvent(line: string, describe: string): ParsedEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`the watch ${describe} sent a line that is not JSON: ${line.slice(0, 200)}`);
  }
  const event = value;
  if (typeof event !== 'object' || event === null || !('type' in event) || typeof event.type !== 'string' || !('object' in event) || typeof event.object !== 'object' || event.object === null) {
    throw new Error(`the watch ${describe} sent something that is not a watch event: ${line.slice(0, 200)}`);
  }
  switch (event.type) {
    case 'ERROR': {
      const status: Status = isStatus(event.object)
        ? event.object
        : { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500, message: line.slice(0, 200) };
      return { type: 'ERROR', status };
    }
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
    case 'BOOKMARK':
      if (!isKubeObject(event.object)) throw new Error(`the watch ${describe} sent an object without metadata: ${line.slice(0, 200)}`);
      return { type: event.type, object: event.object };
    default:
      throw new Error(`the watch ${describe} sent an unknown event type "${event.type}"`);
  }
}

function isSocketError(err: unknown): boolean {
  const code = errnoCode(err);
  return code !== undefined && ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE'].includes(code);
}

async function collectList<T extends KubeObject>(
  fetchList: FetchList,
  options: WatchOptions,
): Promise<{ items: T[]; resourceVersion: string }> {
  let items: T[] = [];
  let resourceVersion = '';
  let restarts = 0;
  for await (const page of listPages<T>(fetchList, {
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    limit: options.relistLimit,
    restartOnExpired: true,
    signal: options.signal,
  })) {
    if (page.restarts !== restarts) {
      restarts = page.restarts;
      items = [];
      resourceVersion = '';
    }
    if (!resourceVersion) resourceVersion = page.resourceVersion;
    items.push(...page.items);
  }
  return { items, resourceVersion };
}

export type InformerEvent<T extends KubeObject = KubeObject> =
  | { type: 'ADDED'; object: T }
  | { type: 'MODIFIED'; object: T; previous: T | undefined }
  | { type: 'DELETED'; object: T }
  /** The cache holds the complete state as of resourceVersion (after the first list, and after every relist). */
  | { type: 'SYNCED'; resourceVersion: string };

/**
 * List, then watch, keeping `cache` (keyed "namespace/name", or "name" for cluster objects)
 * equal to the server's state. Each event is applied to the cache before it is yielded. A
 * relist is turned into the ADDED/MODIFIED/DELETED events it implies, then SYNCED.
 * Iterate it once.
 */
export class Informer<T extends KubeObject = KubeObject> implements AsyncIterable<InformerEvent<T>> {
  readonly cache = new Map<string, T>();
  private readonly events: AsyncIterable<WatchStreamEvent<T>>;
  private synced = false;
  private rv = '';

  constructor(events: AsyncIterable<WatchStreamEvent<T>>) {
    this.events = events;
  }

  /** True once the first list is in the cache. */
  get hasSynced(): boolean {
    return this.synced;
  }

  /** The last resourceVersion the cache reflects. */
  get resourceVersion(): string {
    return this.rv;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<InformerEvent<T>> {
    for await (const event of this.events) {
      switch (event.type) {
        case 'RELIST': {
          const fresh = new Map<string, T>();
          for (const item of event.items) fresh.set(objectKey(item), item);
          for (const [key, item] of fresh) {
            const previous = this.cache.get(key);
            if (previous && previous.metadata.resourceVersion === item.metadata.resourceVersion) continue;
            this.cache.set(key, item);
            yield previous ? { type: 'MODIFIED', object: item, previous } : { type: 'ADDED', object: item };
          }
          for (const [key, item] of [...this.cache]) {
            if (fresh.has(key)) continue;
            this.cache.delete(key);
            yield { type: 'DELETED', object: item };
          }
          this.synced = true;
          this.rv = event.resourceVersion;
          yield { type: 'SYNCED', resourceVersion: event.resourceVersion };
          break;
        }
        case 'BOOKMARK':
          this.rv = event.object.metadata?.resourceVersion ?? this.rv;
          break;
        case 'ADDED':
        case 'MODIFIED': {
          const key = objectKey(event.object);
          const previous = this.cache.get(key);
          this.cache.set(key, event.object);
          this.rv = event.object.metadata.resourceVersion ?? this.rv;
          yield previous ? { type: 'MODIFIED', object: event.object, previous } : { type: 'ADDED', object: event.object };
          break;
        }
        case 'DELETED': {
          this.cache.delete(objectKey(event.object));
          this.rv = event.object.metadata.resourceVersion ?? this.rv;
          yield { type: 'DELETED', object: event.object };
          break;
        }
      }
    }
  }
}
