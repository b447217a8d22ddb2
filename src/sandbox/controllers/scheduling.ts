// The scheduler's decisions as pure functions: which nodes a pod fits (kube-scheduler's filter
// plugins: NodeUnschedulable, TaintToleration, NodeName, NodeAffinity, NodeResourcesFit) and
// which of them to pick (spread replicas of one owner, then least requested).
import { isNodeReady } from '../../api/nodes.js';
import { controllerOf } from '../../api/pods.js';
import { matchesNodeAffinity, requiredNodeSelectorTerms } from '../../api/affinity.js';
import type { Node, Pod, Taint, Toleration } from '../../api/types.js';

/** What a toleration is matched against: a taint's key, value and effect. */
export type TaintMatch = Pick<Taint, 'key' | 'value' | 'effect'>;

export function tolerates(tolerations: Toleration[] | undefined, taint: TaintMatch): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/** kube's resource quantities ("500m", "2", "1Gi", "128974848", "1e3") in base units. */
export function parseQuantity(q: unknown): number {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return 0;
  const m = /^([+-]?\d*\.?\d+(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  const mult: Record<string, number> = {
    m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  };
  return n * (m[2] ? mult[m[2]] : 1);
}

export function podRequests(pod: Pod): { cpu: number; memory: number } {
  const spec = pod.spec;
  let cpu = 0;
  let memory = 0;
  for (const c of spec?.containers ?? []) {
    const req = c.resources?.requests ?? {};
    cpu += parseQuantity(req.cpu);
    memory += parseQuantity(req.memory);
  }
  // Init containers run one at a time: the pod needs the largest of them, if bigger.
  for (const c of spec?.initContainers ?? []) {
    const req = c.resources?.requests ?? {};
    cpu = Math.max(cpu, parseQuantity(req.cpu));
    memory = Math.max(memory, parseQuantity(req.memory));
  }
  return { cpu, memory };
}

/** What a node's bound, unfinished pods hold (the cache keeps it current as pods come and go). */
export interface NodeUsage {
  pods: number;
  cpu: number;
  memory: number;
  /** Pods per owner uid (any ownerReference), for spreading replicas. */
  byOwner: Map<string, number>;
}

export function emptyUsage(): NodeUsage {
  return { pods: 0, cpu: 0, memory: 0, byOwner: new Map() };
}

/** Add (sign 1) or take away (sign -1) one pod's share of a node's usage. */
export function addUsage(u: NodeUsage, pod: Pod, sign: 1 | -1): void {
  const r = podRequests(pod);
  u.pods += sign;
  u.cpu += sign * r.cpu;
  u.memory += sign * r.memory;
  for (const ref of pod.metadata.ownerReferences ?? []) {
    const n = (u.byOwner.get(ref.uid) ?? 0) + sign;
    if (n > 0) u.byOwner.set(ref.uid, n);
    else u.byOwner.delete(ref.uid);
  }
}

export function usageOf(pods: Pod[]): NodeUsage {
  const u = emptyUsage();
  for (const p of pods) addUsage(u, p, 1);
  return u;
}

export interface NodeInfo {
  node: Node;
  /** Pods bound to the node and not finished (or their sum, `usage`). */
  pods?: Pod[];
  usage?: NodeUsage;
  /** The node's name, kept beside its usage: read for hundreds of nodes per pod. */
  name?: string;
}

function infoUsage(info: NodeInfo): NodeUsage {
  return info.usage ?? usageOf(info.pods ?? []);
}

/**
 * Nodes a pod is pinned to by name, if any: DaemonSet pods carry a required node affinity
 * `matchFields metadata.name In [node]`, and a nodeSelector on kubernetes.io/hostname pins too.
 * The scheduler then only looks at those nodes instead of the whole cluster.
 */
export function pinnedNodeNames(pod: Pod): string[] | undefined {
  const host = pod.spec?.nodeSelector?.['kubernetes.io/hostname'];
  const terms = requiredNodeSelectorTerms(pod.spec);
  let names: string[] | undefined;
  if (terms.length) {
    const perTerm: string[][] = [];
    for (const term of terms) {
      const byName = (term.matchFields ?? []).find((f) => f.key === 'metadata.name' && f.operator === 'In');
      if (!byName) return host ? [host] : undefined; // a term without a name pin can match any node
      perTerm.push(byName.values ?? []);
    }
    names = perTerm.flat();
  }
  if (host) names = names ? names.filter((n) => n === host) : [host];
  return names;
}

/**
 * How many feasible nodes to find before choosing, as kube-scheduler's adaptive
 * percentageOfNodesToScore: 50% minus 1% per 125 nodes, at least 5%, and never fewer than 100.
 */
export function feasibleNodesToFind(total: number): number {
  if (total <= 100) return total;
  const percentage = Math.max(5, 50 - Math.floor(total / 125));
  return Math.max(100, Math.floor((total * percentage) / 100));
}

export type FitFailure = 'unschedulable' | 'taint' | 'affinity' | 'cpu' | 'memory' | 'pods' | 'nodeName' | 'notReady' | 'volumeNodeConflict';

/** Why a pod can't go to a node, or undefined when it fits. */
export function fitFailure(pod: Pod, info: NodeInfo): FitFailure | undefined {
  return nodeFitFailure(pod, info.node) ?? resourceFitFailure(podRequests(pod), allocatableOf(info.node), infoUsage(info));
}

/**
 * The checks that read only the node and the pod's tolerations, nodeSelector and affinity: the
 * scheduler keeps their answer per node object and pod shape instead of redoing them per pod.
 */
export function nodeFitFailure(pod: Pod, node: Node): FitFailure | undefined {
  const tolerations = pod.spec?.tolerations;
  if (node.spec?.unschedulable && !tolerates(tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return 'unschedulable';
  const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  if (taints.some((t) => !tolerates(tolerations, t))) return 'taint';
  if (!isNodeReady(node) && !tolerates(tolerations, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' })) return 'notReady';
  if (!matchesNodeAffinity(pod.spec, node)) return 'affinity';
  return undefined;
}

/** What a node can hold, in base units. */
export interface Allocatable {
  pods: number;
  cpu: number;
  memory: number;
}

export function allocatableOf(node: Node): Allocatable {
  const alloc = node.status?.allocatable ?? {};
  return { pods: parseQuantity(alloc.pods ?? '110'), cpu: parseQuantity(alloc.cpu ?? '0'), memory: parseQuantity(alloc.memory ?? '0') };
}

/** NodeResourcesFit: room for one more pod and for its requests. */
export function resourceFitFailure(req: { cpu: number; memory: number }, alloc: Allocatable, usage: NodeUsage): FitFailure | undefined {
  if (usage.pods + 1 > alloc.pods) return 'pods';
  if (req.cpu > 0 && usage.cpu + req.cpu > alloc.cpu) return 'cpu';
  if (req.memory > 0 && usage.memory + req.memory > alloc.memory) return 'memory';
  return undefined;
}

const FAILURE_TEXT: Record<FitFailure, string> = {
  unschedulable: 'node(s) were unschedulable',
  taint: "node(s) had untolerated taint(s)",
  affinity: "node(s) didn't match Pod's node affinity/selector",
  cpu: 'Insufficient cpu',
  memory: 'Insufficient memory',
  pods: 'Too many pods',
  nodeName: "node(s) didn't match the requested node name",
  notReady: 'node(s) were not ready',
  volumeNodeConflict: 'node(s) had volume node affinity conflict',
};

/** kube-scheduler's FailedScheduling message: "0/4 nodes are available: 1 node(s) were unschedulable, 3 Insufficient cpu." */
export function failedSchedulingMessage(total: number, failures: FitFailure[]): string {
  const counts = new Map<FitFailure, number>();
  for (const f of failures) counts.set(f, (counts.get(f) ?? 0) + 1);
  const parts = [...counts.entries()].map(([f, n]) => `${n} ${FAILURE_TEXT[f]}`).sort();
  return `0/${total} nodes are available: ${parts.join(', ')}. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`;
}

/**
 * Pick the node for a pod among those it fits: fewest pods of the same owner (spreading
 * replicas), then fewest pods overall, then name for determinism.
 */
export function pickNode(pod: Pod, candidates: NodeInfo[]): NodeInfo | undefined {
  const picker = new NodePicker(pod);
  for (const c of candidates) picker.offer(c);
  return picker.best;
}

/**
 * pickNode's order as one decision: does a node beat the best so far? Fewer pods of the pod's
 * owner first (spreading replicas), then fewer pods, then the earlier name (`nameOrder` < 0).
 */
export function beatsBest(siblings: number, pods: number, nameOrder: number, bestSiblings: number, bestPods: number): boolean {
  if (siblings !== bestSiblings) return siblings < bestSiblings;
  if (pods !== bestPods) return pods < bestPods;
  return nameOrder < 0;
}

/** pickNode one candidate at a time, so the scheduler can score while it filters (no list). */
export class NodePicker {
  private readonly owner: string | undefined;
  best: NodeInfo | undefined;
  // The best score so far (no tuple per candidate: this runs for hundreds of nodes per pod).
  private bestSiblings = 0;
  private bestPods = 0;
  private bestName = '';

  constructor(pod: Pod) {
    this.owner = controllerOf(pod)?.uid;
  }

  offer(c: NodeInfo): void {
    const u = infoUsage(c);
    const siblings = this.owner ? u.byOwner.get(this.owner) ?? 0 : 0;
    const name = c.name ?? c.node.metadata.name ?? '';
    if (this.best && !beatsBest(siblings, u.pods, name < this.bestName ? -1 : name > this.bestName ? 1 : 0, this.bestSiblings, this.bestPods)) return;
    this.best = c;
    this.bestSiblings = siblings;
    this.bestPods = u.pods;
    this.bestName = name;
  }
}
