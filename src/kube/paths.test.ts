import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildQuery, parseApiVersion, parseResourcePath, resourcePath, type ResourceRef } from './paths.js';

describe('resourcePath', () => {
  const cases: { story: string; ref: ResourceRef; path: string }[] = [
    { story: 'core collection', ref: { version: 'v1', resource: 'nodes' }, path: '/api/v1/nodes' },
    { story: 'core group given as empty string', ref: { group: '', version: 'v1', resource: 'nodes', name: 'n1' }, path: '/api/v1/nodes/n1' },
    {
      story: 'namespaced collection in a named group',
      ref: { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'kube-system' },
      path: '/apis/apps/v1/namespaces/kube-system/deployments',
    },
    {
      story: 'eviction subresource of a pod',
      ref: { version: 'v1', resource: 'pods', namespace: 'default', name: 'web-0', subresource: 'eviction' },
      path: '/api/v1/namespaces/default/pods/web-0/eviction',
    },
    {
      story: 'cluster-scoped object with a subresource',
      ref: { version: 'v1', resource: 'nodes', name: 'node01', subresource: 'status' },
      path: '/api/v1/nodes/node01/status',
    },
    {
      story: 'the Namespace object itself',
      ref: { version: 'v1', resource: 'namespaces', name: 'team-a' },
      path: '/api/v1/namespaces/team-a',
    },
    {
      story: 'names with characters that need escaping are encoded',
      ref: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', name: 'system:node' },
      path: '/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Anode',
    },
  ];
  for (const c of cases) {
    it(c.story, () => assert.equal(resourcePath(c.ref), c.path));
  }

  const bad: { story: string; ref: ResourceRef; error: RegExp }[] = [
    { story: 'a name with a slash would address another path', ref: { version: 'v1', resource: 'pods', name: 'a/b' }, error: /invalid name "a\/b"/ },
    { story: 'a name of ".."', ref: { version: 'v1', resource: 'pods', name: '..' }, error: /invalid name/ },
    { story: 'a subresource without a name', ref: { version: 'v1', resource: 'pods', subresource: 'log' }, error: /needs an object name/ },
    { story: 'no version', ref: { version: '', resource: 'pods' }, error: /API version is required/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.story}`, () => assert.throws(() => resourcePath(c.ref), c.error));
  }
});

describe('parseResourcePath', () => {
  const cases: { path: string; ref: ResourceRef | undefined }[] = [
    { path: '/api/v1/nodes', ref: { group: '', version: 'v1', resource: 'nodes' } },
    { path: '/api/v1/namespaces/default/pods/web-0/eviction', ref: { group: '', version: 'v1', resource: 'pods', namespace: 'default', name: 'web-0', subresource: 'eviction' } },
    { path: '/apis/apps/v1/namespaces/ns/deployments?limit=5', ref: { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'ns' } },
    { path: '/api/v1/namespaces/team-a', ref: { group: '', version: 'v1', resource: 'namespaces', name: 'team-a' } },
    { path: '/api/v1/namespaces/team-a/finalize', ref: { group: '', version: 'v1', resource: 'namespaces', name: 'team-a', subresource: 'finalize' } },
    { path: '/version', ref: undefined },
    { path: '/apis/apps/v1', ref: undefined },
  ];
  for (const c of cases) {
    it(`reads ${c.path}`, () => assert.deepEqual(parseResourcePath(c.path), c.ref));
  }
  it('is the inverse of resourcePath', () => {
    const ref: ResourceRef = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespace: 'prod', name: 'db' };
    assert.deepEqual(parseResourcePath(resourcePath(ref)), ref);
  });
});

describe('buildQuery', () => {
  const cases: { story: string; query: Parameters<typeof buildQuery>[0]; text: string }[] = [
    { story: 'nothing', query: undefined, text: '' },
    { story: 'only undefined values', query: { limit: undefined }, text: '' },
    { story: 'selectors are encoded', query: { fieldSelector: 'spec.nodeName=n1', limit: 500 }, text: '?fieldSelector=spec.nodeName%3Dn1&limit=500' },
    { story: 'booleans as text', query: { watch: true, allowWatchBookmarks: false }, text: '?watch=true&allowWatchBookmarks=false' },
    { story: 'arrays repeat the key', query: { dryRun: ['All'], x: ['a', 'b'] }, text: '?dryRun=All&x=a&x=b' },
  ];
  for (const c of cases) it(c.story, () => assert.equal(buildQuery(c.query), c.text));
});

describe('parseApiVersion', () => {
  for (const [apiVersion, group, version] of [['v1', '', 'v1'], ['apps/v1', 'apps', 'v1'], ['rbac.authorization.k8s.io/v1', 'rbac.authorization.k8s.io', 'v1']]) {
    it(apiVersion, () => assert.deepEqual(parseApiVersion(apiVersion), { group, version }));
  }
});
