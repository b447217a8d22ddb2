// What every controller gets: the registry to write through (the same admission, validation
// and optimistic concurrency as API clients), the shared cache to read from, the clock, and
// an event recorder. Reads and writes of the resources in kinds.ts are typed.
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { KubeObject, ObjectMeta } from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import type { Clock } from '../clock.js';
import { isoTime } from '../clock.js';
import { type DeleteOptions, type Registry, TYPED } from '../server/registry.js';
import type { PatchType } from '../server/patch.js';
import type { ResourceType } from '../server/resources.js';
import type { StoreEvent } from '../store/store.js';
import type { ClusterCache } from './cache.js';
import { type ResourceKey, groupResource } from './kinds.js';
import { type EventRecorder, eventRecorder } from './events-sink.js';

/** What an event or an owner reference needs of an object. */
export interface ObjectRef {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  /** A part of the object (the kubelet's `spec.containers{NAME}`). */
  fieldPath?: string;
}

/** What the registry returns for a resource is that resource's stored object. */
function stored<T extends KubeObject>(_resource: ResourceKey<T>, o: KubeObject): T {
  return o as T;
}

export interface Controller {
  readonly name: string;
  /** Called for every store event once the cache reflects it. */
  onEvent(e: StoreEvent): void;
  /** Enqueue everything once at start. Called again at every resync unless resyncAll() is given. */
  start(): void;
  /** Enqueue everything again (a periodic resync), where start() does more than that. */
  resyncAll?(): void;
  stop(): void;
}

export interface SandboxSettings {
  /** Simulated seconds from Pending to Running on a node (kubelet image pull + start). */
  podStartSeconds: number;
  /** Simulated seconds a Job pod runs before it succeeds. */
  jobPodRunSeconds: number;
  /** kubelet lease renewal period (kube: 10 s) and the node monitor grace period (kube: 40 s). */
  leaseRenewSeconds: number;
  nodeMonitorGraceSeconds: number;
  /** The shortest real interval between a kubelet's lease renewals (keeps big clusters cheap). */
  minRealRenewMs: number;
}

export const DEFAULT_SETTINGS: SandboxSettings = {
  podStartSeconds: 2,
  jobPodRunSeconds: 5,
  leaseRenewSeconds: 10,
  nodeMonitorGraceSeconds: 40,
  minRealRenewMs: 1000,
};

export class ControllerContext {
  constructor(
    readonly registry: Registry,
    readonly cache: ClusterCache,
    readonly clock: Clock,
    readonly settings: SandboxSettings,
    readonly log: (line: string) => void = () => undefined,
  ) {
    this.recorder = eventRecorder(registry, clock);
  }

  /** Every component's events go through one recorder (one broadcaster per component and host). */
  readonly recorder: EventRecorder;

  type(group: string, version: string, resource: string): ResourceType {
    const t = this.registry.type(group, version, resource);
    if (!t) throw new Error(`no resource type ${group}/${version}/${resource}`);
    return t;
  }

  get pods(): ResourceType {
    return this.type('', 'v1', 'pods');
  }
  get nodes(): ResourceType {
    return this.type('', 'v1', 'nodes');
  }

  /** The API type of a resource key (every resource the controllers write is served at v1). */
  typeOf(resource: string): ResourceType {
    const { group, resource: plural } = groupResource(resource);
    return this.type(group, 'v1', plural);
  }

  async get<T extends KubeObject>(resource: ResourceKey<T>, namespace: string, name: string): Promise<T> {
    return stored(resource, await this.registry.get(this.typeOf(resource), namespace, name));
  }

  async create<T extends KubeObject>(resource: ResourceKey<T>, namespace: string, body: NoInfer<T>): Promise<T> {
    return stored(resource, await this.registry.create(this.typeOf(resource), namespace, body, TYPED));
  }

  /** Replace the object (with subresource 'status': its status only). */
  async update<T extends KubeObject>(resource: ResourceKey<T>, namespace: string, name: string, body: NoInfer<T>, subresource?: 'status'): Promise<T> {
    return stored(resource, await this.registry.update(this.typeOf(resource), namespace, name, body, subresource, TYPED));
  }

  async patch<T extends KubeObject>(resource: ResourceKey<T>, namespace: string, name: string, type: PatchType, patch: unknown): Promise<T> {
    return stored(resource, await this.registry.patch(this.typeOf(resource), namespace, name, type, patch, undefined, TYPED));
  }

  async delete(resource: string, namespace: string, name: string, opts: DeleteOptions = {}): Promise<void> {
    await this.registry.delete(this.typeOf(resource), namespace, name, opts);
  }

  now(): string {
    return isoTime(this.clock.now());
  }

  /** Real milliseconds until a simulated duration has passed since an RFC 3339 time. */
  realMsUntil(since: string | undefined, simSeconds: number): number {
    const start = since ? Date.parse(since) : this.clock.now();
    return start + this.clock.real(simSeconds * 1000) - this.clock.now();
  }

  /**
   * An event as a controller or the kubelet records it (core/v1 Event), through client-go's
   * correlator and broadcaster (events-recorder.ts): returns at once, the write follows.
   */
  async event(about: ObjectRef, type: 'Normal' | 'Warning', reason: string, message: string, component: string, host?: string): Promise<void> {
    const m = about.metadata;
    // Only the fields the object has (the API refuses null where a string is expected).
    const involvedObject: ObjectReference = {};
    if (about.kind !== undefined) involvedObject.kind = about.kind;
    if (m.namespace !== undefined) involvedObject.namespace = m.namespace;
    if (m.name !== undefined) involvedObject.name = m.name;
    if (m.uid !== undefined) involvedObject.uid = m.uid;
    if (about.apiVersion !== undefined) involvedObject.apiVersion = about.apiVersion;
    if (m.resourceVersion !== undefined) involvedObject.resourceVersion = m.resourceVersion;
    if (about.fieldPath !== undefined) involvedObject.fieldPath = about.fieldPath;
    this.recorder.record(host ? { component, host } : { component }, involvedObject, type, reason, message);
  }
}

/** True when an error means "someone else changed or removed it": just reconcile again later. */
export function isRace(e: unknown): boolean {
  return e instanceof StatusError && (e.code === 409 || e.code === 404);
}
