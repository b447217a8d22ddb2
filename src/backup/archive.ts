// The archive as a stream: tar (tar-stream) inside gzip (node:zlib), written entry by entry with
// backpressure and read entry by entry, so memory stays flat whatever the cluster's size.
//
// Writing records every entry's sha256 in a temporary file in sha256sum's format; at the end the
// file becomes upkeep/checksums.sha256 and the manifest (which names its digest) goes last.
// Reading maps every low-level failure (gzip, tar) to one BadArchiveError naming the last entry.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { BadArchiveError, errorMessage } from './errors.js';
import { CHECKSUMS_ENTRY, ENTRY_MODE, MANIFEST_ENTRY } from './layout.js';

/** Where an archive goes: a stream, and the all-or-nothing ending (rename, multipart complete). */
export interface ArchiveSink {
  /** "backup.tar.gz" or "s3://bucket/key", for messages. */
  location: string;
  stream: Writable;
  /** After the stream finished: make the archive visible (fsync + rename, complete the upload). */
  commit(): Promise<void>;
  /** Leave nothing behind (remove FILE.part, abort the multipart upload). */
  abort(): Promise<void>;
}

/** No Kubernetes object comes near this (etcd's limit is ~1.5 MiB); a bigger entry is not ours. */
export const MAX_ENTRY_BYTES = 64 * 1024 * 1024;

export class ArchiveWriter {
  /** Entries written so far (checksums and manifest not counted). */
  entries = 0;
  /** Uncompressed bytes of those entries. */
  bytes = 0;
  /** Compressed bytes handed to the sink. */
  written = 0;
  private readonly pack = tar.pack();
  private readonly done: Promise<void>;
  private failure: unknown;
  private closed = false;

  private constructor(
    private readonly sink: ArchiveSink,
    private readonly mtime: Date,
    private readonly tmpDir: string,
    private readonly checksums: Writable,
  ) {
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.written += chunk.length;
        cb(null, chunk);
      },
    });
    this.done = pipeline(this.pack as unknown as Readable, zlib.createGzip({ level: 6 }), counter, sink.stream);
    this.done.catch((e) => {
      this.failure ??= e;
    });
  }

  static async open(sink: ArchiveSink, mtime = new Date()): Promise<ArchiveWriter> {
    const tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-backup-'));
    const checksums = createWriteStream(path.join(tmpDir, 'checksums'), { mode: 0o600 });
    return new ArchiveWriter(sink, mtime, tmpDir, checksums);
  }

  /** Add one entry; resolves once the archive has taken it (backpressure). */
  async add(name: string, data: Buffer): Promise<void> {
    this.throwIfFailed();
    const digest = createHash('sha256').update(data).digest('hex');
    if (!this.checksums.write(`${digest}  ${name}\n`)) await new Promise((r) => this.checksums.once('drain', r));
    await this.entry(name, data);
    this.entries++;
    this.bytes += data.length;
  }

  /**
   * Write upkeep/checksums.sha256 and the manifest built from its digest, end the archive and
   * commit it. On any failure the sink is aborted: nothing is left behind.
   */
  async finish(manifest: (checksums: { sha256: string; entries: number }) => unknown): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => this.checksums.end((e?: Error | null) => (e ? reject(e) : resolve())));
      const file = path.join(this.tmpDir, 'checksums');
      const { size } = await fs.stat(file);
      const hash = createHash('sha256');
      // tar-stream's entry is a streamx Writable: its callback (not Node's pipeline) says when it is written.
      await new Promise<void>((resolve, reject) => {
        const entry = this.pack.entry({ name: CHECKSUMS_ENTRY, size, mode: ENTRY_MODE, mtime: this.mtime }, (e) => (e ? reject(e) : resolve()));
        const input = createReadStream(file);
        input.on('error', (e) => {
          entry.destroy(e);
          reject(e);
        });
        input.on('data', (chunk) => hash.update(chunk));
        input.pipe(entry as unknown as Writable);
      });
      const body = Buffer.from(JSON.stringify(manifest({ sha256: hash.digest('hex'), entries: this.entries }), null, 2) + '\n');
      await this.entry(MANIFEST_ENTRY, body);
      this.pack.finalize();
      await this.done;
      this.throwIfFailed();
      await this.sink.commit();
      this.closed = true;
    } catch (e) {
      await this.abort();
      throw e;
    } finally {
      await fs.rm(this.tmpDir, { recursive: true, force: true });
    }
  }

  /** Give up: end the streams and remove whatever was written. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.checksums.destroy();
    this.pack.destroy(new Error('backup aborted'));
    await this.done.catch(() => undefined);
    await this.sink.abort().catch(() => undefined);
    await fs.rm(this.tmpDir, { recursive: true, force: true });
  }

  private entry(name: string, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pack.entry({ name, size: data.length, mode: ENTRY_MODE, mtime: this.mtime }, data, (e) => (e ? reject(e) : resolve()));
    });
  }

  private throwIfFailed(): void {
    if (this.failure) throw new Error(`writing ${this.sink.location} failed: ${errorMessage(this.failure)}`, { cause: this.failure });
  }
}

export interface ArchiveEntry {
  name: string;
  data: Buffer;
}

export interface ReadProgress {
  /** Compressed bytes read so far. */
  bytes: number;
  entries: number;
}

/**
 * The entries of a tar.gz, one at a time. Anything that is not a complete, intact tar.gz ends
 * the iteration with a BadArchiveError naming the last good entry.
 */
export async function* readArchive(source: Readable, what: string, onProgress?: (p: ReadProgress) => void): AsyncGenerator<ArchiveEntry> {
  const progress: ReadProgress = { bytes: 0, entries: 0 };
  let last: string | undefined;
  let sawData = false;
  const gunzip = zlib.createGunzip();
  const extract = tar.extract();
  const where = () => (last ? ` after entry ${last}` : ' at its start');
  let done = false;
  // Once the loop is over nothing listens to extract any more: a late failure (the gunzip's end,
  // a chunk still in flight) must not become an uncaught 'error' event.
  const fail = (err: unknown) => {
    if (!done) extract.destroy(archiveError(err, what, where(), sawData));
  };
  const counted = new PassThrough();
  counted.on('data', (chunk: Buffer) => {
    if (!sawData && chunk.length >= 2 && (chunk[0] !== 0x1f || chunk[1] !== 0x8b)) {
      fail(new BadArchiveError(`${what} is not a backup archive: not gzip-compressed (an upkeep or Velero backup is a .tar.gz)`));
    }
    sawData = true;
    progress.bytes += chunk.length;
  });
  source.on('error', fail);
  counted.on('error', fail);
  gunzip.on('error', fail);
  source.pipe(counted).pipe(gunzip).pipe(extract as unknown as Writable);
  gunzip.on('end', () => {
    if (!sawData) fail(new BadArchiveError(`${what} is empty: not a backup archive`));
  });
  try {
    for await (const entry of extract) {
      const header = entry.header;
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        entry.resume();
        continue;
      }
      if ((header.size ?? 0) > MAX_ENTRY_BYTES) {
        throw new BadArchiveError(`${what}: entry ${header.name} is ${header.size} bytes, more than any Kubernetes object: not a backup archive`, header.name);
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const data = Buffer.concat(chunks);
      last = header.name;
      progress.entries++;
      onProgress?.(progress);
      yield { name: header.name, data };
    }
  } catch (e) {
    throw archiveError(e, what, where(), sawData);
  } finally {
    done = true;
    extract.on('error', () => undefined);
    source.unpipe?.();
    if (!source.destroyed) source.destroy();
    counted.destroy();
    gunzip.destroy();
    extract.destroy();
  }
}

/** gzip's and tar's errors in words a user can act on. */
function archiveError(err: unknown, what: string, where: string, sawData: boolean): BadArchiveError {
  if (err instanceof BadArchiveError) return err;
  const message = errorMessage(err);
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  if (code === 'ENOENT') return new BadArchiveError(`${what}: no such file`);
  if (code === 'EISDIR') return new BadArchiveError(`${what} is a directory, not a backup archive`);
  if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(message)) {
    return new BadArchiveError(`${what} is truncated${where}: the archive is incomplete (copy it again, or take a new backup)`);
  }
  if (code === 'Z_DATA_ERROR' && /header check/.test(message) && !sawData) {
    return new BadArchiveError(`${what} is not a backup archive: not gzip-compressed`);
  }
  if (code === 'Z_DATA_ERROR') {
    return new BadArchiveError(`${what} is corrupt${where} (gzip: ${message}): the archive was altered or damaged; use another copy`);
  }
  if (/invalid tar header/i.test(message) && where.startsWith(' after')) {
    return new BadArchiveError(`${what} is corrupt${where} (an invalid tar header): the archive was altered or damaged; use another copy`);
  }
  if (/invalid tar header|tar/i.test(message)) {
    return new BadArchiveError(`${what} is not a backup archive${where}: ${message}`);
  }
  return new BadArchiveError(`${what} cannot be read${where}: ${message}`);
}
