import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAGIC, decodeProtobuf, decodeWatchFrames, encodeProtobuf, hasMessage, messageName, watchEventFrame } from './codec.js';
import { BUILTIN_RESOURCES, groupVersion } from '../resources.js';

describe('Kubernetes protobuf codec', () => {
  it('names the message of each kind the way k8s.io/api packages them', () => {
    const cases: Array<[string, string, string]> = [
      ['v1', 'ConfigMap', 'k8s.io.api.core.v1.ConfigMap'],
      ['apps/v1', 'Deployment', 'k8s.io.api.apps.v1.Deployment'],
      ['rbac.authorization.k8s.io/v1', 'Role', 'k8s.io.api.rbac.v1.Role'],
      ['policy/v1', 'PodDisruptionBudget', 'k8s.io.api.policy.v1.PodDisruptionBudget'],
      ['meta.k8s.io/v1', 'Status', 'k8s.io.apimachinery.pkg.apis.meta.v1.Status'],
      ['v1', 'Status', 'k8s.io.apimachinery.pkg.apis.meta.v1.Status'],
      ['apiregistration.k8s.io/v1', 'APIService', 'k8s.io.kube_aggregator.pkg.apis.apiregistration.v1.APIService'],
    ];
    for (const [apiVersion, kind, want] of cases) assert.equal(messageName(apiVersion, kind), want, `${apiVersion} ${kind}`);
  });

  it('has a message for every built-in kind the sandbox serves and its list (APIServices from kube-aggregator), CRDs aside', () => {
    const missing = BUILTIN_RESOURCES.filter((t) => t.group !== 'apiextensions.k8s.io')
      // Create-only kinds (the review APIs) have no list kind in Kubernetes either.
      .flatMap((t) => (t.verbs && !t.verbs.includes('list') ? [t.kind] : [t.kind, `${t.kind}List`]).map((kind) => [groupVersion(t), kind]))
      .filter(([apiVersion, kind]) => !hasMessage(apiVersion, kind));
    assert.deepEqual(missing, []);
    assert.equal(hasMessage('apiextensions.k8s.io/v1', 'CustomResourceDefinition'), false);
  });

  it('turns a Deployment into protobuf and back into the JSON Go would write', () => {
    const deployment = {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web', namespace: 'shop', creationTimestamp: '2026-01-02T03:04:05Z', labels: { app: 'web' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27.3', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '500m' } } }] },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      },
    };
    const wire = encodeProtobuf(deployment);
    assert.ok(wire);
    assert.deepEqual(wire.subarray(0, 4), MAGIC);
    const back = decodeProtobuf(wire);
    assert.deepEqual(back, {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web', namespace: 'shop', creationTimestamp: '2026-01-02T03:04:05Z', labels: { app: 'web' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27.3', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '500m' } } }] },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      },
      status: {},
    });
  });

  it('keeps Secret data as base64 and drops unset optional fields', () => {
    const wire = encodeProtobuf({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'creds' }, data: { password: 'aHVudGVyMg==' }, type: 'Opaque' });
    assert.ok(wire);
    assert.deepEqual(decodeProtobuf(wire), {
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 'creds', creationTimestamp: null },
      data: { password: 'aHVudGVyMg==' },
      type: 'Opaque',
    });
  });

  it('frames watch events with a 4-byte big-endian length around a raw WatchEvent', () => {
    const added = watchEventFrame('ADDED', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a', namespace: 'ns', resourceVersion: '7' }, data: { k: 'v' } });
    const gone = watchEventFrame('ERROR', { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (5)', reason: 'Expired', code: 410 });
    assert.ok(added && gone);
    assert.equal(added.readUInt32BE(0), added.length - 4);
    const events = decodeWatchFrames(Buffer.concat([added, gone, added.subarray(0, 6)]));
    assert.deepEqual(
      events.map((e) => [e.type, e.object.kind, e.object.message ?? (e.object.metadata as { name?: string }).name]),
      [
        ['ADDED', 'ConfigMap', 'a'],
        ['ERROR', 'Status', 'too old resource version: 1 (5)'],
      ],
    );
  });

  it('refuses a body without the k8s magic with a 400 naming the prefix', () => {
    assert.throws(() => decodeProtobuf(Buffer.from('{"kind":"Pod"}')), (e: Error & { code?: number }) => e.code === 400 && /expected protobuf prefix/.test(e.message));
  });
});
