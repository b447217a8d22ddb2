// `upkeep etcd snapshot restore` against real etcd 3.4: snapshots saved by etcdctl from a live
// member are restored by upkeep, and real etcd must start on the result and serve every key with
// the revisions it had; three restored members must form a cluster; the raft files must be
// byte for byte what etcdctl writes; refusals must leave nothing behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { upkeep } from './helpers/cli.js';
import { type EtcdProcess, dumpKeys, etcdctl, freePort, startEtcd, waitHealthy } from './helpers/etcd-process.js';
import { createEtcdClient } from '../src/etcd/connection.js';
import { openBolt } from '../src/etcd/bolt/reader.js';
import { newInitialCluster } from '../src/etcd/membership.js';
import { idString } from '../src/etcd/snap.js';

const WAL = path.join('member', 'wal', '0000000000000000-0000000000000000.wal');

describe('etcd snapshot restore', { timeout: 180_000 }, () => {
  let dir: string;
  let snapshot: string;
  let original: Awaited<ReturnType<typeof dumpKeys>>;
  const running: EtcdProcess[] = [];

  const start = async (o: Parameters<typeof startEtcd>[0]) => {
    const p = await startEtcd(o);
    running.push(p);
    return p;
  };
  const stop = async (p: EtcdProcess) => {
    await p.stop();
    running.splice(running.indexOf(p), 1);
  };

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-etcd-restore-'));
    // A member with history: creates, updates, deletes, values larger than a bbolt page,
    // a binary key, and enough keys for branch pages.
    const src = await start({ dataDir: path.join(dir, 'source') });
    const c = await createEtcdClient({ endpoints: [src.clientURL] });
    try {
      for (let i = 0; i < 2000; i += 100) {
        await Promise.all(
          Array.from({ length: 100 }, (_, j) => c.put({ key: Buffer.from(`/registry/configmaps/ns${(i + j) % 7}/cm-${i + j}`), value: Buffer.from(`{"data":"${'v'.repeat((i + j) % 300)}"}`) })),
        );
      }
      for (let i = 0; i < 200; i++) await c.deleteRange({ key: Buffer.from(`/registry/configmaps/ns${i % 7}/cm-${i}`) });
      for (let i = 200; i < 400; i++) await c.put({ key: Buffer.from(`/registry/configmaps/ns${i % 7}/cm-${i}`), value: Buffer.from(`updated ${i}`) });
      await c.put({ key: Buffer.from('/registry/secrets/big/blob'), value: Buffer.alloc(300_000, 0x61) });
      await c.put({ key: Buffer.from([0x00, 0xff, 0x2f, 0x62]), value: Buffer.from([1, 2, 3]) });
    } finally {
      c.close();
    }
    snapshot = path.join(dir, 'snap.db');
    const saved = await etcdctl(['--endpoints', src.clientURL, 'snapshot', 'save', snapshot]);
    assert.equal(saved.code, 0, saved.stderr);
    original = await dumpKeys(src.clientURL);
    await stop(src);
  });

  after(async () => {
    for (const p of [...running]) await p.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('restores a member that real etcd starts on, serving every key with its value and revisions', async () => {
    const dataDir = path.join(dir, 'restored-1');
    const peer = `http://127.0.0.1:${await freePort()}`;
    const r = await upkeep(['etcd', 'snapshot', 'restore', snapshot, '--data-dir', dataDir, '--name', 'm1', '--initial-cluster', `m1=${peer}`, '--initial-advertise-peer-urls', peer]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`restored ${snapshot} into ${dataDir} \\(sha256 verified\\)`));
    // Piped: no progress, only the result (the steps show as a live line on a terminal).
    assert.equal(r.err, '');
    const ids = newInitialCluster(`m1=${peer}`, 'etcd-cluster');
    assert.match(r.out, new RegExp(`member: +m1 \\(${idString(ids.members[0].id)}\\) of cluster ${idString(ids.clusterID)}`));
    for (const f of ['member/snap/db', WAL, 'member/snap/0000000000000001-0000000000000001.snap']) await fs.access(path.join(dataDir, f));

    const etcd = await start({ dataDir, name: 'm1', peerPort: Number(new URL(peer).port) });
    const restored = await dumpKeys(etcd.clientURL);
    assert.equal(restored.kvs.length, original.kvs.length);
    assert.deepEqual(restored.kvs, original.kvs, 'same keys, values, create/mod revisions and versions');
    assert.equal(restored.revision, original.revision, 'the revision carries over');

    const members = await etcdctl(['--endpoints', etcd.clientURL, 'member', 'list', '-w', 'json']);
    const list = JSON.parse(members.stdout) as { header: { cluster_id: string | number }; members: Array<{ name: string; peerURLs: string[] }> };
    assert.deepEqual(
      list.members.map((m) => [m.name, m.peerURLs]),
      [['m1', [peer]]],
      'only the new member, not the one the snapshot was taken from',
    );
    // History before the snapshot is there too: an updated key read at its first revision.
    const k = original.kvs.find((kv) => kv.key === '/registry/configmaps/ns6/cm-300')!;
    const old = await etcdctl(['--endpoints', etcd.clientURL, 'get', k.key, '--rev', String(k.create), '--print-value-only']);
    assert.match(old.stdout, /^\{"data":"v*"\}/);
    const put = await etcdctl(['--endpoints', etcd.clientURL, 'put', '/registry/after', 'x', '-w', 'json']);
    assert.equal((JSON.parse(put.stdout) as { header: { revision: number } }).header.revision, original.revision + 1, 'new writes continue from the old revision');
    await stop(etcd);
  });

  it("writes the same WAL and raft snapshot files as etcdctl's restore, and an equivalent db", async () => {
    const flags = ['--name', 'b', '--initial-cluster', 'a=http://127.0.0.1:24001,b=http://127.0.0.1:24002', '--initial-cluster-token', 'tok', '--initial-advertise-peer-urls', 'http://127.0.0.1:24002'];
    const ours = path.join(dir, 'ours');
    const theirs = path.join(dir, 'theirs');
    assert.equal((await upkeep(['etcd', 'snapshot', 'restore', snapshot, '--data-dir', ours, ...flags])).code, 0);
    const e = await etcdctl(['snapshot', 'restore', snapshot, '--data-dir', theirs, ...flags]);
    assert.equal(e.code, 0, e.stderr);
    for (const f of [WAL, 'member/snap/0000000000000001-0000000000000002.snap']) {
      assert.ok((await fs.readFile(path.join(ours, f))).equals(await fs.readFile(path.join(theirs, f))), `${f} is byte for byte etcdctl's`);
    }
    const dump = (file: string) => {
      const db = openBolt(file);
      try {
        assert.deepEqual(db.check().errors, []);
        const out: Record<string, string[]> = {};
        db.forEachBucket((name, b) => b.forEach((k, v) => (out[name.toString()] ??= []).push(`${k.toString('latin1')}=${v.toString('latin1')}`)));
        return out;
      } finally {
        db.close();
      }
    };
    const mine = dump(path.join(ours, 'member/snap/db'));
    const etcdctls = dump(path.join(theirs, 'member/snap/db'));
    // etcdctl 3.4 leaves the old cluster's members in the db's members bucket (3.5 fixed that by
    // trimming it and adding the new members); upkeep writes what 3.5 does.
    const { members, ...rest } = mine;
    delete etcdctls.members;
    assert.deepEqual(rest, etcdctls, 'the same keyspace, meta and other buckets');
    const cluster = newInitialCluster('a=http://127.0.0.1:24001,b=http://127.0.0.1:24002', 'tok');
    assert.deepEqual(
      members.map((m) => JSON.parse(m.slice(m.indexOf('=') + 1)).name),
      ['a', 'b'],
      'the members bucket holds the new cluster',
    );
    assert.deepEqual(members.map((m) => m.slice(0, m.indexOf('='))).sort(), cluster.members.map((m) => idString(m.id)).sort());
  });

  it('restores three members that form a healthy cluster', async () => {
    const ports = await Promise.all([0, 1, 2].map(async () => ({ peer: await freePort(), client: await freePort() })));
    const initial = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peer}`).join(',');
    const members: EtcdProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const dataDir = path.join(dir, `cluster-m${i}`);
      const r = await upkeep([
        'etcd', 'snapshot', 'restore', snapshot,
        '--data-dir', dataDir,
        '--name', `m${i}`,
        '--initial-cluster', initial,
        '--initial-cluster-token', 'restored-cluster',
        '--initial-advertise-peer-urls', `http://127.0.0.1:${ports[i].peer}`,
      ]);
      assert.equal(r.code, 0, r.err);
      members.push(await start({ dataDir, name: `m${i}`, peerPort: ports[i].peer, clientPort: ports[i].client, initialCluster: initial, initialClusterToken: 'restored-cluster', waitHealthy: false }));
    }
    for (const m of members) await waitHealthy(m.clientURL);
    const health = await etcdctl(['--endpoints', members.map((m) => m.clientURL).join(','), 'endpoint', 'health']);
    assert.equal(health.code, 0, health.stderr);
    for (const m of members) assert.match(health.stdout + health.stderr, new RegExp(`${m.clientURL} is healthy`));
    // A write through one member is read back through another, after the restored keys.
    const put = await etcdctl(['--endpoints', members[0].clientURL, 'put', '/registry/new', 'v']);
    assert.equal(put.code, 0, put.stderr);
    const restored = await dumpKeys(members[2].clientURL);
    assert.deepEqual(restored.kvs.filter((kv) => kv.key !== '/registry/new'), original.kvs);
    assert.equal(restored.kvs.find((kv) => kv.key === '/registry/new')?.mod, original.revision + 1);
    for (const m of members) await stop(m);
  });

  it('--bump-revision with --mark-compacted moves the revision forward and compacts the old ones', async () => {
    const dataDir = path.join(dir, 'bumped');
    const peer = `http://127.0.0.1:${await freePort()}`;
    const r = await upkeep(['etcd', 'snapshot', 'restore', snapshot, '--data-dir', dataDir, '--initial-cluster', `default=${peer}`, '--initial-advertise-peer-urls', peer, '--bump-revision', '1000000', '--mark-compacted', '-o', 'json']);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as { revision: number; restoredRevision: number; compactedRevision: number };
    assert.deepEqual([out.revision, out.restoredRevision, out.compactedRevision], [original.revision, original.revision + 1_000_000, original.revision + 1_000_000]);
    assert.equal(r.err, '', 'with -o json, no progress');
    const etcd = await start({ dataDir, peerPort: Number(new URL(peer).port) });
    const restored = await dumpKeys(etcd.clientURL);
    assert.equal(restored.revision, original.revision + 1_000_000);
    assert.deepEqual(restored.kvs, original.kvs, 'keys keep their own revisions');
    const old = await etcdctl(['--endpoints', etcd.clientURL, 'get', '/registry/configmaps/ns0/cm-700', '--rev', String(original.revision)]);
    assert.notEqual(old.code, 0);
    assert.match(old.stderr, /required revision has been compacted/);
    const watch = await etcdctl(['--endpoints', etcd.clientURL, 'watch', '/registry/', '--prefix', '--rev', String(original.revision)], 5_000);
    assert.match(watch.stdout + watch.stderr, /compacted/, 'a watch resuming from before the restore is told to relist');
    await stop(etcd);
  });

  it('restores a db copied from a data directory (no hash) with --skip-hash-check', async () => {
    const copy = path.join(dir, 'copied-db');
    const bytes = await fs.readFile(snapshot);
    await fs.writeFile(copy, bytes.subarray(0, bytes.length - 32));
    const refused = await upkeep(['etcd', 'snapshot', 'restore', copy, '--data-dir', path.join(dir, 'nohash-refused')]);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /(^|\n)error: snapshot missing hash but --skip-hash-check=false\n$/);
    const dataDir = path.join(dir, 'nohash');
    const peer = `http://127.0.0.1:${await freePort()}`;
    const r = await upkeep(['etcd', 'snapshot', 'restore', copy, '--skip-hash-check', '--data-dir', dataDir, '--initial-cluster', `default=${peer}`, '--initial-advertise-peer-urls', peer]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /hash check skipped/);
    const etcd = await start({ dataDir, peerPort: Number(new URL(peer).port) });
    assert.deepEqual((await dumpKeys(etcd.clientURL)).kvs, original.kvs);
    await stop(etcd);
  });

  it('on a terminal, shows its steps on one live line, cleared before the result', async () => {
    const dataDir = path.join(dir, 'restored-tty');
    const r = await upkeep(['etcd', 'snapshot', 'restore', snapshot, '--data-dir', dataDir], { isTTY: true });
    assert.equal(r.code, 0, r.err);
    const redraw = '\r\x1b[2K';
    const steps = r.err.split(redraw);
    assert.equal(steps.at(-1), '', 'the line is cleared at the end');
    assert.deepEqual(steps.slice(1, -1).map((t) => t.replace(/\d+\.\d MiB/, 'N MiB')), [
      'checking the sha256 of N MiB...',
      'writing the new database (1 member, consistent index 1)...',
      'writing the WAL and the raft snapshot for member default...',
    ]);
    assert.ok(!r.err.includes('\n'), 'nothing scrolls');
  });

  const refusals: Array<{ story: string; setup?: (dataDir: string) => Promise<string | void>; args: (dataDir: string, file: string) => string[]; code: number; err: RegExp }> = [
    {
      story: 'a data dir that is not empty',
      setup: async (d) => {
        await fs.mkdir(d, { recursive: true });
        await fs.writeFile(path.join(d, 'keep-me'), 'x');
      },
      args: (d, f) => [f, '--data-dir', d],
      code: 2,
      err: /^error: data-dir ".*" not empty or could not be read\n$/,
    },
    {
      story: 'a snapshot whose sha256 does not match (one byte changed)',
      setup: async () => {
        const bad = path.join(dir, 'corrupt.db');
        const b = await fs.readFile(snapshot);
        b[5000] ^= 0xff;
        await fs.writeFile(bad, b);
        return bad;
      },
      args: (d, f) => [f, '--data-dir', d],
      code: 2,
      err: /^error: snapshot .*corrupt\.db is corrupt: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64} \(--skip-hash-check restores it anyway\)\n$/,
    },
    {
      story: 'a truncated snapshot (its last 5000 bytes cut off), saying "truncated" first',
      setup: async () => {
        const cut = path.join(dir, 'cut.db');
        const b = await fs.readFile(snapshot);
        await fs.writeFile(cut, b.subarray(0, b.length - 5000));
        return cut;
      },
      args: (d, f) => [f, '--data-dir', d],
      code: 2,
      err: /^error: snapshot .*cut\.db is truncated: the meta page says \d+ bytes of pages but the file has \d+ bytes \(4968 missing\); take a new snapshot\n$/,
    },
    { story: 'a name that is not in --initial-cluster', args: (d, f) => [f, '--data-dir', d, '--name', 'other'], code: 2, err: /^error: couldn't find local name "other" in the initial cluster configuration\n$/ },
    {
      story: 'advertised peer URLs that are not the member entry',
      args: (d, f) => [f, '--data-dir', d, '--initial-advertise-peer-urls', 'http://127.0.0.1:9'],
      code: 2,
      err: /--initial-cluster has default=http:\/\/localhost:2380 but missing from --initial-advertise-peer-urls=http:\/\/127.0.0.1:9/,
    },
    { story: '--bump-revision without --mark-compacted', args: (d, f) => [f, '--data-dir', d, '--bump-revision', '10'], code: 2, err: /--mark-compacted required if --bump-revision > 0/ },
    { story: 'a snapshot file that does not exist', args: (d) => [path.join(dir, 'missing.db'), '--data-dir', d], code: 2, err: /cannot read snapshot .*missing\.db: no such file/ },
    {
      story: 'a data dir that cannot be created (under /proc)',
      args: (_d, f) => [f, '--data-dir', '/proc/upkeep-restore-x'],
      code: 2,
      err: /^error: invalid --data-dir: cannot create directory \/proc\/upkeep-restore-x\/member\/snap: \/proc\/upkeep-restore-x: the file system does not allow creating it \(ENOENT\)\n$/,
    },
  ];
  for (const c of refusals) {
    it(`refuses ${c.story} with one line and leaves nothing behind`, async () => {
      const dataDir = path.join(dir, `refused-${c.story.replace(/\W+/g, '-')}`);
      const file = (await c.setup?.(dataDir)) ?? snapshot;
      const before = await fs.readdir(dataDir).catch(() => undefined);
      const r = await upkeep(['etcd', 'snapshot', 'restore', ...c.args(dataDir, file)]);
      assert.equal(r.code, c.code, r.err);
      // Progress lines may come first (piped: plain lines); the refusal is one line, the last.
      const lines = r.err.trim().split('\n');
      assert.match(lines.at(-1)! + '\n', c.err);
      assert.equal(lines.filter((l) => !l.endsWith('...')).length, 1, 'one line');
      assert.deepEqual(await fs.readdir(dataDir).catch(() => undefined), before, 'the data dir is as it was');
    });
  }
});

