import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDigestJob, sha256OfFile, snapshotLayout, verifySnapshotDigest } from './digest.js';

let dir: string;

describe('snapshot digest', () => {
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'upkeep-digest-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('tells a snapshot from a plain db by its size, as etcdutl does', () => {
    assert.deepEqual(snapshotLayout(20480 + 32), { hasDigest: true, dbBytes: 20480 });
    assert.deepEqual(snapshotLayout(20480), { hasDigest: false, dbBytes: 20480 });
  });

  it('ships its sha256 worker beside the module that starts it (dist/ and the package)', () => {
    assert.ok(existsSync(new URL('./digest-worker.js', import.meta.url)));
  });

  it('hashes a large snapshot in a worker thread and compares it with the digest at its end', async () => {
    // 17 MiB of db: above the size hashed on the calling thread.
    const db = Buffer.alloc(17 << 20, 0x5a);
    db[12345] = 1;
    const digest = createHash('sha256').update(db).digest();
    const good = path.join(dir, 'good.db');
    writeFileSync(good, Buffer.concat([db, digest]));
    assert.equal(await sha256OfFile(good, db.length), digest.toString('hex'));
    assert.deepEqual(await verifySnapshotDigest(good), { state: 'ok', expected: digest.toString('hex'), actual: digest.toString('hex') });
    const bad = path.join(dir, 'bad.db');
    const flipped = Buffer.from(digest);
    flipped[0] ^= 1;
    writeFileSync(bad, Buffer.concat([db, flipped]));
    assert.equal((await verifySnapshotDigest(bad)).state, 'mismatch');
  });

  it('fails, in the worker as on the calling thread, when the file is shorter than asked', async () => {
    const short = path.join(dir, 'short.db');
    writeFileSync(short, Buffer.alloc(1000));
    await assert.rejects(sha256OfFile(short, 2000), /unexpected end of file at byte 1000/);
    await assert.rejects(sha256OfFile(short, 32 << 20), /unexpected end of file at byte 1000/);
  });

  it("checks a sha256 worker's data before it starts", () => {
    const cases: Array<[unknown, boolean]> = [
      [{ file: 'f', length: 10 }, true],
      [{ file: 'f', length: '10' }, false],
      [{ length: 10 }, false],
      [undefined, false],
    ];
    for (const [v, ok] of cases) assert.equal(isDigestJob(v), ok, JSON.stringify(v));
  });
});
