// What the audit rules read: a snapshot of the cluster's objects, taken once. The rules are pure
// over it; readSnapshot is the only part that talks to the cluster.
import type { KubeObject, Node, Pod, PodDisruptionBudget } from '../api/types.js';
import type { KubeClient, ListOptions, ResourceRef } from '../kube/index.js';
import { WORKLOAD_KINDS } from '../drain/gather.js';
import type { Workload } from '../drain/types.js';

export interface Snapshot {
  nodes: Node[];
  /** Every pod in the cluster. */
  pods: Pod[];
  pdbs: PodDisruptionBudget[];
  /** ReplicaSets, Deployments, StatefulSets, DaemonSets, Jobs, ReplicationControllers. */
  workloads: Workload[];
  /** ms since the epoch (drain's --skip-wait-for-delete-timeout); defaults to now. */
  now?: number;
}

/** Every object of a list, page by page, as the kind the caller lists (the server sends that kind). */
export async function readAll<T extends KubeObject>(client: KubeClient, ref: ResourceRef, options: ListOptions = {}): Promise<T[]> {
  const out: T[] = [];
  for await (const o of client.listAll<T>(ref, { limit: 500, ...options })) out.push(o);
  return out;
}

/** Nodes, pods, budgets and workloads, cluster-wide. */
export async function readSnapshot(client: KubeClient): Promise<Snapshot> {
  const [nodes, pods, pdbs, ...kinds] = await Promise.all([
    readAll<Node>(client, { version: 'v1', resource: 'nodes' }),
    readAll<Pod>(client, { version: 'v1', resource: 'pods' }),
    readAll<PodDisruptionBudget>(client, { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' }),
    ...WORKLOAD_KINDS.map((ref) => readAll<Workload>(client, ref)),
  ]);
  return { nodes, pods, pdbs, workloads: kinds.flat() };
}
