// RBAC authorization as kube-apiserver decides it (plugin/pkg/auth/authorizer/rbac): the
// privileged group system:masters first, then ClusterRoleBindings, then the RoleBindings of the
// request's namespace; a rule matches verb, API group, resource (with "resource/subresource" and
// "*/subresource"), resourceNames, or non-resource URLs (with a trailing "*"). Like kube's, the
// authorizer reads a ClusterRole's stored rules only: an aggregated role's rules are what the
// clusterrole-aggregation controller wrote into it (aggregatedRules below, one home for the union).
// Pure: the caller hands over the objects.
import { labelSelectorFromObject } from '../../api/labels.js';
import type { ClusterRole, ClusterRoleBinding, PolicyRule, RbacSubject, Role, RoleBinding } from '../../api/types.js';
import type { Attributes, UserInfo } from './attributes.js';

export const SYSTEM_MASTERS = 'system:masters';

export interface PolicyObjects {
  clusterRoles: ClusterRole[];
  roles: Role[];
  clusterRoleBindings: ClusterRoleBinding[];
  roleBindings: RoleBinding[];
}

export interface Decision {
  allowed: boolean;
  /** Why it was allowed ("RBAC: allowed by ..."), or why RBAC could not decide (missing roles). */
  reason: string;
}

export interface Rules {
  rules: PolicyRule[];
  /** Bindings that name roles that do not exist (a SelfSubjectRulesReview is then incomplete). */
  errors: string[];
}

/** The rules that let system:masters do anything (the privileged-group authorizer's RulesFor). */
const EVERYTHING: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

export class RbacPolicy {
  private readonly clusterRoles = new Map<string, PolicyRule[]>();
  private readonly roles = new Map<string, PolicyRule[]>();
  private readonly clusterRoleBindings: ClusterRoleBinding[];
  private readonly roleBindings = new Map<string, RoleBinding[]>();

  constructor(objects: PolicyObjects) {
    for (const cr of objects.clusterRoles) this.clusterRoles.set(cr.metadata.name ?? '', cr.rules ?? []);
    for (const r of objects.roles) this.roles.set(`${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}`, r.rules ?? []);
    this.clusterRoleBindings = objects.clusterRoleBindings;
    for (const rb of objects.roleBindings) {
      const ns = rb.metadata.namespace ?? '';
      this.roleBindings.set(ns, [...(this.roleBindings.get(ns) ?? []), rb]);
    }
  }

  authorize(user: UserInfo, a: Attributes): Decision {
    if (user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    const errs: string[] = [];
    for (const b of this.clusterRoleBindings) {
      const subject = appliesTo(user, b.subjects, '');
      if (!subject) continue;
      const rules = this.roleRules(b.roleRef.kind, b.roleRef.name, '', errs);
      if (rules?.some((r) => ruleAllows(r, a))) {
        return { allowed: true, reason: `RBAC: allowed by ClusterRoleBinding ${q(b.metadata.name)} of ${b.roleRef.kind} ${q(b.roleRef.name)} to ${describeSubject(subject, '')}` };
      }
    }
    if (a.namespace) {
      for (const b of this.roleBindings.get(a.namespace) ?? []) {
        const subject = appliesTo(user, b.subjects, a.namespace);
        if (!subject) continue;
        const rules = this.roleRules(b.roleRef.kind, b.roleRef.name, a.namespace, errs);
        if (rules?.some((r) => ruleAllows(r, a))) {
          const name = `${b.metadata.name ?? ''}/${a.namespace}`;
          return { allowed: true, reason: `RBAC: allowed by RoleBinding ${q(name)} of ${b.roleRef.kind} ${q(b.roleRef.name)} to ${describeSubject(subject, a.namespace)}` };
        }
      }
    }
    return { allowed: false, reason: errs.length ? `RBAC: ${aggregate(errs)}` : '' };
  }

  /** What a user may do in a namespace (cluster-wide rules included): SelfSubjectRulesReview. */
  rulesFor(user: UserInfo, namespace: string): Rules {
    if (user.groups.includes(SYSTEM_MASTERS)) return { rules: EVERYTHING, errors: [] };
    const rules: PolicyRule[] = [];
    const errs: string[] = [];
    for (const b of this.clusterRoleBindings) {
      if (appliesTo(user, b.subjects, '')) rules.push(...(this.roleRules(b.roleRef.kind, b.roleRef.name, '', errs) ?? []));
    }
    for (const b of namespace ? (this.roleBindings.get(namespace) ?? []) : []) {
      if (appliesTo(user, b.subjects, namespace)) rules.push(...(this.roleRules(b.roleRef.kind, b.roleRef.name, namespace, errs) ?? []));
    }
    return { rules, errors: errs };
  }

  private roleRules(kind: string, name: string, namespace: string, errs: string[]): PolicyRule[] | undefined {
    const rules = kind === 'ClusterRole' ? this.clusterRoles.get(name) : this.roles.get(`${namespace}/${name}`);
    if (!rules) errs.push(`${kind === 'ClusterRole' ? 'clusterrole' : 'role'}.rbac.authorization.k8s.io ${q(name)} not found`);
    return rules;
  }
}

/**
 * What the clusterrole-aggregation controller writes into a ClusterRole with an aggregationRule
 * (pkg/controller/clusterroleaggregation): for each selector in turn, the stored rules of every
 * other ClusterRole it matches, roles in name order, each rule once (semantic equality: key order
 * and empty lists do not matter). Chains (admin takes edit's, which takes view's) settle as each
 * role's stored rules change. Undefined for a role without an aggregationRule.
 */
export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] | undefined {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (!selectors) return undefined;
  const rules: PolicyRule[] = [];
  const seen = new Set<string>();
  const sorted = [...all].sort((x, y) => cmp(x.metadata.name ?? '', y.metadata.name ?? ''));
  for (const selector of selectors) {
    const matcher = labelSelectorFromObject(selector);
    for (const other of sorted) {
      if (other.metadata.name === role.metadata.name || !matcher.matches(other.metadata.labels)) continue;
      for (const r of other.rules ?? []) {
        const key = ruleKey(r);
        if (seen.has(key)) continue;
        seen.add(key);
        rules.push(r);
      }
    }
  }
  return rules;
}

/** True when two rule lists are the same to the aggregation controller (equality.Semantic). */
export function sameRules(a: readonly PolicyRule[] | undefined, b: readonly PolicyRule[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((r, i) => ruleKey(r) === ruleKey(y[i]));
}

/**
 * Every aggregated role filled in until nothing changes, as the controller leaves them once it
 * has caught up: the default roles are stored this way at bootstrap. Bounded by the role count.
 */
export function aggregateAll(roles: readonly ClusterRole[]): ClusterRole[] {
  let current = [...roles];
  for (let round = 0; round <= roles.length; round++) {
    let changed = false;
    current = current.map((r) => {
      const rules = aggregatedRules(r, current);
      if (!rules || sameRules(rules, r.rules)) return r;
      changed = true;
      return { ...r, rules };
    });
    if (!changed) break;
  }
  return current;
}

/** A rule's identity: its fields with keys in order and empty lists dropped (nil == empty in Go's semantic equality). */
function ruleKey(r: PolicyRule): string {
  const fields: Array<[string, readonly string[] | undefined]> = [
    ['apiGroups', r.apiGroups],
    ['nonResourceURLs', r.nonResourceURLs],
    ['resourceNames', r.resourceNames],
    ['resources', r.resources],
    ['verbs', r.verbs],
  ];
  return JSON.stringify(fields.filter(([, v]) => v && v.length));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

function appliesTo(user: UserInfo, subjects: readonly RbacSubject[] | undefined, bindingNamespace: string): RbacSubject | undefined {
  return subjects?.find((s) => {
    switch (s.kind) {
      case 'User':
        return user.name === s.name;
      case 'Group':
        return user.groups.includes(s.name);
      case 'ServiceAccount': {
        const ns = s.namespace || bindingNamespace;
        return ns !== '' && user.name === serviceAccountUsername(ns, s.name);
      }
      default:
        return false;
    }
  });
}

function describeSubject(s: RbacSubject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${q(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${q(s.name)}`;
}

export function ruleAllows(r: PolicyRule, a: Attributes): boolean {
  if (!has(r.verbs, a.verb)) return false;
  if (!a.resourceRequest) return nonResourceURLMatches(r.nonResourceURLs, a.path);
  if (!has(r.apiGroups, a.apiGroup)) return false;
  if (!resourceMatches(r.resources, a.resource, a.subresource)) return false;
  return !r.resourceNames?.length || r.resourceNames.includes(a.name);
}

function has(list: readonly string[] | undefined, v: string): boolean {
  return !!list && (list.includes('*') || list.includes(v));
}

function resourceMatches(resources: readonly string[] | undefined, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (resources ?? []).some((r) => r === '*' || r === combined || (subresource !== '' && r === `*/${subresource}`));
}

function nonResourceURLMatches(urls: readonly string[] | undefined, path: string): boolean {
  return (urls ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
}

function q(s: string | undefined): string {
  return JSON.stringify(s ?? '');
}

/** utilerrors.NewAggregate's message: one error as it is, several in brackets. */
function aggregate(errs: string[]): string {
  const unique = [...new Set(errs)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}
