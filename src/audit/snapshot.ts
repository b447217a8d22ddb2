// What the audit rules read: a snapshot of the cluster's objects, taken once. The rules are pure
// over it; readSnapshot is the only part that talks to the cluster.
import type { CertificateSigningRequest, KubeObject, Node, Pod, PodDisruptionBudget, Secret, ServiceAccount } from '../api/types.js';
import type { KubeClient, ListOptions, ResourceRef } from '../kube/index.js';
import type { CertificateInfo } from './certs.js';
import type { AccessReviews } from './permissions.js';
import type { ClusterVersions } from '../upgrade/plan.js';
import type { ApiUsage } from '../upgrade/removedapis.js';
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
  /**
   * The pull secrets the pods name (theirs and their ServiceAccounts'), read one by one, when the
   * audit read them; undefined when not read (then no pull-secret rule runs). A name not here is
   * missing, unless it is in unreadableSecrets ("ns/name": the user may not get it).
   */
  secrets?: Secret[];
  unreadableSecrets?: string[];
  /** The pods' ServiceAccounts, when read (their imagePullSecrets apply to pods created from now on). */
  serviceAccounts?: ServiceAccount[];
  /** CertificateSigningRequests, when the cluster serves them and the audit read them. */
  certificateSigningRequests?: CertificateSigningRequest[];
  /** Certificates read for the certificate check (certsource.ts). */
  certificates?: CertificateInfo[];
  /** The nodes a drain report drains together (a pod that fits only these is pinned); undefined: each node on its own. */
  drainedNodes?: string[];
  /** The answers to the operation's SelfSubjectAccessReviews (permissions.ts), when asked. */
  accessReviews?: AccessReviews;
  /** The component versions discovery read (upgrade/discover.ts), for the skew check. */
  cluster?: ClusterVersions;
  /** What the cluster uses of APIs the next minors remove (upgrade/discover.ts's scan), when read. */
  apiUsages?: ApiUsage[];
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
