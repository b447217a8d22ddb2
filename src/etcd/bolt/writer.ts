// Writes a fresh bbolt file, bucket by bucket, from keys given in order: what a restore needs to
// rewrite etcd's db (new membership, consistent index, bumped revision) without a bbolt library.
// The result is the file bbolt itself would write after a compaction: pages 0 and 1 meta, page 2
// an empty freelist, then every bucket's leaf pages as they fill, its branch pages above them,
// small buckets inline in their parent's leaf, values larger than a page on overflow pages.
// Format facts are in the header of page.ts (reader.ts reads this writer's output back in tests).
import { closeSync, ftruncateSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { BOLT_MAGIC, BOLT_VERSION, BUCKET_HEADER_SIZE, BUCKET_LEAF_FLAG, ELEMENT_SIZE, PAGE_BRANCH, PAGE_FREELIST, PAGE_HEADER_SIZE, PAGE_LEAF, PAGE_META, fnv1a64 } from './page.js';

/** bbolt's limits (bucket.go): larger keys or values are refused by Put. */
export const MAX_KEY_SIZE = 32768;
export const MAX_VALUE_SIZE = 2 ** 31 - 2;

interface LeafElement {
  key: Buffer;
  value: Buffer;
  flags: number;
}

interface PageRef {
  key: Buffer;
  pgid: number;
}

export class BoltWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoltWriteError';
  }
}

/** Collects the bytes of one bucket's tree. Entries must be added in strictly increasing key order. */
export class BucketBuilder {
  private leaf: LeafElement[] = [];
  private leafSize = PAGE_HEADER_SIZE;
  private readonly leaves: PageRef[] = [];
  /** Still small enough to live inline in the parent (no sub-buckets, at most pageSize/4). */
  private inlineable: boolean;
  private last: Buffer | undefined;
  private finished = false;

  constructor(
    private readonly file: BoltFileWriter,
    private readonly sequence: bigint,
    allowInline: boolean,
  ) {
    this.inlineable = allowInline;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.add(Buffer.from(key), Buffer.from(value), 0);
  }

  /** A nested bucket: `bucketValue` is what `finish()` of its builder returned. */
  putBucket(key: Uint8Array, bucketValue: Buffer): void {
    this.inlineable = false;
    this.add(Buffer.from(key), bucketValue, BUCKET_LEAF_FLAG);
  }

  private add(key: Buffer, value: Buffer, flags: number): void {
    if (this.finished) throw new BoltWriteError('bucket already finished');
    if (key.length === 0) throw new BoltWriteError('key required');
    if (key.length > MAX_KEY_SIZE) throw new BoltWriteError(`key too large (${key.length} bytes)`);
    if (value.length > MAX_VALUE_SIZE) throw new BoltWriteError(`value too large (${value.length} bytes)`);
    if (this.last && Buffer.compare(this.last, key) >= 0) {
      throw new BoltWriteError(`keys out of order: ${key.toString('hex')} after ${this.last.toString('hex')}`);
    }
    this.last = key;
    const size = ELEMENT_SIZE + key.length + value.length;
    if (this.inlineable && this.leafSize + size > this.file.pageSize / 4) this.inlineable = false;
    // A page takes elements until the next would not fit; a lone element larger than a page gets
    // the overflow pages it needs.
    if (!this.inlineable && this.leaf.length > 0 && this.leafSize + size > this.file.pageSize) this.flushLeaf();
    this.leaf.push({ key, value, flags });
    this.leafSize += size;
  }

  private flushLeaf(): void {
    const page = this.file.newPage(this.leafSize);
    encodeLeaf(page, this.leaf);
    this.leaves.push({ key: this.leaf[0].key, pgid: this.file.writePage(page) });
    this.leaf = [];
    this.leafSize = PAGE_HEADER_SIZE;
  }

  /** Writes what is left and returns the bucket's value for its parent: header, plus the page when inline. */
  finish(): Buffer {
    if (this.finished) throw new BoltWriteError('bucket already finished');
    this.finished = true;
    const header = Buffer.alloc(BUCKET_HEADER_SIZE);
    header.writeBigUInt64LE(this.sequence, 8);
    if (this.inlineable) {
      // Inline page: its header's id stays 0; bbolt reads it in place from the parent's value.
      const page = Buffer.alloc(this.leafSize);
      encodeLeaf(page, this.leaf);
      return Buffer.concat([header, page]);
    }
    if (this.leaf.length > 0 || this.leaves.length === 0) this.flushLeaf();
    let level = this.leaves;
    while (level.length > 1) level = this.writeBranches(level);
    header.writeBigUInt64LE(BigInt(level[0].pgid), 0);
    return header;
  }

  private writeBranches(children: PageRef[]): PageRef[] {
    const out: PageRef[] = [];
    let group: PageRef[] = [];
    let size = PAGE_HEADER_SIZE;
    const flush = () => {
      const page = this.file.newPage(size);
      encodeBranch(page, group);
      out.push({ key: group[0].key, pgid: this.file.writePage(page) });
      group = [];
      size = PAGE_HEADER_SIZE;
    };
    for (const c of children) {
      const s = ELEMENT_SIZE + c.key.length;
      // At least two children per branch page, or the tree would never get shorter.
      if (group.length >= 2 && size + s > this.file.pageSize) flush();
      group.push(c);
      size += s;
    }
    if (group.length) flush();
    return out;
  }
}

function encodeLeaf(page: Buffer, elements: LeafElement[]): void {
  page.writeUInt16LE(PAGE_LEAF, 8);
  page.writeUInt16LE(elements.length, 10);
  let data = PAGE_HEADER_SIZE + elements.length * ELEMENT_SIZE;
  elements.forEach((el, i) => {
    const at = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
    page.writeUInt32LE(el.flags, at);
    page.writeUInt32LE(data - at, at + 4);
    page.writeUInt32LE(el.key.length, at + 8);
    page.writeUInt32LE(el.value.length, at + 12);
    el.key.copy(page, data);
    data += el.key.length;
    el.value.copy(page, data);
    data += el.value.length;
  });
}

function encodeBranch(page: Buffer, children: PageRef[]): void {
  page.writeUInt16LE(PAGE_BRANCH, 8);
  page.writeUInt16LE(children.length, 10);
  let data = PAGE_HEADER_SIZE + children.length * ELEMENT_SIZE;
  children.forEach((c, i) => {
    const at = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
    page.writeUInt32LE(data - at, at);
    page.writeUInt32LE(c.key.length, at + 4);
    writePgid(page, at + 8, c.pgid);
    c.key.copy(page, data);
    data += c.key.length;
  });
}

function writePgid(buf: Buffer, at: number, id: number): void {
  buf.writeUInt32LE(id % 0x100000000, at);
  buf.writeUInt32LE(Math.floor(id / 0x100000000), at + 4);
}

export interface BoltFileWriterOptions {
  pageSize?: number;
  /** Transaction id of the newer meta page (the older one gets txid - 1). */
  txid?: bigint;
  mode?: number;
}

/**
 * A bbolt file being written. Create the root with `root()`, add the top-level buckets to it
 * (each built with `bucket()` and finished before it is added), then `close(root)`.
 */
export class BoltFileWriter {
  readonly pageSize: number;
  private readonly fd: number;
  private nextPgid = 3; // 0 and 1: meta pages, 2: freelist
  private readonly txid: bigint;
  private pending: Buffer[] = [];
  private pendingStart = 3;
  private pendingBytes = 0;
  private closed = false;

  constructor(
    readonly path: string,
    options: BoltFileWriterOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 4096;
    if (this.pageSize < 1024 || (this.pageSize & (this.pageSize - 1)) !== 0) throw new BoltWriteError(`invalid page size ${this.pageSize}`);
    this.txid = options.txid && options.txid > 1n ? options.txid : 2n;
    this.fd = openSync(path, 'wx', options.mode ?? 0o600);
  }

  /** The root bucket: its entries are the top-level buckets. */
  root(): BucketBuilder {
    return new BucketBuilder(this, 0n, false);
  }

  bucket(sequence = 0n): BucketBuilder {
    return new BucketBuilder(this, sequence, true);
  }

  /** A zeroed buffer spanning as many pages as `size` bytes need. */
  newPage(size: number): Buffer {
    return Buffer.alloc(Math.ceil(size / this.pageSize) * this.pageSize);
  }

  /** Assigns the next page id(s) to a page buffer and queues it for writing. */
  writePage(page: Buffer): number {
    if (this.closed) throw new BoltWriteError('file already closed');
    const pages = page.length / this.pageSize;
    const id = this.nextPgid;
    this.nextPgid += pages;
    writePgid(page, 0, id);
    page.writeUInt32LE(pages - 1, 12);
    this.pending.push(page);
    this.pendingBytes += page.length;
    if (this.pendingBytes >= 4 << 20) this.flush();
    return id;
  }

  private flush(): void {
    if (!this.pending.length) return;
    const buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    writeAll(this.fd, buf, this.pendingStart * this.pageSize);
    this.pendingStart = this.nextPgid;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Writes the freelist and both meta pages, fsyncs and closes. Returns the database size in bytes. */
  close(root: BucketBuilder): number {
    const value = root.finish();
    const rootPgid = Number(value.readBigUInt64LE(0));
    this.flush();
    this.closed = true;
    try {
      const freelist = Buffer.alloc(this.pageSize);
      writePgid(freelist, 0, 2);
      freelist.writeUInt16LE(PAGE_FREELIST, 8);
      writeAll(this.fd, freelist, 2 * this.pageSize);
      for (const txid of [this.txid - 1n, this.txid]) {
        const page = Buffer.alloc(this.pageSize);
        const id = Number(txid % 2n);
        writePgid(page, 0, id);
        page.writeUInt16LE(PAGE_META, 8);
        const m = PAGE_HEADER_SIZE;
        page.writeUInt32LE(BOLT_MAGIC, m);
        page.writeUInt32LE(BOLT_VERSION, m + 4);
        page.writeUInt32LE(this.pageSize, m + 8);
        page.writeUInt32LE(0, m + 12);
        writePgid(page, m + 16, rootPgid);
        page.writeBigUInt64LE(0n, m + 24); // root bucket sequence
        writePgid(page, m + 32, 2);
        writePgid(page, m + 40, this.nextPgid);
        page.writeBigUInt64LE(txid, m + 48);
        page.writeBigUInt64LE(fnv1a64(page.subarray(m, m + 56)), m + 56);
        writeAll(this.fd, page, id * this.pageSize);
      }
      ftruncateSync(this.fd, this.nextPgid * this.pageSize);
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
    }
    return this.nextPgid * this.pageSize;
  }

  /** Closes without finishing (after an error); the caller removes the file. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}
