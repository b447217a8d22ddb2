// Read what the impact analysis needs from the cluster: the nodes, their pods, and in those
// pods' namespaces every pod, PodDisruptionBudget and workload (for replica counts elsewhere).
// Thin: lists only; the decisions are analyzeDrain's.
import { podKey } from '../api/pods.js';
import type { KubeObject, Node, Pod, PodDisruptionBudget } from '../api/types.js';
import type { KubeClient, ResourceRef } from '../kube/index.js';
import type { DrainImpactInput } from './impact.js';
import type { DrainOptions, Workload } from './types.js';

/** The workload kinds whose replica counts the impact analysis reads (types.ts's Workload). */
export const WORKLOAD_KINDS: ResourceRef[] = [
  { group: 'apps', version: 'v1', resource: 'replicasets' },
  { group: 'apps', version: 'v1', resource: 'deployments' },
  { group: 'apps', version: 'v1', resource: 'statefulsets' },
  { group: 'apps', version: 'v1', resource: 'daemonsets' },
  { group: 'batch', version: 'v1', resource: 'jobs' },
  { version: 'v1', resource: 'replicationcontrollers' },
];

const PODS = { version: 'v1', resource: 'pods' } as const;

/** Every object of a list, page by page. */
export async function listEvery<T extends KubeObject = KubeObject>(
  client: KubeClient,
  ref: ResourceRef,
  query: { labelSelector?: string; fieldSelector?: string; limit?: number } = {},
): Promise<T[]> {
  const out: T[] = [];
  for await (const o of client.listAll<T>(ref, query)) out.push(o);
  return out;
}

export async function gatherDrainInput(client: KubeClient, nodes: Node[], options: DrainOptions): Promise<DrainImpactInput> {
  const limit = options.chunkSize > 0 ? options.chunkSize : undefined;
  const onNodes: Pod[] = [];
  for (const node of nodes) {
    onNodes.push(...(await listEvery<Pod>(client, PODS, { fieldSelector: `spec.nodeName=${node.metadata.name}`, labelSelector: options.podSelector || undefined, limit })));
  }
  const namespaces = [...new Set(onNodes.map((p) => p.metadata.namespace ?? 'default'))].sort();
  const pods = new Map<string, Pod>(onNodes.map((p) => [p.metadata.uid ?? podKey(p), p]));
  const pdbs: PodDisruptionBudget[] = [];
  const workloads: Workload[] = [];
  await Promise.all(
    namespaces.map(async (namespace) => {
      const [nsPods, nsPdbs, ...kinds] = await Promise.all([
        listEvery<Pod>(client, { ...PODS, namespace }, { limit }),
        listEvery<PodDisruptionBudget>(client, { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespace }),
        ...WORKLOAD_KINDS.map((ref) => listEvery<Workload>(client, { ...ref, namespace }, { limit })),
      ]);
      for (const p of nsPods) pods.set(p.metadata.uid ?? podKey(p), p);
      pdbs.push(...nsPdbs);
      for (const k of kinds) workloads.push(...k);
    }),
  );
  return { nodes, pods: [...pods.values()], pdbs, workloads, options };
}
