// A cluster that looks like Amazon EKS (a sandbox with /version v1.31.4-eks-..., no control-plane
// nodes or static pods, nodes labelled by their node group): upkeep plan refuses to upgrade the
// control plane, names eksctl's and the AWS CLI's command, and plans the workers only up to the
// control plane's version, without kubeadm: a managed node group by the provider's own command
// (it replaces the group's nodes), a self-managed worker by its kubelet packages.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/sandbox/index.js';
import { upkeep } from './helpers/cli.js';
import { type TestSandbox, testSandbox } from './helpers/sandbox.js';

const EKS = parseScenario(
  `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: eks}
spec:
  controlPlane: {version: v1.31.4-eks-a737599}
  nodes:
    - {name: ip-10-0-1-11.ec2.internal, version: v1.30.8-eks-a737599, labels: {eks.amazonaws.com/nodegroup: ng-1, alpha.eksctl.io/cluster-name: shop}}
    - {name: ip-10-0-1-12.ec2.internal, version: v1.31.4-eks-a737599, labels: {eks.amazonaws.com/nodegroup: ng-1, alpha.eksctl.io/cluster-name: shop}}
    - {name: ip-10-0-2-21.ec2.internal, version: v1.30.8-eks-a737599}
`,
  'eks',
);

describe('a managed (EKS-like) control plane', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await testSandbox({ scenario: EKS });
  });
  after(async () => sb?.stop());

  it('plan --to 1.32 is blocked (exit 3) with the provider commands, and moves no kubelet', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'plan', '--to', '1.32']);
    assert.equal(r.code, 3);
    assert.equal(r.err, 'error: the plan has 1 blocking finding: ManagedControlPlane\n');
    assert.ok(
      r.out.includes(
        'The control plane is managed by Amazon EKS: upgrade it with the provider first, one minor at a time:\n\n\teksctl upgrade cluster --name shop --version 1.32 --approve\n\taws eks update-cluster-version --name shop --kubernetes-version 1.32\n\n',
      ),
      r.out,
    );
    assert.doesNotMatch(r.out, /kubeadm upgrade apply/);
    const runbook = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'runbook', 'plan', '--to', '1.32']);
    assert.ok(runbook.out.endsWith('# The control plane is managed by Amazon EKS: upgrade it with the provider first, one minor at a time:\neksctl upgrade cluster --name shop --version 1.32 --approve\naws eks update-cluster-version --name shop --kubernetes-version 1.32\n# then plan again (upkeep plan --to v1.32.13 -o runbook) for the workers.\n'), runbook.out);
  });

  it('plan --to 1.31: the node group is the provider\'s to upgrade, with its command; no kubeadm note', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'plan', '--to', '1.31']);
    assert.equal(r.code, 0, r.err);
    assert.ok(
      r.out.includes(
        "Node groups the provider upgrades (it replaces their nodes; 'upkeep plan -o runbook' says how it drains them):\n\n\tng-1 (Amazon EKS managed node group, 2 nodes): eksctl upgrade nodegroup --cluster shop --name ng-1 --kubernetes-version 1.31\n",
      ),
      r.out,
    );
    assert.doesNotMatch(r.out, /KubeadmDoesNotUpgradeKubelet/);
  });

  it("-o runbook --to 1.31: the node group by the provider's command, the self-managed worker's kubelet by packages, no kubeadm anywhere", async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'runbook', 'plan', '--to', '1.31', '--os', 'ubuntu']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^# Upgrade runbook: v1\.31\.4-eks-a737599 -> v1\.31\.4-eks-a737599 \(Amazon EKS control plane; workers on Debian\/Ubuntu hosts with apt\)\n# Control plane: managed by Amazon EKS \(upkeep does not upgrade it\); workers: ip-10-0-1-11\.ec2\.internal, ip-10-0-1-12\.ec2\.internal, ip-10-0-2-21\.ec2\.internal\n/);
    assert.deepEqual(
      r.out.split('\n').filter((l) => l.startsWith('### ')),
      ['### 1. node group ng-1 (Amazon EKS managed node group: ip-10-0-1-11.ec2.internal, ip-10-0-1-12.ec2.internal)', '### 2. ip-10-0-2-21.ec2.internal (worker: kubelet only; the control plane is managed by Amazon EKS)'],
    );
    const group = r.out.slice(r.out.indexOf('### 1.'), r.out.indexOf('### 2.'));
    assert.ok(group.includes('# behind: ip-10-0-1-11.ec2.internal (v1.30.8-eks-a737599); the provider brings every node of the group to v1.31.4-eks-a737599\n'), group);
    assert.match(group, /^# how: EKS surges new nodes, .* 15 minutes .*PodEvictionFailure/m);
    assert.ok(group.includes('\neksctl upgrade nodegroup --cluster shop --name ng-1 --kubernetes-version 1.31\n# or: aws eks update-nodegroup-version --cluster-name shop --nodegroup-name ng-1 --kubernetes-version 1.31\n'), group);
    assert.ok(group.includes('# Check: kubectl get nodes -l eks.amazonaws.com/nodegroup=ng-1'), group);
    assert.doesNotMatch(group, /apt-get/);
    const selfManaged = r.out.slice(r.out.indexOf('### 2.'));
    assert.ok(selfManaged.includes("sudo apt-get update && sudo apt-get install -y kubelet='1.31.4-*' kubectl='1.31.4-*' && \\\n"), selfManaged);
    assert.doesNotMatch(r.out, /kubeadm (upgrade|version)|kubeadm='/);
    assert.doesNotMatch(r.out, /Kubelets that stay in this hop/, 'ip-10-0-1-12 is replaced with its group');
  });

  it('upgrade apply --to 1.31 --dry-run: a step for the self-managed worker; the node group named with the provider\'s command', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.31', '--dry-run', '--etcd-snapshot', 'none']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.split('\n').filter((l) => /^\s+\d+\. /.test(l)), ['  1. ip-10-0-2-21.ec2.internal (worker): drain, kubelet v1.30.8-eks-a737599 -> v1.31.4-eks-a737599, wait for Ready, uncordon']);
    assert.ok(r.out.includes('Node group ng-1 (Amazon EKS managed node group, 2 nodes) is upgraded by the provider, not by this run: eksctl upgrade nodegroup --cluster shop --name ng-1 --kubernetes-version 1.31\n'), r.out);
    const json = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.31', '--dry-run', '--etcd-snapshot', 'none', '-o', 'json']);
    assert.deepEqual((JSON.parse(json.out) as { nodeGroups: unknown }).nodeGroups, [
      { name: 'ng-1', kind: 'eks-managed', nodes: ['ip-10-0-1-11.ec2.internal', 'ip-10-0-1-12.ec2.internal'], command: 'eksctl upgrade nodegroup --cluster shop --name ng-1 --kubernetes-version 1.31' },
    ]);
  });
});
