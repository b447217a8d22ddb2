import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nearestMinor, specFor, toV3Schema, v3Document } from './spec.js';
import { schemaFor } from './index.js';

describe('Kubernetes OpenAPI data', () => {
  it('picks the published spec nearest below the server version', () => {
    const cases: Array<[string, string]> = [
      ['v1.31.4', '1.31'],
      ['v1.30.0', '1.30'],
      ['v1.33.2', '1.33'],
      ['v1.35.0', '1.33'],
      ['v1.28.9', '1.30'],
    ];
    for (const [version, want] of cases) assert.equal(nearestMinor(version), want, version);
  });

  it('writes v2 references the v3 way', () => {
    assert.deepEqual(toV3Schema({ $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentStrategy' }), { $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' });
    assert.deepEqual(toV3Schema({ $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentStrategy', description: 'how' }), {
      allOf: [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' }],
      description: 'how',
    });
  });

  it('builds the apps/v1 document with the Deployment schema and the PATCH operation kubectl looks for', () => {
    const doc = v3Document(specFor('v1.31.4'), 'apis/apps/v1');
    const schemas = (doc.components as { schemas: Record<string, { 'x-kubernetes-group-version-kind'?: unknown }> }).schemas;
    assert.deepEqual(schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    assert.ok(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'], 'referenced schemas are included');
    const patch = (doc.paths as Record<string, { patch?: { parameters?: Array<{ name: string }> } }>)['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.ok(patch?.parameters?.some((p) => p.name === 'fieldValidation'));
  });

  it('gives the schema of a built-in kind for validation', () => {
    const found = schemaFor('apps', 'v1', 'Deployment');
    assert.ok(found);
    const spec = (found.schema as { properties: Record<string, unknown> }).properties.spec;
    assert.deepEqual(spec, { allOf: [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec' }], description: 'Specification of the desired behavior of the Deployment.' });
    assert.ok(found.resolve('#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec'));
    assert.equal(schemaFor('example.com', 'v1', 'Widget'), undefined);
  });
});
