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
// The digest is digest.ts's; the text views are the CLI's (src/cli/output/etcd.ts).
import { statSync } from 'node:fs';
import type { BoltCheckReport, BoltVisitor } from './bolt/check.js';
import { BoltError } from './bolt/page.js';
import { openBolt, type BoltDB } from './bolt/reader.js';
import { DEFAULT_WINDOW_BYTES } from './bolt/window.js';
import { crc32c } from './crc32c.js';
import { compareDigest, sha256OfFile, snapshotLayout, type SnapshotDigest } from './digest.js';
import { isTombstone, mvccKey, readUint64BE } from './mvcc.js';

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
  /** Bytes of the walk's read window (default 64 KiB; see bolt/window.ts). For tests. */
  windowBytes?: number;
}

/** At most this many problems with etcd's own data are kept. */
const MAX_PROBLEMS = 20;

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
  // The sha256 is hashed in a thread of its own (digest.ts) while this one walks the tree: the
  // pair costs about the longer of the two. Each reads the file for itself through a small
  // buffer that stays in the CPU's cache: two such reads cost less than one through large
  // blocks shared between the threads (see bolt/window.ts).
  const stopHashing = new AbortController();
  const sha = hashing ? sha256OfFile(file, dbBytes, stopHashing.signal) : undefined;
  const digest: Promise<SnapshotDigest> = options.skipHashCheck
    ? Promise.resolve({ state: 'skipped' })
    : sha
      ? sha.then((actual) => compareDigest(file, dbBytes, actual))
      : Promise.resolve({ state: 'missing' });
  // Don't leave the digest's rejection unhandled while the walk runs.
  digest.catch(() => undefined);

  // One pass, nothing kept: pages are read through one window (slices are used in the callbacks).
  let db: BoltDB | undefined;
  try {
    db = openBolt(file, { window: options.windowBytes ?? DEFAULT_WINDOW_BYTES });
    const figures = new StatusFigures(db, options.onProgress);
    const check = db.check(figures);
    options.onProgress?.(db.size, db.size);
    const meta = metaFigures(db);
    db.close();
    return {
      file,
      hash: figures.hasher.sum(),
      revision: figures.revision,
      totalKey: figures.totalKey,
      liveKeys: figures.liveKeys.size,
      totalSize: db.size,
      version: meta.version,
      fileSize,
      sha256: await digest,
      check,
      buckets: figures.buckets,
      consistentIndex: meta.consistentIndex,
      term: meta.term,
      compactRevision: meta.compactRevision,
      scheduledCompactRevision: meta.scheduledCompactRevision,
      problems: figures.problems,
    };
  } catch (e) {
    db?.close();
    stopHashing.abort();
    throw e;
  }
}

/** etcdctl's figures, gathered as the check hands out the top-level buckets and their entries. */
class StatusFigures implements BoltVisitor {
  readonly hasher = new RunHasher();
  readonly buckets: Record<string, number> = {};
  readonly liveKeys = new Set<string>();
  readonly problems: string[] = [];
  totalKey = 0;
  revision = 0;
  private currentName = '';
  private inKeyBucket = false;
  private done = 0;
  private nextReport = 0;
  private readonly step: number;

  constructor(
    private readonly db: BoltDB,
    private readonly onProgress: StatusOptions['onProgress'],
  ) {
    this.step = Math.max(db.size / 200, 1 << 20);
  }

  bucket(name: Buffer): void {
    this.hasher.write(name);
    this.currentName = name.toString('latin1');
    this.buckets[this.currentName] = 0;
    this.inKeyBucket = this.currentName === 'key';
  }

  entry(_bucket: Buffer, key: Buffer, value: Buffer): void {
    this.hasher.write(key);
    this.hasher.write(value);
    this.totalKey++;
    this.buckets[this.currentName]++;
    if (this.inKeyBucket) this.keyEntry(key, value);
  }

  page(pages: number): void {
    // The page's entries are done: hash what is pending before its block can be recycled.
    this.hasher.flush();
    if (!this.onProgress) return;
    this.done += pages * this.db.pageSize;
    if (this.done >= this.nextReport) {
      this.nextReport = this.done + this.step;
      this.onProgress(this.done, this.db.size);
    }
  }

  /** A `key` bucket entry: the revision it was written at, and the user key it puts or deletes. */
  private keyEntry(key: Buffer, value: Buffer): void {
    if (key.length < 17) {
      this.problem(`key bucket: entry ${key.toString('hex')} is not a revision (${key.length} bytes)`);
      return;
    }
    this.revision = readUint64BE(key, 0);
    // Keys shorter than 128 bytes (nearly all) have a one-byte length, and gogoproto writes the
    // key (field 1) first: read it in place.
    const k =
      value.length >= 2 && value[0] === 0x0a && value[1] < 0x80 && 2 + value[1] <= value.length
        ? value.toString('latin1', 2, 2 + value[1])
        : mvccKey(value)?.toString('latin1');
    if (k === undefined) {
      this.problem(`key bucket: the value of revision ${this.revision} is not an mvccpb.KeyValue`);
      return;
    }
    if (isTombstone(key)) this.liveKeys.delete(k);
    else this.liveKeys.add(k);
  }

  private problem(text: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text);
  }
}

/** The figures of the `meta` bucket, when present. */
function metaFigures(db: BoltDB): Pick<SnapshotStatus, 'version' | 'consistentIndex' | 'term' | 'compactRevision' | 'scheduledCompactRevision'> {
  const meta = db.bucket('meta');
  const num = (k: string) => {
    const v = meta?.get(k);
    return v && v.length >= 8 ? readUint64BE(v, 0) : undefined;
  };
  return {
    version: meta?.get('storageVersion')?.toString() || undefined,
    consistentIndex: num('consistent_index'),
    term: num('term'),
    compactRevision: num('finishedCompactRev'),
    scheduledCompactRevision: num('scheduledCompactRev'),
  };
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

/** The problems that make a snapshot unusable, in the words a user needs. Empty when it is fine. */
export function statusErrors(st: SnapshotStatus, options: { skipHashCheck?: boolean } = {}): string[] {
  const errs: string[] = [];
  // The size says which defect it is: fewer bytes than the meta page's pages is truncated; more
  // than the pages and their 32-byte sha256 is trailing data (appended bytes), not truncation.
  const extra = st.fileSize - st.totalSize;
  if (extra < 0) {
    errs.push(`truncated: the meta page says ${st.totalSize} bytes of pages but the file has ${st.fileSize} bytes (${-extra} missing); take a new snapshot`);
  } else if (extra > 32 || (extra > 0 && extra < 32 && st.sha256.state !== 'ok')) {
    const after = extra > 32 ? `${extra - 32} byte${extra - 32 === 1 ? '' : 's'} after the pages and their 32-byte sha256` : `${extra} byte${extra === 1 ? '' : 's'} after the pages, not a 32-byte sha256`;
    errs.push(`trailing data: ${after} (${st.fileSize} bytes, ${st.totalSize} of pages); something was appended to the file`);
  }
  if (!st.check.ok) {
    const more = st.check.errorCount > 1 ? ` (and ${st.check.errorCount - 1} more)` : '';
    errs.push(`integrity check failed: ${st.check.errorCount} error${st.check.errorCount === 1 ? '' : 's'} found: ${st.check.errors[0] ?? ''}${more}`);
  }
  if (st.sha256.state === 'mismatch') {
    errs.push(`sha256 mismatch: the snapshot says ${st.sha256.expected}, its data hashes to ${st.sha256.actual}: the file is corrupted; take a new snapshot`);
  } else if (st.sha256.state === 'missing' && !options.skipHashCheck && extra === 0) {
    errs.push(`snapshot missing hash: this looks like a db file copied from a data dir (member/snap/db), not a snapshot; nothing proves it is intact (use --skip-hash-check to accept it)`);
  }
  return errs;
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
