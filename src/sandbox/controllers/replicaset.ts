// The ReplicaSet controller (kube-controller-manager's replicaset-controller): keeps
// spec.replicas active pods, creating from the template in slow-start batches of at most 500 per
// sync and deleting the least valuable pods first; adopts matching orphan pods and releases pods
// whose labels stopped matching; reports replicas / fullyLabeled / ready / available.
import type { LabelSelector } from '../../api/labels.js';
import { controllerOf, isPodActive, isPodReady } from '../../api/pods.js';
import { type ObjectMeta, type Pod, type ReplicaSet, objectKey } from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { PODS, REPLICA_SETS, isEventOf } from './kinds.js';
import { WorkQueue } from './queue.js';
import type { OwnedPods } from './ownedpods.js';
import {
  Expectations,
  canonicalJSON,
  findCondition,
  int,
  isPodAvailable,
  msUntilAvailable,
  observePodReadiness,
  ownerReference,
  podFromTemplate,
  podsToDelete,
  slowStartBatch,
  splitKey,
  deleteControlledPods,
  workloadSelector,
  writeStatusIfChanged,
} from './workloads.js';

type ReplicaSetStatus = NonNullable<ReplicaSet['status']>;
/** kube's burstReplicas: the most pods one sync creates or deletes. */
export const BURST_REPLICAS = 500;

export interface ReplicaSetCounts {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
}

/** Pure: the counts of ReplicaSetStatus from the set's active pods. */
export function replicaSetCounts(templateLabels: Record<string, string>, active: Pod[], minReadyRealMs: number, nowMs: number): ReplicaSetCounts {
  let fullyLabeledReplicas = 0;
  let readyReplicas = 0;
  let availableReplicas = 0;
  const wanted = Object.entries(templateLabels);
  for (const p of active) {
    const labels = p.metadata.labels ?? {};
    let full = true;
    for (const [k, v] of wanted) if (labels[k] !== v) full = false;
    if (full) fullyLabeledReplicas++;
    if (isPodReady(p)) {
      readyReplicas++;
      if (minReadyRealMs <= 0 || isPodAvailable(p, minReadyRealMs, nowMs)) availableReplicas++;
    }
  }
  return { replicas: active.length, fullyLabeledReplicas, readyReplicas, availableReplicas };
}

/** The same counts from the cache's running tally: O(label sets) unless minReadySeconds needs each pod's time. */
export function replicaSetCountsOf(templateLabels: Record<string, string>, owned: OwnedPods, minReadyRealMs: number, nowMs: number): ReplicaSetCounts {
  if (minReadyRealMs > 0) return replicaSetCounts(templateLabels, owned.pods(), minReadyRealMs, nowMs);
  return { replicas: owned.size, fullyLabeledReplicas: owned.fullyLabeled(templateLabels), readyReplicas: owned.ready, availableReplicas: owned.ready };
}

/** Drop zero-valued `omitempty` fields, as the Go API types serialize them. */
export function omitZero<T extends object>(o: T, keys: ReadonlyArray<keyof T>): T {
  const out = { ...o };
  for (const k of keys) {
    const v = out[k];
    if (v === 0 || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) delete out[k];
  }
  return out;
}

/** Only status (and resourceVersion / managedFields) differ between two versions of an object. */
export function statusOnlyChange(prev: { metadata: ObjectMeta }, next: { metadata: ObjectMeta }): boolean {
  if (prev.metadata.generation !== next.metadata.generation) return false;
  const meta = (o: { metadata: ObjectMeta }) => {
    const { resourceVersion: _rv, managedFields: _mf, ...rest } = o.metadata;
    return canonicalJSON(rest);
  };
  return meta(prev) === meta(next);
}

function isReplicaSetRef(ref: { apiVersion: string; kind: string } | undefined): boolean {
  return !!ref && ref.kind === 'ReplicaSet' && ref.apiVersion.startsWith('apps/');
}

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  private readonly queue: WorkQueue;
  private readonly expectations: Expectations;
  /** Orphan pods (by name) that may belong to a set, per set key. */
  private readonly orphans = new Map<string, Set<string>>();
  /** Sets to scan their namespace for orphans once (new or changed selector). */
  private readonly scanOrphans = new Set<string>();
  /** Owned pods whose labels changed (they may have to be released), per set key; '*' = all. */
  private readonly relabeled = new Map<string, Set<string>>();
  /** Pods per set at its last sync: big sets coalesce pod events instead of syncing on each. */
  private readonly sizes = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue((k) => this.sync(k), (k, e) => ctx.log(`replicaset-controller: ${k}: ${String(e)}`), 8);
    this.expectations = new Expectations(() => Math.max(ctx.clock.real(5 * 60_000), 5_000));
  }

  start(): void {
    for (const rs of this.ctx.cache.list(REPLICA_SETS)) {
      this.scanOrphans.add(objectKey(rs));
      this.relabeled.set(objectKey(rs), new Set(['*']));
      this.queue.add(objectKey(rs));
    }
  }

  /**
   * The periodic resync: every set synced again, without the full scans start() asks for (pod
   * events already offer orphans and relabeled pods): at 150,000 pods those scans cost.
   */
  resyncAll(): void {
    for (const rs of this.ctx.cache.list(REPLICA_SETS)) this.queue.add(objectKey(rs));
  }

  private markRelabeled(key: string, pod: string): void {
    let s = this.relabeled.get(key);
    if (!s) this.relabeled.set(key, (s = new Set()));
    s.add(pod);
  }

  /**
   * A pod of the set changed. Small sets sync at once; a set of thousands of pods waits a few
   * milliseconds per hundred pods so that a burst of pod updates costs one O(pods) sync, not one
   * per update (kube's informers batch similarly through the work queue).
   */
  private podChanged(key: string): void {
    const n = this.sizes.get(key) ?? 0;
    if (n < 200) this.queue.add(key);
    else this.queue.addAfter(key, Math.min(500, n / 20));
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (isEventOf(e, REPLICA_SETS)) {
      const key = objectKey(e.object);
      if (e.type === 'DELETED') {
        this.expectations.forget(key);
        this.orphans.delete(key);
        this.relabeled.delete(key);
        this.sizes.delete(key);
        return;
      }
      if (e.type === 'ADDED' || canonicalJSON(e.prev?.spec?.selector) !== canonicalJSON(e.object.spec?.selector)) {
        this.scanOrphans.add(key);
        this.markRelabeled(key, '*');
      }
      // Our own status writes come back as events: those need no prompt sync.
      if (e.type === 'MODIFIED' && e.prev && statusOnlyChange(e.prev, e.object)) this.podChanged(key);
      else this.queue.add(key);
      return;
    }
    if (!isEventOf(e, PODS)) return;
    observePodReadiness(e, this.ctx.clock.now());
    const pod = e.object;
    const ref = controllerOf(pod);
    if (isReplicaSetRef(ref)) {
      const key = `${e.namespace}/${ref!.name}`;
      if (e.type === 'ADDED') this.expectations.creationObserved(key);
      else if (e.type === 'DELETED' || (pod.metadata.deletionTimestamp && !e.prev?.metadata.deletionTimestamp)) this.expectations.deletionObserved(key, pod.metadata.uid ?? '');
      // Status writes keep the labels object itself: compare contents only when it changed.
      const labelsBefore = e.prev?.metadata.labels;
      if (e.type === 'MODIFIED' && labelsBefore !== pod.metadata.labels && canonicalJSON(labelsBefore) !== canonicalJSON(pod.metadata.labels)) this.markRelabeled(key, pod.metadata.name ?? '');
      this.podChanged(key);
    }
    const prevRef = e.prev ? controllerOf(e.prev) : undefined;
    if (isReplicaSetRef(prevRef) && prevRef!.uid !== ref?.uid) this.queue.add(`${e.namespace}/${prevRef!.name}`);
    if (!ref && e.type !== 'DELETED' && isPodActive(pod)) this.offerOrphan(pod);
  }

  /** An orphan pod: the sets in its namespace whose selector matches it may adopt it. */
  private offerOrphan(pod: Pod): void {
    const ns = pod.metadata.namespace ?? '';
    for (const rs of this.ctx.cache.list(REPLICA_SETS, ns)) {
      if (rs.metadata.deletionTimestamp) continue;
      if (!workloadSelector(rs.spec?.selector).matches(pod.metadata.labels)) continue;
      const key = objectKey(rs);
      let s = this.orphans.get(key);
      if (!s) this.orphans.set(key, (s = new Set()));
      s.add(pod.metadata.name ?? '');
      this.queue.add(key);
    }
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const rs = this.ctx.cache.get(REPLICA_SETS, ns, name);
    if (!rs) {
      this.expectations.forget(key);
      return;
    }
    const selector = rs.spec?.selector;
    const uid = rs.metadata.uid ?? '';

    // Release pods whose labels no longer match; adopt orphans that do (kube's PodControllerRefManager).
    const relabeled = this.relabeled.get(key);
    this.relabeled.delete(key);
    if (relabeled) {
      const candidates = relabeled.has('*')
        ? this.ctx.cache.controlledBy(uid, PODS)
        : [...relabeled].map((n) => this.ctx.cache.get(PODS, ns, n)).filter((p): p is Pod => !!p && controllerOf(p)?.uid === uid);
      const matcher = workloadSelector(selector);
      for (const p of candidates) if (!matcher.matches(p.metadata.labels)) await this.release(p, uid);
    }
    if (!rs.metadata.deletionTimestamp) await this.adoptOrphans(rs, key, selector);

    // The cache's live tally of the set's active pods: reading it costs nothing however many there are.
    const active = this.ctx.cache.activePodsOf(uid);
    let manageError: unknown;
    if (this.expectations.satisfied(key) && !rs.metadata.deletionTimestamp) {
      const diff = active.size - int(rs.spec?.replicas, 1);
      manageError = await this.manage(rs, key, active);
      // More than one burst to go: carry on at once rather than after the coalescing delay.
      if (Math.abs(diff) > BURST_REPLICAS && manageError === undefined) this.queue.add(key);
    }
    const now = this.ctx.cache.activePodsOf(uid);
    this.sizes.set(key, now.size);
    await this.updateStatus(rs, key, now, manageError);
    if (manageError && !isRace(manageError)) throw manageError;
  }

  private async adoptOrphans(rs: ReplicaSet, key: string, selector: LabelSelector | undefined): Promise<void> {
    const names = this.orphans.get(key) ?? new Set<string>();
    this.orphans.delete(key);
    const ns = rs.metadata.namespace ?? '';
    let candidates: Pod[] = [];
    if (this.scanOrphans.delete(key)) {
      candidates = this.ctx.cache.list(PODS, ns).filter((p) => !controllerOf(p) && isPodActive(p));
    } else {
      for (const n of names) {
        const p = this.ctx.cache.get(PODS, ns, n);
        if (p) candidates.push(p);
      }
    }
    const matcher = workloadSelector(selector);
    for (const p of candidates) {
      if (controllerOf(p) || !isPodActive(p) || !matcher.matches(p.metadata.labels)) continue;
      const refs = [...(p.metadata.ownerReferences ?? []), ownerReference(rs)];
      try {
        await this.ctx.update(PODS, ns, p.metadata.name ?? '', { ...p, metadata: { ...p.metadata, ownerReferences: refs } });
      } catch (e) {
        if (!isRace(e)) throw e;
      }
    }
  }

  private async release(pod: Pod, ownerUid: string): Promise<void> {
    const refs = (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
    const metadata: ObjectMeta = { ...pod.metadata, ownerReferences: refs };
    if (!refs.length) delete metadata.ownerReferences;
    try {
      await this.ctx.update(PODS, pod.metadata.namespace ?? '', pod.metadata.name ?? '', { ...pod, metadata });
    } catch (e) {
      if (!isRace(e)) throw e;
    }
  }

  /** Create or delete pods towards spec.replicas; returns the first creation error, if any. */
  private async manage(rs: ReplicaSet, key: string, active: OwnedPods): Promise<unknown> {
    const want = int(rs.spec?.replicas, 1);
    const diff = active.size - want;
    const ns = rs.metadata.namespace ?? '';
    if (diff < 0) {
      const n = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expectCreations(key, n);
      const { successes, error } = await slowStartBatch(n, 1, async () => {
        const pod = podFromTemplate(rs.spec?.template, rs, { generateName: `${rs.metadata.name}-` });
        const created = await this.ctx.create(PODS, ns, pod);
        await this.ctx.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, 'replicaset-controller');
      });
      if (successes < n) this.expectations.creationObserved(key, n - successes);
      if (error !== undefined) {
        const message = error instanceof StatusError ? error.message : String(error);
        await this.ctx.event(rs, 'Warning', 'FailedCreate', `Error creating: ${message}`, 'replicaset-controller');
        return error;
      }
    } else if (diff > 0) {
      const victims = podsToDelete(active.pods(), Math.min(diff, BURST_REPLICAS));
      this.expectations.expectDeletions(key, victims.map((p) => p.metadata.uid ?? ''));
      await deleteControlledPods(this.ctx, rs, victims, this.expectations, key, 'replicaset-controller');
    }
    return undefined;
  }

  private async updateStatus(rs: ReplicaSet, key: string, active: OwnedPods, manageError: unknown): Promise<void> {
    const minReadyRealMs = this.ctx.clock.real(int(rs.spec?.minReadySeconds, 0) * 1000);
    const now = this.ctx.clock.now();
    const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
    const counts = replicaSetCountsOf(templateLabels, active, minReadyRealMs, now);
    const old: Partial<ReplicaSetStatus> = rs.status ?? {};
    let conditions = old.conditions ?? [];
    const failure = findCondition(conditions, 'ReplicaFailure');
    if (manageError !== undefined && !isRace(manageError) && !failure) {
      const message = manageError instanceof StatusError ? manageError.message : String(manageError);
      conditions = [...conditions, { type: 'ReplicaFailure', status: 'True', lastTransitionTime: this.ctx.now(), reason: 'FailedCreate', message }];
    } else if (manageError === undefined && failure) {
      conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
    }
    const status: ReplicaSetStatus = omitZero({ ...counts, observedGeneration: rs.metadata.generation, conditions }, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration', 'conditions']);
    if (!(await writeStatusIfChanged(this.ctx, REPLICA_SETS, rs, status))) return this.queue.addAfter(key, 20);
    // Ready pods become available after minReadySeconds: look again then.
    const wait = minReadyRealMs > 0 ? msUntilAvailable(active.pods(), minReadyRealMs, now) : undefined;
    if (wait !== undefined) this.queue.addAfter(key, wait + 5);
  }
}
