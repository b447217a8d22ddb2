import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.js';
import { applyDefaults, carryOverAllocated } from './defaults.js';

test('defaults kube-apiserver applies on decode', () => {
  const cases: Array<{ name: string; in: KubeObject; out: KubeObject }> = [
    {
      name: 'CronJob policies and history limits; its containers ports default to TCP',
      in: { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80 }] }] } } } } } },
      out: {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'c' },
        spec: {
          concurrencyPolicy: 'Allow',
          suspend: false,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 1,
          schedule: '* * * * *',
          jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } } } },
        },
      },
    },
    {
      name: 'Service: type, affinity, families, traffic policy, port protocol and targetPort',
      in: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', annotations: {} }, spec: { ports: [{ port: 80 }] } },
      out: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 's' },
        spec: { type: 'ClusterIP', sessionAffinity: 'None', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', internalTrafficPolicy: 'Cluster', ports: [{ protocol: 'TCP', port: 80, targetPort: 80 }] },
      },
    },
    {
      name: 'Secret stringData folded into data (over the same key)',
      in: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'eA==', b: 'eQ==' }, stringData: { b: 'héllo' } },
      out: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'eA==', b: 'aMOpbGxv' } },
    },
    {
      name: 'empty labels and annotations dropped',
      in: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: {}, annotations: {} } },
      out: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } },
    },
  ];
  for (const c of cases) assert.deepEqual(applyDefaults(c.in), c.out, c.name);
});

test('an update that leaves out a Service clusterIP keeps the allocated one', () => {
  const old: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9'] } };
  const next: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [] } };
  assert.deepEqual(carryOverAllocated(old, next).spec, { ports: [], clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9'] });
});
