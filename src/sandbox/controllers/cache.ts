// An informer-style cache of every object, kept current from the store's watch, with the
// indexes controllers need (pods by node, objects by controller owner). Reads are O(1) or
// O(matches): controllers reconcile thousands of objects and must not scan the world each time.
import type { KubeObject } from '../../api/types.js';
import type { Store, StoreEvent } from '../store/store.js';
import { storeKey } from '../store/store.js';

export function controllerRef(o: KubeObject) {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

function podNode(o: KubeObject): string | undefined {
  return (o.spec as { nodeName?: string } | undefined)?.nodeName || undefined;
}

export class ClusterCache {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly podsByNode = new Map<string, Map<string, KubeObject>>();
  private readonly byOwner = new Map<string, Map<string, KubeObject>>(); // owner uid -> resource|key -> object
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
    if (resource === 'pods') {
      const node = podNode(o);
      if (node) {
        let s = this.podsByNode.get(node);
        if (!s) this.podsByNode.set(node, (s = new Map()));
        s.set(key, o);
      }
    }
    for (const ref of o.metadata.ownerReferences ?? []) {
      let s = this.byOwner.get(ref.uid);
      if (!s) this.byOwner.set(ref.uid, (s = new Map()));
      s.set(`${resource}|${key}`, o);
    }
  }

  private unindex(resource: string, key: string, o: KubeObject): void {
    if (resource === 'pods') {
      const node = podNode(o);
      if (node) this.podsByNode.get(node)?.delete(key);
    }
    for (const ref of o.metadata.ownerReferences ?? []) {
      const s = this.byOwner.get(ref.uid);
      s?.delete(`${resource}|${key}`);
      if (s && s.size === 0) this.byOwner.delete(ref.uid);
    }
  }

  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    return this.objects.get(resource)?.get(storeKey(namespace, name));
  }

  list(resource: string, namespace?: string): KubeObject[] {
    const m = this.objects.get(resource);
    if (!m) return [];
    const all = [...m.values()];
    return namespace ? all.filter((o) => o.metadata.namespace === namespace) : all;
  }

  count(resource: string): number {
    return this.objects.get(resource)?.size ?? 0;
  }

  podsOnNode(node: string): KubeObject[] {
    return [...(this.podsByNode.get(node)?.values() ?? [])];
  }

  /** Objects with an ownerReference to uid, optionally of one resource. */
  dependents(uid: string, resource?: string): KubeObject[] {
    const s = this.byOwner.get(uid);
    if (!s) return [];
    if (!resource) return [...s.values()];
    const out: KubeObject[] = [];
    for (const [k, o] of s) if (k.startsWith(`${resource}|`)) out.push(o);
    return out;
  }

  /** Objects whose controller reference is uid. */
  controlledBy(uid: string, resource: string): KubeObject[] {
    return this.dependents(uid, resource).filter((o) => controllerRef(o)?.uid === uid);
  }
}
