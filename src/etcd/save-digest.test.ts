import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileFollower, isFollowJob, isFollowMessage } from './digest.js';
import { FOLLOW_MIN_BYTES, SaveDigest } from './save-digest.js';

let dir: string;

/** A stream as etcd sends it: the db, then its sha256 (or a wrong one). */
function stream(dbBytes: number, wrongDigest = false): Buffer {
  const db = Buffer.alloc(dbBytes);
  for (let i = 0; i < dbBytes; i += 4096) db.writeUInt32LE(i, i);
  const digest = createHash('sha256').update(db).digest();
  if (wrongDigest) digest[0] ^= 1;
  return Buffer.concat([db, digest]);
}

/** Feed a stream in chunks of `chunk` bytes, written to `file` as they come, as snapshot save does. */
async function save(file: string, data: Buffer, chunk: number): Promise<{ actual: string; expected: string }> {
  const fd = openSync(file, 'w');
  const digest = new SaveDigest(file, data.length - 32);
  try {
    for (let at = 0; at < data.length; at += chunk) {
      const blob = data.subarray(at, Math.min(at + chunk, data.length));
      digest.update(blob);
      writeSync(fd, blob, 0, blob.length, at);
      digest.written(at + blob.length);
    }
    return await digest.result(data.length);
  } finally {
    digest.stop();
    closeSync(fd);
  }
}

describe('the digest check of snapshot save', () => {
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'upkeep-save-digest-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the sha256 at the end of the stream and the data matching it, whatever the chunks', async () => {
    const cases = [
      { story: 'small, in 32 KiB chunks (hashed on this thread)', dbBytes: 20480, chunk: 32 << 10, wrong: false },
      { story: 'small, chunks shorter than the digest', dbBytes: 8192, chunk: 7, wrong: false },
      { story: 'small, a wrong digest', dbBytes: 20480, chunk: 4096, wrong: true },
      { story: 'large (hashed by a worker that reads the file back)', dbBytes: FOLLOW_MIN_BYTES + 4096, chunk: 32 << 10, wrong: false },
      { story: 'large, a wrong digest', dbBytes: FOLLOW_MIN_BYTES + 4096, chunk: 1 << 20, wrong: true },
    ];
    for (const c of cases) {
      const data = stream(c.dbBytes, c.wrong);
      const r = await save(path.join(dir, 'part'), data, c.chunk);
      const actual = createHash('sha256').update(data.subarray(0, c.dbBytes)).digest('hex');
      assert.equal(r.expected, data.subarray(c.dbBytes).toString('hex'), c.story);
      assert.equal(r.actual, actual, c.story);
      assert.equal(r.actual === r.expected, !c.wrong, c.story);
    }
  });

  it('follows a file as it grows, hashing only what it is allowed to', () => {
    const file = path.join(dir, 'growing');
    const data = stream(300_000);
    writeFileSync(file, data.subarray(0, 100_000));
    const f = new FileFollower(file);
    assert.equal(f.take({ hashable: 50_000 }), undefined);
    assert.equal(f.take({ hashable: 100_000 }), undefined);
    assert.equal(f.take({ hashable: 90_000 }), undefined, 'an older message changes nothing');
    writeFileSync(file, data);
    assert.equal(f.take({ hashable: 300_000, length: 300_000 }), createHash('sha256').update(data.subarray(0, 300_000)).digest('hex'));
  });

  it('fails when the file is shorter than it was told', () => {
    const file = path.join(dir, 'short');
    writeFileSync(file, Buffer.alloc(1000));
    assert.throws(() => new FileFollower(file).take({ hashable: 2000, length: 2000 }), /unexpected end of file at byte 1000/);
  });

  it("checks a following worker's data and messages", () => {
    const jobs: Array<[unknown, boolean]> = [
      [{ file: 'f', follow: true }, true],
      [{ file: 'f', follow: 'yes' }, false],
      [{ file: 'f', length: 10 }, false],
    ];
    for (const [v, ok] of jobs) assert.equal(isFollowJob(v), ok, JSON.stringify(v));
    const messages: Array<[unknown, boolean]> = [
      [{ hashable: 10 }, true],
      [{ hashable: 10, length: 10 }, true],
      [{ hashable: '10' }, false],
      [{ hashable: 10, length: '10' }, false],
      [null, false],
    ];
    for (const [v, ok] of messages) assert.equal(isFollowMessage(v), ok, JSON.stringify(v));
  });
});
