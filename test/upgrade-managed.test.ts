// A cluster that looks like Amazon EKS (a sandbox with /version v1.31.4-eks-..., no control-plane
// nodes or static pods, nodes labelled by their node group): upkeep plan refuses to upgrade the
// control plane, names eksctl's and the AWS CLI's command, and plans the workers only up to the
// control plane's version, without kubeadm.
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

  it("-o runbook --to 1.31: the lagging worker's kubelet moves to the control plane's version, no kubeadm anywhere", async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'runbook', 'plan', '--to', '1.31', '--os', 'ubuntu']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^# Upgrade runbook: v1\.31\.4-eks-a737599 -> v1\.31\.4-eks-a737599 \(Amazon EKS control plane; workers on Debian\/Ubuntu hosts with apt\)\n# Control plane: managed by Amazon EKS \(upkeep does not upgrade it\); workers: ip-10-0-1-11\.ec2\.internal, ip-10-0-1-12\.ec2\.internal\n/);
    assert.deepEqual([...r.out.matchAll(/^### \d+\. (\S+) \(([^)]*)\)/gm)].map((m) => `${m[1]}: ${m[2]}`), ['ip-10-0-1-11.ec2.internal: worker: kubelet only; the control plane is managed by Amazon EKS']);
    assert.ok(r.out.includes("sudo apt-get update && sudo apt-get install -y kubelet='1.31.4-*' kubectl='1.31.4-*' && \\\n"), r.out);
    assert.doesNotMatch(r.out, /kubeadm (upgrade|version)|kubeadm='/);
  });
});
