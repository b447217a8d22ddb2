import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { KubeClient } from '../kube/index.js';
import { FakeApiServer, sendJson, sendStatus } from '../kube/testing/fake-apiserver.js';
import { type AccessReviews, accessChecks, describeCheck, permissionFindings, reviewAccess } from './permissions.js';

describe('what each maintenance needs', () => {
  it('a drain: nodes, pods, evictions, gets and watches in each namespace with pods to evict, DaemonSets where their pods run; the dry run\'s reads; delete only for --disable-eviction', () => {
    assert.deepEqual(accessChecks('drain', { evicted: ['default', 'shop'], daemonSets: ['kube-system'] }).map((c) => `${c.severity ?? 'blocking'} ${describeCheck(c)}`), [
      'blocking get nodes',
      'blocking patch nodes',
      'blocking list pods in all namespaces',
      'blocking get daemonsets.apps in kube-system',
      'blocking create pods/eviction in default',
      'blocking create pods/eviction in shop',
      'blocking get pods in default',
      'blocking get pods in shop',
      'blocking watch pods in default',
      'blocking watch pods in shop',
      'warning list nodes',
      'warning list poddisruptionbudgets.policy in default',
      'warning list poddisruptionbudgets.policy in shop',
      'warning list replicasets.apps in default',
      'warning list replicasets.apps in shop',
      'warning list deployments.apps in default',
      'warning list deployments.apps in shop',
      'warning list statefulsets.apps in default',
      'warning list statefulsets.apps in shop',
      'warning list daemonsets.apps in default',
      'warning list daemonsets.apps in shop',
      'warning list jobs.batch in default',
      'warning list jobs.batch in shop',
      'warning list replicationcontrollers in default',
      'warning list replicationcontrollers in shop',
      'info delete pods in default',
      'info delete pods in shop',
    ]);
  });
  it("an upgrade: the preflight's cluster-wide reads (blocking, replacing the drain's per-namespace ones), the drain's, its journal ConfigMap and Lease in kube-system", () => {
    const checks = accessChecks('upgrade', { evicted: ['shop'] }).map((c) => `${c.severity ?? 'blocking'} ${describeCheck(c)}`);
    assert.deepEqual(checks.filter((c) => c.includes('list')), [
      'blocking list nodes',
      'blocking list poddisruptionbudgets.policy in all namespaces',
      'blocking list replicasets.apps in all namespaces',
      'blocking list deployments.apps in all namespaces',
      'blocking list statefulsets.apps in all namespaces',
      'blocking list daemonsets.apps in all namespaces',
      'blocking list jobs.batch in all namespaces',
      'blocking list replicationcontrollers in all namespaces',
      'blocking list pods in all namespaces',
    ]);
    assert.deepEqual(checks.filter((c) => c.includes('kube-system')), [
      'blocking get daemonsets.apps in kube-system',
      'blocking get configmaps in kube-system',
      'blocking create configmaps in kube-system',
      'blocking update configmaps in kube-system',
      'blocking get leases.coordination.k8s.io in kube-system',
      'blocking create leases.coordination.k8s.io in kube-system',
      'blocking update leases.coordination.k8s.io in kube-system',
      'blocking delete leases.coordination.k8s.io in kube-system',
    ]);
    assert.equal(checks.at(-1), 'info delete nodes');
  });
  const collected = [
    { group: '', resource: 'secrets', groupResource: 'secrets', namespaced: true },
    { group: '', resource: 'nodes', groupResource: 'nodes', namespaced: false },
    { group: 'apps', resource: 'deployments', groupResource: 'deployments.apps', namespaced: true },
  ];
  it('a backup: list every resource it collects, cluster-scoped ones as such', () => {
    assert.deepEqual(accessChecks('backup', { evicted: ['shop'], collected }).map(describeCheck), ['list secrets in all namespaces', 'list nodes', 'list deployments.apps in all namespaces']);
  });
  it('a restore: namespaces, then create, get and patch what it restores (never nodes)', () => {
    assert.deepEqual(accessChecks('restore', { evicted: [], collected }).map((c) => `${c.severity ?? 'blocking'} ${describeCheck(c)}`), [
      'blocking list namespaces',
      'blocking create namespaces',
      'blocking create secrets in all namespaces',
      'blocking create deployments.apps in all namespaces',
      'blocking get secrets in all namespaces',
      'blocking get deployments.apps in all namespaces',
      'warning patch secrets in all namespaces',
      'warning patch deployments.apps in all namespaces',
    ]);
  });
});

describe('permissionFindings: what is missing, at the need\'s severity, with the RBAC rule to add', () => {
  const drain = accessChecks('drain', { evicted: ['shop'] });
  const find = (d: string) => drain.find((c) => describeCheck(c) === d) ?? assert.fail(d);
  const [evictShop, getNodes, listRs, listDeploy] = ['create pods/eviction in shop', 'get nodes', 'list replicasets.apps in shop', 'list deployments.apps in shop'].map(find);
  const cases: Array<[string, AccessReviews | undefined, string[]]> = [
    ['not asked: nothing', undefined, []],
    ['the server has no review API: one info finding', { served: false }, ['info PermissionsUnchecked cannot check permissions: the server does not serve SelfSubjectAccessReview']],
    ['everything allowed', { served: true, answers: [{ check: evictShop, allowed: true }, { check: getNodes, allowed: true }] }, []],
    [
      'no create pods/eviction in shop',
      { served: true, answers: [{ check: evictShop, allowed: false, reason: 'no RBAC policy matched' }, { check: getNodes, allowed: true }] },
      ['blocking PermissionMissing you cannot create pods/eviction in shop (no RBAC policy matched): drain evicts the pods (POST pods/<name>/eviction), so the drain stops there'],
    ],
    [
      'two reads of the dry run in one namespace: one warning, one rule',
      { served: true, answers: [{ check: listRs, allowed: false }, { check: listDeploy, allowed: false }] },
      ["warning PermissionMissing you cannot list replicasets.apps, deployments.apps in shop: upkeep drain --dry-run's impact report counts replicas elsewhere; the drain itself goes through without it"],
    ],
  ];
  for (const [story, reviews, expected] of cases) {
    it(story, () => assert.deepEqual(permissionFindings(reviews, 'the drain').map((f) => `${f.severity} ${f.code} ${f.message}`), expected));
  }
  it('the fix names the rule, the kubectl commands that add it and how to check it', () => {
    const [f] = permissionFindings({ served: true, answers: [{ check: evictShop, allowed: false }] }, 'the drain', 'upkeep-drain');
    assert.equal(f.object, 'namespace/shop');
    assert.equal(
      f.fix,
      'add the rule {apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"]} to a Role in shop bound to you (kubectl create role upkeep-drain -n shop --verb=create --resource=pods/eviction; kubectl create rolebinding upkeep-drain -n shop --role=upkeep-drain --user=YOU), then check with kubectl auth can-i create pods --subresource=eviction -n shop',
    );
    const [g] = permissionFindings({ served: true, answers: [{ check: listRs, allowed: false }, { check: listDeploy, allowed: false }] }, 'the drain', 'upkeep-drain');
    assert.match(g.fix, /^add the rule \{apiGroups: \["apps"\], resources: \["replicasets", "deployments"\], verbs: \["list"\]\} to a Role in shop .*--resource=replicasets\.apps,deployments\.apps;/);
    const [n] = permissionFindings({ served: true, answers: [{ check: getNodes, allowed: false }] }, 'the drain', 'upkeep-drain');
    assert.equal(n.object, undefined);
    assert.equal(
      n.fix,
      'add the rule {apiGroups: [""], resources: ["nodes"], verbs: ["get"]} to a ClusterRole bound to you (kubectl create clusterrole upkeep-drain --verb=get --resource=nodes; kubectl create clusterrolebinding upkeep-drain --clusterrole=upkeep-drain --user=YOU), then check with kubectl auth can-i get nodes',
    );
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
      const checks = [2, 3].map((i) => accessChecks('drain', { evicted: ['shop'] })[i]);
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
