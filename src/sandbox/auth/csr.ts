// CertificateSigningRequests as kube-apiserver's registry treats them (pkg/registry/certificates):
// the requestor's identity is written into spec on create, the /approval subresource changes
// only the Approved/Denied conditions, and which signers the sandbox's CA signs for
// (kube-controller-manager's csrsigning controller with kubeadm's --cluster-signing-* flags).
import type { KubeObject } from '../../api/types.js';
import { isJsonObject } from '../server/json.js';
import type { UserInfo } from './attributes.js';

export const SIGNERS = ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving'];
/** kube-controller-manager's --cluster-signing-duration default (8760h). */
export const DEFAULT_SIGNING_SECONDS = 365 * 24 * 3600;

/** The create body with spec.username/uid/groups/extra set to the caller, whatever the client sent. */
export function withRequestor(body: unknown, user: UserInfo): unknown {
  if (!isJsonObject(body)) return body;
  const spec = isJsonObject(body.spec) ? { ...body.spec } : {};
  spec.username = user.name;
  if (user.uid) spec.uid = user.uid;
  else delete spec.uid;
  spec.groups = user.groups;
  if (user.extra) spec.extra = user.extra;
  else delete spec.extra;
  return { ...body, spec };
}

/** PUT .../approval: the stored object with the incoming Approved/Denied conditions (others kept). */
export function approvalUpdate(current: KubeObject, incoming: KubeObject): KubeObject {
  const status = isJsonObject(current.status) ? current.status : {};
  const kept = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) => !isDecision(c));
  const given = isJsonObject(incoming.status) && Array.isArray(incoming.status.conditions) ? incoming.status.conditions.filter(isDecision) : [];
  return { ...current, status: { ...status, conditions: [...given, ...kept] } };
}

function isDecision(c: unknown): boolean {
  return isJsonObject(c) && (c.type === 'Approved' || c.type === 'Denied');
}

export interface SigningDecision {
  sign: boolean;
  /** Set when the request is refused: a Failed condition's reason and message. */
  failed?: { reason: string; message: string };
}

/** Whether the signing controller signs an approved request now. */
export function signingDecision(csr: KubeObject): SigningDecision {
  const spec = isJsonObject(csr.spec) ? csr.spec : {};
  const status = isJsonObject(csr.status) ? csr.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isJsonObject) : [];
  const has = (type: string) => conditions.some((c) => c.type === type && c.status !== 'False');
  if (!has('Approved') || has('Denied') || has('Failed') || status.certificate) return { sign: false };
  const signer = String(spec.signerName ?? '');
  if (!SIGNERS.includes(signer)) return { sign: false };
  const usages = Array.isArray(spec.usages) ? spec.usages.map(String) : [];
  const needed = signer === 'kubernetes.io/kubelet-serving' ? 'server auth' : 'client auth';
  if (!usages.includes(needed)) {
    return { sign: false, failed: { reason: 'SignerValidationFailure', message: `invalid usage for ${signer}: must include "${needed}"` } };
  }
  return { sign: true };
}
