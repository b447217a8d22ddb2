// Upgrade preflight: what would stop or hurt the upgrade before any step runs. kubeadm's own
// health checks (NotReady control-plane nodes, an unhealthy static-pod control plane), and the
// audit of the maintenance (src/audit): per node, what the runbook's `kubectl drain NODE
// --ignore-daemonsets` would do there (refused nodes, budgets that never allow an eviction,
// workloads that go down, bare pods that are lost), plus images a rollback could not return to
// (:latest or no tag). preflightFindings is pure over a snapshot; preflight reads it and calls it.
import { isPodReady, podNodeName, podPhase } from '../api/pods.js';
import type { Node, Pod } from '../api/types.js';
import { nodeFindings } from '../audit/nodes.js';
import { bySeverity, objectName } from '../audit/finding.js';
import { type Maintenance, audit } from '../audit/rules.js';
import { type Snapshot, readSnapshot } from '../audit/snapshot.js';
import { MAINTENANCES } from '../audit/maintenance.js';
import type { KubeClient } from '../kube/index.js';
import { controlPlaneComponent, isControlPlaneNode } from './discover.js';
import type { Finding } from './plan.js';

export type PreflightSnapshot = Snapshot;

const STATIC_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/** The runbook drains with the Kubernetes docs' command, kubectl drain NODE --ignore-daemonsets, and upgrades each node. */
export const RUNBOOK_MAINTENANCE: Maintenance = MAINTENANCES.upgrade;

// ---------------------------------------------------------------------------------------------
// kubeadm's cluster health: nodes (audit/nodes.ts) and the control plane
// ---------------------------------------------------------------------------------------------

export { nodeFindings };

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
  return bySeverity([...nodeFindings(s.nodes, RUNBOOK_MAINTENANCE), ...controlPlaneFindings(s.nodes, s.pods), ...audit(s, RUNBOOK_MAINTENANCE)]);
}

/** Read what preflight looks at: nodes, pods, budgets and workloads, cluster-wide. */
export const gatherPreflight: (client: KubeClient) => Promise<PreflightSnapshot> = readSnapshot;

export async function preflight(client: KubeClient): Promise<Finding[]> {
  return preflightFindings(await gatherPreflight(client));
}
