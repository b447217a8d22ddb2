import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forbidden, requestAttributes } from './attributes.js';

describe('requestAttributes reads a request as kube-apiserver RequestInfo does', () => {
  const cases: Array<{ method: string; url: string; want: Partial<ReturnType<typeof requestAttributes>> }> = [
    { method: 'GET', url: '/api/v1/namespaces/default/pods', want: { verb: 'list', resource: 'pods', namespace: 'default', name: '' } },
    { method: 'GET', url: '/api/v1/namespaces/default/pods?watch=true', want: { verb: 'watch', resource: 'pods' } },
    { method: 'GET', url: '/api/v1/watch/namespaces/default/pods/x', want: { verb: 'watch', resource: 'pods', name: 'x' } },
    { method: 'GET', url: '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb', want: { verb: 'list', name: 'web' } },
    { method: 'POST', url: '/api/v1/namespaces/default/pods/x/eviction', want: { verb: 'create', resource: 'pods', subresource: 'eviction', name: 'x' } },
    { method: 'PATCH', url: '/api/v1/nodes/node01/status', want: { verb: 'patch', resource: 'nodes', subresource: 'status', namespace: '' } },
    { method: 'DELETE', url: '/apis/apps/v1/namespaces/shop/deployments', want: { verb: 'deletecollection', apiGroup: 'apps', resource: 'deployments' } },
    { method: 'GET', url: '/api/v1/namespaces/shop', want: { verb: 'get', resource: 'namespaces', name: 'shop', namespace: 'shop' } },
    { method: 'PUT', url: '/api/v1/namespaces/shop/finalize', want: { verb: 'update', resource: 'namespaces', name: 'shop', subresource: 'finalize' } },
    { method: 'GET', url: '/apis/apps', want: { verb: 'get', resourceRequest: false, path: '/apis/apps' } },
    { method: 'GET', url: '/healthz', want: { verb: 'get', resourceRequest: false, path: '/healthz' } },
  ];
  for (const c of cases) {
    it(`${c.method} ${c.url}`, () => {
      const a = requestAttributes(c.method, new URL(c.url, 'https://sandbox'));
      for (const [k, v] of Object.entries(c.want)) assert.equal(a[k as keyof typeof a], v, k);
    });
  }
});

describe('forbidden words a 403 as kube-apiserver', () => {
  const cases = [
    {
      story: 'an eviction by a user without create pods/eviction',
      user: 'bob',
      method: 'POST',
      url: '/api/v1/namespaces/default/pods/x/eviction',
      message: 'pods "x" is forbidden: User "bob" cannot create resource "pods/eviction" in API group "" in the namespace "default"',
      details: { name: 'x', group: undefined, kind: 'pods' },
    },
    {
      story: 'a list of a grouped resource at the cluster scope',
      user: 'alice',
      method: 'GET',
      url: '/apis/apps/v1/deployments',
      message: 'deployments.apps is forbidden: User "alice" cannot list resource "deployments" in API group "apps" at the cluster scope',
      details: { name: undefined, group: 'apps', kind: 'deployments' },
    },
    {
      story: 'a non-resource path',
      user: 'system:anonymous',
      method: 'GET',
      url: '/apis',
      message: 'forbidden: User "system:anonymous" cannot get path "/apis"',
      details: {},
    },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const e = forbidden(c.user, requestAttributes(c.method, new URL(c.url, 'https://sandbox')));
      assert.equal(e.status.code, 403);
      assert.equal(e.status.reason, 'Forbidden');
      assert.equal(e.status.message, c.message);
      assert.deepEqual(e.status.details, c.details);
    });
  }
  it('appends the authorizer reason', () => {
    const e = forbidden('bob', requestAttributes('GET', new URL('/api/v1/nodes', 'https://s')), 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found');
    assert.equal(e.status.message, 'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found');
  });
});
