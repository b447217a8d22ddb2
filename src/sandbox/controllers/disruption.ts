// The disruption controller (kube-controller-manager's pkg/controller/disruption): keeps every
// PodDisruptionBudget's status current — expectedPods, currentHealthy, desiredHealthy,
// disruptionsAllowed, the disruptedPods the eviction subresource recorded, observedGeneration and
// the DisruptionAllowed condition — which is what the eviction subresource reads to allow or
// refuse an eviction.
import { type LabelSelector, type Selector, labelSelectorFromObject } from '../../api/labels.js';
import { controllerOf, isPodReady } from '../../api/pods.js';
import type { Condition, KubeObject, OwnerReference, Pod, PodDisruptionBudget } from '../../api/types.js';
import { isoTime } from '../clock.js';
import { resourceKey } from '../server/resources.js';
import type { StoreEvent } from '../store/store.js';
import { storeKey } from '../store/store.js';
import { type Controller, type ControllerContext, type ObjectRef, isRace } from './context.js';
import { DEPLOYMENTS, PODS, POD_DISRUPTION_BUDGETS, REPLICATION_CONTROLLERS, REPLICA_SETS, STATEFUL_SETS, isEventOf } from './kinds.js';
import { WorkQueue } from './queue.js';
import { canonicalJSON, scaledValue } from './workloads.js';

type PdbStatus = NonNullable<PodDisruptionBudget['status']>;
/** kube's DeletionTimeout: how long an eviction's disruptedPods entry waits for the pod to go. */
export const DELETION_TIMEOUT_SECONDS = 120;
/** Events are recorded by kube-controller-manager under this source component. */
const COMPONENT = 'controllermanager';

/**
 * What the controller finders resolved for one pod's controllerRef: the controller that counts
 * (a Deployment for a pod of its ReplicaSet) and its spec.replicas, or why the lookup failed.
 */
export type ControllerScale = { uid: string; scale: number } | { error: string };

export interface PdbEvent {
  object: ObjectRef;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface PdbComputation {
  /** The status the PDB should have. */
  status: PdbStatus;
  /** False when the stored status is already this one (kube then skips the write). */
  changed: boolean;
  /** When (ms since the epoch) the earliest disruptedPods entry times out: sync again then. */
  recheckAt?: number;
  events: PdbEvent[];
}

/** True when the PDB's expected pod count comes from the pods' controllers' scale. */
export function needsControllerScale(pdb: PodDisruptionBudget): boolean {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) return true;
  return spec.minAvailable !== undefined && spec.minAvailable !== null && typeof spec.minAvailable !== 'number';
}

/**
 * getExpectedScale: the sum of the scale of every controller of the pods. Pods without a
 * controllerRef are "unmanaged" (counted nowhere, reported in an event); a controllerRef no
 * finder resolves is an error naming the first such pod.
 */
function expectedScale(pods: Pod[], scales: ReadonlyMap<string, ControllerScale>): { expected: number; unmanaged: string[] } {
  const counted = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) {
      unmanaged.push(pod.metadata.name ?? '');
      continue;
    }
    const found = scales.get(ref.uid);
    if (!found) throw new Error(`found no controllers for pod ${JSON.stringify(pod.metadata.name ?? '')}`);
    if ('error' in found) throw new Error(found.error);
    counted.set(found.uid, found.scale);
  }
  let expected = 0;
  for (const n of counted.values()) expected += n;
  return { expected, unmanaged };
}

/** apimeta.SetStatusCondition: lastTransitionTime moves only when the status changes. */
function setCondition(conditions: Condition[], want: Omit<Condition, 'lastTransitionTime'>, now: string): Condition[] {
  const i = conditions.findIndex((c) => c.type === want.type);
  const make = (c: Omit<Condition, 'lastTransitionTime'>, lastTransitionTime: string): Condition => {
    const out: Condition = { type: c.type, status: c.status, lastTransitionTime, reason: c.reason, message: c.message };
    // observedGeneration is omitempty in metav1.Condition.
    if (c.observedGeneration) out.observedGeneration = c.observedGeneration;
    return out;
  };
  if (i < 0) return [...conditions, make(want, now)];
  const old = conditions[i];
  const next = make(want, old.status === want.status && old.lastTransitionTime ? old.lastTransitionTime : now);
  return conditions.map((c, j) => (j === i ? next : c));
}

/** pdbhelper.ConditionsAreUpToDate. */
function conditionsUpToDate(pdb: PodDisruptionBudget): boolean {
  const status: Partial<PdbStatus> = pdb.status ?? {};
  const cond = (status.conditions ?? []).find((c) => c.type === 'DisruptionAllowed');
  if (!cond) return false;
  if (Number(status.observedGeneration ?? 0) !== Number(pdb.metadata.generation ?? 0)) return false;
  if (Number(status.disruptionsAllowed ?? 0) > 0) return cond.status === 'True' && cond.reason === 'SufficientPods';
  return cond.status === 'False' && cond.reason === 'InsufficientPods';
}

function sameDisruptedPods(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  // Semantic equality: a missing map equals an empty one.
  const x = a ?? {};
  const keys = Object.keys(x);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === x[k]);
}

/**
 * The status with Go's zero values for the counts PodDisruptionBudgetStatus always serializes
 * (admission starts every PDB with them; this keeps a status that lost them well-formed).
 */
function withZeroCounts(s: Partial<PdbStatus>): PdbStatus {
  return { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0, ...s };
}

/**
 * kube's failSafe: when the status cannot be computed, at least make sure no eviction is
 * allowed: disruptionsAllowed 0 and DisruptionAllowed=False (SyncFailed) with the error,
 * everything else (including observedGeneration) left as it was.
 */
export function failSafeStatus(pdb: PodDisruptionBudget, message: string, now: number): PdbStatus {
  const prev: Partial<PdbStatus> = pdb.status ?? {};
  const conditions = setCondition(
    prev.conditions ?? [],
    { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message, observedGeneration: Number(prev.observedGeneration ?? 0) },
    isoTime(now),
  );
  return withZeroCounts({ ...prev, disruptionsAllowed: 0, conditions });
}

/** metav1.LabelSelector's Go String() form, which kube prints into the UnmanagedPods event. */
export function goLabelSelector(sel: LabelSelector | null | undefined): string {
  if (!sel) return '<nil>';
  const labels = Object.keys(sel.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${(sel.matchLabels ?? {})[k]},`)
    .join('');
  const exprs = (sel.matchExpressions ?? []).map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`).join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

/**
 * The disruption controller's computation for one PDB, as a pure function.
 * pods: the pods its selector matches; controllerScales: what the controller finders resolved,
 * keyed by the pods' controllerRef uid (only needed for maxUnavailable or a percentage
 * minAvailable); now: ms since the epoch; deletionTimeoutMs: kube's 2-minute DeletionTimeout in
 * the clock's (scaled) milliseconds.
 */
export function computePdbStatus(
  pdb: PodDisruptionBudget,
  pods: Pod[],
  controllerScales: ReadonlyMap<string, ControllerScale>,
  now: number,
  deletionTimeoutMs: number = DELETION_TIMEOUT_SECONDS * 1000,
): PdbComputation {
  const spec = pdb.spec ?? {};
  const prev: Partial<PdbStatus> = pdb.status ?? {};
  const events: PdbEvent[] = [];
  const sorted = [...pods].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  if (sorted.length === 0) events.push({ object: pdb, type: 'Normal', reason: 'NoPods', message: 'No matching pods found' });

  let expected = 0;
  let desired = 0;
  let unmanaged: string[] = [];
  try {
    if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
      ({ expected, unmanaged } = expectedScale(sorted, controllerScales));
      desired = Math.max(0, expected - scaledValue(spec.maxUnavailable, expected, true));
    } else if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
      if (typeof spec.minAvailable === 'number') {
        // An integer minAvailable counts the matching pods themselves: bare pods are fine.
        desired = spec.minAvailable;
        expected = sorted.length;
      } else {
        ({ expected, unmanaged } = expectedScale(sorted, controllerScales));
        desired = scaledValue(spec.minAvailable, expected, true);
      }
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    events.push({ object: pdb, type: 'Warning', reason: 'CalculateExpectedPodCountFailed', message: `Failed to calculate the number of expected pods: ${message}` });
    const status = failSafeStatus(pdb, message, now);
    return { status, changed: canonicalJSON(status) !== canonicalJSON(prev), events };
  }
  if (unmanaged.length > 0) {
    events.push({
      object: pdb,
      type: 'Warning',
      reason: 'UnmanagedPods',
      message:
        `Pods selected by this PodDisruptionBudget (selector: ${goLabelSelector(spec.selector)}) were found ` +
        'to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. ' +
        'To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.',
    });
  }

  // buildDisruptedPodMap: keep entries for pods that still exist, are not yet terminating and
  // whose eviction is younger than the deletion timeout.
  const recorded = prev.disruptedPods ?? {};
  const disruptedPods: Record<string, string> = {};
  let recheckAt: number | undefined;
  for (const pod of sorted) {
    const name = pod.metadata.name ?? '';
    if (pod.metadata.deletionTimestamp) continue;
    const at = recorded[name];
    if (at === undefined) continue;
    const expectedDeletion = Date.parse(at) + deletionTimeoutMs;
    if (expectedDeletion < now) {
      // kube prints the PDB's namespace twice here (sic).
      const ns = pdb.metadata.namespace ?? '';
      events.push({ object: pod, type: 'Warning', reason: 'NotDeleted', message: `Pod was expected by PDB ${ns}/${ns} to be deleted but it wasn't` });
    } else {
      disruptedPods[name] = at;
      if (recheckAt === undefined || expectedDeletion < recheckAt) recheckAt = expectedDeletion;
    }
  }

  // countHealthyPods: Ready, not terminating, and not just evicted.
  let healthy = 0;
  for (const pod of sorted) {
    if (pod.metadata.deletionTimestamp) continue;
    const at = disruptedPods[pod.metadata.name ?? ''];
    if (at !== undefined && Date.parse(at) + deletionTimeoutMs > now) continue;
    if (isPodReady(pod)) healthy++;
  }

  // expectedPods must be > 0 so a PDB that matched nothing is safe when its first pods appear.
  let allowed = healthy - desired;
  if (expected <= 0 || allowed <= 0) allowed = 0;
  const generation = Number(pdb.metadata.generation ?? 0);

  const upToDate =
    prev.currentHealthy === healthy &&
    prev.desiredHealthy === desired &&
    prev.expectedPods === expected &&
    prev.disruptionsAllowed === allowed &&
    sameDisruptedPods(prev.disruptedPods, disruptedPods) &&
    Number(prev.observedGeneration ?? 0) === generation &&
    conditionsUpToDate(pdb);
  if (upToDate) return { status: withZeroCounts(prev), changed: false, recheckAt, events };

  const status: Partial<PdbStatus> = {};
  if (generation) status.observedGeneration = generation;
  if (Object.keys(disruptedPods).length) status.disruptedPods = disruptedPods;
  status.disruptionsAllowed = allowed;
  status.currentHealthy = healthy;
  status.desiredHealthy = desired;
  status.expectedPods = expected;
  status.conditions = setCondition(
    prev.conditions ?? [],
    allowed > 0
      ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: generation }
      : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: generation },
    isoTime(now),
  );
  return { status: withZeroCounts(status), changed: true, recheckAt, events };
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/** spec.replicas of a workload of any kind (one serving /scale may be a custom resource). */
function replicas(o: KubeObject, dflt: number): number {
  const spec = o.spec;
  return typeof spec === 'object' && spec !== null && 'replicas' in spec && typeof spec.replicas === 'number' ? spec.replicas : dflt;
}

function eventSignature(e: PdbEvent): string {
  return `${e.object.metadata.uid ?? ''}|${e.type}|${e.reason}|${e.message}`;
}

const SCALED_WORKLOADS = new Set<string>([DEPLOYMENTS, REPLICA_SETS, STATEFUL_SETS, REPLICATION_CONTROLLERS]);

export class DisruptionController implements Controller {
  readonly name = 'disruption';
  private readonly queue: WorkQueue;
  /** Per PDB, the events its last sync recorded: kube's recorder folds repeats into one event. */
  private readonly recorded = new Map<string, Set<string>>();
  private readonly multipleWarned = new Set<string>();
  private readonly selectors = new WeakMap<PodDisruptionBudget, Selector | Error>();

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue((k) => this.sync(k), (k, e) => ctx.log(`disruption: ${k}: ${String(e)}`), 8);
  }

  start(): void {
    for (const pdb of this.ctx.cache.list(POD_DISRUPTION_BUDGETS)) this.queue.add(storeKey(pdb.metadata.namespace ?? '', pdb.metadata.name ?? ''));
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === POD_DISRUPTION_BUDGETS) {
      const key = storeKey(e.namespace, e.object.metadata.name ?? '');
      if (e.type === 'DELETED') this.recorded.delete(key);
      else this.queue.add(key);
      return;
    }
    if (isEventOf(e, PODS)) {
      const budgets = this.budgetsFor(e.object);
      for (const pdb of budgets) this.enqueue(pdb);
      // A pod whose labels changed also leaves the budgets it matched before.
      if (e.prev && e.prev.metadata.labels !== e.object.metadata.labels && JSON.stringify(e.prev.metadata.labels) !== JSON.stringify(e.object.metadata.labels)) {
        for (const pdb of this.budgetsFor(e.prev)) this.enqueue(pdb);
      }
      if (e.type === 'ADDED' && budgets.length > 1) this.warnMultiple(e.object, budgets);
      if (e.type === 'DELETED') this.multipleWarned.delete(e.object.metadata.uid ?? '');
      return;
    }
    if (SCALED_WORKLOADS.has(e.resource) && e.type === 'MODIFIED' && replicas(e.object, 1) !== replicas(e.prev ?? e.object, 1)) {
      // A scale change moves expectedPods of budgets counted by controller scale.
      for (const pdb of this.ctx.cache.list(POD_DISRUPTION_BUDGETS, e.namespace)) if (needsControllerScale(pdb)) this.enqueue(pdb);
    }
  }

  private enqueue(pdb: PodDisruptionBudget): void {
    this.queue.add(storeKey(pdb.metadata.namespace ?? '', pdb.metadata.name ?? ''));
  }

  private selector(pdb: PodDisruptionBudget): Selector | Error {
    let s = this.selectors.get(pdb);
    if (!s) {
      try {
        s = labelSelectorFromObject(pdb.spec?.selector);
      } catch (e) {
        s = e instanceof Error ? e : new Error(String(e));
      }
      this.selectors.set(pdb, s);
    }
    return s;
  }

  private budgetsFor(pod: Pod): PodDisruptionBudget[] {
    const labels = pod.metadata.labels ?? {};
    return this.ctx.cache.list(POD_DISRUPTION_BUDGETS, pod.metadata.namespace ?? '').filter((pdb) => {
      const s = this.selector(pdb);
      return !(s instanceof Error) && s.matches(labels);
    });
  }

  private warnMultiple(pod: Pod, budgets: PodDisruptionBudget[]): void {
    const uid = pod.metadata.uid ?? '';
    if (this.multipleWarned.has(uid)) return;
    this.multipleWarned.add(uid);
    const chosen = [...budgets].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))[0];
    const ns = pod.metadata.namespace ?? '';
    void this.ctx.event(pod, 'Warning', 'MultiplePodDisruptionBudgets', `Pod "${ns}"/"${pod.metadata.name ?? ''}" matches multiple PodDisruptionBudgets.  Chose "${chosen.metadata.name ?? ''}" arbitrarily.`, COMPONENT);
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const pdb = this.ctx.cache.get(POD_DISRUPTION_BUDGETS, ns, name);
    if (!pdb) {
      this.recorded.delete(key);
      return;
    }
    const now = this.ctx.clock.now();
    let result: PdbComputation;
    const selector = this.selector(pdb);
    if (selector instanceof Error) {
      const status = failSafeStatus(pdb, selector.message, now);
      result = {
        status,
        changed: canonicalJSON(status) !== canonicalJSON(pdb.status ?? {}),
        events: [{ object: pdb, type: 'Warning', reason: 'NoPods', message: `Failed to get pods: ${selector.message}` }],
      };
    } else {
      const pods = this.ctx.cache.list(PODS, ns).filter((p) => selector.matches(p.metadata.labels ?? {}));
      const scales = needsControllerScale(pdb) ? await this.controllerScales(pods, ns) : new Map<string, ControllerScale>();
      result = computePdbStatus(pdb, pods, scales, now, this.ctx.clock.real(DELETION_TIMEOUT_SECONDS * 1000));
    }
    this.record(key, result.events);
    if (result.changed) {
      try {
        await this.ctx.update(POD_DISRUPTION_BUDGETS, ns, name, { ...pdb, status: result.status }, 'status');
      } catch (e) {
        // A stale read (e.g. an eviction just charged the budget): recompute from the new state.
        if (isRace(e)) return this.queue.addAfter(key, 20);
        throw e;
      }
    }
    if (result.recheckAt !== undefined) this.queue.addAfter(key, Math.max(1, result.recheckAt - this.ctx.clock.now() + 5));
  }

  private record(key: string, events: PdbEvent[]): void {
    const before = this.recorded.get(key) ?? new Set<string>();
    const now = new Set<string>();
    for (const e of events) {
      const sig = eventSignature(e);
      now.add(sig);
      if (!before.has(sig)) void this.ctx.event(e.object, e.type, e.reason, e.message, COMPONENT);
    }
    this.recorded.set(key, now);
  }

  /** The controller finders, for every distinct controllerRef among the pods. */
  private async controllerScales(pods: Pod[], namespace: string): Promise<Map<string, ControllerScale>> {
    const out = new Map<string, ControllerScale>();
    for (const pod of pods) {
      const ref = controllerOf(pod);
      if (!ref || out.has(ref.uid)) continue;
      const found = await this.findController(ref, namespace);
      if (found) out.set(ref.uid, found);
    }
    return out;
  }

  private async findController(ref: OwnerReference, ns: string): Promise<ControllerScale | undefined> {
    const cache = this.ctx.cache;
    const group = groupOf(ref.apiVersion);
    const appsGroup = group === 'apps' || group === 'extensions';
    // kube's finders in order: ReplicationController, Deployment (through its ReplicaSet),
    // ReplicaSet not controlled by a Deployment, StatefulSet, then anything with /scale.
    if (ref.kind === 'ReplicationController' && group === '') {
      const rc = cache.get(REPLICATION_CONTROLLERS, ns, ref.name);
      if (rc && rc.metadata.uid === ref.uid) return { uid: ref.uid, scale: replicas(rc, 1) };
    }
    if (ref.kind === 'ReplicaSet' && appsGroup) {
      const rs = cache.get(REPLICA_SETS, ns, ref.name);
      if (rs && rs.metadata.uid === ref.uid) {
        const owner = controllerOf(rs);
        if (owner?.kind === 'Deployment') {
          const g = groupOf(owner.apiVersion);
          const d = g === 'apps' || g === 'extensions' ? cache.get(DEPLOYMENTS, ns, owner.name) : undefined;
          if (d && d.metadata.uid === owner.uid) return { uid: owner.uid, scale: replicas(d, 1) };
        } else {
          return { uid: ref.uid, scale: replicas(rs, 1) };
        }
      }
    }
    if (ref.kind === 'StatefulSet' && group === 'apps') {
      const ss = cache.get(STATEFUL_SETS, ns, ref.name);
      if (ss && ss.metadata.uid === ref.uid) return { uid: ref.uid, scale: replicas(ss, 1) };
    }
    // The scale finder: any kind the server knows that serves the scale subresource.
    const t = this.ctx.registry.typeForKind(ref.apiVersion, ref.kind);
    if (!t) return { error: `no matches for kind ${JSON.stringify(ref.kind)} in version ${JSON.stringify(ref.apiVersion)}` };
    if (!t.subresources.some((s) => s.name === 'scale')) {
      return { error: `${t.group ? `${t.resource}.${t.group}` : t.resource} does not implement the scale subresource` };
    }
    const key = resourceKey(t);
    const owner = cache.get(key, t.namespaced ? ns : '', ref.name) ?? (await this.ctx.registry.store.get(key, t.namespaced ? ns : '', ref.name));
    if (!owner || owner.metadata.uid !== ref.uid) return undefined;
    return { uid: ref.uid, scale: replicas(owner, 0) };
  }
}
