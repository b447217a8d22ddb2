// Availability beyond one drain's impact (drains.ts has those): budgets that select nothing,
// workloads with several replicas and no budget, replicas all in one zone, and pods pinned to
// one node, which cannot move when it drains.
import { hasNodeConstraints, matchesNodeAffinity } from '../api/affinity.js';
import { labelSelectorFromObject } from '../api/labels.js';
import { isDaemonSetPod, isMirrorPod, isPodReady, podNodeName } from '../api/pods.js';
import type { Deployment, Node, Pod, PodDisruptionBudget, StatefulSet } from '../api/types.js';
import type { Workload } from '../drain/types.js';
import { type Finding, objectName } from './finding.js';
import { imageOwner } from './images.js';
import type { AuditRule } from './rules.js';

/** The label nodes carry their zone in (well-known labels). */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

function selects(pdb: PodDisruptionBudget, pod: Pod): boolean {
  if (pod.metadata.namespace !== pdb.metadata.namespace) return false;
  try {
    return labelSelectorFromObject(pdb.spec?.selector).matches(pod.metadata.labels ?? {});
  } catch {
    return false; // an invalid selector selects nothing, as the disruption controller treats it
  }
}

/** PodDisruptionBudgets whose selector matches no pod: they protect nothing (often a typo in a label). */
export const budgetsSelectingNothing: AuditRule = ({ snapshot }) =>
  snapshot.pdbs
    .filter((b) => !snapshot.pods.some((p) => selects(b, p)))
    .map((b): Finding => {
      const ns = b.metadata.namespace ?? '';
      const name = b.metadata.name ?? '';
      return {
        severity: 'warning',
        code: 'PDBSelectsNothing',
        object: objectName('PodDisruptionBudget', ns, name),
        message: `PodDisruptionBudget ${ns}/${name} selects no pod in ${ns}: whatever it was meant to protect, a drain evicts without limit`,
        fix: `match its selector to the workload's pod labels (kubectl get pods -n ${ns} --show-labels), or delete it`,
      };
    });

/** The pods of a Deployment or StatefulSet (through its ReplicaSets for a Deployment). */
function podsOf(w: Workload, pods: readonly Pod[], index: ReadonlyMap<string, Workload>): Pod[] {
  return pods.filter((p) => {
    if (p.metadata.namespace !== w.metadata.namespace) return false;
    const o = imageOwner(p, index);
    return o.kind === w.kind && o.name === w.metadata.name;
  });
}

function workloadIndex(workloads: readonly Workload[]): Map<string, Workload> {
  return new Map(workloads.map((w) => [`${w.kind}/${w.metadata.namespace ?? ''}/${w.metadata.name ?? ''}`, w]));
}

type Replicated = (Deployment | StatefulSet) & { kind: 'Deployment' | 'StatefulSet' };

function isReplicated(w: Workload): w is Replicated {
  return w.kind === 'Deployment' || w.kind === 'StatefulSet';
}

/** Deployments and StatefulSets that want several replicas, with their pods. */
function replicated(snapshot: { workloads: readonly Workload[]; pods: readonly Pod[] }): Array<{ w: Replicated; pods: Pod[] }> {
  const index = workloadIndex(snapshot.workloads);
  return snapshot.workloads
    .filter(isReplicated)
    .filter((w) => (w.spec?.replicas ?? 1) >= 2)
    .map((w) => ({ w, pods: podsOf(w, snapshot.pods, index) }))
    .sort((a, b) => (a.w.metadata.namespace ?? '').localeCompare(b.w.metadata.namespace ?? '') || (a.w.metadata.name ?? '').localeCompare(b.w.metadata.name ?? ''));
}

/** Workloads with 2 or more replicas and no budget: a drain of several nodes at once may take them all (info). */
export const workloadsWithoutBudget: AuditRule = ({ snapshot }) =>
  replicated(snapshot)
    .filter(({ pods }) => pods.length > 0 && !pods.some((p) => snapshot.pdbs.some((b) => selects(b, p))))
    .map(({ w }): Finding => {
      const ns = w.metadata.namespace ?? '';
      const name = w.metadata.name ?? '';
      const object = objectName(w.kind, ns, name);
      return {
        severity: 'info',
        code: 'NoPodDisruptionBudget',
        object,
        message: `${object} has ${w.spec?.replicas} replicas and no PodDisruptionBudget: drains (and upkeep drain --max-unavailable above 1) may evict them all at once`,
        fix: `kubectl create poddisruptionbudget ${name} -n ${ns} --selector=${selectorText(w)} --max-unavailable=1`,
      };
    });

function selectorText(w: Replicated): string {
  const labels = w.spec?.selector?.matchLabels ?? {};
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',') || 'KEY=VALUE';
}

/** Replicated workloads whose ready pods all sit in one zone, when the nodes span several. */
export const workloadsInOneZone: AuditRule = ({ snapshot }) => {
  const zoneOf = new Map(snapshot.nodes.map((n) => [n.metadata.name ?? '', n.metadata.labels?.[ZONE_LABEL]]));
  const zones = new Set([...zoneOf.values()].filter(Boolean));
  if (zones.size < 2) return [];
  const out: Finding[] = [];
  for (const { w, pods } of replicated(snapshot)) {
    const ready = pods.filter(isPodReady);
    const used = new Set(ready.map((p) => zoneOf.get(podNodeName(p) ?? '')));
    if (ready.length < 2 || used.size !== 1) continue;
    const zone = [...used][0] ?? '(no zone)';
    const object = objectName(w.kind, w.metadata.namespace, w.metadata.name ?? '');
    out.push({
      severity: 'warning',
      code: 'WorkloadInOneZone',
      object,
      message: `all ${ready.length} ready replicas of ${object} run in zone ${zone}: maintenance of that zone takes it down`,
      fix: `spread it with topologySpreadConstraints on ${ZONE_LABEL} (maxSkew: 1) and let it reschedule (kubectl rollout restart ${w.kind.toLowerCase()}/${w.metadata.name} -n ${w.metadata.namespace})`,
    });
  }
  return out;
};

/**
 * Where a pod can run, when that is too few places: the nodes whose labels satisfy its
 * nodeSelector and required node affinity (the scheduler's NodeAffinity filter, api/affinity.ts).
 * Pinned when exactly one node does, when every node that does is drained (the drain report's
 * nodes), or when none does any more (labels changed after it was scheduled: required affinity is
 * IgnoredDuringExecution). Undefined: not pinned, no constraint, or a cluster of one node.
 */
export function pinnedTo(pod: Pod, nodes: readonly Node[], drained?: ReadonlySet<string>): { nodes: string[] } | undefined {
  if (!hasNodeConstraints(pod.spec) || nodes.length < 2) return undefined;
  const fits = nodes.filter((n) => matchesNodeAffinity(pod.spec, n)).map((n) => n.metadata.name ?? '');
  if (fits.length === 0) return podNodeName(pod) ? { nodes: [] } : undefined;
  if (fits.length === 1 || (drained && fits.every((n) => drained.has(n)))) return { nodes: fits };
  return undefined;
}

function pinnedFinding(object: string, where: string[], pod: Pod, nodeDone: string): Finding {
  if (!where.length) {
    const own = podNodeName(pod) ?? '';
    return {
      severity: 'warning',
      code: 'PodPinnedToNode',
      object,
      message: `no node satisfies the nodeSelector or required node affinity of ${object} any more (node labels changed after its pods were scheduled): a pod evicted from ${own} stays Pending`,
      fix: `correct the node labels or the pod template's constraints before the maintenance (kubectl get nodes --show-labels)`,
    };
  }
  const list = where.join(', ');
  const [node] = where;
  return {
    severity: 'warning',
    code: 'PodPinnedToNode',
    object,
    message:
      where.length === 1
        ? `${object} can only run on ${node} (nodeSelector or required node affinity): draining ${node} leaves its pods Pending until ${node} is ${nodeDone}`
        : `${object} can only run on ${list}, all of them drained (nodeSelector or required node affinity): its pods stay Pending until one is ${nodeDone}`,
    fix: `let it run on other nodes (a label several nodes carry, or no nodeSelector), or plan its outage for ${list}'s maintenance`,
  };
}

/** Pods (by owner) that can run on one node only, or only on drained ones: draining leaves them Pending. DaemonSet pods are meant to be. */
export const pinnedPods: AuditRule = ({ snapshot, maintenance }) => {
  const index = workloadIndex(snapshot.workloads);
  const drained = snapshot.drainedNodes ? new Set(snapshot.drainedNodes) : undefined;
  const seen = new Map<string, Finding>();
  for (const pod of snapshot.pods) {
    if (isMirrorPod(pod) || isDaemonSetPod(pod)) continue;
    const pinned = pinnedTo(pod, snapshot.nodes, drained);
    if (!pinned) continue;
    const o = imageOwner(pod, index);
    const object = objectName(o.kind, o.namespace, o.name);
    if (!seen.has(object)) seen.set(object, pinnedFinding(object, pinned.nodes, pod, maintenance.nodeDone));
  }
  return [...seen.values()];
};
