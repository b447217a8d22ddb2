import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { etcdMethod } from './connection.js';
import { WireError, decodeSnapshotResponse } from './snapshot-wire.js';

describe('Maintenance.Snapshot responses decoded by hand', () => {
  const m = etcdMethod('Maintenance', 'snapshot');

  it('gives what the generic decoder gives, for the messages etcd sends', () => {
    const blob = Buffer.alloc(32 << 10, 0xab);
    const cases: Array<{ story: string; msg: Record<string, unknown> }> = [
      { story: 'a chunk without a header (etcd 3.4)', msg: { remaining_bytes: '1128771584', blob } },
      { story: 'the last message: the sha256, nothing remaining', msg: { remaining_bytes: '0', blob: Buffer.alloc(32, 7) } },
      { story: 'an empty message', msg: {} },
      {
        story: 'a header with 64-bit ids (etcd 3.5+)',
        msg: { header: { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: '130001', raft_term: '2' }, remaining_bytes: '32768', blob },
      },
      { story: 'a header of zeros', msg: { header: {}, remaining_bytes: '5', blob: Buffer.from('hello') } },
      { story: 'a revision above 2^32', msg: { header: { revision: '4294967297' }, remaining_bytes: '4294967296', blob: Buffer.from('x') } },
    ];
    for (const c of cases) {
      const bytes: Buffer = m.responseSerialize(c.msg);
      assert.deepEqual(decodeSnapshotResponse(bytes), m.responseDeserialize(bytes), c.story);
    }
  });

  it('reads the storage version of etcd 3.6 (field 4), which the generic decoder does not know', () => {
    const bytes = Buffer.concat([m.responseSerialize({ remaining_bytes: '0', blob: Buffer.from('db') }), Buffer.from([0x22, 5]), Buffer.from('3.6.0')]);
    assert.deepEqual(decodeSnapshotResponse(bytes), { header: null, remaining_bytes: '0', blob: Buffer.from('db'), version: '3.6.0' });
  });

  it('refuses bytes that are not a message', () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['a blob longer than the message', Buffer.from([0x1a, 10, 1, 2]), /runs past the end/],
      ['a varint cut short', Buffer.from([0x10, 0x80]), /varint runs past the end/],
      ['a varint of 11 bytes', Buffer.from([0x10, ...Array<number>(10).fill(0xff), 1]), /longer than 10 bytes/],
      ['a wire type protobuf does not have', Buffer.from([0x0f]), /wire type 7/],
    ];
    for (const [story, bytes, want] of cases) assert.throws(() => decodeSnapshotResponse(bytes), (e: unknown) => e instanceof WireError && want.test(e.message), story);
  });
});
