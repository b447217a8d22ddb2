// etcd's write-ahead log and the protobuf messages raft stores in it, written the way etcd's
// wal package writes a new log: a crc record, the metadata record, an empty snapshot record,
// then whatever the caller saves; each record framed by an 8-byte little-endian length whose top
// byte marks the zero padding to 8-byte alignment, and chained by a running CRC-32C (each
// record's crc covers its data and every record's data before it).
import { makeDirectory } from '../util/mkdir.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { crc32c } from './crc32c.js';

// ---- protobuf encoding (proto2, as gogoproto marshals etcd's messages) ----

function varint(n: bigint | number): Buffer {
  let v = BigInt(n);
  if (v < 0n) v = BigInt.asUintN(64, v);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

/** A varint field; gogoproto's non-nullable fields are written even when zero. */
export function pbUint(field: number, n: bigint | number): Buffer {
  return Buffer.concat([varint(field << 3), varint(n)]);
}

export function pbBytes(field: number, data: Uint8Array): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(data.length), data]);
}

// raftpb / walpb / etcdserverpb messages used when bootstrapping a member from a snapshot.

export const EntryType = { Normal: 0, ConfChange: 1 } as const;
export const ConfChangeType = { AddNode: 0, RemoveNode: 1, UpdateNode: 2, AddLearnerNode: 3 } as const;

export interface Entry {
  term: bigint;
  index: bigint;
  type: number;
  data?: Uint8Array;
}

/** raftpb.Entry: Type=1, Term=2, Index=3, Data=4. */
export function encodeEntry(e: Entry): Buffer {
  return Buffer.concat([pbUint(1, e.type), pbUint(2, e.term), pbUint(3, e.index), ...(e.data ? [pbBytes(4, e.data)] : [])]);
}

/** raftpb.ConfChange: ID=1, Type=2, NodeID=3, Context=4. */
export function encodeConfChange(cc: { type: number; nodeID: bigint; context?: Uint8Array }): Buffer {
  return Buffer.concat([pbUint(1, 0), pbUint(2, cc.type), pbUint(3, cc.nodeID), ...(cc.context ? [pbBytes(4, cc.context)] : [])]);
}

/** raftpb.HardState: Term=1, Vote=2, Commit=3. */
export function encodeHardState(hs: { term: bigint; vote: bigint; commit: bigint }): Buffer {
  return Buffer.concat([pbUint(1, hs.term), pbUint(2, hs.vote), pbUint(3, hs.commit)]);
}

/** raftpb.ConfState: Voters=1 (unpacked), Learners=2, VotersOutgoing=3, LearnersNext=4, AutoLeave=5. */
export function encodeConfState(cs: { voters: bigint[]; learners?: bigint[] }): Buffer {
  return Buffer.concat([...cs.voters.map((v) => pbUint(1, v)), ...(cs.learners ?? []).map((v) => pbUint(2, v)), pbUint(5, 0)]);
}

/** etcdserverpb.Metadata, the WAL's metadata record: NodeID=1, ClusterID=2. */
export function encodeWalMetadata(nodeID: bigint, clusterID: bigint): Buffer {
  return Buffer.concat([pbUint(1, nodeID), pbUint(2, clusterID)]);
}

/** walpb.Snapshot: Index=1, Term=2, ConfState=3 (written from etcd 3.5 on). */
export function encodeWalSnapshot(s: { index: bigint; term: bigint; confState?: Buffer }): Buffer {
  return Buffer.concat([pbUint(1, s.index), pbUint(2, s.term), ...(s.confState ? [pbBytes(3, s.confState)] : [])]);
}

// ---- the WAL file ----

export const WalRecordType = { Metadata: 1, Entry: 2, State: 3, Crc: 4, Snapshot: 5 } as const;

/** etcd preallocates every WAL segment to this size (wal.SegmentSizeBytes). */
export const WAL_SEGMENT_BYTES = 64 * 1000 * 1000;

/** Encodes records as one WAL segment's bytes, chaining the CRC from `prevCrc`. */
export class WalEncoder {
  private crc: number;
  private readonly chunks: Buffer[] = [];

  constructor(prevCrc = 0) {
    this.crc = prevCrc;
    // Every segment opens with a crc record carrying the previous segment's running CRC.
    this.record(WalRecordType.Crc);
  }

  record(type: number, data?: Uint8Array): void {
    if (data) this.crc = crc32c(data, this.crc);
    // walpb.Record: Type=1, Crc=2, Data=3.
    const rec = Buffer.concat([pbUint(1, type), pbUint(2, this.crc), ...(data ? [pbBytes(3, data)] : [])]);
    const pad = (8 - (rec.length % 8)) % 8;
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(rec.length) | (pad ? BigInt(0x80 | pad) << 56n : 0n));
    this.chunks.push(len, rec, Buffer.alloc(pad));
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export interface NewWal {
  metadata: Buffer;
  entries: Entry[];
  hardState: { term: bigint; vote: bigint; commit: bigint };
  snapshot: { index: bigint; term: bigint; confState?: Buffer };
}

/** The records of a fresh WAL as etcd's restore leaves it (first segment, index 0). */
export function encodeNewWal(w: NewWal): Buffer {
  const enc = new WalEncoder(0);
  enc.record(WalRecordType.Metadata, w.metadata);
  enc.record(WalRecordType.Snapshot, encodeWalSnapshot({ index: 0n, term: 0n }));
  for (const e of w.entries) enc.record(WalRecordType.Entry, encodeEntry(e));
  enc.record(WalRecordType.State, encodeHardState(w.hardState));
  enc.record(WalRecordType.Snapshot, encodeWalSnapshot(w.snapshot));
  return enc.bytes();
}

/** The first segment's name: sequence 0, raft index 0. */
export function walName(seq: bigint, index: bigint): string {
  return `${seq.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.wal`;
}

/**
 * Writes a new WAL directory the way wal.Create does: into `<dir>.tmp`, preallocated to the
 * segment size, fsynced, then renamed into place so a crash never leaves half a WAL.
 */
export async function writeNewWal(dir: string, w: NewWal): Promise<string> {
  const tmp = `${dir}.tmp`;
  await fs.rm(tmp, { recursive: true, force: true });
  await makeDirectory(tmp);
  const name = walName(0n, 0n);
  const fh = await fs.open(path.join(tmp, name), 'w', 0o600);
  try {
    await fh.write(encodeNewWal(w), 0, undefined, 0);
    // Zero-filled tail: etcd's reader stops at the first zero length field.
    await fh.truncate(WAL_SEGMENT_BYTES);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await makeDirectory(path.dirname(dir));
  await fs.rename(tmp, dir);
  return path.join(dir, name);
}
