// @kubernetes/client-node against the sandbox: custom resources are checked against their CRD's
// schema (422 with causes, unknown fields pruned, defaults applied) and Secret stringData is
// folded into data, as kube-apiserver does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { eventually, testSandbox, type TestSandbox } from './helpers/sandbox.js';

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: { size: { type: 'integer', minimum: 1 }, tier: { type: 'string', enum: ['gold', 'silver'], default: 'silver' } },
              },
            },
          },
        },
      },
    ],
  },
};

describe('custom resource schema validation through @kubernetes/client-node', () => {
  let sb: TestSandbox;
  let custom: k8s.CustomObjectsApi;
  let core: k8s.CoreV1Api;
  before(async () => {
    sb = await testSandbox({ controllers: false });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(sb.kubeconfig);
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    core = kc.makeApiClient(k8s.CoreV1Api);
    // Through kubectl: client-node's model of JSONSchemaProps drops `default` (its field is `_default`).
    const created = await sb.kubectl(['apply', '-f', '-'], { input: JSON.stringify(CRD) });
    assert.equal(created.code, 0, created.stderr);
    await eventually('widgets served', async () => (await sb.kubectl(['get', 'widgets'])).code === 0);
  });
  after(async () => sb.stop());

  const widget = (name: string, spec: object) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name }, spec });

  it('a string where the schema wants an integer is 422 with the go-openapi message', async () => {
    await assert.rejects(custom.createNamespacedCustomObject({ group: 'example.com', version: 'v1', namespace: 'default', plural: 'widgets', body: widget('big', { size: 'big' }) }), (e: k8s.ApiException<string>) => {
      assert.equal(e.code, 422);
      const status = JSON.parse(e.body) as k8s.V1Status;
      assert.equal(status.message, 'Widget.example.com "big" is invalid: spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"');
      assert.deepEqual(status.details?.causes, [{ reason: 'FieldValueInvalid', field: 'spec.size', message: 'Invalid value: "string": spec.size in body must be of type integer: "string"' }]);
      return true;
    });
  });

  it('a valid widget is stored pruned and defaulted', async () => {
    await custom.createNamespacedCustomObject({ group: 'example.com', version: 'v1', namespace: 'default', plural: 'widgets', body: widget('ok', { size: 3, colour: 'blue' }) });
    const stored = await sb.get('widgets.example.com', 'default', 'ok');
    assert.deepEqual(stored?.spec, { size: 3, tier: 'silver' });
  });

  it('Secret stringData is folded into data', async () => {
    const created = await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'db' }, stringData: { user: 'admin' } } });
    assert.deepEqual(created.data, { user: 'YWRtaW4=' });
    assert.equal(created.stringData, undefined);
  });
});
