// The impact of a drain, worked out before anything is touched: each pod's fate through kubectl's
// filter chain, what availability each workload keeps, which PodDisruptionBudgets make the drain
// wait (and by how much), which pods sit under overlapping budgets (their eviction answers 500)
// and the longest grace period. A pure function over cluster objects, shared by
// `upkeep drain --dry-run` and upgrade preflight; renderImpact prints it for humans.
import { type LabelSelector, type Selector, labelSelectorFromObject, labelSelectorToString, parseLabelSelector } from '../api/labels.js';
import type { KubeObject } from '../api/types.js';
import {
  DAEMONSET_FATAL,
  controllerOf,
  daemonSetNotFound,
  filterPod,
  filterPods,
  hasLocalStorage,
  isFinished,
  podKey,
  podPhase,
} from './filters.js';
import type {
  BudgetImpact,
  BudgetOverlap,
  DaemonSetLookup,
  DrainImpact,
  DrainOptions,
  DrainVerdict,
  FateCounts,
  NodeImpact,
  ObjectRef,
  PodDelete,
  PodFate,
  PodImpact,
  WorkloadImpact,
  WorkloadVerdict,
} from './types.js';

type Obj = Record<string, unknown>;

export interface DrainImpactInput {
  /** The Nodes to drain. */
  nodes: KubeObject[];
  /** Pods: at least those on the nodes and every pod of their workloads (for ready counts). */
  pods: KubeObject[];
  /** PodDisruptionBudgets in the pods' namespaces. */
  pdbs: KubeObject[];
  /** ReplicaSets, Deployments, StatefulSets, DaemonSets, Jobs, ReplicationControllers. */
  workloads: KubeObject[];
  options: DrainOptions;
  /** ms since the epoch, for --skip-wait-for-delete-timeout; defaults to the current time. */
  now?: number;
  /** Overrides the DaemonSet existence check (by default: is it among `workloads`?). */
  daemonSetExists?: DaemonSetLookup;
}

/** kube's default terminationGracePeriodSeconds. */
const DEFAULT_GRACE_PERIOD_SECONDS = 30;
const FATES: PodFate[] = ['evict', 'delete', 'skip', 'blocked', 'lost'];

// ---------------------------------------------------------------------------------------------
// Small pod and object facts
// ---------------------------------------------------------------------------------------------

function isTerminating(pod: KubeObject): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

/** Serving: condition Ready=True and not terminating (endpoints drop terminating pods). */
function isReady(pod: KubeObject): boolean {
  if (isTerminating(pod)) return false;
  const conditions = ((pod.status as Obj | undefined)?.conditions as Obj[] | undefined) ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Healthy for a budget: Ready=True and not terminating (the disruption controller's count). */
const isHealthy = isReady;

function nodeNameOf(pod: KubeObject): string {
  const n = (pod.spec as Obj | undefined)?.nodeName;
  return typeof n === 'string' ? n : '';
}

function objKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function refString(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function spec(obj: KubeObject): Obj {
  return (obj.spec as Obj | undefined) ?? {};
}

function numberOr<T>(v: unknown, dflt: T): number | T {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

/** The desired replica count of a workload object, as its kind defines it. */
function desiredReplicas(obj: KubeObject | undefined, kind: string): number | null {
  if (kind === 'Pod') return 1;
  if (!obj) return null;
  switch (kind) {
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'ReplicationController':
      return numberOr(spec(obj).replicas, 1);
    case 'DaemonSet':
      return numberOr((obj.status as Obj | undefined)?.desiredNumberScheduled, null);
    case 'Job':
      return numberOr(spec(obj).parallelism, 1);
    default:
      return numberOr(spec(obj).replicas, null);
  }
}

/** intstr.GetScaledValueFromIntOrPercent with rounding up, as the disruption controller uses it. */
function scaled(value: unknown, total: number): number | undefined {
  if (typeof value === 'number') return Math.trunc(value);
  if (typeof value === 'string' && /^[+-]?\d+%$/.test(value)) return Math.ceil((Number(value.slice(0, -1)) * total) / 100);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The cluster, indexed
// ---------------------------------------------------------------------------------------------

interface Budget {
  obj: KubeObject;
  key: string;
  namespace: string;
  selector: Selector;
}

class Cluster {
  private readonly byKey = new Map<string, KubeObject>();
  readonly budgets: Budget[] = [];

  constructor(workloads: readonly KubeObject[], pdbs: readonly KubeObject[]) {
    for (const w of workloads) {
      if (w.kind) this.byKey.set(objKey(w.kind, w.metadata.namespace ?? '', w.metadata.name ?? ''), w);
    }
    for (const pdb of pdbs) {
      let selector: Selector;
      try {
        selector = labelSelectorFromObject(spec(pdb).selector as LabelSelector | null | undefined);
      } catch {
        // The eviction subresource skips a budget whose selector does not parse.
        continue;
      }
      this.budgets.push({ obj: pdb, key: podKey(pdb), namespace: pdb.metadata.namespace ?? '', selector });
    }
  }

  get(kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.byKey.get(objKey(kind, namespace, name));
  }

  /** The workload a pod counts for: its controller, through ReplicaSet to Deployment; a bare pod is its own. */
  workloadOf(pod: KubeObject): ObjectRef | null {
    const namespace = pod.metadata.namespace ?? '';
    const ref = controllerOf(pod);
    if (!ref) return isFinished(pod) ? null : { kind: 'Pod', namespace, name: pod.metadata.name ?? '' };
    // Mirror pods are owned by their Node: no workload to keep available.
    if (ref.kind === 'Node') return null;
    if (ref.kind === 'ReplicaSet') {
      const rs = this.get('ReplicaSet', namespace, ref.name);
      const parent = rs && controllerOf(rs);
      if (parent?.kind === 'Deployment') return { kind: 'Deployment', namespace, name: parent.name };
    }
    return { kind: ref.kind, namespace, name: ref.name };
  }

  budgetsFor(pod: KubeObject): Budget[] {
    const ns = pod.metadata.namespace ?? '';
    return this.budgets.filter((b) => b.namespace === ns && b.selector.matches(pod.metadata.labels));
  }
}

// ---------------------------------------------------------------------------------------------
// Pods
// ---------------------------------------------------------------------------------------------

/** The flag that clears a filter error, or null when no flag does (a failed DaemonSet GET). */
function flagFor(d: PodDelete): keyof DrainOptions | null {
  switch (d.decidedBy) {
    case 'daemonSet':
      if (d.message === DAEMONSET_FATAL) return 'ignoreDaemonSets';
      return d.message.endsWith(' not found') ? 'force' : null;
    case 'localStorage':
      return 'deleteEmptyDirData';
    case 'unreplicated':
      return 'force';
    default:
      return null;
  }
}

const FLAG_NAMES: Partial<Record<keyof DrainOptions, string>> = {
  force: '--force',
  ignoreDaemonSets: '--ignore-daemonsets',
  deleteEmptyDirData: '--delete-emptydir-data',
};

/** Reruns the chain adding, one at a time, the flags that clear each error: what it would take. */
function unblock(d: PodDelete, options: DrainOptions, dsExists: DaemonSetLookup, now: number): { result: PodDelete; needs: string[] } {
  const flags = { ...options };
  const needs: string[] = [];
  let result = d;
  while (result.status === 'Error') {
    const flag = flagFor(result);
    if (!flag || flags[flag] === true) break;
    (flags as Record<string, unknown>)[flag] = true;
    needs.push(FLAG_NAMES[flag] ?? flag);
    result = filterPod(d.pod, flags, dsExists, now);
  }
  return { result, needs };
}

interface PodAnalysis {
  impact: PodImpact;
  pod: KubeObject;
  /** The drain removes the pod, or would once the flags it needs are given. */
  removes: boolean;
  budgets: Budget[];
}

function isOrphanedDaemonSetPod(pod: KubeObject, dsExists: DaemonSetLookup): boolean {
  const ref = controllerOf(pod);
  return ref?.kind === 'DaemonSet' && dsExists(pod.metadata.namespace ?? '', ref.name) === false;
}

function lostBy(result: PodDelete, dsExists: DaemonSetLookup): 'pod' | 'emptyDir' | null {
  const pod = result.pod;
  if (!result.delete || isFinished(pod)) return null;
  if (!controllerOf(pod) || isOrphanedDaemonSetPod(pod, dsExists)) return 'pod';
  return hasLocalStorage(pod) ? 'emptyDir' : null;
}

function podReason(d: PodDelete, fate: PodFate, lost: 'pod' | 'emptyDir' | null, needs: string[], removes: boolean, controller: ObjectRef | null, options: DrainOptions): string {
  const pod = d.pod;
  const ref = controllerOf(pod);
  switch (fate) {
    case 'skip':
      if (d.decidedBy === 'skipDeleted') return `terminating for over ${options.skipWaitForDeleteTimeoutSeconds}s: not waited for (--skip-wait-for-delete-timeout)`;
      if (d.decidedBy === 'daemonSet') return 'DaemonSet-managed, ignored (--ignore-daemonsets): stays on the node';
      return 'mirror pod (a static pod run by the kubelet): left alone';
    case 'blocked': {
      let what: string;
      if (d.decidedBy === 'daemonSet' && d.message === DAEMONSET_FATAL) what = 'DaemonSet-managed';
      else if (d.decidedBy === 'daemonSet') what = `orphaned DaemonSet pod (${d.message})`;
      else if (d.decidedBy === 'localStorage') what = 'emptyDir volume';
      else what = 'bare pod (no controller)';
      if (needs.length === 0) return `${what}: cannot be drained`;
      const then = !removes ? 'it stays on the node' : lost === 'pod' ? 'it will be lost' : lost === 'emptyDir' ? 'its emptyDir data will be lost' : 'it will be evicted';
      return `${what}: needs ${needs.join(' ')}; ${then}`;
    }
    case 'lost':
      if (lost === 'emptyDir') return `emptyDir data deleted (--delete-emptydir-data); ${controller ? refString(controller) : 'its controller'} recreates the pod`;
      if (ref?.kind === 'DaemonSet') return `orphaned DaemonSet pod (${daemonSetNotFound(ref.name)}), deleted with --force: nothing recreates it`;
      return 'bare pod (no controller), deleted with --force: nothing recreates it';
    default: {
      if (isFinished(pod)) return `${podPhase(pod)}: finished, nothing runs`;
      const via = controller ? refString(controller) : 'controller';
      return fate === 'delete' ? `${via} (deleted: --disable-eviction bypasses budgets)` : via;
    }
  }
}

function analyzePod(d: PodDelete, node: string, cluster: Cluster, options: DrainOptions, dsExists: DaemonSetLookup, now: number): PodAnalysis {
  const pod = d.pod;
  const namespace = pod.metadata.namespace ?? '';
  const { result, needs } = d.status === 'Error' ? unblock(d, options, dsExists, now) : { result: d, needs: [] };
  const removes = result.delete;
  const lost = lostBy(result, dsExists);
  const fate: PodFate = d.status === 'Error' ? 'blocked' : !d.delete ? 'skip' : lost ? 'lost' : options.disableEviction ? 'delete' : 'evict';
  const ref = controllerOf(pod);
  const controller = ref ? { kind: ref.kind, namespace, name: ref.name } : null;
  const workload = cluster.workloadOf(pod);
  const budgets = cluster.budgetsFor(pod);
  const ownGrace = numberOr(spec(pod).terminationGracePeriodSeconds, DEFAULT_GRACE_PERIOD_SECONDS);
  const impact: PodImpact = {
    namespace,
    name: pod.metadata.name ?? '',
    node,
    phase: podPhase(pod) ?? null,
    ready: isReady(pod),
    fate,
    action: d.delete ? (options.disableEviction ? 'delete' : 'evict') : 'none',
    reason: podReason(d, fate, lost, needs, removes, controller, options),
    status: d.status,
    message: d.message,
    lost,
    needs,
    controller,
    workload: workload ? refString(workload) : null,
    gracePeriodSeconds: options.gracePeriodSeconds >= 0 ? options.gracePeriodSeconds : ownGrace,
    podDisruptionBudgets: budgets.map((b) => b.key),
  };
  return { impact, pod, removes, budgets };
}

function countFates(pods: readonly PodImpact[]): FateCounts {
  const counts = Object.fromEntries(FATES.map((f) => [f, 0])) as FateCounts;
  for (const p of pods) counts[p.fate]++;
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Budgets
// ---------------------------------------------------------------------------------------------

interface BudgetState {
  expectedPods: number;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
  source: 'status' | 'computed';
}

/**
 * The budget's numbers: from its status when the disruption controller has written one, else
 * computed the controller's way (integer minAvailable counts matching pods; a percentage or
 * maxUnavailable counts the controllers' scale; anything unresolvable fails safe to 0 allowed).
 */
function budgetState(budget: Budget, allPods: readonly KubeObject[], cluster: Cluster): BudgetState {
  const status = (budget.obj.status as Obj | undefined) ?? {};
  if (typeof status.disruptionsAllowed === 'number') {
    return {
      expectedPods: numberOr(status.expectedPods, 0),
      currentHealthy: numberOr(status.currentHealthy, 0),
      desiredHealthy: numberOr(status.desiredHealthy, 0),
      disruptionsAllowed: status.disruptionsAllowed,
      source: 'status',
    };
  }
  const s = spec(budget.obj);
  const pods = allPods.filter((p) => (p.metadata.namespace ?? '') === budget.namespace && budget.selector.matches(p.metadata.labels));
  const currentHealthy = pods.filter(isHealthy).length;
  const controllerScale = (): number | undefined => {
    const scales = new Map<string, number>();
    for (const pod of pods) {
      const w = cluster.workloadOf(pod);
      if (!w || w.kind === 'Pod') continue; // unmanaged pods count nowhere
      const obj = cluster.get(w.kind, w.namespace, w.name);
      const n = obj && ['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController'].includes(w.kind) ? desiredReplicas(obj, w.kind) : null;
      if (n === null) return undefined;
      scales.set(refString(w), n);
    }
    let total = 0;
    for (const n of scales.values()) total += n;
    return total;
  };
  let expectedPods = 0;
  let desiredHealthy = 0;
  let failed = false;
  if (s.maxUnavailable !== undefined && s.maxUnavailable !== null) {
    const total = controllerScale();
    const max = total === undefined ? undefined : scaled(s.maxUnavailable, total);
    if (total === undefined || max === undefined) failed = true;
    else [expectedPods, desiredHealthy] = [total, Math.max(0, total - max)];
  } else if (typeof s.minAvailable === 'number') {
    [expectedPods, desiredHealthy] = [pods.length, s.minAvailable];
  } else if (s.minAvailable !== undefined && s.minAvailable !== null) {
    const total = controllerScale();
    const min = total === undefined ? undefined : scaled(s.minAvailable, total);
    if (total === undefined || min === undefined) failed = true;
    else [expectedPods, desiredHealthy] = [total, min];
  }
  let disruptionsAllowed = currentHealthy - desiredHealthy;
  if (failed || expectedPods <= 0 || disruptionsAllowed < 0) disruptionsAllowed = 0;
  return { expectedPods, currentHealthy, desiredHealthy, disruptionsAllowed, source: 'computed' };
}

/** Pending, finished and terminating pods are deleted by the eviction subresource without asking any budget. */
function skipsBudgets(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Pending' || phase === 'Succeeded' || phase === 'Failed' || isTerminating(pod);
}

/** Whether evicting the pod spends one of the budget's disruptions (eviction.go's order of checks). */
function costsBudget(pod: KubeObject, policy: string, state: BudgetState): boolean {
  if (skipsBudgets(pod)) return false;
  if (isHealthy(pod)) return true;
  if (policy === 'AlwaysAllow') return false;
  // IfHealthyBudget: an unready pod goes for free while the budget is healthy.
  return !(state.currentHealthy >= state.desiredHealthy && state.desiredHealthy > 0);
}

function intOrString(v: unknown): number | string | null {
  return typeof v === 'number' || typeof v === 'string' ? v : null;
}

function analyzeBudget(budget: Budget, pods: readonly PodAnalysis[], allPods: readonly KubeObject[], cluster: Cluster, options: DrainOptions): BudgetImpact {
  const s = spec(budget.obj);
  const state = budgetState(budget, allPods, cluster);
  const policy = typeof s.unhealthyPodEvictionPolicy === 'string' ? s.unhealthyPodEvictionPolicy : 'IfHealthyBudget';
  const evictions = pods.filter((p) => costsBudget(p.pod, policy, state)).length;
  const bypassed = options.disableEviction;
  const shortBy = bypassed ? 0 : Math.max(0, evictions - state.disruptionsAllowed);
  const waitsForever = shortBy > 0 && state.desiredHealthy >= state.expectedPods;
  let summary: string;
  if (bypassed) summary = 'bypassed: --disable-eviction deletes pods without asking the budget';
  else if (shortBy === 0) summary = `allows ${state.disruptionsAllowed}, needs ${evictions}: ok`;
  else {
    summary = `allows ${state.disruptionsAllowed}, needs ${evictions}: blocks by ${shortBy}`;
    summary += waitsForever
      ? ` and never allows more (${state.desiredHealthy} healthy of ${state.expectedPods} required): the drain waits until --timeout`
      : ': the drain waits for replacements to become ready';
  }
  return {
    namespace: budget.namespace,
    name: budget.obj.metadata.name ?? '',
    selector: labelSelectorToString(s.selector as LabelSelector | null | undefined),
    minAvailable: intOrString(s.minAvailable),
    maxUnavailable: intOrString(s.maxUnavailable),
    unhealthyPodEvictionPolicy: policy,
    ...state,
    pods: pods.map((p) => podKey(p.pod)),
    evictions,
    blocks: shortBy > 0,
    shortBy,
    waitsForever,
    bypassed,
    summary,
  };
}

// ---------------------------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------------------------

function analyzeWorkload(
  ref: ObjectRef,
  affected: readonly PodAnalysis[],
  membersOf: ReadonlyMap<string, KubeObject[]>,
  cluster: Cluster,
  dsExists: DaemonSetLookup,
  blockingBudgets: ReadonlySet<string>,
): WorkloadImpact {
  const members = ref.kind === 'Pod' ? affected.map((a) => a.pod) : (membersOf.get(refString(ref)) ?? []);
  const ready = members.filter(isReady).length;
  const readyOnDrainedNodes = affected.filter((a) => a.removes && isReady(a.pod)).length;
  const readyElsewhere = ready - readyOnDrainedNodes;
  const nodes = [...new Set(affected.map((a) => a.impact.node))];
  const budgets = [...new Set(affected.flatMap((a) => a.impact.podDisruptionBudgets))].sort();
  const obj = cluster.get(ref.kind, ref.namespace, ref.name);
  const replicas = desiredReplicas(obj, ref.kind);
  const blocked = affected.filter((a) => a.impact.fate === 'blocked');
  const needs = [...new Set(blocked.flatMap((a) => a.impact.needs))];
  const orphaned = ref.kind === 'DaemonSet' && dsExists(ref.namespace, ref.name) === false;

  let verdict: WorkloadVerdict;
  let summary: string;
  const needsText = needs.length > 0 ? ` — needs ${needs.join(' ')}` : '';
  if (ref.kind === 'Pod' || orphaned) {
    verdict = 'lost';
    const what = orphaned ? 'orphaned DaemonSet pod (its DaemonSet is gone)' : 'bare pod';
    summary = blocked.length > 0 ? `${what}, will be lost${needsText}` : `${what}, will be lost (--force)`;
  } else if (ref.kind === 'DaemonSet') {
    verdict = 'daemonset (stays)';
    summary = `DaemonSet pods stay on ${nodes.join(', ')}${needs.length ? ` (the drain needs ${needs.join(' ')})` : ''}`;
  } else {
    const onNodes = `${readyOnDrainedNodes} of ${plural(ready, 'ready replica')} on ${nodes.join(', ')}`;
    const desired = replicas !== null && replicas !== ready ? ` (${replicas} desired)` : '';
    if (readyOnDrainedNodes > 0 && readyElsewhere === 0) {
      verdict = 'goes down';
      summary = `${onNodes}${desired}, goes down: no ready replica elsewhere until a replacement is ready`;
    } else if (ready === 0) {
      verdict = 'already down';
      summary = `no ready replica${desired}, already down`;
    } else {
      verdict = 'stays available';
      summary = `${onNodes}${desired}, stays available`;
    }
    const emptyDir = affected.filter((a) => a.impact.lost === 'emptyDir').length;
    if (emptyDir > 0) summary += `; emptyDir data of ${plural(emptyDir, 'pod')} lost`;
    summary += needsText;
  }
  const blocking = budgets.filter((b) => blockingBudgets.has(b));
  if (blocking.length > 0) summary += `; PodDisruptionBudget ${blocking.join(', ')} blocks: the drain waits`;
  return {
    kind: ref.kind,
    namespace: ref.namespace,
    name: ref.name,
    replicas,
    ready,
    readyOnDrainedNodes,
    readyElsewhere,
    pods: affected.map((a) => podKey(a.pod)),
    nodes,
    verdict,
    podDisruptionBudgets: budgets,
    summary,
  };
}

// ---------------------------------------------------------------------------------------------
// The analysis
// ---------------------------------------------------------------------------------------------

/**
 * Everything a drain of `input.nodes` would do, without doing it. Throws a 400 StatusError when
 * options.podSelector does not parse (as kubectl would fail listing the pods).
 */
export function analyzeDrain(input: DrainImpactInput): DrainImpact {
  const { options } = input;
  const now = input.now ?? Date.now();
  const cluster = new Cluster(input.workloads, input.pdbs);
  const dsExists: DaemonSetLookup = input.daemonSetExists ?? ((ns, name) => cluster.get('DaemonSet', ns, name) !== undefined);
  // kubectl never lists pods outside --pod-selector: they are neither checked nor reported.
  const podSelector = parseLabelSelector(options.podSelector);

  const seen = new Set<string>();
  const nodes: NodeImpact[] = [];
  const analyses: PodAnalysis[] = [];
  for (const node of input.nodes) {
    const name = node.metadata.name ?? '';
    if (seen.has(name)) continue;
    seen.add(name);
    const onNode = input.pods.filter((p) => nodeNameOf(p) === name && podSelector.matches(p.metadata.labels));
    const list = filterPods(onNode, options, dsExists, now);
    const pods = list.items.map((d) => analyzePod(d, name, cluster, options, dsExists, now));
    analyses.push(...pods);
    const errors = list.errors();
    nodes.push({
      name,
      cordoned: spec(node).unschedulable === true,
      refused: errors.length > 0,
      errors,
      warnings: list.warnings(),
      pods: pods.map((p) => p.impact),
      counts: countFates(pods.map((p) => p.impact)),
    });
  }
  // From here on, the drain is taken to go through (blocked pods removed once their flags are given).
  const removed = analyses.filter((a) => a.removes);

  // Budgets: those selecting a pod the drain removes.
  const budgetPods = new Map<Budget, PodAnalysis[]>();
  for (const a of removed) {
    for (const b of a.budgets) {
      const list = budgetPods.get(b);
      if (list) list.push(a);
      else budgetPods.set(b, [a]);
    }
  }
  const budgets = [...budgetPods]
    .map(([b, pods]) => analyzeBudget(b, pods, input.pods, cluster, options))
    .sort((x, y) => `${x.namespace}/${x.name}`.localeCompare(`${y.namespace}/${y.name}`));
  const blockingBudgets = budgets.filter((b) => b.blocks).map((b) => `${b.namespace}/${b.name}`);

  // More than one budget: the eviction subresource answers 500 before looking at either.
  const overlappingBudgets: BudgetOverlap[] = options.disableEviction
    ? []
    : removed
        .filter((a) => a.budgets.length > 1 && !skipsBudgets(a.pod))
        .map((a) => ({ pod: podKey(a.pod), node: a.impact.node, podDisruptionBudgets: a.budgets.map((b) => b.key) }));

  const workloadPods = new Map<string, { ref: ObjectRef; pods: PodAnalysis[] }>();
  for (const a of analyses) {
    if (a.impact.fate === 'skip' && a.impact.controller?.kind !== 'DaemonSet') continue;
    const ref = cluster.workloadOf(a.pod);
    if (!ref) continue;
    const entry = workloadPods.get(refString(ref)) ?? { ref, pods: [] };
    entry.pods.push(a);
    workloadPods.set(refString(ref), entry);
  }
  // Every pod of the affected workloads, wherever it runs, for the ready counts.
  const membersOf = new Map<string, KubeObject[]>();
  if (workloadPods.size > 0) {
    for (const p of input.pods) {
      const ref = cluster.workloadOf(p);
      if (!ref || ref.kind === 'Pod' || !workloadPods.has(refString(ref))) continue;
      const list = membersOf.get(refString(ref));
      if (list) list.push(p);
      else membersOf.set(refString(ref), [p]);
    }
  }
  const blockingSet = new Set(blockingBudgets);
  const workloads = [...workloadPods.values()]
    .map(({ ref, pods }) => analyzeWorkload(ref, pods, membersOf, cluster, dsExists, blockingSet))
    .sort((x, y) => x.namespace.localeCompare(y.namespace) || x.name.localeCompare(y.name) || x.kind.localeCompare(y.kind));

  let longestGracePeriod: DrainImpact['longestGracePeriod'] = null;
  for (const a of removed) {
    if (isFinished(a.pod)) continue;
    if (!longestGracePeriod || a.impact.gracePeriodSeconds > longestGracePeriod.seconds) {
      longestGracePeriod = { seconds: a.impact.gracePeriodSeconds, pod: podKey(a.pod) };
    }
  }

  const refusedNodes = nodes.filter((n) => n.refused).map((n) => n.name);
  const verdict: DrainVerdict = refusedNodes.length > 0 ? 'blocked' : overlappingBudgets.length > 0 ? 'will-fail' : blockingBudgets.length > 0 ? 'will-wait' : 'ok';
  const allPods = nodes.flatMap((n) => n.pods);
  return {
    options,
    nodes,
    workloads,
    podDisruptionBudgets: budgets,
    overlappingBudgets,
    longestGracePeriod,
    verdict,
    refusedNodes,
    blockingBudgets,
    counts: {
      pods: allPods.length,
      ...countFates(allPods),
      workloadsGoingDown: workloads.filter((w) => w.verdict === 'goes down').length,
      workloadsLost: workloads.filter((w) => w.verdict === 'lost').length,
      blockingBudgets: blockingBudgets.length,
      overlappingPods: overlappingBudgets.length,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The human report
// ---------------------------------------------------------------------------------------------

/** Columns padded to their widest cell plus three spaces, as kubectl's tabwriter; the last is not padded. */
function table(rows: string[][], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] + 3))).join('').trimEnd());
}

function seconds(n: number): string {
  return `${n}s`;
}

function verdictLine(r: DrainImpact): string {
  const c = r.counts;
  const what = `${c.evict + c.lost + c.delete} to ${r.options.disableEviction ? 'delete' : 'evict'}, ${c.skip} skipped, ${c.blocked} blocking`;
  switch (r.verdict) {
    case 'blocked':
      return `Verdict: blocked — ${r.refusedNodes.join(', ')} would be refused: nothing is evicted there and the node stays cordoned (${what})`;
    case 'will-fail':
      return `Verdict: will fail — ${plural(c.overlappingPods, 'pod')} under overlapping PodDisruptionBudgets: the eviction answers 500 and the node is left partly drained (${what})`;
    case 'will-wait': {
      const until = r.options.timeoutSeconds > 0 ? `until --timeout ${seconds(r.options.timeoutSeconds)}` : 'with no --timeout, possibly forever';
      return `Verdict: will wait — PodDisruptionBudget ${r.blockingBudgets.join(', ')} allows fewer evictions than needed; the drain retries every 5s ${until} (${what})`;
    }
    default:
      return `Verdict: ok (${what})`;
  }
}

function budgetVerdict(b: BudgetImpact): string {
  if (b.bypassed) return 'bypassed (--disable-eviction)';
  if (!b.blocks) return 'ok';
  return b.waitsForever ? `blocks by ${b.shortBy}, never allows more: waits until --timeout` : `blocks by ${b.shortBy}: waits for replacements`;
}

/** The impact report as text, for `upkeep drain NODE... --dry-run`. */
export function renderImpact(report: DrainImpact): string {
  const out: string[] = [];
  for (const node of report.nodes) {
    out.push(`Impact of draining ${node.name} (cordoned: ${node.cordoned ? 'yes' : 'no'})`);
    if (node.pods.length === 0) out.push('No pods on the node.');
    else out.push(...table([['POD', 'FATE', 'REASON'], ...node.pods.map((p) => [`${p.namespace}/${p.name}`, p.fate, p.reason])]));
    if (node.refused) {
      out.push(`${node.name} would be refused: nothing is evicted from it, and it stays cordoned:`);
      for (const e of node.errors) out.push(`  ${e}`);
    }
    if (node.warnings.length > 0) out.push(`Warning: ${node.warnings.join('; ')}`);
    out.push('');
  }

  if (report.workloads.length > 0) {
    out.push(...table([['WORKLOAD', 'AVAILABILITY'], ...report.workloads.map((w) => [`${w.namespace}/${w.name} (${w.kind})`, w.summary])]));
    out.push('');
  }

  if (report.podDisruptionBudgets.length === 0) {
    out.push('PodDisruptionBudgets: none selects a pod to evict');
  } else {
    out.push(
      ...table([
        ['PODDISRUPTIONBUDGET', 'SELECTOR', 'ALLOWED', 'NEEDED', 'VERDICT'],
        ...report.podDisruptionBudgets.map((b) => [`${b.namespace}/${b.name}`, b.selector, String(b.disruptionsAllowed), String(b.evictions), budgetVerdict(b)]),
      ]),
    );
  }
  if (report.overlappingBudgets.length > 0) {
    out.push('Overlapping PodDisruptionBudgets (the eviction answers 500: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."):');
    out.push(...table(report.overlappingBudgets.map((o) => [o.pod, o.podDisruptionBudgets.join(', ')]), '  '));
  }
  out.push('');

  const g = report.longestGracePeriod;
  if (!g) out.push('Longest grace period: none (no running pod to evict)');
  else out.push(`Longest grace period: ${seconds(g.seconds)} (${report.options.gracePeriodSeconds >= 0 ? '--grace-period' : g.pod})`);
  out.push(verdictLine(report));
  return out.join('\n') + '\n';
}
