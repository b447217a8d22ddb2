import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openBolt } from './reader.js';
import { sampleDb as build, scratchFiles, type SampleLayout } from '../testing/boltfile.js';

describe('bbolt consistency check', () => {
  const write = scratchFiles('upkeep-bbolt-check-');

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

  const damage: Array<{ story: string; layout: SampleLayout; expect: RegExp[] }> = [
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
});
