// The DaemonSet controller (kube-controller-manager's daemonset-controller): one pod per
// eligible node. Pods carry kube's automatic tolerations and a required node affinity on the
// node's name, and the scheduler binds them, so a cordoned node still gets its DaemonSet pod.
// Templates are snapshotted as ControllerRevisions; RollingUpdate replaces old pods within
// maxUnavailable (maxSurge is treated as 0), OnDelete waits for the user to delete them.
import { controllerOf, isPodReady, isPodTerminating, podPhase } from '../../api/pods.js';
import { type Affinity, type ControllerRevision, type DaemonSet, type Node, type Pod, type PodSpec, type PodTemplateSpec, type Toleration, objectKey } from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { CONTROLLER_REVISIONS, DAEMON_SETS, NODES, PODS, isEventOf } from './kinds.js';
import { WorkQueue } from './queue.js';
import { omitZero, statusOnlyChange } from './replicaset.js';
import { matchesNodeAffinity } from '../../api/affinity.js';
import { tolerates } from './scheduling.js';
import {
  Expectations,
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
  scaledValue,
  slowStartBatch,
  splitKey,
  deleteControlledPods,
  writeStatusIfChanged,
} from './workloads.js';

type DaemonSetStatus = NonNullable<DaemonSet['status']>;
/** DaemonSetStatus with Go's zero values for the counters it always serializes (not omitempty). */
function withZeroCounts(s: Partial<DaemonSetStatus>): DaemonSetStatus {
  return { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, ...s };
}

/** What placement reads of a DaemonSet's pod template spec. */
export type DaemonPodSpec = Pick<PodSpec, 'nodeName' | 'nodeSelector' | 'affinity' | 'tolerations' | 'hostNetwork'>;
export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';
export const POD_TEMPLATE_GENERATION = 'pod-template-generation';
/** kube's BurstReplicas for DaemonSets: the most pods one sync creates. */
const BURST = 250;

/** The tolerations every DaemonSet pod gets (util.AddOrUpdateDaemonPodTolerations). */
export function daemonPodTolerations(spec: Pick<PodSpec, 'tolerations' | 'hostNetwork'>): Toleration[] {
  const auto: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork) auto.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  const out = [...(spec.tolerations ?? [])];
  for (const t of auto) {
    // A toleration with the same key, operator, value and effect is replaced (dropping any tolerationSeconds).
    const i = out.findIndex((c) => c.key === t.key && (c.operator ?? 'Equal') === t.operator && (c.value ?? '') === '' && c.effect === t.effect);
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

export interface DaemonPlacement {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

/**
 * NodeShouldRunDaemonPod: node name, nodeSelector and required node affinity must match; a
 * NoSchedule/NoExecute taint the pod does not tolerate stops new pods, and only an untolerated
 * NoExecute taint also removes a running one. Cordoned and NotReady nodes are tolerated.
 */
export function nodeShouldRunDaemonPod(templateSpec: DaemonPodSpec, node: Node): DaemonPlacement {
  return daemonPlacer(templateSpec)(node);
}

/** nodeShouldRunDaemonPod for many nodes: the pod's tolerations are worked out once. */
export function daemonPlacer(templateSpec: DaemonPodSpec): (node: Node) => DaemonPlacement {
  const spec = { ...templateSpec, tolerations: daemonPodTolerations(templateSpec) };
  return (node) => {
    const nodeName = node.metadata.name ?? '';
    if (templateSpec.nodeName && templateSpec.nodeName !== nodeName) return { shouldRun: false, shouldContinueRunning: false };
    if (!matchesNodeAffinity(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
    const taints = node.spec?.taints ?? [];
    let untolerated = false;
    let noExecute = false;
    for (const t of taints) {
      if ((t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(spec.tolerations, t)) {
        untolerated = true;
        if (t.effect === 'NoExecute') noExecute = true;
      }
    }
    if (untolerated) return { shouldRun: false, shouldContinueRunning: !noExecute };
    return { shouldRun: true, shouldContinueRunning: true };
  };
}

/** The node a DaemonSet pod is bound or meant for (util.GetTargetNodeName). */
export function targetNodeName(pod: { spec?: Pick<PodSpec, 'nodeName' | 'affinity'> }): string | undefined {
  const spec = pod.spec;
  if (spec?.nodeName) return String(spec.nodeName);
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) {
      const values = f.values ?? [];
      if (f.key === 'metadata.name' && f.operator === 'In' && values.length === 1) return values[0];
    }
  }
  return undefined;
}

/** The pod's affinity with the required node affinity replaced by "this node" (ReplaceDaemonSetPodNodeNameNodeAffinity). */
export function affinityForNode(affinity: Affinity | undefined, nodeName: string): Affinity {
  const nodeAffinity = {
    ...affinity?.nodeAffinity,
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] },
  };
  return { ...affinity, nodeAffinity };
}

/** A pod runs the current template: its hash label, else its template generation. */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  if (labels[CONTROLLER_REVISION_HASH] !== undefined) return labels[CONTROLLER_REVISION_HASH] === hash;
  return generation !== undefined && labels[POD_TEMPLATE_GENERATION] === String(generation);
}

/** Oldest first; among equal ages, running before pending (podByCreationTimestampAndPhase). */
function byAgeAndPhase(a: Pod, b: Pod): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const ra = podPhase(a) === 'Running' ? 0 : 1;
  const rb = podPhase(b) === 'Running' ? 0 : 1;
  if (ra !== rb) return ra - rb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

export interface DaemonSetCounts {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  numberAvailable: number;
  numberUnavailable: number;
  updatedNumberScheduled: number;
}

/** Pure: DaemonSetStatus counts over the nodes and the pods meant for each. */
export function daemonSetCounts(placements: Map<string, DaemonPlacement>, podsByNode: Map<string, Pod[]>, hash: string, generation: number | undefined, minReadyRealMs: number, nowMs: number): DaemonSetCounts {
  const c: DaemonSetCounts = { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, numberAvailable: 0, numberUnavailable: 0, updatedNumberScheduled: 0 };
  for (const [node, { shouldRun }] of placements) {
    const pods = podsByNode.get(node) ?? [];
    if (!shouldRun) {
      if (pods.length) c.numberMisscheduled++;
      continue;
    }
    c.desiredNumberScheduled++;
    if (!pods.length) continue;
    c.currentNumberScheduled++;
    const pod = pods.length === 1 ? pods[0] : [...pods].sort(byAgeAndPhase)[0];
    if (isPodReady(pod)) {
      c.numberReady++;
      if (isPodAvailable(pod, minReadyRealMs, nowMs)) c.numberAvailable++;
    }
    if (isPodUpdated(pod, hash, generation)) c.updatedNumberScheduled++;
  }
  c.numberUnavailable = c.desiredNumberScheduled - c.numberAvailable;
  return c;
}

/**
 * The rolling update step with maxSurge 0: old pods that are unavailable may always go; available
 * old pods go while fewer than maxUnavailable nodes are unavailable. Returns pods to delete.
 */
export function rollingUpdateDeletions(podsByNode: Map<string, Pod[]>, hash: string, generation: number | undefined, maxUnavailable: number, minReadyRealMs: number, nowMs: number): Pod[] {
  let unavailable = 0;
  const replace: Pod[] = [];
  const candidates: Pod[] = [];
  for (const node of [...podsByNode.keys()].sort()) {
    const pods = (podsByNode.get(node) ?? []).filter((p) => !isPodTerminating(p));
    const updated = pods.filter((p) => isPodUpdated(p, hash, generation));
    const old = pods.filter((p) => !isPodUpdated(p, hash, generation));
    if (updated.length > 1 || old.length > 1 || (updated.length === 0) === (old.length === 0)) {
      unavailable++; // the manage step sorts this node out
      continue;
    }
    if (updated.length) {
      if (!isPodAvailable(updated[0], minReadyRealMs, nowMs)) unavailable++;
      continue;
    }
    if (!isPodAvailable(old[0], minReadyRealMs, nowMs)) replace.push(old[0]);
    else if (unavailable < maxUnavailable) candidates.push(old[0]);
  }
  const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
  return [...replace, ...candidates.slice(0, room)];
}

/** Pods of a set by the node they are bound or meant for (terminating ones included). */
function groupByNode(pods: Pod[]): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const p of pods) {
    const node = targetNodeName(p);
    if (!node) continue;
    let list = out.get(node);
    if (!list) out.set(node, (list = []));
    list.push(p);
  }
  return out;
}

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  private readonly queue: WorkQueue;
  private readonly expectations: Expectations;
  /** Pods per set at its last sync: big sets coalesce pod events (see ReplicaSetController). */
  private readonly sizes = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue((k) => this.sync(k), (k, e) => ctx.log(`daemonset-controller: ${k}: ${String(e)}`), 4);
    this.expectations = new Expectations(() => Math.max(ctx.clock.real(5 * 60_000), 5_000));
  }

  start(): void {
    this.enqueueAll();
  }

  stop(): void {
    this.queue.stop();
  }

  private enqueueAll(): void {
    for (const ds of this.ctx.cache.list(DAEMON_SETS)) this.queue.add(objectKey(ds));
  }

  private podChanged(key: string): void {
    const n = this.sizes.get(key) ?? 0;
    if (n < 200) this.queue.add(key);
    else this.queue.addAfter(key, Math.min(500, n / 20));
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === DAEMON_SETS) {
      const key = objectKey(e.object);
      if (e.type === 'DELETED') {
        this.expectations.forget(key);
        this.sizes.delete(key);
      } else if (e.type === 'MODIFIED' && e.prev && statusOnlyChange(e.prev, e.object)) this.podChanged(key);
      else this.queue.add(key);
    } else if (isEventOf(e, NODES)) {
      // Only what decides placement matters, not heartbeats.
      const placement = (n: Node | undefined) => canonicalJSON([n?.metadata.labels, n?.spec?.taints, n?.spec?.unschedulable]);
      if (e.type !== 'MODIFIED' || placement(e.prev) !== placement(e.object)) this.enqueueAll();
    } else if (e.resource === PODS) {
      observePodReadiness(e, this.ctx.clock.now());
      const ref = controllerOf(e.object);
      if (ref?.kind !== 'DaemonSet') return;
      const key = `${e.namespace}/${ref.name}`;
      if (e.type === 'ADDED') this.expectations.creationObserved(key);
      else if (e.type === 'DELETED' || (e.object.metadata.deletionTimestamp && !e.prev?.metadata.deletionTimestamp)) this.expectations.deletionObserved(key, e.object.metadata.uid ?? '');
      this.podChanged(key);
    }
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const ds = this.ctx.cache.get(DAEMON_SETS, ns, name);
    if (!ds) {
      this.expectations.forget(key);
      return;
    }
    if (ds.metadata.deletionTimestamp) return;
    const spec = ds.spec;
    const templateSpec = spec?.template?.spec ?? {};
    let pods = this.ctx.cache.controlledBy(ds.metadata.uid ?? '', PODS);
    let hash: string;
    try {
      hash = await this.syncRevisions(ds, pods);
    } catch (e) {
      if (isRace(e)) return this.queue.addAfter(key, 20);
      throw e;
    }
    const generation = ds.metadata.generation;
    const place = daemonPlacer(templateSpec);
    const placements = new Map<string, DaemonPlacement>();
    for (const node of this.ctx.cache.list(NODES)) placements.set(node.metadata.name ?? '', place(node));
    const minReadyRealMs = this.ctx.clock.real(int(spec?.minReadySeconds, 0) * 1000);
    let podsByNode = groupByNode(pods);

    if (this.expectations.satisfied(key)) {
      const toCreate: string[] = [];
      const toDelete: Pod[] = [];
      for (const [nodeName, { shouldRun, shouldContinueRunning }] of placements) {
        const here = podsByNode.get(nodeName) ?? [];
        if (shouldRun && here.length === 0) toCreate.push(nodeName);
        else if (shouldContinueRunning) {
          const running: Pod[] = [];
          for (const p of here) {
            if (isPodTerminating(p)) continue;
            const phase = podPhase(p);
            if (phase === 'Failed') {
              await this.ctx.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${ns}/${p.metadata.name} on node ${nodeName}, will try to kill it`, 'daemonset-controller');
              toDelete.push(p);
            } else if (phase === 'Succeeded') toDelete.push(p);
            else running.push(p);
          }
          // One pod per node: the oldest stays.
          if (running.length > 1) toDelete.push(...running.sort(byAgeAndPhase).slice(1));
        } else {
          toDelete.push(...here.filter((p) => !isPodTerminating(p)));
        }
      }
      // Pods meant for nodes that no longer exist.
      for (const [nodeName, here] of podsByNode) if (!placements.has(nodeName)) toDelete.push(...here.filter((p) => !isPodTerminating(p)));

      // The rolling update takes down old pods; the next sync recreates them from the new template.
      const strategy = spec?.updateStrategy ?? {};
      if ((strategy.type ?? 'RollingUpdate') === 'RollingUpdate') {
        const eligible = new Map([...podsByNode].filter(([n]) => placements.has(n)));
        let desired = 0;
        for (const p of placements.values()) if (p.shouldRun) desired++;
        const ru = strategy.rollingUpdate ?? {};
        // maxSurge is not simulated: with both at 0 (or a surge only) one pod at a time is replaced.
        const maxUnavailable = Math.max(1, scaledValue(ru.maxUnavailable ?? 1, desired, true));
        const chosen = new Set(toDelete.map((p) => p.metadata.uid));
        for (const p of rollingUpdateDeletions(eligible, hash, generation, maxUnavailable, minReadyRealMs, this.ctx.clock.now())) if (!chosen.has(p.metadata.uid)) toDelete.push(p);
      }
      if (toCreate.length || toDelete.length) {
        await this.syncNodes(ds, key, toCreate.slice(0, BURST), toDelete.slice(0, BURST), hash);
        // More than one burst to go: carry on at once rather than after the coalescing delay.
        if (toCreate.length > BURST || toDelete.length > BURST) this.queue.add(key);
        pods = this.ctx.cache.controlledBy(ds.metadata.uid ?? '', PODS);
        podsByNode = groupByNode(pods);
      }
    }
    this.sizes.set(key, pods.length);
    await this.updateStatus(ds, key, hash, placements, podsByNode, minReadyRealMs);
  }

  private async syncNodes(ds: DaemonSet, key: string, create: string[], remove: Pod[], hash: string): Promise<void> {
    const ns = ds.metadata.namespace ?? '';
    const template: PodTemplateSpec = structuredClone(ds.spec?.template ?? {});
    const tmeta = template.metadata ?? {};
    template.metadata = { ...tmeta, labels: { ...(tmeta.labels ?? {}), [POD_TEMPLATE_GENERATION]: String(ds.metadata.generation ?? 1), [CONTROLLER_REVISION_HASH]: hash } };
    const tspec = template.spec ?? { containers: [] };
    template.spec = { ...tspec, tolerations: daemonPodTolerations(tspec) };

    this.expectations.expectCreations(key, create.length);
    this.expectations.expectDeletions(key, remove.map((p) => p.metadata.uid ?? ''));
    const { successes, error } = await slowStartBatch(create.length, 1, async (i) => {
      const pod = podFromTemplate(template, ds, { generateName: `${ds.metadata.name}-` });
      if (pod.spec) pod.spec.affinity = affinityForNode(pod.spec.affinity, create[i]);
      const created = await this.ctx.create(PODS, ns, pod);
      await this.ctx.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, 'daemonset-controller');
    });
    if (successes < create.length) this.expectations.creationObserved(key, create.length - successes);
    await deleteControlledPods(this.ctx, ds, remove, this.expectations, key, 'daemonset-controller');
    if (error !== undefined) {
      const message = error instanceof StatusError ? error.message : String(error);
      await this.ctx.event(ds, 'Warning', 'FailedCreate', `Error creating: ${message}`, 'daemonset-controller');
      if (!isRace(error)) throw error;
    }
  }

  /**
   * The ControllerRevision of the current template (created, or its revision bumped on a
   * rollback), old ones trimmed to revisionHistoryLimit. Returns the template hash.
   */
  private async syncRevisions(ds: DaemonSet, pods: Pod[]): Promise<string> {
    const ns = ds.metadata.namespace ?? '';
    const status: Partial<DaemonSetStatus> = ds.status ?? {};
    const template = ds.spec?.template ?? {};
    const data = revisionData(template);
    const revisions = this.ctx.cache.controlledBy(ds.metadata.uid ?? '', CONTROLLER_REVISIONS);
    const maxRevision = Math.max(0, ...revisions.map((r) => int(r.revision, 0)));
    const dataJSON = canonicalJSON(data);
    let current = revisions.find((r) => canonicalJSON(r.data) === dataJSON);
    if (current) {
      if (int(current.revision, 0) < maxRevision) {
        current = await this.ctx.update(CONTROLLER_REVISIONS, ns, current.metadata.name ?? '', { ...current, revision: maxRevision + 1 });
      }
    } else {
      const collisionCount = status.collisionCount;
      const hash = computeHash(template, collisionCount);
      const cr: ControllerRevision = {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name: `${ds.metadata.name}-${hash}`,
          namespace: ns,
          labels: { ...(template.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH]: hash },
          ...(ds.metadata.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
          ownerReferences: [ownerReference(ds)],
        },
        data,
        revision: maxRevision + 1,
      };
      current = await createRevision(this.ctx, ds, cr, () =>
        this.ctx.update(DAEMON_SETS, ns, ds.metadata.name ?? '', { ...ds, status: withZeroCounts({ ...status, collisionCount: (collisionCount ?? 0) + 1 }) }, 'status'),
      );
    }
    const hash = current.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? computeHash(template);
    await this.cleanupRevisions(ds, current, revisions, pods);
    return hash;
  }

  private async cleanupRevisions(ds: DaemonSet, current: ControllerRevision, revisions: ControllerRevision[], pods: Pod[]): Promise<void> {
    const limit = int(ds.spec?.revisionHistoryLimit, 10);
    if (revisions.length <= limit + 1) return;
    const live = new Set(pods.map((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH]));
    const old = revisions
      .filter((r) => r.metadata.uid !== current.metadata.uid && !live.has(r.metadata.labels?.[CONTROLLER_REVISION_HASH]))
      .sort((a, b) => int(a.revision, 0) - int(b.revision, 0));
    await deleteRevisions(this.ctx, old.slice(0, Math.max(0, old.length - limit)));
  }

  private async updateStatus(ds: DaemonSet, key: string, hash: string, placements: Map<string, DaemonPlacement>, podsByNode: Map<string, Pod[]>, minReadyRealMs: number): Promise<void> {
    const current = this.ctx.cache.get(DAEMON_SETS, ds.metadata.namespace ?? '', ds.metadata.name ?? '') ?? ds;
    const now = this.ctx.clock.now();
    const counts = daemonSetCounts(placements, podsByNode, hash, current.metadata.generation, minReadyRealMs, now);
    const old: Partial<DaemonSetStatus> = current.status ?? {};
    const status: DaemonSetStatus = omitZero({ ...old, ...counts, observedGeneration: current.metadata.generation }, ['observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount']);
    if (!(await writeStatusIfChanged(this.ctx, DAEMON_SETS, current, status))) return this.queue.addAfter(key, 20);
    if (minReadyRealMs > 0) {
      const wait = msUntilAvailable([...podsByNode.values()].flat(), minReadyRealMs, now);
      if (wait !== undefined) this.queue.addAfter(key, wait + 5);
    }
  }
}
