// The event recorder every sandbox component records through, as client-go's tools/record does
// it for kube-controller-manager, kube-scheduler and the kubelet (events_cache.go, event.go):
// - the EventCorrelator: a repeat of the same event (same source, object, type, reason and
//   message) patches the first one's count, lastTimestamp and message instead of creating a new
//   object; more than 10 different messages for one source, object, type and reason within 10
//   minutes are combined into one "(combined from similar events): ..." event; and a spam filter
//   per source and object (a token bucket of 25 refilled one every 5 minutes) drops the rest.
//   Its caches are LRUs of 4096 entries, so memory stays bounded however long a sandbox runs;
// - the broadcaster: writes are asynchronous, one at a time per source, from a queue of at most
//   1000 events that drops what does not fit (watch.DropIfChannelFull); the kubelet's event
//   client is throttled to eventRecordQPS 50 / eventBurst 100 (KubeletConfiguration defaults).
// Windows and refills run on simulated time; the timestamps written are wall-clock (clock.ts).
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { Event } from '../../api/types.js';
import { isoTime } from '../clock.js';
import { TokenBucket } from './queue.js';

/** client-go's defaults (tools/record/events_cache.go). */
export const CORRELATOR_DEFAULTS = {
  lruCacheSize: 4096,
  aggregateMaxEvents: 10,
  aggregateIntervalMs: 600_000,
  spamBurst: 25,
  spamQps: 1 / 300,
} as const;

/** watch.NewLongQueueBroadcaster(maxQueuedEvents = 1000, DropIfChannelFull). */
export const MAX_QUEUED_EVENTS = 1000;
/** KubeletConfiguration eventRecordQPS / eventBurst defaults. */
export const KUBELET_EVENT_QPS = 50;
export const KUBELET_EVENT_BURST = 100;

export const COMBINED_PREFIX = '(combined from similar events): ';

export interface EventSource {
  component: string;
  host?: string;
}

/** One occurrence as a component reports it. */
export interface Occurrence {
  involvedObject: ObjectReference;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  source: EventSource;
  /** Simulated ms (windows and refills) and wall-clock ms (timestamps) of the occurrence. */
  simMs: number;
  wallMs: number;
}

/** The fields a repeat changes: what client-go's strategic merge patch carries. */
export interface SeriesPatch {
  count: number;
  lastTimestamp: string;
  message: string;
}

/** `stateKey`: the key updateState will find the written event under (its own key; none for a combined event). */
export type Correlation = { skip: true } | { skip: false; event: Event; patch?: SeriesPatch; stateKey?: string };

/** A map that forgets its least recently written entry beyond `size` (golang-lru's Cache, bounded the same way). */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly size: number) {}

  /** A read does not refresh the entry (the next set does): cheap on the hot path, still bounded. */
  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size <= this.size) return;
    for (const oldest of this.map.keys()) {
      this.map.delete(oldest);
      break;
    }
  }

  get length(): number {
    return this.map.size;
  }
}

/** Source and object; an object with a uid is that uid (its kind, namespace, name and version follow from it: shorter keys). */
function objectKey(o: Occurrence | Event): string {
  const r = o.involvedObject;
  const source = `${o.source?.component ?? ''}\u0000${o.source?.host ?? ''}\u0000`;
  return r.uid ? source + r.uid : `${source}${r.kind ?? ''}\u0000${r.namespace ?? ''}\u0000${r.name ?? ''}\u0000\u0000${r.apiVersion ?? ''}`;
}

/** getEventKey: source, object (with fieldPath), type, reason, message. */
export function eventKey(e: Event): string {
  return `${objectKey(e)}\u0000${e.involvedObject.fieldPath ?? ''}\u0000${e.type ?? ''}\u0000${e.reason ?? ''}\u0000${e.message ?? ''}`;
}

/** EventAggregatorByReasonFunc: the key of "similar" events (the message left out; reporting controller and instance are the source). */
export function aggregateKey(o: Occurrence): string {
  return `${objectKey(o)}\u0000${o.type}\u0000${o.reason}`;
}

/** getSpamKey: source and object. */
export function spamKey(e: Event): string {
  return objectKey(e);
}

/** Nanoseconds of a wall-clock ms, never the same twice in this process (ms are coarser than Go's ns). */
let lastNanos = 0n;
function uniqueNanos(wallMs: number): bigint {
  let nanos = BigInt(Math.floor(wallMs)) * 1_000_000n;
  if (nanos <= lastNanos) nanos = lastNanos + 1n;
  lastNanos = nanos;
  return nanos;
}

interface AggregateRecord {
  messages: Set<string>;
  lastSimMs: number;
}

interface Observation {
  count: number;
  firstTimestamp: string;
  name: string;
}

/**
 * client-go's EventCorrelator, pure: aggregate, observe (repeats become patches), then filter
 * spam. `updateState` records what the server stored, as the recorder does after each write.
 */
export class EventCorrelator {
  private readonly aggregates: LruMap<string, AggregateRecord>;
  private readonly observed: LruMap<string, Observation>;
  private readonly spam: LruMap<string, TokenBucket>;
  /** The simulated time of the occurrence being correlated (the spam buckets' clock). */
  private simMs = 0;

  constructor(private readonly opts: typeof CORRELATOR_DEFAULTS = CORRELATOR_DEFAULTS) {
    this.aggregates = new LruMap(opts.lruCacheSize);
    this.observed = new LruMap(opts.lruCacheSize);
    this.spam = new LruMap(opts.lruCacheSize);
  }

  correlate(o: Occurrence): Correlation {
    const { event, key, combined } = this.aggregate(o);
    const { observedEvent, patch } = this.observe(event, key);
    if (this.isSpam(observedEvent, o.simMs)) return { skip: true };
    return { skip: false, event: observedEvent, patch, stateKey: combined ? undefined : key };
  }

  /** The name client-go gives a new event: the object's name and the time in hex nanoseconds. */
  private nameFor(objectName: string, wallMs: number): string {
    return `${objectName}.${uniqueNanos(wallMs).toString(16)}`;
  }

  private newEvent(o: Occurrence, message: string): Event {
    const at = isoTime(o.wallMs);
    const ns = o.involvedObject.namespace || 'default';
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: this.nameFor(o.involvedObject.name ?? '', o.wallMs), namespace: ns },
      involvedObject: o.involvedObject,
      reason: o.reason,
      message,
      source: o.source.host ? { component: o.source.component, host: o.source.host } : { component: o.source.component },
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
      type: o.type,
      reportingComponent: o.source.component,
      reportingInstance: o.source.host ?? '',
    };
  }

  /** EventAggregate: the event itself, or past the limit of similar ones, the combined event. */
  private aggregate(o: Occurrence): { event: Event; key: string; combined: boolean } {
    const akey = aggregateKey(o);
    let record = this.aggregates.get(akey);
    if (!record || o.simMs - record.lastSimMs > this.opts.aggregateIntervalMs) record = { messages: new Set(), lastSimMs: o.simMs };
    record.messages.add(o.message);
    record.lastSimMs = o.simMs;
    this.aggregates.set(akey, record);
    if (record.messages.size < this.opts.aggregateMaxEvents) {
      const event = this.newEvent(o, o.message);
      return { event, key: eventKey(event), combined: false };
    }
    // Never grow the set beyond the limit (client-go pops any one of them).
    record.messages.delete(record.messages.values().next().value ?? '');
    return { event: this.newEvent(o, COMBINED_PREFIX + o.message), key: akey, combined: true };
  }

  /** eventObserve: a key seen before turns the event into a patch of the first one. */
  private observe(event: Event, key: string): { observedEvent: Event; patch?: SeriesPatch } {
    const last = this.observed.get(key);
    if (!last) {
      this.observed.set(key, { count: 1, firstTimestamp: event.firstTimestamp ?? '', name: event.metadata.name ?? '' });
      return { observedEvent: event };
    }
    const count = last.count + 1;
    const observedEvent: Event = { ...event, metadata: { ...event.metadata, name: last.name }, firstTimestamp: last.firstTimestamp, count };
    this.observed.set(key, { ...last, count });
    return { observedEvent, patch: { count, lastTimestamp: event.lastTimestamp ?? '', message: event.message ?? '' } };
  }

  private isSpam(e: Event, simMs: number): boolean {
    this.simMs = simMs;
    const key = spamKey(e);
    let bucket = this.spam.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.opts.spamQps, this.opts.spamBurst, () => this.simMs);
      this.spam.set(key, bucket);
    }
    return !bucket.tryAccept();
  }

  /**
   * After a write: remember the stored event's name and count (UpdateState). `key` is the
   * stored event's own key when the caller has it (correlate's stateKey).
   */
  updateState(stored: Event, key = eventKey(stored)): void {
    const last = this.observed.get(key);
    // A combined event is observed under its aggregate key; its own key is not looked up again.
    if (!last) return;
    const next = { count: Number(stored.count ?? last.count), firstTimestamp: stored.firstTimestamp ?? last.firstTimestamp, name: stored.metadata.name ?? last.name };
    // Most writes store what observe already recorded: nothing to write back.
    if (next.count !== last.count || next.firstTimestamp !== last.firstTimestamp || next.name !== last.name) this.observed.set(key, next);
  }
}

/** Where events go: the API (create, or a strategic merge patch of a repeat). */
export interface EventSink {
  create(namespace: string, event: Event): Promise<Event>;
  patch(namespace: string, name: string, patch: SeriesPatch): Promise<Event>;
}

export interface RecorderClock {
  now(): number;
  /** Real ms of a simulated duration, and simulated ms of a real one. */
  real(simMs: number): number;
  sim(realMs: number): number;
}

/** One component's broadcaster: its correlator, queue and (for kubelets) client throttle. */
interface Broadcaster {
  correlator: EventCorrelator;
  queue: Occurrence[];
  limiter?: TokenBucket;
  busy: boolean;
  timer?: NodeJS.Timeout;
}

/** True when an error is the API's 404 (the event expired or was deleted): create it again. */
export type IsNotFound = (e: unknown) => boolean;

export class EventRecorder {
  private readonly broadcasters = new Map<string, Broadcaster>();
  private stopped = false;
  /** Events dropped because a broadcaster's queue was full (kept for the logs and tests). */
  dropped = 0;

  constructor(
    private readonly sink: EventSink,
    private readonly clock: RecorderClock,
    private readonly isNotFound: IsNotFound,
  ) {}

  private simNow(): number {
    return this.clock.sim(this.clock.now());
  }

  /** Records an occurrence: returns at once, the write follows (events are best effort). */
  record(source: EventSource, involvedObject: ObjectReference, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.stopped) return;
    const b = this.broadcaster(source);
    if (b.queue.length >= MAX_QUEUED_EVENTS) {
      this.dropped++;
      return;
    }
    b.queue.push({ involvedObject, type, reason, message, source, simMs: this.simNow(), wallMs: this.clock.now() });
    this.drain(b);
  }

  stop(): void {
    this.stopped = true;
    for (const b of this.broadcasters.values()) {
      clearTimeout(b.timer);
      b.queue.length = 0;
    }
  }

  private broadcaster(source: EventSource): Broadcaster {
    const id = `${source.component}\u0000${source.host ?? ''}`;
    let b = this.broadcasters.get(id);
    if (!b) {
      const limiter = source.component === 'kubelet' ? new TokenBucket(KUBELET_EVENT_QPS, KUBELET_EVENT_BURST, () => this.simNow()) : undefined;
      b = { correlator: new EventCorrelator(), queue: [], limiter, busy: false };
      this.broadcasters.set(id, b);
    }
    return b;
  }

  /** Writes the queue one event at a time, each after the throttle's token (client-go's client rate limiter waits). */
  private drain(b: Broadcaster): void {
    if (b.busy || this.stopped) return;
    const next = b.queue.shift();
    if (!next) return;
    b.busy = true;
    const done = () => {
      b.busy = false;
      this.drain(b);
    };
    const wait = b.limiter?.reserve() ?? 0;
    if (wait <= 0) {
      void this.write(b.correlator, next).finally(done);
      return;
    }
    b.timer = setTimeout(() => {
      b.timer = undefined;
      void this.write(b.correlator, next).finally(done);
    }, Math.max(1, this.clock.real(wait)));
    b.timer.unref();
  }

  private async write(correlator: EventCorrelator, o: Occurrence): Promise<void> {
    const result = correlator.correlate(o);
    if (result.skip || this.stopped) return;
    const ns = result.event.metadata.namespace ?? 'default';
    try {
      let stored: Event | undefined;
      if (result.patch) {
        try {
          stored = await this.sink.patch(ns, result.event.metadata.name ?? '', result.patch);
        } catch (e) {
          // The event expired (--event-ttl) or was deleted: client-go creates it again.
          if (!this.isNotFound(e)) throw e;
        }
      }
      stored ??= await this.sink.create(ns, result.event);
      correlator.updateState(stored, result.stateKey);
    } catch {
      // Events are best effort, as in Kubernetes (e.g. the namespace may be terminating).
    }
  }
}
