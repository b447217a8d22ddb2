// `upkeep etcd snapshot status FILE`: etcdctl's figures, read from the bbolt file itself in one
// streaming pass, plus what etcdctl does not check: the sha256 etcd appended, and the page
// consistency (bbolt's tx.Check) reported as data.
//
// Facts (etcd-io/etcd etcdutl/snapshot/v3_snapshot.go Status, v3.4-v3.6):
// - hash: CRC-32C over each top-level bucket in byte order: its name, then each key and value;
// - revision: the main revision of the last key of the `key` bucket (keys are an 8-byte
//   big-endian main revision, '_', an 8-byte sub revision, and 't' for a tombstone);
// - total keys: v3.4/v3.5 count every entry of every top-level bucket; v3.6 counts live user
//   keys: each `key` entry's value is an mvccpb.KeyValue, a key is added on a put and removed on
//   a tombstone;
// - total size: the high water mark x the page size (tx.Size()), without the appended sha256;
// - version (3.6+): the storage version, key `storageVersion` of the `meta` bucket.
// A snapshot from the Maintenance API is the db followed by its 32-byte sha256; its size is then
// 32 more than a multiple of 512 (bbolt pages are multiples of 512), which is how etcdutl
// restore tells whether a digest is there.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { BLOCK_RING_WORKER, BoltError, createBlockRing, openBolt, type BoltCheckReport } from './bbolt.js';
import { crc32c } from './crc32c.js';

export const SHA256_SIZE = 32;

export interface SnapshotDigest {
  /** ok: matches; mismatch: the data is not what etcd sent; missing: no digest (a copied member/snap/db, or a truncated file); skipped: not checked (--skip-hash-check). */
  state: 'ok' | 'mismatch' | 'missing' | 'skipped';
  /** The digest at the end of the file (hex), when there is one. */
  expected?: string;
  /** The sha256 of the database bytes (hex), when there is a digest to compare with. */
  actual?: string;
}

export interface SnapshotStatus {
  file: string;
  /** CRC-32C, as `etcdctl snapshot status` (printed in hex there). */
  hash: number;
  revision: number;
  /** etcd v3.4/v3.5's "total keys": every entry of every bucket (every revision, plus internal keys). */
  totalKey: number;
  /** etcd v3.6's "total keys": distinct live user keys at the last revision. */
  liveKeys: number;
  /** Bytes of the database (without the appended digest). */
  totalSize: number;
  /** Storage version (snapshots of etcd v3.6+), else undefined. */
  version?: string;
  fileSize: number;
  sha256: SnapshotDigest;
  check: BoltCheckReport;
  /** Entries per top-level bucket. */
  buckets: Record<string, number>;
  /** From the `meta` bucket, when present. */
  consistentIndex?: number;
  term?: number;
  compactRevision?: number;
  scheduledCompactRevision?: number;
  /** Problems in etcd's own data (e.g. a `key` entry that is not a revision). */
  problems: string[];
}

export interface StatusOptions {
  /** Called now and then with bytes of pages read so far and the database size. */
  onProgress?: (done: number, total: number) => void;
  /** Do not verify the appended sha256 (etcdutl's --skip-hash-check): saves one full read of the file. */
  skipHashCheck?: boolean;
  /** Block size of the shared reads (default 1 MiB; files of 16 blocks or more use a reader thread). For tests. */
  ringBlockBytes?: number;
}

/** Whether a file of this size carries etcd's digest, and how many bytes before it are the db. */
export function snapshotLayout(fileSize: number): { hasDigest: boolean; dbBytes: number } {
  const hasDigest = fileSize % 512 === SHA256_SIZE;
  return { hasDigest, dbBytes: hasDigest ? fileSize - SHA256_SIZE : fileSize };
}

/** Read and verify the appended sha256 of a snapshot file (streams; hashes in a worker thread for large files). */
export async function verifySnapshotDigest(file: string): Promise<SnapshotDigest> {
  const size = statSync(file).size;
  const { hasDigest, dbBytes } = snapshotLayout(size);
  if (!hasDigest) return { state: 'missing' };
  const expected = readRange(file, dbBytes, SHA256_SIZE).toString('hex');
  const actual = await sha256OfFile(file, dbBytes);
  return { state: actual === expected ? 'ok' : 'mismatch', expected, actual };
}

/** sha256 (hex) of the first `length` bytes of a file, streamed; in a worker thread above 16 MiB. */
export function sha256OfFile(file: string, length: number): Promise<string> {
  if (length <= 16 << 20) return Promise.resolve(sha256Sync(file, length));
  return new Promise((resolve, reject) => {
    const worker = new Worker(SHA256_WORKER, { eval: true, workerData: { file, length } });
    worker.once('message', (hex: string) => resolve(hex));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`sha256 worker exited with code ${code}`)));
  });
}

// The worker reads the file on its own, sequentially, so hashing runs beside the page walk.
// (Overlapping reads with hashing measured no faster: hashing, ~1.7 GB/s, is the bound.)
const SHA256_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const h = require('node:crypto').createHash('sha256');
const fd = fs.openSync(workerData.file, 'r');
const buf = Buffer.allocUnsafe(1 << 20);
let pos = 0;
while (pos < workerData.length) {
  const n = fs.readSync(fd, buf, 0, Math.min(buf.length, workerData.length - pos), pos);
  if (n === 0) throw new Error('unexpected end of file at byte ' + pos);
  h.update(buf.subarray(0, n));
  pos += n;
}
fs.closeSync(fd);
parentPort.postMessage(h.digest('hex'));
`;

function sha256Sync(file: string, length: number): string {
  const h = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(length, 1)));
    let pos = 0;
    while (pos < length) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, length - pos), pos);
      if (n === 0) throw new Error(`${file}: unexpected end of file at byte ${pos}`);
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

function readRange(file: string, position: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/**
 * The status of a snapshot (or of a bbolt db file): etcdctl's figures, the digest and the page
 * check, in one pass over the pages while the digest is hashed beside it. Throws BoltError when
 * the file is not a bbolt database at all; everything else is reported in the result.
 */
export async function snapshotStatus(file: string, options: StatusOptions = {}): Promise<SnapshotStatus> {
  const fileSize = statSync(file).size;
  if (fileSize === 0) throw new BoltError('the file is empty', file);
  const { hasDigest, dbBytes } = snapshotLayout(fileSize);
  const hashing = !options.skipHashCheck && hasDigest;
  // Large files without a digest to check: a reader thread reads ahead, in file order, into shared
  // blocks that the walk takes, so the walk does not spend its time in read(). With a digest the
  // sha256 is the longer task; it runs in its own thread, reading into a small buffer it hashes
  // while still in cache (measured faster than hashing the shared blocks: memory bandwidth).
  const ringBlockBytes = options.ringBlockBytes ?? 1 << 20;
  const ring = !hashing && fileSize >= 16 * ringBlockBytes ? createBlockRing(24, ringBlockBytes) : undefined;
  let reader: Worker | undefined;
  if (ring) {
    reader = new Worker(BLOCK_RING_WORKER, { eval: true, workerData: { file, ring, hashLength: 0 } });
    // It only reads ahead: never wait for it, and a failure of it only means the walk reads itself.
    reader.on('error', () => undefined);
    reader.unref();
  }
  const sha = hashing ? sha256OfFile(file, dbBytes) : undefined;
  const digest: Promise<SnapshotDigest> = options.skipHashCheck
    ? Promise.resolve({ state: 'skipped' })
    : hasDigest && sha
    ? sha.then((actual) => {
        const expected = readRange(file, dbBytes, SHA256_SIZE).toString('hex');
        return { state: actual === expected ? 'ok' : 'mismatch', expected, actual };
      })
    : Promise.resolve({ state: 'missing' });
  // Don't leave the digest's rejection unhandled while the walk runs.
  digest.catch(() => undefined);
  sha?.catch(() => undefined);

  // One pass, nothing kept: the reader may recycle its blocks (slices are used in the callbacks).
  let db;
  try {
    db = openBolt(file, { reuseBuffers: true, ring });
  } catch (e) {
    void reader?.terminate();
    throw e;
  }
  try {
    const hasher = new RunHasher();
    const buckets: Record<string, number> = {};
    const liveKeys = new Set<string>();
    const problems: string[] = [];
    let totalKey = 0;
    let revision = 0;
    let currentName = '';
    let inKeyBucket = false;
    const total = db.size;
    let done = 0;
    let nextReport = 0;
    const step = Math.max(total / 200, 1 << 20);

    const check = db.check({
      bucket(name) {
        hasher.write(name);
        currentName = name.toString('latin1');
        buckets[currentName] = 0;
        inKeyBucket = currentName === 'key';
      },
      entry(_bucket, key, value) {
        hasher.write(key);
        hasher.write(value);
        totalKey++;
        buckets[currentName]++;
        if (!inKeyBucket) return;
        if (key.length < 17) {
          if (problems.length < 20) problems.push(`key bucket: entry ${key.toString('hex')} is not a revision (${key.length} bytes)`);
          return;
        }
        revision = readUint64BE(key, 0);
        // Keys shorter than 128 bytes (nearly all) have a one-byte length, and gogoproto writes the
        // key (field 1) first: read it in place.
        const k =
          value.length >= 2 && value[0] === 0x0a && value[1] < 0x80 && 2 + value[1] <= value.length
            ? value.toString('latin1', 2, 2 + value[1])
            : mvccKey(value)?.toString('latin1');
        if (k === undefined) {
          if (problems.length < 20) problems.push(`key bucket: the value of revision ${revision} is not an mvccpb.KeyValue`);
          return;
        }
        if (isTombstone(key)) liveKeys.delete(k);
        else liveKeys.add(k);
      },
      page(pages) {
        // The page's entries are done: hash what is pending before its block can be recycled.
        hasher.flush();
        if (!options.onProgress) return;
        done += pages * db.pageSize;
        if (done >= nextReport) {
          nextReport = done + step;
          options.onProgress(done, total);
        }
      },
    });
    options.onProgress?.(total, total);

    const meta = db.bucket('meta');
    const num = (k: string) => {
      const v = meta?.get(k);
      return v && v.length >= 8 ? readUint64BE(v, 0) : undefined;
    };
    const storageVersion = meta?.get('storageVersion')?.toString();
    const figures = {
      consistentIndex: num('consistent_index'),
      term: num('term'),
      compactRevision: num('finishedCompactRev'),
      scheduledCompactRevision: num('scheduledCompactRev'),
    };
    // The walk is done: let the reader thread go (it stops once it sees this).
    db.close();
    const status: SnapshotStatus = {
      file,
      hash: hasher.sum(),
      revision,
      totalKey,
      liveKeys: liveKeys.size,
      totalSize: db.size,
      version: storageVersion || undefined,
      fileSize,
      sha256: await digest,
      check,
      buckets,
      ...figures,
      problems,
    };
    return status;
  } catch (e) {
    db.close();
    void reader?.terminate();
    throw e;
  }
}

/** The revision of a snapshot without reading it all: the last key of the `key` bucket (a few page reads). */
export function snapshotRevision(file: string): number | undefined {
  const db = openBolt(file, { cacheBytes: 1 << 20, blockBytes: 64 << 10 });
  try {
    const last = db.bucket('key')?.last();
    return last && last.key.length >= 17 ? readUint64BE(last.key, 0) : undefined;
  } finally {
    db.close();
  }
}

/** CRC-32C fed with slices; slices that lie back to back in memory (a leaf's keys and values do) are hashed as one run. */
class RunHasher {
  private crc = 0;
  private ab: ArrayBufferLike | undefined;
  private off = 0;
  private len = 0;

  write(b: Buffer): void {
    if (b.length === 0) return;
    if (this.ab === b.buffer && b.byteOffset === this.off + this.len) {
      this.len += b.length;
      return;
    }
    this.flush();
    this.ab = b.buffer;
    this.off = b.byteOffset;
    this.len = b.length;
  }

  flush(): void {
    if (this.ab && this.len) this.crc = crc32c(new Uint8Array(this.ab, this.off, this.len), this.crc);
    this.ab = undefined;
    this.len = 0;
  }

  sum(): number {
    this.flush();
    return this.crc;
  }
}

// ---- etcd's MVCC encoding --------------------------------------------------------------------

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
function mvccKey(data: Buffer): Buffer | undefined {
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

function readUint64BE(b: Buffer, at: number): number {
  return b.readUInt32BE(at) * 0x100000000 + b.readUInt32BE(at + 4);
}

const EMPTY = Buffer.alloc(0);

// ---- output ----------------------------------------------------------------------------------

/** Sizes as etcdctl prints them (go-humanize Bytes: SI units, one decimal below 10). */
export function humanizeBytes(n: number): string {
  if (n < 10) return `${n} B`;
  const sizes = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const e = Math.floor(Math.log(n) / Math.log(1000));
  const val = Math.floor((n / Math.pow(1000, e)) * 10 + 0.5) / 10;
  if (val < 10) return `${val.toFixed(1)} ${sizes[e]}`;
  // Go's %.0f rounds a tie to even (20.5 -> "20"); toFixed would round it up.
  const whole = Math.floor(val);
  const rounded = val - whole === 0.5 ? (whole % 2 === 0 ? whole : whole + 1) : Math.round(val);
  return `${rounded} ${sizes[e]}`;
}

/** The problems that make a snapshot unusable, in the words a user needs. Empty when it is fine. */
export function statusErrors(st: SnapshotStatus, options: { skipHashCheck?: boolean } = {}): string[] {
  const errs: string[] = [];
  if (!st.check.ok) {
    errs.push(`snapshot file integrity check failed. ${st.check.errorCount} errors found.\n${st.check.errors.join('\n')}`);
  }
  if (st.sha256.state === 'mismatch') {
    errs.push(`sha256 mismatch: the snapshot says ${st.sha256.expected}, its data hashes to ${st.sha256.actual}: the file is corrupted; take a new snapshot`);
  } else if (st.sha256.state === 'missing' && !options.skipHashCheck) {
    const truncated = st.totalSize > st.fileSize || st.fileSize % 512 !== 0;
    errs.push(
      truncated
        ? `snapshot missing hash: ${st.fileSize} bytes is not a whole snapshot (a snapshot is its pages plus a 32-byte sha256); the file is truncated`
        : `snapshot missing hash: this looks like a db file copied from a data dir (member/snap/db), not a snapshot; nothing proves it is intact (use --skip-hash-check to accept it)`,
    );
  }
  return errs;
}

/** etcdctl's simple line: hash, revision, total keys, total size. */
export function renderStatusSimple(st: SnapshotStatus): string {
  return `${st.hash.toString(16)}, ${st.revision}, ${st.totalKey}, ${humanizeBytes(st.totalSize)}${st.version ? `, ${st.version}` : ''}\n`;
}

/** etcdctl's JSON fields first (same names and values), then upkeep's. */
export function statusJson(st: SnapshotStatus): Record<string, unknown> {
  return {
    hash: st.hash,
    revision: st.revision,
    totalKey: st.totalKey,
    totalSize: st.totalSize,
    ...(st.version ? { version: st.version } : {}),
    liveKeys: st.liveKeys,
    fileSize: st.fileSize,
    sha256: st.sha256,
    integrity: { ok: st.check.ok, errorCount: st.check.errorCount, errors: st.check.errors, warnings: st.check.warnings },
    pages: st.check.pages,
    buckets: st.buckets,
    consistentIndex: st.consistentIndex,
    term: st.term,
    compactRevision: st.compactRevision,
    scheduledCompactRevision: st.scheduledCompactRevision,
    problems: st.problems,
  };
}

/** The human view: etcdctl's four figures, labelled, then what upkeep checked. */
export function renderStatusTable(st: SnapshotStatus): string {
  const p = st.check.pages;
  const digest =
    st.sha256.state === 'ok'
      ? `ok (${st.sha256.actual})`
      : st.sha256.state === 'mismatch'
        ? `MISMATCH (the file says ${st.sha256.expected}, the data hashes to ${st.sha256.actual})`
        : st.sha256.state === 'skipped'
          ? 'not checked (--skip-hash-check)'
          : 'none (no digest at the end of the file)';
  const rows: Array<[string, string]> = [
    ['hash', st.hash.toString(16)],
    ['revision', String(st.revision)],
    ['total keys', `${st.totalKey} (etcd 3.4/3.5 count: every entry in every bucket)`],
    ['live keys', `${st.liveKeys} (etcd 3.6 count of total keys)`],
    ['total size', `${humanizeBytes(st.totalSize)} (${st.totalSize} bytes)`],
  ];
  if (st.version) rows.push(['storage version', st.version]);
  if (st.compactRevision !== undefined) rows.push(['compacted at', String(st.compactRevision)]);
  if (st.consistentIndex !== undefined) rows.push(['raft index', String(st.consistentIndex) + (st.term !== undefined ? ` (term ${st.term})` : '')]);
  rows.push(['sha256', digest]);
  rows.push([
    'pages',
    `${st.check.ok ? 'consistent' : `${st.check.errorCount} ERRORS`}: ${p.total} pages of ${p.pageSize} bytes (${p.leaf} leaf, ${p.branch} branch, ${p.overflow} overflow, ${p.free} free${p.freelistStored ? '' : ', freelist not stored'})`,
  ]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  return rows.map(([k, v]) => `${(k + ':').padEnd(width)} ${v}`).join('\n') + '\n';
}
