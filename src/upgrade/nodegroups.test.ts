import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { groupNodes, nodeGroupOf, nodeGroupUpgradeCommands, type NodeGroupRef } from './nodegroups.js';
import type { ManagedControlPlane } from './managed.js';
import { parseVersion } from './version.js';

describe('a node’s group comes from the provider’s label', () => {
  const table: Array<[string, Record<string, string> | undefined, string | undefined]> = [
    ['EKS managed (eksctl labels it too: the managed label wins)', { 'eks.amazonaws.com/nodegroup': 'ng-1', 'alpha.eksctl.io/nodegroup-name': 'ng-1' }, 'eks-managed ng-1'],
    ['eksctl self-managed nodegroup', { 'alpha.eksctl.io/nodegroup-name': 'workers', 'alpha.eksctl.io/cluster-name': 'shop' }, 'eksctl workers'],
    ['GKE node pool', { 'cloud.google.com/gke-nodepool': 'default-pool' }, 'gke-node-pool default-pool'],
    ['AKS node pool', { 'kubernetes.azure.com/agentpool': 'nodepool1', 'kubernetes.azure.com/cluster': 'MC_rg_shop_westeurope' }, 'aks-node-pool nodepool1'],
    ['an empty label names no group', { 'eks.amazonaws.com/nodegroup': '' }, undefined],
    ['a kubeadm node', { 'kubernetes.io/hostname': 'node01' }, undefined],
    ['no labels', undefined, undefined],
  ];
  for (const [story, labels, want] of table) {
    it(story, () => {
      const g = nodeGroupOf(labels);
      assert.equal(g ? `${g.kind} ${g.name}` : undefined, want);
    });
  }
});

describe('nodes are gathered by group', () => {
  it('groups and their nodes sorted by name; nodes in no group apart', () => {
    const ng1: NodeGroupRef = { kind: 'eks-managed', name: 'ng-1' };
    const ng0: NodeGroupRef = { kind: 'eks-managed', name: 'ng-0' };
    const r = groupNodes([
      { name: 'ip-3', nodeGroup: ng1 },
      { name: 'self-2' },
      { name: 'ip-1', nodeGroup: ng1 },
      { name: 'ip-2', nodeGroup: ng0 },
      { name: 'self-1' },
    ]);
    assert.deepEqual(r, {
      groups: [
        { kind: 'eks-managed', name: 'ng-0', nodes: ['ip-2'] },
        { kind: 'eks-managed', name: 'ng-1', nodes: ['ip-1', 'ip-3'] },
      ],
      ungrouped: ['self-1', 'self-2'],
    });
  });
});

describe("the provider's command that brings a group to the control plane's version", () => {
  const eks: ManagedControlPlane = { provider: 'eks', evidence: 'x', clusterName: 'shop' };
  const to = parseVersion('v1.32.4-eks-a737599');
  const table: Array<[string, NodeGroupRef, ManagedControlPlane | undefined, string[]]> = [
    ['EKS managed: eksctl, or the AWS CLI', { kind: 'eks-managed', name: 'ng-1' }, eks, ['eksctl upgrade nodegroup --cluster shop --name ng-1 --kubernetes-version 1.32', 'aws eks update-nodegroup-version --cluster-name shop --nodegroup-name ng-1 --kubernetes-version 1.32']],
    ['eksctl self-managed: a new group, then the old one deleted', { kind: 'eksctl', name: 'workers' }, eks, ["eksctl create nodegroup --cluster shop --name workers-v1-32 --managed=false   # with the old group's settings (its config file)", 'eksctl delete nodegroup --cluster shop --name workers']],
    ['GKE: the pool follows the control plane', { kind: 'gke-node-pool', name: 'default-pool' }, { provider: 'gke', evidence: 'x' }, ['gcloud container clusters upgrade <cluster> --node-pool default-pool']],
    ['AKS: the full version', { kind: 'aks-node-pool', name: 'nodepool1' }, { provider: 'aks', evidence: 'x' }, ['az aks nodepool upgrade --resource-group <resource-group> --cluster-name <cluster> --name nodepool1 --kubernetes-version 1.32.4']],
  ];
  for (const [story, g, m, want] of table) it(story, () => assert.deepEqual(nodeGroupUpgradeCommands(g, m, to), want));
});
