import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorMessage, isJsonObject, jsonObject, jsonObjects } from './json.js';

describe('JSON guards', () => {
  const values: Array<[string, unknown, boolean]> = [
    ['an object', { a: 1 }, true],
    ['an empty object', {}, true],
    ['a list', [{ a: 1 }], false],
    ['null', null, false],
    ['a string', 'metadata', false],
    ['a number', 0, false],
  ];
  for (const [what, v, object] of values) {
    it(`${what} is ${object ? '' : 'not '}a JSON object`, () => {
      assert.equal(isJsonObject(v), object);
      assert.equal(jsonObject(v), object ? v : undefined);
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
