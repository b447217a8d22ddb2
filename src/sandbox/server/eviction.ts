// The eviction subresource's decision (kube-apiserver pkg/registry/core/pod/storage/eviction.go),
// as a pure function: given the pod, the budgets in its namespace and the namespace state,
// delete the pod, delete it and charge a budget, or refuse with the Status kube sends.
import { failure } from '../../api/status.js';
import type { Pod, PodDisruptionBudget, Status } from '../../api/types.js';
import { labelSelectorFromObject } from '../../api/labels.js';
import { isPodReady, isPodTerminating, podPhase } from '../../api/pods.js';

export type EvictionDecision =
  | { action: 'delete'; reason: string }
  | { action: 'deleteAndUpdateBudget'; budget: PodDisruptionBudget }
  | { action: 'reject'; status: Status };

export interface EvictionInput {
  pod: Pod;
  /** Every PodDisruptionBudget in the pod's namespace. */
  pdbs: PodDisruptionBudget[];
  namespaceTerminating: boolean;
  /** RFC 3339 time recorded in status.disruptedPods. */
  now: string;
}

/** kube refuses new evictions while this many are unconfirmed by the disruption controller. */
export const MAX_DISRUPTED_PODS = 2000;

export function matchingBudgets(pod: Pod, pdbs: PodDisruptionBudget[]): PodDisruptionBudget[] {
  const labels = pod.metadata.labels ?? {};
  // policy/v1: a null selector matches nothing, an empty one matches every pod in the namespace.
  return pdbs.filter((pdb) => labelSelectorFromObject(pdb.spec?.selector).matches(labels));
}

function tooManyRequests(message: string, causeMessage: string): Status {
  return failure(429, 'TooManyRequests', message, { causes: [{ reason: 'DisruptionBudget', message: causeMessage }] });
}

export function decideEviction(input: EvictionInput): EvictionDecision {
  const { pod, now } = input;
  const phase = podPhase(pod);
  const name = pod.metadata.name ?? '';
  const namespace = pod.metadata.namespace ?? '';

  if (input.namespaceTerminating) {
    // Evictions are creates, refused in a terminating namespace.
    return {
      action: 'reject',
      status: failure(403, 'Forbidden', `pods "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        name,
        kind: 'pods',
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      }),
    };
  }
  // Pods that are not running, or already terminating, cost no budget.
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending') return { action: 'delete', reason: `pod is ${phase}` };
  if (isPodTerminating(pod)) return { action: 'delete', reason: 'pod is already terminating' };

  const budgets = matchingBudgets(pod, input.pdbs);
  if (budgets.length === 0) return { action: 'delete', reason: 'no PodDisruptionBudget selects the pod' };
  if (budgets.length > 1) {
    return {
      action: 'reject',
      // kube-apiserver answers with a plain 500 carrying no reason (kubectl: "Error from server: ...").
      status: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 },
    };
  }
  const pdb = budgets[0];
  const status = pdb.status;
  const currentHealthy = Number(status?.currentHealthy ?? 0);
  const desiredHealthy = Number(status?.desiredHealthy ?? 0);

  if (!isPodReady(pod)) {
    if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return { action: 'delete', reason: 'unhealthy pod and unhealthyPodEvictionPolicy AlwaysAllow' };
    // IfHealthyBudget (the default): an unready pod may go while the budget is healthy.
    if (currentHealthy >= desiredHealthy && desiredHealthy > 0) return { action: 'delete', reason: 'unhealthy pod and the budget is healthy' };
  }

  const pdbName = pdb.metadata.name ?? '';
  const observed = Number(status?.observedGeneration ?? 0);
  if (observed < Number(pdb.metadata.generation ?? 0)) {
    return { action: 'reject', status: tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", `The disruption budget ${pdbName} is still being processed by the server.`) };
  }
  const allowed = Number(status?.disruptionsAllowed ?? 0);
  if (allowed < 0) {
    return { action: 'reject', status: failure(403, 'Forbidden', 'pdb disruptions allowed is negative', { causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdbName} does not allow evicting pods currently: pdb disruptions allowed is negative` }] }) };
  }
  const disrupted = status?.disruptedPods ?? {};
  if (Object.keys(disrupted).length > MAX_DISRUPTED_PODS) {
    return { action: 'reject', status: failure(403, 'Forbidden', 'DisruptedPods map too big - too many evictions not confirmed by PDB controller') };
  }
  if (allowed === 0) {
    return {
      action: 'reject',
      status: tooManyRequests(
        "Cannot evict pod as it would violate the pod's disruption budget.",
        `The disruption budget ${pdbName} needs ${desiredHealthy} healthy pods and has ${currentHealthy} currently`,
      ),
    };
  }
  const budget: PodDisruptionBudget = {
    ...pdb,
    status: { ...status, currentHealthy, desiredHealthy, expectedPods: status?.expectedPods ?? 0, disruptionsAllowed: allowed - 1, disruptedPods: { ...disrupted, [name]: now } },
  };
  return { action: 'deleteAndUpdateBudget', budget };
}
