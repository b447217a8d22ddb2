// `etcdutl snapshot restore`, done by upkeep: turns a snapshot file into the data directory of a
// member of a new cluster, as etcdctl 3.4 and etcdutl 3.5 lay it out:
//
//   <data-dir>/member/snap/db                                   the keyspace (bbolt)
//   <data-dir>/member/snap/0000000000000001-<N>.snap             raft snapshot: v2 store membership
//   <data-dir>/member/wal/0000000000000000-0000000000000000.wal   metadata, N ConfChange entries, HardState
//
// where N is the number of members. The db is the snapshot's, rewritten: membership replaced by
// the new cluster's, meta consistent_index set to N (and term to 1 when the snapshot has one, as
// 3.5 keeps it) so etcd does not re-apply the bootstrap entries, and, when asked, the revision
// bumped and marked compacted so watchers of the old cluster must relist.
import { DirectoryError, makeDirectory } from '../util/mkdir.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BoltError } from './bolt/page.js';
import { type BoltBucket, openBolt } from './bolt/reader.js';
import { BoltFileWriter, type BucketBuilder } from './bolt/writer.js';
import { type ClusterMember, type InitialCluster, MembershipError, memberJson, newInitialCluster, parseInitialCluster, verifyLocalMember } from './membership.js';
import { errnoCode, errorMessage } from '../util/errors.js';
import { idString, writeSnapFile } from './snap.js';
import { verifySnapshotDigest } from './digest.js';
import { ConfChangeType, type Entry, EntryType, encodeConfChange, encodeConfState, encodeWalMetadata, writeNewWal } from './wal.js';

export const RESTORE_DEFAULTS = {
  name: 'default',
  initialCluster: 'default=http://localhost:2380',
  initialClusterToken: 'etcd-cluster',
  initialAdvertisePeerURLs: ['http://localhost:2380'],
} as const;

export interface RestoreOptions {
  /** The snapshot: `etcdctl snapshot save` output (db + sha256), or a copied member/snap/db. */
  snapshotPath: string;
  /** Default `<name>.etcd`. Must not exist or be empty. */
  dataDir?: string;
  /** Default `<data-dir>/member/wal`. When given, must not exist. */
  walDir?: string;
  name?: string;
  initialCluster?: string;
  initialClusterToken?: string;
  initialAdvertisePeerURLs?: string[];
  /** Restore a file whose trailing sha256 is missing or wrong. */
  skipHashCheck?: boolean;
  /** Add this much to the latest revision (etcdutl --bump-revision); needs markCompacted. */
  bumpRevision?: bigint | number;
  /** Record the (bumped) latest revision as compacted (etcdutl --mark-compacted). */
  markCompacted?: boolean;
  /** Each step as it starts ("checking the sha256 of 12.0 MiB"), for a progress line. */
  onProgress?(step: string): void;
}

export interface RestoreResult {
  dataDir: string;
  walDir: string;
  snapDir: string;
  dbPath: string;
  walPath: string;
  snapPath: string;
  member: { name: string; id: string };
  clusterID: string;
  members: Array<{ name: string; id: string; peerURLs: string[] }>;
  /** Whether the file carried a sha256 that was checked. */
  hashChecked: boolean;
  /** The latest revision in the snapshot. */
  revision: bigint;
  /** The latest revision after --bump-revision (= revision without it). */
  restoredRevision: bigint;
  compactedRevision?: bigint;
  /** Raft index the member starts from (= number of members). */
  consistentIndex: bigint;
  /** The db's size in bytes after the rewrite. */
  dbSize: number;
}

/** A restore refused or failed; the message is one line for the user. */
/** What etcdutl refuses: a bad snapshot, data directory or flag. Bad input: exit 2. */
export class RestoreError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'RestoreError';
  }
}

/** Creates `dir` (kept on success: the restore goes on into it), or refuses it naming the flag. */
async function ensureCreatable(dir: string, flag: string): Promise<void> {
  try {
    await makeDirectory(dir);
  } catch (e) {
    if (e instanceof DirectoryError) throw new RestoreError(`invalid ${flag}: ${e.message}`);
    throw e;
  }
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await fs.readdir(dir)).length === 0;
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') return true;
    if (code === 'ENOTDIR') return false;
    throw e;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** mvcc revision bytes: main (8 bytes big-endian), '_', sub (8 bytes big-endian). */
export function revisionBytes(main: bigint, sub = 0n): Buffer {
  const b = Buffer.alloc(17);
  b.writeBigUInt64BE(main, 0);
  b[8] = 0x5f;
  b.writeBigUInt64BE(sub, 9);
  return b;
}

function uint64BE(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}

/** Copies a bucket (and any nested buckets) into a builder, key by key. */
function copyBucket(src: BoltBucket, dst: BucketBuilder, file: BoltFileWriter, onEntry?: (key: Buffer) => void): void {
  src.forEach((k, v, isBucket) => {
    onEntry?.(k);
    if (!isBucket) {
      dst.put(k, v);
      return;
    }
    const child = src.bucket(k);
    if (!child) throw new BoltError(`bucket ${JSON.stringify(k.toString('latin1'))} vanished while copying`, file.path);
    const b = file.bucket(child.sequence);
    copyBucket(child, b, file);
    dst.putBucket(k, b.finish());
  });
}

interface DbRewrite {
  members: ClusterMember[];
  consistentIndex: bigint;
  term: bigint;
  bump: bigint;
  markCompacted: boolean;
}

interface DbRewriteResult {
  revision: bigint;
  restoredRevision: bigint;
  compactedRevision?: bigint;
  /** The snapshot came from etcd 3.5+ (meta has a term): the WAL snapshot gets a ConfState too. */
  v35: boolean;
  size: number;
}

/**
 * Reads the snapshot's bbolt file and writes the restored db: every bucket copied, except
 * members/members_removed (replaced by the new cluster, as etcdutl 3.5 leaves them) and meta
 * (consistent index, term, scheduled compaction), plus the bump key at the end of `key`.
 */
export function rewriteDb(source: string, target: string, r: DbRewrite): DbRewriteResult {
  const db = openBolt(source);
  let file: BoltFileWriter | undefined;
  try {
    file = new BoltFileWriter(target, { pageSize: db.pageSize, txid: db.meta.txid + 1n });
    const names: Buffer[] = [];
    db.forEachBucket((name) => {
      names.push(Buffer.from(name));
    });
    for (const required of ['key', 'members', 'members_removed', 'meta']) {
      if (!names.some((n) => n.toString() === required)) names.push(Buffer.from(required));
    }
    names.sort(Buffer.compare);
    let latest = { main: 0n, sub: 0n };
    let restored = 0n;
    let compacted: bigint | undefined;
    let v35 = false;
    const root = file.root();
    for (const name of names) {
      const key = name.toString('latin1');
      const src = db.bucket(name);
      const b = file.bucket(src?.sequence ?? 0n);
      if (key === 'members') {
        // Keyed by the member id in hex (types.ID.String), valued by the member's JSON.
        const entries = r.members.map((m) => [Buffer.from(idString(m.id)), Buffer.from(memberJson(m))] as const).sort((a, b) => Buffer.compare(a[0], b[0]));
        for (const [k, v] of entries) b.put(k, v);
      } else if (key === 'members_removed') {
        // The old cluster's removed members mean nothing to the new one.
      } else if (key === 'key') {
        if (src) {
          copyBucket(src, b, file, (k) => {
            if (k.length >= 17) latest = { main: k.readBigUInt64BE(0), sub: k.readBigUInt64BE(9) };
          });
        }
        restored = latest.main;
        if (r.bump > 0n) {
          // etcdutl writes an empty value at (latest + bump, 0): the new latest revision.
          restored = latest.main + r.bump;
          b.put(revisionBytes(restored), Buffer.alloc(0));
        }
      } else if (key === 'meta') {
        const meta = new Map<string, Buffer>();
        src?.forEach((k, v, isBucket) => {
          if (!isBucket) meta.set(k.toString('latin1'), Buffer.from(v));
        });
        v35 = meta.has('term');
        meta.set('consistent_index', uint64BE(r.consistentIndex));
        if (v35) meta.set('term', uint64BE(r.term));
        if (r.markCompacted) {
          compacted = restored;
          meta.set('scheduledCompactRev', revisionBytes(restored));
        }
        for (const k of [...meta.keys()].sort((a, c) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(c, 'latin1')))) b.put(Buffer.from(k, 'latin1'), meta.get(k)!);
      } else if (src) {
        copyBucket(src, b, file);
      }
      root.putBucket(name, b.finish());
    }
    const size = file.close(root);
    file = undefined;
    return { revision: latest.main, restoredRevision: restored, compactedRevision: compacted, v35, size };
  } finally {
    file?.abort();
    db.close();
  }
}

/** The options with etcdutl's defaults, checked, and the new cluster they describe. */
function restorePlan(opts: RestoreOptions): { name: string; bump: bigint; cluster: InitialCluster; self: ClusterMember } {
  const name = opts.name ?? RESTORE_DEFAULTS.name;
  const initialCluster = opts.initialCluster ?? RESTORE_DEFAULTS.initialCluster;
  const token = opts.initialClusterToken ?? RESTORE_DEFAULTS.initialClusterToken;
  const advertise = opts.initialAdvertisePeerURLs ?? [...RESTORE_DEFAULTS.initialAdvertisePeerURLs];
  const bump = BigInt(opts.bumpRevision ?? 0);
  if (bump < 0n) throw new RestoreError('--bump-revision must not be negative');
  if (bump > 0n && !opts.markCompacted) throw new RestoreError('--mark-compacted required if --bump-revision > 0');
  if (opts.markCompacted && bump === 0n) throw new RestoreError('--bump-revision required to be > 0 if --mark-compacted');

  let cluster: InitialCluster;
  try {
    verifyLocalMember(parseInitialCluster(initialCluster), name, advertise, initialCluster);
    cluster = newInitialCluster(initialCluster, token);
  } catch (e) {
    if (e instanceof MembershipError) throw new RestoreError(e.message);
    throw e;
  }
  const self = cluster.members.find((m) => m.name === name)!;
  return { name, bump, cluster, self };
}

/** The bbolt meta page's size of the pages, when the file is shorter than that; undefined when it is not (or is no bbolt file: later checks say so). */
function truncatedBy(file: string): { pages: number; fileSize: number } | undefined {
  try {
    const db = openBolt(file);
    try {
      return db.fileSize < db.size ? { pages: db.size, fileSize: db.fileSize } : undefined;
    } finally {
      db.close();
    }
  } catch (e) {
    if (e instanceof BoltError) return undefined;
    throw e;
  }
}

function mebibytes(n: number): string {
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

/** The snapshot is a file whose digest checks out (or --skip-hash-check); whether a digest was checked. */
async function checkSnapshotFile(opts: RestoreOptions): Promise<boolean> {
  let stat;
  try {
    stat = await fs.stat(opts.snapshotPath);
  } catch (e) {
    throw new RestoreError(`cannot read snapshot ${opts.snapshotPath}: ${errnoCode(e) === 'ENOENT' ? 'no such file' : errorMessage(e)}`);
  }
  if (!stat.isFile()) throw new RestoreError(`snapshot ${opts.snapshotPath} is not a file`);
  // A file cut short (a copy interrupted, a full disk) fails every later check too: say what it is first.
  const missing = truncatedBy(opts.snapshotPath);
  if (missing) throw new RestoreError(`snapshot ${opts.snapshotPath} is truncated: the meta page says ${missing.pages} bytes of pages but the file has ${missing.fileSize} bytes (${missing.pages - missing.fileSize} missing); take a new snapshot`);
  // Size tells whether a digest is there (db pages are multiples of 512, the digest is 32 bytes).
  // With --skip-hash-check etcd does not hash at all; neither do we.
  if (opts.skipHashCheck) return false;
  opts.onProgress?.(`checking the sha256 of ${mebibytes(stat.size)}`);
  const hash = await verifySnapshotDigest(opts.snapshotPath);
  if (hash.state === 'missing') throw new RestoreError('snapshot missing hash but --skip-hash-check=false');
  if (hash.state === 'mismatch') {
    throw new RestoreError(`snapshot ${opts.snapshotPath} is corrupt: expected sha256 ${hash.expected}, got ${hash.actual} (--skip-hash-check restores it anyway)`);
  }
  return hash.state === 'ok';
}

/** Restores a snapshot into a new member data directory. Throws RestoreError with one line. */
export async function restoreSnapshot(opts: RestoreOptions): Promise<RestoreResult> {
  const { name, bump, cluster, self } = restorePlan(opts);
  const dataDir = opts.dataDir ?? `${name}.etcd`;
  if (!(await isEmptyOrMissing(dataDir))) throw new RestoreError(`data-dir "${dataDir}" not empty or could not be read`);
  const walDir = opts.walDir ?? path.join(dataDir, 'member', 'wal');
  if (opts.walDir && (await exists(opts.walDir))) throw new RestoreError(`wal-dir "${opts.walDir}" exists`);
  const snapDir = path.join(dataDir, 'member', 'snap');
  const hashChecked = await checkSnapshotFile(opts);
  // From here on the directories are ours: on failure, take back what was made.
  const dataDirExisted = await exists(dataDir);
  const cleanup = async () => {
    if (dataDirExisted) await fs.rm(path.join(dataDir, 'member'), { recursive: true, force: true });
    else await fs.rm(dataDir, { recursive: true, force: true });
    if (opts.walDir) {
      await fs.rm(opts.walDir, { recursive: true, force: true });
      await fs.rm(`${opts.walDir}.tmp`, { recursive: true, force: true });
    }
  };
  try {
    // A directory that cannot be created (a path under /proc, below a file, on a read-only
    // mount) is refused naming the flag and the path, before anything is written.
    await ensureCreatable(snapDir, '--data-dir');
    const dbPath = path.join(snapDir, 'db');
    const n = BigInt(cluster.members.length);
    const term = 1n;
    let db: DbRewriteResult;
    opts.onProgress?.(`writing the new database (${cluster.members.length} member${cluster.members.length === 1 ? '' : 's'}, consistent index ${n})`);
    try {
      db = rewriteDb(opts.snapshotPath, dbPath, { members: cluster.members, consistentIndex: n, term, bump, markCompacted: !!opts.markCompacted });
    } catch (e) {
      if (e instanceof BoltError) throw new RestoreError(`snapshot ${opts.snapshotPath} is not a usable etcd database: ${e.message}`);
      throw e;
    }
    opts.onProgress?.(`writing the WAL and the raft snapshot for member ${name}`);
    const { walPath, snapPath } = await writeRaftState(cluster, self, walDir, snapDir, db.v35);
    return {
      dataDir,
      walDir,
      snapDir,
      dbPath,
      walPath,
      snapPath,
      member: { name, id: idString(self.id) },
      clusterID: idString(cluster.clusterID),
      members: cluster.members.map((m) => ({ name: m.name, id: idString(m.id), peerURLs: m.peerURLs })),
      hashChecked,
      revision: db.revision,
      restoredRevision: db.restoredRevision,
      compactedRevision: db.compactedRevision,
      consistentIndex: n,
      dbSize: db.size,
    };
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
}

/**
 * The raft side of a new member: one ConfChangeAddNode per member (ids in order), committed at
 * term 1 and voted for the first, in the WAL; the membership as a raft snapshot at index N.
 */
async function writeRaftState(cluster: InitialCluster, self: ClusterMember, walDir: string, snapDir: string, v35: boolean): Promise<{ walPath: string; snapPath: string }> {
  const n = BigInt(cluster.members.length);
  const term = 1n;
  const entries: Entry[] = cluster.members.map((m, i) => ({
    type: EntryType.ConfChange,
    term,
    index: BigInt(i + 1),
    data: encodeConfChange({ type: ConfChangeType.AddNode, nodeID: m.id, context: Buffer.from(memberJson(m)) }),
  }));
  const voters = cluster.members.map((m) => m.id);
  const snapPath = await writeSnapFile(snapDir, { members: cluster.members, index: n, term });
  const walPath = await writeNewWal(walDir, {
    metadata: encodeWalMetadata(self.id, cluster.clusterID),
    entries,
    hardState: { term, vote: cluster.members[0].id, commit: n },
    snapshot: { index: n, term, confState: v35 ? encodeConfState({ voters }) : undefined },
  });
  return { walPath, snapPath };
}
