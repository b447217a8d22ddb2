import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../api/types.js';
import { decodeBuiltin } from './index.js';
import { jsonNestingExceeds, valueDepth } from './decode.js';

const node = (spec: unknown, status: unknown = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec, status });

test('decoding a built-in kind: wrong types are refused in encoding/json words, unknown fields reported', () => {
  const cases: Array<{ name: string; o: KubeObject; mode?: 'Strict' | 'Warn' | 'Ignore'; error?: string; warnings?: string[] }> = [
    {
      name: 'taints as a string',
      o: node({ taints: 'oops' }),
      error: 'Node in version "v1" cannot be handled as a Node: json: cannot unmarshal string into Go struct field NodeSpec.spec.taints of type []v1.Taint',
    },
    {
      name: 'a capacity that is not a quantity',
      o: node({}, { capacity: { cpu: 'lots' } }),
      error: "Node in version \"v1\" cannot be handled as a Node: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    },
    {
      name: 'a label value that is a number',
      o: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: 1 } } } as unknown as KubeObject,
      error: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
    },
    {
      name: 'an unknown field under Strict',
      o: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { foo: 1, template: { spec: { containers: [{ name: 'a', bar: true }] } } } },
      mode: 'Strict',
      error: 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].bar"',
    },
    { name: 'an unknown field under Warn', o: node({ foo: 1 }), mode: 'Warn', warnings: ['unknown field "spec.foo"'] },
    { name: 'an unknown field under Ignore', o: node({ foo: 1 }), mode: 'Ignore', warnings: [] },
  ];
  for (const c of cases) {
    const warnings: string[] = [];
    if (c.error) {
      assert.throws(() => decodeBuiltin(c.o, { fieldValidation: c.mode, warnings }), (e: Error) => e.message === c.error, c.name);
    } else {
      const out = decodeBuiltin(c.o, { fieldValidation: c.mode, warnings });
      assert.deepEqual(out.spec, {}, c.name);
      assert.deepEqual(warnings, c.warnings, c.name);
    }
  }
});

test('a deep unknown field is dropped, never kept; a deep free-form value is refused', () => {
  let deep: Record<string, unknown> = {};
  const root = deep;
  for (let i = 0; i < 5000; i++) deep = (deep.a = {}) as Record<string, unknown>;
  const cm = decodeBuiltin({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' }, extra: root } as KubeObject);
  assert.deepEqual(cm, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } });
  assert.throws(() => decodeBuiltin({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: root }), /nests deeper than the 256 levels/);
});

test('nesting is measured without recursion', () => {
  assert.equal(jsonNestingExceeds('{"a":"{{{{"}', 1), false);
  assert.equal(jsonNestingExceeds('{"a":{"b":[1]}}', 2), true);
  assert.equal(jsonNestingExceeds('['.repeat(10_001) + ']'.repeat(10_001)), true);
  assert.equal(valueDepth({ a: [{ b: 1 }] }), 3);
});

test('a built-in kind is measured only through its free-form fields: a deep fieldsV1 is refused, a pod of ordinary depth is not', () => {
  const nest = (levels: number): Record<string, unknown> => {
    const root: Record<string, unknown> = {};
    let at = root;
    for (let i = 1; i < levels; i++) at = (at['f:a'] = {}) as Record<string, unknown>;
    return root;
  };
  // metadata (2) > managedFields (3) > entry (4) > fieldsV1 (5...): 252 levels of fieldsV1 make 256 in all.
  const pod = (fieldsV1: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', managedFields: [{ manager: 'm', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1 }] },
    spec: { containers: [{ name: 'c', image: 'i', env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }] },
  });
  assert.equal(decodeBuiltin(pod(nest(252))).metadata.name, 'p');
  assert.throws(() => decodeBuiltin(pod(nest(253))), /Pod in version "v1" cannot be handled as a Pod: the object nests deeper than the 256 levels the sandbox stores/);
});
