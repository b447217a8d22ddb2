import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NO_WINDOW, inWindow, servePage, windowAt, type PageServe, type WindowSpan } from './window.js';

describe('the one-pass read window', () => {
  it('is read from the page asked for, and stops at the end of the file', () => {
    const cases: Array<{ story: string; offset: number; fileSize: number; windowBytes: number; want: WindowSpan }> = [
      { story: 'a page far from the end', offset: 8192, fileSize: 1 << 20, windowBytes: 65536, want: { start: 8192, length: 65536 } },
      { story: 'not aligned to the window size: starts at the page', offset: 4096 * 17, fileSize: 1 << 20, windowBytes: 65536, want: { start: 69632, length: 65536 } },
      { story: 'near the end: what is left', offset: 40960, fileSize: 49152, windowBytes: 65536, want: { start: 40960, length: 8192 } },
      { story: 'the last page of a snapshot (its sha256 after it)', offset: 8192, fileSize: 12288 + 32, windowBytes: 65536, want: { start: 8192, length: 4128 } },
      { story: 'past the end: nothing', offset: 65536, fileSize: 4096, windowBytes: 65536, want: { start: 65536, length: 0 } },
    ];
    for (const c of cases) assert.deepEqual(windowAt(c.offset, c.fileSize, c.windowBytes), c.want, c.story);
  });

  it('serves a page from the window when it lies inside, else splits it between the window and the file', () => {
    const win: WindowSpan = { start: 16384, length: 65536 };
    const cases: Array<{ story: string; win: WindowSpan; offset: number; length: number; inside: boolean; want: PageServe }> = [
      { story: 'the page the window starts at', win, offset: 16384, length: 4096, inside: true, want: { kind: 'window', at: 0 } },
      { story: 'the next pages', win, offset: 20480, length: 8192, inside: true, want: { kind: 'window', at: 4096 } },
      { story: 'the last page of the window', win, offset: 77824, length: 4096, inside: true, want: { kind: 'window', at: 61440 } },
      { story: 'a large page at the window start: 64 KiB in it, 4 KiB from the file', win, offset: 16384, length: 69632, inside: false, want: { kind: 'split', at: 0, head: 65536 } },
      { story: 'a large page in the middle: its first 8 KiB are in the window', win, offset: 73728, length: 204800, inside: false, want: { kind: 'split', at: 57344, head: 8192 } },
    ];
    for (const c of cases) {
      assert.equal(inWindow(c.win, c.offset, c.length), c.inside, c.story);
      assert.deepEqual(servePage(c.win, c.offset, c.length), c.want, c.story);
    }
  });

  it('holds nothing before the first read, and nothing before or after its span', () => {
    const win: WindowSpan = { start: 16384, length: 65536 };
    const cases: Array<[WindowSpan, number, number, boolean]> = [
      [NO_WINDOW, 0, 4096, false],
      [NO_WINDOW, 4096, 4096, false],
      [win, 12288, 4096, false],
      [win, 81920, 4096, false],
      [win, 77824, 8192, false],
    ];
    for (const [w, offset, length, want] of cases) assert.equal(inWindow(w, offset, length), want, `${JSON.stringify(w)} ${offset}+${length}`);
  });
});
