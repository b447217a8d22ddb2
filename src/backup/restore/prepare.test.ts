import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.js';
import { prepareForRestore, type PrepareOptions } from './prepare.js';

const opts = (groupResource: string, extra: Partial<PrepareOptions> = {}): PrepareOptions => ({
  groupResource,
  hasStatusSubresource: true,
  preserveNodePorts: false,
  volumeRestored: () => false,
  ...extra,
});
const server = { uid: 'u', resourceVersion: '9', creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{}], generation: 2, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'o' }] };

describe('prepareForRestore', () => {
  const cases: Array<{ name: string; in: KubeObject; opts: PrepareOptions; want: KubeObject }> = [
    {
      name: 'server metadata and status go',
      in: { kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', labels: { a: 'b' }, ...server }, data: { k: 'v' } },
      opts: opts('configmaps', { hasStatusSubresource: false }),
      want: { kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', labels: { a: 'b' } }, data: { k: 'v' } },
    },
    {
      name: 'status goes where the API ignores it',
      in: { kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 2 }, status: { replicas: 2 } },
      opts: opts('deployments.apps'),
      want: { kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 2 } },
    },
    {
      name: 'status stays on a custom resource without a status subresource',
      in: { kind: 'Widget', metadata: { name: 'w' }, status: { ok: true } },
      opts: opts('widgets.example.com', { hasStatusSubresource: false }),
      want: { kind: 'Widget', metadata: { name: 'w' }, status: { ok: true } },
    },
    {
      name: 'Service: cluster IPs and allocated nodePorts released, hand-set nodePorts kept',
      in: {
        kind: 'Service',
        metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{"ports":[{"port":443,"nodePort":30443}]}}' } },
        spec: { type: 'NodePort', clusterIP: '10.96.4.2', clusterIPs: ['10.96.4.2'], ports: [{ port: 80, nodePort: 31234 }, { port: 443, nodePort: 30443 }] },
      },
      opts: opts('services'),
      want: {
        kind: 'Service',
        metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{"ports":[{"port":443,"nodePort":30443}]}}' } },
        spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 443, nodePort: 30443 }] },
      },
    },
    {
      name: 'Service: --preserve-node-ports keeps them all; headless stays headless',
      in: { kind: 'Service', metadata: { name: 's' }, spec: { type: 'NodePort', clusterIP: 'None', ports: [{ port: 80, nodePort: 31234 }] } },
      opts: opts('services', { preserveNodePorts: true }),
      want: { kind: 'Service', metadata: { name: 's' }, spec: { type: 'NodePort', clusterIP: 'None', ports: [{ port: 80, nodePort: 31234 }] } },
    },
    {
      name: 'Pod: unbound from its node, priority and injected token volume dropped',
      in: {
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: {
          nodeName: 'node01',
          priority: 1000,
          priorityClassName: 'high',
          volumes: [{ name: 'data', emptyDir: {} }, { name: 'kube-api-access-x1y2z', projected: { sources: [] } }],
          containers: [{ name: 'c', volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'kube-api-access-x1y2z', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] }],
        },
      },
      opts: opts('pods'),
      want: { kind: 'Pod', metadata: { name: 'p' }, spec: { priorityClassName: 'high', volumes: [{ name: 'data', emptyDir: {} }], containers: [{ name: 'c', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] } },
    },
    {
      name: 'Job: generated selector and controller-uid labels dropped',
      in: {
        kind: 'Job',
        metadata: { name: 'j', labels: { 'controller-uid': 'u', 'job-name': 'j' } },
        spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } }, template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'u', 'controller-uid': 'u', 'job-name': 'j' } } } },
      },
      opts: opts('jobs.batch'),
      want: { kind: 'Job', metadata: { name: 'j', labels: { 'job-name': 'j' } }, spec: { template: { metadata: { labels: { 'job-name': 'j' } } } } },
    },
    {
      name: 'PVC whose volume is not restored: unbound, to provision anew',
      in: { kind: 'PersistentVolumeClaim', metadata: { name: 'c', annotations: { 'pv.kubernetes.io/bind-completed': 'yes', keep: 'me' } }, spec: { volumeName: 'pvc-123' } },
      opts: opts('persistentvolumeclaims'),
      want: { kind: 'PersistentVolumeClaim', metadata: { name: 'c', annotations: { keep: 'me' } }, spec: {} },
    },
    {
      name: 'PVC whose volume is restored keeps it',
      in: { kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { volumeName: 'archive' } },
      opts: opts('persistentvolumeclaims', { volumeRestored: (n) => n === 'archive' }),
      want: { kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { volumeName: 'archive' } },
    },
    {
      name: "PV: its claim's old uid dropped so the new claim binds",
      in: { kind: 'PersistentVolume', metadata: { name: 'archive' }, spec: { claimRef: { namespace: 'n', name: 'c', uid: 'old', resourceVersion: '3' } } },
      opts: opts('persistentvolumes'),
      want: { kind: 'PersistentVolume', metadata: { name: 'archive' }, spec: { claimRef: { namespace: 'n', name: 'c' } } },
    },
    {
      name: 'token Secret: data dropped (the token controller fills it)',
      in: { kind: 'Secret', metadata: { name: 'ci-token' }, type: 'kubernetes.io/service-account-token', data: { token: 'eyJ' } },
      opts: opts('secrets', { hasStatusSubresource: false }),
      want: { kind: 'Secret', metadata: { name: 'ci-token' }, type: 'kubernetes.io/service-account-token' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = structuredClone(c.in);
      assert.deepEqual(prepareForRestore(c.in, c.opts), c.want);
      assert.deepEqual(c.in, before, 'the archived object is not modified');
    });
  }
});
