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

export interface NodeInfo {
  node: Node;
  /** Pods bound to the node and not finished. */
  pods: Pod[];
  /** Sum of the requests of `pods` (kept by the caller to avoid re-adding them per decision). */
  requested?: { cpu: number; memory: number };
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
  const node = info.node;
  const tolerations = pod.spec?.tolerations;
  if (node.spec?.unschedulable && !tolerates(tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return 'unschedulable';
  const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  if (taints.some((t) => !tolerates(tolerations, t))) return 'taint';
  if (!isNodeReady(node) && !tolerates(tolerations, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' })) return 'notReady';
  if (!matchesNodeAffinity(pod.spec, node)) return 'affinity';
  const alloc = node.status?.allocatable ?? {};
  const maxPods = parseQuantity(alloc.pods ?? '110');
  if (info.pods.length + 1 > maxPods) return 'pods';
  const req = podRequests(pod);
  if (req.cpu > 0 || req.memory > 0) {
    let cpu = info.requested?.cpu ?? 0;
    let memory = info.requested?.memory ?? 0;
    if (!info.requested) {
      for (const p of info.pods) {
        const r = podRequests(p);
        cpu += r.cpu;
        memory += r.memory;
      }
    }
    if (req.cpu > 0 && cpu + req.cpu > parseQuantity(alloc.cpu ?? '0')) return 'cpu';
    if (req.memory > 0 && memory + req.memory > parseQuantity(alloc.memory ?? '0')) return 'memory';
  }
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
  const owner = controllerOf(pod)?.uid;
  let best: NodeInfo | undefined;
  let bestScore: [number, number, string] | undefined;
  for (const c of candidates) {
    const same = owner ? c.pods.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === owner)).length : 0;
    const score: [number, number, string] = [same, c.pods.length, c.node.metadata.name ?? ''];
    if (!bestScore || score[0] < bestScore[0] || (score[0] === bestScore[0] && (score[1] < bestScore[1] || (score[1] === bestScore[1] && score[2] < bestScore[2])))) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
