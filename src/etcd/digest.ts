// The sha256 etcd appends to a snapshot: the Maintenance API sends the db followed by the
// sha256 of its bytes. A snapshot's size is then 32 more than a multiple of 512 (bbolt pages are
// multiples of 512), which is how etcdutl restore tells whether a digest is there.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export const SHA256_SIZE = 32;
/** Files up to this size are hashed on the calling thread (a worker costs more to start). */
const HASH_IN_THREAD_BYTES = 16 << 20;

export interface SnapshotDigest {
  /** ok: matches; mismatch: the data is not what etcd sent; missing: no digest (a copied member/snap/db, or a truncated file); skipped: not checked (--skip-hash-check). */
  state: 'ok' | 'mismatch' | 'missing' | 'skipped';
  /** The digest at the end of the file (hex), when there is one. */
  expected?: string;
  /** The sha256 of the database bytes (hex), when there is a digest to compare with. */
  actual?: string;
}

/** What a sha256 worker (digest-worker.ts) is started with: hash the first `length` bytes of `file`. */
export interface DigestJob {
  file: string;
  length: number;
}

/**
 * What a following sha256 worker is started with: hash `file` while another thread writes it
 * (snapshot save), as far as FollowMessages say it may.
 */
export interface FollowJob {
  file: string;
  follow: true;
}

/** To a following worker: the first `hashable` bytes of the file are written and may be hashed; with `length`, that is all there will be. */
export interface FollowMessage {
  hashable: number;
  length?: number;
}

/** Whether a file of this size carries etcd's digest, and how many bytes before it are the db. */
export function snapshotLayout(fileSize: number): { hasDigest: boolean; dbBytes: number } {
  const hasDigest = fileSize % 512 === SHA256_SIZE;
  return { hasDigest, dbBytes: hasDigest ? fileSize - SHA256_SIZE : fileSize };
}

/** Read and verify the appended sha256 of a snapshot file (streams; hashes in a worker thread for large files). */
export async function verifySnapshotDigest(file: string): Promise<SnapshotDigest> {
  const { hasDigest, dbBytes } = snapshotLayout(statSync(file).size);
  if (!hasDigest) return { state: 'missing' };
  return compareDigest(file, dbBytes, await sha256OfFile(file, dbBytes));
}

/** The digest state of a snapshot whose db bytes hash to `actual`. */
export function compareDigest(file: string, dbBytes: number, actual: string): SnapshotDigest {
  const expected = readRange(file, dbBytes, SHA256_SIZE).toString('hex');
  return { state: actual === expected ? 'ok' : 'mismatch', expected, actual };
}

/**
 * sha256 (hex) of the first `length` bytes of a file, streamed; in a worker thread above 16 MiB.
 * An abort stops the worker (the promise then rejects): a caller whose own work failed does not
 * wait for a hash it no longer needs.
 */
export function sha256OfFile(file: string, length: number, signal?: AbortSignal): Promise<string> {
  if (length <= HASH_IN_THREAD_BYTES) return new Promise((resolve) => resolve(sha256Sync({ file, length })));
  const job: DigestJob = { file, length };
  // The worker reads the file on its own, sequentially, so hashing runs beside other work.
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./digest-worker.js', import.meta.url), { workerData: job });
    const stop = () => void worker.terminate();
    signal?.addEventListener('abort', stop, { once: true });
    const done = () => signal?.removeEventListener('abort', stop);
    worker.once('message', (hex: string) => {
      done();
      resolve(hex);
    });
    worker.once('error', (e) => {
      done();
      reject(e);
    });
    worker.once('exit', (code) => {
      done();
      if (code !== 0) reject(new Error(signal?.aborted ? 'sha256 stopped: not needed any more' : `sha256 worker exited with code ${code}`));
    });
  });
}

/** Whether a worker's data is a FollowJob. */
export function isFollowJob(v: unknown): v is FollowJob {
  return typeof v === 'object' && v !== null && 'file' in v && typeof v.file === 'string' && 'follow' in v && v.follow === true;
}

/** Whether a message to a following worker is a FollowMessage. */
export function isFollowMessage(v: unknown): v is FollowMessage {
  if (typeof v !== 'object' || v === null || !('hashable' in v) || typeof v.hashable !== 'number') return false;
  return !('length' in v) || v.length === undefined || typeof v.length === 'number';
}

/**
 * sha256 of a file that is being written: each FollowMessage lets it hash further, reading back
 * through a small buffer what the writer put in the page cache moments before; the last one
 * (with `length`) gives the digest. Blocking reads: run it in a worker (digest-worker.ts).
 */
export class FileFollower {
  private readonly hash = createHash('sha256');
  private readonly buf = Buffer.allocUnsafe(64 << 10);
  private readonly fd: number;
  private hashed = 0;
  private hashable = 0;

  constructor(private readonly file: string) {
    this.fd = openSync(file, 'r');
  }

  /** Hash as far as the message allows; the digest (hex) once the whole length is hashed. */
  take(m: FollowMessage): string | undefined {
    this.hashable = m.length ?? Math.max(this.hashable, m.hashable);
    while (this.hashed < this.hashable) {
      const n = readSync(this.fd, this.buf, 0, Math.min(this.buf.length, this.hashable - this.hashed), this.hashed);
      if (n === 0) throw new Error(`${this.file}: unexpected end of file at byte ${this.hashed}`);
      this.hash.update(this.buf.subarray(0, n));
      this.hashed += n;
    }
    if (m.length === undefined) return undefined;
    closeSync(this.fd);
    return this.hash.digest('hex');
  }
}

/** Whether a worker's data is a DigestJob (what digest-worker.ts checks before it starts). */
export function isDigestJob(v: unknown): v is DigestJob {
  return typeof v === 'object' && v !== null && 'file' in v && typeof v.file === 'string' && 'length' in v && typeof v.length === 'number';
}

/** sha256 (hex) of the first `length` bytes of a file, on this thread (blocking). */
export function sha256Sync({ file, length }: DigestJob): string {
  const h = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    // A small buffer that stays in the CPU's cache: read() copies into it and sha256 reads it
    // back while it is still there (1 MiB buffers cost 4 times the system time; bolt/window.ts).
    const buf = Buffer.allocUnsafe(Math.min(64 << 10, Math.max(length, 1)));
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
