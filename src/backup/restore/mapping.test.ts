import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.js';
import { applyNamespaceMappings, parseNamespaceMappings } from './mapping.js';

describe('parseNamespaceMappings', () => {
  it('pairs, comma-separated and repeated', () => {
    assert.deepEqual([...parseNamespaceMappings(['shop:shop-copy,data:data2', 'ops:ops-b'])], [
      ['shop', 'shop-copy'],
      ['data', 'data2'],
      ['ops', 'ops-b'],
    ]);
  });
  for (const bad of ['shop', 'shop:', ':x', 'Shop:x', 'a:b:c', 'a:b,a:c']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => parseNamespaceMappings([bad]), /namespace-mappings/));
  }
});

describe('applyNamespaceMappings', () => {
  const map = new Map([['shop', 'shop-copy']]);
  const cases: Array<{ name: string; gr: string; in: KubeObject; want: KubeObject }> = [
    { name: 'a namespaced object moves', gr: 'configmaps', in: { kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } }, want: { kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop-copy' } } },
    { name: 'an object elsewhere stays', gr: 'configmaps', in: { kind: 'ConfigMap', metadata: { name: 'c', namespace: 'data' } }, want: { kind: 'ConfigMap', metadata: { name: 'c', namespace: 'data' } } },
    {
      name: 'the Namespace is renamed with its name label',
      gr: 'namespaces',
      in: { kind: 'Namespace', metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop', team: 'shop' } } },
      want: { kind: 'Namespace', metadata: { name: 'shop-copy', labels: { 'kubernetes.io/metadata.name': 'shop-copy', team: 'shop' } } },
    },
    {
      name: "a PV's claimRef",
      gr: 'persistentvolumes',
      in: { kind: 'PersistentVolume', metadata: { name: 'pv1' }, spec: { claimRef: { namespace: 'shop', name: 'data' } } },
      want: { kind: 'PersistentVolume', metadata: { name: 'pv1' }, spec: { claimRef: { namespace: 'shop-copy', name: 'data' } } },
    },
    {
      name: 'ServiceAccount subjects of a ClusterRoleBinding (users and groups untouched)',
      gr: 'clusterrolebindings.rbac.authorization.k8s.io',
      in: { kind: 'ClusterRoleBinding', metadata: { name: 'b' }, subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }, { kind: 'User', name: 'shop' }] },
      want: { kind: 'ClusterRoleBinding', metadata: { name: 'b' }, subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop-copy' }, { kind: 'User', name: 'shop' }] },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(applyNamespaceMappings(c.in, c.gr, map), c.want));
});
