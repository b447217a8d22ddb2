// A streaming reader of bbolt files (the database etcd keeps in member/snap/db and sends as a
// snapshot). It reads pages on demand through a small block cache, so a multi-gigabyte file is
// walked without ever being loaded whole. The format is in page.ts; the consistency check
// (bbolt's tx.Check) in check.ts; the read window of a one-pass walk in window.ts.
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
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { checkBolt, type BoltCheckReport, type BoltVisitor } from './check.js';
import {
  BUCKET_HEADER_SIZE,
  BoltError,
  META_PROBE_BYTES,
  PAGE_BRANCH,
  PAGE_LEAF,
  branchChild,
  branchKey,
  bucketHeader,
  elementsFit,
  forEachLeafElement,
  leafElement,
  leafElementFits,
  metaInForce,
  pageCount,
  pageFlags,
  pageId,
  pageName,
  pageOverflow,
  pageOverflowAt,
  pageType,
  type BoltEntryFn,
  type BoltMeta,
  type LeafElement,
} from './page.js';
import { NO_WINDOW, inWindow, servePage, windowAt, type WindowSpan } from './window.js';

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
   * One pass over the whole file (see window.ts): pages are read through one buffer of this many
   * bytes (rounded to whole pages) that starts at the page asked for, instead of the block
   * cache. Implies reuseBuffers, and more: a page is valid only until the next page is read.
   */
  window?: number;
}

/** Trees deeper than this are taken as a cycle. */
const MAX_DEPTH = 64;
const EMPTY = Buffer.alloc(0);

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
  /** The one-pass window (window option) and what it holds. */
  private readonly win: Buffer | undefined;
  private span: WindowSpan = NO_WINDOW;
  private scratch: Buffer | undefined;

  constructor(path: string, options: BoltOpenOptions = {}) {
    this.path = path;
    this.fd = openSync(path, 'r');
    try {
      this.fileSize = fstatSync(this.fd).size;
      const first = Buffer.alloc(Math.min(this.fileSize, META_PROBE_BYTES));
      this.readAtMost(first, 0);
      this.meta = metaInForce(first, path);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
    const ps = this.meta.pageSize;
    this.blockBytes = Math.max(ps, Math.floor((options.blockBytes ?? 1 << 20) / ps) * ps);
    this.maxBlocks = Math.max(4, Math.floor((options.cacheBytes ?? 32 << 20) / this.blockBytes));
    if (options.window !== undefined) this.win = Buffer.allocUnsafe(Math.max(ps, Math.floor(options.window / ps) * ps));
    this.reuse = !!options.reuseBuffers || !!this.win;
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
    this.span = NO_WINDOW;
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

  /** Page consistency, as bbolt's tx.Check() (see check.ts); a visitor sees the top-level buckets and their entries during the same pass. */
  check(visitor: BoltVisitor = {}): BoltCheckReport {
    return checkBolt(this, visitor);
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
    if (this.win) return this.windowPage(this.win, id);
    const blockIndex = Math.floor(offset / this.blockBytes);
    const block = this.block(blockIndex);
    const inBlock = offset - blockIndex * this.blockBytes;
    const overflow = pageOverflow(block.subarray(inBlock));
    const length = (overflow + 1) * ps;
    if (offset + length > this.fileSize) throw this.pastTheEnd(id, overflow);
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

  private pastTheEnd(id: number, overflow: number): BoltError {
    return new BoltError(`page ${id}: its ${overflow} overflow pages run past the end of the file (${this.fileSize} bytes): the file is truncated`, this.path);
  }

  /** Page `id` (its first page inside the file) read through the one-pass window. */
  private windowPage(win: Buffer, id: number): Buffer {
    const ps = this.meta.pageSize;
    const offset = id * ps;
    if (!inWindow(this.span, offset, ps)) {
      const span = windowAt(offset, this.fileSize, win.length);
      this.span = NO_WINDOW;
      this.readFully(win.subarray(0, span.length), span.start);
      this.span = span;
    }
    const overflow = pageOverflowAt(win, offset - this.span.start);
    const length = (overflow + 1) * ps;
    if (offset + length > this.fileSize) throw this.pastTheEnd(id, overflow);
    const serve = servePage(this.span, offset, length);
    if (serve.kind === 'window') return win.subarray(serve.at, serve.at + length);
    // A large page (a large value): its head is in the window, the rest is read after it.
    if (!this.scratch || this.scratch.length < length) this.scratch = Buffer.allocUnsafe(Math.max(length, win.length * 2));
    const buf = this.scratch.subarray(0, length);
    win.copy(buf, 0, serve.at, serve.at + serve.head);
    this.readFully(buf.subarray(serve.head), offset + serve.head);
    return buf;
  }

  /** A page that must be a branch or leaf page with id `id`. */
  checkedPage(id: number): Buffer {
    const p = this.page(id);
    const headerId = pageId(p);
    if (headerId !== id) throw new BoltError(`page ${id}: its header says it is page ${headerId}`, this.path);
    const flags = pageFlags(p);
    if (flags !== PAGE_BRANCH && flags !== PAGE_LEAF) throw new BoltError(`page ${id}: invalid type: ${pageType(flags)}`, this.path);
    return p;
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
      }
    }
    const buf = this.reuse && recycled && recycled.length >= length ? recycled.subarray(0, length) : Buffer.allocUnsafe(length);
    this.readFully(buf, start);
    this.blocks.set(index, buf);
    return buf;
  }

  private readFully(buf: Buffer, position: number): void {
    if (this.fd < 0) throw new BoltError('the database is closed', this.path);
    const got = this.readAtMost(buf, position);
    if (got < buf.length) throw new BoltError(`unexpected end of file at byte ${position + got}: the file is truncated`, this.path);
  }

  /** Read up to buf.length bytes at `position`; how many there were. */
  private readAtMost(buf: Buffer, position: number): number {
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.fd, buf, done, buf.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  // ---- trees -------------------------------------------------------------------------------

  /** In-order walk of a bucket's B+tree (root page id, or an inline page). */
  walkTree(root: number, inline: Buffer | undefined, fn: BoltEntryFn): void {
    if (inline) {
      forEachLeafElement(inline, -1, this.path, fn);
      return;
    }
    this.walkPage(root, fn, 0);
  }

  private walkPage(id: number, fn: BoltEntryFn, depth: number): void {
    if (depth > MAX_DEPTH) throw new BoltError(`page ${id}: the tree is deeper than ${MAX_DEPTH} levels (a cycle?)`, this.path);
    const p = this.checkedPage(id);
    if (pageFlags(p) === PAGE_LEAF) {
      forEachLeafElement(p, id, this.path, fn);
      return;
    }
    const count = this.elementCount(p, id);
    // Children are read while this page is still needed: keep it out of the recycled cache.
    const branch = this.reuse ? Buffer.from(p) : p;
    for (let i = 0; i < count; i++) this.walkPage(branchChild(branch, i), fn, depth + 1);
  }

  /** The page's element count, checked to fit in the page. */
  private elementCount(p: Buffer, id: number): number {
    const count = pageCount(p);
    if (!elementsFit(p, count)) throw new BoltError(`${pageName(id)}: ${count} elements do not fit in the page`, this.path);
    return count;
  }

  /** B+tree search for one key; undefined when absent. */
  findInTree(root: number, inline: Buffer | undefined, key: Buffer): LeafElement | undefined {
    let p = inline ?? this.checkedPage(root);
    let id = inline ? -1 : root;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const count = this.elementCount(p, id);
      if (inline || pageFlags(p) === PAGE_LEAF) {
        for (let i = 0; i < count; i++) {
          const e = leafElement(p, i);
          const c = Buffer.compare(e.key, key);
          if (c === 0) return e;
          if (c > 0) return undefined;
        }
        return undefined;
      }
      // Branch: the last element whose key is <= the wanted key (or the first one).
      let child = branchChild(p, 0);
      for (let i = 1; i < count; i++) {
        if (Buffer.compare(branchKey(p, i), key) > 0) break;
        child = branchChild(p, i);
      }
      id = child;
      p = this.checkedPage(child);
    }
    throw new BoltError(`page ${root}: the tree is deeper than ${MAX_DEPTH} levels (a cycle?)`, this.path);
  }

  /** The largest key of a tree (rightmost leaf element). */
  lastInTree(root: number, inline: Buffer | undefined): LeafElement | undefined {
    let p = inline ?? this.checkedPage(root);
    let id = inline ? -1 : root;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const count = this.elementCount(p, id);
      if (count === 0) return undefined;
      if (inline || pageFlags(p) === PAGE_LEAF) {
        if (!leafElementFits(p, count - 1)) throw new BoltError(`${pageName(id)}: element ${count - 1} runs past the end of the page`, this.path);
        return leafElement(p, count - 1);
      }
      id = branchChild(p, count - 1);
      p = this.checkedPage(id);
    }
    throw new BoltError(`page ${root}: the tree is deeper than ${MAX_DEPTH} levels (a cycle?)`, this.path);
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
  last(): LeafElement | undefined {
    return this.db.lastInTree(this.root, this.inline);
  }

  /** A nested bucket, or undefined. */
  bucket(name: string | Buffer): BoltBucket | undefined {
    const n = toBuffer(name);
    const hit = this.db.findInTree(this.root, this.inline, n);
    return hit && hit.isBucket ? this.child(n, hit.value) : undefined;
  }

  private child(name: Buffer, value: Buffer): BoltBucket {
    if (this.db.reusesBuffers) {
      // An inline bucket lives in its parent's page: keep a copy that recycling cannot touch.
      name = Buffer.from(name);
      value = Buffer.from(value);
    }
    const header = bucketHeader(value);
    if (!header) throw new BoltError(`bucket "${name.toString()}": its header is ${value.length} bytes, not ${BUCKET_HEADER_SIZE}`, this.db.path);
    return new BoltBucket(this.db, name, header.root, header.sequence, header.inline);
  }
}

function toBuffer(v: string | Buffer): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v;
}
