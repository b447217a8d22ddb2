// The StatefulSet controller (kube-controller-manager's statefulset-controller): pods with
// stable names <set>-<ordinal>, created in order and each only once its predecessors are
// Running and Ready (OrderedReady) or all at once (Parallel); removed from the highest ordinal;
// a deleted pod comes back under the same name once the old one is gone. Templates are
// ControllerRevisions; RollingUpdate replaces pods from the highest ordinal down to the
// partition, one at a time, each after the previous is healthy again. PVCs from
// volumeClaimTemplates are created (persistentvolume.ts binds them) and owned as
// spec.persistentVolumeClaimRetentionPolicy says (claimOwnerReferences): by the set when
// whenDeleted is Delete, by their pod once it is scaled away when whenScaled is Delete, so that
// the garbage collector deletes them; Retain (the default) leaves them alone.
import { controllerOf, isPodReady, isPodTerminating, podPhase } from '../../api/pods.js';
import { type ControllerRevision, type OwnerReference, type PersistentVolumeClaim, type Pod, type StatefulSet, objectKey } from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { CONTROLLER_REVISIONS, PERSISTENT_VOLUME_CLAIMS, PODS, STATEFUL_SETS, isEventOf } from './kinds.js';
import { WorkQueue } from './queue.js';
import { omitZero } from './replicaset.js';
import {
  canonicalJSON,
  computeHash,
  createRevision,
  deleteRevisions,
  int,
  isPodAvailable,
  msUntilAvailable,
  observePodReadiness,
  ownerReference,
  podFromTemplate,
  revisionData,
  revisionTemplate,
  splitKey,
  writeStatusIfChanged,
} from './workloads.js';

type StatefulSetStatus = NonNullable<StatefulSet['status']>;
/** An entry of spec.volumeClaimTemplates. */
type ClaimTemplate = NonNullable<NonNullable<StatefulSet['spec']>['volumeClaimTemplates']>[number];
export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/** The ordinal of a pod of this set, from its name; undefined if it is not one of ours. */
export function ordinalOf(setName: string, podName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/** isCreated: the kubelet or the API server has given the pod a phase. */
const isCreated = (p: Pod): boolean => !!podPhase(p);
const isFailed = (p: Pod): boolean => podPhase(p) === 'Failed';
const isSucceeded = (p: Pod): boolean => podPhase(p) === 'Succeeded';
const isRunningAndReady = (p: Pod): boolean => podPhase(p) === 'Running' && isPodReady(p);
export const podRevision = (p: Pod): string | undefined => p.metadata.labels?.[CONTROLLER_REVISION_HASH];

export interface StatefulSetCounts {
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
}

/** Pure: the counts of StatefulSetStatus (computeReplicaStatus). Terminating pods still count as replicas. */
export function statefulSetCounts(pods: Pod[], currentRevision: string, updateRevision: string, minReadyRealMs: number, nowMs: number): StatefulSetCounts {
  const c: StatefulSetCounts = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
  for (const p of pods) {
    if (isCreated(p)) c.replicas++;
    if (isRunningAndReady(p)) {
      c.readyReplicas++;
      if (isPodAvailable(p, minReadyRealMs, nowMs)) c.availableReplicas++;
    }
    if (isCreated(p) && !isPodTerminating(p)) {
      if (podRevision(p) === currentRevision) c.currentReplicas++;
      if (podRevision(p) === updateRevision) c.updatedReplicas++;
    }
  }
  return c;
}

export type StatefulSetAction = { kind: 'create'; ordinal: number } | { kind: 'delete'; pod: Pod } | { kind: 'wait'; reason: string };

export interface StatefulSetPlanInput {
  /** First ordinal (spec.ordinals.start) and spec.replicas. */
  start: number;
  replicas: number;
  parallel: boolean;
  /** Pods of the set by ordinal. */
  pods: Map<number, Pod>;
  updateRevision: string;
  /** RollingUpdate partition; undefined for OnDelete. */
  partition?: number;
  minReadyRealMs: number;
  nowMs: number;
}

/**
 * Pure: what one sync of a StatefulSet does (updateStatefulSet), in order. OrderedReady stops at
 * the first action or at the first pod that is not yet Running and Ready; Parallel acts on every
 * ordinal at once. Scale-down and the rolling update go from the highest ordinal down.
 */
export function planStatefulSet(input: StatefulSetPlanInput): StatefulSetAction[] {
  const { start, replicas, parallel, pods, updateRevision, minReadyRealMs, nowMs } = input;
  const monotonic = !parallel;
  const actions: StatefulSetAction[] = [];
  const end = start + replicas;
  const healthy = (p: Pod) => isRunningAndReady(p) && isPodAvailable(p, minReadyRealMs, nowMs);
  for (let ord = start; ord < end; ord++) {
    const pod = pods.get(ord);
    if (!pod) {
      actions.push({ kind: 'create', ordinal: ord });
      if (monotonic) return actions;
      continue;
    }
    if ((isFailed(pod) || isSucceeded(pod)) && !isPodTerminating(pod)) {
      // A finished pod of a StatefulSet is deleted and recreated under the same name.
      actions.push({ kind: 'delete', pod });
      if (monotonic) return actions;
      continue;
    }
    if (!isCreated(pod)) {
      if (monotonic) return [...actions, { kind: 'wait', reason: `pod ${pod.metadata.name} is being created` }];
      continue;
    }
    if (isPodTerminating(pod)) {
      if (monotonic) return [...actions, { kind: 'wait', reason: `pod ${pod.metadata.name} is terminating` }];
      continue;
    }
    if (!healthy(pod) && monotonic) return [...actions, { kind: 'wait', reason: `pod ${pod.metadata.name} is not yet running and ready` }];
  }
  // Pods beyond the wanted ordinals go, highest first.
  const condemned = [...pods.entries()].filter(([ord]) => ord < start || ord >= end).sort((a, b) => b[0] - a[0]);
  // (In OrderedReady every wanted pod is healthy by now, so the highest condemned pod, healthy
  // or not, is the one to go.)
  for (const [, pod] of condemned) {
    if (isPodTerminating(pod)) {
      if (monotonic) return [...actions, { kind: 'wait', reason: `pod ${pod.metadata.name} is terminating` }];
      continue;
    }
    actions.push({ kind: 'delete', pod });
    if (monotonic) return actions;
  }
  if (parallel && actions.length) return actions;
  // The rolling update: highest ordinal first, one pod at a time, down to the partition.
  if (input.partition === undefined) return actions;
  for (let ord = end - 1; ord >= start + input.partition; ord--) {
    const pod = pods.get(ord);
    if (!pod) continue;
    if (podRevision(pod) !== updateRevision && !isPodTerminating(pod)) return [...actions, { kind: 'delete', pod }];
    if (!healthy(pod)) return [...actions, { kind: 'wait', reason: `pod ${pod.metadata.name} is updating` }];
  }
  return actions;
}

/** An ownerReference of a claim to the set or pod named (matchesRef: same group, kind and name). */
function refersTo(ref: OwnerReference, owner: { apiVersion: string; kind: string; name: string }): boolean {
  const group = (v: string) => (v.includes('/') ? v.slice(0, v.indexOf('/')) : '');
  return ref.kind === owner.kind && ref.name === owner.name && group(ref.apiVersion) === group(owner.apiVersion);
}

/**
 * Pure: the ownerReferences a claim of this pod should carry under the set's
 * persistentVolumeClaimRetentionPolicy (the controller's isClaimOwnerUpToDate and
 * updateClaimOwnerRefForSetAndPod), or undefined when they are right as they are. Our references
 * (to this set or pod) are rebuilt: a controller reference to the set when whenDeleted is Delete
 * and the pod is within the replicas, to the pod when whenScaled is Delete and it is scaled away.
 * A claim with a stale reference (same name, another uid: an earlier set or pod) is left for the
 * garbage collector; one controlled by something else only loses our references.
 */
export function claimOwnerReferences(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod, scaledDown: boolean): OwnerReference[] | undefined {
  const setRef = { ...ownerReference(set), apiVersion: 'apps/v1', kind: 'StatefulSet' };
  const podRef = { ...ownerReference(pod), apiVersion: 'v1', kind: 'Pod' };
  const refs = claim.metadata.ownerReferences ?? [];
  const ours = (r: OwnerReference) => refersTo(r, setRef) || refersTo(r, podRef);
  if (refs.some((r) => (refersTo(r, setRef) && r.uid !== setRef.uid) || (refersTo(r, podRef) && pod.metadata.uid && r.uid !== podRef.uid))) return undefined;
  const kept = refs.filter((r) => !ours(r));
  const foreignController = kept.some((r) => r.controller === true);
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy;
  const wanted: OwnerReference[] = [];
  if (!foreignController) {
    if (policy?.whenScaled === 'Delete' && scaledDown && pod.metadata.uid) wanted.push(podRef);
    else if (policy?.whenDeleted === 'Delete' && !(policy.whenScaled === 'Delete' && scaledDown)) wanted.push(setRef);
  }
  const next = [...kept, ...wanted];
  return JSON.stringify(next) === JSON.stringify(refs) ? undefined : next;
}

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue((k) => this.sync(k), (k, e) => ctx.log(`statefulset-controller: ${k}: ${String(e)}`), 4);
  }

  start(): void {
    for (const s of this.ctx.cache.list(STATEFUL_SETS)) this.queue.add(objectKey(s));
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === STATEFUL_SETS) {
      if (e.type !== 'DELETED') this.queue.add(objectKey(e.object));
    } else if (isEventOf(e, PODS)) {
      observePodReadiness(e, this.ctx.clock.now());
      const ref = controllerOf(e.object);
      if (ref?.kind === 'StatefulSet') this.queue.add(`${e.namespace}/${ref.name}`);
    } else if (e.resource === PERSISTENT_VOLUME_CLAIMS && e.type === 'DELETED') {
      // A stale claim is gone at last: a set waiting to recreate its pod may go on.
      for (const set of this.ctx.cache.list(STATEFUL_SETS, e.namespace)) if (set.spec?.volumeClaimTemplates?.length) this.queue.add(objectKey(set));
    }
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const set = this.ctx.cache.get(STATEFUL_SETS, ns, name);
    if (!set || set.metadata.deletionTimestamp) return;
    try {
      await this.syncSet(set, key);
    } catch (e) {
      if (isRace(e) || (e instanceof StatusError && e.reason === 'AlreadyExists')) return this.queue.addAfter(key, 20);
      throw e;
    }
  }

  private podsByOrdinal(set: StatefulSet): Map<number, Pod> {
    const out = new Map<number, Pod>();
    for (const p of this.ctx.cache.controlledBy(set.metadata.uid ?? '', PODS)) {
      const ord = ordinalOf(set.metadata.name ?? '', p.metadata.name ?? '');
      if (ord !== undefined) out.set(ord, p);
    }
    return out;
  }

  private async syncSet(set: StatefulSet, key: string): Promise<void> {
    const spec = set.spec;
    const { current, update, revisions } = await this.syncRevisions(set);
    const strategy = spec?.updateStrategy ?? {};
    const rolling = (strategy.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = rolling ? int(strategy.rollingUpdate?.partition, 0) : undefined;
    const start = int(spec?.ordinals?.start, 0);
    const minReadyRealMs = this.ctx.clock.real(int(spec?.minReadySeconds, 0) * 1000);
    const pods = this.podsByOrdinal(set);
    // Claims are owned per the retention policy before any pod goes (fixPodClaim, then delete).
    await this.fixClaimOwners(set, pods, start, int(spec?.replicas, 1));
    const actions = planStatefulSet({
      start,
      replicas: int(spec?.replicas, 1),
      parallel: spec?.podManagementPolicy === 'Parallel',
      pods,
      updateRevision: update.metadata.name ?? '',
      partition,
      minReadyRealMs,
      nowMs: this.ctx.clock.now(),
    });
    const ns = set.metadata.namespace ?? '';
    for (const a of actions) {
      if (a.kind === 'create') {
        // Ordinals below the partition keep the current revision during a rolling update.
        const revision = rolling && partition !== undefined && a.ordinal < start + partition ? current : update;
        await this.createPod(set, a.ordinal, revision, revisions);
      } else if (a.kind === 'delete') {
        try {
          await this.ctx.delete(PODS, ns, a.pod.metadata.name ?? '', { preconditions: { uid: a.pod.metadata.uid } });
          await this.ctx.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${a.pod.metadata.name} in StatefulSet ${set.metadata.name} successful`, 'statefulset-controller');
        } catch (e) {
          if (!isRace(e)) throw e;
        }
      }
    }
    await this.updateStatus(set, key, current, update, rolling, minReadyRealMs);
  }

  private async createPod(set: StatefulSet, ordinal: number, revision: ControllerRevision, revisions: ControllerRevision[]): Promise<void> {
    const ns = set.metadata.namespace ?? '';
    const name = `${set.metadata.name}-${ordinal}`;
    const spec = set.spec;
    const template = revisionTemplate(revision) ?? revisionTemplate(revisions[revisions.length - 1]) ?? spec?.template ?? {};
    const pod = podFromTemplate(template, set, { name });
    pod.metadata.labels = {
      ...(pod.metadata.labels ?? {}),
      [POD_NAME_LABEL]: name,
      [POD_INDEX_LABEL]: String(ordinal),
      [CONTROLLER_REVISION_HASH]: revision.metadata.name ?? '',
    };
    const podSpec = pod.spec ?? { containers: [] };
    pod.spec = podSpec;
    podSpec.hostname = name;
    if (spec?.serviceName) podSpec.subdomain = spec.serviceName;
    // Each claim template becomes a PVC <claim>-<pod>, mounted under the template's name.
    const volumes = [...(podSpec.volumes ?? [])];
    for (const claim of spec?.volumeClaimTemplates ?? []) {
      const claimName = `${claim.metadata?.name}-${name}`;
      // A stale claim (PodClaimIsStale: being deleted, or owned by an earlier pod of this name after
      // a scale-down with whenScaled=Delete) is left to the garbage collector: wait for it to go.
      const existing = this.ctx.cache.get(PERSISTENT_VOLUME_CLAIMS, ns, claimName);
      if (existing?.metadata.deletionTimestamp || existing?.metadata.ownerReferences?.some((r) => r.kind === 'Pod' && r.name === name)) return;
      await this.ensureClaim(set, claim, claimName, pod);
      const v = { name: claim.metadata?.name ?? '', persistentVolumeClaim: { claimName } };
      const i = volumes.findIndex((x) => x.name === v.name);
      if (i >= 0) volumes[i] = v;
      else volumes.push(v);
    }
    if (volumes.length) podSpec.volumes = volumes;
    try {
      await this.ctx.create(PODS, ns, pod);
    } catch (e) {
      // The old pod of that name is still being removed: wait for its DELETED event.
      if (e instanceof StatusError && e.reason === 'AlreadyExists') return;
      const message = e instanceof Error ? e.message : String(e);
      await this.ctx.event(set, 'Warning', 'FailedCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} failed error: ${message}`, 'statefulset-controller');
      throw e;
    }
    await this.ctx.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} successful`, 'statefulset-controller');
  }

  private async ensureClaim(set: StatefulSet, claim: ClaimTemplate, claimName: string, pod: Pod): Promise<void> {
    const ns = set.metadata.namespace ?? '';
    if (this.ctx.cache.get(PERSISTENT_VOLUME_CLAIMS, ns, claimName)) return;
    const selectorLabels = set.spec?.selector?.matchLabels ?? {};
    const body: PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: claimName, namespace: ns, labels: { ...(claim.metadata?.labels ?? {}), ...selectorLabels }, ...(claim.metadata?.annotations ? { annotations: claim.metadata.annotations } : {}) },
      spec: structuredClone(claim.spec ?? {}),
      status: { phase: 'Pending' },
    };
    // Created already owned as the retention policy says (the pod has no uid yet: never scaled away).
    const owners = claimOwnerReferences(body, set, pod, false);
    if (owners?.length) body.metadata.ownerReferences = owners;
    try {
      await this.ctx.create(PERSISTENT_VOLUME_CLAIMS, ns, body);
      await this.ctx.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claimName} Pod ${claimName.slice((claim.metadata?.name ?? '').length + 1)} in StatefulSet ${set.metadata.name} success`, 'statefulset-controller');
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
    }
  }

  /** Each pod's claims owned as the retention policy says: pods outside [start, start+replicas) are scaled away. */
  private async fixClaimOwners(set: StatefulSet, pods: Map<number, Pod>, start: number, replicas: number): Promise<void> {
    const templates = set.spec?.volumeClaimTemplates ?? [];
    if (!templates.length) return;
    const ns = set.metadata.namespace ?? '';
    for (const [ordinal, pod] of pods) {
      const scaledDown = ordinal < start || ordinal >= start + replicas;
      for (const t of templates) {
        const name = `${t.metadata?.name}-${pod.metadata.name}`;
        const claim = this.ctx.cache.get(PERSISTENT_VOLUME_CLAIMS, ns, name);
        if (!claim || claim.metadata.deletionTimestamp) continue;
        const refs = claimOwnerReferences(claim, set, pod, scaledDown);
        if (!refs) continue;
        const { ownerReferences: _old, ...metadata } = claim.metadata;
        await this.ctx.update(PERSISTENT_VOLUME_CLAIMS, ns, name, { ...claim, metadata: refs.length ? { ...metadata, ownerReferences: refs } : metadata });
      }
    }
  }

  /** The update revision (the current template, created if new) and the current one (status.currentRevision). */
  private async syncRevisions(set: StatefulSet): Promise<{ current: ControllerRevision; update: ControllerRevision; revisions: ControllerRevision[] }> {
    const ns = set.metadata.namespace ?? '';
    const status: Partial<StatefulSetStatus> = set.status ?? {};
    const template = set.spec?.template ?? {};
    const data = revisionData(template);
    const dataJSON = canonicalJSON(data);
    const revisions = this.ctx.cache.controlledBy(set.metadata.uid ?? '', CONTROLLER_REVISIONS).sort((a, b) => int(a.revision, 0) - int(b.revision, 0));
    const maxRevision = Math.max(0, ...revisions.map((r) => int(r.revision, 0)));
    let update = revisions.find((r) => canonicalJSON(r.data) === dataJSON);
    if (update && int(update.revision, 0) < maxRevision) {
      update = await this.ctx.update(CONTROLLER_REVISIONS, ns, update.metadata.name ?? '', { ...update, revision: maxRevision + 1 });
    }
    if (!update) {
      const collisionCount = int(status.collisionCount, 0);
      const hash = computeHash(data, collisionCount);
      const cr: ControllerRevision = {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name: `${set.metadata.name}-${hash}`,
          namespace: ns,
          labels: { ...(template.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH]: hash },
          ownerReferences: [ownerReference(set)],
        },
        data,
        revision: maxRevision + 1,
      };
      update = await createRevision(this.ctx, set, cr, () =>
        this.ctx.update(STATEFUL_SETS, ns, set.metadata.name ?? '', { ...set, status: { replicas: 0, ...status, collisionCount: collisionCount + 1 } }, 'status'),
      );
    }
    const all = revisions.some((r) => r.metadata.uid === update!.metadata.uid) ? revisions.map((r) => (r.metadata.uid === update!.metadata.uid ? update! : r)) : [...revisions, update];
    const current = all.find((r) => r.metadata.name === status.currentRevision) ?? update;
    await this.cleanupRevisions(set, all, current, update);
    return { current, update, revisions: all };
  }

  private async cleanupRevisions(set: StatefulSet, revisions: ControllerRevision[], current: ControllerRevision, update: ControllerRevision): Promise<void> {
    const limit = int(set.spec?.revisionHistoryLimit, 10);
    const live = new Set(this.ctx.cache.controlledBy(set.metadata.uid ?? '', PODS).map(podRevision));
    const old = revisions.filter((r) => r !== current && r !== update && !live.has(r.metadata.name));
    await deleteRevisions(this.ctx, old.slice(0, Math.max(0, old.length - limit)));
  }

  private async updateStatus(set: StatefulSet, key: string, current: ControllerRevision, update: ControllerRevision, rolling: boolean, minReadyRealMs: number): Promise<void> {
    const latest = this.ctx.cache.get(STATEFUL_SETS, set.metadata.namespace ?? '', set.metadata.name ?? '') ?? set;
    const pods = [...this.podsByOrdinal(latest).values()];
    const now = this.ctx.clock.now();
    let currentRevision = current.metadata.name ?? '';
    const updateRevision = update.metadata.name ?? '';
    const counts = statefulSetCounts(pods, currentRevision, updateRevision, minReadyRealMs, now);
    // The rollout is complete: the update revision becomes the current one.
    if (rolling && counts.updatedReplicas === counts.replicas && counts.readyReplicas === counts.replicas) {
      currentRevision = updateRevision;
      counts.currentReplicas = counts.updatedReplicas;
    }
    const old: Partial<StatefulSetStatus> = latest.status ?? {};
    const status: StatefulSetStatus = omitZero(
      { ...old, ...counts, observedGeneration: latest.metadata.generation, currentRevision, updateRevision, collisionCount: int(old.collisionCount, 0) },
      ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'observedGeneration'],
    );
    if (!(await writeStatusIfChanged(this.ctx, STATEFUL_SETS, latest, status))) return this.queue.addAfter(key, 20);
    const wait = msUntilAvailable(pods, minReadyRealMs, now);
    if (wait !== undefined) this.queue.addAfter(key, wait + 5);
  }
}
