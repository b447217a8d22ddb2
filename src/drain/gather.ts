// Read what the impact analysis needs from the cluster: the nodes, their pods, and in those
// pods' namespaces every pod, PodDisruptionBudget and workload (for replica counts elsewhere).
// Thin: lists only; the decisions are analyzeDrain's.
import type { KubeObject } from '../api/types.js';
import type { KubeClient, ResourceRef } from '../kube/index.js';
import type { DrainImpactInput } from './impact.js';
import type { DrainOptions } from './types.js';

/** The workload kinds whose replica counts the impact analysis reads. */
export const WORKLOAD_KINDS: ResourceRef[] = [
  { group: 'apps', version: 'v1', resource: 'replicasets' },
  { group: 'apps', version: 'v1', resource: 'deployments' },
  { group: 'apps', version: 'v1', resource: 'statefulsets' },
  { group: 'apps', version: 'v1', resource: 'daemonsets' },
  { group: 'batch', version: 'v1', resource: 'jobs' },
  { version: 'v1', resource: 'replicationcontrollers' },
];

/** Every object of a list, page by page. */
export async function listEvery(client: KubeClient, ref: ResourceRef, query: { labelSelector?: string; fieldSelector?: string; limit?: number } = {}): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for await (const o of client.listAll(ref, query)) out.push(o);
  return out;
}

export async function gatherDrainInput(client: KubeClient, nodes: KubeObject[], options: DrainOptions): Promise<DrainImpactInput> {
  const limit = options.chunkSize > 0 ? options.chunkSize : undefined;
  const onNodes: KubeObject[] = [];
  for (const node of nodes) {
    onNodes.push(...(await listEvery(client, { version: 'v1', resource: 'pods' }, { fieldSelector: `spec.nodeName=${node.metadata.name}`, labelSelector: options.podSelector || undefined, limit })));
  }
  const namespaces = [...new Set(onNodes.map((p) => p.metadata.namespace ?? 'default'))].sort();
  const pods = new Map<string, KubeObject>(onNodes.map((p) => [p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`, p]));
  const pdbs: KubeObject[] = [];
  const workloads: KubeObject[] = [];
  await Promise.all(
    namespaces.map(async (namespace) => {
      const [nsPods, nsPdbs, ...kinds] = await Promise.all([
        listEvery(client, { version: 'v1', resource: 'pods', namespace }, { limit }),
        listEvery(client, { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespace }),
        ...WORKLOAD_KINDS.map((ref) => listEvery(client, { ...ref, namespace }, { limit })),
      ]);
      for (const p of nsPods) pods.set(p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`, p);
      pdbs.push(...nsPdbs);
      for (const k of kinds) workloads.push(...k);
    }),
  );
  return { nodes, pods: [...pods.values()], pdbs, workloads, options };
}
