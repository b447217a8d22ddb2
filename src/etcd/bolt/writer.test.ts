import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBolt, type BoltBucket } from './reader.js';
import { BoltFileWriter, BoltWriteError } from './writer.js';

type Tree = Map<string, Buffer | Tree>;

/** Writes a tree of buckets (top level: buckets only) and returns the file. */
function write(dir: string, tree: Tree, pageSize = 4096): string {
  const file = path.join(dir, `db-${Math.random().toString(36).slice(2)}`);
  const w = new BoltFileWriter(file, { pageSize });
  const fill = (b: ReturnType<BoltFileWriter['bucket']>, t: Tree) => {
    for (const k of [...t.keys()].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))) {
      const v = t.get(k)!;
      if (Buffer.isBuffer(v)) b.put(Buffer.from(k), v);
      else {
        const child = w.bucket();
        fill(child, v);
        b.putBucket(Buffer.from(k), child.finish());
      }
    }
  };
  const root = w.root();
  fill(root, tree);
  w.close(root);
  return file;
}

function read(b: BoltBucket): Tree {
  const out: Tree = new Map();
  b.forEach((k, v, isBucket) => {
    out.set(k.toString(), isBucket ? read(b.bucket(k)!) : Buffer.from(v));
  });
  return out;
}

function bucket(entries: Array<[string, Buffer | Tree]>): Tree {
  return new Map(entries);
}

function many(n: number, size: (i: number) => number): Tree {
  return bucket(Array.from({ length: n }, (_, i) => [`key-${String(i).padStart(6, '0')}`, Buffer.alloc(size(i), i % 251)]));
}

describe('BoltFileWriter', () => {
  const cases: Array<{ story: string; tree: Tree; pageSize?: number; expect: { inline: string[]; paged: string[]; branch?: boolean; overflow?: boolean } }> = [
    {
      story: "etcd's small buckets (meta, members, empty ones) are stored inline in the root page",
      tree: bucket([
        ['alarm', bucket([])],
        ['members', bucket([['8e9e05c52164694d', Buffer.from('{"id":1,"peerURLs":["http://localhost:2380"],"name":"default"}')]])],
        ['meta', bucket([['consistent_index', Buffer.alloc(8, 1)]])],
      ]),
      expect: { inline: ['alarm', 'members', 'meta'], paged: [] },
    },
    {
      story: 'a bucket larger than a quarter page gets pages of its own; thousands of keys need branch pages',
      tree: bucket([
        ['key', many(5000, () => 100)],
        ['meta', bucket([['consistent_index', Buffer.alloc(8)]])],
      ]),
      expect: { inline: ['meta'], paged: ['key'], branch: true },
    },
    {
      story: 'values larger than a page live on overflow pages',
      tree: bucket([['key', many(6, (i) => (i + 1) * 10_000)]]),
      expect: { inline: [], paged: ['key'], overflow: true },
    },
    {
      story: 'a bucket holding a nested bucket is never inline; the nested one may be',
      tree: bucket([['outer', bucket([['a', Buffer.from('1')], ['inner', bucket([['x', Buffer.from('y')]])]])]]),
      expect: { inline: ['outer/inner'], paged: ['outer'] },
    },
    {
      story: 'other page sizes work too (bbolt uses the OS page size)',
      tree: bucket([['key', many(800, () => 300)]]),
      pageSize: 16384,
      expect: { inline: [], paged: ['key'], branch: true },
    },
  ];

  for (const c of cases) {
    it(c.story, () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'boltwrite-'));
      try {
        const file = write(dir, c.tree, c.pageSize);
        const db = openBolt(file);
        try {
          const report = db.check();
          assert.deepEqual(report.errors, [], 'bbolt check finds no problems');
          assert.ok(report.ok);
          assert.equal(report.pages.free, 0, 'every page is in use');
          assert.equal(db.pageSize, c.pageSize ?? 4096);
          assert.deepEqual(read(db.root()), c.tree, 'every key and value reads back');
          const inlineState = (p: string) => db.bucket(...p.split('/'))!.isInline;
          for (const p of c.expect.inline) assert.equal(inlineState(p), true, `${p} inline`);
          for (const p of c.expect.paged) assert.equal(inlineState(p), false, `${p} on pages`);
          if (c.expect.branch) assert.ok(report.pages.branch > 0, 'branch pages');
          if (c.expect.overflow) assert.ok(report.pages.overflow > 0, 'overflow pages');
        } finally {
          db.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  const refused: Array<{ story: string; keys: string[]; message: RegExp }> = [
    { story: 'keys out of order', keys: ['b', 'a'], message: /keys out of order/ },
    { story: 'a duplicate key', keys: ['a', 'a'], message: /keys out of order/ },
    { story: 'an empty key', keys: [''], message: /key required/ },
  ];
  for (const c of refused) {
    it(`refuses ${c.story}`, () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'boltwrite-'));
      const w = new BoltFileWriter(path.join(dir, 'db'));
      try {
        const b = w.bucket();
        assert.throws(() => {
          for (const k of c.keys) b.put(Buffer.from(k), Buffer.from('v'));
        }, (e: unknown) => e instanceof BoltWriteError && c.message.test(e.message));
      } finally {
        w.abort();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
