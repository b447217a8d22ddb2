// Which archived objects a restore leaves alone, and why: a list of small rules over one object,
// run in order, the first that matches wins (kubectl drain's filter chain, for restores).
//
// Left alone: what is never restored (nodes, events, ...; Velero's list), what the cluster makes
// by itself (kubeadm's and the API server's objects, kube-controller-manager's per-namespace
// defaults, bootstrap RBAC), what a controller owns (its controller makes it again from the
// restored owner: Pods of ReplicaSets, ReplicaSets of Deployments, Jobs of CronJobs,
// EndpointSlices of Services, ...), mirror pods, and finished Pods and Jobs (a Job restored runs
// again).
import type { Job, KubeObject, OwnerReference, PersistentVolume, Pod, Secret } from '../../api/types.js';
import { asKind } from '../kinds.js';
import { MIRROR_POD_ANNOTATION } from '../../api/pods.js';

export type RestoreDecision = { restore: true } | { restore: false; reason: string };

export interface DecisionContext {
  /** The object's "resource.group" in the archive. */
  groupResource: string;
  /** Whether the owner an ownerReference names is in the archive too (so its controller is restored). */
  ownerInArchive: (owner: OwnerReference, namespace: string | undefined) => boolean;
  /** "ns/name" of archived Services that have a selector (their Endpoints are the controller's). */
  serviceHasSelector: (namespace: string, name: string) => boolean;
}

type Rule = (o: KubeObject, ctx: DecisionContext) => string | undefined;

/** Never restored, whatever the object (Velero's list, plus what only makes sense where it was). */
export const NEVER_RESTORED: Record<string, string> = {
  nodes: 'nodes register themselves (the kubelet creates its Node)',
  events: 'events are history, not state',
  'events.events.k8s.io': 'events are history, not state',
  'csinodes.storage.k8s.io': 'created by each node',
  'volumeattachments.storage.k8s.io': 'created by the attach/detach controller',
  'certificatesigningrequests.certificates.k8s.io': 'a CSR is a one-time request; its certificate was issued already',
  'backups.velero.io': "Velero's own bookkeeping",
  'restores.velero.io': "Velero's own bookkeeping",
  'resticrepositories.velero.io': "Velero's own bookkeeping",
  'backuprepositories.velero.io': "Velero's own bookkeeping",
};

const RBAC = new Set([
  'clusterroles.rbac.authorization.k8s.io',
  'clusterrolebindings.rbac.authorization.k8s.io',
  'roles.rbac.authorization.k8s.io',
  'rolebindings.rbac.authorization.k8s.io',
]);

const rules: Rule[] = [
  (_o, ctx) => NEVER_RESTORED[ctx.groupResource],
  (o, ctx) => (ctx.groupResource === 'configmaps' && o.metadata.name === 'kube-root-ca.crt' ? 'published in every namespace by kube-controller-manager' : undefined),
  (o, ctx) =>
    ctx.groupResource === 'configmaps' && o.metadata.namespace === 'kube-system' && o.metadata.name === 'extension-apiserver-authentication'
      ? 'written by the API server at start'
      : undefined,
  (o, ctx) => (ctx.groupResource === 'serviceaccounts' && o.metadata.name === 'default' ? 'created in every namespace by kube-controller-manager' : undefined),
  (o, ctx) =>
    ['services', 'endpoints', 'endpointslices.discovery.k8s.io'].includes(ctx.groupResource) &&
    o.metadata.namespace === 'default' &&
    (o.metadata.name === 'kubernetes' || o.metadata.labels?.['kubernetes.io/service-name'] === 'kubernetes')
      ? "the API server's own Service"
      : undefined,
  (o, ctx) => (ctx.groupResource === 'secrets' ? secretRule(o) : undefined),
  (o, ctx) =>
    RBAC.has(ctx.groupResource) && (o.metadata.name?.startsWith('system:') || o.metadata.labels?.['kubernetes.io/bootstrapping'] === 'rbac-defaults')
      ? "the API server's bootstrap RBAC (it reconciles these itself)"
      : RBAC.has(ctx.groupResource) && o.metadata.name?.startsWith('kubeadm:')
        ? 'created by kubeadm'
        : undefined,
  (o, ctx) => (ctx.groupResource === 'priorityclasses.scheduling.k8s.io' && o.metadata.name?.startsWith('system-') ? 'built in to the API server' : undefined),
  (o, ctx) =>
    ctx.groupResource === 'leases.coordination.k8s.io' && (o.metadata.namespace === 'kube-node-lease' || o.metadata.namespace === 'kube-system')
      ? o.metadata.namespace === 'kube-node-lease'
        ? "a node's heartbeat"
        : 'leader election or API server identity'
      : undefined,
  (o, ctx) => (ctx.groupResource === 'apiservices.apiregistration.k8s.io' && o.metadata.labels?.['kube-aggregator.kubernetes.io/automanaged'] ? "the API server's own APIService" : undefined),
  (o) => (o.metadata.annotations?.['apf.kubernetes.io/autoupdate-spec'] === 'true' ? "the API server's default flow control (it keeps these itself)" : undefined),
  (o, ctx) => (ctx.groupResource === 'pods' && o.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined ? 'mirror pod of a static pod (its kubelet creates it)' : undefined),
  (o, ctx) => {
    const owner = o.metadata.ownerReferences?.find((r) => r.controller);
    return owner && ctx.ownerInArchive(owner, o.metadata.namespace) ? `owned by ${owner.kind} ${owner.name}: its controller creates it again` : undefined;
  },
  (o, ctx) =>
    ctx.groupResource === 'endpoints' && ctx.serviceHasSelector(o.metadata.namespace ?? '', o.metadata.name ?? '')
      ? `kept by the endpoints controller for Service ${o.metadata.name}`
      : undefined,
  (o, ctx) =>
    ctx.groupResource === 'endpointslices.discovery.k8s.io' && o.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === 'endpointslice-controller.k8s.io'
      ? 'kept by the EndpointSlice controller'
      : undefined,
  (o, ctx) => {
    const phase = asKind<Pod>(o).status?.phase;
    return ctx.groupResource === 'pods' && (phase === 'Succeeded' || phase === 'Failed') ? `a finished pod (${phase})` : undefined;
  },
  (o, ctx) => {
    const conditions = asKind<Job>(o).status?.conditions ?? [];
    const done = conditions.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    return ctx.groupResource === 'jobs.batch' && done ? `a finished job (${done.type}): restoring it would run it again` : undefined;
  },
  (o, ctx) => {
    const spec = asKind<PersistentVolume>(o).spec;
    return ctx.groupResource === 'persistentvolumes' && spec?.persistentVolumeReclaimPolicy === 'Delete' && o.metadata.annotations?.['pv.kubernetes.io/provisioned-by']
      ? 'dynamically provisioned (reclaimPolicy Delete): its claim provisions a new volume; the data is not in an API backup'
      : undefined;
  },
];

function secretRule(o: KubeObject): string | undefined {
  const type = asKind<Secret>(o).type;
  if (type === 'bootstrap.kubernetes.io/token') return 'a bootstrap token (short-lived, made by kubeadm)';
  if (type !== 'kubernetes.io/service-account-token') return undefined;
  const sa = o.metadata.annotations?.['kubernetes.io/service-account.name'] ?? '';
  // Auto-generated before 1.24 ("<sa>-token-xxxxx"): the token controller no longer makes them;
  // the ServiceAccount works without. Named token Secrets are restored (the controller refills them).
  if (sa === 'default' || new RegExp(`^${escapeRegExp(sa)}-token-[a-z0-9]{5}$`).test(o.metadata.name ?? '')) return 'a generated ServiceAccount token';
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function decideRestore(o: KubeObject, ctx: DecisionContext): RestoreDecision {
  for (const rule of rules) {
    const reason = rule(o, ctx);
    if (reason) return { restore: false, reason };
  }
  return { restore: true };
}
