// The read window of a one-pass reader (reader.ts, `window` option): a walk over the whole file
// (snapshot status) reads its pages through one small buffer that starts at the page asked for.
//
// Why small: read() copies from the page cache into the buffer, and the walk then reads the
// buffer again (CRC-32C, keys). A buffer that stays in the CPU's cache (64 KiB) costs a quarter
// of the system time of 1 MiB blocks on this project's machine (1.1 GB: 0.15 s against 0.6 s),
// and the walk finds its bytes still cached. Why at the page: a walk goes from a page to the one
// right after it nine times out of ten (bbolt allocates pages in order), so a window that starts
// at the page asked for serves the next pages too, and no page is read twice because it crossed
// an aligned block's edge.

/** The bytes a window holds: the file's bytes from `start`, `length` of them (-1: nothing yet). */
export interface WindowSpan {
  start: number;
  length: number;
}

/** Default window size: a multiple of every bbolt page size up to 64 KiB, small enough to stay in a CPU cache. */
export const DEFAULT_WINDOW_BYTES = 64 << 10;

/** An empty window (nothing read yet). */
export const NO_WINDOW: WindowSpan = { start: -1, length: 0 };

/** Whether `length` bytes at `offset` lie inside the window. */
export function inWindow(win: WindowSpan, offset: number, length: number): boolean {
  return win.start >= 0 && offset >= win.start && offset + length <= win.start + win.length;
}

/** The window to read for a page at `offset`: from there, `windowBytes` or up to the end of the file. */
export function windowAt(offset: number, fileSize: number, windowBytes: number): WindowSpan {
  return { start: offset, length: Math.max(0, Math.min(windowBytes, fileSize - offset)) };
}

/**
 * How a page of `length` bytes at `offset` is served, the window having been read at it if the
 * page's first bytes were not in it: `window` (a slice of the window, from `at`), or `split`: the
 * first `head` bytes are the window's from `at`, the rest (`length - head`) is read from the
 * file at `offset + head`.
 */
export type PageServe = { kind: 'window'; at: number } | { kind: 'split'; at: number; head: number };

export function servePage(win: WindowSpan, offset: number, length: number): PageServe {
  const at = offset - win.start;
  if (inWindow(win, offset, length)) return { kind: 'window', at };
  return { kind: 'split', at, head: Math.max(0, Math.min(length, win.start + win.length - offset)) };
}
