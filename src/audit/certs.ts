// Certificate expiry: an expired API server, etcd or kubeconfig certificate stops the cluster (or
// the admin) mid-maintenance. The certificates are read elsewhere (certsource.ts: the TLS
// handshake, the kubeconfig, etcd endpoints, a kubeadm PKI directory); this is the pure rule over
// what was read, and kubeadm's list of what a PKI directory holds (kubeadm's certs package:
// certsphase.GetDefaultCertList and the kubeconfig files `kubeadm certs check-expiration` lists).
import type { Finding } from './finding.js';
import type { AuditRule } from './rules.js';

export type CertificateSource = 'apiserver' | 'kubeconfig' | 'etcd' | 'pki' | 'kubeconfig-file';

export interface CertificateInfo {
  /** kubeadm's name ("apiserver", "admin.conf", "ca"), or what it is ("kube-apiserver serving", ...). */
  name: string;
  source: CertificateSource;
  /** Where it was read: a file, or https://host:port. */
  location: string;
  /** A certificate authority (kubeadm's second table). */
  isCA: boolean;
  /** For kubeadm certificates: the CA that signs it ("ca", "etcd-ca", "front-proxy-ca"). */
  authority?: string;
  /** kubeadm's EXTERNALLY MANAGED: the CA's key is not on this node, so kubeadm cannot renew it. */
  externallyManaged?: boolean;
  subject?: string;
  /** RFC 3339. Absent when missing or unreadable. */
  notAfter?: string;
  /** Expected (kubeadm's list) but not there: kubeadm prints "!MISSING!". */
  missing?: boolean;
  /** Why it could not be read. */
  error?: string;
}

/** A kubeadm certificate under the PKI directory, and the CA that signs it. */
export interface KubeadmCertificate {
  name: string;
  /** Path under --pki-dir, without .crt. */
  file: string;
  authority: string;
}

export const KUBEADM_CERTIFICATES: readonly KubeadmCertificate[] = [
  { name: 'apiserver', file: 'apiserver', authority: 'ca' },
  { name: 'apiserver-etcd-client', file: 'apiserver-etcd-client', authority: 'etcd-ca' },
  { name: 'apiserver-kubelet-client', file: 'apiserver-kubelet-client', authority: 'ca' },
  { name: 'etcd-healthcheck-client', file: 'etcd/healthcheck-client', authority: 'etcd-ca' },
  { name: 'etcd-peer', file: 'etcd/peer', authority: 'etcd-ca' },
  { name: 'etcd-server', file: 'etcd/server', authority: 'etcd-ca' },
  { name: 'front-proxy-client', file: 'front-proxy-client', authority: 'front-proxy-ca' },
];

export const KUBEADM_CAS: readonly KubeadmCertificate[] = [
  { name: 'ca', file: 'ca', authority: '' },
  { name: 'etcd-ca', file: 'etcd/ca', authority: '' },
  { name: 'front-proxy-ca', file: 'front-proxy-ca', authority: '' },
];

/** The kubeconfig files next to the PKI directory (/etc/kubernetes) whose client certificates expire; super-admin.conf exists from v1.29. */
export const KUBEADM_KUBECONFIGS: readonly string[] = ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf', 'kubelet.conf'];

/** Below this many days left, a certificate is a warning: renew it before the maintenance. */
export const EXPIRY_WARNING_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

function describe(c: CertificateInfo): string {
  switch (c.source) {
    case 'apiserver':
      return `the API server's serving certificate (${c.location})`;
    case 'kubeconfig':
      return `the kubeconfig's client certificate (${c.location})`;
    case 'etcd':
      return `etcd's serving certificate at ${c.location}`;
    case 'kubeconfig-file':
      return `the client certificate in ${c.location}`;
    default:
      return `${c.isCA ? 'CA' : 'certificate'} ${c.name} (${c.location})`;
  }
}

/** How to renew it, with the command. */
export function renewal(c: CertificateInfo): string {
  if (c.isCA) return `a CA is not renewed by kubeadm certs renew: rotate it as https://kubernetes.io/docs/tasks/tls/manual-rotation-of-ca-certificates/ describes, before it expires`;
  if (c.externallyManaged) return `its CA's key is not on this node (an external CA): have ${c.authority ?? 'the CA'} sign a new certificate`;
  switch (c.source) {
    case 'apiserver':
      return 'on each control-plane node: kubeadm certs renew apiserver, then restart the kube-apiserver static pod (move its manifest out of /etc/kubernetes/manifests and back)';
    case 'kubeconfig':
      return 'get a new client certificate: on a control-plane node, kubeadm certs renew admin.conf and copy /etc/kubernetes/admin.conf, or kubeadm kubeconfig user --client-name=NAME';
    case 'etcd':
      return 'on the etcd node: kubeadm certs renew etcd-server, then restart the etcd static pod';
    default:
      if (c.name === 'kubelet.conf') return 'the kubelet renews its own client certificate (rotateCertificates: true): check /var/lib/kubelet/pki/kubelet-client-current.pem and journalctl -u kubelet on the node';
      return `on each control-plane node: kubeadm certs renew ${c.name}, then restart the control-plane static pods that use it`;
  }
}

function objectOf(c: CertificateInfo): string {
  return c.source === 'pki' || c.source === 'kubeconfig-file' ? c.location : `certificate ${c.location}`;
}

/** One certificate's finding at `now`, or none: expired is blocking, under EXPIRY_WARNING_DAYS a warning. */
export function certificateFinding(c: CertificateInfo, now: number): Finding | undefined {
  const what = describe(c);
  if (c.error) {
    return { severity: 'info', code: 'CertificateUnreadable', object: objectOf(c), message: `${what} could not be read: ${c.error}`, fix: 'check the path, the endpoint and the permissions, then run the audit again' };
  }
  if (!c.notAfter) return undefined;
  const left = Date.parse(c.notAfter) - now;
  const days = Math.floor(left / DAY_MS);
  if (left <= 0) {
    return {
      severity: 'blocking',
      code: 'CertificateExpired',
      object: objectOf(c),
      message: `${what} expired on ${c.notAfter}: clients refuse it, so whatever depends on it stops working`,
      fix: renewal(c),
    };
  }
  if (left >= EXPIRY_WARNING_DAYS * DAY_MS) return undefined;
  return {
    severity: 'warning',
    code: 'CertificateExpiresSoon',
    object: objectOf(c),
    message: `${what} expires on ${c.notAfter}, in ${days} day${days === 1 ? '' : 's'} (under ${EXPIRY_WARNING_DAYS}): renew it before maintenance rather than during it`,
    fix: renewal(c),
  };
}

/** Certificates that expired or expire within EXPIRY_WARNING_DAYS, and those that could not be read. */
export const certificateExpiry: AuditRule = ({ snapshot }) => {
  const now = snapshot.now ?? Date.now();
  return (snapshot.certificates ?? []).flatMap((c) => certificateFinding(c, now) ?? []);
};
