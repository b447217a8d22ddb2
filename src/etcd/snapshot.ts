// `upkeep etcd snapshot save FILE`: Maintenance.Snapshot streamed to FILE.part, written exactly
// as etcdctl writes it (the db followed by the 32-byte sha256 etcd appends), so etcdctl/etcdutl
// can restore it. Unlike etcdctl, the digest is verified while the bytes arrive, a stalled
// stream fails with a clear error instead of hanging (etcd #10298, #13166), and a failed save
// leaves no partial file behind. The file is written with mode 0600, fsynced, then renamed.
//
// Stream facts (etcd server/etcdserver/api/v3rpc/maintenance.go): 32 KiB chunks with
// remaining_bytes = bytes still to come after this chunk, then one message whose blob is the
// sha256 of everything before it, with remaining_bytes 0.
import { promises as fs, constants } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { EtcdClient, EtcdConfigError, EtcdError, formatMs, hexId, type EtcdConnectionOptions, type SnapshotResponse } from './connection.js';
import { SHA256_SIZE } from './digest.js';
import { SaveDigest, type SaveDigestResult } from './save-digest.js';
import { snapshotRevision, snapshotStatus, statusErrors, type SnapshotStatus } from './status.js';

export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

export interface SnapshotProgress {
  /** Bytes received so far (the db, then the digest). */
  received: number;
  /** The db size the server announced (undefined until the first chunk). */
  total?: number;
  elapsedMs: number;
}

export interface SaveOptions {
  /** Give up when the whole save takes longer (0 or undefined: no limit). */
  timeoutMs?: number;
  /** Give up when no data arrives for this long (default 30s; 0: never). */
  stallTimeoutMs?: number;
  onProgress?: (p: SnapshotProgress) => void;
  signal?: AbortSignal;
}

export interface SaveResult {
  file: string;
  endpoint: string;
  /** Bytes in the file: the db plus the 32-byte digest. */
  size: number;
  /** Bytes of the db. */
  dbSize: number;
  /** The digest etcd sent, verified against the data (hex). */
  sha256: string;
  elapsedMs: number;
  /** From the response header, when the server sent one. */
  revision?: number;
  memberId?: string;
  /** The storage version (etcd 3.6+), when sent. */
  version?: string;
}

/** Save a snapshot of the one member named by the single endpoint. */
export async function saveSnapshot(conn: EtcdConnectionOptions, file: string, options: SaveOptions = {}): Promise<SaveResult> {
  if (conn.endpoints.length !== 1) {
    // The Snapshot RPC copies one member's db: the point in time of that member.
    throw new EtcdConfigError(`snapshot save needs exactly one endpoint (the member to copy), got ${conn.endpoints.length}: ${conn.endpoints.join(',')}`);
  }
  const target = path.resolve(file);
  const part = `${target}.part`;
  const client = await EtcdClient.connect(conn);
  const started = performance.now();
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(part, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    await fh.chmod(0o600);
    const streamed = await receive(client, fh, part, options, started);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.rename(part, target);
    await syncDir(path.dirname(target));
    // etcd before 3.6 sends no header with the snapshot: the revision comes from the file.
    if (streamed.revision === undefined) {
      try {
        streamed.revision = snapshotRevision(target);
      } catch {
        // The digest matched; a revision we cannot read is not worth failing the save for.
      }
    }
    return { file, endpoint: client.endpoint, ...streamed, elapsedMs: performance.now() - started };
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await fs.rm(part, { force: true });
    throw e;
  } finally {
    client.close();
  }
}

/**
 * Save, then read the file back as `snapshot status` does (etcdctl's figures, the digest, the
 * page check). Throws when the saved file is not sound; for callers that want one proof, such
 * as the demo's closing snapshot.
 */
export async function saveVerifiedSnapshot(conn: EtcdConnectionOptions, file: string, options: SaveOptions = {}): Promise<{ save: SaveResult; status: SnapshotStatus }> {
  const save = await saveSnapshot(conn, file, options);
  const status = await snapshotStatus(file);
  const errors = statusErrors(status);
  if (errors.length) throw new EtcdError(`snapshot ${file} was saved but does not check out: ${errors.join('; ')}`, save.endpoint);
  return { save, status };
}

/** What the stream said so far. */
interface Received {
  /** Bytes received (the db, then the digest). */
  bytes: number;
  /** The db size the server announced with the first chunk. */
  total?: number;
  lastRemaining?: number;
  header: SnapshotResponse['header'];
  version?: string;
}

async function receive(client: EtcdClient, fh: fs.FileHandle, part: string, options: SaveOptions, started: number): Promise<Omit<SaveResult, 'file' | 'endpoint' | 'elapsedMs'>> {
  const stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const callOptions: grpc.CallOptions = options.timeoutMs ? { deadline: Date.now() + options.timeoutMs } : {};
  const stream = client.snapshot(callOptions);
  // Made at the first data, when the size is known (large snapshots are hashed in a worker).
  let digest: SaveDigest | undefined;
  const out = new BatchWriter(fh, (bytes) => digest?.written(bytes));
  const got: Received = { bytes: 0, header: null };
  const guard = new StreamGuard(stream, stallMs, options.signal);
  try {
    for await (const chunk of stream) {
      const msg: SnapshotResponse = chunk;
      guard.arm();
      const blob = msg.blob;
      if (got.header === null && msg.header && msg.header.member_id !== '0') got.header = msg.header;
      if (msg.version) got.version = msg.version;
      const remaining = Number(msg.remaining_bytes);
      if (got.total === undefined && blob.length) got.total = remaining + blob.length;
      got.lastRemaining = remaining;
      got.bytes += blob.length;
      if (blob.length) digest ??= new SaveDigest(part, got.total ?? 0);
      digest?.update(blob);
      await out.write(blob);
      options.onProgress?.({ received: got.bytes, total: got.total, elapsedMs: performance.now() - started });
    }
    await out.flush();
  } catch (e) {
    digest?.stop();
    throw streamError(e, client, got, guard, stallMs, options.timeoutMs);
  } finally {
    guard.stop();
  }
  try {
    if (guard.aborted) throw new EtcdError(`snapshot from ${client.endpoint} interrupted after ${got.bytes} bytes; nothing was saved`, client.endpoint);
    checkComplete(client, got);
    return verified(client, got, digest ? await digest.result(got.bytes) : { actual: '', expected: '' });
  } finally {
    digest?.stop();
  }
}

/** The stream's end checked: a whole db and its digest, as announced. */
function checkComplete(client: EtcdClient, got: Received): void {
  const received = got.bytes;
  const dbSize = received - SHA256_SIZE;
  if (received % 512 !== SHA256_SIZE) {
    // etcdctl's own check, with its wording first.
    throw new EtcdError(`sha256 checksum not found [bytes: ${received}]: the snapshot stream from ${client.endpoint} ended early (expected ${got.total ?? '?'} bytes and a digest); nothing was saved`, client.endpoint);
  }
  if (got.total !== undefined && (dbSize !== got.total || got.lastRemaining !== 0)) {
    throw new EtcdError(`snapshot from ${client.endpoint} is incomplete: the server announced ${got.total} bytes, ${dbSize} arrived; nothing was saved`, client.endpoint);
  }
}

/** A whole stream's digest checked: the one etcd sent matches the data. */
function verified(client: EtcdClient, got: Received, { actual, expected }: SaveDigestResult): Omit<SaveResult, 'file' | 'endpoint' | 'elapsedMs'> {
  const received = got.bytes;
  const dbSize = received - SHA256_SIZE;
  if (actual !== expected) {
    throw new EtcdError(`snapshot from ${client.endpoint} is corrupted: etcd sent sha256 ${expected}, the data hashes to ${actual}; nothing was saved`, client.endpoint);
  }
  const header = got.header;
  return {
    size: received,
    dbSize,
    sha256: actual,
    revision: header && header.revision !== '0' ? Number(header.revision) : undefined,
    memberId: header ? hexId(header.member_id) : undefined,
    version: got.version,
  };
}

/** Why the stream failed, in one line that says how far it got and that nothing was saved. */
function streamError(e: unknown, client: EtcdClient, got: Received, guard: StreamGuard, stallMs: number, timeoutMs: number | undefined): unknown {
  const at = got.bytes ? `after ${got.bytes} of ${got.total ?? '?'} bytes` : 'before any data arrived';
  if (guard.stalled) return new EtcdError(`snapshot from ${client.endpoint} stalled: no data for ${formatMs(stallMs)} ${at}; nothing was saved (is the member overloaded, or the network down? --stall-timeout changes the limit)`, client.endpoint);
  if (guard.aborted) return new EtcdError(`snapshot from ${client.endpoint} interrupted ${at}; nothing was saved`, client.endpoint);
  if (!isServiceError(e)) return e;
  if (e.code === grpc.status.DEADLINE_EXCEEDED) {
    return new EtcdError(`snapshot from ${client.endpoint} did not finish within ${formatMs(timeoutMs ?? 0)} (--timeout) ${at}; nothing was saved`, client.endpoint, e.code);
  }
  const t = client.translate(e, 'Maintenance.Snapshot');
  return new EtcdError(`${t.message}${got.bytes ? ` (${at})` : ''}; nothing was saved`, client.endpoint, e.code, e.details);
}

function isServiceError(e: unknown): e is grpc.ServiceError {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'number';
}

/** Cancels the stream when no data arrives for stallMs (0: never) or when the signal aborts, and says which. */
class StreamGuard {
  stalled = false;
  aborted = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => {
    this.aborted = true;
    this.stream.cancel();
  };

  constructor(
    private readonly stream: grpc.ClientReadableStream<SnapshotResponse>,
    private readonly stallMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (signal?.aborted) this.onAbort();
    this.arm();
  }

  /** Data arrived: the stall clock starts again. */
  arm(): void {
    if (!this.stallMs) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.stalled = true;
      this.stream.cancel();
    }, this.stallMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

/** Writes gathered into 1 MiB batches (the stream comes in 32 KiB chunks), each one writev: one syscall, no copy. */
class BatchWriter {
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private position = 0;

  constructor(
    private readonly fh: fs.FileHandle,
    /** Called with the bytes in the file after each batch. */
    private readonly onWritten: (bytes: number) => void,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    if (this.batchBytes >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.batchBytes) return;
    let chunks = this.batch.splice(0);
    let left = this.batchBytes;
    this.batchBytes = 0;
    while (left > 0) {
      const { bytesWritten } = await this.fh.writev(chunks, this.position);
      this.position += bytesWritten;
      left -= bytesWritten;
      if (left > 0) {
        // A short write: drop what was written and go on with the rest.
        let skip = bytesWritten;
        while (skip >= chunks[0].length) skip -= chunks.shift()!.length;
        chunks = [chunks[0].subarray(skip), ...chunks.slice(1)];
      }
    }
    this.onWritten(this.position);
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await fs.open(dir, 'r').catch(() => undefined);
  if (!d) return;
  await d.sync().catch(() => undefined);
  await d.close();
}
