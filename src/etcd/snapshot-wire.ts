// Maintenance.Snapshot responses decoded by hand: a 1.1 GB snapshot is about 34,000 of them,
// and the generic decoder (protobufjs, then an object with every 64-bit field turned into a
// string through Long) costs more per message than the message's own 32 KiB need. The blob is a
// view of the received bytes, not a copy. Same result as the generic decoder (connection.ts
// loads it from etcd's rpc.proto; snapshot-wire.test.ts compares the two), plus `version`.
//
// Wire facts (etcd api/etcdserverpb/rpc.proto; protobuf encoding):
// - SnapshotResponse: 1 header (ResponseHeader), 2 remaining_bytes (uint64), 3 blob (bytes),
//   4 version (string, etcd 3.6+);
// - ResponseHeader: 1 cluster_id (uint64), 2 member_id (uint64), 3 revision (int64), 4 raft_term (uint64);
// - a tag is a varint: field number << 3 | wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
import type { ResponseHeader, SnapshotResponse } from './connection.js';

const EMPTY = Buffer.alloc(0);

/** A protobuf message that does not decode. */
export class WireError extends Error {
  constructor(message: string) {
    super(`Maintenance.Snapshot response: ${message}`);
    this.name = 'WireError';
  }
}

/** A varint: its low and high 32 bits, and where the next field starts. */
interface Varint {
  lo: number;
  hi: number;
  next: number;
}

function readVarint(b: Buffer, at: number): Varint {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (at + i >= b.length) throw new WireError(`a varint runs past the end (${b.length} bytes)`);
    const byte = b[at + i];
    const bits = byte & 0x7f;
    // Bits 0-27 from the first four bytes, bit 28-31 and up from the fifth on.
    if (i < 4) lo |= bits << (7 * i);
    else if (i === 4) {
      lo |= (bits & 0x0f) << 28;
      hi |= bits >> 4;
    } else hi |= bits << (7 * i - 32);
    if (byte < 0x80) return { lo: lo >>> 0, hi: hi >>> 0, next: at + i + 1 };
  }
  throw new WireError('a varint longer than 10 bytes');
}

/** A uint64 varint as the decimal string the generic decoder gives (longs: String). */
function decimal(v: Varint, signed = false): string {
  if (v.hi === 0) return String(v.lo);
  const n = (BigInt(v.hi) << 32n) | BigInt(v.lo);
  return (signed ? BigInt.asIntN(64, n) : n).toString();
}

/** Skip a field of wire type `wire` at `at`; where the next field starts. */
function skip(b: Buffer, wire: number, at: number): number {
  if (wire === 0) return readVarint(b, at).next;
  if (wire === 1) return at + 8;
  if (wire === 5) return at + 4;
  if (wire === 2) {
    const len = readVarint(b, at);
    return len.next + len.lo + len.hi * 0x100000000;
  }
  throw new WireError(`wire type ${wire} is not supported`);
}

/** A length-delimited field at `at`: its bytes (a view) and where the next field starts. */
function delimited(b: Buffer, at: number): { bytes: Buffer; next: number } {
  const len = readVarint(b, at);
  const end = len.next + len.lo + len.hi * 0x100000000;
  if (end > b.length) throw new WireError(`a field of ${end - len.next} bytes runs past the end (${b.length} bytes)`);
  return { bytes: b.subarray(len.next, end), next: end };
}

function decodeHeader(b: Buffer): ResponseHeader {
  const h: ResponseHeader = { cluster_id: '0', member_id: '0', revision: '0', raft_term: '0' };
  let i = 0;
  while (i < b.length) {
    const tag = readVarint(b, i);
    const field = tag.lo >>> 3;
    const wire = tag.lo & 7;
    if (wire !== 0 || field < 1 || field > 4) {
      i = skip(b, wire, tag.next);
      continue;
    }
    const v = readVarint(b, tag.next);
    i = v.next;
    if (field === 1) h.cluster_id = decimal(v);
    else if (field === 2) h.member_id = decimal(v);
    else if (field === 3) h.revision = decimal(v, true);
    else h.raft_term = decimal(v);
  }
  return h;
}

/** One SnapshotResponse from its wire bytes. Throws WireError when they are not one. */
export function decodeSnapshotResponse(b: Buffer): SnapshotResponse {
  const res: SnapshotResponse = { header: null, remaining_bytes: '0', blob: EMPTY };
  let i = 0;
  while (i < b.length) {
    const tag = readVarint(b, i);
    const field = tag.lo >>> 3;
    const wire = tag.lo & 7;
    if (field === 2 && wire === 0) {
      const v = readVarint(b, tag.next);
      res.remaining_bytes = decimal(v);
      i = v.next;
    } else if ((field === 1 || field === 3 || field === 4) && wire === 2) {
      const d = delimited(b, tag.next);
      if (field === 1) res.header = decodeHeader(d.bytes);
      else if (field === 3) res.blob = d.bytes;
      else res.version = d.bytes.toString('utf8');
      i = d.next;
    } else i = skip(b, wire, tag.next);
  }
  if (i !== b.length) throw new WireError(`a field runs past the end (${b.length} bytes)`);
  return res;
}
