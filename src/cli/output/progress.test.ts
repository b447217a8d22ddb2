import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Io } from '../context.js';
import { Progress } from './progress.js';

function recorder(isTTY: boolean): { io: Io; written: () => string } {
  let err = '';
  return { io: { out: () => undefined, err: (s) => (err += s), isTTY, columns: 40 }, written: () => err };
}

describe('Progress', () => {
  it('one status line on a terminal: erased and redrawn in place', () => {
    const r = recorder(true);
    const p = new Progress(r.io);
    p.status('a', 'first');
    p.status('a', 'second');
    p.clear();
    assert.equal(r.written(), '\r\x1b[2Kfirst\r\x1b[2Ksecond\r\x1b[2K');
  });

  it('a block of lines on a terminal: the cursor goes back up over every line before redrawing', () => {
    const r = recorder(true);
    const p = new Progress(r.io);
    p.lines([['node01', 'node01: draining 1s'], ['node02', 'node02: upgrading 2s']]);
    p.lines([['node02', 'node02: upgrading 3s']]);
    p.clear();
    assert.equal(r.written(), '\r\x1b[2Knode01: draining 1s\nnode02: upgrading 2s' + '\r\x1b[2K\x1b[1A\x1b[2Knode02: upgrading 3s' + '\r\x1b[2K');
  });

  it('lines longer than the terminal are cut (the cursor could not go back over a wrapped line)', () => {
    const r = recorder(true);
    new Progress(r.io).lines([['x', 'x'.repeat(60)]]);
    assert.equal(r.written(), `\r\x1b[2K${'x'.repeat(36)}...`);
  });

  it('on a pipe: plain lines, one per subject, unchanged lines not repeated', () => {
    const r = recorder(false);
    const p = new Progress(r.io);
    p.lines([['node01', 'node01: waiting for Ready'], ['node02', 'node02: waiting for Ready']]);
    p.lines([['node01', 'node01: waiting for Ready']]);
    p.clear();
    assert.equal(r.written(), 'node01: waiting for Ready\nnode02: waiting for Ready\n');
  });
});
