import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKeyValue, decodeRevision, encodeRevision } from './mvcc.js';
import { encodeKeyValue } from './testing/boltfile.js';

describe('etcd encodings: revisions and mvccpb.KeyValue', () => {
  it('revision keys round-trip, tombstones marked', () => {
    assert.deepEqual(decodeRevision(encodeRevision(1234567, 3)), { main: 1234567, sub: 3, tombstone: false });
    assert.deepEqual(decodeRevision(encodeRevision(9, 0, true)), { main: 9, sub: 0, tombstone: true });
    assert.equal(encodeRevision(1).toString('hex'), '0000000000000001' + '5f' + '0000000000000000');
  });

  it('decodes an mvccpb.KeyValue', () => {
    const kv = decodeKeyValue(encodeKeyValue({ key: '/registry/pods/default/web', value: 'k8s\0...', createRevision: 300, modRevision: 70000, version: 4, lease: 5 }));
    assert.equal(kv?.key.toString(), '/registry/pods/default/web');
    assert.equal(kv?.value.toString(), 'k8s\0...');
    assert.deepEqual([kv?.createRevision, kv?.modRevision, kv?.version, kv?.lease], [300, 70000, 4, 5]);
    assert.equal(decodeKeyValue(Buffer.from([0x0a, 0x05, 0x61])), undefined, 'a length past the end is not a KeyValue');
  });
});
