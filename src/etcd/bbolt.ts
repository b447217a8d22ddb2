// A streaming reader of bbolt files (the database format etcd keeps in member/snap/db and sends
// as a snapshot). It reads pages on demand through a small block cache, so a multi-gigabyte
// file is walked without ever being loaded whole.
//
// Usage (all calls are synchronous: they block on file reads; run them in a worker thread when
// the event loop must stay free):
//
//   const db = openBolt('snap.db');
//   try {
//     db.forEachBucket((name, bucket) => console.log(name.toString(), bucket.root));
//     db.forEachKey('key', (k, v) => { ... });             // entries of one top-level bucket
//     const v = db.bucket('meta')?.get('consistent_index'); // one value, by B+tree search
//     const report = db.check();                           // bbolt's tx.Check(), as data
//   } finally {
//     db.close();
//   }
//
// Keys and values are Buffers that share memory with the cached block they were read from:
// valid for as long as they are referenced, never modified by the reader, and cheap to keep
// only briefly (keeping many of them keeps their 1 MiB blocks alive).
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
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export const PAGE_BRANCH = 0x01;
export const PAGE_LEAF = 0x02;
export const PAGE_META = 0x04;
export const PAGE_FREELIST = 0x10;
/** A leaf element that is a nested bucket rather than a key/value pair. */
export const BUCKET_LEAF_FLAG = 0x01;

export const BOLT_MAGIC = 0xed0cdaed;
export const BOLT_VERSION = 2;
const PAGE_HEADER_SIZE = 16;
const ELEMENT_SIZE = 16; // both branch and leaf elements
const BUCKET_HEADER_SIZE = 16;
const META_CHECKSUM_OFFSET = 56;
const MAX_REPORTED_ERRORS = 1000;

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

export interface BoltOpenOptions {
  /** Bytes of block cache (default 32 MiB). */
  cacheBytes?: number;
  /** Bytes per cached block (default 1 MiB; rounded to whole pages). */
  blockBytes?: number;
  /**
   * Recycle cache blocks instead of allocating new ones: faster for one pass over a large file
   * (no allocation, no GC), but a key or value handed to a callback is then valid only during
   * that callback (copy what you keep). Default false: every slice stays valid.
   */
  reuseBuffers?: boolean;
  /**
   * Share reads with a reader thread (see createBlockRing): blocks come from shared memory that
   * the thread fills in file order (and hashes), and blocks this reader reads go there too, so
   * each block is read from the file once. Implies reuseBuffers; blockBytes is the ring's.
   */
  ring?: BlockRing;
}

/** Called for each entry: key, value (empty for a nested bucket), and whether it is a bucket. */
export type BoltEntryFn = (key: Buffer, value: Buffer, isBucket: boolean) => void;

/** What `check()` found: bbolt's tx.Check() as data, with page counts. */
export interface BoltCheckReport {
  ok: boolean;
  /** Problems, in bbolt's order (freelist, then each bucket's pages, then unreachable pages). At most 1000 are kept. */
  errors: string[];
  /** How many problems were found in all (errors may be cut short). */
  errorCount: number;
  /** Not errors: e.g. one meta page invalid while the other is fine. */
  warnings: string[];
  pages: {
    pageSize: number;
    /** The high water mark: pages in the database. */
    total: number;
    meta: number;
    freelist: number;
    branch: number;
    leaf: number;
    /** Pages that continue a branch or leaf page (large values). */
    overflow: number;
    free: number;
    /** Whether the freelist is stored in the file (false: NoFreelistSync; free pages are derived). */
    freelistStored: boolean;
  };
  buckets: number;
  inlineBuckets: number;
}

/** Visitor for `check()`: sees every top-level bucket and its entries, in key order, during the check. */
export interface BoltVisitor {
  bucket?(name: Buffer): void;
  entry?(bucket: Buffer, key: Buffer, value: Buffer, isBucket: boolean): void;
  /**
   * For each branch page (before its children) and each leaf page (after its entries): how many
   * pages it spans (1 + overflow). For progress; with reuseBuffers, the last moment a leaf's
   * entries are sure to be intact.
   */
  page?(pages: number): void;
}

interface CheckState {
  reachable: Uint8Array;
  freed: Uint8Array;
  errors: string[];
  errorCount: number;
  branch: number;
  leaf: number;
  overflow: number;
  buckets: number;
  inlineBuckets: number;
}

/** Open a bbolt file for reading. Throws BoltError when it has no valid meta page. */
export function openBolt(path: string, options: BoltOpenOptions = {}): BoltDB {
  return new BoltDB(path, options);
}

export class BoltDB {
  readonly path: string;
  readonly meta: BoltMeta;
  /** Bytes in the file (may include etcd's 32-byte sha256 after the database). */
  readonly fileSize: number;
  private fd: number;
  private readonly blockBytes: number;
  private readonly maxBlocks: number;
  private readonly reuse: boolean;
  private readonly blocks = new Map<number, Buffer>();
  private readonly ring: RingView | undefined;
  /** Blocks in `blocks` that are ring slots held by this reader (released when evicted). */
  private readonly held = new Set<number>();
  private scratch: Buffer | undefined;
  private ringTimeouts = 0;

  constructor(path: string, options: BoltOpenOptions = {}) {
    this.path = path;
    this.fd = openSync(path, 'r');
    try {
      this.fileSize = fstatSync(this.fd).size;
      this.meta = this.readMeta();
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
    const ps = this.meta.pageSize;
    const ring = options.ring && options.ring.blockBytes % ps === 0 ? options.ring : undefined;
    this.blockBytes = ring ? ring.blockBytes : Math.max(ps, Math.floor((options.blockBytes ?? 1 << 20) / ps) * ps);
    // With a ring, few blocks are held at once: a held slot is one the reader thread cannot refill.
    this.maxBlocks = ring ? RING_HELD_BLOCKS : Math.max(4, Math.floor((options.cacheBytes ?? 32 << 20) / this.blockBytes));
    this.reuse = !!options.reuseBuffers || !!ring;
    if (ring) {
      this.ring = {
        ...ring,
        ctrl: new Int32Array(ring.ctrl),
        mem: Buffer.from(ring.data),
        fullBlocks: Math.floor(this.fileSize / ring.blockBytes),
      };
    }
  }

  get pageSize(): number {
    return this.meta.pageSize;
  }

  /** Whether slices handed to callbacks are valid only during the callback (reuseBuffers). */
  get reusesBuffers(): boolean {
    return this.reuse;
  }

  /** The database size as bbolt reports it (tx.Size(): high water mark x page size). */
  get size(): number {
    return this.meta.pgid * this.meta.pageSize;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.blocks.clear();
    if (this.ring) {
      for (const index of this.held) this.releaseSlot(index);
      this.held.clear();
      Atomics.store(this.ring.ctrl, this.ring.slots * 2 + RING_DONE, 1);
    }
  }

  /** The root bucket: its entries are the top-level buckets. */
  root(): BoltBucket {
    return new BoltBucket(this, Buffer.alloc(0), this.meta.root, 0n, undefined);
  }

  /** A bucket by its path of names (top-level, then nested), or undefined when there is none. */
  bucket(...names: Array<string | Buffer>): BoltBucket | undefined {
    let b: BoltBucket | undefined = this.root();
    for (const n of names) {
      b = b.bucket(n);
      if (!b) return undefined;
    }
    return b;
  }

  /** Each top-level bucket, in byte order of the names. Return false from fn to stop. */
  forEachBucket(fn: (name: Buffer, bucket: BoltBucket) => void | boolean): void {
    this.root().forEachBucket(fn);
  }

  /** Each entry of a top-level bucket in key order (ForEach in bbolt). Throws when there is no such bucket. */
  forEachKey(bucket: string | Buffer, fn: BoltEntryFn): void {
    const b = this.bucket(bucket);
    if (!b) throw new BoltError(`bucket "${String(bucket)}" not found`, this.path);
    b.forEach(fn);
  }

  /**
   * Page consistency, as bbolt's tx.Check(): no page freed twice, every page reached by a bucket
   * reached once, not freed, inside the high water mark and a branch or leaf page; keys in order
   * within pages and between a branch and its children; every page either reached or free. Also:
   * pages past the end of the file (a truncated file) and malformed elements.
   * With a visitor, top-level buckets and their entries are handed out during the same pass.
   */
  check(visitor: BoltVisitor = {}): BoltCheckReport {
    const hwm = this.meta.pgid;
    const st: CheckState = {
      reachable: new Uint8Array(hwm + 2),
      freed: new Uint8Array(hwm + 2),
      errors: [],
      errorCount: 0,
      branch: 0,
      leaf: 0,
      overflow: 0,
      buckets: 0,
      inlineBuckets: 0,
    };
    const warnings: string[] = [];
    if (this.meta.otherMetaProblem) warnings.push(this.meta.otherMetaProblem);
    const report = (msg: string) => addError(st, msg);

    if (this.size > this.fileSize) {
      report(`file is truncated: the meta page says ${hwm} pages of ${this.pageSize} bytes (${this.size} bytes) but the file has ${this.fileSize} bytes`);
    }

    // The freelist: every id once.
    let freeCount = 0;
    let freelistPages = 0;
    const freelistStored = this.meta.freelist !== null;
    if (this.meta.freelist !== null) {
      try {
        const fl = this.meta.freelist;
        const p = this.page(fl);
        const flags = p.readUInt16LE(8);
        if (flags !== PAGE_FREELIST) report(`page ${fl}: the meta page names it the freelist, but it is a ${pageType(flags)} page`);
        else {
          for (const id of this.freelistIds(p, fl)) {
            if (id >= hwm) report(`page ${id}: freed but beyond the high water mark ${hwm}`);
            else if (st.freed[id]) report(`page ${id}: already freed`);
            st.freed[id] = 1;
            freeCount++;
          }
        }
        freelistPages = 1 + p.readUInt32LE(12);
        for (let i = 0; i < freelistPages; i++) if (fl + i < st.reachable.length) st.reachable[fl + i] = 1;
      } catch (e) {
        report(errorText(e));
      }
    }
    st.reachable[0] = 1;
    st.reachable[1] = 1;

    // Every bucket, depth first, in key order.
    this.checkBucket(this.meta.root, undefined, st, [], visitor, 0);

    // Every page below the high water mark is either reachable or free.
    if (!freelistStored) {
      for (let i = 2; i < hwm; i++) {
        if (!st.reachable[i]) {
          st.freed[i] = 1;
          freeCount++;
        }
      }
    } else {
      for (let i = 0; i < hwm; i++) if (!st.reachable[i] && !st.freed[i]) report(`page ${i}: unreachable unfreed`);
    }

    return {
      ok: st.errorCount === 0,
      errors: st.errors,
      errorCount: st.errorCount,
      warnings,
      pages: {
        pageSize: this.pageSize,
        total: hwm,
        meta: 2,
        freelist: freelistPages,
        branch: st.branch,
        leaf: st.leaf,
        overflow: st.overflow,
        free: freeCount,
        freelistStored,
      },
      buckets: st.buckets,
      inlineBuckets: st.inlineBuckets,
    };
  }

  // ---- pages -------------------------------------------------------------------------------

  /**
   * The bytes of page `id` with its overflow pages. Throws BoltError when it lies past the end of
   * the file. The header is not validated here (see checkedPage).
   */
  page(id: number): Buffer {
    const ps = this.meta.pageSize;
    const offset = id * ps;
    if (offset + ps > this.fileSize) {
      throw new BoltError(`page ${id}: beyond the end of the file (offset ${offset}, the file has ${this.fileSize} bytes): the file is truncated`, this.path);
    }
    const blockIndex = Math.floor(offset / this.blockBytes);
    const block = this.block(blockIndex);
    const inBlock = offset - blockIndex * this.blockBytes;
    const overflow = block.readUInt32LE(inBlock + 12);
    const length = (overflow + 1) * ps;
    if (offset + length > this.fileSize) {
      throw new BoltError(`page ${id}: its ${overflow} overflow pages run past the end of the file (${this.fileSize} bytes): the file is truncated`, this.path);
    }
    if (inBlock + length <= block.length) return block.subarray(inBlock, inBlock + length);
    // A page with overflow that crosses a block boundary: read it on its own (when recycling, into
    // one scratch buffer: a page is done with before the next page is read).
    let buf: Buffer;
    if (this.reuse) {
      if (!this.scratch || this.scratch.length < length) this.scratch = Buffer.allocUnsafe(Math.max(length, this.blockBytes));
      buf = this.scratch.subarray(0, length);
    } else buf = Buffer.allocUnsafe(length);
    this.readFully(buf, offset);
    return buf;
  }

  private block(index: number): Buffer {
    const hit = this.blocks.get(index);
    if (hit) {
      // Most recently used last (Map keeps insertion order).
      this.blocks.delete(index);
      this.blocks.set(index, hit);
      return hit;
    }
    const start = index * this.blockBytes;
    const length = Math.min(this.blockBytes, this.fileSize - start);
    let recycled: Buffer | undefined;
    if (this.blocks.size >= this.maxBlocks) {
      // Evict the least recently used block; the one being read from now is the most recent,
      // so a callback's key and value survive the reads that follow it for a while.
      const oldest = this.blocks.keys().next().value;
      if (oldest !== undefined) {
        recycled = this.blocks.get(oldest);
        this.blocks.delete(oldest);
        if (this.held.delete(oldest)) {
          this.releaseSlot(oldest);
          recycled = undefined;
        }
      }
    }
    let buf = this.ring && index < this.ring.fullBlocks && this.ringTimeouts < RING_MAX_TIMEOUTS ? this.ringBlock(index) : undefined;
    if (buf) this.held.add(index);
    else {
      buf = this.reuse && recycled && recycled.length >= length ? recycled.subarray(0, length) : Buffer.allocUnsafe(length);
      this.readFully(buf, start);
    }
    this.blocks.set(index, buf);
    return buf;
  }

  /**
   * Block `index` from the ring: taken when the reader thread has it, or read into its slot when
   * the slot is free; undefined when neither (too far from the thread's position): read privately.
   */
  private ringBlock(index: number): Buffer | undefined {
    const r = this.ring!;
    const s = index % r.slots;
    const bi = 2 * s;
    const si = 2 * s + 1;
    const view = r.mem.subarray(s * r.blockBytes, (s + 1) * r.blockBytes);
    // Where the walk is, for the thread: READY blocks well behind it are not wanted (the walk read
    // them itself, or no bucket reaches them) and their slots may be refilled. Jumps far from the
    // thread (the root page at the end of the file) say nothing about that.
    const pos = Atomics.load(r.ctrl, r.slots * 2 + RING_NEXT);
    if (index >= pos - r.slots && index < pos + r.slots + RING_AHEAD) Atomics.store(r.ctrl, r.slots * 2 + RING_MAINPOS, index);
    let waits = 0;
    for (let spins = 0; spins < 1000; spins++) {
      const st = Atomics.load(r.ctrl, si);
      const b = Atomics.load(r.ctrl, bi);
      const next = Atomics.load(r.ctrl, r.slots * 2 + RING_NEXT);
      if (b === index) {
        if (st === SLOT_READY || st === SLOT_RELEASED) {
          if (Atomics.compareExchange(r.ctrl, si, st, SLOT_HELD) !== st) continue;
          Atomics.store(r.ctrl, r.slots * 2 + RING_MAINPOS, index);
          return view;
        }
        if (st === SLOT_WRITING) {
          if (waits++ >= RING_MAX_WAITS || !this.ringWait(si, st)) return undefined;
          continue;
        }
        return undefined;
      }
      // Claim the slot while the thread has not reached this block yet and has finished with
      // the block before it in the slot.
      if (r.walkReads && index >= next && index < next + r.slots && slotFree(r.ctrl, s, r.slots, false)) {
        if (Atomics.compareExchange(r.ctrl, si, st, SLOT_WRITING) !== st) continue;
        Atomics.store(r.ctrl, bi, index);
        try {
          this.readFully(view, index * r.blockBytes);
        } catch (e) {
          Atomics.store(r.ctrl, bi, -1);
          Atomics.store(r.ctrl, si, SLOT_EMPTY);
          throw e;
        }
        Atomics.store(r.ctrl, si, SLOT_HELD);
        Atomics.notify(r.ctrl, si);
        Atomics.store(r.ctrl, r.slots * 2 + RING_MAINPOS, index);
        return view;
      }
      // A little ahead of the thread (its slots are all in use): wait for it rather than read the
      // block twice. Far ahead (the walk jumps, e.g. to the root page at the end): read it here.
      // (Not when this reader holds a block whose slot the thread must refill on the way.)
      if (index >= next && index < next + r.slots + RING_AHEAD && !this.holdsUpThread(next, index) && waits++ < RING_MAX_WAITS) {
        if (!this.ringWait(si, st)) return undefined;
        continue;
      }
      return undefined;
    }
    return undefined;
  }

  /** Whether a block this reader holds sits in a slot the thread must refill to reach `index`. */
  private holdsUpThread(next: number, index: number): boolean {
    const slots = this.ring!.slots;
    for (const h of this.held) if (h + slots >= next && h + slots <= index) return true;
    return false;
  }

  /** Wait for a slot to change; false once the thread has kept the walk waiting too often (it may be gone): read alone from then on. */
  private ringWait(si: number, st: number): boolean {
    if (this.ringTimeouts >= RING_MAX_TIMEOUTS) return false;
    if (Atomics.wait(this.ring!.ctrl, si, st, 10) === 'timed-out') this.ringTimeouts++;
    return true;
  }

  private releaseSlot(index: number): void {
    const r = this.ring!;
    const si = 2 * (index % r.slots) + 1;
    Atomics.store(r.ctrl, si, SLOT_RELEASED);
    Atomics.notify(r.ctrl, si);
  }

  private readFully(buf: Buffer, position: number): void {
    if (this.fd < 0) throw new BoltError('the database is closed', this.path);
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.fd, buf, done, buf.length - done, position + done);
      if (n === 0) throw new BoltError(`unexpected end of file at byte ${position + done}: the file is truncated`, this.path);
      done += n;
    }
  }

  /** A page that must be a branch or leaf page with id `id` (or an inline page). */
  checkedPage(id: number): Buffer {
    const p = this.page(id);
    const headerId = readPgid(p, 0);
    if (headerId !== id) throw new BoltError(`page ${id}: its header says it is page ${headerId}`, this.path);
    const flags = p.readUInt16LE(8);
    if (flags !== PAGE_BRANCH && flags !== PAGE_LEAF) throw new BoltError(`page ${id}: invalid type: ${pageType(flags)}`, this.path);
    return p;
  }

  private freelistIds(p: Buffer, id: number): number[] {
    let count = p.readUInt16LE(10);
    let at = PAGE_HEADER_SIZE;
    if (count === 0xffff) {
      count = readPgid(p, at);
      at += 8;
    }
    if (at + count * 8 > p.length) throw new BoltError(`page ${id}: the freelist says ${count} ids, more than the page holds`, this.path);
    const ids = new Array<number>(count);
    for (let i = 0; i < count; i++) ids[i] = readPgid(p, at + i * 8);
    return ids;
  }

  private readMeta(): BoltMeta {
    const first = Buffer.alloc(Math.min(this.fileSize, 64 * 1024 + 128));
    this.readFullyRaw(first, 0);
    const m0 = parseMeta(first, 0, 0);
    // meta 1 sits one page further; when meta 0 is damaged its page size is unknown, so probe.
    const sizes = m0.meta ? [m0.meta.pageSize] : [4096, 512, 1024, 2048, 8192, 16384, 32768, 65536];
    let m1: ParsedMeta = { problem: 'meta page 1: not found' };
    for (const ps of sizes) {
      if (ps + PAGE_HEADER_SIZE + 64 > first.length) continue;
      m1 = parseMeta(first, ps, 1);
      if (m1.meta) break;
    }
    const valid = [m0.meta, m1.meta].filter((m): m is BoltMeta => !!m);
    if (!valid.length) {
      throw new BoltError(`not a bbolt database: ${m0.problem}; ${m1.problem}`, this.path);
    }
    valid.sort((a, b) => (a.txid > b.txid ? -1 : a.txid < b.txid ? 1 : 0));
    const meta = valid[0];
    const other = meta.page === 0 ? m1 : m0;
    if (!other.meta) meta.otherMetaProblem = other.problem;
    return meta;
  }

  private readFullyRaw(buf: Buffer, position: number): void {
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.fd, buf, done, buf.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
  }

  // ---- trees -------------------------------------------------------------------------------

  /** In-order walk of a bucket's B+tree (root page id, or an inline page). */
  walkTree(root: number, inline: Buffer | undefined, fn: BoltEntryFn): void {
    if (inline) {
      this.walkLeaf(inline, -1, fn);
      return;
    }
    this.walkPage(root, fn, 0);
  }

  private walkPage(id: number, fn: BoltEntryFn, depth: number): void {
    if (depth > 64) throw new BoltError(`page ${id}: the tree is deeper than 64 levels (a cycle?)`, this.path);
    const p = this.checkedPage(id);
    if (p.readUInt16LE(8) === PAGE_LEAF) {
      this.walkLeaf(p, id, fn);
      return;
    }
    const count = p.readUInt16LE(10);
    this.assertElements(p, id, count);
    // Children are read while this page is still needed: keep it out of the recycled cache.
    const branch = this.reuse ? Buffer.from(p) : p;
    for (let i = 0; i < count; i++) this.walkPage(readPgid(branch, PAGE_HEADER_SIZE + i * ELEMENT_SIZE + 8), fn, depth + 1);
  }

  private walkLeaf(p: Buffer, id: number, fn: BoltEntryFn): void {
    const count = p.readUInt16LE(10);
    this.assertElements(p, id, count);
    for (let i = 0; i < count; i++) {
      const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
      const flags = p.readUInt32LE(e);
      const k = e + p.readUInt32LE(e + 4);
      const ksize = p.readUInt32LE(e + 8);
      const vsize = p.readUInt32LE(e + 12);
      if (k + ksize + vsize > p.length) throw new BoltError(`${pageName(id)}: element ${i} runs past the end of the page`, this.path);
      const isBucket = (flags & BUCKET_LEAF_FLAG) !== 0;
      fn(p.subarray(k, k + ksize), p.subarray(k + ksize, k + ksize + vsize), isBucket);
    }
  }

  private assertElements(p: Buffer, id: number, count: number): void {
    if (PAGE_HEADER_SIZE + count * ELEMENT_SIZE > p.length) throw new BoltError(`${pageName(id)}: ${count} elements do not fit in the page`, this.path);
  }

  /** B+tree search for one key; undefined when absent. */
  findInTree(root: number, inline: Buffer | undefined, key: Buffer): { value: Buffer; isBucket: boolean } | undefined {
    let p = inline ?? this.checkedPage(root);
    let id = inline ? -1 : root;
    for (let depth = 0; depth < 64; depth++) {
      const count = p.readUInt16LE(10);
      this.assertElements(p, id, count);
      if (p.readUInt16LE(8) === PAGE_LEAF || inline) {
        for (let i = 0; i < count; i++) {
          const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
          const k = e + p.readUInt32LE(e + 4);
          const ksize = p.readUInt32LE(e + 8);
          const c = Buffer.compare(p.subarray(k, k + ksize), key);
          if (c === 0) {
            const vsize = p.readUInt32LE(e + 12);
            return { value: p.subarray(k + ksize, k + ksize + vsize), isBucket: (p.readUInt32LE(e) & BUCKET_LEAF_FLAG) !== 0 };
          }
          if (c > 0) return undefined;
        }
        return undefined;
      }
      // Branch: the last element whose key is <= the wanted key (or the first one).
      let child = readPgid(p, PAGE_HEADER_SIZE + 8);
      for (let i = 1; i < count; i++) {
        const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
        const k = e + p.readUInt32LE(e);
        const ksize = p.readUInt32LE(e + 4);
        if (Buffer.compare(p.subarray(k, k + ksize), key) > 0) break;
        child = readPgid(p, e + 8);
      }
      id = child;
      p = this.checkedPage(child);
    }
    throw new BoltError(`page ${root}: the tree is deeper than 64 levels (a cycle?)`, this.path);
  }

  /** The largest key of a tree (rightmost leaf element). */
  lastInTree(root: number, inline: Buffer | undefined): { key: Buffer; value: Buffer; isBucket: boolean } | undefined {
    let p = inline ?? this.checkedPage(root);
    let id = inline ? -1 : root;
    for (let depth = 0; depth < 64; depth++) {
      const count = p.readUInt16LE(10);
      this.assertElements(p, id, count);
      if (count === 0) return undefined;
      const e = PAGE_HEADER_SIZE + (count - 1) * ELEMENT_SIZE;
      if (inline || p.readUInt16LE(8) === PAGE_LEAF) {
        const k = e + p.readUInt32LE(e + 4);
        const ksize = p.readUInt32LE(e + 8);
        const vsize = p.readUInt32LE(e + 12);
        if (k + ksize + vsize > p.length) throw new BoltError(`${pageName(id)}: element ${count - 1} runs past the end of the page`, this.path);
        return { key: p.subarray(k, k + ksize), value: p.subarray(k + ksize, k + ksize + vsize), isBucket: (p.readUInt32LE(e) & BUCKET_LEAF_FLAG) !== 0 };
      }
      id = readPgid(p, e + 8);
      p = this.checkedPage(id);
    }
    throw new BoltError(`page ${root}: the tree is deeper than 64 levels (a cycle?)`, this.path);
  }

  // ---- check -------------------------------------------------------------------------------

  private checkBucket(root: number, inline: Buffer | undefined, st: CheckState, stack: Buffer[], visitor: BoltVisitor, depth: number): void {
    st.buckets++;
    const subBuckets: Array<[Buffer, Buffer]> = [];
    const top = depth === 1 ? stack[0] : undefined;
    const onEntry: BoltEntryFn = (k, v, isBucket) => {
      if (depth === 0 && !isBucket) addError(st, `key ${hex(k)} at the top level is not a bucket`);
      if (isBucket) subBuckets.push(this.reuse ? [Buffer.from(k), Buffer.from(v)] : [k, v]);
      if (top && visitor.entry) visitor.entry(top, k, isBucket ? EMPTY : v, isBucket);
    };
    if (inline) {
      // bbolt ignores inline buckets in its check: they have no pages of their own.
      st.inlineBuckets++;
      try {
        this.walkLeaf(inline, -1, onEntry);
      } catch (e) {
        addError(st, `bucket ${bucketPath(stack)}: ${errorText(e)}`);
      }
    } else {
      this.checkPage(root, undefined, undefined, st, [], onEntry, bucketPath(stack), visitor);
    }
    for (const [name, value] of subBuckets) {
      if (value.length < BUCKET_HEADER_SIZE) {
        addError(st, `bucket ${bucketPath([...stack, name])}: its header is ${value.length} bytes, not ${BUCKET_HEADER_SIZE}`);
        continue;
      }
      if (depth === 0 && visitor.bucket) visitor.bucket(name);
      const childRoot = readPgid(value, 0);
      const childInline = childRoot === 0 ? value.subarray(BUCKET_HEADER_SIZE) : undefined;
      if (childInline && childInline.length < PAGE_HEADER_SIZE) {
        addError(st, `bucket ${bucketPath([...stack, name])}: inline bucket too short`);
        continue;
      }
      this.checkBucket(childRoot, childInline, st, [...stack, name], visitor, depth + 1);
    }
  }

  /**
   * Check one page and its subtree, handing out leaf entries in order. Returns the largest key
   * seen (for the next sibling's order check), as bbolt's recursivelyCheckPagesInternal.
   */
  private checkPage(id: number, minKey: Buffer | undefined, maxKeyOpen: Buffer | undefined, st: CheckState, pages: number[], fn: BoltEntryFn, bucket: string, visitor: BoltVisitor): Buffer | undefined {
    const stack = [...pages, id];
    const where = () => `(bucket ${bucket}, pages ${stack.join(' > ')})`;
    if (id >= this.meta.pgid) {
      addError(st, `page ${id}: out of bounds: ${this.meta.pgid} ${where()}`);
      return undefined;
    }
    if (pages.includes(id) || pages.length > 64) {
      addError(st, `page ${id}: cycle in the tree ${where()}`);
      return undefined;
    }
    let p: Buffer;
    try {
      p = this.page(id);
      // A branch page is needed while its children are read: keep it out of the recycled cache.
      if (this.reuse && p.readUInt16LE(8) === PAGE_BRANCH) p = Buffer.from(p);
    } catch (e) {
      addError(st, `${errorText(e)} ${where()}`);
      return undefined;
    }
    const overflow = p.readUInt32LE(12);
    for (let i = 0; i <= overflow; i++) {
      const pid = id + i;
      if (st.reachable[pid]) addError(st, `page ${pid}: multiple references ${where()}`);
      if (pid < st.reachable.length) st.reachable[pid] = 1;
    }
    st.overflow += overflow;
    if (st.freed[id]) addError(st, `page ${id}: reachable freed`);
    const headerId = readPgid(p, 0);
    if (headerId !== id) {
      addError(st, `page ${id}: its header says it is page ${headerId} ${where()}`);
      return undefined;
    }
    const flags = p.readUInt16LE(8);
    const count = p.readUInt16LE(10);
    if (PAGE_HEADER_SIZE + count * ELEMENT_SIZE > p.length) {
      addError(st, `page ${id}: ${count} elements do not fit in the page ${where()}`);
      return undefined;
    }
    if (flags === PAGE_BRANCH) {
      st.branch++;
      visitor.page?.(overflow + 1);
      let runningMin = minKey;
      let maxInSubtree: Buffer | undefined;
      for (let i = 0; i < count; i++) {
        const key = branchKey(p, i);
        if (!key) {
          addError(st, `page ${id}: element ${i} runs past the end of the page ${where()}`);
          return maxInSubtree;
        }
        if (i === 0 && runningMin && Buffer.compare(runningMin, key) > 0) {
          addError(st, `key (${i}, ${hex(key)}) on the branch page ${id} needs to be >= the index in the ancestor ${where()}`);
        }
        if (maxKeyOpen && Buffer.compare(key, maxKeyOpen) >= 0) {
          addError(st, `key (${i}, ${hex(key)}) on the branch page ${id} needs to be < the key of the next element reachable from the ancestor (${hex(maxKeyOpen)}) ${where()}`);
        }
        const next = i < count - 1 ? branchKey(p, i + 1) : maxKeyOpen;
        maxInSubtree = this.checkPage(readPgid(p, PAGE_HEADER_SIZE + i * ELEMENT_SIZE + 8), key, next, st, stack, fn, bucket, visitor);
        runningMin = maxInSubtree;
      }
      return maxInSubtree;
    }
    if (flags === PAGE_LEAF) {
      st.leaf++;
      let runningMin = minKey;
      let last: Buffer | undefined;
      for (let i = 0; i < count; i++) {
        const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
        const eflags = p.readUInt32LE(e);
        const k = e + p.readUInt32LE(e + 4);
        const ksize = p.readUInt32LE(e + 8);
        const vsize = p.readUInt32LE(e + 12);
        if (k + ksize + vsize > p.length) {
          addError(st, `page ${id}: element ${i} runs past the end of the page ${where()}`);
          return last;
        }
        const key = p.subarray(k, k + ksize);
        if (runningMin) {
          const c = Buffer.compare(runningMin, key);
          if (i === 0 && c > 0) addError(st, `key[${i}]=(hex)${hex(key)} on leaf page ${id} needs to be >= the key in the ancestor ${where()}`);
          if (i > 0 && c > 0) addError(st, `key[${i}]=(hex)${hex(key)} on leaf page ${id} needs to be > (found <) than the previous element (hex)${hex(runningMin)} ${where()}`);
          if (i > 0 && c === 0) addError(st, `key[${i}]=(hex)${hex(key)} on leaf page ${id} needs to be > (found =) than the previous element (hex)${hex(runningMin)} ${where()}`);
        }
        if (maxKeyOpen && Buffer.compare(key, maxKeyOpen) >= 0) {
          addError(st, `key[${i}]=(hex)${hex(key)} on leaf page ${id} needs to be < the key of the next element in the ancestor (hex)${hex(maxKeyOpen)} ${where()}`);
        }
        runningMin = key;
        last = key;
        fn(key, p.subarray(k + ksize, k + ksize + vsize), (eflags & BUCKET_LEAF_FLAG) !== 0);
      }
      // After the entries: a visitor may finish with this page's bytes here.
      visitor.page?.(overflow + 1);
      // The parent compares the next subtree against this key, after more reads.
      return last && this.reuse ? Buffer.from(last) : last;
    }
    addError(st, `page ${id}: invalid type: ${pageType(flags)} ${where()}`);
    return undefined;
  }
}

/** One bucket: a B+tree of keys, some of which may be nested buckets. */
export class BoltBucket {
  constructor(
    private readonly db: BoltDB,
    readonly name: Buffer,
    /** Root page id; 0 for an inline bucket (stored inside its parent's leaf). */
    readonly root: number,
    /** The bucket's sequence (NextSequence in bbolt). */
    readonly sequence: bigint,
    private readonly inline: Buffer | undefined,
  ) {}

  get isInline(): boolean {
    return this.inline !== undefined;
  }

  /** Each entry in key order; nested buckets come with an empty value and isBucket = true (as bbolt's ForEach, which gives nil). */
  forEach(fn: BoltEntryFn): void {
    this.db.walkTree(this.root, this.inline, (k, v, isBucket) => fn(k, isBucket ? EMPTY : v, isBucket));
  }

  /** Each nested bucket in key order. Return false from fn to stop. */
  forEachBucket(fn: (name: Buffer, bucket: BoltBucket) => void | boolean): void {
    const found: BoltBucket[] = [];
    this.db.walkTree(this.root, this.inline, (k, v, isBucket) => {
      if (isBucket) found.push(this.child(k, v));
    });
    for (const b of found) if (fn(b.name, b) === false) return;
  }

  /** The value of a key, or undefined when absent (or when the key is a nested bucket). */
  get(key: string | Buffer): Buffer | undefined {
    const hit = this.db.findInTree(this.root, this.inline, toBuffer(key));
    return hit && !hit.isBucket ? hit.value : undefined;
  }

  /** The last entry (largest key) by descending the rightmost branch: a few page reads. */
  last(): { key: Buffer; value: Buffer; isBucket: boolean } | undefined {
    return this.db.lastInTree(this.root, this.inline);
  }

  /** A nested bucket, or undefined. */
  bucket(name: string | Buffer): BoltBucket | undefined {
    const n = toBuffer(name);
    const hit = this.db.findInTree(this.root, this.inline, n);
    return hit && hit.isBucket ? this.child(n, hit.value) : undefined;
  }

  private child(name: Buffer, header: Buffer): BoltBucket {
    if (header.length < BUCKET_HEADER_SIZE) throw new BoltError(`bucket "${name.toString()}": its header is ${header.length} bytes, not ${BUCKET_HEADER_SIZE}`, this.db.path);
    if (this.db.reusesBuffers) {
      // An inline bucket lives in its parent's page: keep a copy that recycling cannot touch.
      name = Buffer.from(name);
      header = Buffer.from(header);
    }
    const root = readPgid(header, 0);
    const sequence = header.readBigUInt64LE(8);
    return new BoltBucket(this.db, name, root, sequence, root === 0 ? header.subarray(BUCKET_HEADER_SIZE) : undefined);
  }
}

// ---- block ring (reads shared with a reader thread) ------------------------------------------

/**
 * Shared memory for `ring`: `slots` blocks of `blockBytes`, and per slot [block index, state],
 * then the thread's next block, a done flag, and the walk's position. Block i lives in slot
 * i % slots. A slot is refilled only once the walk released it (or clearly passed it) and the
 * thread has finished with its block, so a block is never changed while either side uses it.
 */
export interface BlockRing {
  data: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
  slots: number;
  blockBytes: number;
  /** Whether the walk reads blocks the thread has not reached into their slots (else it waits for the thread). */
  walkReads: boolean;
}

interface RingView extends Omit<BlockRing, "ctrl"> {
  ctrl: Int32Array;
  mem: Buffer;
  fullBlocks: number;
}

const SLOT_EMPTY = 0;
const SLOT_WRITING = 1;
/** Filled by the thread, not yet taken by the walk. */
const SLOT_READY = 2;
const SLOT_HELD = 3;
const SLOT_RELEASED = 4;
const RING_NEXT = 0;
const RING_DONE = 1;
const RING_MAINPOS = 2;
/** A READY block this far behind the walk is taken as not wanted (the walk reads it itself if it is). */
const RING_STALE = 8;
/** Blocks the walk holds at once when reading through a ring (its cache). */
const RING_HELD_BLOCKS = 8;
/** How far past the thread's slots the walk waits for the thread instead of reading itself. */
const RING_AHEAD = 8;
const RING_MAX_WAITS = 50;
const RING_MAX_TIMEOUTS = 20;

export function createBlockRing(slots = 24, blockBytes = 1 << 20, walkReads = true): BlockRing {
  const ring: BlockRing = { data: new SharedArrayBuffer(slots * blockBytes), ctrl: new SharedArrayBuffer((slots * 2 + 4) * 4), slots, blockBytes, walkReads };
  const ctrl = new Int32Array(ring.ctrl);
  for (let s = 0; s < slots; s++) ctrl[2 * s] = -1;
  return ring;
}

function slotFree(ctrl: Int32Array, s: number, slots: number, done: boolean): boolean {
  const st = Atomics.load(ctrl, 2 * s + 1);
  if (st === SLOT_EMPTY || st === SLOT_RELEASED) return true;
  return st === SLOT_READY && (done || Atomics.load(ctrl, 2 * s) + RING_STALE < Atomics.load(ctrl, slots * 2 + RING_MAINPOS));
}

/**
 * The reader thread (CommonJS, for `new Worker(src, { eval: true, workerData })`), workerData
 * { file, ring, hashLength }: goes through the blocks in file order, reading each into its slot
 * unless the walk already did, and feeds the first hashLength bytes to sha256 (posted as hex).
 * With hashLength 0 it only reads ahead, and stops when the walk is done.
 */
export const BLOCK_RING_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { file, ring, hashLength } = workerData;
const N = ring.slots, B = ring.blockBytes;
const ctrl = new Int32Array(ring.ctrl);
const mem = new Uint8Array(ring.data);
const NEXT = 2 * N + ${RING_NEXT}, DONE = 2 * N + ${RING_DONE}, MAINPOS = 2 * N + ${RING_MAINPOS};
const h = hashLength > 0 ? require('node:crypto').createHash('sha256') : null;
const fd = fs.openSync(file, 'r');
const fullBlocks = Math.floor(fs.fstatSync(fd).size / B);
let own;
function readInto(buf, pos) {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, buf.length - done, pos + done);
    if (n === 0) throw new Error('unexpected end of file at byte ' + (pos + done));
    done += n;
  }
}
function hash(u8, start) {
  if (!h) return;
  const end = Math.min(start + u8.length, hashLength);
  if (end > start) h.update(u8.subarray(0, end - start));
}
function free(s, st, done) {
  if (st === ${SLOT_EMPTY} || st === ${SLOT_RELEASED}) return true;
  return st === ${SLOT_READY} && (done || Atomics.load(ctrl, 2 * s) + ${RING_STALE} < Atomics.load(ctrl, MAINPOS));
}
const last = h ? Math.ceil(hashLength / B) : fullBlocks;
for (let i = 0; i < last; i++) {
  if (!h && Atomics.load(ctrl, DONE) === 1) break;
  const start = i * B;
  if (i >= fullBlocks) {
    own = own || Buffer.allocUnsafe(B);
    const b = own.subarray(0, Math.min(B, hashLength - start));
    readInto(b, start);
    hash(b, start);
    Atomics.store(ctrl, NEXT, i + 1);
    continue;
  }
  const s = i % N, bi = 2 * s, si = 2 * s + 1;
  const view = mem.subarray(s * B, (s + 1) * B);
  for (;;) {
    const st = Atomics.load(ctrl, si), b = Atomics.load(ctrl, bi);
    if (b === i) {
      if (st === ${SLOT_WRITING}) { Atomics.wait(ctrl, si, st, 5); continue; }
      hash(view, start);
      break;
    }
    const done = Atomics.load(ctrl, DONE) === 1;
    if (free(s, st, done)) {
      if (Atomics.compareExchange(ctrl, si, st, ${SLOT_WRITING}) !== st) continue;
      Atomics.store(ctrl, bi, i);
      readInto(view, start);
      Atomics.store(ctrl, si, ${SLOT_READY});
      Atomics.notify(ctrl, si);
      hash(view, start);
      break;
    }
    if (done) {
      own = own || Buffer.allocUnsafe(B);
      readInto(own, start);
      hash(own, start);
      break;
    }
    if (!h && Atomics.load(ctrl, DONE) === 1) break;
    Atomics.wait(ctrl, si, st, 2);
  }
  Atomics.store(ctrl, NEXT, i + 1);
  Atomics.notify(ctrl, NEXT);
}
fs.closeSync(fd);
parentPort.postMessage(h ? h.digest('hex') : '');
`;

// ---- helpers -------------------------------------------------------------------------------

const EMPTY = Buffer.alloc(0);

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

function readPgid(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * 0x100000000;
}

function branchKey(p: Buffer, i: number): Buffer | undefined {
  const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
  const k = e + p.readUInt32LE(e);
  const ksize = p.readUInt32LE(e + 4);
  if (k + ksize > p.length) return undefined;
  return p.subarray(k, k + ksize);
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

function pageName(id: number): string {
  return id < 0 ? 'inline bucket page' : `page ${id}`;
}

function bucketPath(stack: Buffer[]): string {
  return stack.length ? stack.map((b) => JSON.stringify(b.toString('latin1'))).join('/') : '(root)';
}

function hex(b: Buffer): string {
  return b.length > 64 ? b.subarray(0, 64).toString('hex') + '...' : b.toString('hex');
}

function toBuffer(v: string | Buffer): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v;
}

function addError(st: CheckState, msg: string): void {
  st.errorCount++;
  if (st.errors.length < MAX_REPORTED_ERRORS) st.errors.push(msg);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
