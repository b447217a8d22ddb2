// The Deployment controller (kube-controller-manager's deployment-controller): one ReplicaSet
// per pod template, named <deployment>-<pod-template-hash>, orphan ReplicaSets matching the
// selector adopted; RollingUpdate within maxSurge /
// maxUnavailable, Recreate, proportional scaling of a rollout in progress, pause/resume,
// revision annotations and revision history cleanup, and the Available / Progressing conditions
// `kubectl rollout status` reads. The rollout arithmetic is pure and exported for tests.
import { controllerOf, isPodFinished } from '../../api/pods.js';
import {
  type Deployment,
  type DeploymentCondition,
  type DeploymentStatus,
  type ObjectMeta,
  type PodTemplateSpec,
  type ReplicaSet,
  objectKey,
} from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { DEPLOYMENTS, PODS, REPLICA_SETS, isEventOf } from './kinds.js';
import { WorkQueue } from './queue.js';
import { omitZero } from './replicaset.js';
import { canonicalJSON, computeHash, findCondition, int, ownerReference, scaledValue, splitKey, workloadSelector } from './workloads.js';

export type { DeploymentCondition, DeploymentStatus };

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH = 'pod-template-hash';
const SKIP_COPY = new Set(['kubectl.kubernetes.io/last-applied-configuration', REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, 'deprecated.deployment.rollback.to']);

// ---- accessors ----

/** spec.replicas of a ReplicaSet or Deployment (both default to 1 at admission). */
export const replicasOf = (o: Deployment | ReplicaSet): number => int(o.spec?.replicas, 1);
const statusReplicas = (rs: ReplicaSet): number => int(rs.status?.replicas, 0);
const availableOf = (rs: ReplicaSet): number => int(rs.status?.availableReplicas, 0);
const readyOf = (rs: ReplicaSet): number => int(rs.status?.readyReplicas, 0);
const createdOf = (o: { metadata: ObjectMeta }): number => (o.metadata.creationTimestamp ? Date.parse(o.metadata.creationTimestamp) : 0);
const conditionsOf = (d: Deployment): DeploymentCondition[] => d.status?.conditions ?? [];

export function revisionOf(o: { metadata: ObjectMeta }): number {
  const v = Number(o.metadata.annotations?.[REVISION] ?? '0');
  return Number.isFinite(v) ? v : 0;
}

function annotationInt(o: { metadata: ObjectMeta }, key: string): number | undefined {
  const raw = o.metadata.annotations?.[key];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  return Number.isInteger(v) ? v : undefined;
}

const isRollingUpdate = (d: Deployment): boolean => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

// ---- rollout arithmetic (deploymentutil) ----

/**
 * resolveFenceposts: maxSurge rounds up, maxUnavailable rounds down, and both being 0 would
 * deadlock a rollout, so maxUnavailable becomes 1.
 */
export function resolveFenceposts(maxSurge: unknown, maxUnavailable: unknown, desired: number): [number, number] {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

function rollingParams(d: Deployment): { maxSurge?: number | string; maxUnavailable?: number | string } {
  return d.spec?.strategy?.rollingUpdate ?? { maxSurge: '25%', maxUnavailable: '25%' };
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const p = rollingParams(d);
  return resolveFenceposts(p.maxSurge, p.maxUnavailable, replicasOf(d))[0];
}

export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const p = rollingParams(d);
  const [, unavailable] = resolveFenceposts(p.maxSurge, p.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

const sumReplicas = (rss: ReplicaSet[]): number => rss.reduce((n, rs) => n + replicasOf(rs), 0);
const sumStatusReplicas = (rss: ReplicaSet[]): number => rss.reduce((n, rs) => n + statusReplicas(rs), 0);
const sumAvailable = (rss: ReplicaSet[]): number => rss.reduce((n, rs) => n + availableOf(rs), 0);
const sumReady = (rss: ReplicaSet[]): number => rss.reduce((n, rs) => n + readyOf(rs), 0);
export const activeReplicaSets = (rss: ReplicaSet[]): ReplicaSet[] => rss.filter((rs) => replicasOf(rs) > 0);
const byCreation = (a: ReplicaSet, b: ReplicaSet): number => createdOf(a) - createdOf(b) || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1);

/** How many replicas the new ReplicaSet should have now (deploymentutil.NewRSNewReplicas). */
export function newRSNewReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const current = sumReplicas(allRSs);
  const maxTotal = replicasOf(d) + maxSurge(d);
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** The new ReplicaSet runs every replica, all available (deploymentutil.IsSaturated). */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  return replicasOf(rs) === replicasOf(d) && annotationInt(rs, DESIRED_REPLICAS) === replicasOf(d) && availableOf(rs) === replicasOf(d);
}

/** The one active ReplicaSet, or the newest one if none is active; undefined if several are. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && !oldRSs.length) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets(newRS ? [...olds, newRS] : olds);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** A scaling event: some active ReplicaSet was sized for a different spec.replicas. */
export function isScalingEvent(d: Deployment, allRSs: ReplicaSet[]): boolean {
  return activeReplicaSets(allRSs).some((rs) => {
    const desired = annotationInt(rs, DESIRED_REPLICAS);
    return desired !== undefined && desired !== replicasOf(d);
  });
}

function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = annotationInt(rs, MAX_REPLICAS) ?? int(d.status?.replicas, 0);
  if (annotated <= 0) return 0;
  return Math.round((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs);
}

/**
 * Proportional scaling (DeploymentController.scale): when a Deployment is resized in the
 * middle of a rollout, every active ReplicaSet grows or shrinks in proportion to its size, and
 * what rounding leaves over goes to the largest. Returns the new size per ReplicaSet uid.
 */
export function proportionalSizes(d: Deployment, active: ReplicaSet[]): Map<string, number> {
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - sumReplicas(active);
  const sorted = [...active].sort((a, b) => {
    const size = replicasOf(b) - replicasOf(a);
    if (size !== 0) return size;
    // Growing favours newer sets, shrinking takes from older ones first.
    return toAdd > 0 ? byCreation(b, a) : byCreation(a, b);
  });
  const sizes = new Map<string, number>();
  let added = 0;
  for (const rs of sorted) {
    let proportion = 0;
    if (toAdd !== 0 && replicasOf(rs) !== 0 && toAdd !== added) {
      const fraction = replicaSetFraction(rs, d);
      const remaining = toAdd - added;
      proportion = toAdd > 0 ? Math.min(fraction, remaining) : Math.max(fraction, remaining);
    }
    sizes.set(rs.metadata.uid ?? '', replicasOf(rs) + proportion);
    added += proportion;
  }
  if (sorted.length && toAdd !== 0) {
    const first = sorted[0].metadata.uid ?? '';
    sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added));
  }
  return sizes;
}

export interface ScaleStep {
  rs: ReplicaSet;
  to: number;
}

/**
 * cleanupUnhealthyReplicas: old ReplicaSets (oldest first) lose their unavailable replicas
 * first, up to maxCleanup in all: they cost no availability.
 */
export function cleanupUnhealthyPlan(oldRSs: ReplicaSet[], maxCleanup: number): ScaleStep[] {
  const steps: ScaleStep[] = [];
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (total >= maxCleanup) break;
    const replicas = replicasOf(rs);
    if (replicas === 0 || replicas === availableOf(rs)) continue;
    const down = Math.min(maxCleanup - total, replicas - availableOf(rs));
    steps.push({ rs, to: replicas - down });
    total += down;
  }
  return steps;
}

/** scaleDownOldReplicaSetsForRollingUpdate: take down old replicas (oldest sets first) while availability stays >= minAvailable. */
export function scaleDownOldPlan(allRSs: ReplicaSet[], oldRSs: ReplicaSet[], d: Deployment): ScaleStep[] {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const available = sumAvailable(allRSs);
  if (available <= minAvailable) return [];
  const totalDown = available - minAvailable;
  const steps: ScaleStep[] = [];
  let done = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (done >= totalDown) break;
    const replicas = replicasOf(rs);
    if (replicas === 0) continue;
    const down = Math.min(replicas, totalDown - done);
    steps.push({ rs, to: replicas - down });
    done += down;
  }
  return steps;
}

/** How many old replicas may go now at most (reconcileOldReplicaSets' maxScaledDown). */
export function maxScaledDown(allRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): number {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newRSUnavailable = replicasOf(newRS) - availableOf(newRS);
  return sumReplicas(allRSs) - minAvailable - newRSUnavailable;
}

/** Old ReplicaSets beyond revisionHistoryLimit, oldest revision first, that may be deleted now. */
export function replicaSetsToClean(oldRSs: ReplicaSet[], limit: number | undefined): ReplicaSet[] {
  if (limit === undefined) return [];
  const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return [];
  const sorted = [...cleanable].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  return sorted
    .slice(0, diff)
    .filter((rs) => statusReplicas(rs) === 0 && replicasOf(rs) === 0 && (rs.metadata.generation ?? 0) <= int(rs.status?.observedGeneration, 0));
}

// ---- status and conditions ----

function newCondition(type: string, status: string, reason: string, message: string, now: string): DeploymentCondition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** SetDeploymentCondition: no change if status and reason are the same; lastTransitionTime kept while status is. */
export function setDeploymentCondition(conditions: DeploymentCondition[], cond: DeploymentCondition): DeploymentCondition[] {
  const current = conditions.find((c) => c.type === cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return conditions;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  return [...conditions.filter((c) => c.type !== cond.type), next];
}

/** calculateStatus: counts from the ReplicaSets and the Available condition. */
export function calculateStatus(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined, now: string): DeploymentStatus {
  const available = sumAvailable(allRSs);
  const unavailable = Math.max(0, sumReplicas(allRSs) - available);
  let conditions = [...conditionsOf(d)];
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    conditions = setDeploymentCondition(conditions, newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now));
  } else {
    conditions = setDeploymentCondition(conditions, newCondition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now));
  }
  return {
    observedGeneration: d.metadata.generation,
    replicas: sumStatusReplicas(allRSs),
    updatedReplicas: newRS ? statusReplicas(newRS) : 0,
    readyReplicas: sumReady(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
    collisionCount: d.status?.collisionCount,
    conditions,
  };
}

/** deploymentutil.DeploymentComplete: every replica updated and available, and the spec observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** deploymentutil.DeploymentProgressing: more updated / ready / available pods, or fewer old ones. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldUpdated = int(old.updatedReplicas, 0);
  const oldOld = int(old.replicas, 0) - oldUpdated;
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > oldUpdated || newOld < oldOld || (s.readyReplicas ?? 0) > int(old.readyReplicas, 0) || (s.availableReplicas ?? 0) > int(old.availableReplicas, 0);
}

function progressDeadlineMs(d: Deployment): number | undefined {
  const s = d.spec?.progressDeadlineSeconds;
  // kube treats MaxInt32 as "no deadline".
  return typeof s === 'number' && s !== 2147483647 ? s * 1000 : undefined;
}

/**
 * The Progressing condition after a rollout step (syncRolloutStatus). `realMs` converts a
 * simulated duration to real time (the progress deadline is simulated time).
 */
export function rolloutConditions(d: Deployment, s: DeploymentStatus, newRS: ReplicaSet | undefined, now: string, nowMs: number, realMs: (simMs: number) => number): DeploymentCondition[] {
  let conditions = [...(s.conditions ?? [])];
  const deadline = progressDeadlineMs(d);
  if (deadline === undefined) return conditions.filter((c) => c.type !== 'Progressing');
  const current = conditions.find((c) => c.type === 'Progressing');
  const complete = (s.replicas ?? 0) === (s.updatedReplicas ?? 0) && current?.reason === 'NewReplicaSetAvailable';
  if (complete) return conditions;
  const name = d.metadata.name ?? '';
  if (deploymentComplete(d, s)) {
    const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has successfully progressed.` : `Deployment "${name}" has successfully progressed.`;
    conditions = setDeploymentCondition(conditions, newCondition('Progressing', 'True', 'NewReplicaSetAvailable', msg, now));
  } else if (deploymentProgressing(d, s)) {
    const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" is progressing.` : `Deployment "${name}" is progressing.`;
    const cond = newCondition('Progressing', 'True', 'ReplicaSetUpdated', msg, now);
    // Progress refreshes lastUpdateTime even with the same reason: that is what the deadline counts from.
    if (current) {
      if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
      conditions = conditions.filter((c) => c.type !== 'Progressing');
    }
    conditions = setDeploymentCondition(conditions, cond);
  } else if (timedOut(current, deadline, nowMs, realMs)) {
    const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.` : `Deployment "${name}" has timed out progressing.`;
    conditions = setDeploymentCondition(conditions, newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', msg, now));
  }
  return conditions;
}

function timedOut(cond: DeploymentCondition | undefined, deadlineMs: number, nowMs: number, realMs: (simMs: number) => number): boolean {
  if (!cond) return false;
  if (cond.reason === 'NewReplicaSetAvailable') return false;
  if (cond.reason === 'ProgressDeadlineExceeded') return true;
  return Date.parse(cond.lastUpdateTime ?? '') + realMs(deadlineMs) < nowMs;
}

/** The template a ReplicaSet runs, without its pod-template-hash label (EqualIgnoreHash). */
export function templateWithoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const t = structuredClone(template ?? {});
  const meta = t.metadata ?? {};
  const labels = { ...(meta.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH];
  t.metadata = { ...meta, labels };
  return t;
}

/** Stored objects are never mutated (updates replace them), so a template's canonical form can be memoized. */
const canonicalTemplates = new WeakMap<object, string>();
function canonicalTemplate(t: PodTemplateSpec | undefined): string {
  if (!t) return canonicalJSON(templateWithoutHash(t));
  let c = canonicalTemplates.get(t);
  if (c === undefined) canonicalTemplates.set(t, (c = canonicalJSON(templateWithoutHash(t))));
  return c;
}

export function sameTemplate(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalTemplate(a) === canonicalTemplate(b);
}

// ---- the controller ----

interface SyncState {
  d: Deployment;
  rss: ReplicaSet[];
}

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue((k) => this.sync(k), (k, e) => ctx.log(`deployment-controller: ${k}: ${String(e)}`), 8);
  }

  start(): void {
    for (const d of this.ctx.cache.list(DEPLOYMENTS)) this.queue.add(objectKey(d));
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (isEventOf(e, DEPLOYMENTS)) {
      if (e.type !== 'DELETED') this.queue.add(objectKey(e.object));
    } else if (isEventOf(e, REPLICA_SETS)) {
      const ref = controllerOf(e.object);
      if (ref?.kind === 'Deployment') this.queue.add(`${e.namespace}/${ref.name}`);
      else if (!ref && e.type !== 'DELETED' && !e.object.metadata.deletionTimestamp) {
        // An orphan ReplicaSet (say after `kubectl delete deployment --cascade=orphan`): a Deployment whose selector matches adopts it.
        for (const d of this.ctx.cache.list(DEPLOYMENTS, e.namespace)) {
          if (workloadSelector(d.spec?.selector).matches(e.object.metadata.labels)) this.queue.add(objectKey(d));
        }
      }
      const prev = e.prev ? controllerOf(e.prev) : undefined;
      if (prev?.kind === 'Deployment' && prev.uid !== ref?.uid) this.queue.add(`${e.namespace}/${prev.name}`);
    } else if (e.resource === PODS && e.type === 'DELETED') {
      // Recreate waits for the old pods to be gone.
      const rsRef = controllerOf(e.object);
      if (rsRef?.kind !== 'ReplicaSet') return;
      const rs = this.ctx.cache.get(REPLICA_SETS, e.namespace, rsRef.name);
      const dRef = rs ? controllerOf(rs) : undefined;
      if (dRef?.kind !== 'Deployment') return;
      const d = this.ctx.cache.get(DEPLOYMENTS, e.namespace, dRef.name);
      if (d && !isRollingUpdate(d)) this.queue.add(objectKey(d));
    }
  }

  private now(): string {
    return this.ctx.now();
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.ctx.cache.get(DEPLOYMENTS, ns, name);
    if (!cached) return;
    const st: SyncState = { d: cached, rss: [] };
    try {
      st.rss = await this.claimReplicaSets(cached);
      await this.syncDeployment(st, key);
    } catch (e) {
      if (isRace(e)) return this.queue.addAfter(key, 20);
      throw e;
    }
  }

  private async syncDeployment(st: SyncState, key: string): Promise<void> {
    const d = st.d;
    if (workloadSelector(d.spec?.selector).empty) {
      await this.ctx.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.', 'deployment-controller');
      if (int(d.status?.observedGeneration, 0) < (d.metadata.generation ?? 0)) await this.writeStatus(st, { ...d.status, observedGeneration: d.metadata.generation });
      return;
    }
    if (d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(st, false);
      await this.syncDeploymentStatus(st, [...oldRSs, ...(newRS ? [newRS] : [])], newRS);
      return;
    }
    await this.checkPausedConditions(st);
    if (st.d.spec?.paused) return this.syncScale(st);
    {
      const { newRS, oldRSs } = this.splitReplicaSets(st);
      if (isScalingEvent(st.d, newRS ? [...oldRSs, newRS] : oldRSs)) return this.syncScale(st);
    }
    if (isRollingUpdate(st.d)) await this.rolloutRolling(st, key);
    else await this.rolloutRecreate(st, key);
  }

  // ---- ReplicaSets ----

  /**
   * ClaimReplicaSets: the ReplicaSets this Deployment controls, after adopting orphans whose
   * labels match its selector and releasing its own that no longer match.
   */
  private async claimReplicaSets(d: Deployment): Promise<ReplicaSet[]> {
    const ns = d.metadata.namespace ?? '';
    const uid = d.metadata.uid ?? '';
    const selector = workloadSelector(d.spec?.selector);
    const owned: ReplicaSet[] = [];
    for (const rs of this.ctx.cache.controlledBy(uid, REPLICA_SETS)) {
      if (selector.matches(rs.metadata.labels)) owned.push(rs);
      else {
        const refs = (rs.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        await this.ctx.patch(REPLICA_SETS, ns, rs.metadata.name ?? '', 'merge', { metadata: { ownerReferences: refs.length ? refs : null, resourceVersion: rs.metadata.resourceVersion } });
      }
    }
    if (d.metadata.deletionTimestamp || selector.empty) return owned;
    for (const rs of this.ctx.cache.list(REPLICA_SETS, ns)) {
      if (controllerOf(rs) || rs.metadata.deletionTimestamp || !selector.matches(rs.metadata.labels)) continue;
      const refs = [...(rs.metadata.ownerReferences ?? []), ownerReference(d)];
      owned.push(await this.ctx.patch(REPLICA_SETS, ns, rs.metadata.name ?? '', 'merge', { metadata: { ownerReferences: refs, resourceVersion: rs.metadata.resourceVersion } }));
    }
    return owned;
  }

  private splitReplicaSets(st: SyncState): { newRS?: ReplicaSet; oldRSs: ReplicaSet[] } {
    const template = st.d.spec?.template;
    const newRS = [...st.rss].sort(byCreation).find((rs) => sameTemplate(rs.spec?.template, template));
    return { newRS, oldRSs: st.rss.filter((rs) => rs !== newRS) };
  }

  private replace(st: SyncState, updated: ReplicaSet): ReplicaSet {
    const i = st.rss.findIndex((rs) => rs.metadata.uid === updated.metadata.uid);
    if (i >= 0) st.rss[i] = updated;
    else st.rss.push(updated);
    return updated;
  }

  /** getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created if asked) with its revision, and the old ones. */
  private async replicaSetsAndSyncRevision(st: SyncState, create: boolean): Promise<{ newRS?: ReplicaSet; oldRSs: ReplicaSet[] }> {
    const { newRS: found, oldRSs } = this.splitReplicaSets(st);
    const newRevision = String(Math.max(0, ...oldRSs.map(revisionOf)) + 1);
    let newRS = found;
    if (found) {
      newRS = await this.syncNewReplicaSetAnnotations(st, found, newRevision);
    } else if (create) {
      newRS = await this.createNewReplicaSet(st, oldRSs, newRevision);
    }
    return { newRS, oldRSs: newRS ? st.rss.filter((rs) => rs.metadata.uid !== newRS!.metadata.uid) : oldRSs };
  }

  /** Deployment annotations copied to the ReplicaSet (never removed), and the revision bumped on a rollback. */
  private replicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: string, exists: boolean): Record<string, string> {
    const out = { ...(rs.metadata.annotations ?? {}) };
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!SKIP_COPY.has(k)) out[k] = v;
    const oldRevision = out[REVISION];
    if (Number(oldRevision ?? 0) < Number(newRevision)) {
      out[REVISION] = newRevision;
      if (oldRevision !== undefined) {
        // Rolling back to this template: keep the revisions it had.
        out[REVISION_HISTORY] = out[REVISION_HISTORY] ? `${out[REVISION_HISTORY]},${oldRevision}` : oldRevision;
      }
    }
    if (!exists) {
      out[DESIRED_REPLICAS] = String(replicasOf(d));
      out[MAX_REPLICAS] = String(replicasOf(d) + maxSurge(d));
    }
    return out;
  }

  private async syncNewReplicaSetAnnotations(st: SyncState, rs: ReplicaSet, newRevision: string): Promise<ReplicaSet> {
    const annotations = this.replicaSetAnnotations(st.d, rs, newRevision, true);
    const minReady = st.d.spec?.minReadySeconds;
    const minReadyChanged = int(rs.spec?.minReadySeconds, 0) !== int(minReady, 0);
    let updated = rs;
    if (canonicalJSON(annotations) !== canonicalJSON(rs.metadata.annotations ?? {}) || minReadyChanged) {
      const patch = { metadata: { annotations }, ...(minReadyChanged ? { spec: { minReadySeconds: minReady ?? null } } : {}) };
      updated = this.replace(st, await this.ctx.patch(REPLICA_SETS, rs.metadata.namespace ?? '', rs.metadata.name ?? '', 'merge', patch));
    }
    await this.setDeploymentRevision(st, updated.metadata.annotations?.[REVISION]);
    if (!findCondition(conditionsOf(st.d), 'Progressing') && progressDeadlineMs(st.d) !== undefined) {
      const conditions = setDeploymentCondition(conditionsOf(st.d), newCondition('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${updated.metadata.name}"`, this.now()));
      await this.writeStatus(st, { ...st.d.status, conditions });
    }
    return updated;
  }

  private async setDeploymentRevision(st: SyncState, revision: string | undefined): Promise<void> {
    if (revision === undefined || st.d.metadata.annotations?.[REVISION] === revision) return;
    st.d = await this.ctx.patch(DEPLOYMENTS, st.d.metadata.namespace ?? '', st.d.metadata.name ?? '', 'merge', { metadata: { annotations: { [REVISION]: revision } } });
  }

  private async createNewReplicaSet(st: SyncState, oldRSs: ReplicaSet[], newRevision: string): Promise<ReplicaSet | undefined> {
    const d = st.d;
    const spec = d.spec;
    const ns = d.metadata.namespace ?? '';
    const collisionCount = d.status?.collisionCount;
    const hash = computeHash(spec?.template, collisionCount);
    const template = structuredClone(spec?.template ?? {});
    const tmeta = template.metadata ?? {};
    const labels = { ...(tmeta.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
    template.metadata = { ...tmeta, labels };
    const selector = spec?.selector ?? {};
    const rsSpec: NonNullable<ReplicaSet['spec']> = {
      replicas: 0,
      ...(spec?.minReadySeconds !== undefined ? { minReadySeconds: spec.minReadySeconds } : {}),
      selector: { ...selector, matchLabels: { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash } },
      template,
    };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `${d.metadata.name}-${hash}`, namespace: ns, labels: { ...labels }, ownerReferences: [ownerReference(d)] },
      spec: rsSpec,
    };
    const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rsSpec.replicas = replicas;
    rs.metadata.annotations = this.replicaSetAnnotations(d, rs, newRevision, false);
    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = await this.ctx.create(REPLICA_SETS, ns, rs);
    } catch (e) {
      if (e instanceof StatusError && e.code === 409 && e.reason === 'AlreadyExists') {
        const existing = await this.ctx.get(REPLICA_SETS, ns, rs.metadata.name ?? '');
        if (controllerOf(existing)?.uid === d.metadata.uid && sameTemplate(existing.spec?.template, spec?.template)) {
          created = existing;
          alreadyExists = true;
        } else {
          // A hash collision with someone else's ReplicaSet: the next hash includes collisionCount.
          await this.writeStatus(st, { ...d.status, collisionCount: (collisionCount ?? 0) + 1 });
          throw e;
        }
      } else {
        if (!(e instanceof StatusError) || !e.status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) {
          const msg = `Failed to create new replica set "${rs.metadata.name}": ${e instanceof Error ? e.message : String(e)}`;
          if (progressDeadlineMs(d) !== undefined) {
            const conditions = setDeploymentCondition(conditionsOf(d), newCondition('Progressing', 'False', 'ReplicaSetCreateError', msg, this.now()));
            await this.writeStatus(st, { ...d.status, conditions }).catch(() => undefined);
          }
          await this.ctx.event(d, 'Warning', 'FailedCreate', msg, 'deployment-controller');
        }
        throw e;
      }
    }
    this.replace(st, created);
    if (!alreadyExists && replicas > 0) {
      await this.ctx.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`, 'deployment-controller');
    }
    await this.setDeploymentRevision(st, newRevision);
    if (!alreadyExists && progressDeadlineMs(st.d) !== undefined) {
      const conditions = setDeploymentCondition(conditionsOf(st.d), newCondition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${created.metadata.name}"`, this.now()));
      await this.writeStatus(st, { ...st.d.status, conditions });
    }
    return created;
  }

  /** scaleReplicaSet: size and the desired/max-replicas annotations; true if the size changed. */
  private async scaleReplicaSet(st: SyncState, rs: ReplicaSet, to: number, operation?: 'up' | 'down'): Promise<boolean> {
    const d = st.d;
    const from = replicasOf(rs);
    const desired = String(replicasOf(d));
    const max = String(replicasOf(d) + maxSurge(d));
    const annotationsStale = rs.metadata.annotations?.[DESIRED_REPLICAS] !== desired || rs.metadata.annotations?.[MAX_REPLICAS] !== max;
    if (from === to && !annotationsStale) return false;
    const updated = await this.ctx.patch(REPLICA_SETS, rs.metadata.namespace ?? '', rs.metadata.name ?? '', 'merge', {
      metadata: { annotations: { [DESIRED_REPLICAS]: desired, [MAX_REPLICAS]: max } },
      spec: { replicas: to },
    });
    this.replace(st, updated);
    if (from !== to) {
      const op = operation ?? (from < to ? 'up' : 'down');
      await this.ctx.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata.name} from ${from} to ${to}`, 'deployment-controller');
      return true;
    }
    return false;
  }

  private async scaleAndRecord(st: SyncState, rs: ReplicaSet, to: number): Promise<boolean> {
    if (replicasOf(rs) === to) return false;
    return this.scaleReplicaSet(st, rs, to);
  }

  // ---- strategies ----

  private async rolloutRolling(st: SyncState, key: string): Promise<void> {
    let { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(st, true);
    if (!newRS) return;
    const all = () => [...oldRSs, newRS!];
    // Scale up the new ReplicaSet within maxSurge.
    const want = replicasOf(st.d);
    let scaled = false;
    if (replicasOf(newRS) > want) scaled = await this.scaleAndRecord(st, newRS, want);
    else if (replicasOf(newRS) < want) scaled = await this.scaleAndRecord(st, newRS, newRSNewReplicas(st.d, all(), newRS));
    if (scaled) {
      newRS = this.current(st, newRS);
      return this.syncRolloutStatus(st, all(), newRS, key);
    }
    // Scale down old ReplicaSets within maxUnavailable.
    if (await this.reconcileOldReplicaSets(st, oldRSs, newRS)) {
      oldRSs = oldRSs.map((rs) => this.current(st, rs));
      return this.syncRolloutStatus(st, all(), newRS, key);
    }
    if (deploymentComplete(st.d, st.d.status ?? {})) await this.cleanup(st, oldRSs);
    return this.syncRolloutStatus(st, all(), newRS, key);
  }

  private current(st: SyncState, rs: ReplicaSet): ReplicaSet {
    return st.rss.find((r) => r.metadata.uid === rs.metadata.uid) ?? rs;
  }

  private async reconcileOldReplicaSets(st: SyncState, oldRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
    const activeOld = activeReplicaSets(oldRSs);
    if (sumReplicas(activeOld) === 0) return false;
    const limit = maxScaledDown([...oldRSs, newRS], newRS, st.d);
    if (limit <= 0) return false;
    let total = 0;
    for (const step of cleanupUnhealthyPlan(activeOld, limit)) {
      const from = replicasOf(step.rs);
      await this.scaleAndRecord(st, step.rs, step.to);
      total += from - step.to;
    }
    const olds = activeOld.map((rs) => this.current(st, rs));
    for (const step of scaleDownOldPlan([...olds, this.current(st, newRS)], olds, st.d)) {
      const from = replicasOf(step.rs);
      await this.scaleAndRecord(st, step.rs, step.to);
      total += from - step.to;
    }
    return total > 0;
  }

  private async rolloutRecreate(st: SyncState, key: string): Promise<void> {
    let { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(st, false);
    const all = () => [...oldRSs, ...(newRS ? [newRS] : [])];
    // Everything old goes first.
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) if (await this.scaleAndRecord(st, rs, 0)) scaledDown = true;
    if (scaledDown) {
      oldRSs = oldRSs.map((rs) => this.current(st, rs));
      return this.syncRolloutStatus(st, all(), newRS, key);
    }
    if (this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(st, all(), newRS, key);
    if (!newRS) ({ newRS, oldRSs } = await this.replicaSetsAndSyncRevision(st, true));
    if (newRS) {
      await this.scaleAndRecord(st, newRS, replicasOf(st.d));
      newRS = this.current(st, newRS);
    }
    if (deploymentComplete(st.d, st.d.status ?? {})) await this.cleanup(st, oldRSs);
    return this.syncRolloutStatus(st, all(), newRS, key);
  }

  /** Recreate waits until no pod of an old ReplicaSet is left (terminating ones included). */
  private oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
    if (sumStatusReplicas(oldRSs) > 0) return true;
    for (const rs of oldRSs) {
      if (rs.metadata.uid === newRS?.metadata.uid) continue;
      for (const p of this.ctx.cache.controlledBy(rs.metadata.uid ?? '', PODS)) if (!isPodFinished(p)) return true;
    }
    return false;
  }

  /** sync(): scaling and paused deployments. */
  private async syncScale(st: SyncState): Promise<void> {
    const { newRS, oldRSs } = await this.replicaSetsAndSyncRevision(st, false);
    await this.scale(st, newRS, oldRSs);
    const current = newRS ? this.current(st, newRS) : undefined;
    const olds = oldRSs.map((rs) => this.current(st, rs));
    if (st.d.spec?.paused) await this.cleanup(st, olds);
    await this.syncDeploymentStatus(st, [...olds, ...(current ? [current] : [])], current);
  }

  private async scale(st: SyncState, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const d = st.d;
    const only = findActiveOrLatest(newRS, oldRSs);
    if (only) {
      // (kube skips an equal size here; refreshing the annotations too keeps isScalingEvent from sticking.)
      await this.scaleReplicaSet(st, only, replicasOf(d));
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const rs of activeReplicaSets(oldRSs)) await this.scaleAndRecord(st, rs, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const active = activeReplicaSets(newRS ? [...oldRSs, newRS] : oldRSs);
    const sizes = proportionalSizes(d, active);
    const toAdd = (replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0) - sumReplicas(active);
    const op = toAdd > 0 ? 'up' : toAdd < 0 ? 'down' : undefined;
    for (const rs of active) await this.scaleReplicaSet(st, rs, sizes.get(rs.metadata.uid ?? '') ?? replicasOf(rs), op);
  }

  private async cleanup(st: SyncState, oldRSs: ReplicaSet[]): Promise<void> {
    const limit = st.d.spec?.revisionHistoryLimit;
    for (const rs of replicaSetsToClean(oldRSs, typeof limit === 'number' ? limit : undefined)) {
      try {
        await this.ctx.delete(REPLICA_SETS, rs.metadata.namespace ?? '', rs.metadata.name ?? '', { preconditions: { uid: rs.metadata.uid } });
      } catch (e) {
        if (!isRace(e)) throw e;
      }
    }
  }

  // ---- status ----

  private async checkPausedConditions(st: SyncState): Promise<void> {
    if (progressDeadlineMs(st.d) === undefined) return;
    const conditions = conditionsOf(st.d);
    const cond = findCondition(conditions, 'Progressing');
    if (cond?.reason === 'ProgressDeadlineExceeded') return;
    const pausedCond = cond?.reason === 'DeploymentPaused';
    const paused = !!st.d.spec?.paused;
    let next: DeploymentCondition[] | undefined;
    if (paused && !pausedCond) next = setDeploymentCondition(conditions, newCondition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', this.now()));
    else if (!paused && pausedCond) next = setDeploymentCondition(conditions, newCondition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', this.now()));
    if (next) await this.writeStatus(st, { ...st.d.status, conditions: next });
  }

  private async syncDeploymentStatus(st: SyncState, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined): Promise<void> {
    const status = calculateStatus(st.d, allRSs, newRS, this.now());
    await this.writeStatus(st, status);
  }

  private async syncRolloutStatus(st: SyncState, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined, key: string): Promise<void> {
    const d = st.d;
    const now = this.now();
    const status = calculateStatus(d, allRSs, newRS, now);
    let conditions = rolloutConditions(d, status, newRS, now, this.ctx.clock.now(), (ms) => this.ctx.clock.real(ms));
    // A ReplicaSet that cannot create pods makes the Deployment report ReplicaFailure.
    const failing = [...(newRS ? [newRS] : []), ...allRSs].map((rs) => findCondition(rs.status?.conditions, 'ReplicaFailure')).find((c) => c);
    if (failing) conditions = setDeploymentCondition(conditions, newCondition('ReplicaFailure', String(failing.status), String(failing.reason), String(failing.message), now));
    else conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
    status.conditions = conditions;
    const changed = await this.writeStatus(st, status);
    if (!changed) this.requeueStuck(st.d, status, key);
  }

  /** Look again when the progress deadline would pass, so ProgressDeadlineExceeded gets reported. */
  private requeueStuck(d: Deployment, status: DeploymentStatus, key: string): void {
    const deadline = progressDeadlineMs(d);
    const cond = findCondition(status.conditions, 'Progressing');
    if (deadline === undefined || !cond) return;
    if (deploymentComplete(d, status) || cond.reason === 'ProgressDeadlineExceeded') return;
    const after = Date.parse(cond.lastUpdateTime ?? '') + this.ctx.clock.real(deadline) - this.ctx.clock.now();
    this.queue.addAfter(key, Math.max(after, 0) + Math.max(this.ctx.clock.real(1000), 10));
  }

  /** Write status if it changed; true if written. */
  private async writeStatus(st: SyncState, status: DeploymentStatus): Promise<boolean> {
    const clean = omitZero(status, ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount', 'conditions']);
    if (canonicalJSON(clean) === canonicalJSON(st.d.status ?? {})) return false;
    st.d = await this.ctx.update(DEPLOYMENTS, st.d.metadata.namespace ?? '', st.d.metadata.name ?? '', { ...st.d, status: clean }, 'status');
    return true;
  }
}
