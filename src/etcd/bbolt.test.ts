import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBolt, BoltError } from './bbolt.js';
import { assemble, branchPage, bucketValue, freelistPage, leafPage, metaPage, type MetaFields } from './testing/boltfile.js';

// A small database laid out by hand:
//   0, 1  meta (txid 4 and 5: page 1 is in force)
//   2     freelist: [8]
//   3     root leaf: buckets "alpha" (inline: x=1, y=2) and "key" (root page 4)
//   4     branch: "a" -> 5, "c" -> 6
//   5     leaf: a=A, b=B
//   6-7   leaf with one overflow page: c = 5000 bytes
//   8     free
const BIG = Buffer.alloc(5000, 0x61);

interface Layout {
  meta?: Partial<MetaFields>;
  freelist?: number[];
  branch?: Array<{ key: string; pgid: number }>;
  leaf5?: Array<{ key: string; value: string }>;
  leaf5Flags?: number;
  truncateTo?: number;
  damageMeta?: Array<0 | 1>;
  trailer?: Buffer;
}

function build(l: Layout = {}): Buffer {
  const meta: MetaFields = { root: 3, freelist: 2, pgid: 9, txid: 5, ...l.meta };
  const leaf5 = leafPage(
    5,
    l.leaf5 ?? [
      { key: 'a', value: 'A' },
      { key: 'b', value: 'B' },
    ],
  );
  if (l.leaf5Flags !== undefined) leaf5.writeUInt16LE(l.leaf5Flags, 8);
  const pages = [
    metaPage(0, { ...meta, txid: meta.txid - 1 }),
    metaPage(1, meta),
    freelistPage(2, l.freelist ?? [8]),
    leafPage(3, [
      {
        key: 'alpha',
        value: bucketValue(0, [
          { key: 'x', value: '1' },
          { key: 'y', value: '2' },
        ]),
        bucket: true,
      },
      { key: 'key', value: bucketValue(4), bucket: true },
    ]),
    branchPage(
      4,
      l.branch ?? [
        { key: 'a', pgid: 5 },
        { key: 'c', pgid: 6 },
      ],
    ),
    leaf5,
    leafPage(6, [{ key: 'c', value: BIG }]),
    leafPage(8, []),
  ];
  let file = assemble(pages);
  for (const m of l.damageMeta ?? []) file[m * 4096 + 16 + 20] ^= 0xff; // inside the meta: checksum no longer matches
  if (l.truncateTo !== undefined) file = file.subarray(0, l.truncateTo);
  if (l.trailer) file = Buffer.concat([file, l.trailer]);
  return file;
}

let dir: string;
let n = 0;
function write(file: Buffer): string {
  const p = path.join(dir, `db-${n++}`);
  writeFileSync(p, file);
  return p;
}

describe('bbolt reader', () => {
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'upkeep-bbolt-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

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

  it('finds a consistent file consistent, and counts its pages', () => {
    const db = openBolt(write(build({ trailer: Buffer.alloc(32, 7) })));
    try {
      const r = db.check();
      assert.deepEqual(r.errors, []);
      assert.equal(r.ok, true);
      assert.deepEqual(r.pages, { pageSize: 4096, total: 9, meta: 2, freelist: 1, branch: 1, leaf: 3, overflow: 1, free: 1, freelistStored: true });
      assert.equal(r.buckets, 3);
      assert.equal(r.inlineBuckets, 1);
    } finally {
      db.close();
    }
  });

  it('hands a visitor the top-level buckets and their entries during the check', () => {
    const db = openBolt(write(build()));
    try {
      const seen: string[] = [];
      let pages = 0;
      db.check({ bucket: (n) => seen.push(`[${n}]`), entry: (bk, k) => seen.push(`${bk}/${k}`), page: (p) => (pages += p) });
      assert.deepEqual(seen, ['[alpha]', 'alpha/x', 'alpha/y', '[key]', 'key/a', 'key/b', 'key/c']);
      assert.equal(pages, 5, 'root leaf, branch, two leaves, one overflow');
    } finally {
      db.close();
    }
  });

  const damage: Array<{ story: string; layout: Layout; expect: RegExp[] }> = [
    { story: 'keys out of order in a leaf', layout: { leaf5: [{ key: 'b', value: 'B' }, { key: 'a', value: 'A' }] }, expect: [/needs to be > \(found <\)/] },
    { story: 'a duplicate key in a leaf', layout: { leaf5: [{ key: 'a', value: 'A' }, { key: 'a', value: 'B' }] }, expect: [/needs to be > \(found =\)/] },
    { story: 'a page both in use and free', layout: { freelist: [5, 8] }, expect: [/page 5: reachable freed/] },
    { story: 'a page freed twice', layout: { freelist: [8, 8] }, expect: [/page 8: already freed/] },
    { story: 'a page neither used nor free', layout: { freelist: [] }, expect: [/page 8: unreachable unfreed/] },
    {
      story: 'two branch entries pointing at one page',
      layout: { branch: [{ key: 'a', pgid: 5 }, { key: 'c', pgid: 5 }] },
      expect: [/page 5: multiple references/, /page 6: unreachable unfreed/, /page 7: unreachable unfreed/],
    },
    { story: 'a freelist page where a leaf should be', layout: { leaf5Flags: 0x10 }, expect: [/page 5: invalid type: freelist/] },
    { story: 'a child page beyond the high water mark', layout: { branch: [{ key: 'a', pgid: 5 }, { key: 'c', pgid: 12 }] }, expect: [/page 12: out of bounds/, /page 6: unreachable unfreed/] },
    { story: 'a truncated file', layout: { truncateTo: 6 * 4096 }, expect: [/file is truncated/, /page 6: beyond the end of the file/] },
  ];
  for (const c of damage) {
    it(`reports ${c.story}`, () => {
      const db = openBolt(write(build(c.layout)));
      try {
        const r = db.check();
        assert.equal(r.ok, false);
        for (const re of c.expect) assert.ok(r.errors.some((e) => re.test(e)), `expected ${re} in:\n${r.errors.join('\n')}`);
        assert.equal(r.errorCount, r.errors.length);
      } finally {
        db.close();
      }
    });
  }

  it('falls back to the other meta page when the newer one is damaged, and says so', () => {
    const db = openBolt(write(build({ damageMeta: [1] })));
    try {
      assert.equal(db.meta.page, 0);
      const r = db.check();
      assert.equal(r.ok, true);
      assert.match(r.warnings.join('\n'), /meta page 1: checksum mismatch/);
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
