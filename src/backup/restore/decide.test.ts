import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.js';
import { decideRestore, type DecisionContext } from './decide.js';

const ctx = (groupResource: string, extra: Partial<DecisionContext> = {}): DecisionContext => ({
  groupResource,
  ownerInArchive: () => true,
  serviceHasSelector: () => false,
  ...extra,
});
const meta = (name: string, namespace?: string, extra: Partial<KubeObject['metadata']> = {}) => ({ name, ...(namespace ? { namespace } : {}), ...extra });
const rsOwner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-6d4', uid: 'u1', controller: true };

describe('decideRestore', () => {
  const cases: Array<{ name: string; gr: string; o: KubeObject; ctx?: Partial<DecisionContext>; want: string | true }> = [
    { name: 'a ConfigMap', gr: 'configmaps', o: { metadata: meta('app-config', 'shop') }, want: true },
    { name: 'nodes never', gr: 'nodes', o: { metadata: meta('node01') }, want: 'nodes register themselves (the kubelet creates its Node)' },
    { name: 'events never', gr: 'events', o: { metadata: meta('e', 'shop') }, want: 'events are history, not state' },
    { name: 'kube-root-ca.crt', gr: 'configmaps', o: { metadata: meta('kube-root-ca.crt', 'shop') }, want: 'published in every namespace by kube-controller-manager' },
    { name: 'the default ServiceAccount', gr: 'serviceaccounts', o: { metadata: meta('default', 'shop') }, want: 'created in every namespace by kube-controller-manager' },
    { name: 'another ServiceAccount', gr: 'serviceaccounts', o: { metadata: meta('web-sa', 'shop') }, want: true },
    { name: 'the kubernetes Service', gr: 'services', o: { metadata: meta('kubernetes', 'default') }, want: "the API server's own Service" },
    { name: 'a Service called kubernetes elsewhere', gr: 'services', o: { metadata: meta('kubernetes', 'shop') }, want: true },
    { name: 'system: ClusterRole', gr: 'clusterroles.rbac.authorization.k8s.io', o: { metadata: meta('system:node') }, want: "the API server's bootstrap RBAC (it reconciles these itself)" },
    { name: 'cluster-admin (rbac-defaults)', gr: 'clusterroles.rbac.authorization.k8s.io', o: { metadata: meta('cluster-admin', undefined, { labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }) }, want: "the API server's bootstrap RBAC (it reconciles these itself)" },
    { name: 'kubeadm: RoleBinding', gr: 'rolebindings.rbac.authorization.k8s.io', o: { metadata: meta('kubeadm:kubelet-config', 'kube-system') }, want: 'created by kubeadm' },
    { name: 'a user ClusterRole', gr: 'clusterroles.rbac.authorization.k8s.io', o: { metadata: meta('widget-viewer') }, want: true },
    { name: 'system- PriorityClass', gr: 'priorityclasses.scheduling.k8s.io', o: { metadata: meta('system-node-critical') }, want: 'built in to the API server' },
    { name: 'a node lease', gr: 'leases.coordination.k8s.io', o: { metadata: meta('node01', 'kube-node-lease') }, want: "a node's heartbeat" },
    { name: 'a user lease', gr: 'leases.coordination.k8s.io', o: { metadata: meta('lock', 'shop') }, want: true },
    { name: 'a mirror pod', gr: 'pods', o: { metadata: meta('etcd-cp', 'kube-system', { annotations: { 'kubernetes.io/config.mirror': 'abc' } }) }, want: 'mirror pod of a static pod (its kubelet creates it)' },
    { name: 'a ReplicaSet pod', gr: 'pods', o: { metadata: meta('web-6d4-x', 'shop', { ownerReferences: [rsOwner] }) }, want: 'owned by ReplicaSet web-6d4: its controller creates it again' },
    { name: 'a ReplicaSet pod whose ReplicaSet is not in the archive', gr: 'pods', o: { metadata: meta('web-6d4-x', 'shop', { ownerReferences: [rsOwner] }) }, ctx: { ownerInArchive: () => false }, want: true },
    { name: 'a finished pod', gr: 'pods', o: { metadata: meta('once', 'shop'), status: { phase: 'Succeeded' } }, want: 'a finished pod (Succeeded)' },
    { name: 'a running bare pod', gr: 'pods', o: { metadata: meta('debug', 'shop'), status: { phase: 'Running' } }, want: true },
    { name: 'a finished job', gr: 'jobs.batch', o: { metadata: meta('migrate', 'ops'), status: { conditions: [{ type: 'Complete', status: 'True' }] } }, want: 'a finished job (Complete): restoring it would run it again' },
    { name: 'Endpoints of a Service with a selector', gr: 'endpoints', o: { metadata: meta('web', 'shop') }, ctx: { serviceHasSelector: () => true }, want: 'kept by the endpoints controller for Service web' },
    { name: 'Endpoints of a selectorless Service', gr: 'endpoints', o: { metadata: meta('external-db', 'shop') }, want: true },
    { name: 'a generated SA token', gr: 'secrets', o: { metadata: meta('web-sa-token-ab12c', 'shop', { annotations: { 'kubernetes.io/service-account.name': 'web-sa' } }), type: 'kubernetes.io/service-account-token' }, want: 'a generated ServiceAccount token' },
    { name: 'a named SA token Secret', gr: 'secrets', o: { metadata: meta('ci-token', 'shop', { annotations: { 'kubernetes.io/service-account.name': 'ci' } }), type: 'kubernetes.io/service-account-token' }, want: true },
    { name: 'a bootstrap token', gr: 'secrets', o: { metadata: meta('bootstrap-token-abcdef', 'kube-system'), type: 'bootstrap.kubernetes.io/token' }, want: 'a bootstrap token (short-lived, made by kubeadm)' },
    {
      name: 'a dynamically provisioned PV (Delete)',
      gr: 'persistentvolumes',
      o: { metadata: meta('pvc-1', undefined, { annotations: { 'pv.kubernetes.io/provisioned-by': 'ebs.csi.aws.com' } }), spec: { persistentVolumeReclaimPolicy: 'Delete' } },
      want: 'dynamically provisioned (reclaimPolicy Delete): its claim provisions a new volume; the data is not in an API backup',
    },
    { name: 'a static PV (Retain)', gr: 'persistentvolumes', o: { metadata: meta('archive'), spec: { persistentVolumeReclaimPolicy: 'Retain' } }, want: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = decideRestore(c.o, ctx(c.gr, c.ctx));
      assert.deepEqual(got, c.want === true ? { restore: true } : { restore: false, reason: c.want });
    });
  }
});
