import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../api/types.js';
import { validateUpdate } from './immutable.js';

const obj = (kind: string, body: object): KubeObject => ({ apiVersion: 'v1', kind, metadata: { name: 'x' }, ...body });

test('updates kube-apiserver refuses, in its words', () => {
  const cases: Array<{ name: string; old: KubeObject; next: KubeObject; messages: string[] }> = [
    {
      name: 'Deployment selector',
      old: obj('Deployment', { spec: { selector: { matchLabels: { app: 'a' } } } }),
      next: obj('Deployment', { spec: { selector: { matchLabels: { app: 'b' } } } }),
      messages: ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable'],
    },
    {
      name: 'StatefulSet serviceName',
      old: obj('StatefulSet', { spec: { serviceName: 'a', replicas: 1 } }),
      next: obj('StatefulSet', { spec: { serviceName: 'b', replicas: 2 } }),
      messages: ["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"],
    },
    { name: 'StatefulSet replicas only', old: obj('StatefulSet', { spec: { serviceName: 'a', replicas: 1 } }), next: obj('StatefulSet', { spec: { serviceName: 'a', replicas: 5 } }), messages: [] },
    {
      name: 'Service clusterIP',
      old: obj('Service', { spec: { clusterIP: '10.96.0.1' } }),
      next: obj('Service', { spec: { clusterIP: '10.96.0.2' } }),
      messages: ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.2"}: may not change once set'],
    },
    { name: 'Secret type', old: obj('Secret', { type: 'Opaque' }), next: obj('Secret', { type: 'kubernetes.io/tls' }), messages: ['type: Invalid value: "kubernetes.io/tls": field is immutable'] },
    {
      name: 'immutable ConfigMap data',
      old: obj('ConfigMap', { immutable: true, data: { a: '1' } }),
      next: obj('ConfigMap', { immutable: true, data: { a: '2' } }),
      messages: ['data: Forbidden: field is immutable when `immutable` is set'],
    },
    {
      name: 'PVC access modes',
      old: obj('PersistentVolumeClaim', { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }),
      next: obj('PersistentVolumeClaim', { spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '2Gi' } } } }),
      messages: ['spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'],
    },
  ];
  for (const c of cases) assert.deepEqual(validateUpdate(c.old, c.next).map((x) => `${x.field}: ${x.message}`), c.messages, c.name);
});
