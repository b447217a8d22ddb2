import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RingBlocks, createBlockRing, fillRing, isRingReaderData, ringReaderDigest, ringWalkDone, startRingReader, type ReadFully } from './ring.js';

const BLOCK = 4096;
let dir: string;
let file: string;
/** 40.5 blocks of distinct bytes: whole blocks in the ring, the half block read privately. */
const data = Buffer.from(Array.from({ length: 40 * BLOCK + BLOCK / 2 }, (_, i) => (i * 7 + (i >> 12)) & 0xff));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function fileReader(fd: number): ReadFully {
  return (buf, position) => {
    const n = readSync(fd, buf, 0, buf.length, position);
    assert.equal(n, buf.length);
  };
}

describe('the read-ahead ring', () => {
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'upkeep-ring-'));
    file = path.join(dir, 'data');
    writeFileSync(file, data);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ships its reader thread beside the module that starts it (dist/ and the package)', () => {
    assert.ok(existsSync(new URL('./ring-worker.js', import.meta.url)));
  });

  it('hashes the first hashLength bytes, whole blocks through the slots and the rest privately', () => {
    const cases = [
      { story: 'the whole file', length: data.length },
      { story: 'whole blocks only', length: 8 * BLOCK },
      { story: 'a part of a block', length: 3 * BLOCK + 100 },
    ];
    for (const c of cases) {
      const ring = createBlockRing(4, BLOCK);
      // The walk is already done: the thread may take every slot.
      ringWalkDone(ring);
      assert.equal(fillRing({ file, ring, hashLength: c.length }, createHash('sha256')), sha256(data.subarray(0, c.length)), c.story);
    }
  });

  it('hands the walk every block intact while the reader thread reads ahead and hashes', async () => {
    const ring = createBlockRing(4, BLOCK);
    const digest = ringReaderDigest(startRingReader({ file, ring, hashLength: data.length }));
    const fd = openSync(file, 'r');
    try {
      const walk = new RingBlocks(ring, data.length, fileReader(fd));
      // In file order, then jumping back and ahead as a tree walk does; released as a cache would.
      const order = [...Array.from({ length: 20 }, (_, i) => i), 3, 39, 25, 21, 22, 30, 40];
      // (A block the ring cannot give, e.g. the half block at the end, the walk reads privately.)
      for (const index of order) {
        const block = walk.take(index);
        if (!block) continue;
        assert.ok(block.equals(data.subarray(index * BLOCK, (index + 1) * BLOCK)), `block ${index}`);
        walk.release(index);
      }
      assert.equal(walk.take(40), undefined, 'the half block at the end is not in the ring');
      walk.close();
    } finally {
      closeSync(fd);
    }
    assert.equal(await digest, sha256(data));
  });

  it("checks a reader thread's data before it starts", () => {
    const ring = createBlockRing(2, BLOCK);
    const cases: Array<[unknown, boolean]> = [
      [{ file: 'f', ring, hashLength: 0 }, true],
      [{ file: 'f', ring: { ...ring, data: new ArrayBuffer(8) }, hashLength: 0 }, false],
      [{ file: 'f', ring }, false],
      [{ file: 'f', ring: { ...ring, slots: '2' }, hashLength: 0 }, false],
      [{ file: 1, ring, hashLength: 0 }, false],
      [null, false],
    ];
    for (const [v, ok] of cases) assert.equal(isRingReaderData(v), ok, JSON.stringify(v));
  });
});
