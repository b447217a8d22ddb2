import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { queryBool, statusJson, wantsProtobufOnly } from './wire.js';

describe('response wire format', () => {
  it('reads boolean query parameters as kube-apiserver converts them', () => {
    const cases: Array<[string, boolean | undefined]> = [
      ['', undefined],
      ['watch=true', true],
      ['watch=True', true],
      ['watch=1', true],
      ['watch=yes', true],
      ['watch=', true],
      ['watch=false', false],
      ['watch=False', false],
      ['watch=0', false],
    ];
    for (const [query, want] of cases) assert.equal(queryBool(new URLSearchParams(query), 'watch'), want, query);
  });

  it('writes a Status in metav1.Status field order with a trailing newline', () => {
    const body = statusJson({
      code: 404,
      details: { kind: 'pods', name: 'web' },
      reason: 'NotFound',
      message: 'pods "web" not found',
      status: 'Failure',
      metadata: {},
      apiVersion: 'v1',
      kind: 'Status',
    });
    assert.equal(body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"web\\" not found","reason":"NotFound","details":{"name":"web","kind":"pods"},"code":404}\n');
  });

  it('answers protobuf only to clients that accept nothing else', () => {
    const cases: Array<[string | undefined, boolean]> = [
      [undefined, false],
      ['application/json', false],
      ['application/vnd.kubernetes.protobuf,application/json', false],
      ['application/vnd.kubernetes.protobuf, */*', false],
      ['application/vnd.kubernetes.protobuf', true],
      ['application/vnd.kubernetes.protobuf;type=watch', true],
    ];
    for (const [accept, want] of cases) assert.equal(wantsProtobufOnly(accept), want, String(accept));
  });
});
