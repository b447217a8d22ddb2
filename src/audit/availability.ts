// Availability beyond one drain's impact (drains.ts has those): budgets that select nothing,
// workloads with several replicas and no budget, replicas all in one zone, and pods pinned to
// one node, which cannot move when it drains.
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

/** The one node a pod may run on, when its nodeSelector or required node affinity allows only one; undefined otherwise. */
export function pinnedTo(pod: Pod, nodes: readonly Node[]): string | undefined {
  const selector = pod.spec?.nodeSelector ?? {};
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  // A term that names exactly one node (by metadata.name or kubernetes.io/hostname, operator In).
  const named = terms.map((t) =>
    [...(t.matchFields ?? []), ...(t.matchExpressions ?? [])].find((e) => (e.key === 'metadata.name' || e.key === 'kubernetes.io/hostname') && e.operator === 'In' && e.values?.length === 1)?.values?.[0],
  );
  if (terms.length > 0 && named.every((n) => n !== undefined) && new Set(named).size === 1) return named[0];
  if (!Object.keys(selector).length) return undefined;
  const fits = nodes.filter((n) => Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v || (k === 'kubernetes.io/hostname' && n.metadata.name === v)));
  return nodes.length > 1 && fits.length === 1 ? fits[0].metadata.name : undefined;
}

/** Pods (by owner) that can run on one node only: draining it leaves them Pending until it is back. DaemonSet pods are meant to be. */
export const pinnedPods: AuditRule = ({ snapshot, maintenance }) => {
  const index = workloadIndex(snapshot.workloads);
  const seen = new Map<string, Finding>();
  for (const pod of snapshot.pods) {
    if (isMirrorPod(pod) || isDaemonSetPod(pod)) continue;
    const node = pinnedTo(pod, snapshot.nodes);
    if (!node) continue;
    const o = imageOwner(pod, index);
    const object = objectName(o.kind, o.namespace, o.name);
    if (seen.has(object)) continue;
    seen.set(object, {
      severity: 'warning',
      code: 'PodPinnedToNode',
      object,
      message: `${object} can only run on ${node} (nodeSelector or required node affinity): draining ${node} leaves its pods Pending until ${node} is ${maintenance.nodeDone}`,
      fix: `let it run on other nodes (a label several nodes carry, or no nodeSelector), or plan its outage for ${node}'s maintenance`,
    });
  }
  return [...seen.values()];
};
