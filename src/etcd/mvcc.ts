// etcd's MVCC encoding, as the `key` bucket of its bbolt db stores it (etcd-io/etcd
// server/storage/mvcc: revision.go, kv.proto): keys are revisions, values mvccpb.KeyValue.

export interface Revision {
  main: number;
  sub: number;
  tombstone: boolean;
}

/** A `key` bucket key: 8-byte big-endian main revision, '_', 8-byte sub revision, optional 't'. */
export function decodeRevision(key: Uint8Array): Revision {
  if (key.length < 17) throw new Error(`not a revision: ${key.length} bytes`);
  const b = Buffer.from(key.buffer, key.byteOffset, key.length);
  return { main: readUint64BE(b, 0), sub: readUint64BE(b, 9), tombstone: isTombstone(b) };
}

/** The 17-byte (or 18 with a tombstone mark) key of revision main/sub. */
export function encodeRevision(main: number, sub = 0, tombstone = false): Buffer {
  const b = Buffer.alloc(tombstone ? 18 : 17);
  b.writeBigUInt64BE(BigInt(main), 0);
  b[8] = 0x5f; // '_'
  b.writeBigUInt64BE(BigInt(sub), 9);
  if (tombstone) b[17] = 0x74; // 't'
  return b;
}

export function isTombstone(key: Uint8Array): boolean {
  return key.length === 18 && key[17] === 0x74;
}

/** mvccpb.KeyValue, as stored in the `key` bucket. Revisions are numbers (safe up to 2^53). */
export interface MvccKeyValue {
  key: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Buffer;
  lease: number;
}

/** Decode an mvccpb.KeyValue (fields 1 key, 2 create_revision, 3 mod_revision, 4 version, 5 value, 6 lease). */
export function decodeKeyValue(data: Buffer): MvccKeyValue | undefined {
  const kv: MvccKeyValue = { key: EMPTY, createRevision: 0, modRevision: 0, version: 0, value: EMPTY, lease: 0 };
  let i = 0;
  while (i < data.length) {
    const tag = readVarint(data, i);
    if (!tag) return undefined;
    i = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (wire === 0) {
      const v = readVarint(data, i);
      if (!v) return undefined;
      i = v.next;
      if (field === 2) kv.createRevision = v.value;
      else if (field === 3) kv.modRevision = v.value;
      else if (field === 4) kv.version = v.value;
      else if (field === 6) kv.lease = v.value;
    } else if (wire === 2) {
      const len = readVarint(data, i);
      if (!len || len.next + len.value > data.length) return undefined;
      const bytes = data.subarray(len.next, len.next + len.value);
      i = len.next + len.value;
      if (field === 1) kv.key = bytes;
      else if (field === 5) kv.value = bytes;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else return undefined;
  }
  return i === data.length ? kv : undefined;
}

/** Just the key of an mvccpb.KeyValue (field 1), without decoding the rest. */
export function mvccKey(data: Buffer): Buffer | undefined {
  // gogoproto writes fields in order, so the key comes first when present.
  if (data.length >= 2 && data[0] === 0x0a) {
    const len = readVarint(data, 1);
    if (len && len.next + len.value <= data.length) return data.subarray(len.next, len.next + len.value);
  }
  return decodeKeyValue(data)?.key;
}

function readVarint(b: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let mul = 1;
  for (let i = at; i < b.length && i < at + 10; i++) {
    const byte = b[i];
    value += (byte & 0x7f) * mul;
    mul *= 128;
    if (byte < 0x80) return { value, next: i + 1 };
  }
  return undefined;
}

/** A big-endian u64 as a number (revisions and indexes stay below 2^53). */
export function readUint64BE(b: Buffer, at: number): number {
  return b.readUInt32BE(at) * 0x100000000 + b.readUInt32BE(at + 4);
}

const EMPTY = Buffer.alloc(0);
