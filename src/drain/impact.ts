// The impact of a drain, worked out before anything is touched: each pod's fate through kubectl's
// filter chain, what availability each workload keeps, which PodDisruptionBudgets make the drain
// wait (and by how much), which pods sit under overlapping budgets (their eviction answers 500)
// and the longest grace period. A pure function over cluster objects, shared by
// `upkeep drain --dry-run` and upgrade preflight; the CLI renders it (src/cli/output/drain.ts).
import { type Selector, labelSelectorFromObject, labelSelectorToString, parseLabelSelector } from '../api/labels.js';
import { isNodeUnschedulable, nodeCondition } from '../api/nodes.js';
import { controllerOf, hasLocalStorage, isPodFinished, isPodServing, isPodTerminating, podKey, podNodeName, podPhase } from '../api/pods.js';
import type { Node, Pod, PodDisruptionBudget } from '../api/types.js';
import { DAEMONSET_FATAL, daemonSetNotFound, filterPods, unblock } from './filters.js';
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
  SurgeStep,
  Workload,
  WorkloadImpact,
  WorkloadVerdict,
} from './types.js';

export interface DrainImpactInput {
  /** The Nodes to drain. */
  nodes: Node[];
  /** Pods: at least those on the nodes and every pod of their workloads (for ready counts). */
  pods: Pod[];
  /** PodDisruptionBudgets in the pods' namespaces. */
  pdbs: PodDisruptionBudget[];
  /** ReplicaSets, Deployments, StatefulSets, DaemonSets, Jobs, ReplicationControllers. */
  workloads: Workload[];
  options: DrainOptions;
  /** ms since the epoch, for --skip-wait-for-delete-timeout; defaults to the current time. */
  now?: number;
  /** Overrides the DaemonSet existence check (by default: is it among `workloads`?). */
  daemonSetExists?: DaemonSetLookup;
  /** --surge is given: budgets its surge plan resolves do not stop the drain. */
  surge?: boolean;
}

/** kube's default terminationGracePeriodSeconds. */
const DEFAULT_GRACE_PERIOD_SECONDS = 30;

// ---------------------------------------------------------------------------------------------
// Small object facts
// ---------------------------------------------------------------------------------------------

/** Healthy for a budget: Ready=True and not terminating (the disruption controller's count). */
const isHealthy = isPodServing;

function objKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function refString(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The desired replica count of a workload object, as its kind defines it. */
function desiredReplicas(obj: Workload | undefined, kind: string): number | null {
  if (kind === 'Pod') return 1;
  switch (obj?.kind) {
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'ReplicationController':
      return obj.spec?.replicas ?? 1;
    case 'DaemonSet':
      return obj.status?.desiredNumberScheduled ?? null;
    case 'Job':
      return obj.spec?.parallelism ?? 1;
    default:
      return null;
  }
}

/** intstr.GetScaledValueFromIntOrPercent with rounding up, as the disruption controller uses it. */
function scaled(value: number | string, total: number): number | undefined {
  if (typeof value === 'number') return Math.trunc(value);
  if (/^[+-]?\d+%$/.test(value)) return Math.ceil((Number(value.slice(0, -1)) * total) / 100);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The cluster, indexed
// ---------------------------------------------------------------------------------------------

interface Budget {
  obj: PodDisruptionBudget;
  key: string;
  namespace: string;
  selector: Selector;
}

class Cluster {
  private readonly byKey = new Map<string, Workload>();
  readonly budgets: Budget[] = [];

  constructor(workloads: readonly Workload[], pdbs: readonly PodDisruptionBudget[]) {
    for (const w of workloads) {
      if (w.kind) this.byKey.set(objKey(w.kind, w.metadata.namespace ?? '', w.metadata.name ?? ''), w);
    }
    for (const pdb of pdbs) {
      let selector: Selector;
      try {
        selector = labelSelectorFromObject(pdb.spec?.selector);
      } catch {
        // The eviction subresource skips a budget whose selector does not parse.
        continue;
      }
      this.budgets.push({ obj: pdb, key: podKey(pdb), namespace: pdb.metadata.namespace ?? '', selector });
    }
  }

  get(kind: string, namespace: string, name: string): Workload | undefined {
    return this.byKey.get(objKey(kind, namespace, name));
  }

  /** The workload a pod counts for: its controller, through ReplicaSet to Deployment; a bare pod is its own. */
  workloadOf(pod: Pod): ObjectRef | null {
    const namespace = pod.metadata.namespace ?? '';
    const ref = controllerOf(pod);
    if (!ref) return isPodFinished(pod) ? null : { kind: 'Pod', namespace, name: pod.metadata.name ?? '' };
    // Mirror pods are owned by their Node: no workload to keep available.
    if (ref.kind === 'Node') return null;
    if (ref.kind === 'ReplicaSet') {
      const rs = this.get('ReplicaSet', namespace, ref.name);
      const parent = rs && controllerOf(rs);
      if (parent?.kind === 'Deployment') return { kind: 'Deployment', namespace, name: parent.name };
    }
    return { kind: ref.kind, namespace, name: ref.name };
  }

  budgetsFor(pod: Pod): Budget[] {
    const ns = pod.metadata.namespace ?? '';
    return this.budgets.filter((b) => b.namespace === ns && b.selector.matches(pod.metadata.labels));
  }
}

// ---------------------------------------------------------------------------------------------
// Pods
// ---------------------------------------------------------------------------------------------

interface PodAnalysis {
  impact: PodImpact;
  pod: Pod;
  /** The drain removes the pod, or would once the flags it needs are given. */
  removes: boolean;
  budgets: Budget[];
}

function isOrphanedDaemonSetPod(pod: Pod, dsExists: DaemonSetLookup): boolean {
  const ref = controllerOf(pod);
  return ref?.kind === 'DaemonSet' && dsExists(pod.metadata.namespace ?? '', ref.name) === false;
}

function lostBy(result: PodDelete, dsExists: DaemonSetLookup): 'pod' | 'emptyDir' | null {
  const pod = result.pod;
  if (!result.delete || isPodFinished(pod)) return null;
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
      if (isPodFinished(pod)) return `${podPhase(pod)}: finished, nothing runs`;
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
  const ownGrace = pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
  const impact: PodImpact = {
    namespace,
    name: pod.metadata.name ?? '',
    node,
    phase: podPhase(pod) ?? null,
    ready: isPodServing(pod),
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
  const counts: FateCounts = { evict: 0, delete: 0, skip: 0, blocked: 0, lost: 0 };
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
function budgetState(budget: Budget, allPods: readonly Pod[], cluster: Cluster): BudgetState {
  const status = budget.obj.status;
  // A status without disruptionsAllowed is not the disruption controller's yet.
  if (typeof status?.disruptionsAllowed === 'number') {
    return {
      expectedPods: status.expectedPods ?? 0,
      currentHealthy: status.currentHealthy ?? 0,
      desiredHealthy: status.desiredHealthy ?? 0,
      disruptionsAllowed: status.disruptionsAllowed,
      source: 'status',
    };
  }
  const s = budget.obj.spec ?? {};
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
function skipsBudgets(pod: Pod): boolean {
  const phase = podPhase(pod);
  return phase === 'Pending' || phase === 'Succeeded' || phase === 'Failed' || isPodTerminating(pod);
}

/** Whether evicting the pod spends one of the budget's disruptions (eviction.go's order of checks). */
function costsBudget(pod: Pod, policy: string, state: BudgetState): boolean {
  if (skipsBudgets(pod)) return false;
  if (isHealthy(pod)) return true;
  if (policy === 'AlwaysAllow') return false;
  // IfHealthyBudget: an unready pod goes for free while the budget is healthy.
  return !(state.currentHealthy >= state.desiredHealthy && state.desiredHealthy > 0);
}

function analyzeBudget(budget: Budget, pods: readonly PodAnalysis[], allPods: readonly Pod[], cluster: Cluster, options: DrainOptions): BudgetImpact {
  const s = budget.obj.spec ?? {};
  const state = budgetState(budget, allPods, cluster);
  const policy = s.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
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
    selector: labelSelectorToString(s.selector),
    minAvailable: s.minAvailable ?? null,
    maxUnavailable: s.maxUnavailable ?? null,
    unhealthyPodEvictionPolicy: policy,
    ...state,
    pods: pods.map((p) => podKey(p.pod)),
    evictions,
    blocks: shortBy > 0,
    shortBy,
    waitsForever,
    bypassed,
    surgeResolves: false,
    summary,
  };
}

// ---------------------------------------------------------------------------------------------
// --surge, and what would get the drain through
// ---------------------------------------------------------------------------------------------

/** What --surge would do: Deployments whose only ready replicas are on the drained nodes get that many more first. */
export function surgePlanOf(workloads: readonly WorkloadImpact[]): SurgeStep[] {
  return workloads
    .filter((w) => w.kind === 'Deployment' && w.replicas !== null && w.readyElsewhere === 0 && w.readyOnDrainedNodes > 0)
    .map((w) => ({
      workload: { kind: w.kind, namespace: w.namespace, name: w.name },
      from: w.replicas ?? 0,
      to: (w.replicas ?? 0) + w.readyOnDrainedNodes,
      podDisruptionBudgets: w.podDisruptionBudgets,
    }));
}

/**
 * The disruptions a budget allows once `extra` surged replicas are Ready (the disruption
 * controller's arithmetic on the bigger scale): a maxUnavailable of 0 or a minAvailable equal to
 * the new scale still allows none.
 */
export function allowedAfterSurge(b: Pick<BudgetImpact, 'minAvailable' | 'maxUnavailable' | 'expectedPods' | 'currentHealthy' | 'desiredHealthy'>, extra: number): number {
  const expected = b.expectedPods + extra;
  let desired = b.desiredHealthy;
  if (b.maxUnavailable !== null) {
    const max = scaled(b.maxUnavailable, expected);
    if (max === undefined) return 0;
    desired = Math.max(0, expected - max);
  } else if (typeof b.minAvailable === 'number') desired = b.minAvailable;
  else if (b.minAvailable !== null) desired = scaled(b.minAvailable, expected) ?? expected;
  return expected <= 0 ? 0 : Math.max(0, b.currentHealthy + extra - desired);
}

/** Each budget, with whether the surge plan would resolve it. */
function withSurge(budgets: readonly BudgetImpact[], plan: readonly SurgeStep[]): BudgetImpact[] {
  return budgets.map((b) => {
    const key = `${b.namespace}/${b.name}`;
    const extra = plan.filter((p) => p.podDisruptionBudgets.includes(key)).reduce((n, p) => n + p.to - p.from, 0);
    return { ...b, surgeResolves: b.blocks && extra > 0 && allowedAfterSurge(b, extra) >= b.evictions };
  });
}

/** The flags that would actually get the drain through what the report found, each with why. */
export function drainHints(report: Pick<DrainImpact, 'nodes' | 'podDisruptionBudgets' | 'surgePlan' | 'options'>, surge: boolean): DrainImpact['hints'] {
  const hints: DrainImpact['hints'] = [];
  const needs = new Map<string, string[]>();
  for (const p of report.nodes.flatMap((n) => n.pods)) for (const f of p.needs) needs.set(f, [...(needs.get(f) ?? []), `${p.namespace}/${p.name}`]);
  for (const [flag, pods] of needs) hints.push({ flag, why: `gets past ${plural(pods.length, 'pod')} the node would be refused for: ${pods.join(', ')}` });
  const blocking = report.podDisruptionBudgets.filter((b) => b.blocks);
  const resolved = blocking.filter((b) => b.surgeResolves);
  if (!surge && resolved.length > 0) {
    const deployments = report.surgePlan.filter((p) => resolved.some((b) => p.podDisruptionBudgets.includes(`${b.namespace}/${b.name}`)));
    hints.push({
      flag: '--surge',
      why: `starts ${deployments.map((d) => `${d.workload.kind} ${d.workload.namespace}/${d.workload.name} at ${d.to} replicas (from ${d.from})`).join(', ')} elsewhere first, so PodDisruptionBudget ${resolved.map((b) => `${b.namespace}/${b.name}`).join(', ')} allows the evictions`,
    });
  }
  const never = blocking.filter((b) => b.waitsForever && !b.surgeResolves);
  if (never.length > 0) hints.push({ flag: '--disable-eviction', why: `deletes the pods without asking PodDisruptionBudget ${never.map((b) => `${b.namespace}/${b.name}`).join(', ')}, which can never allow the evictions; their availability is not protected` });
  const down = report.nodes.filter((n) => n.notReady).map((n) => n.name);
  if (down.length > 0 && report.options.skipWaitForDeleteTimeoutSeconds <= 0) {
    hints.push({ flag: '--skip-wait-for-delete-timeout=60', why: `${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} NotReady: no kubelet finishes the evicted pods, which stay terminating; stop waiting for them after 60s` });
  }
  return hints;
}

// ---------------------------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------------------------

function analyzeWorkload(
  ref: ObjectRef,
  affected: readonly PodAnalysis[],
  membersOf: ReadonlyMap<string, Pod[]>,
  cluster: Cluster,
  dsExists: DaemonSetLookup,
  blockingBudgets: ReadonlySet<string>,
): WorkloadImpact {
  const members = ref.kind === 'Pod' ? affected.map((a) => a.pod) : (membersOf.get(refString(ref)) ?? []);
  const ready = members.filter(isPodServing).length;
  const readyOnDrainedNodes = affected.filter((a) => a.removes && isPodServing(a.pod)).length;
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

/** Each node's pods through the filter chain, and what happens to each. */
function analyzeNodes(input: DrainImpactInput, cluster: Cluster, dsExists: DaemonSetLookup, now: number): { nodes: NodeImpact[]; analyses: PodAnalysis[] } {
  const { options } = input;
  // kubectl never lists pods outside --pod-selector: they are neither checked nor reported.
  const podSelector = parseLabelSelector(options.podSelector);
  const seen = new Set<string>();
  const nodes: NodeImpact[] = [];
  const analyses: PodAnalysis[] = [];
  for (const node of input.nodes) {
    const name = node.metadata.name ?? '';
    if (seen.has(name)) continue;
    seen.add(name);
    const onNode = input.pods.filter((p) => podNodeName(p) === name && podSelector.matches(p.metadata.labels));
    const list = filterPods(onNode, options, dsExists, now);
    const pods = list.items.map((d) => analyzePod(d, name, cluster, options, dsExists, now));
    analyses.push(...pods);
    const errors = list.errors();
    nodes.push({
      name,
      cordoned: isNodeUnschedulable(node),
      refused: errors.length > 0,
      errors,
      warnings: list.warnings(),
      pods: pods.map((p) => p.impact),
      counts: countFates(pods.map((p) => p.impact)),
      // Only a Ready condition that says so: a node object without conditions is not taken as down.
      notReady: (nodeCondition(node, 'Ready')?.status ?? 'True') !== 'True',
    });
  }
  return { nodes, analyses };
}

/** The budgets selecting a pod the drain removes, by name. */
function analyzeBudgets(removed: readonly PodAnalysis[], allPods: readonly Pod[], cluster: Cluster, options: DrainOptions): BudgetImpact[] {
  const budgetPods = new Map<Budget, PodAnalysis[]>();
  for (const a of removed) {
    for (const b of a.budgets) {
      const list = budgetPods.get(b);
      if (list) list.push(a);
      else budgetPods.set(b, [a]);
    }
  }
  return [...budgetPods]
    .map(([b, pods]) => analyzeBudget(b, pods, allPods, cluster, options))
    .sort((x, y) => `${x.namespace}/${x.name}`.localeCompare(`${y.namespace}/${y.name}`));
}

/** The workloads that lose (or keep, DaemonSets) pods on the drained nodes, by namespace and name. */
function analyzeWorkloads(analyses: readonly PodAnalysis[], allPods: readonly Pod[], cluster: Cluster, dsExists: DaemonSetLookup, blockingBudgets: ReadonlySet<string>): WorkloadImpact[] {
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
  const membersOf = new Map<string, Pod[]>();
  if (workloadPods.size > 0) {
    for (const p of allPods) {
      const ref = cluster.workloadOf(p);
      if (!ref || ref.kind === 'Pod' || !workloadPods.has(refString(ref))) continue;
      const list = membersOf.get(refString(ref));
      if (list) list.push(p);
      else membersOf.set(refString(ref), [p]);
    }
  }
  return [...workloadPods.values()]
    .map(({ ref, pods }) => analyzeWorkload(ref, pods, membersOf, cluster, dsExists, blockingBudgets))
    .sort((x, y) => x.namespace.localeCompare(y.namespace) || x.name.localeCompare(y.name) || x.kind.localeCompare(y.kind));
}

function longestGracePeriodOf(removed: readonly PodAnalysis[]): DrainImpact['longestGracePeriod'] {
  let longest: DrainImpact['longestGracePeriod'] = null;
  for (const a of removed) {
    if (isPodFinished(a.pod)) continue;
    if (!longest || a.impact.gracePeriodSeconds > longest.seconds) longest = { seconds: a.impact.gracePeriodSeconds, pod: podKey(a.pod) };
  }
  return longest;
}

/**
 * Everything a drain of `input.nodes` would do, without doing it. Throws a 400 StatusError when
 * options.podSelector does not parse (as kubectl would fail listing the pods).
 */
export function analyzeDrain(input: DrainImpactInput): DrainImpact {
  const { options } = input;
  const cluster = new Cluster(input.workloads, input.pdbs);
  const dsExists: DaemonSetLookup = input.daemonSetExists ?? ((ns, name) => cluster.get('DaemonSet', ns, name) !== undefined);
  const { nodes, analyses } = analyzeNodes(input, cluster, dsExists, input.now ?? Date.now());
  // From here on, the drain is taken to go through (blocked pods removed once their flags are given).
  const removed = analyses.filter((a) => a.removes);
  const unsurged = analyzeBudgets(removed, input.pods, cluster, options);
  const blockingBudgets = unsurged.filter((b) => b.blocks).map((b) => `${b.namespace}/${b.name}`);
  // More than one budget: the eviction subresource answers 500 before looking at either.
  const overlappingBudgets: BudgetOverlap[] = options.disableEviction
    ? []
    : removed
        .filter((a) => a.budgets.length > 1 && !skipsBudgets(a.pod))
        .map((a) => ({ pod: podKey(a.pod), node: a.impact.node, podDisruptionBudgets: a.budgets.map((b) => b.key) }));
  const workloads = analyzeWorkloads(analyses, input.pods, cluster, dsExists, new Set(blockingBudgets));
  const surgePlan = options.disableEviction ? [] : surgePlanOf(workloads);
  const budgets = withSurge(unsurged, surgePlan);
  // A budget that never allows the evictions makes the drain wait until --timeout, unless --surge resolves it.
  const neverAllowingBudgets = budgets.filter((b) => b.blocks && b.waitsForever && !(input.surge && b.surgeResolves)).map((b) => `${b.namespace}/${b.name}`);

  const refusedNodes = nodes.filter((n) => n.refused).map((n) => n.name);
  const verdict: DrainVerdict =
    refusedNodes.length > 0 ? 'blocked' : overlappingBudgets.length > 0 ? 'will-fail' : neverAllowingBudgets.length > 0 ? 'never' : blockingBudgets.length > 0 ? 'will-wait' : 'ok';
  const allPods = nodes.flatMap((n) => n.pods);
  return {
    options,
    nodes,
    workloads,
    podDisruptionBudgets: budgets,
    overlappingBudgets,
    longestGracePeriod: longestGracePeriodOf(removed),
    verdict,
    refusedNodes,
    blockingBudgets,
    neverAllowingBudgets,
    surgePlan,
    notReadyNodes: nodes.filter((n) => n.notReady).map((n) => n.name),
    hints: drainHints({ nodes, podDisruptionBudgets: budgets, surgePlan, options }, input.surge ?? false),
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
