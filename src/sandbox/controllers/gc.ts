// Two garbage collectors of kube-controller-manager:
// - the garbage collector (pkg/controller/garbagecollector): objects whose owners are all gone
//   are deleted; with foreground deletion an owner waits (finalizer foregroundDeletion) until its
//   blocking dependents are gone; with orphan deletion (finalizer orphan) its dependents lose
//   their ownerReference to it instead.
// - the pod garbage collector (pkg/controller/podgc): pods bound to a node that no longer
//   exists are marked Failed and force deleted after a quarantine.
import { isPodFinished, podNodeName } from '../../api/pods.js';
import { StatusError } from '../../api/status.js';
import type { KubeObject, OwnerReference, Pod, PodCondition, PodStatus } from '../../api/types.js';
import { isoTime } from '../clock.js';
import { type DeleteOptions, TYPED } from '../server/registry.js';
import { type ResourceType, resourceKey } from '../server/resources.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { NODES, PODS, isEventOf } from './kinds.js';
import { WorkQueue } from './queue.js';

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';
/** Real ms before checking a new ownerReference's owner: kube's GC reacts asynchronously too. */
const NEW_REFERENCE_DELAY_MS = 100;
/** PodGC: a missing node must stay missing this long (simulated) before its pods go. */
export const POD_GC_QUARANTINE_SECONDS = 40;

/** How an ownerReference resolves (kube's classifyReferences). */
export type RefState =
  | 'solid' // the owner exists and is not waiting for its dependents
  | 'dangling' // no object with that name and uid
  | 'waiting' // the owner is being deleted in the foreground
  | 'unresolvable'; // unknown kind, or a cluster-scoped object naming a namespaced owner

export type GcAction =
  | { action: 'none' }
  | { action: 'removeOwnerReferences'; uids: string[] }
  | { action: 'delete'; propagationPolicy: NonNullable<DeleteOptions['propagationPolicy']> };

function hasFinalizer(o: KubeObject, f: string): boolean {
  return (o.metadata.finalizers ?? []).includes(f);
}

/**
 * kube's attemptToDeleteItem for an object that is not being deleted, given how each of its
 * ownerReferences resolves (by uid) and whether it has dependents of its own.
 */
export function decideDependent(obj: KubeObject, states: ReadonlyMap<string, RefState>, hasDependents: boolean): GcAction {
  const refs = obj.metadata.ownerReferences ?? [];
  if (refs.length === 0) return { action: 'none' };
  const solid: string[] = [];
  const dangling: string[] = [];
  const waiting: string[] = [];
  for (const ref of refs) {
    const s = states.get(ref.uid);
    // kube retries an unresolvable reference forever and never collects the object.
    if (s === undefined || s === 'unresolvable') return { action: 'none' };
    if (s === 'solid') solid.push(ref.uid);
    else if (s === 'dangling') dangling.push(ref.uid);
    else waiting.push(ref.uid);
  }
  if (solid.length) {
    // A live owner keeps the object; only references to gone or foreground-deleting owners go.
    if (!dangling.length && !waiting.length) return { action: 'none' };
    return { action: 'removeOwnerReferences', uids: [...dangling, ...waiting] };
  }
  // An owner is waiting for its dependents and this one has dependents itself: cascade in the foreground.
  if (waiting.length && hasDependents) return { action: 'delete', propagationPolicy: 'Foreground' };
  // No owner left: delete, honouring a finalizer the object already carries.
  if (hasFinalizer(obj, ORPHAN)) return { action: 'delete', propagationPolicy: 'Orphan' };
  if (hasFinalizer(obj, FOREGROUND)) return { action: 'delete', propagationPolicy: 'Foreground' };
  return { action: 'delete', propagationPolicy: 'Background' };
}

/** Dependents a foreground-deleting owner must wait for: those whose reference blocks it. */
export function blockingDependents(ownerUid: string, dependents: KubeObject[]): KubeObject[] {
  return dependents.filter((d) => (d.metadata.ownerReferences ?? []).some((r) => r.uid === ownerUid && r.blockOwnerDeletion === true));
}

/** The object without the ownerReferences to these uids. */
export function withoutOwnerReferences(obj: KubeObject, uids: ReadonlySet<string>): KubeObject {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => !uids.has(r.uid));
  const { ownerReferences: _old, ...rest } = obj.metadata;
  return { ...obj, metadata: refs.length ? { ...rest, ownerReferences: refs } : rest };
}

interface ItemKey {
  resource: string;
  namespace: string;
  name: string;
  uid: string;
}

// Work queue keys: the four fields joined by NUL, which no resource, name or uid contains.
function encode(k: ItemKey): string {
  return [k.resource, k.namespace, k.name, k.uid].join('\0');
}

function decode(s: string): ItemKey {
  const [resource = '', namespace = '', name = '', uid = ''] = s.split('\0');
  return { resource, namespace, name, uid };
}

/** A key as the log shows it: ["pods","default","web-1","uid"]. */
function printed(s: string): string {
  return JSON.stringify(s.split('\0'));
}

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  /** attemptToDelete: objects that may have lost their owners. */
  private readonly deleteQueue: WorkQueue;
  /** Owners being deleted with the orphan or foregroundDeletion finalizer. */
  private readonly ownerQueue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.deleteQueue = new WorkQueue((k) => this.attemptToDelete(decode(k)), (k, e) => ctx.log(`garbage-collector: ${printed(k)}: ${String(e)}`), 16);
    this.ownerQueue = new WorkQueue((k) => this.syncOwner(decode(k)), (k, e) => ctx.log(`garbage-collector: owner ${printed(k)}: ${String(e)}`), 8);
  }

  start(): void {
    const keys = new Set(this.ctx.registry.allTypes().map((t) => resourceKey(t)));
    for (const resource of keys) {
      for (const o of this.ctx.cache.list(resource)) {
        if (o.metadata.deletionTimestamp && (hasFinalizer(o, ORPHAN) || hasFinalizer(o, FOREGROUND))) this.enqueueOwner(resource, o);
        for (const ref of o.metadata.ownerReferences ?? []) {
          if (!this.ownerLooksPresent(o, ref)) {
            this.enqueueDependent(resource, o, NEW_REFERENCE_DELAY_MS);
            break;
          }
        }
      }
    }
  }

  stop(): void {
    this.deleteQueue.stop();
    this.ownerQueue.stop();
  }

  onEvent(e: StoreEvent): void {
    const o = e.object;
    if (e.type === 'DELETED') {
      // The owner is gone: each dependent may now have no owner left.
      for (const dep of this.ctx.cache.dependents(o.metadata.uid ?? '')) {
        const resource = this.resourceOf(dep);
        if (resource) this.enqueueDependent(resource, dep);
      }
      // A foreground-deleting owner may have been waiting for this one.
      for (const ref of o.metadata.ownerReferences ?? []) this.enqueueOwnerIfDeleting(o, ref);
      return;
    }
    if (o.metadata.deletionTimestamp && (hasFinalizer(o, ORPHAN) || hasFinalizer(o, FOREGROUND))) this.enqueueOwner(e.resource, o);
    const refs = o.metadata.ownerReferences ?? [];
    const prevRefs = e.prev?.metadata.ownerReferences ?? [];
    // A status write keeps the same references (the same array): nothing to compare.
    if (e.type === 'MODIFIED' && (refs === prevRefs || JSON.stringify(refs) === JSON.stringify(prevRefs))) return;
    for (const ref of refs) {
      if (!prevRefs.some((p) => p.uid === ref.uid) && !this.ownerLooksPresent(o, ref)) {
        this.enqueueDependent(e.resource, o, NEW_REFERENCE_DELAY_MS);
        break;
      }
    }
    // A reference removed or no longer blocking may release a foreground-deleting owner.
    for (const p of prevRefs) {
      const now = refs.find((r) => r.uid === p.uid);
      if (!now || (p.blockOwnerDeletion && !now.blockOwnerDeletion)) this.enqueueOwnerIfDeleting(o, p);
    }
  }

  // ---- keys and lookups ----

  private resourceOf(o: KubeObject): string | undefined {
    const t = this.ctx.registry.typeForKind(o.apiVersion ?? '', o.kind ?? '');
    return t ? resourceKey(t) : undefined;
  }

  private typeOfResource(resource: string, o?: KubeObject): ResourceType | undefined {
    if (o) {
      const t = this.ctx.registry.typeForKind(o.apiVersion ?? '', o.kind ?? '');
      if (t && resourceKey(t) === resource) return t;
    }
    return this.ctx.registry.allTypes().find((t) => resourceKey(t) === resource && (!t.crd || t.crd.storage)) ?? this.ctx.registry.allTypes().find((t) => resourceKey(t) === resource);
  }

  private itemKey(resource: string, o: KubeObject): ItemKey {
    return { resource, namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '', uid: o.metadata.uid ?? '' };
  }

  private enqueueDependent(resource: string, o: KubeObject, delayMs = 0): void {
    const k = encode(this.itemKey(resource, o));
    if (delayMs > 0) this.deleteQueue.addAfter(k, delayMs);
    else this.deleteQueue.add(k);
  }

  private enqueueOwner(resource: string, o: KubeObject): void {
    this.ownerQueue.add(encode(this.itemKey(resource, o)));
  }

  /** Where an ownerReference of dep points: the owner's resource key and namespace. */
  private ownerCoordinates(dep: KubeObject, ref: OwnerReference): { type: ResourceType; namespace: string } | undefined {
    const t = this.ctx.registry.typeForKind(ref.apiVersion, ref.kind);
    if (!t) return undefined;
    const ns = dep.metadata.namespace ?? '';
    // A cluster-scoped object cannot be owned by a namespaced one.
    if (t.namespaced && !ns) return undefined;
    return { type: t, namespace: t.namespaced ? ns : '' };
  }

  /** A cheap cache check; false sends the dependent to the authoritative check. */
  private ownerLooksPresent(dep: KubeObject, ref: OwnerReference): boolean {
    const at = this.ownerCoordinates(dep, ref);
    if (!at) return true; // unresolvable: kube never collects it
    return this.ctx.cache.get(resourceKey(at.type), at.namespace, ref.name)?.metadata.uid === ref.uid;
  }

  private enqueueOwnerIfDeleting(dep: KubeObject, ref: OwnerReference): void {
    const at = this.ownerCoordinates(dep, ref);
    if (!at) return;
    const resource = resourceKey(at.type);
    const owner = this.ctx.cache.get(resource, at.namespace, ref.name);
    if (owner && (owner.metadata.uid !== ref.uid || !owner.metadata.deletionTimestamp)) return;
    this.ownerQueue.add(encode({ resource, namespace: at.namespace, name: ref.name, uid: ref.uid }));
  }

  /** Authoritative: the owner as the store has it now. */
  private async refState(dep: KubeObject, ref: OwnerReference): Promise<RefState> {
    const at = this.ownerCoordinates(dep, ref);
    if (!at) return 'unresolvable';
    const owner = await this.ctx.registry.store.get(resourceKey(at.type), at.namespace, ref.name);
    if (!owner || owner.metadata.uid !== ref.uid) return 'dangling';
    if (owner.metadata.deletionTimestamp && hasFinalizer(owner, FOREGROUND)) return 'waiting';
    return 'solid';
  }

  private async latest(k: ItemKey): Promise<KubeObject | undefined> {
    const o = await this.ctx.registry.store.get(k.resource, k.namespace, k.name);
    return o && o.metadata.uid === k.uid ? o : undefined;
  }

  // ---- attemptToDelete ----

  private async attemptToDelete(k: ItemKey): Promise<void> {
    const obj = await this.latest(k);
    if (!obj) return;
    if (obj.metadata.deletionTimestamp) {
      // Being deleted is a one-way trip; a foreground deletion is driven from the owner side.
      if (hasFinalizer(obj, FOREGROUND)) this.ownerQueue.add(encode(k));
      return;
    }
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const states = new Map<string, RefState>();
    for (const ref of refs) states.set(ref.uid, await this.refState(obj, ref));
    const action = decideDependent(obj, states, this.ctx.cache.dependents(k.uid).length > 0);
    const t = this.typeOfResource(k.resource, obj);
    if (!t || action.action === 'none') return;
    try {
      if (action.action === 'removeOwnerReferences') {
        await this.ctx.registry.update(t, k.namespace, k.name, withoutOwnerReferences(obj, new Set(action.uids)), undefined, TYPED);
      } else {
        await this.ctx.registry.delete(t, k.namespace, k.name, { propagationPolicy: action.propagationPolicy, preconditions: { uid: k.uid } });
      }
    } catch (e) {
      if (!isRace(e)) throw e;
      // Changed under us: look again with the new state.
      if (e instanceof StatusError && e.code === 409) this.deleteQueue.addAfter(encode(k), 20);
    }
  }

  // ---- owners being deleted with orphan or foreground propagation ----

  private async syncOwner(k: ItemKey): Promise<void> {
    const owner = await this.latest(k);
    if (!owner || !owner.metadata.deletionTimestamp) return;
    const dependents = this.ctx.cache.dependents(k.uid);
    if (hasFinalizer(owner, ORPHAN)) {
      // attemptToOrphan: every dependent loses its reference to the owner, then the owner goes.
      for (const dep of dependents) await this.removeReference(dep, k.uid);
      await this.removeFinalizer(k, ORPHAN);
      return;
    }
    if (hasFinalizer(owner, FOREGROUND)) {
      // Every dependent is deleted; the owner waits only for those that block it.
      for (const dep of dependents) {
        if (dep.metadata.deletionTimestamp && !hasFinalizer(dep, FOREGROUND)) continue;
        const resource = this.resourceOf(dep);
        if (resource) this.enqueueDependent(resource, dep);
      }
      if (blockingDependents(k.uid, dependents).length === 0) await this.removeFinalizer(k, FOREGROUND);
    }
  }

  private async removeReference(dep: KubeObject, ownerUid: string): Promise<void> {
    const resource = this.resourceOf(dep);
    const t = resource ? this.typeOfResource(resource, dep) : undefined;
    if (!resource || !t) return;
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.latest(this.itemKey(resource, dep));
      if (!current || !(current.metadata.ownerReferences ?? []).some((r) => r.uid === ownerUid)) return;
      try {
        await this.ctx.registry.update(t, current.metadata.namespace ?? '', current.metadata.name ?? '', withoutOwnerReferences(current, new Set([ownerUid])), undefined, TYPED);
        return;
      } catch (e) {
        if (!isRace(e)) throw e;
      }
    }
    throw new Error(`could not remove the ownerReference ${ownerUid} from ${resource} ${dep.metadata.name ?? ''}`);
  }

  private async removeFinalizer(k: ItemKey, finalizer: string): Promise<void> {
    const t = this.typeOfResource(k.resource);
    if (!t) return;
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.latest(k);
      if (!current || !hasFinalizer(current, finalizer)) return;
      const finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== finalizer);
      const { finalizers: _old, ...rest } = current.metadata;
      const metadata = finalizers.length ? { ...rest, finalizers } : rest;
      try {
        // Removing the last finalizer of an object with a deletionTimestamp completes its deletion.
        await this.ctx.registry.update(t, k.namespace, k.name, { ...current, metadata }, undefined, TYPED);
        return;
      } catch (e) {
        if (!isRace(e)) throw e;
      }
    }
    throw new Error(`could not remove the ${finalizer} finalizer`);
  }
}

/** A pod condition as the API serializes it: lastProbeTime is null when never probed (metav1.Time, no omitempty). */
export type WirePodCondition = Omit<PodCondition, 'lastProbeTime'> & { lastProbeTime?: string | null };

/**
 * PodGC's status for an orphaned pod before the force delete: Failed with a DisruptionTarget
 * condition (pods already Succeeded or Failed keep their status: undefined).
 */
export function orphanedPodStatus(pod: Pod, now: number): (Omit<PodStatus, 'conditions'> & { conditions: WirePodCondition[] }) | undefined {
  if (isPodFinished(pod)) return undefined;
  const status = pod.status ?? {};
  const condition = { type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: isoTime(now), reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' };
  const conditions = (status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
  return { ...status, phase: 'Failed', conditions: [...conditions, condition] };
}

export class PodGarbageCollector implements Controller {
  readonly name = 'pod-garbage-collector';
  /** Node names that went missing, checked again after the quarantine. */
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue((node) => this.syncNode(node), (k, e) => ctx.log(`pod-garbage-collector: ${k}: ${String(e)}`), 4);
  }

  start(): void {
    for (const pod of this.ctx.cache.list(PODS)) this.checkPod(pod);
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === NODES && e.type === 'DELETED') this.quarantine(e.object.metadata.name ?? '');
    else if (isEventOf(e, PODS) && e.type !== 'DELETED') this.checkPod(e.object);
  }

  private checkPod(pod: Pod): void {
    const node = podNodeName(pod);
    if (node && !this.ctx.cache.get(NODES, '', node)) this.quarantine(node);
  }

  private quarantine(node: string): void {
    this.queue.addAfter(node, Math.max(1, this.ctx.clock.real(POD_GC_QUARANTINE_SECONDS * 1000)));
  }

  private async syncNode(node: string): Promise<void> {
    if (await this.ctx.registry.store.get(NODES, '', node)) return;
    for (const pod of this.ctx.cache.podsOnNode(node)) {
      const ns = pod.metadata.namespace ?? '';
      const name = pod.metadata.name ?? '';
      try {
        const status = orphanedPodStatus(pod, this.ctx.clock.now());
        // (Written untyped: the condition's lastProbeTime is null on the wire.)
        if (status) await this.ctx.registry.update(this.ctx.typeOf(PODS), ns, name, { ...pod, status }, 'status', TYPED);
        await this.ctx.delete(PODS, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      } catch (e) {
        if (!isRace(e)) throw e;
        // The pod changed under us: try again shortly.
        if (e instanceof StatusError && e.code === 409) this.queue.addAfter(node, 20);
      }
    }
  }
}
