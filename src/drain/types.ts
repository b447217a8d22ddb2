// Shared shapes of upkeep's node drain: the options (named after kubectl drain's flags, as in
// kubectl's pkg/drain Helper), the filter chain's per-pod decisions, and the impact report that
// `upkeep drain --dry-run -o json` prints. Everything here is plain, JSON-serialisable data.
import type { DaemonSet, Deployment, Job, Pod, ReplicaSet, ReplicationController, StatefulSet } from '../api/types.js';

/** The workload kinds a drain's impact is measured against (their replica counts). */
export type Workload = Deployment | ReplicaSet | StatefulSet | DaemonSet | Job | ReplicationController;

export type DryRunStrategy = 'none' | 'client' | 'server';

/** Every knob of a drain, one field per kubectl drain flag. */
export interface DrainOptions {
  /** --force: also delete pods that declare no controller, and orphaned DaemonSet pods. */
  force: boolean;
  /** --ignore-daemonsets: skip DaemonSet-managed pods instead of refusing the node. */
  ignoreDaemonSets: boolean;
  /** --delete-emptydir-data: delete pods using emptyDir volumes (their data is lost). */
  deleteEmptyDirData: boolean;
  /** --grace-period: seconds each pod gets to terminate; negative means the pod's own value. */
  gracePeriodSeconds: number;
  /** --timeout: give up after this many seconds; 0 means wait forever. */
  timeoutSeconds: number;
  /** --pod-selector: only pods matching this label selector are considered at all. */
  podSelector: string;
  /** --disable-eviction: DELETE pods instead of evicting them, bypassing PodDisruptionBudgets. */
  disableEviction: boolean;
  /** --skip-wait-for-delete-timeout: skip pods terminating for longer than this (> 0 to apply). */
  skipWaitForDeleteTimeoutSeconds: number;
  /** --chunk-size: page size of the node and pod lists; 0 disables paging. */
  chunkSize: number;
  /** --dry-run */
  dryRun: DryRunStrategy;
  /**
   * -l/--selector: the node label selector, as given (kubectl refuses it together with node names:
   * cordon.ts's nodeSelection). drainNodes reads it only when given no node at all.
   */
  selector: string;
}

/** kubectl drain's flag defaults. */
export const DEFAULT_DRAIN_OPTIONS: Readonly<DrainOptions> = Object.freeze({
  force: false,
  ignoreDaemonSets: false,
  deleteEmptyDirData: false,
  gracePeriodSeconds: -1,
  timeoutSeconds: 0,
  podSelector: '',
  disableEviction: false,
  skipWaitForDeleteTimeoutSeconds: 0,
  chunkSize: 500,
  dryRun: 'none',
  selector: '',
});

/** The defaults with some flags set. */
export function drainOptions(overrides: Partial<DrainOptions> = {}): DrainOptions {
  return { ...DEFAULT_DRAIN_OPTIONS, ...overrides };
}

// ---------------------------------------------------------------------------------------------
// The filter chain (kubectl pkg/drain filters.go)
// ---------------------------------------------------------------------------------------------

/** kubectl's PodDeleteStatus reasons. */
export type PodDeleteStatusType = 'Okay' | 'Skip' | 'Warning' | 'Error';

/** The filters, in the order kubectl runs them. */
export type PodFilterName = 'skipDeleted' | 'daemonSet' | 'mirror' | 'localStorage' | 'unreplicated';

/** One pod's decision. */
export interface PodDelete {
  pod: Pod;
  /** True when the drain evicts (or deletes) the pod. */
  delete: boolean;
  /** The status kubectl keeps: that of the filter that stopped the chain, else of the last one. */
  status: PodDeleteStatusType;
  /** kubectl's message for a Warning or an Error; "" otherwise. */
  message: string;
  /** The filter whose non-Okay status was kept; null when the pod simply passed. */
  decidedBy: PodFilterName | null;
  /**
   * Warnings of earlier filters that kubectl drops because a later filter answered Okay (its
   * own TODO): "deleting Pods with local storage", an orphaned DaemonSet's NotFound text.
   */
  droppedWarnings: string[];
}

/**
 * Whether the pod's controlling DaemonSet exists: true, false (kubectl's NotFound), or the text
 * of any other failure to read it (always an error, even with --force).
 */
export type DaemonSetLookup = (namespace: string, name: string) => boolean | string;

// ---------------------------------------------------------------------------------------------
// The impact report (upkeep drain --dry-run)
// ---------------------------------------------------------------------------------------------

/**
 * What happens to a pod: evicted, deleted (--disable-eviction), left alone (DaemonSet, mirror,
 * long-terminating), blocking the node (a filter error: the node is refused), or removed with
 * something nothing brings back (a bare pod, an orphaned DaemonSet pod, emptyDir data).
 */
export type PodFate = 'evict' | 'delete' | 'skip' | 'blocked' | 'lost';

export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface PodImpact {
  namespace: string;
  name: string;
  node: string;
  /** status.phase, null when unknown. */
  phase: string | null;
  /** Condition Ready=True and not terminating. */
  ready: boolean;
  fate: PodFate;
  /** How the drain removes it when the node is not refused: evict, delete, or not at all. */
  action: 'evict' | 'delete' | 'none';
  /** Why, in one line, for a human. */
  reason: string;
  /** kubectl's filter status and message for the pod (parity with kubectl's output). */
  status: PodDeleteStatusType;
  message: string;
  /**
   * What nothing brings back once the pod goes: the pod itself, or its emptyDir data. Also set
   * on a blocked pod: what the flags it needs would lose.
   */
  lost: 'pod' | 'emptyDir' | null;
  /** Flags that would let the drain past this pod (blocked pods), e.g. ["--force"]. */
  needs: string[];
  /** The pod's controllerRef; null for a pod that declares no controller. */
  controller: ObjectRef | null;
  /** The workload it counts for ("Deployment default/blue"); null for pods outside any. */
  workload: string | null;
  /** The grace period it gets: --grace-period when >= 0, else its terminationGracePeriodSeconds. */
  gracePeriodSeconds: number;
  /** The PodDisruptionBudgets selecting it ("ns/name"). */
  podDisruptionBudgets: string[];
}

export type FateCounts = Record<PodFate, number>;

export interface NodeImpact {
  name: string;
  /** spec.unschedulable already true before the drain. */
  cordoned: boolean;
  /** A filter error: kubectl evicts nothing from this node, yet leaves it cordoned. */
  refused: boolean;
  /** kubectl's error lines: "cannot delete <message>: ns/a, ns/b". */
  errors: string[];
  /** kubectl's warning groups: "<message>: ns/a, ns/b" (printed as one "Warning: " line). */
  warnings: string[];
  pods: PodImpact[];
  counts: FateCounts;
  /** The node's Ready condition is not True: its kubelet does not finish evicted pods, which stay terminating. */
  notReady: boolean;
}

export type WorkloadVerdict = 'stays available' | 'goes down' | 'already down' | 'lost' | 'daemonset (stays)';

export interface WorkloadImpact {
  /** Deployment, StatefulSet, ReplicaSet, ReplicationController, Job, DaemonSet, another controller's kind, or Pod (a bare pod). */
  kind: string;
  namespace: string;
  name: string;
  /** Desired replicas (spec.replicas; a DaemonSet's desiredNumberScheduled; a Job's parallelism); null when the object is unknown. */
  replicas: number | null;
  /** Ready pods of the workload in the whole cluster (terminating pods excluded). */
  ready: number;
  /** Ready pods the drain takes down (removed from the drained nodes). */
  readyOnDrainedNodes: number;
  /** Ready pods that keep running. */
  readyElsewhere: number;
  /** Its pods on the drained nodes ("ns/name"). */
  pods: string[];
  /** The drained nodes holding them. */
  nodes: string[];
  verdict: WorkloadVerdict;
  /** PodDisruptionBudgets selecting its pods on the drained nodes ("ns/name"). */
  podDisruptionBudgets: string[];
  summary: string;
}

export interface BudgetImpact {
  namespace: string;
  name: string;
  /** The selector as kubectl prints it ("app=blue", "<none>"). */
  selector: string;
  minAvailable: number | string | null;
  maxUnavailable: number | string | null;
  /** spec.unhealthyPodEvictionPolicy, IfHealthyBudget when unset. */
  unhealthyPodEvictionPolicy: string;
  expectedPods: number;
  currentHealthy: number;
  desiredHealthy: number;
  /** Evictions the budget allows right now. */
  disruptionsAllowed: number;
  /** Read from the budget's status (the disruption controller), or computed here when it has none. */
  source: 'status' | 'computed';
  /** Its pods the drain removes ("ns/name"). */
  pods: string[];
  /** Of those, the evictions that need budget (running pods; unready ones only when the budget is unhealthy). */
  evictions: number;
  /** evictions > disruptionsAllowed: the drain waits (kubectl retries every 5 s) for the budget. */
  blocks: boolean;
  /** evictions - disruptionsAllowed when it blocks, else 0. */
  shortBy: number;
  /** desiredHealthy >= expectedPods: the budget allows no eviction even at full strength, so the wait never ends. */
  waitsForever: boolean;
  /** --disable-eviction deletes pods and never asks the budget. */
  bypassed: boolean;
  /** It blocks, and the surge plan (--surge) would make it allow every eviction needed. */
  surgeResolves: boolean;
  summary: string;
}

/** What --surge would do for one Deployment whose only ready replicas are on the drained nodes (src/drain/surge.ts decides it again per node, and skips one mid-rollout). */
export interface SurgeStep {
  workload: ObjectRef;
  /** spec.replicas now, and while the drain runs. */
  from: number;
  to: number;
  /** The PodDisruptionBudgets selecting its pods ("ns/name"). */
  podDisruptionBudgets: string[];
}

/** A pod selected by more than one budget: its eviction answers 500 and kubectl gives up on it. */
export interface BudgetOverlap {
  pod: string;
  node: string;
  podDisruptionBudgets: string[];
}

/**
 * ok: the drain goes through. blocked: filter errors refuse some nodes. will-fail: overlapping
 * budgets make evictions fail (kubectl stops after evicting the rest: a partly drained node).
 * will-wait: budgets allow fewer evictions than needed, so the drain waits for them.
 * never: a budget can never allow the evictions needed (maxUnavailable 0, minAvailable equal to
 * the replicas), and --surge is not given or would not help: the drain can only time out.
 */
export type DrainVerdict = 'ok' | 'blocked' | 'will-fail' | 'will-wait' | 'never';

export interface DrainImpact {
  options: DrainOptions;
  nodes: NodeImpact[];
  workloads: WorkloadImpact[];
  podDisruptionBudgets: BudgetImpact[];
  overlappingBudgets: BudgetOverlap[];
  /** The longest grace period among the pods the drain removes: a floor for how long it takes. */
  longestGracePeriod: { seconds: number; pod: string } | null;
  verdict: DrainVerdict;
  refusedNodes: string[];
  blockingBudgets: string[];
  /** Blocking budgets that never allow the evictions, even after every replacement is Ready (and --surge does not help). */
  neverAllowingBudgets: string[];
  /** What --surge would do (empty when it would do nothing). */
  surgePlan: SurgeStep[];
  /** Drained nodes that are NotReady. */
  notReadyNodes: string[];
  /** The flags that would get the drain through what the report found, each with why: ["--surge", "..."]. */
  hints: Array<{ flag: string; why: string }>;
  counts: FateCounts & {
    pods: number;
    workloadsGoingDown: number;
    workloadsLost: number;
    blockingBudgets: number;
    overlappingPods: number;
  };
}
