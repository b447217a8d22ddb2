import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { snapshotLayout } from './digest.js';

describe('snapshot digest', () => {
  it('tells a snapshot from a plain db by its size, as etcdutl does', () => {
    assert.deepEqual(snapshotLayout(20480 + 32), { hasDigest: true, dbBytes: 20480 });
    assert.deepEqual(snapshotLayout(20480), { hasDigest: false, dbBytes: 20480 });
  });
});
