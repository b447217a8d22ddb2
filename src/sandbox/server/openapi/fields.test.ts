import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { fieldIndex } from './fields.js';
import { fieldIndexFile, fieldIndexFor, specFor } from './spec.js';

test("validation's field index reads Kubernetes 1.31's published definitions", () => {
  const index = fieldIndexFor('v1.31.4');
  const cases: Array<[string, string, string | undefined]> = [
    ['api.apps.v1.DeploymentSpec', 'replicas', 'integer'],
    ['api.apps.v1.DeploymentSpec', 'template', '#api.core.v1.PodTemplateSpec'],
    ['api.apps.v1.RollingUpdateDeployment', 'maxSurge', 'int-or-string'],
    ['api.core.v1.Container', 'env', '[#api.core.v1.EnvVar]name'],
    ['api.core.v1.Container', 'ports', '[#api.core.v1.ContainerPort]containerPort,protocol'],
    ['api.core.v1.Container', 'args', '[string]'],
    ['api.core.v1.ResourceRequirements', 'limits', '{quantity}'],
    ['api.core.v1.ServiceSpec', 'clusterIPs', '[string]'],
    ['apimachinery.pkg.apis.meta.v1.ObjectMeta', 'creationTimestamp', 'string'],
    ['apimachinery.pkg.apis.meta.v1.ObjectMeta', 'labels', '{string}'],
    ['apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry', 'fieldsV1', 'any'],
    ['api.apps.v1.ControllerRevision', 'data', 'any'],
    ['apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps', 'items', 'any'],
    ['apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresources', 'status', '#apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresourceStatus'],
    ['api.core.v1.PodSpec', 'noSuchField', undefined],
  ];
  for (const [def, field, want] of cases) assert.equal(index.definitions[def]?.[field], want, `${def}.${field}`);
  // An empty Go struct: known, with no fields (anything sent in it is unknown).
  assert.deepEqual(index.definitions['apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresourceStatus'], {});
});

test('kinds map to the definition of their objects, not to the options every group shares', () => {
  const index = fieldIndexFor('v1.31.4');
  const cases: Array<[string, string | undefined]> = [
    ['v1/Pod', '#api.core.v1.Pod'],
    ['apps/v1/Deployment', '#api.apps.v1.Deployment'],
    ['autoscaling/v1/Scale', '#api.autoscaling.v1.Scale'],
    ['policy/v1/Eviction', '#api.policy.v1.Eviction'],
    ['apiextensions.k8s.io/v1/CustomResourceDefinition', '#apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition'],
    ['v1/DeleteOptions', undefined],
    ['example.com/v1/Widget', undefined],
  ];
  for (const [gvk, want] of cases) assert.equal(index.kinds[gvk], want, gvk);
});

test('fields a minor added are known only from that minor on', () => {
  // PodSpec.resources (pod-level resources) first appears in the 1.32 spec.
  assert.equal(fieldIndexFor('v1.31.0').definitions['api.core.v1.PodSpec']?.resources, undefined);
  assert.equal(fieldIndexFor('v1.33.1').definitions['api.core.v1.PodSpec']?.resources, '#api.core.v1.ResourceRequirements');
});

test('the field index the build writes is the one derived from the spec', () => {
  const built = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data', fieldIndexFile('1.31'));
  if (!existsSync(built)) return; // running from the sources: derived on load instead
  assert.deepEqual(JSON.parse(readFileSync(built, 'utf8')), fieldIndex(specFor('v1.31.0').definitions));
});
