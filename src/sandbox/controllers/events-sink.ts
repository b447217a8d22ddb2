// Where the sandbox's components write their events: the core/v1 events resource through the
// registry (the same admission and validation as API clients), and kube-apiserver's --event-ttl
// (1 h after an event's last write, as etcd's lease on each event write would expire it).
import { StatusError } from '../../api/status.js';
import type { Event } from '../../api/types.js';
import type { Clock } from '../clock.js';
import { type Registry, TYPED } from '../server/registry.js';
import type { ResourceType } from '../server/resources.js';
import { isEvent } from '../server/kinds.js';
import type { StoreEvent } from '../store/store.js';
import type { Controller } from './context.js';
import { EventRecorder, type EventSink } from './events-recorder.js';

export type { EventRecorder } from './events-recorder.js';

function eventsType(registry: Registry): ResourceType {
  const t = registry.type('', 'v1', 'events');
  if (!t) throw new Error('no resource type v1/events');
  return t;
}

function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.code === 404;
}

/** The recorder of a running sandbox: writes core/v1 Events through the registry. */
export function eventRecorder(registry: Registry, clock: Clock): EventRecorder {
  const sink: EventSink = {
    async create(namespace, event) {
      // Written as the API serves it: eventTime is null on a core/v1 Event (kubernetes-types has no null).
      const stored = await registry.create(eventsType(registry), namespace, { ...event, eventTime: null }, TYPED);
      return isEvent(stored) ? stored : event;
    },
    async patch(namespace, name, patch) {
      const stored = await registry.patch(eventsType(registry), namespace, name, 'strategic', patch, undefined, TYPED);
      if (!isEvent(stored)) throw new Error(`events/${name} is not an Event`);
      return stored;
    },
  };
  return new EventRecorder(sink, clock, isNotFound);
}

/** kube-apiserver's --event-ttl default. */
export const EVENT_TTL_MS = 3_600_000;

/**
 * Events by the wall-clock time of their last write, oldest first (a Map keeps the order in
 * which keys were last set), so the expired ones are found without walking every event.
 */
export class EventExpiry {
  private readonly lastWrite = new Map<string, number>();

  touch(key: string, wallMs: number): void {
    this.lastWrite.delete(key);
    this.lastWrite.set(key, wallMs);
  }

  forget(key: string): void {
    this.lastWrite.delete(key);
  }

  /** Keys whose last write is at least `ttlMs` before `nowMs`, oldest first. */
  due(nowMs: number, ttlMs: number): string[] {
    const out: string[] = [];
    for (const [key, at] of this.lastWrite) {
      if (nowMs - at < ttlMs) break;
      out.push(key);
    }
    return out;
  }

  get size(): number {
    return this.lastWrite.size;
  }
}

/** When a stored event was last written, as far as its fields tell (for events older than the sandbox's watch). */
export function lastWriteOf(e: Event): number {
  const times = [e.lastTimestamp, e.series?.lastObservedTime, e.eventTime, e.metadata.creationTimestamp].map((t) => (t ? Date.parse(t) : NaN)).filter((t) => !Number.isNaN(t));
  return times.length ? Math.max(...times) : Date.now();
}

/** Deletes events an hour (simulated) after their last write, as --event-ttl=1h does. */
export class EventTtlController implements Controller {
  readonly name = 'event-ttl';
  private readonly expiry = new EventExpiry();
  private unwatch?: () => void;
  private sweeper?: { cancel(): void };
  private stopped = false;

  constructor(
    private readonly registry: Registry,
    private readonly clock: Clock,
  ) {}

  onEvent(): void {
    // Events are not in the controllers' cache: this controller watches them itself.
  }

  start(): void {
    if (this.unwatch || this.stopped) return;
    this.unwatch = () => undefined;
    void this.follow().catch(() => undefined);
    // Sweep every simulated minute, at most once a real second.
    const every = Math.max(this.clock.real(60_000), 1000);
    const t = setInterval(() => void this.sweep(), every);
    t.unref();
    this.sweeper = { cancel: () => clearInterval(t) };
  }

  resyncAll(): void {
    // Nothing to enqueue: the watch keeps the expiry times current.
  }

  stop(): void {
    this.stopped = true;
    this.unwatch?.();
    this.sweeper?.cancel();
  }

  private async follow(): Promise<void> {
    const t = eventsType(this.registry);
    const { items, revision } = await this.registry.list(t, undefined);
    for (const e of items) if (isEvent(e)) this.expiry.touch(keyOf(e), lastWriteOf(e));
    if (this.stopped) return;
    this.unwatch = this.registry.watch(t, undefined, revision, (e: StoreEvent) => {
      const key = keyOf(e.object);
      if (e.type === 'DELETED') this.expiry.forget(key);
      else this.expiry.touch(key, this.clock.now());
    });
  }

  private async sweep(): Promise<void> {
    const t = eventsType(this.registry);
    for (const key of this.expiry.due(this.clock.now(), this.clock.real(EVENT_TTL_MS))) {
      const [ns, name] = key.split('/');
      this.expiry.forget(key);
      try {
        await this.registry.delete(t, ns, name);
      } catch {
        // Gone already, or the store is unavailable: the next write or sweep tells again.
      }
    }
  }
}

function keyOf(o: { metadata: { namespace?: string; name?: string } }): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}
