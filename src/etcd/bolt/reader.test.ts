import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoltError } from './page.js';
import { openBolt } from './reader.js';
import { assemble, branchPage, bucketValue, leafPage, metaPage, sampleDb as build, scratchFiles } from '../testing/boltfile.js';

describe('bbolt reader', () => {
  const write = scratchFiles('upkeep-bbolt-');

  it('reads the meta page in force, buckets in order, inline buckets, overflow values and lookups', () => {
    const db = openBolt(write(build()));
    try {
      assert.equal(db.meta.page, 1, 'the meta with the higher txid wins');
      assert.equal(db.meta.txid, 5n);
      assert.equal(db.pageSize, 4096);
      assert.equal(db.size, 9 * 4096);
      const names: string[] = [];
      db.forEachBucket((name, bucket) => {
        names.push(`${name}${bucket.isInline ? ' (inline)' : ''}`);
      });
      assert.deepEqual(names, ['alpha (inline)', 'key']);
      const entries: string[] = [];
      db.forEachKey('alpha', (k, v) => entries.push(`${k}=${v}`));
      db.forEachKey('key', (k, v) => entries.push(`${k}=${v.length > 10 ? `${v.length} bytes` : v}`));
      assert.deepEqual(entries, ['x=1', 'y=2', 'a=A', 'b=B', 'c=5000 bytes']);
      assert.equal(db.bucket('key')?.get('c')?.length, 5000);
      assert.equal(db.bucket('key')?.get('b')?.toString(), 'B');
      assert.equal(db.bucket('key')?.get('bb'), undefined);
      assert.equal(db.bucket('alpha')?.get('y')?.toString(), '2');
      assert.equal(db.bucket('nope'), undefined);
      assert.equal(db.bucket('key')?.last()?.key.toString(), 'c');
      assert.equal(db.bucket('alpha')?.last()?.key.toString(), 'y');
      assert.throws(() => db.forEachKey('nope', () => undefined), /bucket "nope" not found/);
    } finally {
      db.close();
    }
  });

  it('refuses a file that is not a bbolt database', () => {
    assert.throws(() => openBolt(write(build({ damageMeta: [0, 1] }))), (e: unknown) => e instanceof BoltError && /not a bbolt database: meta page 0: checksum mismatch/.test(e.message));
    assert.throws(() => openBolt(write(Buffer.from('just some text, not pages'))), /not a bbolt database/);
  });

  it('recycling cache blocks (reuseBuffers) changes nothing a one-pass reader sees', () => {
    // 30 leaves under one branch, read through a 4-page cache: every block is recycled many times.
    const leaves = Array.from({ length: 30 }, (_, i) =>
      leafPage(
        5 + i,
        [0, 1, 2].map((j) => ({ key: `k${String(i * 3 + j).padStart(3, '0')}`, value: `v${i * 3 + j}`.repeat(50) })),
      ),
    );
    const file = write(
      assemble([
        metaPage(0, { root: 3, freelist: null, pgid: 35, txid: 1 }),
        metaPage(1, { root: 3, freelist: null, pgid: 35, txid: 2 }),
        leafPage(3, [
          { key: 'inline', value: bucketValue(0, [{ key: 'i', value: 'j' }]), bucket: true },
          { key: 'key', value: bucketValue(4), bucket: true },
        ]),
        branchPage(
          4,
          leaves.map((l, i) => ({ key: `k${String(i * 3).padStart(3, '0')}`, pgid: 5 + i })),
        ),
        ...leaves,
      ]),
    );
    const scan = (reuseBuffers: boolean) => {
      const db = openBolt(file, { reuseBuffers, blockBytes: 4096, cacheBytes: 4 * 4096 });
      try {
        const seen: string[] = [];
        const report = db.check({ bucket: (n) => seen.push(`[${n}]`), entry: (b, k, v) => seen.push(`${b}/${k}=${v}`) });
        const inline = db.bucket('inline');
        db.forEachKey('key', () => undefined); // more reads between finding the bucket and using it
        seen.push(`inline i=${inline?.get('i')}`);
        return { seen, report };
      } finally {
        db.close();
      }
    };
    const fresh = scan(false);
    const recycled = scan(true);
    assert.equal(fresh.report.ok, true, fresh.report.errors.join('\n'));
    assert.equal(fresh.seen.length, 2 + 1 + 90 + 1);
    assert.deepEqual(recycled.seen, fresh.seen);
    assert.deepEqual(recycled.report, fresh.report);
  });

  it('reads with a cache smaller than the file, and pages that cross cache blocks', () => {
    const db = openBolt(write(build()), { blockBytes: 4096 * 3, cacheBytes: 4096 * 3 });
    try {
      assert.equal(db.bucket('key')?.get('c')?.length, 5000);
      assert.equal(db.check().ok, true);
    } finally {
      db.close();
    }
  });
});
