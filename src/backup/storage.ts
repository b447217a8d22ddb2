// Where archives live: a local file or an S3-compatible bucket (s3://bucket/prefix/NAME).
//
// Both follow one rule: a backup is there whole or not at all. A file is written as FILE.part
// (mode 0600), fsynced, renamed over FILE and its directory fsynced; an S3 object is uploaded in
// parts and only completed (made visible) after the last byte, else the upload is aborted.
// S3 uses AWS's standard credential and region chain; --s3-endpoint points at MinIO-style servers.
import { close, constants, createWriteStream, fchmod, fsync, open, promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { ArchiveSink } from './archive.js';
import { BadArchiveError, BackupOptionError, StorageError, errorMessage } from './errors.js';
import { errnoCode } from '../util/errors.js';

export interface S3Options {
  /** An S3-compatible endpoint (http://127.0.0.1:9000); path-style addressing is then used. */
  endpoint?: string;
  /** Else AWS_REGION / the shared config; "us-east-1" when only an endpoint is given. */
  region?: string;
  /** Multipart upload part size (default 8 MiB; S3's minimum is 5 MiB). */
  partSizeBytes?: number;
}

export type Location = { kind: 'file'; path: string } | { kind: 's3'; bucket: string; key: string };

export function parseLocation(value: string): Location {
  if (value.startsWith('s3://')) {
    const rest = value.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    if (!bucket || !key || key.endsWith('/')) throw new BackupOptionError(`invalid S3 location "${value}": use s3://BUCKET/PREFIX/NAME (the object's full key)`);
    return { kind: 's3', bucket, key };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new BackupOptionError(`unsupported location "${value}": use a file path or s3://BUCKET/KEY`);
  if (!value) throw new BackupOptionError('a backup file or s3:// location is required');
  return { kind: 'file', path: value };
}

export function formatLocation(loc: Location): string {
  return loc.kind === 'file' ? loc.path : `s3://${loc.bucket}/${loc.key}`;
}

/** Open a sink that writes the archive all-or-nothing. */
export async function openSink(loc: Location, s3: S3Options = {}): Promise<ArchiveSink> {
  return loc.kind === 'file' ? fileSink(loc.path) : s3Sink(loc.bucket, loc.key, s3);
}

/** Open an archive for reading (compressed bytes), with its size when known. */
export async function openSource(loc: Location, s3: S3Options = {}): Promise<{ stream: Readable; size?: number }> {
  if (loc.kind === 'file') {
    let size: number;
    try {
      const st = await fs.stat(loc.path);
      if (st.isDirectory()) throw new BadArchiveError(`${loc.path} is a directory, not a backup archive`);
      size = st.size;
    } catch (e) {
      if (e instanceof BadArchiveError) throw e;
      throw new BadArchiveError(`${loc.path}: ${errnoCode(e) === 'ENOENT' ? 'no such file' : errorMessage(e)}`);
    }
    const { createReadStream } = await import('node:fs');
    return { stream: createReadStream(loc.path, { highWaterMark: 256 * 1024 }), size };
  }
  const { client, sdk } = await s3Client(s3);
  try {
    const out = await client.send(new sdk.GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
    const stream = out.Body as Readable;
    // The client's connections carry the body: let them go only once it is read (or abandoned).
    stream.once('close', () => client.destroy());
    return { stream, size: out.ContentLength };
  } catch (e) {
    client.destroy();
    const name = (e as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') throw new BadArchiveError(`${formatLocation(loc)}: no such object`);
    throw new StorageError(`cannot read ${formatLocation(loc)}: ${s3Message(e)}`, { cause: e });
  }
}

async function fileSink(file: string): Promise<ArchiveSink> {
  const target = path.resolve(file);
  const part = `${target}.part`;
  let fd: number;
  try {
    fd = await promisify(open)(part, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    await promisify(fchmod)(fd, 0o600);
  } catch (e) {
    throw new StorageError(`cannot write ${part}: ${errorMessage(e)}`, { cause: e });
  }
  // A plain descriptor (not a FileHandle): the stream writes, this code fsyncs and closes.
  const stream = createWriteStream(part, { fd, autoClose: false, highWaterMark: 256 * 1024 });
  let closed = false;
  const closeFd = async () => {
    if (closed) return;
    closed = true;
    await promisify(close)(fd).catch(() => undefined);
  };
  return {
    location: file,
    stream,
    async commit() {
      await promisify(fsync)(fd);
      await closeFd();
      await fs.rename(part, target);
      const dir = await fs.open(path.dirname(target), 'r').catch(() => undefined);
      if (dir) {
        await dir.sync().catch(() => undefined);
        await dir.close();
      }
    },
    async abort() {
      stream.destroy();
      await closeFd();
      await fs.rm(part, { force: true });
    },
  };
}

async function s3Sink(bucket: string, key: string, s3: S3Options): Promise<ArchiveSink> {
  const { client, sdk } = await s3Client(s3);
  const { Upload } = await import('@aws-sdk/lib-storage');
  const location = `s3://${bucket}/${key}`;
  // Fail before any cluster work when the bucket cannot be reached or written.
  try {
    await client.send(new sdk.HeadBucketCommand({ Bucket: bucket }));
  } catch (e) {
    client.destroy?.();
    throw new StorageError(`cannot use bucket ${bucket}: ${s3Message(e)}`, { cause: e });
  }
  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  const abortController = new AbortController();
  // Parts of 8 MiB, 4 in flight: at most ~32 MiB buffered whatever the archive's size.
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/gzip' },
    partSize: Math.max(s3.partSizeBytes ?? 8 * 1024 * 1024, 5 * 1024 * 1024),
    queueSize: 4,
    leavePartsOnError: false,
    abortController,
  });
  const done = upload.done();
  done.catch(() => undefined);
  return {
    location,
    stream: body,
    async commit() {
      try {
        await done;
      } catch (e) {
        throw new StorageError(`upload to ${location} failed: ${s3Message(e)}`, { cause: e });
      } finally {
        client.destroy?.();
      }
    },
    async abort() {
      abortController.abort();
      body.destroy();
      await done.catch(() => undefined);
      client.destroy?.();
    },
  };
}

async function s3Client(options: S3Options) {
  // The pinned SDK runs on Node 20 (upkeep's floor); its notice about later SDK releases needing
  // Node 22 would be printed on every backup and tells an upkeep user nothing to act on.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const sdk = await import('@aws-sdk/client-s3');
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (options.endpoint ? 'us-east-1' : undefined);
  const client = new sdk.S3Client({
    region,
    endpoint: options.endpoint,
    forcePathStyle: options.endpoint ? true : undefined,
    maxAttempts: 3,
  });
  return { client, sdk };
}

function s3Message(e: unknown): string {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  const status = err.$metadata?.httpStatusCode;
  const name = err.name && err.name !== 'Error' ? err.name : err.code;
  return `${name ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${err.message || 'no details'}`;
}
