import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type AccessReviews, accessChecks, describeCheck, permissionFindings } from './permissions.js';

describe('what each maintenance needs', () => {
  it('a drain: nodes, pods, evictions in each namespace with pods to evict, budgets and workloads', () => {
    assert.deepEqual(accessChecks('drain', ['default', 'shop']).map(describeCheck), [
      'list nodes',
      'patch nodes',
      'list pods in all namespaces',
      'create pods/eviction in default',
      'create pods/eviction in shop',
      'list poddisruptionbudgets.policy in all namespaces',
      'list replicasets.apps in all namespaces',
      'list deployments.apps in all namespaces',
      'list statefulsets.apps in all namespaces',
      'list daemonsets.apps in all namespaces',
      'list jobs.batch in all namespaces',
    ]);
  });
  it("an upgrade: the drain's, and kubeadm's reads and writes in kube-system", () => {
    assert.deepEqual(accessChecks('upgrade', []).slice(-2).map(describeCheck), ['get configmaps in kube-system', 'update daemonsets.apps in kube-system']);
  });
});

describe('permissionFindings: what is missing, blocking', () => {
  const [evictShop, listNodes] = [accessChecks('drain', ['shop'])[3], accessChecks('drain', [])[0]];
  const cases: Array<[string, AccessReviews | undefined, string[]]> = [
    ['not asked: nothing', undefined, []],
    ['the server has no review API: one info finding', { served: false }, ['info PermissionsUnchecked cannot check permissions: the server does not serve SelfSubjectAccessReview']],
    ['everything allowed', { served: true, answers: [{ check: evictShop, allowed: true }, { check: listNodes, allowed: true }] }, []],
    [
      'no create pods/eviction in shop',
      { served: true, answers: [{ check: evictShop, allowed: false, reason: 'no RBAC policy matched' }, { check: listNodes, allowed: true }] },
      ['blocking PermissionMissing you cannot create pods/eviction in shop (no RBAC policy matched): drain evicts the pods (POST pods/<name>/eviction), so the drain stops there'],
    ],
  ];
  for (const [story, reviews, expected] of cases) {
    it(story, () => assert.deepEqual(permissionFindings(reviews, 'the drain').map((f) => `${f.severity} ${f.code} ${f.message}`), expected));
  }
  it('the fix says how to check it', () => {
    const [f] = permissionFindings({ served: true, answers: [{ check: evictShop, allowed: false }] }, 'the drain');
    assert.equal(f.object, 'namespace/shop');
    assert.equal(f.fix, 'ask for a Role or ClusterRole granting it (check with kubectl auth can-i create pods/eviction -n shop)');
  });
});
