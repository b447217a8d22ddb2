import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.js';
import { applyOwnership, fieldPaths, printPath, toFieldsV1, updateOwnership } from './managedfields.js';
import { StatusError } from '../../api/status.js';

const pod = (image: string, extra: object = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'a' } },
  spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 80, protocol: 'TCP' }] }], ...extra },
});

test('fields an object sets, in FieldsV1', () => {
  assert.deepEqual(toFieldsV1(fieldPaths(pod('nginx'))), {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': {
      'f:containers': {
        'k:{"name":"app"}': {
          '.': {},
          'f:name': {},
          'f:image': {},
          'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } },
        },
      },
    },
  });
  assert.equal(printPath(['f:spec', 'f:containers', 'k:{"name":"app"}', 'f:image']), '.spec.containers[name="app"].image');
});

test('an apply conflicts with the manager that set a field to another value, and may force it', () => {
  const live: KubeObject = { ...pod('nginx:1'), metadata: { name: 'p', labels: { app: 'a' }, managedFields: updateOwnership('editor', 'v1', 't0', undefined, pod('nginx:1')) } };
  const applied = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'nginx:2' }] } };
  const input = { manager: 'ci', apiVersion: 'v1', time: 't1', force: false, applied, live, merged: pod('nginx:2') };
  assert.throws(
    () => applyOwnership(input),
    (e: unknown) => e instanceof StatusError && e.code === 409 && e.status.message === 'Apply failed with 1 conflict: conflict with "editor" using v1: .spec.containers[name="app"].image',
  );
  const forced = applyOwnership({ ...input, force: true });
  assert.deepEqual(
    forced.metadata.managedFields?.map((e) => [e.manager, e.operation, JSON.stringify(e.fieldsV1).includes('f:image')]),
    [
      ['editor', 'Update', false],
      ['ci', 'Apply', true],
    ],
  );
});
