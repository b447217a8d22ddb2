import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { KubeClient } from '../kube/index.js';
import { FakeApiServer, sendJson, sendStatus } from '../kube/testing/fake-apiserver.js';
import { type AccessReviews, accessChecks, describeCheck, permissionFindings, reviewAccess } from './permissions.js';

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

describe('reviewAccess: one SelfSubjectAccessReview per check', () => {
  it("posts each check's resourceAttributes and reads status.allowed; 404 for the review API means not served", async () => {
    const denied = new Set(['create pods/eviction shop']);
    let served = true;
    const server = await FakeApiServer.start((req, res) => {
      if (!served) return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
      const attrs = JSON.parse(req.body).spec.resourceAttributes;
      const key = `${attrs.verb} ${attrs.resource}${attrs.subresource ? `/${attrs.subresource}` : ''} ${attrs.namespace ?? ''}`.trim();
      const allowed = !denied.has(key);
      sendJson(res, 201, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: JSON.parse(req.body).spec, status: { allowed, ...(allowed ? {} : { reason: 'no RBAC policy matched' }) } });
    });
    const client = await KubeClient.create({ kubeconfig: server.writeKubeconfig({ token: 't' }), environment: { env: {}, homeDir: os.tmpdir() } });
    try {
      const checks = accessChecks('drain', ['shop']).slice(2, 4);
      const reviews = await reviewAccess(client, checks);
      assert.deepEqual(reviews.served ? reviews.answers.map((a) => `${describeCheck(a.check)} ${a.allowed} ${a.reason ?? ''}`.trim()) : [], [
        'list pods in all namespaces true',
        'create pods/eviction in shop false no RBAC policy matched',
      ]);
      assert.deepEqual(server.requests.map((r) => `${r.method} ${r.path}`), [
        'POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        'POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      ]);
      served = false;
      assert.deepEqual(await reviewAccess(client, checks), { served: false });
    } finally {
      client.close();
      await server.close();
    }
  });
});
