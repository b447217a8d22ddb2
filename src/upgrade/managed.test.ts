import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { controlPlaneUpgradeCommands, detectManagedControlPlane, type ManagedEvidence } from './managed.js';
import { clusterVersionsFrom } from './discover.js';
import { planUpgrade } from './plan.js';
import { parseVersion } from './version.js';
import type { Node } from '../api/types.js';

const none: ManagedEvidence = { serverVersion: 'v1.31.4', staticPodControlPlane: false, controlPlaneNodes: 0, nodes: [] };

describe('managed control planes are detected from /version, node labels and providerIDs', () => {
  const table: Array<[string, Partial<ManagedEvidence>, string | undefined]> = [
    ['EKS by its version string', { serverVersion: 'v1.30.4-eks-a737599' }, 'eks /version v1.30.4-eks-a737599'],
    ['GKE by its version string', { serverVersion: 'v1.30.5-gke.1014001' }, 'gke /version v1.30.5-gke.1014001'],
    ['AKS by its node pool label', { nodes: [{ labels: { 'kubernetes.azure.com/agentpool': 'nodepool1' } }] }, 'aks node label kubernetes.azure.com/agentpool'],
    ['GKE by its node pool label', { nodes: [{ labels: { 'cloud.google.com/gke-nodepool': 'default-pool' } }] }, 'gke node label cloud.google.com/gke-nodepool'],
    ['AKS by providerID', { nodes: [{ providerID: 'azure:///subscriptions/x/resourceGroups/mc/providers/Microsoft.Compute/virtualMachineScaleSets/aks/virtualMachines/0' }] }, 'aks node providerID azure://...'],
    ['EKS by providerID', { nodes: [{ providerID: 'aws:///us-east-1a/i-0abc' }] }, 'eks node providerID aws://...'],
    ['kubeadm on EC2 (static pods) is not managed', { serverVersion: 'v1.31.4', staticPodControlPlane: true, nodes: [{ providerID: 'aws:///us-east-1a/i-0abc' }] }, undefined],
    ['kubeadm control-plane nodes are not managed', { serverVersion: 'v1.30.4-eks-a737599', controlPlaneNodes: 1 }, undefined],
    ['no evidence: not managed (another hosted control plane, unknown)', {}, undefined],
  ];
  for (const [name, e, want] of table) {
    it(name, () => {
      const m = detectManagedControlPlane({ ...none, ...e });
      assert.equal(m ? `${m.provider} ${m.evidence}` : undefined, want);
    });
  }
});

describe("the provider's commands for the next minor", () => {
  const to = parseVersion('v1.32.9');
  const table: Array<[string, Parameters<typeof controlPlaneUpgradeCommands>[0], string[]]> = [
    [
      'EKS, the cluster named by eksctl',
      { provider: 'eks', evidence: '', clusterName: 'shop' },
      ['eksctl upgrade cluster --name shop --version 1.32 --approve', 'aws eks update-cluster-version --name shop --kubernetes-version 1.32'],
    ],
    ['GKE', { provider: 'gke', evidence: '' }, ['gcloud container clusters upgrade <cluster> --master --cluster-version 1.32']],
    ['AKS', { provider: 'aks', evidence: '' }, ['az aks upgrade --resource-group <resource-group> --name <cluster> --control-plane-only --kubernetes-version <a 1.32 patch from az aks get-upgrades>']],
  ];
  for (const [name, m, want] of table) it(name, () => assert.deepEqual(controlPlaneUpgradeCommands(m, to), want));
});

function eksNode(name: string, kubelet: string): Node {
  return {
    metadata: { name, labels: { 'eks.amazonaws.com/nodegroup': 'ng-1', 'alpha.eksctl.io/cluster-name': 'shop' } },
    spec: { providerID: `aws:///us-east-1a/${name}` },
    status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: kubelet, osImage: 'Amazon Linux 2023', architecture: 'amd64', bootID: '', containerRuntimeVersion: '', kernelVersion: '', kubeProxyVersion: '', machineID: '', operatingSystem: 'linux', systemUUID: '' } },
  };
}

describe('the plan of a managed cluster', () => {
  const cluster = clusterVersionsFrom({ nodes: [eksNode('w1', 'v1.30.8-eks-a737599'), eksNode('w2', 'v1.31.4-eks-a737599')], controlPlanePods: [], dnsDeployments: [], serverVersion: 'v1.31.4-eks-a737599' });
  const today = new Date('2025-06-01');

  it('refuses a target past the control plane: blocking, the provider command, no hop (no kubelet moves)', () => {
    const plan = planUpgrade(cluster, parseVersion('1.33'), { today });
    assert.equal(plan.hops.length, 0);
    assert.ok(plan.blocking);
    const f = plan.findings.find((x) => x.code === 'ManagedControlPlane');
    assert.deepEqual(f, {
      severity: 'blocking',
      code: 'ManagedControlPlane',
      message: "The control plane is managed by Amazon EKS (/version v1.31.4-eks-a737599): upkeep does not upgrade it (there is no kubeadm and no static pod to move), and the workers' kubelets must not pass its v1.31.",
      fix: 'Upgrade the control plane with the provider one minor at a time (v1.32 first, up to v1.33): eksctl upgrade cluster --name shop --version 1.32 --approve or aws eks update-cluster-version --name shop --kubernetes-version 1.32; then plan again for the workers.',
    });
  });

  it("within the control plane's minor: the workers move to exactly its version, no control-plane rows", () => {
    const plan = planUpgrade(cluster, parseVersion('1.31'), { today });
    assert.equal(plan.blocking, false);
    assert.equal(plan.hops.length, 1);
    assert.deepEqual(plan.hops[0].controlPlane, []);
    assert.deepEqual(plan.hops[0].kubelets.map((r) => `${r.node} ${r.current} -> ${r.target}`), ['w1 v1.30.8-eks-a737599 -> v1.31.4-eks-a737599', 'w2 v1.31.4-eks-a737599 -> v1.31.4-eks-a737599']);
    assert.equal(plan.managed?.provider, 'eks');
  });
});
