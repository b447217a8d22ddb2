import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { groupResource, isSafeEntryPath, objectEntries, parseEntryPath, splitGroupResource } from './layout.js';

describe('archive layout (Velero 1.1.0)', () => {
  const entries: Array<{ name: string; loc: Parameters<typeof objectEntries>[0]; version: string; want: [string, string] }> = [
    { name: 'namespaced core object', loc: { groupResource: 'pods', namespace: 'default', name: 'web-0' }, version: 'v1', want: ['resources/pods/namespaces/default/web-0.json', 'resources/pods/v1-preferredversion/namespaces/default/web-0.json'] },
    { name: 'namespaced object of a group', loc: { groupResource: 'jobs.batch', namespace: 'ops', name: 'nightly' }, version: 'v1', want: ['resources/jobs.batch/namespaces/ops/nightly.json', 'resources/jobs.batch/v1-preferredversion/namespaces/ops/nightly.json'] },
    { name: 'cluster-scoped object with a colon', loc: { groupResource: 'clusterroles.rbac.authorization.k8s.io', name: 'system:node' }, version: 'v1', want: ['resources/clusterroles.rbac.authorization.k8s.io/cluster/system:node.json', 'resources/clusterroles.rbac.authorization.k8s.io/v1-preferredversion/cluster/system:node.json'] },
  ];
  for (const c of entries) {
    it(`objectEntries: ${c.name}`, () => assert.deepEqual(objectEntries(c.loc, c.version), c.want));
  }

  const parsed: Array<{ path: string; want: ReturnType<typeof parseEntryPath> }> = [
    { path: 'resources/pods/namespaces/default/web-0.json', want: { groupResource: 'pods', namespace: 'default', name: 'web-0', version: undefined, preferred: false } },
    { path: 'resources/jobs.batch/v1-preferredversion/namespaces/ops/nightly.json', want: { groupResource: 'jobs.batch', namespace: 'ops', name: 'nightly', version: 'v1', preferred: true } },
    { path: 'resources/widgets.example.com/v2beta1/cluster/w.json', want: { groupResource: 'widgets.example.com', name: 'w', version: 'v2beta1', preferred: false } },
    { path: 'resources/nodes/cluster/node01.json', want: { groupResource: 'nodes', name: 'node01', version: undefined, preferred: false } },
    { path: 'resources/nodes/cluster/node01.yaml', want: undefined },
    { path: 'resources/pods/namespaces/default', want: undefined },
    { path: 'metadata/version', want: undefined },
    { path: 'upkeep/manifest.json', want: undefined },
  ];
  for (const c of parsed) {
    it(`parseEntryPath ${c.path}`, () => assert.deepEqual(parseEntryPath(c.path), c.want));
  }

  it('group resources', () => {
    assert.equal(groupResource('pods', ''), 'pods');
    assert.equal(groupResource('deployments', 'apps'), 'deployments.apps');
    assert.deepEqual(splitGroupResource('widgets.example.com'), { resource: 'widgets', group: 'example.com' });
    assert.deepEqual(splitGroupResource('secrets'), { resource: 'secrets', group: '' });
  });

  const safety: Array<[string, boolean]> = [
    ['resources/pods/namespaces/a/b.json', true],
    ['metadata/version', true],
    ['/etc/passwd', false],
    ['resources/../../etc/passwd', false],
    ['resources/./x', false],
    ['resources//x', false],
    ['a\\b', false],
    ['', false],
  ];
  for (const [path, want] of safety) it(`isSafeEntryPath(${JSON.stringify(path)}) = ${want}`, () => assert.equal(isSafeEntryPath(path), want));
});
