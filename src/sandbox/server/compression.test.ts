import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsGzip } from './compression.js';

describe('acceptsGzip: kube-apiserver reads Accept-Encoding token by token', () => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['deflate,gzip', true],
    ['  gzip  ', true],
    ['identity', false],
    // No q-values: a token with parameters is not "gzip" (negotiateContentEncoding compares whole tokens).
    ['gzip;q=1.0', false],
    ['x-gzip', false],
  ];
  for (const [header, want] of cases) it(`${JSON.stringify(header)} -> ${want}`, () => assert.equal(acceptsGzip(header), want));
});
