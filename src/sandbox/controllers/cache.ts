// An informer-style cache of every object, kept current from the store's watch, with the
// indexes controllers need (pods by node, objects by controller owner). Reads are O(1) or
// O(matches): controllers reconcile thousands of objects and must not scan the world each time.
//
// Read through a typed resource key (kinds.ts: `get(PODS, ...)` is a Pod) an object comes out as
// its resource's type: the store holds under a resource only what the registry decoded as that
// resource's kind. Objects are the stored ones, shared and never mutated: readers must not
// change them.
import { controllerOf, isPodFinished, podNodeName } from '../../api/pods.js';
import type { KubeObject, Pod } from '../../api/types.js';
import type { Store, StoreEvent } from '../store/store.js';
import { storeKey } from '../store/store.js';
import { PODS, type ResourceKey } from './kinds.js';
import { NodeUsageTable } from './nodeusage.js';
import { OwnedPods } from './ownedpods.js';

// The one place stored objects are read as their resource's type (no copy, no check: hot path).
function view<T extends KubeObject>(_resource: ResourceKey<T>, o: KubeObject | undefined): T | undefined {
  return o as T | undefined;
}

function views<T extends KubeObject>(_resource: ResourceKey<T>, list: KubeObject[]): T[] {
  return list as T[];
}

const EMPTY_OWNED = new OwnedPods();

export class ClusterCache {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly podsByNode = new Map<string, Map<string, Pod>>();
  /** Per node, what its bound and unfinished pods hold: the scheduler reads it for every node it filters (read-only outside). */
  readonly usage = new NodeUsageTable();
  /** Owner uid -> "resource|key" -> where its dependent is (the object is read from `objects`). */
  private readonly byOwner = new Map<string, Map<string, { resource: string; key: string }>>();
  /** Active pods per controller uid, with their running counts (ownedpods.ts). */
  private readonly activeByController = new Map<string, OwnedPods>();
  private readonly listeners: Array<(e: StoreEvent) => void> = [];
  private unsubscribe?: () => void;

  async start(store: Store, resources: string[]): Promise<void> {
    const from = store.revision();
    for (const r of resources) {
      const { items } = await store.list(r, undefined);
      for (const o of items) this.put(r, o);
    }
    this.unsubscribe = store.watch(undefined, { fromRevision: from }, (e) => this.apply(e));
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** Listeners run after the cache reflects the event. */
  onEvent(listener: (e: StoreEvent) => void): void {
    this.listeners.push(listener);
  }

  private apply(e: StoreEvent): void {
    // Events are written often and read by no controller: kept out of the cache (events-sink.ts follows them for their TTL).
    if (e.resource === 'events') return;
    if (e.type === 'DELETED') this.remove(e.resource, e.object);
    else this.put(e.resource, e.object);
    for (const l of this.listeners) l(e);
  }

  private put(resource: string, o: KubeObject): void {
    const key = storeKey(o.metadata.namespace ?? '', o.metadata.name ?? '');
    let m = this.objects.get(resource);
    if (!m) this.objects.set(resource, (m = new Map()));
    const old = m.get(key);
    m.set(key, o);
    if (!old) return this.index(resource, key, o);
    // An update: most (status writes) keep spec and ownerReferences as they were (the same
    // objects), and the indexes need little or no work.
    const pod = resource === PODS ? view(PODS, o) : undefined;
    if (pod) this.repod(key, view(PODS, old)!, pod);
    if (old.metadata.ownerReferences !== o.metadata.ownerReferences) {
      this.unindexOwners(resource, key, old);
      this.indexOwners(resource, key, o);
    }
  }

  private remove(resource: string, o: KubeObject): void {
    const key = storeKey(o.metadata.namespace ?? '', o.metadata.name ?? '');
    const m = this.objects.get(resource);
    const old = m?.get(key);
    if (!m || !old) return;
    this.unindex(resource, key, old);
    m.delete(key);
  }

  private index(resource: string, key: string, o: KubeObject): void {
    const pod = resource === PODS ? view(PODS, o) : undefined;
    if (pod) {
      this.indexPodNode(key, pod);
      this.tally(key, pod, 1);
    }
    this.indexOwners(resource, key, o);
  }

  private unindex(resource: string, key: string, o: KubeObject): void {
    const pod = resource === PODS ? view(PODS, o) : undefined;
    if (pod) {
      this.unindexPodNode(key, pod);
      this.tally(key, pod, -1);
    }
    this.unindexOwners(resource, key, o);
  }

  /** A new version of a pod: its node's usage changes only with spec, owners or finishing. */
  private repod(key: string, old: Pod, pod: Pod): void {
    const sameShare = old.spec === pod.spec && old.metadata.ownerReferences === pod.metadata.ownerReferences && isPodFinished(old) === isPodFinished(pod);
    if (sameShare) {
      const node = podNodeName(pod);
      if (node) this.podsByNode.get(node)?.set(key, pod);
    } else {
      this.unindexPodNode(key, old);
      this.indexPodNode(key, pod);
    }
    this.tally(key, old, -1);
    this.tally(key, pod, 1);
  }

  private indexPodNode(key: string, pod: Pod): void {
    const node = podNodeName(pod);
    if (!node) return;
    let s = this.podsByNode.get(node);
    if (!s) this.podsByNode.set(node, (s = new Map()));
    s.set(key, pod);
    if (!isPodFinished(pod)) this.usage.add(node, pod, 1);
  }

  private unindexPodNode(key: string, pod: Pod): void {
    const node = podNodeName(pod);
    if (!node) return;
    this.podsByNode.get(node)?.delete(key);
    if (!isPodFinished(pod)) this.usage.add(node, pod, -1);
  }

  /** Adds the pod to (1) or takes it from (-1) its controller's running tally. */
  private tally(key: string, pod: Pod, sign: 1 | -1): void {
    const controller = controllerOf(pod)?.uid;
    if (!controller) return;
    let owned = this.activeByController.get(controller);
    if (sign === 1) {
      if (!owned) this.activeByController.set(controller, (owned = new OwnedPods()));
      owned.add(key, pod);
    } else if (owned) {
      owned.remove(key, pod);
      if (owned.size === 0) this.activeByController.delete(controller);
    }
  }

  private indexOwners(resource: string, key: string, o: KubeObject): void {
    for (const ref of o.metadata.ownerReferences ?? []) {
      let s = this.byOwner.get(ref.uid);
      if (!s) this.byOwner.set(ref.uid, (s = new Map()));
      s.set(`${resource}|${key}`, { resource, key });
    }
  }

  private unindexOwners(resource: string, key: string, o: KubeObject): void {
    for (const ref of o.metadata.ownerReferences ?? []) {
      const s = this.byOwner.get(ref.uid);
      s?.delete(`${resource}|${key}`);
      if (s && s.size === 0) this.byOwner.delete(ref.uid);
    }
  }

  get<T extends KubeObject = KubeObject>(resource: ResourceKey<T>, namespace: string, name: string): NoInfer<T> | undefined {
    return view(resource, this.objects.get(resource)?.get(storeKey(namespace, name)));
  }

  list<T extends KubeObject = KubeObject>(resource: ResourceKey<T>, namespace?: string): NoInfer<T>[] {
    const m = this.objects.get(resource);
    if (!m) return [];
    const all = [...m.values()];
    return views(resource, namespace ? all.filter((o) => o.metadata.namespace === namespace) : all);
  }

  /** How many objects the cache holds, all resources together. */
  size(): number {
    let n = 0;
    for (const m of this.objects.values()) n += m.size;
    return n;
  }

  count(resource: string): number {
    return this.objects.get(resource)?.size ?? 0;
  }

  podsOnNode(node: string): Pod[] {
    return [...(this.podsByNode.get(node)?.values() ?? [])];
  }

  /** Objects of any resource with an ownerReference to uid. */
  dependents(uid: string): KubeObject[] {
    const s = this.byOwner.get(uid);
    if (!s) return [];
    const out: KubeObject[] = [];
    for (const { resource, key } of s.values()) {
      const o = this.objects.get(resource)?.get(key);
      if (o) out.push(o);
    }
    return out;
  }

  /** The active pods whose controller reference is uid, with their counts (read-only; live). */
  activePodsOf(uid: string): OwnedPods {
    return this.activeByController.get(uid) ?? EMPTY_OWNED;
  }

  /** Objects of one resource whose controller reference is uid. */
  controlledBy<T extends KubeObject = KubeObject>(uid: string, resource: ResourceKey<T>): NoInfer<T>[] {
    const s = this.byOwner.get(uid);
    const m = this.objects.get(resource);
    if (!s || !m) return [];
    const out: KubeObject[] = [];
    for (const ref of s.values()) {
      if (ref.resource !== resource) continue;
      const o = m.get(ref.key);
      if (o && controllerOf(o)?.uid === uid) out.push(o);
    }
    return views(resource, out);
  }
}
