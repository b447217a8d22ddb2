// Permissions: what each maintenance needs from the API, checked with SelfSubjectAccessReviews
// (authorization.k8s.io/v1, what `kubectl auth can-i` sends) before it starts, so a missing
// verb does not stop a rolling upgrade halfway. The needs are data; the rule reads the answers.
import type { ResourceAttributes, SelfSubjectAccessReview } from '../api/types.js';
import type { KubeClient } from '../kube/index.js';
import { isNotFound } from '../kube/index.js';
import type { Finding } from './finding.js';
import type { Operation } from './maintenance.js';
import type { AuditRule } from './rules.js';

/** One permission: a verb on a resource (and subresource), cluster-wide or in one namespace. */
export interface AccessCheck {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** Omitted: every namespace (or a cluster-scoped resource). */
  namespace?: string;
  /** Why the operation needs it, for the finding. */
  why: string;
}

/** A need: fixed (a namespace of its own, or none), or once per namespace with pods to evict. */
type Need = AccessCheck & { perNamespace?: boolean };

const WORKLOADS = ['replicasets', 'deployments', 'statefulsets', 'daemonsets'].map((resource): Need => ({ verb: 'list', group: 'apps', resource, why: 'the impact analysis counts replicas elsewhere' }));

const DRAIN: readonly Need[] = [
  { verb: 'list', group: '', resource: 'nodes', why: 'drain resolves its nodes' },
  { verb: 'patch', group: '', resource: 'nodes', why: 'cordon and uncordon patch spec.unschedulable' },
  { verb: 'list', group: '', resource: 'pods', why: "drain lists each node's pods" },
  { verb: 'create', group: '', resource: 'pods', subresource: 'eviction', perNamespace: true, why: 'drain evicts the pods (POST pods/<name>/eviction)' },
  { verb: 'list', group: 'policy', resource: 'poddisruptionbudgets', why: 'the impact analysis reads the budgets' },
  ...WORKLOADS,
  { verb: 'list', group: 'batch', resource: 'jobs', why: 'the impact analysis counts replicas elsewhere' },
];

const UPGRADE: readonly Need[] = [
  ...DRAIN,
  { verb: 'get', group: '', resource: 'configmaps', namespace: 'kube-system', why: 'kubeadm upgrade reads the kubeadm-config ConfigMap' },
  { verb: 'update', group: 'apps', resource: 'daemonsets', namespace: 'kube-system', why: 'kubeadm upgrade apply updates kube-proxy' },
];

const BACKED_UP = ['namespaces', 'configmaps', 'secrets', 'serviceaccounts', 'services', 'persistentvolumeclaims', 'persistentvolumes'];

const BACKUP: readonly Need[] = [
  ...BACKED_UP.map((resource): Need => ({ verb: 'list', group: '', resource, why: 'the backup collects them' })),
  ...['deployments', 'statefulsets', 'daemonsets'].map((resource): Need => ({ verb: 'list', group: 'apps', resource, why: 'the backup collects them' })),
  { verb: 'list', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', why: 'the backup collects custom resources with their definitions' },
];

const RESTORE: readonly Need[] = [
  ...['create', 'patch'].flatMap((verb) => BACKED_UP.map((resource): Need => ({ verb, group: '', resource, why: 'the restore recreates them' }))),
  ...['create', 'patch'].flatMap((verb) => ['deployments', 'statefulsets', 'daemonsets'].map((resource): Need => ({ verb, group: 'apps', resource, why: 'the restore recreates them' }))),
];

export const NEEDS: Readonly<Record<Operation, readonly Need[]>> = { drain: DRAIN, upgrade: UPGRADE, backup: BACKUP, restore: RESTORE };

/** The checks for an operation; per-namespace needs once for each namespace given (those with pods to evict). */
export function accessChecks(operation: Operation, namespaces: readonly string[]): AccessCheck[] {
  return NEEDS[operation].flatMap(({ perNamespace, ...n }) => (perNamespace ? namespaces.map((namespace) => ({ ...n, namespace })) : [n]));
}

/** "create pods/eviction in shop", as kubectl auth can-i reads. */
export function describeCheck(c: AccessCheck): string {
  const resource = `${c.resource}${c.group ? `.${c.group}` : ''}${c.subresource ? `/${c.subresource}` : ''}`;
  return `${c.verb} ${resource}${c.namespace ? ` in ${c.namespace}` : c.group === '' && ['nodes', 'namespaces', 'persistentvolumes'].includes(c.resource) ? '' : ' in all namespaces'}`;
}

/** The answer to one check: allowed, or denied with the authorizer's reason. */
export type AccessAnswer = { check: AccessCheck; allowed: boolean; reason?: string };

export type AccessReviews = { served: true; answers: AccessAnswer[] } | { served: false };

function canICommand(c: AccessCheck): string {
  const resource = `${c.resource}${c.group ? `.${c.group}` : ''}${c.subresource ? `/${c.subresource}` : ''}`;
  return `kubectl auth can-i ${c.verb} ${resource} ${c.namespace ? `-n ${c.namespace}` : '-A'}`;
}

/** Missing permissions (blocking: the operation stops where it needs them); one info finding when the cluster cannot answer. */
export function permissionFindings(reviews: AccessReviews | undefined, operation: string): Finding[] {
  if (!reviews) return [];
  if (!reviews.served) {
    return [
      {
        severity: 'info',
        code: 'PermissionsUnchecked',
        message: 'cannot check permissions: the server does not serve SelfSubjectAccessReview',
        fix: 'try the verbs by hand (kubectl auth can-i --list), or run the audit against a server with authorization.k8s.io/v1',
      },
    ];
  }
  return reviews.answers
    .filter((a) => !a.allowed)
    .map((a) => ({
      severity: 'blocking',
      code: 'PermissionMissing',
      object: a.check.namespace ? `namespace/${a.check.namespace}` : undefined,
      message: `you cannot ${describeCheck(a.check)}${a.reason ? ` (${a.reason})` : ''}: ${a.check.why}, so ${operation} stops there`,
      fix: `ask for a Role or ClusterRole granting it (check with ${canICommand(a.check)})`,
    }));
}

/** The permission rule over the reviews the snapshot holds. */
export const missingPermissions: AuditRule = ({ snapshot, maintenance }) => permissionFindings(snapshot.accessReviews, maintenance.operation);

/** Ask the API server about each check (SelfSubjectAccessReview); { served: false } when it answers 404 for the review API. */
export async function reviewAccess(client: KubeClient, checks: readonly AccessCheck[]): Promise<AccessReviews> {
  const ref = { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews' };
  try {
    const answers: AccessAnswer[] = [];
    for (const check of checks) {
      const resourceAttributes: ResourceAttributes = { verb: check.verb, group: check.group, resource: check.resource, ...(check.subresource ? { subresource: check.subresource } : {}), ...(check.namespace ? { namespace: check.namespace } : {}) };
      const review = await client.post<SelfSubjectAccessReview>(ref, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } });
      answers.push({ check, allowed: review.status?.allowed === true, ...(review.status?.reason ? { reason: review.status.reason } : {}) });
    }
    return { served: true, answers };
  } catch (e) {
    if (isNotFound(e)) return { served: false };
    throw e;
  }
}
