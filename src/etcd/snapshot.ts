// `upkeep etcd snapshot save FILE`: Maintenance.Snapshot streamed to FILE.part, written exactly
// as etcdctl writes it (the db followed by the 32-byte sha256 etcd appends), so etcdctl/etcdutl
// can restore it. Unlike etcdctl, the digest is verified while the bytes arrive, a stalled
// stream fails with a clear error instead of hanging (etcd #10298, #13166), and a failed save
// leaves no partial file behind. The file is written with mode 0600, fsynced, then renamed.
//
// Stream facts (etcd server/etcdserver/api/v3rpc/maintenance.go): 32 KiB chunks with
// remaining_bytes = bytes still to come after this chunk, then one message whose blob is the
// sha256 of everything before it, with remaining_bytes 0.
import { createHash } from 'node:crypto';
import { promises as fs, constants } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { EtcdClient, EtcdConfigError, EtcdError, formatMs, hexId, type EtcdConnectionOptions, type SnapshotResponse } from './connection.js';
import { SHA256_SIZE } from './digest.js';
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
    const streamed = await receive(client, fh, options, started);
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

async function receive(client: EtcdClient, fh: fs.FileHandle, options: SaveOptions, started: number): Promise<Omit<SaveResult, 'file' | 'endpoint' | 'elapsedMs'>> {
  const stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const callOptions: grpc.CallOptions = options.timeoutMs ? { deadline: Date.now() + options.timeoutMs } : {};
  const stream = client.snapshot(callOptions);
  const hash = createHash('sha256');
  // The last 32 bytes seen are held back from the hash: they may be the digest.
  let tail = Buffer.alloc(0);
  let received = 0;
  let total: number | undefined;
  let lastRemaining: number | undefined;
  let header: SnapshotResponse['header'] = null;
  let version: string | undefined;
  let stalled = false;
  let aborted = false;

  // Writes are gathered into 1 MiB batches: the stream comes in 32 KiB chunks.
  const batch: Buffer[] = [];
  let batchBytes = 0;
  let position = 0;
  const flush = async () => {
    if (!batchBytes) return;
    // writev: one syscall for the batch, without copying the chunks into one buffer first.
    let chunks = batch.splice(0);
    let left = batchBytes;
    batchBytes = 0;
    while (left > 0) {
      const { bytesWritten } = await fh.writev(chunks, position);
      position += bytesWritten;
      left -= bytesWritten;
      if (left > 0) {
        // A short write: drop what was written and go on with the rest.
        let skip = bytesWritten;
        while (skip >= chunks[0].length) skip -= chunks.shift()!.length;
        chunks = [chunks[0].subarray(skip), ...chunks.slice(1)];
      }
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (!stallMs) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      stream.cancel();
    }, stallMs);
  };
  const onAbort = () => {
    aborted = true;
    stream.cancel();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  arm();

  try {
    for await (const msg of stream as AsyncIterable<SnapshotResponse>) {
      arm();
      const blob = msg.blob;
      if (header === null && msg.header && msg.header.member_id !== '0') header = msg.header;
      if (msg.version) version = msg.version;
      const remaining = Number(msg.remaining_bytes);
      if (total === undefined && blob.length) total = remaining + blob.length;
      lastRemaining = remaining;
      received += blob.length;
      // Hash everything but the newest 32 bytes.
      if (blob.length >= SHA256_SIZE) {
        if (tail.length) hash.update(tail);
        hash.update(blob.subarray(0, blob.length - SHA256_SIZE));
        tail = Buffer.from(blob.subarray(blob.length - SHA256_SIZE));
      } else {
        const joined = Buffer.concat([tail, blob]);
        const cut = Math.max(0, joined.length - SHA256_SIZE);
        if (cut) hash.update(joined.subarray(0, cut));
        tail = joined.subarray(cut);
      }
      batch.push(blob);
      batchBytes += blob.length;
      if (batchBytes >= 1 << 20) await flush();
      options.onProgress?.({ received, total, elapsedMs: performance.now() - started });
    }
    await flush();
  } catch (e) {
    const at = received ? `after ${received} of ${total ?? '?'} bytes` : 'before any data arrived';
    if (stalled) throw new EtcdError(`snapshot from ${client.endpoint} stalled: no data for ${formatMs(stallMs)} ${at}; nothing was saved (is the member overloaded, or the network down? --stall-timeout changes the limit)`, client.endpoint);
    if (aborted) throw new EtcdError(`snapshot from ${client.endpoint} interrupted ${at}; nothing was saved`, client.endpoint);
    const err = e as grpc.ServiceError;
    if (err && err.code === grpc.status.DEADLINE_EXCEEDED) {
      throw new EtcdError(`snapshot from ${client.endpoint} did not finish within ${formatMs(options.timeoutMs ?? 0)} (--timeout) ${at}; nothing was saved`, client.endpoint, err.code);
    }
    if (err && typeof err.code === 'number') {
      const t = client.translate(err, 'Maintenance.Snapshot');
      throw new EtcdError(`${t.message}${received ? ` (${at})` : ''}; nothing was saved`, client.endpoint, err.code, err.details);
    }
    throw e;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }

  if (aborted) throw new EtcdError(`snapshot from ${client.endpoint} interrupted after ${received} bytes; nothing was saved`, client.endpoint);
  const dbSize = received - SHA256_SIZE;
  if (received % 512 !== SHA256_SIZE) {
    // etcdctl's own check, with its wording first.
    throw new EtcdError(`sha256 checksum not found [bytes: ${received}]: the snapshot stream from ${client.endpoint} ended early (expected ${total ?? '?'} bytes and a digest); nothing was saved`, client.endpoint);
  }
  if (total !== undefined && (dbSize !== total || lastRemaining !== 0)) {
    throw new EtcdError(`snapshot from ${client.endpoint} is incomplete: the server announced ${total} bytes, ${dbSize} arrived; nothing was saved`, client.endpoint);
  }
  const actual = hash.digest('hex');
  const expected = tail.toString('hex');
  if (actual !== expected) {
    throw new EtcdError(`snapshot from ${client.endpoint} is corrupted: etcd sent sha256 ${expected}, the data hashes to ${actual}; nothing was saved`, client.endpoint);
  }
  return {
    size: received,
    dbSize,
    sha256: actual,
    revision: header && header.revision !== '0' ? Number(header.revision) : undefined,
    memberId: header ? hexId(header.member_id) : undefined,
    version,
  };
}

async function syncDir(dir: string): Promise<void> {
  const d = await fs.open(dir, 'r').catch(() => undefined);
  if (!d) return;
  await d.sync().catch(() => undefined);
  await d.close();
}
