// The read-ahead ring: a reader thread reads the file in order into shared memory (and may hash
// it on the way) while the walk, on the main thread, takes the blocks it needs from there. Each
// block is read from the file once, and the walk spends its time walking instead of in read().
//
// Shared memory: `slots` blocks of `blockBytes`, and per slot [block index, state], then the
// thread's next block, a done flag, and the walk's position. Block i lives in slot i % slots. A
// slot is refilled only once the walk released it (or clearly passed it) and the thread has
// finished with its block, so a block is never changed while either side uses it.
//
// The walk's side is RingBlocks (used by the reader, reader.ts); the thread's side is fillRing,
// run by ring-worker.ts, which startRingReader starts.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** The shared memory of a ring; passed to the reader thread as is. */
export interface BlockRing {
  data: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
  slots: number;
  blockBytes: number;
  /** Whether the walk reads blocks the thread has not reached into their slots (else it waits for the thread). */
  walkReads: boolean;
}

/** What the reader thread is started with. */
export interface RingReaderData {
  file: string;
  ring: BlockRing;
  /** Bytes from the start of the file to feed to sha256 (0: only read ahead). */
  hashLength: number;
}

const SLOT_EMPTY = 0;
const SLOT_WRITING = 1;
/** Filled by the thread, not yet taken by the walk. */
const SLOT_READY = 2;
const SLOT_HELD = 3;
const SLOT_RELEASED = 4;
// Control words after the slots' pairs.
const RING_NEXT = 0;
const RING_DONE = 1;
const RING_MAINPOS = 2;
/**
 * Whether the walk may wait for the thread: set once the thread runs (a worker takes tens of ms
 * to start; a walk that only gets read-ahead from it reads for itself until then), and from the
 * start for a thread that hashes (the hash bounds the pass anyway, and blocks the walk reads into
 * the thread's slots are blocks the thread only has to hash).
 */
const RING_AWAITED = 3;
/** A READY block this far behind the walk is taken as not wanted (the walk reads it itself if it is). */
const RING_STALE = 8;
/** Blocks the walk holds at once when reading through a ring (its cache). */
export const RING_HELD_BLOCKS = 8;
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

/** Whether slot s (in state st) may be refilled: empty, released, or READY but stale (or the walk is done). */
function slotFree(ctrl: Int32Array, slots: number, s: number, st: number, done: boolean): boolean {
  if (st === SLOT_EMPTY || st === SLOT_RELEASED) return true;
  return st === SLOT_READY && (done || Atomics.load(ctrl, 2 * s) + RING_STALE < Atomics.load(ctrl, slots * 2 + RING_MAINPOS));
}

/** Tell the reader thread the walk is done with the ring (or will not use it): every slot is its own from now on. */
export function ringWalkDone(ring: BlockRing): void {
  Atomics.store(new Int32Array(ring.ctrl), ring.slots * 2 + RING_DONE, 1);
}

/** Start the reader thread. It only reads ahead unless hashLength > 0; its message is the sha256 (hex) or ''. */
export function startRingReader(data: RingReaderData): Worker {
  if (data.hashLength > 0) Atomics.store(new Int32Array(data.ring.ctrl), data.ring.slots * 2 + RING_AWAITED, 1);
  return new Worker(new URL('./ring-worker.js', import.meta.url), { workerData: data });
}

/** The sha256 (hex) a reader thread started with hashLength > 0 posts when it is done. */
export function ringReaderDigest(reader: Worker): Promise<string> {
  return new Promise((resolve, reject) => {
    reader.once('message', (hex: string) => resolve(hex));
    reader.once('error', reject);
    reader.once('exit', (code) => code !== 0 && reject(new Error(`ring reader thread exited with code ${code}`)));
  });
}

/** Whether a worker's data is a RingReaderData (what ring-worker.ts checks before it starts). */
export function isRingReaderData(v: unknown): v is RingReaderData {
  if (typeof v !== 'object' || v === null || !('file' in v) || !('ring' in v) || !('hashLength' in v)) return false;
  const { file, ring, hashLength } = v;
  if (typeof file !== 'string' || typeof hashLength !== 'number' || typeof ring !== 'object' || ring === null) return false;
  if (!('data' in ring) || !('ctrl' in ring) || !('slots' in ring) || !('blockBytes' in ring) || !('walkReads' in ring)) return false;
  return ring.data instanceof SharedArrayBuffer && ring.ctrl instanceof SharedArrayBuffer && typeof ring.slots === 'number' && typeof ring.blockBytes === 'number' && typeof ring.walkReads === 'boolean';
}

// ---- the walk's side ---------------------------------------------------------------------------

/** Reads `buf.length` bytes at `position` from the walk's own file descriptor. */
export type ReadFully = (buf: Buffer, position: number) => void;

/** The walk's view of a ring: blocks taken from it, held while cached, released when evicted. */
export class RingBlocks {
  readonly blockBytes: number;
  private readonly ctrl: Int32Array;
  private readonly mem: Buffer;
  private readonly slots: number;
  private readonly walkReads: boolean;
  private readonly fullBlocks: number;
  /** Blocks this walk holds (their slots are not refilled until released). */
  private readonly held = new Set<number>();
  private timeouts = 0;

  constructor(
    ring: BlockRing,
    fileSize: number,
    private readonly readFully: ReadFully,
  ) {
    this.blockBytes = ring.blockBytes;
    this.slots = ring.slots;
    this.walkReads = ring.walkReads;
    this.ctrl = new Int32Array(ring.ctrl);
    this.mem = Buffer.from(ring.data);
    this.fullBlocks = Math.floor(fileSize / ring.blockBytes);
  }

  /** Block `index`, held until released; undefined when the walk should read it privately. */
  take(index: number): Buffer | undefined {
    if (index >= this.fullBlocks || this.timeouts >= RING_MAX_TIMEOUTS) return undefined;
    const buf = this.ringBlock(index);
    if (buf) this.held.add(index);
    return buf;
  }

  /** Give back a block this walk holds; false when it holds no such block. */
  release(index: number): boolean {
    if (!this.held.delete(index)) return false;
    this.releaseSlot(index);
    return true;
  }

  /** Release every block and tell the thread the walk is done. */
  close(): void {
    for (const index of this.held) this.releaseSlot(index);
    this.held.clear();
    Atomics.store(this.ctrl, this.slots * 2 + RING_DONE, 1);
  }

  /**
   * Block `index` from the ring: taken when the reader thread has it, or read into its slot when
   * the slot is free; undefined when neither (too far from the thread's position): read privately.
   */
  private ringBlock(index: number): Buffer | undefined {
    const { ctrl, slots } = this;
    const s = index % slots;
    const bi = 2 * s;
    const si = 2 * s + 1;
    const view = this.mem.subarray(s * this.blockBytes, (s + 1) * this.blockBytes);
    // Where the walk is, for the thread: READY blocks well behind it are not wanted (the walk read
    // them itself, or no bucket reaches them) and their slots may be refilled. Jumps far from the
    // thread (the root page at the end of the file) say nothing about that.
    const pos = Atomics.load(ctrl, slots * 2 + RING_NEXT);
    if (index >= pos - slots && index < pos + slots + RING_AHEAD) Atomics.store(ctrl, slots * 2 + RING_MAINPOS, index);
    let waits = 0;
    for (let spins = 0; spins < 1000; spins++) {
      const st = Atomics.load(ctrl, si);
      const b = Atomics.load(ctrl, bi);
      const next = Atomics.load(ctrl, slots * 2 + RING_NEXT);
      if (b === index) {
        if (st === SLOT_READY || st === SLOT_RELEASED) {
          if (Atomics.compareExchange(ctrl, si, st, SLOT_HELD) !== st) continue;
          Atomics.store(ctrl, slots * 2 + RING_MAINPOS, index);
          return view;
        }
        if (st === SLOT_WRITING) {
          if (waits++ >= RING_MAX_WAITS || !this.wait(si, st)) return undefined;
          continue;
        }
        return undefined;
      }
      // Claim the slot while the thread has not reached this block yet and has finished with
      // the block before it in the slot.
      if (this.walkReads && index >= next && index < next + slots && slotFree(ctrl, slots, s, st, false)) {
        if (Atomics.compareExchange(ctrl, si, st, SLOT_WRITING) !== st) continue;
        this.fillSlot(index, view);
        return view;
      }
      // A little ahead of the running thread (its slots are all in use): wait for it rather than
      // read the block twice. Far ahead (the walk jumps, e.g. to the root page at the end), or the
      // thread not awaited yet: read it here. (Nor when this walk holds a block whose slot the
      // thread must refill on the way.)
      if (index >= next && index < next + slots + RING_AHEAD && Atomics.load(ctrl, slots * 2 + RING_AWAITED) === 1 && !this.holdsUpThread(next, index) && waits++ < RING_MAX_WAITS) {
        if (!this.wait(si, st)) return undefined;
        continue;
      }
      return undefined;
    }
    return undefined;
  }

  /** Read block `index` into its slot, claimed (WRITING) by this walk, and hold it. */
  private fillSlot(index: number, view: Buffer): void {
    const s = index % this.slots;
    Atomics.store(this.ctrl, 2 * s, index);
    try {
      this.readFully(view, index * this.blockBytes);
    } catch (e) {
      Atomics.store(this.ctrl, 2 * s, -1);
      Atomics.store(this.ctrl, 2 * s + 1, SLOT_EMPTY);
      throw e;
    }
    Atomics.store(this.ctrl, 2 * s + 1, SLOT_HELD);
    Atomics.notify(this.ctrl, 2 * s + 1);
    Atomics.store(this.ctrl, this.slots * 2 + RING_MAINPOS, index);
  }

  /** Whether a block this walk holds sits in a slot the thread must refill to reach `index`. */
  private holdsUpThread(next: number, index: number): boolean {
    for (const h of this.held) if (h + this.slots >= next && h + this.slots <= index) return true;
    return false;
  }

  /** Wait for a slot to change; false once the thread has kept the walk waiting too often (it may be gone): read alone from then on. */
  private wait(si: number, st: number): boolean {
    if (this.timeouts >= RING_MAX_TIMEOUTS) return false;
    if (Atomics.wait(this.ctrl, si, st, 10) === 'timed-out') this.timeouts++;
    return true;
  }

  private releaseSlot(index: number): void {
    const si = 2 * (index % this.slots) + 1;
    Atomics.store(this.ctrl, si, SLOT_RELEASED);
    Atomics.notify(this.ctrl, si);
  }
}

// ---- the reader thread's side ------------------------------------------------------------------

/** What the reader thread feeds the first hashLength bytes to (node:crypto's sha256). */
export interface RingHash {
  update(data: Uint8Array): unknown;
  digest(encoding: 'hex'): string;
}

/**
 * The reader thread's work: go through the blocks in file order, reading each into its slot
 * unless the walk already did, and feed the first hashLength bytes to `hash` (its digest, hex,
 * is returned). With hashLength 0 it only reads ahead, and stops when the walk is done.
 * Blocking: run it in a worker thread (ring-worker.ts), never on the walk's thread.
 */
export function fillRing(data: RingReaderData, hash?: RingHash): string {
  const { file, ring } = data;
  const hashLength = hash ? data.hashLength : 0;
  const fd = openSync(file, 'r');
  try {
    const filler = new RingFiller(fd, ring, hashLength, Math.floor(fstatSync(fd).size / ring.blockBytes), hash);
    const last = hashLength > 0 ? Math.ceil(hashLength / ring.blockBytes) : filler.fullBlocks;
    for (let i = 0; i < last; i++) {
      if (hashLength === 0 && filler.walkDone()) break;
      filler.block(i);
    }
    return filler.digest();
  } finally {
    closeSync(fd);
  }
}

class RingFiller {
  private readonly ctrl: Int32Array;
  private readonly mem: Uint8Array;
  /** A private buffer for blocks past the last whole one, or when the walk is done with the ring. */
  private own: Buffer | undefined;

  constructor(
    private readonly fd: number,
    private readonly ring: BlockRing,
    private readonly hashLength: number,
    readonly fullBlocks: number,
    private readonly hash: RingHash | undefined,
  ) {
    this.ctrl = new Int32Array(ring.ctrl);
    this.mem = new Uint8Array(ring.data);
    Atomics.store(this.ctrl, 2 * ring.slots + RING_AWAITED, 1);
  }

  walkDone(): boolean {
    return Atomics.load(this.ctrl, 2 * this.ring.slots + RING_DONE) === 1;
  }

  digest(): string {
    return this.hash ? this.hash.digest('hex') : '';
  }

  /** Block i: into its slot (or, past the whole blocks, a private buffer), hashed, and announced. */
  block(i: number): void {
    const B = this.ring.blockBytes;
    const start = i * B;
    if (i >= this.fullBlocks) {
      const b = this.ownBuffer().subarray(0, Math.min(B, this.hashLength - start));
      this.readInto(b, start);
      this.update(b, start);
    } else {
      this.slotBlock(i, start);
    }
    Atomics.store(this.ctrl, 2 * this.ring.slots + RING_NEXT, i + 1);
    Atomics.notify(this.ctrl, 2 * this.ring.slots + RING_NEXT);
  }

  private slotBlock(i: number, start: number): void {
    const { ctrl, ring } = this;
    const s = i % ring.slots;
    const bi = 2 * s;
    const si = 2 * s + 1;
    const view = this.mem.subarray(s * ring.blockBytes, (s + 1) * ring.blockBytes);
    for (;;) {
      // Only reading ahead, and the walk is done: nobody wants this block.
      if (!this.hash && this.walkDone()) return;
      const st = Atomics.load(ctrl, si);
      if (Atomics.load(ctrl, bi) === i) {
        // The walk read it into the slot first (or is reading it).
        if (st === SLOT_WRITING) {
          Atomics.wait(ctrl, si, st, 5);
          continue;
        }
        this.update(view, start);
        return;
      }
      const done = this.walkDone();
      if (slotFree(ctrl, ring.slots, s, st, done)) {
        if (Atomics.compareExchange(ctrl, si, st, SLOT_WRITING) !== st) continue;
        Atomics.store(ctrl, bi, i);
        this.readInto(view, start);
        Atomics.store(ctrl, si, SLOT_READY);
        Atomics.notify(ctrl, si);
        this.update(view, start);
        return;
      }
      if (done) {
        // The walk is gone but holds the slot: hash from a private buffer.
        const own = this.ownBuffer();
        this.readInto(own, start);
        this.update(own, start);
        return;
      }
      Atomics.wait(ctrl, si, st, 2);
    }
  }

  private ownBuffer(): Buffer {
    this.own ??= Buffer.allocUnsafe(this.ring.blockBytes);
    return this.own;
  }

  private readInto(buf: Uint8Array, pos: number): void {
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.fd, buf, done, buf.length - done, pos + done);
      if (n === 0) throw new Error(`unexpected end of file at byte ${pos + done}`);
      done += n;
    }
  }

  private update(u8: Uint8Array, start: number): void {
    if (!this.hash) return;
    const end = Math.min(start + u8.length, this.hashLength);
    if (end > start) this.hash.update(u8.subarray(0, end - start));
  }
}
