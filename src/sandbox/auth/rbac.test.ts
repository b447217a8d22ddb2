import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from '../../api/types.js';
import type { Attributes, UserInfo } from './attributes.js';
import { RbacPolicy, aggregateAll, aggregatedRules, sameRules } from './rbac.js';
import { defaultRbacObjects } from './kubeconfig.js';

const R = 'rbac.authorization.k8s.io';
const crb = (name: string, role: string, subjects: ClusterRoleBinding['subjects']): ClusterRoleBinding => ({ metadata: { name }, roleRef: { apiGroup: R, kind: 'ClusterRole', name: role }, subjects });
const rb = (ns: string, name: string, kind: 'Role' | 'ClusterRole', role: string, subjects: RoleBinding['subjects']): RoleBinding => ({ metadata: { name, namespace: ns }, roleRef: { apiGroup: R, kind, name: role }, subjects });

const defaults = defaultRbacObjects();
// The aggregated roles as the clusterrole-aggregation controller leaves them (the authorizer reads stored rules).
const policy = new RbacPolicy({
  clusterRoles: aggregateAll([
    ...defaults.filter((o): o is ClusterRole => o.kind === 'ClusterRole'),
    { metadata: { name: 'node-status' }, rules: [{ verbs: ['patch'], apiGroups: [''], resources: ['nodes/status'] }] },
    { metadata: { name: 'one-cm' }, rules: [{ verbs: ['get', 'update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'] }] },
    { metadata: { name: 'all-status' }, rules: [{ verbs: ['get'], apiGroups: ['*'], resources: ['*/status'] }] },
    { metadata: { name: 'metrics' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/metrics', '/debug/*'] }] },
    { metadata: { name: 'crons', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }, rules: [{ verbs: ['get'], apiGroups: ['example.com'], resources: ['crontabs'] }] },
  ]),
  roles: [{ metadata: { name: 'pod-reader', namespace: 'shop' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] } satisfies Role],
  clusterRoleBindings: [
    ...defaults.filter((o): o is ClusterRoleBinding => o.kind === 'ClusterRoleBinding'),
    crb('ops-view', 'view', [{ apiGroup: R, kind: 'Group', name: 'ops' }]),
    crb('ops-status', 'node-status', [{ apiGroup: R, kind: 'Group', name: 'ops' }]),
    crb('sre-metrics', 'metrics', [{ apiGroup: R, kind: 'User', name: 'sre' }]),
    crb('sre-status', 'all-status', [{ apiGroup: R, kind: 'User', name: 'sre' }]),
    crb('dangling', 'gone', [{ apiGroup: R, kind: 'User', name: 'ghost' }]),
  ],
  roleBindings: [
    rb('shop', 'bob-edit', 'ClusterRole', 'edit', [{ apiGroup: R, kind: 'User', name: 'bob' }]),
    rb('shop', 'carol-cm', 'ClusterRole', 'one-cm', [{ apiGroup: R, kind: 'User', name: 'carol' }]),
    rb('shop', 'robot-pods', 'Role', 'pod-reader', [{ kind: 'ServiceAccount', name: 'robot' }]),
  ],
});

const user = (name: string, ...groups: string[]): UserInfo => ({ name, groups: [...groups, 'system:authenticated'] });
const res = (verb: string, resource: string, namespace = '', extra: Partial<Attributes> = {}): Attributes => ({
  verb, resourceRequest: true, path: '', apiGroup: '', apiVersion: 'v1', namespace, resource, subresource: '', name: '', ...extra,
});
const url = (verb: string, path: string): Attributes => ({ verb, resourceRequest: false, path, apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' });

describe('RBAC authorizes as kube-apiserver', () => {
  const cases: Array<{ story: string; who: UserInfo; a: Attributes; allowed: boolean; reason?: string }> = [
    { story: 'system:masters may do anything', who: user('admin', 'system:masters'), a: res('delete', 'nodes'), allowed: true, reason: '' },
    { story: 'view through a group ClusterRoleBinding', who: user('alice', 'ops'), a: res('list', 'pods', 'default'), allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "ops-view" of ClusterRole "view" to Group "ops"' },
    { story: 'view cannot read secrets', who: user('alice', 'ops'), a: res('get', 'secrets', 'default', { name: 's' }), allowed: false, reason: '' },
    { story: 'view cannot evict', who: user('alice', 'ops'), a: res('create', 'pods', 'default', { subresource: 'eviction', name: 'x' }), allowed: false },
    { story: 'nodes/status is its own resource', who: user('alice', 'ops'), a: res('patch', 'nodes', '', { subresource: 'status', name: 'n1' }), allowed: true },
    { story: 'nodes/status does not grant nodes', who: user('alice', 'ops'), a: res('patch', 'nodes', '', { name: 'n1' }), allowed: false },
    { story: 'edit in a RoleBinding allows evictions in that namespace', who: user('bob'), a: res('create', 'pods', 'shop', { subresource: 'eviction', name: 'x' }), allowed: true, reason: 'RBAC: allowed by RoleBinding "bob-edit/shop" of ClusterRole "edit" to User "bob"' },
    { story: 'a RoleBinding does not reach other namespaces', who: user('bob'), a: res('create', 'pods', 'default', { subresource: 'eviction', name: 'x' }), allowed: false },
    { story: 'edit has no roles (admin has)', who: user('bob'), a: res('create', 'roles', 'shop', { apiGroup: R }), allowed: false },
    { story: 'resourceNames allow the named object', who: user('carol'), a: res('update', 'configmaps', 'shop', { name: 'settings' }), allowed: true },
    { story: 'resourceNames refuse another object', who: user('carol'), a: res('update', 'configmaps', 'shop', { name: 'other' }), allowed: false },
    { story: 'resourceNames refuse a list', who: user('carol'), a: res('list', 'configmaps', 'shop'), allowed: false },
    { story: '*/status matches any status subresource', who: user('sre'), a: res('get', 'deployments', 'shop', { apiGroup: 'apps', subresource: 'status', name: 'web' }), allowed: true },
    { story: 'a ServiceAccount subject without namespace takes the binding\'s', who: user('system:serviceaccount:shop:robot', 'system:serviceaccounts'), a: res('list', 'pods', 'shop'), allowed: true, reason: 'RBAC: allowed by RoleBinding "robot-pods/shop" of Role "pod-reader" to ServiceAccount "robot/shop"' },
    { story: 'nonResourceURLs with a trailing *', who: user('sre'), a: url('get', '/debug/pprof'), allowed: true },
    { story: 'nonResourceURLs exact', who: user('sre'), a: url('get', '/metricsz'), allowed: false },
    { story: 'discovery for every authenticated user', who: user('nobody'), a: url('get', '/apis/apps/v1'), allowed: true },
    { story: 'health for anonymous', who: { name: 'system:anonymous', groups: ['system:unauthenticated'] }, a: url('get', '/healthz'), allowed: true },
    { story: 'no discovery for anonymous', who: { name: 'system:anonymous', groups: ['system:unauthenticated'] }, a: url('get', '/api'), allowed: false },
    { story: 'basic-user can review itself', who: user('nobody'), a: res('create', 'selfsubjectaccessreviews', '', { apiGroup: 'authorization.k8s.io' }), allowed: true },
    { story: 'aggregation picks up a labelled ClusterRole', who: user('alice', 'ops'), a: res('get', 'crontabs', 'shop', { apiGroup: 'example.com', name: 'c' }), allowed: true },
    { story: 'a binding to a missing role says so', who: user('ghost'), a: res('get', 'pods', 'shop'), allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found' },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const d = policy.authorize(c.who, c.a);
      assert.equal(d.allowed, c.allowed);
      if (c.reason !== undefined) assert.equal(d.reason, c.reason);
    });
  }
});

describe('RBAC lists the rules of a user (SelfSubjectRulesReview)', () => {
  it('cluster-wide and namespaced rules together, and * for system:masters', () => {
    const bob = policy.rulesFor(user('bob'), 'shop');
    assert.ok(bob.rules.some((r) => r.resources?.includes('pods/eviction') && r.verbs.includes('create')));
    assert.ok(bob.rules.some((r) => r.nonResourceURLs?.includes('/api')), 'system:discovery through system:authenticated');
    assert.equal(policy.rulesFor(user('bob'), 'default').rules.some((r) => r.resources?.includes('pods/eviction')), false);
    assert.deepEqual(policy.rulesFor(user('root', 'system:masters'), 'x').rules, [
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      { verbs: ['*'], nonResourceURLs: ['*'] },
    ]);
    assert.deepEqual(policy.rulesFor(user('ghost'), '').errors, ['clusterrole.rbac.authorization.k8s.io "gone" not found']);
  });
});

describe('the clusterrole-aggregation controller writes the union of the selected roles', () => {
  const role = (name: string, labels: Record<string, string>, rules: ClusterRole['rules'], aggregationRule?: ClusterRole['aggregationRule']): ClusterRole => ({
    metadata: { name, labels }, rules, ...(aggregationRule ? { aggregationRule } : {}),
  });
  const to = (target: string) => ({ clusterRoleSelectors: [{ matchLabels: { [`example.com/aggregate-to-${target}`]: 'true' } }] });
  const get = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
  const list = { verbs: ['list'], apiGroups: [''], resources: ['pods'] };
  const cases: Array<{ story: string; role: ClusterRole; others: ClusterRole[]; rules: ClusterRole['rules'] }> = [
    { story: 'no aggregationRule: nothing to write', role: role('plain', {}, [get]), others: [], rules: undefined },
    { story: 'no role matches: no rules', role: role('agg', {}, [get], to('agg')), others: [role('other', {}, [list])], rules: [] },
    {
      story: 'matching roles in name order, the role itself left out',
      role: role('agg', { 'example.com/aggregate-to-agg': 'true' }, [], to('agg')),
      others: [role('zeta', { 'example.com/aggregate-to-agg': 'true' }, [list]), role('alpha', { 'example.com/aggregate-to-agg': 'true' }, [get])],
      rules: [get, list],
    },
    {
      story: 'a rule two roles share is written once, whatever its key order',
      role: role('agg', {}, [], to('agg')),
      others: [role('a', { 'example.com/aggregate-to-agg': 'true' }, [get]), role('b', { 'example.com/aggregate-to-agg': 'true' }, [{ resources: ['pods'], apiGroups: [''], verbs: ['get'], resourceNames: [] }, list])],
      rules: [get, list],
    },
    {
      story: 'selectors in their order: the second selector\'s roles come after the first\'s',
      role: role('agg', {}, [], { clusterRoleSelectors: [{ matchLabels: { tier: 'second' } }, { matchLabels: { tier: 'first' } }] }),
      others: [role('a', { tier: 'first' }, [get]), role('b', { tier: 'second' }, [list])],
      rules: [list, get],
    },
    {
      story: 'stored rules of an aggregated role are taken as they are (chains settle over syncs)',
      role: role('admin', {}, [], to('admin')),
      others: [role('edit', { 'example.com/aggregate-to-admin': 'true' }, [], to('edit')), role('e1', { 'example.com/aggregate-to-edit': 'true' }, [get])],
      rules: [],
    },
  ];
  for (const c of cases) {
    it(c.story, () => assert.deepEqual(aggregatedRules(c.role, [c.role, ...c.others]), c.rules));
  }

  it('kubeadm\'s admin, edit and view hold the real rules: admin has edit\'s, edit has view\'s', () => {
    const roles = new Map(defaults.filter((o): o is ClusterRole => o.kind === 'ClusterRole').map((r) => [r.metadata.name, r]));
    const view = roles.get('view')?.rules ?? [];
    const edit = roles.get('edit')?.rules ?? [];
    const admin = roles.get('admin')?.rules ?? [];
    assert.deepEqual(view, roles.get('system:aggregate-to-view')?.rules);
    assert.deepEqual(edit, [...(roles.get('system:aggregate-to-edit')?.rules ?? []), ...view]);
    assert.deepEqual(admin, [...edit, ...(roles.get('system:aggregate-to-admin')?.rules ?? [])]);
    assert.ok(admin.some((r) => r.resources?.includes('rolebindings')));
  });

  it('compares rule lists as the controller does', () => {
    assert.equal(sameRules([get], [{ resources: ['pods'], verbs: ['get'], apiGroups: [''] }]), true);
    assert.equal(sameRules([get], [{ ...get, verbs: ['get', 'list'] }]), false);
    assert.equal(sameRules(undefined, []), true);
  });
});
