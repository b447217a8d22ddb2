import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { APIResourceInfo, DiscoveryResult } from '../kube/discovery.js';
import { BackupOptionError } from './errors.js';
import { globMatch, listScopes, namespaceSelected, planCollection, type BackupSelection } from './plan.js';

const ALL = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
function r(group: string, version: string, resource: string, kind: string, namespaced: boolean, extra: Partial<APIResourceInfo> = {}): APIResourceInfo {
  return { group, version, resource, kind, namespaced, singularName: kind.toLowerCase(), verbs: ALL, shortNames: [], categories: [], subresources: [], ...extra };
}
const discovery: DiscoveryResult = {
  aggregated: true,
  failed: [{ groupVersion: 'custom.metrics.k8s.io/v1beta1', message: '503 ServiceUnavailable' }],
  groups: [
    {
      name: '',
      preferredVersion: 'v1',
      versions: [
        {
          version: 'v1',
          resources: [
            r('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'] }),
            r('', 'v1', 'pods', 'Pod', true, { shortNames: ['po'] }),
            r('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
            r('', 'v1', 'secrets', 'Secret', true),
            r('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
            r('', 'v1', 'persistentvolumes', 'PersistentVolume', false, { shortNames: ['pv'] }),
            r('', 'v1', 'componentstatuses', 'ComponentStatus', false, { verbs: ['get', 'list'] }),
            r('', 'v1', 'bindings', 'Binding', true, { verbs: ['create'] }),
          ],
        },
      ],
    },
    { name: 'extensions', preferredVersion: 'v1beta1', versions: [{ version: 'v1beta1', resources: [r('extensions', 'v1beta1', 'deployments', 'Deployment', true)] }] },
    {
      name: 'apps',
      preferredVersion: 'v1',
      versions: [
        { version: 'v1', resources: [r('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'] })] },
        { version: 'v1beta2', resources: [r('apps', 'v1beta2', 'deployments', 'Deployment', true)] },
      ],
    },
    { name: 'events.k8s.io', preferredVersion: 'v1', versions: [{ version: 'v1', resources: [r('events.k8s.io', 'v1', 'events', 'Event', true)] }] },
    { name: 'metrics.k8s.io', preferredVersion: 'v1beta1', versions: [{ version: 'v1beta1', stale: true, resources: [] }] },
    { name: 'storage.k8s.io', preferredVersion: 'v1', versions: [{ version: 'v1', resources: [r('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, { shortNames: ['sc'] })] }] },
  ],
};

const names = (s: BackupSelection) => planCollection(discovery, s).resources.map((x) => `${x.groupResource}@${x.version}`);
const skipped = (s: BackupSelection) => Object.fromEntries(planCollection(discovery, s).skipped.map((x) => [x.groupResource, x.reason]));

describe('planCollection', () => {
  it('everything listable and creatable, preferred versions, extensions last and once', () => {
    assert.deepEqual(names({}), ['namespaces@v1', 'pods@v1', 'configmaps@v1', 'secrets@v1', 'persistentvolumes@v1', 'deployments.apps@v1', 'storageclasses.storage.k8s.io@v1']);
  });
  it('says why the others are left out', () => {
    assert.deepEqual(skipped({}), {
      events: 'events are left out unless named in --include-resources',
      componentstatuses: 'cannot be create (verbs: get,list)',
      bindings: 'cannot be list, get (verbs: create)',
      'events.events.k8s.io': 'the same objects as events, backed up once',
      'deployments.extensions': 'the same objects as deployments.apps, backed up once',
    });
  });
  it('failed and stale groups are named', () => {
    assert.deepEqual(
      planCollection(discovery, {}).failed.map((f) => f.what),
      ['custom.metrics.k8s.io/v1beta1', 'metrics.k8s.io/v1beta1'],
    );
  });
  it('--include-resources with short names (namespaces always kept)', () => {
    assert.deepEqual(names({ includeResources: ['deploy', 'cm'] }), ['namespaces@v1', 'configmaps@v1', 'deployments.apps@v1']);
  });
  it('events when named', () => {
    assert.deepEqual(names({ includeResources: ['ev'] }), ['namespaces@v1', 'events@v1']);
  });
  it('--exclude-resources', () => {
    assert.deepEqual(names({ excludeResources: ['secrets', 'po', 'sc', 'pv', 'ns'] }), ['configmaps@v1', 'deployments.apps@v1']);
  });
  it('auto: no cluster-scoped resources with a namespace filter, unless named', () => {
    assert.deepEqual(names({ includeNamespaces: ['shop'] }), ['namespaces@v1', 'pods@v1', 'configmaps@v1', 'secrets@v1', 'deployments.apps@v1']);
    assert.deepEqual(names({ includeNamespaces: ['shop'], includeResources: ['sc', 'cm'] }), ['namespaces@v1', 'configmaps@v1', 'storageclasses.storage.k8s.io@v1']);
    assert.equal(planCollection(discovery, { includeNamespaces: ['shop'] }).pullPVs, true);
  });
  it('--include-cluster-resources=false and true', () => {
    assert.deepEqual(names({ includeClusterResources: 'false' }), ['namespaces@v1', 'pods@v1', 'configmaps@v1', 'secrets@v1', 'deployments.apps@v1']);
    assert.deepEqual(names({ includeNamespaces: ['shop'], includeClusterResources: 'true' }), names({}));
  });
  it('an unknown resource or a bad selector is bad input', () => {
    assert.throws(() => planCollection(discovery, { includeResources: ['deploymnts'] }), (e: unknown) => e instanceof BackupOptionError && /--include-resources: the server doesn't have a resource type "deploymnts"; did you mean "deployments"\?/.test(e.message));
    assert.throws(() => planCollection(discovery, { labelSelector: 'a in (' }), BackupOptionError);
  });
});

describe('namespace filters', () => {
  const cases: Array<[string, string[], string[], boolean]> = [
    ['shop', [], [], true],
    ['shop', ['shop'], [], true],
    ['data', ['shop'], [], false],
    ['team-a', ['team-*'], [], true],
    ['team-a', [], ['team-?'], false],
    ['kube-system', ['*'], ['kube-*'], false],
  ];
  for (const [ns, include, exclude, want] of cases) {
    it(`${ns} with include ${include.join(',') || '-'} exclude ${exclude.join(',') || '-'}: ${want}`, () => {
      assert.equal(namespaceSelected(ns, { includeNamespaces: include, excludeNamespaces: exclude }), want);
    });
  }
  it('lists per named namespace, or once across all', () => {
    assert.deepEqual(listScopes({ includeNamespaces: ['a', 'b', 'a'], excludeNamespaces: ['b'] }), ['a']);
    assert.deepEqual(listScopes({ includeNamespaces: ['team-*'], excludeNamespaces: [] }), [undefined]);
    assert.deepEqual(listScopes({ includeNamespaces: [], excludeNamespaces: [] }), [undefined]);
  });
  it('globs', () => {
    assert.equal(globMatch('a.b*', 'a.bc'), true);
    assert.equal(globMatch('a.b*', 'axbc'), false);
  });
});
