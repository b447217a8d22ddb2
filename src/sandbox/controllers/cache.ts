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
import { type NodeUsage, addUsage, emptyUsage } from './scheduling.js';
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
  /** Per node, what its bound and unfinished pods hold: the scheduler reads it for every node it filters. */
  private readonly usageByNode = new Map<string, NodeUsage>();
  private readonly byOwner = new Map<string, Map<string, KubeObject>>(); // owner uid -> resource|key -> object
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
    if (e.type === 'DELETED') this.remove(e.resource, e.object);
    else this.put(e.resource, e.object);
    for (const l of this.listeners) l(e);
  }

  private put(resource: string, o: KubeObject): void {
    const key = storeKey(o.metadata.namespace ?? '', o.metadata.name ?? '');
    let m = this.objects.get(resource);
    if (!m) this.objects.set(resource, (m = new Map()));
    const old = m.get(key);
    if (old) this.unindex(resource, key, old);
    m.set(key, o);
    this.index(resource, key, o);
  }

  private remove(resource: string, o: KubeObject): void {
    const key = storeKey(o.metadata.namespace ?? '', o.metadata.name ?? '');
    const m = this.objects.get(resource);
    const old = m?.get(key);
    if (!old) return;
    this.unindex(resource, key, old);
    m!.delete(key);
  }

  private index(resource: string, key: string, o: KubeObject): void {
    const pod = resource === PODS ? view(PODS, o) : undefined;
    if (pod) {
      const node = podNodeName(pod);
      if (node) {
        let s = this.podsByNode.get(node);
        if (!s) this.podsByNode.set(node, (s = new Map()));
        s.set(key, pod);
        if (!isPodFinished(pod)) {
          let u = this.usageByNode.get(node);
          if (!u) this.usageByNode.set(node, (u = emptyUsage()));
          addUsage(u, pod, 1);
        }
      }
      const controller = controllerOf(pod)?.uid;
      if (controller) {
        let owned = this.activeByController.get(controller);
        if (!owned) this.activeByController.set(controller, (owned = new OwnedPods()));
        owned.add(key, pod);
      }
    }
    for (const ref of o.metadata.ownerReferences ?? []) {
      let s = this.byOwner.get(ref.uid);
      if (!s) this.byOwner.set(ref.uid, (s = new Map()));
      s.set(`${resource}|${key}`, o);
    }
  }

  private unindex(resource: string, key: string, o: KubeObject): void {
    const pod = resource === PODS ? view(PODS, o) : undefined;
    if (pod) {
      const node = podNodeName(pod);
      if (node) {
        this.podsByNode.get(node)?.delete(key);
        const u = this.usageByNode.get(node);
        if (u && !isPodFinished(pod)) addUsage(u, pod, -1);
      }
      const controller = controllerOf(pod)?.uid;
      const owned = controller ? this.activeByController.get(controller) : undefined;
      if (controller && owned) {
        owned.remove(key, pod);
        if (owned.size === 0) this.activeByController.delete(controller);
      }
    }
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

  /** What the node's bound, unfinished pods hold: a live view the cache keeps current (read-only). */
  nodeUsage(node: string): NodeUsage {
    let u = this.usageByNode.get(node);
    if (!u) this.usageByNode.set(node, (u = emptyUsage()));
    return u;
  }

  /** Objects of any resource with an ownerReference to uid. */
  dependents(uid: string): KubeObject[] {
    const s = this.byOwner.get(uid);
    return s ? [...s.values()] : [];
  }

  /** The active pods whose controller reference is uid, with their counts (read-only; live). */
  activePodsOf(uid: string): OwnedPods {
    return this.activeByController.get(uid) ?? EMPTY_OWNED;
  }

  /** Objects of one resource whose controller reference is uid. */
  controlledBy<T extends KubeObject = KubeObject>(uid: string, resource: ResourceKey<T>): NoInfer<T>[] {
    const s = this.byOwner.get(uid);
    if (!s) return [];
    const out: KubeObject[] = [];
    const prefix = `${resource}|`;
    for (const [k, o] of s) if (k.startsWith(prefix) && controllerOf(o)?.uid === uid) out.push(o);
    return views(resource, out);
  }
}
