import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBolt } from './bolt/reader.js';
import { BoltFileWriter } from './bolt/writer.js';
import { newInitialCluster } from './membership.js';
import { revisionBytes, rewriteDb } from './restore.js';

type Buckets = Record<string, Array<[Buffer | string, Buffer | string]>>;

const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};

function writeDb(file: string, buckets: Buckets): void {
  const w = new BoltFileWriter(file);
  const root = w.root();
  for (const name of Object.keys(buckets).sort()) {
    const b = w.bucket();
    const entries = buckets[name].map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as const).sort((x, y) => Buffer.compare(x[0], y[0]));
    for (const [k, v] of entries) b.put(k, v);
    root.putBucket(Buffer.from(name), b.finish());
  }
  w.close(root);
}

function readDb(file: string): Record<string, Record<string, string>> {
  const db = openBolt(file);
  try {
    assert.deepEqual(db.check().errors, []);
    const out: Record<string, Record<string, string>> = {};
    db.forEachBucket((name, b) => {
      const m: Record<string, string> = {};
      b.forEach((k, v) => (m[k.toString('latin1')] = v.toString('hex')));
      out[name.toString()] = m;
    });
    return out;
  } finally {
    db.close();
  }
}

const OLD_MEMBER = ['8e9e05c52164694d', '{"id":10276657743932975437,"peerURLs":["http://localhost:2380"],"name":"default","clientURLs":["http://localhost:2379"]}'] as const;

function snapshotDb(meta: Array<[string, Buffer | string]>): Buckets {
  return {
    alarm: [],
    auth: [['authRevision', u64(1)]],
    cluster: [['clusterVersion', '3.5.0']],
    key: [
      [revisionBytes(2n), 'kv-a'],
      [revisionBytes(3n), 'kv-b'],
      [Buffer.concat([revisionBytes(4n), Buffer.from('t')]), 'tombstone-a'],
    ],
    lease: [],
    members: [[OLD_MEMBER[0], OLD_MEMBER[1]]],
    members_removed: [['1234', 'removed']],
    meta,
  };
}

describe('rewriteDb', () => {
  const cluster = newInitialCluster('a=http://10.0.0.1:2380,b=http://10.0.0.2:2380,c=http://10.0.0.3:2380', 'new-token');
  const cases: Array<{
    story: string;
    meta: Array<[string, Buffer | string]>;
    bump?: bigint;
    expectMeta: Record<string, string>;
    expectLastKey?: string;
    v35: boolean;
    revisions: [bigint, bigint];
  }> = [
    {
      story: 'an etcd 3.4 snapshot: consistent_index becomes the member count; no term appears',
      meta: [['consistent_index', u64(987)]],
      expectMeta: { consistent_index: u64(3).toString('hex') },
      v35: false,
      revisions: [4n, 4n],
    },
    {
      story: 'an etcd 3.5 snapshot: term is reset to 1 with the index; confState stays as etcdutl leaves it',
      meta: [
        ['confState', '{"voters":[1]}'],
        ['consistent_index', u64(987)],
        ['term', u64(12)],
      ],
      expectMeta: { confState: Buffer.from('{"voters":[1]}').toString('hex'), consistent_index: u64(3).toString('hex'), term: u64(1).toString('hex') },
      v35: true,
      revisions: [4n, 4n],
    },
    {
      story: '--bump-revision 1000 --mark-compacted: an empty entry at latest+1000 and the compaction scheduled there',
      meta: [['consistent_index', u64(5)], ['finishedCompactRev', revisionBytes(1n)]],
      bump: 1000n,
      expectMeta: {
        consistent_index: u64(3).toString('hex'),
        finishedCompactRev: revisionBytes(1n).toString('hex'),
        scheduledCompactRev: revisionBytes(1004n).toString('hex'),
      },
      expectLastKey: revisionBytes(1004n).toString('latin1'),
      v35: false,
      revisions: [4n, 1004n],
    },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'rewrite-'));
      try {
        const src = path.join(dir, 'snap.db');
        const source = snapshotDb(c.meta);
        writeDb(src, source);
        const res = rewriteDb(src, path.join(dir, 'db'), { members: cluster.members, consistentIndex: 3n, term: 1n, bump: c.bump ?? 0n, markCompacted: !!c.bump });
        assert.equal(res.v35, c.v35);
        assert.deepEqual([res.revision, res.restoredRevision], c.revisions);
        const out = readDb(path.join(dir, 'db'));
        const before = readDb(src);
        assert.deepEqual(out.meta, c.expectMeta);
        for (const [id, json] of Object.entries(out.members)) {
          const m = cluster.members.find((x) => x.id.toString(16) === id);
          assert.ok(m, `member ${id} is one of the new cluster's`);
          assert.deepEqual(JSON.parse(Buffer.from(json, 'hex').toString()), { id: Number(m.id), peerURLs: m.peerURLs, name: m.name }, 'keyed by hex id, valued by its JSON');
        }
        assert.deepEqual(Object.keys(out.members).sort(), cluster.members.map((m) => m.id.toString(16)).sort());
        assert.deepEqual(out.members_removed, {}, 'the old removed members are gone');
        for (const b of ['alarm', 'auth', 'cluster', 'lease']) assert.deepEqual(out[b], before[b], `${b} is copied as is`);
        const keys = Object.keys(out.key);
        assert.deepEqual(keys.slice(0, 3), Object.keys(before.key), 'every revision of the keyspace is kept');
        if (c.expectLastKey) {
          assert.equal(keys.at(-1), c.expectLastKey);
          assert.equal(out.key[c.expectLastKey], '', 'the bump entry has an empty value');
        } else assert.equal(keys.length, 3);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
