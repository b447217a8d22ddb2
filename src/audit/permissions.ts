// Permissions: what each maintenance needs from the API, checked with SelfSubjectAccessReviews
// (authorization.k8s.io/v1, what `kubectl auth can-i` sends) before it starts, so a missing
// verb does not stop a rolling upgrade halfway. The needs are data; the rule reads the answers.
import type { ResourceAttributes, SelfSubjectAccessReview } from '../api/types.js';
import type { KubeClient } from '../kube/index.js';
import { isNotFound } from '../kube/index.js';
import type { Finding } from './finding.js';
import { NEVER_RESTORED } from '../backup/restore/decide.js';
import type { Operation } from './maintenance.js';
import type { AuditRule } from './rules.js';

/** How much a missing permission hurts: the operation stops, a part of it fails, or only an option needs it. */
export type NeedSeverity = 'blocking' | 'warning' | 'info';

/** One permission: a verb on a resource (and subresource), cluster-wide or in one namespace. */
export interface AccessCheck {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** Omitted: every namespace (or a cluster-scoped resource). */
  namespace?: string;
  /** A cluster-scoped resource (default: nodes and namespaces only). */
  clusterScoped?: boolean;
  /** Omitted: blocking. */
  severity?: NeedSeverity;
  /** Why the operation needs it, for the finding. */
  why: string;
}

/** Where the per-namespace needs apply, and what a backup collects (from the cluster as it is). */
export interface AccessScope {
  /** Namespaces with pods a drain evicts. */
  evicted: readonly string[];
  /** Namespaces with DaemonSet pods on the nodes (drain GETs each pod's DaemonSet). */
  daemonSets?: readonly string[];
  /** The resources a backup lists and a restore recreates (backup/plan.ts's planCollection over discovery). */
  collected?: ReadonlyArray<{ group: string; resource: string; groupResource: string; namespaced: boolean }>;
}

/** A need: fixed (a namespace of its own, or none), or once per namespace of a kind. */
type Need = AccessCheck & { per?: 'evicted' | 'daemonSets' };

// What the commands call (src/drain, src/upgrade/apply, src/backup), checked against the code:
// drain GETs named nodes, PATCHes spec.unschedulable, lists each node's pods in all namespaces
// (fieldSelector spec.nodeName), GETs the DaemonSet of each DaemonSet pod, POSTs evictions and
// GETs then watches each evicted pod until it is gone. kubectl's --force still evicts; only
// --disable-eviction DELETEs pods.
const EVICTED_READS = ['replicasets', 'deployments', 'statefulsets', 'daemonsets'].map((resource): Need => ({ verb: 'list', group: 'apps', resource, per: 'evicted', severity: 'warning', why: "upkeep drain --dry-run's impact report counts replicas elsewhere" }));

const DRAIN: readonly Need[] = [
  { verb: 'get', group: '', resource: 'nodes', why: 'drain reads each node it is given' },
  { verb: 'patch', group: '', resource: 'nodes', why: 'cordon and uncordon patch spec.unschedulable' },
  { verb: 'list', group: '', resource: 'pods', why: "drain lists each node's pods" },
  { verb: 'get', group: 'apps', resource: 'daemonsets', per: 'daemonSets', why: 'drain checks that the DaemonSet of each DaemonSet pod exists' },
  { verb: 'create', group: '', resource: 'pods', subresource: 'eviction', per: 'evicted', why: 'drain evicts the pods (POST pods/<name>/eviction)' },
  { verb: 'get', group: '', resource: 'pods', per: 'evicted', why: 'drain reads each evicted pod before it waits for it' },
  { verb: 'watch', group: '', resource: 'pods', per: 'evicted', why: 'drain watches each evicted pod until it is gone' },
  { verb: 'list', group: '', resource: 'nodes', severity: 'warning', why: 'upkeep drain -l SELECTOR and --dry-run list the nodes' },
  { verb: 'list', group: 'policy', resource: 'poddisruptionbudgets', per: 'evicted', severity: 'warning', why: 'drain names the budget that refuses an eviction, and --dry-run reads the budgets' },
  ...EVICTED_READS,
  { verb: 'list', group: 'batch', resource: 'jobs', per: 'evicted', severity: 'warning', why: "upkeep drain --dry-run's impact report counts replicas elsewhere" },
  { verb: 'list', group: '', resource: 'replicationcontrollers', per: 'evicted', severity: 'warning', why: "upkeep drain --dry-run's impact report counts replicas elsewhere" },
  { verb: 'delete', group: '', resource: 'pods', per: 'evicted', severity: 'info', why: 'only --disable-eviction deletes pods instead of evicting them' },
];

/** What `upkeep upgrade apply` reads before it starts (discovery and the preflight, cluster-wide). */
const PREFLIGHT_READS: readonly Need[] = [
  { verb: 'list', group: '', resource: 'nodes', why: 'the upgrade reads every node' },
  { verb: 'list', group: 'policy', resource: 'poddisruptionbudgets', why: 'the preflight reads every budget' },
  ...['replicasets', 'deployments', 'statefulsets', 'daemonsets'].map((resource): Need => ({ verb: 'list', group: 'apps', resource, why: 'the preflight reads every workload' })),
  { verb: 'list', group: 'batch', resource: 'jobs', why: 'the preflight reads every workload' },
  { verb: 'list', group: '', resource: 'replicationcontrollers', why: 'the preflight reads every workload' },
  { verb: 'get', group: 'apps', resource: 'daemonsets', namespace: 'kube-system', why: "the upgrade reads kube-proxy's version" },
];

// Its journal is the ConfigMap kube-system/upkeep-upgrade (apply/store.ts), its lock the Lease
// kube-system/upkeep-upgrade (apply/lease.ts); kubeadm itself runs on the nodes with their own credentials.
const UPGRADE: readonly Need[] = [
  ...PREFLIGHT_READS,
  ...DRAIN,
  ...['get', 'create', 'update'].map((verb): Need => ({ verb, group: '', resource: 'configmaps', namespace: 'kube-system', why: 'the upgrade keeps its journal in ConfigMap kube-system/upkeep-upgrade' })),
  ...['get', 'create', 'update', 'delete'].map((verb): Need => ({ verb, group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-system', why: 'one upgrade at a time: the upgrade holds Lease kube-system/upkeep-upgrade' })),
  { verb: 'delete', group: '', resource: 'nodes', severity: 'info', why: 'only --delete-nodes deletes the Node objects of replaced machines' },
];

// A backup lists every resource it collects; a restore lists and creates namespaces, creates each
// object, GETs one that exists to compare, and PATCHes (--existing-resource-policy=update, owner references).
const RESTORE_FIXED: readonly Need[] = [
  { verb: 'list', group: '', resource: 'namespaces', why: 'the restore reads the namespaces there are' },
  { verb: 'create', group: '', resource: 'namespaces', why: 'the restore creates the namespaces it restores into' },
];

export const NEEDS: Readonly<Record<Operation, readonly Need[]>> = { drain: DRAIN, upgrade: UPGRADE, backup: [], restore: RESTORE_FIXED };

function collectedNeeds(operation: Operation, scope: AccessScope): Need[] {
  const collected = scope.collected ?? [];
  if (operation === 'backup') return collected.map(({ group, resource, namespaced }): Need => ({ verb: 'list', group, resource, clusterScoped: !namespaced, why: 'the backup lists every resource it collects' }));
  if (operation !== 'restore') return [];
  const restored = collected.filter((r) => !(r.groupResource in NEVER_RESTORED));
  return [
    ...restored.map(({ group, resource, namespaced }): Need => ({ verb: 'create', group, resource, clusterScoped: !namespaced, why: 'the restore creates the objects of the backup' })),
    ...restored.map(({ group, resource, namespaced }): Need => ({ verb: 'get', group, resource, clusterScoped: !namespaced, why: 'the restore reads an object that exists already to compare it' })),
    ...restored.map(({ group, resource, namespaced }): Need => ({ verb: 'patch', group, resource, clusterScoped: !namespaced, severity: 'warning', why: '--existing-resource-policy=update and the relinking of owner references patch objects' })),
  ];
}

function checkKey(c: AccessCheck): string {
  return `${c.verb} ${c.group} ${c.resource} ${c.subresource ?? ''} ${c.namespace ?? '*'}`;
}

/**
 * The checks for an operation: per-namespace needs once for each namespace of their kind; a check
 * asked twice (the upgrade's preflight and its drain) once, at its most severe; a per-namespace
 * check left out when the same verb is needed in all namespaces.
 */
export function accessChecks(operation: Operation, scope: AccessScope): AccessCheck[] {
  const needs = [...NEEDS[operation], ...collectedNeeds(operation, scope)];
  const expanded = needs.flatMap(({ per, ...n }) => (per ? (per === 'evicted' ? scope.evicted : scope.daemonSets ?? []).map((namespace) => ({ ...n, namespace })) : [n]));
  const rank = (c: AccessCheck) => ['blocking', 'warning', 'info'].indexOf(c.severity ?? 'blocking');
  const byKey = new Map<string, AccessCheck>();
  for (const c of expanded) {
    const seen = byKey.get(checkKey(c));
    if (!seen || rank(c) < rank(seen)) byKey.set(checkKey(c), c);
  }
  return [...byKey.values()].filter((c) => !c.namespace || !byKey.has(checkKey({ ...c, namespace: undefined })));
}

function resourceName(c: Pick<AccessCheck, 'group' | 'resource' | 'subresource'>): string {
  return `${c.resource}${c.group ? `.${c.group}` : ''}${c.subresource ? `/${c.subresource}` : ''}`;
}

/** The cluster-scoped resources of the fixed needs (collected ones say so themselves). */
const CLUSTER_SCOPED = new Set(['nodes', 'namespaces']);

function isClusterScoped(c: AccessCheck): boolean {
  return c.clusterScoped ?? (c.group === '' && CLUSTER_SCOPED.has(c.resource));
}

/** "create pods/eviction in shop", as kubectl auth can-i reads. */
export function describeCheck(c: AccessCheck): string {
  return `${c.verb} ${resourceName(c)}${c.namespace ? ` in ${c.namespace}` : isClusterScoped(c) ? '' : ' in all namespaces'}`;
}

/** The answer to one check: allowed, or denied with the authorizer's reason. */
export type AccessAnswer = { check: AccessCheck; allowed: boolean; reason?: string };

export type AccessReviews = { served: true; answers: AccessAnswer[] } | { served: false };

/** The RBAC rule that grants the checks (one verb, one API group, several resources), as a Role's rules list it. */
function ruleText(group: string, resources: readonly string[], verb: string): string {
  return `{apiGroups: ["${group}"], resources: [${resources.map((r) => `"${r}"`).join(', ')}], verbs: ["${verb}"]}`;
}

/** The fix: the rule to add, to a Role in the namespace or a ClusterRole, with kubectl's commands, and how to check. */
function rbacFix(checks: readonly AccessCheck[], role: string): string {
  const [c] = checks;
  const resources = checks.map((x) => `${x.resource}${x.subresource ? `/${x.subresource}` : ''}`);
  const kubectlResources = checks.map(resourceName).join(',');
  // kubectl auth can-i reads TYPE/NAME: a subresource is its --subresource flag.
  const can = [`kubectl auth can-i ${c.verb} ${resourceName({ ...c, subresource: undefined })}`, c.subresource ? `--subresource=${c.subresource}` : '', c.namespace ? `-n ${c.namespace}` : isClusterScoped(c) ? '' : '-A'].filter(Boolean).join(' ');
  const rule = ruleText(c.group, resources, c.verb);
  if (c.namespace) {
    return `add the rule ${rule} to a Role in ${c.namespace} bound to you (kubectl create role ${role} -n ${c.namespace} --verb=${c.verb} --resource=${kubectlResources}; kubectl create rolebinding ${role} -n ${c.namespace} --role=${role} --user=YOU), then check with ${can}`;
  }
  return `add the rule ${rule} to a ClusterRole bound to you (kubectl create clusterrole ${role} --verb=${c.verb} --resource=${kubectlResources}; kubectl create clusterrolebinding ${role} --clusterrole=${role} --user=YOU), then check with ${can}`;
}

/** The denied checks that one rule grants: the same verb, API group, namespace, reason and need. */
function grouped(denied: readonly AccessAnswer[]): AccessAnswer[][] {
  const groups = new Map<string, AccessAnswer[]>();
  for (const a of denied) {
    const c = a.check;
    const key = [c.verb, c.group, c.namespace ?? '*', c.severity ?? 'blocking', c.why, a.reason ?? '', isClusterScoped(c)].join('|');
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  return [...groups.values()];
}

/** Missing permissions, at the severity of the need (blocking: the operation stops there); one info finding when the cluster cannot answer. */
export function permissionFindings(reviews: AccessReviews | undefined, operation: string, role = 'upkeep-maintenance'): Finding[] {
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
  return grouped(reviews.answers.filter((a) => !a.allowed)).map((answers): Finding => {
    const checks = answers.map((a) => a.check);
    const [c] = checks;
    const severity = c.severity ?? 'blocking';
    const what = `${c.verb} ${checks.map(resourceName).join(', ')}${c.namespace ? ` in ${c.namespace}` : isClusterScoped(c) ? '' : ' in all namespaces'}`;
    const reason = answers[0].reason ? ` (${answers[0].reason})` : '';
    const consequence = severity === 'blocking' ? `, so ${operation} stops there` : severity === 'warning' ? `; ${operation} itself goes through without it` : '';
    return {
      severity,
      code: 'PermissionMissing',
      ...(c.namespace ? { object: `namespace/${c.namespace}` } : {}),
      message: `you cannot ${what}${reason}: ${c.why}${consequence}`,
      fix: rbacFix(checks, role),
    };
  });
}

/** The permission rule over the reviews the snapshot holds. */
export const missingPermissions: AuditRule = ({ snapshot, maintenance }) => permissionFindings(snapshot.accessReviews, maintenance.operation, `upkeep-${maintenance.operation.replace(/^the /, '')}`);

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
