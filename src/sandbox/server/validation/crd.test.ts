import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCustomResource } from './crd.js';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'integer', minimum: 1, maximum: 10 },
        color: { type: 'string', enum: ['red', 'green'] },
        name: { type: 'string', pattern: '^[a-z]+$', maxLength: 5 },
        port: { 'x-kubernetes-int-or-string': true },
        tags: { type: 'array', maxItems: 2, items: { type: 'string' } },
        mode: { type: 'string', default: 'auto' },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};

test('custom resources are checked against their schema in the apiserver words', () => {
  const cases: Array<{ name: string; spec: unknown; messages: string[]; unknown?: string[]; out?: unknown }> = [
    { name: 'a string for an integer', spec: { size: 'big' }, messages: ['spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"'] },
    { name: 'required', spec: {}, messages: ['spec.size: Required value'] },
    {
      name: 'bounds, enum, pattern, length, items',
      spec: { size: 11, color: 'blue', name: 'Ab1234', tags: ['a', 'b', 'c'], port: true },
      messages: [
        'spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10',
        'spec.color: Unsupported value: "blue": supported values: "red", "green"',
        'spec.name: Too long: may not be longer than 5',
        "spec.name: Invalid value: \"Ab1234\": spec.name in body should match '^[a-z]+$'",
        'spec.tags: Too many: 3: must have at most 2 items',
        'spec.port: Invalid value: "boolean": spec.port in body must be of type integer or string: "boolean"',
      ],
    },
    {
      name: 'unknown fields pruned, preserved ones kept, defaults applied',
      spec: { size: 2, extra: 1, free: { anything: { goes: true } }, port: '8080' },
      messages: [],
      unknown: ['spec.extra'],
      out: { size: 2, free: { anything: { goes: true } }, port: '8080', mode: 'auto' },
    },
  ];
  for (const c of cases) {
    const r = checkCustomResource({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: c.spec }, schema);
    assert.deepEqual(r.causes.map((x) => `${x.field}: ${x.message}`), c.messages, c.name);
    if (c.unknown) assert.deepEqual(r.unknownFields, c.unknown, c.name);
    if (c.out) assert.deepEqual((r.value as { spec: unknown }).spec, c.out, c.name);
  }
});
