import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../api/types.js';
import { validateObject } from './rules.js';

const pod = (spec: unknown): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec });
const c = (extra: object = {}) => ({ name: 'app', image: 'nginx', ...extra });
const deployment = (spec: object): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd' },
  spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [c()] } }, ...spec },
});

test('validation answers what kube-apiserver answers, field by field', () => {
  const cases: Array<{ name: string; o: KubeObject; messages: string[] }> = [
    {
      name: 'taint effect Sometimes',
      o: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } },
      messages: ['spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"'],
    },
    {
      name: 'taint without key or effect',
      o: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { taints: [{}] } },
      messages: ['spec.taints[0].key: Required value', 'spec.taints[0].effect: Required value'],
    },
    {
      name: 'negative capacity',
      o: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: { capacity: { memory: '-1Gi' } } },
      messages: ['status.capacity.memory: Invalid value: "-1Gi": must be greater than or equal to 0'],
    },
    { name: 'pod without containers', o: pod({}), messages: ['spec.containers: Required value'] },
    {
      name: 'container without name and image',
      o: pod({ containers: [{}] }),
      messages: ['spec.containers[0].name: Required value', 'spec.containers[0].image: Required value'],
    },
    {
      name: 'bad port, protocol and requests over limits',
      o: pod({ containers: [c({ ports: [{ containerPort: 70000, protocol: 'HTTP' }], resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } })] }),
      messages: [
        'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
      ],
    },
    {
      name: 'restartPolicy and tolerations',
      o: pod({ containers: [c()], restartPolicy: 'Sometimes', tolerations: [{ key: 'k', operator: 'Maybe', effect: 'Later' }] }),
      messages: [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        'spec.tolerations[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"',
        'spec.tolerations[0].effect: Unsupported value: "Later": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      ],
    },
    { name: 'negative replicas', o: deployment({ replicas: -1 }), messages: ['spec.replicas: Invalid value: -1: must be greater than or equal to 0'] },
    {
      name: 'selector not matching the template',
      o: deployment({ selector: { matchLabels: { app: 'other' } } }),
      messages: ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"d"}: `selector` does not match template `labels`'],
    },
    {
      name: 'service port 0 and two unnamed ports',
      o: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 0 }, { port: 80 }] } },
      messages: ['spec.ports[0].name: Required value', 'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive', 'spec.ports[1].name: Required value'],
    },
    {
      name: 'budget with both minAvailable and maxUnavailable',
      o: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'b' }, spec: { minAvailable: 1, maxUnavailable: 1 } },
      messages: ['spec: Invalid value: {"minAvailable":1,"maxUnavailable":1}: minAvailable and maxUnavailable cannot be both set'],
    },
    {
      name: 'configmap key with a space',
      o: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'a b': 'x' } },
      messages: [`data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`],
    },
    {
      name: 'label value with a space',
      o: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { app: 'a b' } } },
      messages: [
        `metadata.labels: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    },
    { name: 'a valid deployment', o: deployment({ replicas: 3 }), messages: [] },
  ];
  for (const t of cases) {
    assert.deepEqual(
      validateObject(t.o).map((x) => `${x.field}: ${x.message}`),
      t.messages,
      t.name,
    );
  }
});
