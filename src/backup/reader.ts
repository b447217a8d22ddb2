// Reading an archive once, front to back: check it is a backup (Velero's metadata/version, our
// manifest's format), check every entry's sha256 against upkeep/checksums.sha256, open the
// Secrets with the user's key when asked, and (for restore, verify and diff) extract the objects
// into a private directory to be read in restore order. Works on Velero's own tarballs too (they
// carry no checksums, which the result says).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { readArchive, type ReadProgress } from './archive.js';
import { BadArchiveError } from './errors.js';
import { CHECKSUMS_ENTRY, MANIFEST_ENTRY, METADATA_VERSION_ENTRY, SECRETS_KEY_ENTRY, isSafeEntryPath, parseEntryPath } from './layout.js';
import { checkVeleroVersion, parseManifest, type BackupManifest } from './manifest.js';
import { SecretOpener, isAgeFile, type SecretKeyOptions } from './secrets.js';
import { formatLocation, openSource, parseLocation, type S3Options } from './storage.js';

export interface ScanOptions {
  /** Compute and compare every entry's sha256 (default true). */
  checksums?: boolean;
  /** Open the archive's Secrets with this key (and check each one decrypts). */
  keys?: SecretKeyOptions;
  /** Write each object's unversioned entry under this directory (restore, verify, diff). */
  extractTo?: string;
  s3?: S3Options;
  onProgress?: (p: ReadProgress & { total?: number }) => void;
}

export interface ChecksumProblem {
  entry: string;
  problem: string;
}

/** Objects per resource and namespace, from the entries (what describe shows for Velero tarballs). */
export interface EntryCount {
  groupResource: string;
  count: number;
  namespaces: Record<string, number>;
}

export interface ScanResult {
  location: string;
  veleroFormat: string;
  /** Undefined for a Velero tarball (no upkeep manifest). */
  manifest?: BackupManifest;
  compressedBytes: number;
  /** Entries read (all of them). */
  entries: number;
  /** Whether checksums were compared (false for Velero tarballs and when not asked). */
  checksummed: boolean;
  problems: ChecksumProblem[];
  /** Set when the archive's Secrets are encrypted and a key was given. */
  secrets?: SecretOpener;
  counts: EntryCount[];
  /** Encrypted entries that were decrypted and parsed (with keys). */
  decrypted: number;
}

export async function scanArchive(target: string, options: ScanOptions = {}): Promise<ScanResult> {
  const location = parseLocation(target);
  const what = formatLocation(location);
  const { stream, size } = await openSource(location, options.s3);
  if (size === 0) {
    stream.destroy();
    throw new BadArchiveError(`${what} is empty: not a backup archive`);
  }
  const checksums = options.checksums !== false;
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-scan-'));
  const digests: WriteStream | undefined = checksums ? createWriteStream(path.join(work, 'digests'), { mode: 0o600 }) : undefined;
  // Once the scan has failed, late writes of the digest file are of no interest.
  digests?.on('error', () => undefined);
  const result: ScanResult = { location: what, veleroFormat: '', compressedBytes: 0, entries: 0, checksummed: false, problems: [], counts: [], decrypted: 0 };
  const counts = new Map<string, EntryCount>();
  let checksumsDigest: string | undefined;
  try {
    for await (const { name, data } of readArchive(stream, what, (p) => {
      result.compressedBytes = p.bytes;
      options.onProgress?.({ ...p, total: size });
    })) {
      result.entries++;
      if (result.entries === 1 && name !== METADATA_VERSION_ENTRY && !name.startsWith('resources/') && !name.startsWith('upkeep/')) {
        throw new BadArchiveError(`${what} is not a Velero or upkeep backup: its first entry is ${name}, not ${METADATA_VERSION_ENTRY}`);
      }
      if (!isSafeEntryPath(name)) throw new BadArchiveError(`${what} holds an entry with an unsafe path (${JSON.stringify(name)}): refusing to read it`, name);
      if (name === MANIFEST_ENTRY) {
        result.manifest = parseManifest(data);
        continue;
      }
      if (name === CHECKSUMS_ENTRY) {
        checksumsDigest = createHash('sha256').update(data).digest('hex');
        await fs.writeFile(path.join(work, 'checksums'), data, { mode: 0o600 });
        continue;
      }
      if (digests && !digests.write(`${createHash('sha256').update(data).digest('hex')}  ${name}\n`)) await new Promise<void>((r) => digests.once('drain', () => r()));
      if (name === METADATA_VERSION_ENTRY) result.veleroFormat = checkVeleroVersion(data);
      else if (name === SECRETS_KEY_ENTRY && options.keys) result.secrets = await SecretOpener.open(data, options.keys);
      const parsed = parseEntryPath(name);
      if (!parsed) continue;
      if (result.secrets && isAgeFile(data)) {
        // Decrypting proves the key and the entry; the plaintext is only parsed, never kept.
        JSON.parse((await result.secrets.open(data, name)).toString('utf8'));
        result.decrypted++;
      }
      if (parsed.version !== undefined) continue;
      let c = counts.get(parsed.groupResource);
      if (!c) counts.set(parsed.groupResource, (c = { groupResource: parsed.groupResource, count: 0, namespaces: {} }));
      c.count++;
      if (parsed.namespace !== undefined) c.namespaces[parsed.namespace] = (c.namespaces[parsed.namespace] ?? 0) + 1;
      if (options.extractTo) {
        const file = path.join(options.extractTo, name);
        await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
        await fs.writeFile(file, data, { mode: 0o600 });
      }
    }
    if (!result.veleroFormat) throw new BadArchiveError(`${what} is not a Velero or upkeep backup: it has no ${METADATA_VERSION_ENTRY} entry`);
    result.counts = [...counts.values()];
    if (digests) await new Promise<void>((resolve, reject) => digests.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (checksums && result.manifest) {
      result.checksummed = true;
      if (checksumsDigest === undefined) result.problems.push({ entry: CHECKSUMS_ENTRY, problem: 'missing from the archive' });
      else if (checksumsDigest !== result.manifest.checksums.sha256) result.problems.push({ entry: CHECKSUMS_ENTRY, problem: 'sha256 differs from the manifest: the checksums were altered' });
      else result.problems.push(...(await compareDigests(path.join(work, 'checksums'), path.join(work, 'digests'))));
    } else if (checksumsDigest !== undefined && !result.manifest) {
      throw new BadArchiveError(`${what} has ${CHECKSUMS_ENTRY} but no ${MANIFEST_ENTRY}: the archive is truncated or altered`);
    }
    return result;
  } finally {
    if (digests && !digests.closed) await new Promise<void>((resolve) => digests.end(() => resolve()));
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * Expected (sha256sum lines) against computed, both in entry order. In order, one pass with no
 * memory; out of order (only an altered archive is), by name.
 */
async function compareDigests(expectedFile: string, actualFile: string): Promise<ChecksumProblem[]> {
  const expected = lines(expectedFile);
  const actual = lines(actualFile);
  const problems: ChecksumProblem[] = [];
  const leftExpected = new Map<string, string>();
  const leftActual = new Map<string, string>();
  for (;;) {
    const [e, a] = await Promise.all([expected.next(), actual.next()]);
    if (e.done && a.done) break;
    const ep = e.done ? undefined : parseLine(e.value);
    const ap = a.done ? undefined : parseLine(a.value);
    if (ep && ap && ep.name === ap.name && !leftExpected.size && !leftActual.size) {
      if (ep.digest !== ap.digest) problems.push({ entry: ep.name, problem: 'sha256 mismatch: the entry was altered' });
      continue;
    }
    if (ep) leftExpected.set(ep.name, ep.digest);
    if (ap) leftActual.set(ap.name, ap.digest);
  }
  for (const [name, digest] of leftExpected) {
    const got = leftActual.get(name);
    if (got === undefined) problems.push({ entry: name, problem: 'missing from the archive' });
    else if (got !== digest) problems.push({ entry: name, problem: 'sha256 mismatch: the entry was altered' });
    leftActual.delete(name);
  }
  for (const name of leftActual.keys()) problems.push({ entry: name, problem: 'not in the checksums: the entry was added after the backup' });
  return problems;
}

function lines(file: string): AsyncIterator<string> {
  return readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity })[Symbol.asyncIterator]();
}

function parseLine(line: string): { digest: string; name: string } {
  const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
  return m ? { digest: m[1], name: m[2] } : { digest: '', name: line };
}

/** A private directory for an archive's objects (removed by the caller). */
export async function extractionDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-restore-'));
}
