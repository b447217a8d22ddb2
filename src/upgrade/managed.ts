// Managed control planes (Amazon EKS, Google GKE, Azure AKS): the provider runs the API server,
// so there are no control-plane static pods and no control-plane nodes, and only the provider's
// own command upgrades the control plane. upkeep upgrades the workers only, never past the
// control plane's minor. Evidence, as the providers publish it: /version's gitVersion
// (v1.30.4-eks-a737599, v1.30.5-gke.1014001), the nodes' spec.providerID (aws://, gce://,
// azure://) and the labels the providers put on their nodes (eks.amazonaws.com/nodegroup,
// cloud.google.com/gke-nodepool, kubernetes.azure.com/agentpool). Pure.
import { formatMinor, type Version } from './version.js';

export type ManagedProvider = 'eks' | 'gke' | 'aks';

export interface ManagedControlPlane {
  provider: ManagedProvider;
  /** What gave it away, for the finding: "/version v1.30.4-eks-a737599", "node label eks.amazonaws.com/nodegroup". */
  evidence: string;
  /** The cluster's name when a node label says it (eksctl's alpha.eksctl.io/cluster-name). */
  clusterName?: string;
}

export const PROVIDER_NAME: Record<ManagedProvider, string> = { eks: 'Amazon EKS', gke: 'Google GKE', aks: 'Azure AKS' };

export interface ManagedEvidence {
  serverVersion: string;
  /** kubeadm's control-plane static pods (kube-apiserver mirror pods) were found. */
  staticPodControlPlane: boolean;
  /** Nodes labelled node-role.kubernetes.io/control-plane (or master). */
  controlPlaneNodes: number;
  nodes: ReadonlyArray<{ labels?: Record<string, string>; providerID?: string }>;
}

const VERSION_SUFFIX: ReadonlyArray<[RegExp, ManagedProvider]> = [
  [/-eks-/, 'eks'],
  [/-gke\.\d+/, 'gke'],
];

const NODE_LABELS: ReadonlyArray<[string, ManagedProvider]> = [
  ['eks.amazonaws.com/nodegroup', 'eks'],
  ['alpha.eksctl.io/cluster-name', 'eks'],
  ['cloud.google.com/gke-nodepool', 'gke'],
  ['kubernetes.azure.com/agentpool', 'aks'],
  ['kubernetes.azure.com/cluster', 'aks'],
];

const PROVIDER_IDS: ReadonlyArray<[string, ManagedProvider]> = [
  ['aws://', 'eks'],
  ['gce://', 'gke'],
  ['azure://', 'aks'],
];

function fromNodes(nodes: ManagedEvidence['nodes']): ManagedControlPlane | undefined {
  for (const n of nodes) {
    const label = NODE_LABELS.find(([l]) => n.labels && l in n.labels);
    if (label) return { provider: label[1], evidence: `node label ${label[0]}` };
  }
  for (const n of nodes) {
    const id = PROVIDER_IDS.find(([prefix]) => n.providerID?.startsWith(prefix));
    if (id) return { provider: id[1], evidence: `node providerID ${id[0]}...` };
  }
  return undefined;
}

/**
 * The managed control plane the cluster shows, if any. A kubeadm control plane (static pods or
 * control-plane nodes) is never managed, whatever cloud its machines run in.
 */
export function detectManagedControlPlane(e: ManagedEvidence): ManagedControlPlane | undefined {
  if (e.staticPodControlPlane || e.controlPlaneNodes > 0) return undefined;
  const suffix = VERSION_SUFFIX.find(([re]) => re.test(e.serverVersion));
  const found = suffix ? { provider: suffix[1], evidence: `/version ${e.serverVersion}` } : fromNodes(e.nodes);
  if (!found) return undefined;
  const clusterName = e.nodes.map((n) => n.labels?.['alpha.eksctl.io/cluster-name']).find(Boolean);
  return found.provider === 'eks' && clusterName ? { ...found, clusterName } : found;
}

/** The provider's commands that upgrade its control plane to `to`'s minor (the docs of eksctl, the AWS, gcloud and az CLIs). */
export function controlPlaneUpgradeCommands(m: ManagedControlPlane, to: Version): string[] {
  const minor = formatMinor(to).replace(/^v/, '');
  const cluster = m.clusterName ?? '<cluster>';
  switch (m.provider) {
    case 'eks':
      return [`eksctl upgrade cluster --name ${cluster} --version ${minor} --approve`, `aws eks update-cluster-version --name ${cluster} --kubernetes-version ${minor}`];
    case 'gke':
      return [`gcloud container clusters upgrade ${cluster} --master --cluster-version ${minor}`];
    case 'aks':
      return [`az aks upgrade --resource-group <resource-group> --name ${cluster} --control-plane-only --kubernetes-version <a ${minor} patch from az aks get-upgrades>`];
  }
}
