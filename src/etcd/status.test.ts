import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { crc32c } from './crc32c.js';
import { encodeRevision } from './mvcc.js';
import { snapshotRevision, snapshotStatus, statusErrors, statusJson } from './status.js';
import { assemble, branchPage, bucketValue, encodeKeyValue, leafPage, metaPage, scratchFiles } from './testing/boltfile.js';

// An etcd-shaped db: `key` holds revisions 2 (put a), 3 (put b), 4 (delete a), 5 (put a again),
// 6 (delete b); `meta` holds the consistent index and the finished compaction.
const keyEntries = [
  { key: encodeRevision(2), value: encodeKeyValue({ key: 'a', value: '1', createRevision: 2, modRevision: 2, version: 1 }) },
  { key: encodeRevision(3), value: encodeKeyValue({ key: 'b', value: '2', createRevision: 3, modRevision: 3, version: 1, lease: 7 }) },
  { key: encodeRevision(4, 0, true), value: encodeKeyValue({ key: 'a', modRevision: 4 }) },
  { key: encodeRevision(5), value: encodeKeyValue({ key: 'a', value: '3', createRevision: 5, modRevision: 5, version: 1 }) },
  { key: encodeRevision(6, 0, true), value: encodeKeyValue({ key: 'b', modRevision: 6 }) },
];
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
const metaEntries = [
  { key: 'consistent_index', value: u64(42) },
  { key: 'finishedCompactRev', value: encodeRevision(3) },
];

function etcdDb(): Buffer {
  return assemble([
    metaPage(0, { root: 2, freelist: null, pgid: 5, txid: 2 }),
    metaPage(1, { root: 2, freelist: null, pgid: 5, txid: 3 }),
    leafPage(2, [
      { key: 'key', value: bucketValue(3), bucket: true },
      { key: 'meta', value: bucketValue(0, metaEntries), bucket: true },
    ]),
    leafPage(3, keyEntries),
    leafPage(4, []),
  ]);
}

function withDigest(db: Buffer): Buffer {
  return Buffer.concat([db, createHash('sha256').update(db).digest()]);
}

describe('snapshot status', () => {
  const write = scratchFiles('upkeep-status-', 'snap');

  it("computes etcdctl's figures: CRC-32C over bucket names, keys and values; the last revision; every entry; the pages", async () => {
    const st = await snapshotStatus(write(withDigest(etcdDb())));
    let crc = crc32c(Buffer.from('key'));
    for (const e of keyEntries) crc = crc32c(e.value, crc32c(e.key, crc));
    crc = crc32c(Buffer.from('meta'), crc);
    for (const e of metaEntries) crc = crc32c(e.value, crc32c(Buffer.from(e.key), crc));
    assert.equal(st.hash, crc);
    assert.equal(st.revision, 6, 'the main revision of the last key');
    assert.equal(st.totalKey, 7, 'etcd 3.4/3.5: every entry in every bucket');
    assert.equal(st.liveKeys, 1, 'etcd 3.6: only "a" is live (b was deleted at 6)');
    assert.equal(st.totalSize, 5 * 4096);
    assert.equal(st.fileSize, 5 * 4096 + 32);
    assert.deepEqual(st.buckets, { key: 5, meta: 2 });
    assert.equal(st.consistentIndex, 42);
    assert.equal(st.compactRevision, 3);
    assert.equal(st.sha256.state, 'ok');
    assert.equal(st.check.ok, true);
    assert.deepEqual(statusErrors(st), []);
    const json = statusJson(st);
    assert.deepEqual(Object.keys(json).slice(0, 4), ['hash', 'revision', 'totalKey', 'totalSize'], "etcdctl's JSON fields first");
  });

  it('gives the same figures whatever the read window (pages split across it, jumps back and forth), and still catches a wrong digest', async () => {
    // 60 leaves of the `key` bucket, some with values spanning several pages, laid out of key
    // order with free pages between, the branch last (as in a real file: the walk jumps around);
    // read through windows of one page, one and a half (taken as one), two, 16 and the whole file.
    const order = Array.from({ length: 60 }, (_, i) => i).sort((a, b) => ((a * 37) % 61) - ((b * 37) % 61));
    const pages: Buffer[] = [];
    const children: Array<{ key: Buffer; pgid: number }> = [];
    let next = 4;
    let rev = 2;
    const leafOf = new Map<number, { id: number; entries: Array<{ key: Buffer; value: Buffer }> }>();
    for (let i = 0; i < 60; i++) {
      const entries = [0, 1, 2].map((j) => {
        const r = rev++;
        const big = (i * 3 + j) % 7 === 0 ? 9000 + i * 100 : 40;
        const tomb = (i * 3 + j) % 11 === 5;
        return { key: encodeRevision(r, 0, tomb), value: encodeKeyValue({ key: `/registry/k${(i * 3 + j) % 50}`, value: tomb ? undefined : 'x'.repeat(big), modRevision: r }) };
      });
      leafOf.set(i, { id: 0, entries });
    }
    for (const i of order) {
      const leaf = leafOf.get(i)!;
      leaf.id = next;
      const page = leafPage(next, leaf.entries);
      pages.push(page);
      next += page.length / 4096 + (i % 3 === 0 ? 1 : 0); // a free page now and then
    }
    for (let i = 0; i < 60; i++) children.push({ key: leafOf.get(i)!.entries[0].key, pgid: leafOf.get(i)!.id });
    const branchId = next;
    const pgid = branchId + 1;
    const db = assemble([
      metaPage(0, { root: 2, freelist: null, pgid, txid: 2 }),
      metaPage(1, { root: 2, freelist: null, pgid, txid: 3 }),
      leafPage(2, [
        { key: 'key', value: bucketValue(branchId), bucket: true },
        { key: 'meta', value: bucketValue(0, metaEntries), bucket: true },
      ]),
      ...pages,
      branchPage(branchId, children),
    ]);
    const good = write(withDigest(db));
    const damaged = Buffer.from(withDigest(db));
    damaged[5 * 4096 - 100] ^= 1; // in a page no bucket reaches: the figures stay, the digest does not
    const bad = write(damaged);
    const plain = write(db);
    const cases = [
      { story: 'a snapshot with its digest', file: good, skipHashCheck: false, sha256: 'ok' },
      { story: 'a snapshot whose bytes changed', file: bad, skipHashCheck: false, sha256: 'mismatch' },
      { story: '--skip-hash-check', file: good, skipHashCheck: true, sha256: 'skipped' },
      { story: 'a db without a digest', file: plain, skipHashCheck: false, sha256: 'missing' },
    ];
    for (const c of cases) {
      const whole = await snapshotStatus(c.file, { skipHashCheck: c.skipHashCheck, windowBytes: 1 << 30 });
      assert.equal(whole.sha256.state, c.sha256, c.story);
      assert.equal(whole.check.ok, true, `${c.story}: ${whole.check.errors.join('; ')}`);
      assert.equal(whole.totalKey, 180 + 2, c.story);
      assert.equal(whole.revision, rev - 1, c.story);
      for (const windowBytes of [4096, 6144, 8192, 65536]) {
        const small = await snapshotStatus(c.file, { skipHashCheck: c.skipHashCheck, windowBytes });
        assert.deepEqual(small, whole, `${c.story}, a window of ${windowBytes} bytes`);
      }
    }
  });

  it('reads the revision of a snapshot from its last key without a full pass', () => {
    assert.equal(snapshotRevision(write(withDigest(etcdDb()))), 6);
  });

  const broken: Array<{ story: string; file: () => Buffer; expect: RegExp; skipHashCheck?: boolean; digest: string }> = [
    {
      story: 'a flipped byte in the data: the digest no longer matches',
      file: () => {
        const f = withDigest(etcdDb());
        f[3 * 4096 + 200] ^= 1;
        return f;
      },
      digest: 'mismatch',
      expect: /sha256 mismatch: .*the file is corrupted/,
    },
    { story: 'no digest: a db copied from a data dir', file: etcdDb, digest: 'missing', expect: /looks like a db file copied from a data dir/ },
    { story: 'cut short: neither whole pages nor a digest', file: () => withDigest(etcdDb()).subarray(0, 4 * 4096 + 100), digest: 'missing', expect: /^truncated: the meta page says 20480 bytes of pages but the file has 16484 bytes \(3996 missing\)/ },
    {
      story: '7 bytes appended: trailing data, not truncation',
      file: () => Buffer.concat([withDigest(etcdDb()), Buffer.from('1234567')]),
      digest: 'missing',
      expect: /^trailing data: 7 bytes after the pages and their 32-byte sha256 \(20519 bytes, 20480 of pages\); something was appended to the file$/,
    },
  ];
  for (const c of broken) {
    it(`says what is wrong with ${c.story}`, async () => {
      const st = await snapshotStatus(write(c.file()));
      assert.equal(st.sha256.state, c.digest);
      const errs = statusErrors(st);
      assert.ok(errs.some((e) => c.expect.test(e)), errs.join('\n'));
    });
  }

  it('accepts a digest-less db with --skip-hash-check', async () => {
    const st = await snapshotStatus(write(etcdDb()));
    assert.deepEqual(statusErrors(st, { skipHashCheck: true }), []);
    assert.equal(st.revision, 6);
  });

  it('with --skip-hash-check does not read the digest at all (as etcdutl restore)', async () => {
    const f = withDigest(etcdDb());
    f[f.length - 1] ^= 1;
    const st = await snapshotStatus(write(f), { skipHashCheck: true });
    assert.equal(st.sha256.state, 'skipped');
    assert.deepEqual(statusErrors(st, { skipHashCheck: true }), []);
    assert.equal(st.hash, (await snapshotStatus(write(withDigest(etcdDb())))).hash, 'the figures do not depend on the digest');
  });
});
