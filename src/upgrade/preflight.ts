// Upgrade preflight: what would stop or hurt the upgrade before any step runs. kubeadm's own
// health checks (NotReady control-plane nodes, an unhealthy static-pod control plane), and the
// audit of the maintenance (src/audit): per node, what the runbook's `kubectl drain NODE
// --ignore-daemonsets` would do there (refused nodes, budgets that never allow an eviction,
// workloads that go down, bare pods that are lost), plus images a rollback could not return to
// (:latest or no tag). preflightFindings is pure over a snapshot; preflight reads it and calls it.
import { isNodeReady, isNodeUnschedulable, nodeCondition } from '../api/nodes.js';
import { isPodReady, podNodeName, podPhase } from '../api/pods.js';
import type { Node, Pod } from '../api/types.js';
import { bySeverity, objectName } from '../audit/finding.js';
import { type Maintenance, audit } from '../audit/rules.js';
import { type Snapshot, readSnapshot } from '../audit/snapshot.js';
import { drainOptions } from '../drain/types.js';
import type { KubeClient } from '../kube/index.js';
import { controlPlaneComponent, isControlPlaneNode } from './discover.js';
import type { Finding } from './plan.js';

export type PreflightSnapshot = Snapshot;

const STATIC_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/** The runbook drains with the Kubernetes docs' command, kubectl drain NODE --ignore-daemonsets, and upgrades each node. */
export const RUNBOOK_MAINTENANCE: Maintenance = {
  operation: 'the upgrade',
  nodeDone: 'upgraded',
  drain: { options: drainOptions({ ignoreDaemonSets: true }), flags: ['--ignore-daemonsets'], name: "the runbook's drain" },
};

// ---------------------------------------------------------------------------------------------
// kubeadm's cluster health: nodes and the control plane
// ---------------------------------------------------------------------------------------------

function nodeNotReady(node: Node, notReadyControlPlanes: string[]): Finding {
  const name = node.metadata.name ?? '';
  const state = nodeCondition(node, 'Ready')?.status === 'Unknown' ? 'NotReady (its kubelet stopped posting status)' : 'NotReady';
  if (isControlPlaneNode(node)) {
    return {
      severity: 'blocking',
      code: 'NodeNotReady',
      object: `node/${name}`,
      message: `control-plane node ${name} is ${state}: kubeadm upgrade's ControlPlaneNodesReady check fails ("there are NotReady control-planes in the cluster: [${notReadyControlPlanes.join(' ')}]")`,
      fix: `bring ${name} back to Ready (on the node: systemctl status kubelet; journalctl -xeu kubelet) before upgrading`,
    };
  }
  return {
    severity: 'warning',
    code: 'NodeNotReady',
    object: `node/${name}`,
    message: `node ${name} is ${state}: its pods cannot be drained gracefully and its kubelet cannot be upgraded until it is back`,
    fix: `bring ${name} back (systemctl status kubelet on the node), or remove it from the cluster (kubectl delete node ${name}) before the upgrade`,
  };
}

/** NotReady nodes (kubeadm's ControlPlaneNodesReady for control-plane ones) and nodes already cordoned. */
export function nodeFindings(nodes: readonly Node[]): Finding[] {
  const out: Finding[] = [];
  const notReadyControlPlanes = nodes.filter((n) => isControlPlaneNode(n) && !isNodeReady(n)).map((n) => n.metadata.name ?? '');
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    if (!isNodeReady(node)) out.push(nodeNotReady(node, notReadyControlPlanes));
    if (isNodeUnschedulable(node)) {
      out.push({
        severity: 'info',
        code: 'NodeCordoned',
        object: `node/${name}`,
        message: `node ${name} is already cordoned: the runbook's uncordon after its upgrade makes it schedulable again`,
        fix: `if ${name} should stay out of service, skip its uncordon step (upkeep uncordon only uncordons nodes upkeep cordoned)`,
      });
    }
  }
  return out;
}

/** The static-pod control plane kubeadm upgrades: every component Running and Ready, each control-plane node with its three. */
export function controlPlaneFindings(nodes: readonly Node[], pods: readonly Pod[]): Finding[] {
  const staticPods = pods.filter((p) => p.metadata.namespace === 'kube-system' && controlPlaneComponent(p));
  if (!staticPods.some((p) => controlPlaneComponent(p) === 'kube-apiserver')) {
    return [
      {
        severity: 'info',
        code: 'NoStaticPodControlPlane',
        message: 'no kube-apiserver static pod in kube-system: the control plane is not run by kubeadm here (a managed or hosted control plane); versions come from /version',
        fix: "upgrade the control plane with its provider's tooling; the runbook's kubeadm steps apply to kubeadm clusters only",
      },
    ];
  }
  const out: Finding[] = [];
  for (const pod of staticPods) {
    const component = controlPlaneComponent(pod) ?? '';
    const node = podNodeName(pod) ?? '';
    const phase = podPhase(pod) ?? 'Unknown';
    if (phase === 'Running' && isPodReady(pod)) continue;
    out.push({
      severity: 'blocking',
      code: 'ControlPlanePodNotReady',
      object: objectName('Pod', 'kube-system', pod.metadata.name ?? ''),
      message: `${component} on ${node} is ${phase}${phase === 'Running' ? ' but not Ready' : ''}: kubeadm upgrade refuses an unhealthy control plane, and a component that is down now will not come back by upgrading`,
      fix: `kubectl -n kube-system describe pod ${pod.metadata.name}; on ${node}: sudo crictl ps -a --name ${component} and journalctl -xeu kubelet; fix it before upgrading`,
    });
  }
  for (const node of nodes.filter(isControlPlaneNode)) {
    const name = node.metadata.name ?? '';
    const missing = STATIC_COMPONENTS.filter((c) => !staticPods.some((p) => controlPlaneComponent(p) === c && (podNodeName(p) ?? '') === name));
    if (!missing.length) continue;
    out.push({
      severity: 'warning',
      code: 'ControlPlanePodMissing',
      object: `node/${name}`,
      message: `control-plane node ${name} has no ${missing.join(', ')} static pod: kubeadm upgrade expects their manifests in /etc/kubernetes/manifests (its StaticPodManifest check)`,
      fix: `check /etc/kubernetes/manifests on ${name} and the kubelet's staticPodPath; a node that is not a kubeadm control plane should not carry the control-plane role label`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** Every preflight finding, blocking first. Pure. */
export function preflightFindings(s: PreflightSnapshot): Finding[] {
  return bySeverity([...nodeFindings(s.nodes), ...controlPlaneFindings(s.nodes, s.pods), ...audit(s, RUNBOOK_MAINTENANCE)]);
}

/** Read what preflight looks at: nodes, pods, budgets and workloads, cluster-wide. */
export const gatherPreflight: (client: KubeClient) => Promise<PreflightSnapshot> = readSnapshot;

export async function preflight(client: KubeClient): Promise<Finding[]> {
  return preflightFindings(await gatherPreflight(client));
}
