import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorMessage, isJsonObject, isKubeObject, jsonObject, jsonObjects } from './json.js';

describe('JSON guards', () => {
  const values: Array<[string, unknown, { object: boolean; kube: boolean }]> = [
    ['an object', { a: 1 }, { object: true, kube: false }],
    ['an object with metadata', { metadata: { name: 'x' } }, { object: true, kube: true }],
    ['an object whose metadata is a list', { metadata: [] }, { object: true, kube: false }],
    ['an object whose metadata is null', { metadata: null }, { object: true, kube: false }],
    ['a list', [{ metadata: {} }], { object: false, kube: false }],
    ['null', null, { object: false, kube: false }],
    ['a string', 'metadata', { object: false, kube: false }],
    ['a number', 0, { object: false, kube: false }],
  ];
  for (const [what, v, want] of values) {
    it(`${what}: object ${want.object}, Kubernetes object ${want.kube}`, () => {
      assert.equal(isJsonObject(v), want.object);
      assert.equal(jsonObject(v), want.object ? v : undefined);
      assert.equal(isKubeObject(v), want.kube);
    });
  }

  it('jsonObjects keeps the objects of a list and gives nothing for anything else', () => {
    assert.deepEqual(jsonObjects([{ a: 1 }, null, 'x', [], { b: 2 }]), [{ a: 1 }, { b: 2 }]);
    assert.deepEqual(jsonObjects({ a: 1 }), []);
    assert.deepEqual(jsonObjects(undefined), []);
  });

  it('errorMessage reads an Error and prints anything else', () => {
    assert.equal(errorMessage(new SyntaxError('Unexpected token')), 'Unexpected token');
    assert.equal(errorMessage('plain'), 'plain');
    assert.equal(errorMessage(undefined), 'undefined');
  });
});
