import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseObjectKey, prefixEnd, resourcePrefix } from './etcd.js';

describe("etcd key layout (kube-apiserver's)", () => {
  // [resource key, namespace, name, etcd key]
  const cases: Array<[string, string, string, string]> = [
    ['pods', 'default', 'web-1', '/registry/pods/default/web-1'],
    ['nodes', '', 'node01', '/registry/minions/node01'],
    ['services', 'default', 'kubernetes', '/registry/services/specs/default/kubernetes'],
    ['endpoints', 'default', 'kubernetes', '/registry/services/endpoints/default/kubernetes'],
    ['replicationcontrollers', 'ns', 'rc', '/registry/controllers/ns/rc'],
    ['namespaces', '', 'kube-system', '/registry/namespaces/kube-system'],
    ['deployments.apps', 'kube-system', 'coredns', '/registry/deployments/kube-system/coredns'],
    ['jobs.batch', 'ns', 'j', '/registry/jobs/ns/j'],
    ['leases.coordination.k8s.io', 'kube-node-lease', 'node01', '/registry/leases/kube-node-lease/node01'],
    ['clusterroles.rbac.authorization.k8s.io', '', 'admin', '/registry/clusterroles/admin'],
    ['priorityclasses.scheduling.k8s.io', '', 'system-node-critical', '/registry/priorityclasses/system-node-critical'],
    ['ingresses.networking.k8s.io', 'ns', 'web', '/registry/ingress/ns/web'],
    ['customresourcedefinitions.apiextensions.k8s.io', '', 'widgets.example.com', '/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.example.com'],
    ['widgets.example.com', 'ns', 'w1', '/registry/example.com/widgets/ns/w1'],
    ['clusterwidgets.example.com', '', 'cw', '/registry/example.com/clusterwidgets/cw'],
  ];
  for (const [resource, namespace, name, key] of cases) {
    it(`${resource} ${namespace ? `${namespace}/` : ''}${name} <-> ${key}`, () => {
      assert.equal(`/registry/${resourcePrefix(resource)}/${namespace ? `${namespace}/` : ''}${name}`, key);
      assert.deepEqual(parseObjectKey('/registry', key), { resource, namespace, name });
    });
  }

  const foreign = ['/registry/ranges/serviceips', 'compact_rev_key', '/registry/pods/ns/name/extra', '/registry/pods/', '/other/pods/ns/x', '/registry/masterleases/10.0.0.1'];
  for (const key of foreign) {
    it(`keys that are not objects are ignored: ${key}`, () => {
      assert.equal(parseObjectKey('/registry', key), undefined);
    });
  }

  it('a prefix range ends just after the prefix', () => {
    assert.deepEqual(prefixEnd(Buffer.from('/registry/')), Buffer.from('/registry0'));
    assert.deepEqual(prefixEnd(Buffer.from([0x61, 0xff])), Buffer.from([0x62]));
  });
});
