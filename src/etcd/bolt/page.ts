// The bbolt page format (the database etcd keeps in member/snap/db and sends as a snapshot):
// constants, the meta page, and reading elements out of a page. Pure functions over Buffers;
// the reader (reader.ts), the consistency check (check.ts) and the writer (writer.ts) share them.
//
// Format facts (etcd-io/bbolt: page.go, node.go, freelist.go, db.go, tx_check.go):
// - Every page starts with a 16-byte header: id u64, flags u16, count u16, overflow u32.
//   A page with overflow n spans n+1 consecutive pages. Integers are little-endian.
// - Pages 0 and 1 are meta pages; in force is the valid one with the higher txid. The meta
//   (after the header) is magic u32 0xED0CDAED, version u32 2, pageSize u32, flags u32, root
//   bucket {root pgid u64, sequence u64}, freelist pgid u64, high water mark pgid u64, txid u64,
//   checksum u64 = FNV-1a 64 over the 56 bytes before it.
// - Branch elements are {pos u32, ksize u32, pgid u64}; leaf elements are {flags u32, pos u32,
//   ksize u32, vsize u32}; pos counts from the element itself; a leaf's value follows its key.
// - A leaf element with flag 0x01 is a sub-bucket; its value is {root pgid u64, sequence u64},
//   and when root is 0 the bucket is inline: its leaf page follows those 16 bytes.
// - The freelist page lists free page ids (u64 each); a count of 0xFFFF means the real count is
//   the first u64. A freelist pgid of 0xFFFFFFFFFFFFFFFF means the freelist is not stored
//   (NoFreelistSync): every page below the high water mark that no bucket reaches is free.

export const PAGE_BRANCH = 0x01;
export const PAGE_LEAF = 0x02;
export const PAGE_META = 0x04;
export const PAGE_FREELIST = 0x10;
/** A leaf element that is a nested bucket rather than a key/value pair. */
export const BUCKET_LEAF_FLAG = 0x01;

export const BOLT_MAGIC = 0xed0cdaed;
export const BOLT_VERSION = 2;
export const PAGE_HEADER_SIZE = 16;
/** Both branch and leaf elements are 16 bytes. */
export const ELEMENT_SIZE = 16;
export const BUCKET_HEADER_SIZE = 16;
const META_CHECKSUM_OFFSET = 56;
/** Page sizes to try for meta page 1 when meta page 0 is damaged (its page size unknown). */
const PROBED_PAGE_SIZES = [4096, 512, 1024, 2048, 8192, 16384, 32768, 65536];
/** Bytes to read from the start of a file to find both meta pages. */
export const META_PROBE_BYTES = 64 * 1024 + 128;

/** A file that is not a readable bbolt database, or a page that cannot be read as one. */
export class BoltError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'BoltError';
  }
}

/** The meta page in force. Page ids are numbers (a page id above 2^53 cannot occur in a real file). */
export interface BoltMeta {
  /** 0 or 1: which meta page is in force (the valid one with the higher txid, as bbolt picks). */
  page: 0 | 1;
  version: number;
  pageSize: number;
  flags: number;
  /** Page id of the root bucket's root page. */
  root: number;
  /** Page id of the freelist, or null when the freelist is not stored (NoFreelistSync). */
  freelist: number | null;
  /** The high water mark: pages 0..pgid-1 exist; pgid * pageSize is the database size. */
  pgid: number;
  txid: bigint;
  checksum: bigint;
  /** Problems with the other meta page (bbolt falls back silently; we say so). */
  otherMetaProblem?: string;
}

interface ParsedMeta {
  meta?: BoltMeta;
  problem?: string;
}

function parseMeta(buf: Buffer, offset: number, page: 0 | 1): ParsedMeta {
  const m = offset + PAGE_HEADER_SIZE;
  if (buf.length < m + 64) return { problem: `meta page ${page}: the file is too short (${buf.length} bytes)` };
  const magic = buf.readUInt32LE(m);
  if (magic !== BOLT_MAGIC) return { problem: `meta page ${page}: invalid magic ${magic.toString(16).padStart(8, '0')}` };
  const version = buf.readUInt32LE(m + 4);
  if (version !== BOLT_VERSION) return { problem: `meta page ${page}: version ${version}, expected ${BOLT_VERSION}` };
  const checksum = buf.readBigUInt64LE(m + META_CHECKSUM_OFFSET);
  const sum = fnv1a64(buf.subarray(m, m + META_CHECKSUM_OFFSET));
  if (checksum !== sum) return { problem: `meta page ${page}: checksum mismatch (stored ${checksum.toString(16)}, computed ${sum.toString(16)})` };
  const pageSize = buf.readUInt32LE(m + 8);
  if (pageSize < 512 || pageSize > 1 << 20 || (pageSize & (pageSize - 1)) !== 0) return { problem: `meta page ${page}: implausible page size ${pageSize}` };
  const freelistRaw = buf.readBigUInt64LE(m + 32);
  return {
    meta: {
      page,
      version,
      pageSize,
      flags: buf.readUInt32LE(m + 12),
      root: readPgid(buf, m + 16),
      freelist: freelistRaw === 0xffffffffffffffffn ? null : Number(freelistRaw),
      pgid: readPgid(buf, m + 40),
      txid: buf.readBigUInt64LE(m + 48),
      checksum,
    },
  };
}

/**
 * The meta page in force, from the first META_PROBE_BYTES of a file: the valid one with the
 * higher txid. Throws BoltError when neither is valid.
 */
export function metaInForce(first: Buffer, file: string): BoltMeta {
  const m0 = parseMeta(first, 0, 0);
  // meta 1 sits one page further; when meta 0 is damaged its page size is unknown, so probe.
  const sizes = m0.meta ? [m0.meta.pageSize] : PROBED_PAGE_SIZES;
  let m1: ParsedMeta = { problem: 'meta page 1: not found' };
  for (const ps of sizes) {
    if (ps + PAGE_HEADER_SIZE + 64 > first.length) continue;
    m1 = parseMeta(first, ps, 1);
    if (m1.meta) break;
  }
  const valid = [m0.meta, m1.meta].filter((m): m is BoltMeta => !!m);
  if (!valid.length) throw new BoltError(`not a bbolt database: ${m0.problem}; ${m1.problem}`, file);
  valid.sort((a, b) => (a.txid > b.txid ? -1 : a.txid < b.txid ? 1 : 0));
  const meta = valid[0];
  const other = meta.page === 0 ? m1 : m0;
  if (!other.meta) meta.otherMetaProblem = other.problem;
  return meta;
}

/** FNV-1a 64-bit, bbolt's meta checksum. */
export function fnv1a64(data: Uint8Array): bigint {
  // 64-bit multiply in two 32-bit halves would be faster; the meta is 56 bytes, so BigInt is fine.
  let h = 0xcbf29ce484222325n;
  for (const b of data) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

/** A page id (u64) as a number. */
export function readPgid(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * 0x100000000;
}

// ---- the page header -------------------------------------------------------------------------

export function pageId(p: Buffer): number {
  return readPgid(p, 0);
}

export function pageFlags(p: Buffer): number {
  return p.readUInt16LE(8);
}

/** Elements in the page (for a freelist: ids, or 0xFFFF when the first u64 holds the count). */
export function pageCount(p: Buffer): number {
  return p.readUInt16LE(10);
}

/** Pages that continue this one. */
export function pageOverflow(p: Buffer): number {
  return p.readUInt32LE(12);
}

/** Pages that continue the page whose header starts at byte `at` of `buf` (no slice made: a one-pass walk asks this for every page). */
export function pageOverflowAt(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at + 12);
}

/** Whether `count` elements fit in the page. */
export function elementsFit(p: Buffer, count: number): boolean {
  return PAGE_HEADER_SIZE + count * ELEMENT_SIZE <= p.length;
}

export function pageType(flags: number): string {
  switch (flags) {
    case PAGE_BRANCH:
      return 'branch';
    case PAGE_LEAF:
      return 'leaf';
    case PAGE_META:
      return 'meta';
    case PAGE_FREELIST:
      return 'freelist';
    default:
      return `unknown<${flags.toString(16).padStart(2, '0')}>`;
  }
}

/** A page's name in messages; an inline bucket's page has no id (-1). */
export function pageName(id: number): string {
  return id < 0 ? 'inline bucket page' : `page ${id}`;
}

// ---- elements --------------------------------------------------------------------------------

// Elements are read as their offsets say, cut at the end of the page (as Go's slices would
// panic, bbolt's own reader would crash on such a page): check with the *Fits functions where a
// damaged page must be reported.

function branchKeyRange(p: Buffer, i: number): [number, number] {
  const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
  const k = e + p.readUInt32LE(e);
  return [k, k + p.readUInt32LE(e + 4)];
}

/** The key of branch element i. */
export function branchKey(p: Buffer, i: number): Buffer {
  const [start, end] = branchKeyRange(p, i);
  return p.subarray(start, end);
}

/** Whether branch element i's key lies inside the page. */
export function branchKeyFits(p: Buffer, i: number): boolean {
  return branchKeyRange(p, i)[1] <= p.length;
}

/** The child page id of branch element i. */
export function branchChild(p: Buffer, i: number): number {
  return readPgid(p, PAGE_HEADER_SIZE + i * ELEMENT_SIZE + 8);
}

/** Called for each leaf element: key, value, and whether it is a nested bucket. */
export type BoltEntryFn = (key: Buffer, value: Buffer, isBucket: boolean) => void;

export interface LeafElement {
  key: Buffer;
  value: Buffer;
  isBucket: boolean;
}

/** Leaf element i. */
export function leafElement(p: Buffer, i: number): LeafElement {
  const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
  const k = e + p.readUInt32LE(e + 4);
  const ksize = p.readUInt32LE(e + 8);
  const vsize = p.readUInt32LE(e + 12);
  return { key: p.subarray(k, k + ksize), value: p.subarray(k + ksize, k + ksize + vsize), isBucket: (p.readUInt32LE(e) & BUCKET_LEAF_FLAG) !== 0 };
}

/** Whether leaf element i's key and value lie inside the page. */
export function leafElementFits(p: Buffer, i: number): boolean {
  const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
  return e + p.readUInt32LE(e + 4) + p.readUInt32LE(e + 8) + p.readUInt32LE(e + 12) <= p.length;
}

/**
 * The first `count` elements of a leaf page, in order: the hot loop of every full pass, reading
 * elements in place (no object per element). Stops at an element that runs past the end of the
 * page and returns its index; -1 when every element was handed out.
 */
export function leafElements(p: Buffer, count: number, fn: (key: Buffer, value: Buffer, isBucket: boolean, index: number) => void): number {
  for (let i = 0; i < count; i++) {
    const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
    const flags = p.readUInt32LE(e);
    const k = e + p.readUInt32LE(e + 4);
    const ksize = p.readUInt32LE(e + 8);
    const vsize = p.readUInt32LE(e + 12);
    if (k + ksize + vsize > p.length) return i;
    fn(p.subarray(k, k + ksize), p.subarray(k + ksize, k + ksize + vsize), (flags & BUCKET_LEAF_FLAG) !== 0, i);
  }
  return -1;
}

/** Each element of a leaf page (page `id`, -1 inline), in order. Throws BoltError when they do not fit in the page. */
export function forEachLeafElement(p: Buffer, id: number, file: string, fn: BoltEntryFn): void {
  const count = pageCount(p);
  if (!elementsFit(p, count)) throw new BoltError(`${pageName(id)}: ${count} elements do not fit in the page`, file);
  const broken = leafElements(p, count, fn);
  if (broken >= 0) throw new BoltError(`${pageName(id)}: element ${broken} runs past the end of the page`, file);
}

/** A nested bucket's header (a leaf value): its root page, sequence, and its page when inline. */
export interface BucketHeader {
  /** Root page id; 0 for an inline bucket (stored inside its parent's leaf). */
  root: number;
  sequence: bigint;
  inline: Buffer | undefined;
}

/** The bucket header in a leaf value, or undefined when the value is shorter than a header. */
export function bucketHeader(value: Buffer): BucketHeader | undefined {
  if (value.length < BUCKET_HEADER_SIZE) return undefined;
  const root = readPgid(value, 0);
  return { root, sequence: value.readBigUInt64LE(8), inline: root === 0 ? value.subarray(BUCKET_HEADER_SIZE) : undefined };
}

/** The page ids a freelist page lists. Throws BoltError when they do not fit in the page. */
export function freelistIds(p: Buffer, id: number, file: string): number[] {
  let count = pageCount(p);
  let at = PAGE_HEADER_SIZE;
  if (count === 0xffff) {
    count = readPgid(p, at);
    at += 8;
  }
  if (at + count * 8 > p.length) throw new BoltError(`page ${id}: the freelist says ${count} ids, more than the page holds`, file);
  const ids = new Array<number>(count);
  for (let i = 0; i < count; i++) ids[i] = readPgid(p, at + i * 8);
  return ids;
}
