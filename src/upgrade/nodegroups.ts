// Workers of a managed cluster are node groups the provider replaces, not hosts to patch: an EKS
// managed node group, an eksctl (unmanaged) nodegroup, a GKE node pool, an AKS node pool. Each is
// upgraded by the provider's own command, which surges new nodes at the control plane's version,
// drains the old ones with evictions and deletes them (eksctl's own nodegroups are replaced by a
// new group). The node labels are the providers' published ones; the commands and the way each
// provider treats a PodDisruptionBudget that never allows an eviction come from their documentation
// (EKS "managed node update behavior", eksctl "unmanaged nodegroups", GKE "node pool upgrade
// strategies", AKS "upgrade options"). Pure.
import type { ManagedControlPlane } from './managed.js';
import { formatMinor, type Version } from './version.js';

export type NodeGroupKind = 'eks-managed' | 'eksctl' | 'gke-node-pool' | 'aks-node-pool';

export interface NodeGroupRef {
  kind: NodeGroupKind;
  name: string;
}

export interface NodeGroup extends NodeGroupRef {
  /** The group's nodes, by name. */
  nodes: string[];
}

/** The label that names each kind of group. */
export const NODE_GROUP_LABEL: Record<NodeGroupKind, string> = {
  'eks-managed': 'eks.amazonaws.com/nodegroup',
  eksctl: 'alpha.eksctl.io/nodegroup-name',
  'gke-node-pool': 'cloud.google.com/gke-nodepool',
  'aks-node-pool': 'kubernetes.azure.com/agentpool',
};

/** The order labels are read in: an EKS managed group's nodes carry eksctl's label too. */
const KINDS: readonly NodeGroupKind[] = ['eks-managed', 'eksctl', 'gke-node-pool', 'aks-node-pool'];

export const NODE_GROUP_TITLE: Record<NodeGroupKind, string> = {
  'eks-managed': 'Amazon EKS managed node group',
  eksctl: 'eksctl nodegroup (self-managed)',
  'gke-node-pool': 'GKE node pool',
  'aks-node-pool': 'AKS node pool',
};

/**
 * How the provider moves the group's pods, and what a budget that allows no eviction does to it:
 * the fact an admin needs before starting, said once per group.
 */
export const PROVIDER_DRAIN: Record<NodeGroupKind, string> = {
  'eks-managed':
    'EKS surges new nodes, then drains the old ones with evictions (one node at a time unless the group\'s updateConfig says more); a node whose pods cannot be evicted within 15 minutes (a PodDisruptionBudget allowing no disruption) fails the update with PodEvictionFailure, unless it is forced (--force-upgrade), which deletes them anyway',
  eksctl:
    'eksctl nodegroups are replaced, not upgraded: create a new group (at the control plane\'s version by default), then delete the old one, which drains its nodes with evictions; a PodDisruptionBudget allowing no disruption stops the delete unless --disable-eviction, which skips the budgets',
  'gke-node-pool':
    'GKE surges a new node (maxSurge 1, maxUnavailable 0 by default), then drains an old one with evictions; it respects PodDisruptionBudgets for up to one hour per node, then evicts anyway',
  'aks-node-pool':
    'AKS surges new nodes (10% of the pool by default), then drains the old ones with evictions; a node not drained within the drain timeout (30 minutes by default; a PodDisruptionBudget allowing no disruption) fails the upgrade, and the node stays schedulable at its old version',
};

/** The group a node belongs to, from its labels; undefined for a node in no provider's group. */
export function nodeGroupOf(labels: Readonly<Record<string, string>> | undefined): NodeGroupRef | undefined {
  if (!labels) return undefined;
  for (const kind of KINDS) {
    const name = labels[NODE_GROUP_LABEL[kind]];
    if (name) return { kind, name };
  }
  return undefined;
}

/** Nodes gathered by group (groups and their nodes sorted by name), and the nodes in none. */
export function groupNodes(nodes: ReadonlyArray<{ name: string; nodeGroup?: NodeGroupRef }>): { groups: NodeGroup[]; ungrouped: string[] } {
  const groups = new Map<string, NodeGroup>();
  const ungrouped: string[] = [];
  for (const n of nodes) {
    if (!n.nodeGroup) {
      ungrouped.push(n.name);
      continue;
    }
    const key = `${n.nodeGroup.kind}/${n.nodeGroup.name}`;
    const g = groups.get(key) ?? { ...n.nodeGroup, nodes: [] };
    g.nodes.push(n.name);
    groups.set(key, g);
  }
  const sorted = [...groups.values()].sort((a, b) => a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind));
  for (const g of sorted) g.nodes.sort();
  return { groups: sorted, ungrouped: ungrouped.sort() };
}

/**
 * The provider's commands that bring a group to the control plane's version `to` (each provider
 * moves node groups only up to its control plane): the first is the one to run, the others say
 * the same with another tool.
 */
export function nodeGroupUpgradeCommands(g: NodeGroupRef, m: ManagedControlPlane | undefined, to: Version): string[] {
  const cluster = m?.clusterName ?? '<cluster>';
  const minor = formatMinor(to).replace(/^v/, '');
  switch (g.kind) {
    case 'eks-managed':
      return [`eksctl upgrade nodegroup --cluster ${cluster} --name ${g.name} --kubernetes-version ${minor}`, `aws eks update-nodegroup-version --cluster-name ${cluster} --nodegroup-name ${g.name} --kubernetes-version ${minor}`];
    case 'eksctl':
      return [`eksctl create nodegroup --cluster ${cluster} --name ${g.name}-v${minor.replace('.', '-')} --managed=false   # with the old group's settings (its config file)`, `eksctl delete nodegroup --cluster ${cluster} --name ${g.name}`];
    case 'gke-node-pool':
      // Without --cluster-version, gcloud moves the pool to the control plane's version.
      return [`gcloud container clusters upgrade ${cluster} --node-pool ${g.name}`];
    case 'aks-node-pool':
      return [`az aks nodepool upgrade --resource-group <resource-group> --cluster-name ${cluster} --name ${g.name} --kubernetes-version ${to.major}.${to.minor}.${to.patch}`];
  }
}
