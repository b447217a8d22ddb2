import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { humanizeBytes } from './humanize.js';

describe('etcd encodings: sizes', () => {
  const sizes: Array<[number, string]> = [
    [5, '5 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [20480, '20 kB'],
    [20500, '20 kB'], // 20.5 rounds to even, as Go's %.0f
    [21500, '22 kB'],
    [2_100_000, '2.1 MB'],
    [1_073_741_824, '1.1 GB'],
  ];
  for (const [bytes, text] of sizes) {
    it(`prints ${bytes} bytes as etcdctl does: ${text}`, () => assert.equal(humanizeBytes(bytes), text));
  }
});
