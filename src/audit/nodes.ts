// Nodes and the control plane before maintenance: NotReady nodes (kubeadm's ControlPlaneNodesReady
// for control-plane ones), nodes already cordoned and by whom, and CertificateSigningRequests
// nobody approved. The version skew and static-pod health checks are the upgrade plan's
// (upgrade/rules/cluster.ts, upgrade/preflight.ts); `upkeep audit nodes` runs those too.
import { isNodeReady, isNodeUnschedulable, nodeCondition } from '../api/nodes.js';
import type { CertificateSigningRequest, Node } from '../api/types.js';
import { cordonedByUpkeep } from '../drain/cordon.js';
import { isControlPlaneNode } from '../upgrade/discover.js';
import { jsonObject } from '../util/json.js';
import type { Finding } from './finding.js';
import type { AuditRule, Maintenance } from './rules.js';

function nodeNotReady(node: Node, notReadyControlPlanes: string[], m: Pick<Maintenance, 'operation'>): Finding {
  const name = node.metadata.name ?? '';
  const state = nodeCondition(node, 'Ready')?.status === 'Unknown' ? 'NotReady (its kubelet stopped posting status)' : 'NotReady';
  if (isControlPlaneNode(node)) {
    return {
      severity: 'blocking',
      code: 'NodeNotReady',
      object: `node/${name}`,
      message: `control-plane node ${name} is ${state}: kubeadm upgrade's ControlPlaneNodesReady check fails ("there are NotReady control-planes in the cluster: [${notReadyControlPlanes.join(' ')}]")`,
      fix: `bring ${name} back to Ready (on the node: systemctl status kubelet; journalctl -xeu kubelet) before ${m.operation}`,
    };
  }
  return {
    severity: 'warning',
    code: 'NodeNotReady',
    object: `node/${name}`,
    message: `node ${name} is ${state}: its pods cannot be drained gracefully and its kubelet cannot be upgraded until it is back`,
    fix: `bring ${name} back (systemctl status kubelet on the node), or remove it from the cluster (kubectl delete node ${name}) before ${m.operation}`,
  };
}

/** The field manager that last set spec.unschedulable ("kubectl-cordon"), and when, from the node's managedFields. */
export function unschedulableManager(node: Node): { manager: string; time?: string } | undefined {
  const entry = (node.metadata.managedFields ?? []).find((f) => {
    const spec = jsonObject(jsonObject(f.fieldsV1)?.['f:spec']);
    return spec !== undefined && 'f:unschedulable' in spec;
  });
  return entry?.manager ? { manager: entry.manager, ...(entry.time ? { time: String(entry.time) } : {}) } : undefined;
}

/** Who cordoned a node, as far as the node says: upkeep's record, else the field manager of spec.unschedulable, else nothing. */
function cordonedBy(node: Node): string {
  const r = cordonedByUpkeep(node);
  if (r) return `cordoned by ${r.by} at ${r.at}${r.reason ? ` (${r.reason})` : ''}`;
  const m = unschedulableManager(node);
  if (m) return `cordoned outside upkeep, by field manager ${m.manager}${m.time ? ` at ${m.time}` : ''} (managedFields)`;
  return 'cordoned outside upkeep (kubectl cordon, or a tool; the node keeps no record of who)';
}

/** NotReady nodes and nodes already cordoned (with who cordoned them). */
export function nodeFindings(nodes: readonly Node[], m: Pick<Maintenance, 'operation'> = { operation: 'the upgrade' }): Finding[] {
  const out: Finding[] = [];
  const notReadyControlPlanes = nodes.filter((n) => isControlPlaneNode(n) && !isNodeReady(n)).map((n) => n.metadata.name ?? '');
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    if (!isNodeReady(node)) out.push(nodeNotReady(node, notReadyControlPlanes, m));
    if (isNodeUnschedulable(node)) {
      out.push({
        severity: 'info',
        code: 'NodeCordoned',
        object: `node/${name}`,
        message: `node ${name} is already ${cordonedBy(node)}: an uncordon after ${m.operation} makes it schedulable again`,
        fix: `if ${name} should stay out of service, skip its uncordon (upkeep uncordon only uncordons nodes upkeep cordoned)`,
      });
    }
  }
  return out;
}

/** The rule form of nodeFindings. */
export const nodeHealth: AuditRule = ({ snapshot, maintenance }) => nodeFindings(snapshot.nodes, maintenance);

/** A CSR with neither an Approved nor a Denied condition (certificates.k8s.io/v1). */
export function isPendingCSR(csr: CertificateSigningRequest): boolean {
  return !(csr.status?.conditions ?? []).some((c) => c.type === 'Approved' || c.type === 'Denied');
}

/** CertificateSigningRequests nobody approved: kubelets waiting for serving or client certificates (info). */
export const pendingCSRs: AuditRule = ({ snapshot }) =>
  (snapshot.certificateSigningRequests ?? []).filter(isPendingCSR).map((csr): Finding => {
    const name = csr.metadata.name ?? '';
    return {
      severity: 'info',
      code: 'CertificateSigningRequestPending',
      object: `certificatesigningrequest.certificates.k8s.io/${name}`,
      message: `CertificateSigningRequest ${name} from ${csr.spec.username ?? 'an unknown user'} (${csr.spec.signerName}) is pending: a kubelet waiting for its certificate cannot serve logs and exec, or rejoin after a restart`,
      fix: `check who asked (kubectl describe csr ${name}), then kubectl certificate approve ${name} (or deny)`,
    };
  });
