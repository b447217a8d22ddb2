// Page consistency, as bbolt's tx.Check() (tx_check.go): no page freed twice, every page reached
// by a bucket reached once, not freed, inside the high water mark and a branch or leaf page; keys
// in order within pages and between a branch and its children; every page either reached or free.
// Also: pages past the end of the file (a truncated file) and malformed elements. Problems are
// data (a report), not exceptions; with a visitor, the top-level buckets and their entries are
// handed out during the same pass, so one read of the file serves the check and the figures.
import type { BoltDB } from './reader.js';
import {
  BUCKET_HEADER_SIZE,
  PAGE_BRANCH,
  PAGE_FREELIST,
  PAGE_HEADER_SIZE,
  PAGE_LEAF,
  branchChild,
  branchKey,
  branchKeyFits,
  bucketHeader,
  elementsFit,
  forEachLeafElement,
  freelistIds,
  leafElements,
  pageCount,
  pageFlags,
  pageId,
  pageOverflow,
  pageType,
  type BoltEntryFn,
} from './page.js';
import { errorMessage } from '../../util/errors.js';

const MAX_REPORTED_ERRORS = 1000;
/** Trees deeper than this are taken as a cycle. */
const MAX_DEPTH = 64;
const EMPTY = Buffer.alloc(0);

/** What the check found: bbolt's tx.Check() as data, with page counts. */
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

/** Visitor for the check: sees every top-level bucket and its entries, in key order, during the check. */
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

/** Check the pages of an open database (BoltDB.check calls this). */
export function checkBolt(db: BoltDB, visitor: BoltVisitor = {}): BoltCheckReport {
  return new Checker(db, visitor).run();
}

/** Where a page sits, for messages: its bucket and the pages above it. */
interface PagePath {
  bucket: string;
  pages: number[];
}

class Checker {
  private readonly hwm: number;
  private readonly reachable: Uint8Array;
  private readonly freed: Uint8Array;
  private readonly errors: string[] = [];
  private errorCount = 0;
  private branch = 0;
  private leaf = 0;
  private overflow = 0;
  private buckets = 0;
  private inlineBuckets = 0;
  private free = 0;
  private freelistPages = 0;

  constructor(
    private readonly db: BoltDB,
    private readonly visitor: BoltVisitor,
  ) {
    this.hwm = db.meta.pgid;
    this.reachable = new Uint8Array(this.hwm + 2);
    this.freed = new Uint8Array(this.hwm + 2);
  }

  run(): BoltCheckReport {
    const { db, hwm } = this;
    const warnings: string[] = [];
    if (db.meta.otherMetaProblem) warnings.push(db.meta.otherMetaProblem);
    if (db.size > db.fileSize) {
      this.report(`file is truncated: the meta page says ${hwm} pages of ${db.pageSize} bytes (${db.size} bytes) but the file has ${db.fileSize} bytes`);
    }
    this.checkFreelist();
    this.reachable[0] = 1;
    this.reachable[1] = 1;
    // Every bucket, depth first, in key order.
    this.checkBucket(db.meta.root, undefined, [], 0);
    this.checkEveryPageAccounted();
    return {
      ok: this.errorCount === 0,
      errors: this.errors,
      errorCount: this.errorCount,
      warnings,
      pages: {
        pageSize: db.pageSize,
        total: hwm,
        meta: 2,
        freelist: this.freelistPages,
        branch: this.branch,
        leaf: this.leaf,
        overflow: this.overflow,
        free: this.free,
        freelistStored: db.meta.freelist !== null,
      },
      buckets: this.buckets,
      inlineBuckets: this.inlineBuckets,
    };
  }

  private report(msg: string): void {
    this.errorCount++;
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push(msg);
  }

  /** The freelist: every id once, below the high water mark. */
  private checkFreelist(): void {
    const fl = this.db.meta.freelist;
    if (fl === null) return;
    try {
      const p = this.db.page(fl);
      const flags = pageFlags(p);
      if (flags !== PAGE_FREELIST) this.report(`page ${fl}: the meta page names it the freelist, but it is a ${pageType(flags)} page`);
      else {
        for (const id of freelistIds(p, fl, this.db.path)) {
          if (id >= this.hwm) this.report(`page ${id}: freed but beyond the high water mark ${this.hwm}`);
          else if (this.freed[id]) this.report(`page ${id}: already freed`);
          this.freed[id] = 1;
          this.free++;
        }
      }
      this.freelistPages = 1 + pageOverflow(p);
      for (let i = 0; i < this.freelistPages; i++) if (fl + i < this.reachable.length) this.reachable[fl + i] = 1;
    } catch (e) {
      this.report(errorMessage(e));
    }
  }

  /** Every page below the high water mark is either reachable or free (without a stored freelist: free is what is not reachable). */
  private checkEveryPageAccounted(): void {
    if (this.db.meta.freelist === null) {
      for (let i = 2; i < this.hwm; i++) {
        if (!this.reachable[i]) {
          this.freed[i] = 1;
          this.free++;
        }
      }
    } else {
      for (let i = 0; i < this.hwm; i++) if (!this.reachable[i] && !this.freed[i]) this.report(`page ${i}: unreachable unfreed`);
    }
  }

  private checkBucket(root: number, inline: Buffer | undefined, stack: Buffer[], depth: number): void {
    this.buckets++;
    const subBuckets: Array<[Buffer, Buffer]> = [];
    const top = depth === 1 ? stack[0] : undefined;
    const { visitor } = this;
    const reuse = this.db.reusesBuffers;
    const onEntry: BoltEntryFn = (k, v, isBucket) => {
      if (depth === 0 && !isBucket) this.report(`key ${hex(k)} at the top level is not a bucket`);
      if (isBucket) subBuckets.push(reuse ? [Buffer.from(k), Buffer.from(v)] : [k, v]);
      if (top && visitor.entry) visitor.entry(top, k, isBucket ? EMPTY : v, isBucket);
    };
    if (inline) {
      // bbolt ignores inline buckets in its check: they have no pages of their own.
      this.inlineBuckets++;
      try {
        forEachLeafElement(inline, -1, this.db.path, onEntry);
      } catch (e) {
        this.report(`bucket ${bucketPath(stack)}: ${errorMessage(e)}`);
      }
    } else {
      this.checkPage(root, undefined, undefined, { bucket: bucketPath(stack), pages: [] }, onEntry);
    }
    for (const [name, value] of subBuckets) {
      const header = bucketHeader(value);
      if (!header) {
        this.report(`bucket ${bucketPath([...stack, name])}: its header is ${value.length} bytes, not ${BUCKET_HEADER_SIZE}`);
        continue;
      }
      if (depth === 0 && visitor.bucket) visitor.bucket(name);
      if (header.inline && header.inline.length < PAGE_HEADER_SIZE) {
        this.report(`bucket ${bucketPath([...stack, name])}: inline bucket too short`);
        continue;
      }
      this.checkBucket(header.root, header.inline, [...stack, name], depth + 1);
    }
  }

  /**
   * Check one page and its subtree, handing out leaf entries in order. Returns the largest key
   * seen (for the next sibling's order check), as bbolt's recursivelyCheckPagesInternal.
   */
  private checkPage(id: number, minKey: Buffer | undefined, maxKeyOpen: Buffer | undefined, above: PagePath, fn: BoltEntryFn): Buffer | undefined {
    const path = { bucket: above.bucket, pages: [...above.pages, id] };
    const where = () => `(bucket ${path.bucket}, pages ${path.pages.join(' > ')})`;
    if (id >= this.hwm) {
      this.report(`page ${id}: out of bounds: ${this.hwm} ${where()}`);
      return undefined;
    }
    if (above.pages.includes(id) || above.pages.length > MAX_DEPTH) {
      this.report(`page ${id}: cycle in the tree ${where()}`);
      return undefined;
    }
    let p: Buffer;
    try {
      p = this.db.page(id);
      // A branch page is needed while its children are read: keep it out of the recycled cache.
      if (this.db.reusesBuffers && pageFlags(p) === PAGE_BRANCH) p = Buffer.from(p);
    } catch (e) {
      this.report(`${errorMessage(e)} ${where()}`);
      return undefined;
    }
    const overflow = pageOverflow(p);
    for (let i = 0; i <= overflow; i++) {
      const pid = id + i;
      if (this.reachable[pid]) this.report(`page ${pid}: multiple references ${where()}`);
      if (pid < this.reachable.length) this.reachable[pid] = 1;
    }
    this.overflow += overflow;
    if (this.freed[id]) this.report(`page ${id}: reachable freed`);
    const headerId = pageId(p);
    if (headerId !== id) {
      this.report(`page ${id}: its header says it is page ${headerId} ${where()}`);
      return undefined;
    }
    const flags = pageFlags(p);
    const count = pageCount(p);
    if (!elementsFit(p, count)) {
      this.report(`page ${id}: ${count} elements do not fit in the page ${where()}`);
      return undefined;
    }
    if (flags === PAGE_BRANCH) return this.checkBranch(p, id, count, minKey, maxKeyOpen, path, where, fn);
    if (flags === PAGE_LEAF) return this.checkLeaf(p, id, count, minKey, maxKeyOpen, where, fn);
    this.report(`page ${id}: invalid type: ${pageType(flags)} ${where()}`);
    return undefined;
  }

  private checkBranch(p: Buffer, id: number, count: number, minKey: Buffer | undefined, maxKeyOpen: Buffer | undefined, path: PagePath, where: () => string, fn: BoltEntryFn): Buffer | undefined {
    this.branch++;
    this.visitor.page?.(pageOverflow(p) + 1);
    let runningMin = minKey;
    let maxInSubtree: Buffer | undefined;
    for (let i = 0; i < count; i++) {
      if (!branchKeyFits(p, i)) {
        this.report(`page ${id}: element ${i} runs past the end of the page ${where()}`);
        return maxInSubtree;
      }
      const key = branchKey(p, i);
      if (i === 0 && runningMin && Buffer.compare(runningMin, key) > 0) {
        this.report(`key (${i}, ${hex(key)}) on the branch page ${id} needs to be >= the index in the ancestor ${where()}`);
      }
      if (maxKeyOpen && Buffer.compare(key, maxKeyOpen) >= 0) {
        this.report(`key (${i}, ${hex(key)}) on the branch page ${id} needs to be < the key of the next element reachable from the ancestor (${hex(maxKeyOpen)}) ${where()}`);
      }
      const next = i < count - 1 ? (branchKeyFits(p, i + 1) ? branchKey(p, i + 1) : undefined) : maxKeyOpen;
      maxInSubtree = this.checkPage(branchChild(p, i), key, next, path, fn);
      runningMin = maxInSubtree;
    }
    return maxInSubtree;
  }

  private checkLeaf(p: Buffer, id: number, count: number, minKey: Buffer | undefined, maxKeyOpen: Buffer | undefined, where: () => string, fn: BoltEntryFn): Buffer | undefined {
    this.leaf++;
    let runningMin = minKey;
    let last: Buffer | undefined;
    const broken = leafElements(p, count, (key, value, isBucket, i) => {
      if (runningMin) this.checkLeafOrder(key, i, runningMin, id, where);
      if (maxKeyOpen && Buffer.compare(key, maxKeyOpen) >= 0) {
        this.report(`key[${i}]=(hex)${hex(key)} on leaf page ${id} needs to be < the key of the next element in the ancestor (hex)${hex(maxKeyOpen)} ${where()}`);
      }
      runningMin = key;
      last = key;
      fn(key, value, isBucket);
    });
    if (broken >= 0) {
      this.report(`page ${id}: element ${broken} runs past the end of the page ${where()}`);
      return last;
    }
    // After the entries: a visitor may finish with this page's bytes here.
    this.visitor.page?.(pageOverflow(p) + 1);
    // The parent compares the next subtree against this key, after more reads.
    return last && this.db.reusesBuffers ? Buffer.from(last) : last;
  }

  private checkLeafOrder(key: Buffer, i: number, runningMin: Buffer, id: number, where: () => string): void {
    const c = Buffer.compare(runningMin, key);
    if (i === 0 && c > 0) this.report(`key[${i}]=(hex)${hex(key)} on leaf page ${id} needs to be >= the key in the ancestor ${where()}`);
    if (i > 0 && c > 0) this.report(`key[${i}]=(hex)${hex(key)} on leaf page ${id} needs to be > (found <) than the previous element (hex)${hex(runningMin)} ${where()}`);
    if (i > 0 && c === 0) this.report(`key[${i}]=(hex)${hex(key)} on leaf page ${id} needs to be > (found =) than the previous element (hex)${hex(runningMin)} ${where()}`);
  }
}

function bucketPath(stack: Buffer[]): string {
  return stack.length ? stack.map((b) => JSON.stringify(b.toString('latin1'))).join('/') : '(root)';
}

function hex(b: Buffer): string {
  return b.length > 64 ? b.subarray(0, 64).toString('hex') + '...' : b.toString('hex');
}

