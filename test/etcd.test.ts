// etcd snapshots, members, health and discovery against real etcd (Debian's etcd-server and
// etcd-client: scripts/setup-test-deps.sh), compared with etcdctl on the same files.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs, statSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { upkeep } from './helpers/cli.js';
import { dumpKeys, etcdctl, freePort, startEtcd, waitHealthy, type EtcdProcess } from './helpers/etcd-process.js';
import { testSandbox, type TestSandbox } from './helpers/sandbox.js';
import { createEtcdClient, type EtcdClient } from '../src/etcd/connection.js';
import { saveVerifiedSnapshot } from '../src/etcd/snapshot.js';
import { testCertificates } from '../src/kube/testing/tls.js';

const hasEtcd = (() => {
  try {
    execFileSync('etcd', ['--version'], { stdio: 'ignore' });
    execFileSync('etcdctl', ['version'], { stdio: 'ignore', env: { ...process.env, ETCDCTL_API: '3' } });
    return true;
  } catch {
    return false;
  }
})();
const skip = hasEtcd ? false : 'etcd and etcdctl are not installed (scripts/setup-test-deps.sh)';

const b = (s: string) => Buffer.from(s);

/** A cluster's life in writes: puts, overwrites, deletes, transactions, leases, a compaction. */
async function writeHistory(c: EtcdClient): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    await c.put({ key: b(`/registry/pods/default/web-${String(i).padStart(4, '0')}`), value: Buffer.alloc(180, i % 251) });
  }
  for (let i = 0; i < 300; i++) await c.put({ key: b(`/registry/pods/default/web-${String(i).padStart(4, '0')}`), value: b(`v2-${i}`) });
  await c.deleteRange({ key: b('/registry/pods/default/web-1'), range_end: b('/registry/pods/default/web-2') });
  // A transaction that succeeds (create-if-absent), and one that takes its failure branch.
  const created = await c.txn({
    compare: [{ result: 'EQUAL', target: 'VERSION', key: b('/registry/configmaps/kube-system/lock'), version: 0 }],
    success: [{ request_put: { key: b('/registry/configmaps/kube-system/lock'), value: b('holder-a') } }, { request_put: { key: b('/registry/ranges/serviceips'), value: b('bitmap') } }],
    failure: [],
  });
  assert.equal(created.succeeded, true);
  const lost = await c.txn({
    compare: [{ result: 'EQUAL', target: 'VERSION', key: b('/registry/configmaps/kube-system/lock'), version: 0 }],
    success: [{ request_put: { key: b('/registry/configmaps/kube-system/lock'), value: b('holder-b') } }],
    failure: [{ request_delete_range: { key: b('/registry/ranges/serviceips') } }],
  });
  assert.equal(lost.succeeded, false);
  // Leases: one kept, one revoked with its keys.
  const kept = await c.leaseGrant(600);
  const gone = await c.leaseGrant(600);
  await c.put({ key: b('/registry/leases/kube-node-lease/node-1'), value: b('renew'), lease: kept.ID });
  await c.put({ key: b('/registry/events/default/e1'), value: b('event'), lease: gone.ID });
  await c.put({ key: b('/registry/events/default/e2'), value: b('event'), lease: gone.ID });
  await c.leaseRevoke(gone.ID);
  // A value spanning many pages.
  await c.put({ key: b('/registry/secrets/default/big'), value: Buffer.alloc(300_000, 7) });
  const mid = await c.put({ key: b('compact_rev_key'), value: b('x') });
  await c.compact({ revision: mid.header.revision, physical: true });
  for (let i = 0; i < 50; i++) await c.put({ key: b(`/registry/services/specs/default/svc-${i}`), value: b(`spec-${i}`) });
}

function figures(json: string): { hash: number; revision: number; totalKey: number; totalSize: number } {
  const j = JSON.parse(json) as Record<string, number>;
  return { hash: j.hash, revision: j.revision, totalKey: j.totalKey, totalSize: j.totalSize };
}

describe('etcd snapshot save and status against real etcd', { skip }, () => {
  let dir: string;
  let etcd: EtcdProcess;
  let client: EtcdClient;
  let ours: string;
  let theirs: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-etcd-'));
    etcd = await startEtcd({ dataDir: path.join(dir, 'data') });
    client = await createEtcdClient({ endpoints: [etcd.clientURL] });
    await writeHistory(client);
    ours = path.join(dir, 'ours.db');
    theirs = path.join(dir, 'theirs.db');
  });
  after(async () => {
    client?.close();
    await etcd?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('compares by mod revision in a transaction, and reports watch events as PUT and DELETE', async () => {
    // A compare-and-swap as the sandbox's store does it: the write goes through only at the right mod_revision.
    const put = await client.put({ key: b('/registry/configmaps/default/cas'), value: b('1') });
    const rev = put.header.revision;
    const stale = await client.txn({ compare: [{ result: 'EQUAL', target: 'MOD', key: b('/registry/configmaps/default/cas'), mod_revision: String(Number(rev) - 1) }], success: [{ request_put: { key: b('/registry/configmaps/default/cas'), value: b('stale') } }], failure: [] });
    assert.equal(stale.succeeded, false, 'a stale mod_revision loses');
    const fresh = await client.txn({ compare: [{ result: 'EQUAL', target: 'MOD', key: b('/registry/configmaps/default/cas'), mod_revision: rev }], success: [{ request_put: { key: b('/registry/configmaps/default/cas'), value: b('2') } }], failure: [] });
    assert.equal(fresh.succeeded, true, 'the current mod_revision wins');
    const w = client.watch();
    w.on('error', () => undefined); // cancelled below
    const types: string[] = [];
    const seen = new Promise<void>((resolve) => {
      w.on('data', (res: { events?: Array<{ type: string }> }) => {
        for (const e of res.events ?? []) types.push(e.type);
        if (types.length >= 2) resolve();
      });
    });
    w.write({ create_request: { key: b('/registry/configmaps/default/cas'), start_revision: String(Number(rev) + 1) } });
    await client.deleteRange({ key: b('/registry/configmaps/default/cas') });
    await seen;
    w.cancel();
    assert.deepEqual(types, ['PUT', 'DELETE']);
  });

  it('saves a snapshot in the etcdctl format: mode 0600, no partial file, digest verified', async () => {
    const r = await upkeep(['etcd', 'snapshot', 'save', ours, '--endpoints', etcd.clientURL]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `Snapshot saved at ${ours}\n`);
    assert.match(r.err, /from http:\/\/127\.0\.0\.1:\d+ at revision \d+ in .*; sha256 [0-9a-f]{64} verified/);
    assert.equal(statSync(ours).mode & 0o777, 0o600);
    assert.equal(statSync(ours).size % 512, 32, 'the db, then the 32-byte sha256');
    assert.equal(existsSync(`${ours}.part`), false);
    const e = await etcdctl(['--endpoints', etcd.clientURL, 'snapshot', 'save', theirs]);
    assert.equal(e.code, 0, e.stderr);
  });

  it("status equals etcdctl snapshot status on upkeep's file and on etcdctl's", async () => {
    for (const file of [ours, theirs]) {
      const mine = await upkeep(['etcd', 'snapshot', 'status', file, '-w', 'json']);
      assert.equal(mine.code, 0, mine.err);
      const ref = await etcdctl(['snapshot', 'status', file, '-w', 'json']);
      assert.equal(ref.code, 0, ref.stderr);
      assert.deepEqual(figures(mine.out), figures(ref.stdout), file);
      const simple = await upkeep(['etcd', 'snapshot', 'status', file, '-w', 'simple']);
      const refSimple = await etcdctl(['snapshot', 'status', file]);
      assert.equal(simple.out, refSimple.stdout, "etcdctl's simple line, byte for byte");
    }
  });

  it('counts live keys as etcd 3.6 does, and reports the digest and the pages', async () => {
    const r = await upkeep(['etcd', 'snapshot', 'status', ours, '-w', 'json']);
    const st = JSON.parse(r.out) as { revision: number; liveKeys: number; totalKey: number; sha256: { state: string }; integrity: { ok: boolean }; pages: { overflow: number; branch: number } };
    const live = await dumpKeys(etcd.clientURL);
    assert.equal(st.liveKeys, live.kvs.length);
    assert.ok(st.totalKey > st.liveKeys, 'the 3.4/3.5 count includes every revision kept and internal keys');
    assert.equal(st.revision, live.revision, 'no writes since the save');
    assert.equal(st.sha256.state, 'ok');
    assert.equal(st.integrity.ok, true);
    assert.ok(st.pages.overflow > 0 && st.pages.branch > 0, 'the data spans branch and overflow pages');
    const table = await upkeep(['etcd', 'snapshot', 'status', ours]);
    assert.match(table.out, /^hash: +[0-9a-f]+\nrevision: +\d+\ntotal keys: +\d+ \(etcd 3\.4\/3\.5 count/m);
    assert.match(table.out, /sha256: +ok \([0-9a-f]{64}\)/);
    assert.match(table.out, /pages: +consistent: /);
  });

  it("etcdctl restores upkeep's snapshot, and the restored member serves the same keys", async () => {
    const restored = path.join(dir, 'restored');
    const port = await freePort();
    const r = await etcdctl(['snapshot', 'restore', ours, '--data-dir', restored, '--name', 'r', '--initial-cluster', `r=http://127.0.0.1:${port}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${port}`]);
    assert.equal(r.code, 0, r.stderr);
    const second = await startEtcd({ dataDir: restored, name: 'r', peerPort: port });
    try {
      const want = await dumpKeys(etcd.clientURL);
      const got = await dumpKeys(second.clientURL);
      assert.equal(got.kvs.length, want.kvs.length);
      assert.deepEqual(got.kvs, want.kvs);
    } finally {
      await second.stop();
    }
  });

  it('says clearly what is wrong with a corrupted, truncated, hash-less or foreign file', async () => {
    const data = await fs.readFile(ours);
    const flip = Buffer.from(data);
    flip[Math.floor(data.length / 2)] ^= 0xff;
    const cases: Array<{ story: string; bytes: Buffer; args?: string[]; code: number; err: RegExp }> = [
      { story: 'one flipped byte', bytes: flip, code: 2, err: /sha256 mismatch: the snapshot says [0-9a-f]{64}, its data hashes to [0-9a-f]{64}: the file is corrupted/ },
      { story: 'cut in half', bytes: data.subarray(0, Math.floor(data.length / 2) + 100), code: 2, err: /truncated/ },
      { story: 'the db without its digest', bytes: data.subarray(0, data.length - 32), code: 2, err: /snapshot missing hash: this looks like a db file copied from a data dir/ },
      { story: 'the db without its digest, accepted with --skip-hash-check', bytes: data.subarray(0, data.length - 32), args: ['--skip-hash-check'], code: 0, err: /^$/ },
      { story: 'not a snapshot at all', bytes: Buffer.from('{"kind":"Pod"}\n'.repeat(400)), code: 2, err: /is not an etcd snapshot: not a bbolt database/ },
    ];
    for (const c of cases) {
      const file = path.join(dir, `bad-${c.story.replace(/\W+/g, '-')}.db`);
      await fs.writeFile(file, c.bytes);
      const r = await upkeep(['etcd', 'snapshot', 'status', file, ...(c.args ?? [])]);
      assert.equal(r.code, c.code, `${c.story}: ${r.err}`);
      assert.match(r.err, c.err, c.story);
    }
    const missing = await upkeep(['etcd', 'snapshot', 'status', path.join(dir, 'nope.db')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /snapshot file .*nope\.db not found/);
  });

  it('fails a stalled stream after --stall-timeout, leaving nothing behind', async () => {
    // A proxy that passes 64 KiB of the answer, then holds the connection open and silent.
    const target = new URL(etcd.clientURL);
    const sockets: net.Socket[] = [];
    const proxy = net.createServer((c) => {
      const s = net.connect(Number(target.port), target.hostname);
      sockets.push(c, s);
      let passed = 0;
      c.on('data', (d) => s.write(d));
      s.on('data', (d) => {
        if (passed < 64 * 1024) c.write(d);
        passed += d.length;
      });
      c.on('error', () => undefined);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as net.AddressInfo).port;
    const file = path.join(dir, 'stalled.db');
    try {
      const t0 = Date.now();
      const r = await upkeep(['etcd', 'snapshot', 'save', file, '--endpoints', `127.0.0.1:${port}`, '--stall-timeout', '1s']);
      assert.equal(r.code, 1);
      assert.match(r.err, /snapshot from 127\.0\.0\.1:\d+ stalled: no data for 1s after \d+ of \d+ bytes; nothing was saved/);
      assert.ok(Date.now() - t0 < 15_000);
      assert.equal(existsSync(file), false);
      assert.equal(existsSync(`${file}.part`), false);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });

  it('saves and proves a snapshot in one call (the library path the demo uses)', async () => {
    const file = path.join(dir, 'verified.db');
    const { save, status } = await saveVerifiedSnapshot({ endpoints: [etcd.clientURL] }, file);
    assert.equal(status.sha256.state, 'ok');
    assert.equal(status.sha256.actual, save.sha256);
    assert.equal(status.revision, save.revision);
    assert.equal(status.totalSize, save.dbSize);
    assert.equal(status.check.ok, true);
  });

  it('refuses two endpoints, and names an endpoint that does not answer', async () => {
    const two = await upkeep(['etcd', 'snapshot', 'save', path.join(dir, 'x.db'), '--endpoints', `${etcd.clientURL},127.0.0.1:1`]);
    assert.equal(two.code, 2);
    assert.match(two.err, /snapshot save needs exactly one endpoint \(the member to copy\), got 2/);
    const down = await upkeep(['etcd', 'snapshot', 'save', path.join(dir, 'x.db'), '--endpoints', '127.0.0.1:1', '--dial-timeout', '300ms']);
    assert.equal(down.code, 1);
    assert.match(down.err, /cannot connect to etcd at 127\.0\.0\.1:1 within 300ms \(--dial-timeout\)/);
    assert.equal(existsSync(path.join(dir, 'x.db.part')), false);
  });
});

describe('etcd with authentication and TLS', { skip }, () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-etcd-auth-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('logs in with --user name:password (and is refused without it)', async () => {
    const etcd = await startEtcd({ dataDir: path.join(dir, 'auth') });
    try {
      const ep = ['--endpoints', etcd.clientURL];
      for (const args of [['user', 'add', 'root:pw'], ['user', 'grant-role', 'root', 'root'], ['auth', 'enable']]) {
        const r = await etcdctl([...ep, ...args]);
        assert.equal(r.code, 0, r.stderr);
      }
      const file = path.join(dir, 'auth.db');
      const refused = await upkeep(['etcd', 'snapshot', 'save', file, ...ep]);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /refused Maintenance\.Snapshot: .*user name is empty \(give --user\); nothing was saved/);
      const ok = await upkeep(['etcd', 'snapshot', 'save', file, ...ep, '--user', 'root:pw']);
      assert.equal(ok.code, 0, ok.err);
      const members = await upkeep(['etcd', 'members', ...ep, '-w', 'json'], {});
      assert.equal(members.code, 0, members.err);
      const viaEnv = await withEnv({ ETCDCTL_USER: 'root', ETCDCTL_PASSWORD: 'pw' }, () => upkeep(['etcd', 'health', ...ep]));
      assert.equal(viaEnv.code, 0, viaEnv.err);
    } finally {
      await etcd.stop();
    }
  });

  it('speaks TLS with --cacert, --cert and --key to an etcd that requires client certificates', async () => {
    const certs = testCertificates();
    const files: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ca: certs.caCert, server: certs.serverCert, serverKey: certs.serverKey, client: certs.clientCert, clientKey: certs.clientKey, other: certs.otherCaCert })) {
      files[k] = path.join(dir, `${k}.pem`);
      await fs.writeFile(files[k], v);
    }
    const port = await freePort();
    const url = `https://127.0.0.1:${port}`;
    const etcd = await startEtcd({
      dataDir: path.join(dir, 'tls'),
      clientPort: port,
      waitHealthy: false,
      extraArgs: [`--listen-client-urls=${url}`, `--advertise-client-urls=${url}`, `--cert-file=${files.server}`, `--key-file=${files.serverKey}`, `--trusted-ca-file=${files.ca}`, '--client-cert-auth'],
    });
    try {
      const tls = ['--cacert', files.ca, '--cert', files.client, '--key', files.clientKey];
      let health = await upkeep(['etcd', 'health', '--endpoints', url, ...tls]);
      for (let i = 0; i < 50 && health.code !== 0; i++) {
        await new Promise((r) => setTimeout(r, 200));
        health = await upkeep(['etcd', 'health', '--endpoints', url, ...tls]);
      }
      assert.equal(health.code, 0, health.err + health.out);
      const file = path.join(dir, 'tls.db');
      const saved = await upkeep(['etcd', 'snapshot', 'save', file, '--endpoints', `127.0.0.1:${port}`, ...tls]);
      assert.equal(saved.code, 0, saved.err);
      const wrongCa = await upkeep(['etcd', 'members', '--endpoints', url, '--cacert', files.other, '--cert', files.client, '--key', files.clientKey, '--dial-timeout', '1s']);
      assert.equal(wrongCa.code, 1);
      assert.match(wrongCa.err, /cannot connect to etcd at https:\/\/127\.0\.0\.1:\d+ within 1s \(--dial-timeout\): .*certificate/i);
      const noCert = await upkeep(['etcd', 'members', '--endpoints', url, '--cacert', files.ca, '--dial-timeout', '1s']);
      assert.equal(noCert.code, 1);
      assert.match(noCert.err, /^error: .*the server requires a client certificate: pass --cert and --key/);
    } finally {
      await etcd.stop();
    }
  });
});

async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('members and health of a three-member cluster', { skip }, () => {
  let dir: string;
  let members: EtcdProcess[] = [];

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-etcd-cluster-'));
    const ports = await Promise.all([0, 1, 2].map(async () => ({ client: await freePort(), peer: await freePort() })));
    const initialCluster = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peer}`).join(',');
    members = await Promise.all(
      ports.map((p, i) => startEtcd({ dataDir: path.join(dir, `m${i}`), name: `m${i}`, clientPort: p.client, peerPort: p.peer, initialCluster, waitHealthy: false })),
    );
    await Promise.all(members.map((m) => waitHealthy(m.clientURL)));
  });
  after(async () => {
    await Promise.all(members.map((m) => m.stop()));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('lists three members with one leader, from one endpoint, and says the cluster survives one failure', async () => {
    const r = await upkeep(['etcd', 'members', '--endpoints', members[0].clientURL]);
    assert.equal(r.code, 0, r.err);
    const rows = r.out.split('\n').filter((l) => /^[0-9a-f]{6,16} /.test(l));
    assert.equal(rows.length, 3);
    assert.equal(rows.filter((l) => / started +\* /.test(l)).length, 1, 'exactly one leader');
    assert.match(r.out, /3 voting member\(s\), quorum 2: survives 1 failure\(s\)/);
    assert.doesNotMatch(r.out, /Warning/);
    const json = JSON.parse((await upkeep(['etcd', 'members', '--endpoints', members[0].clientURL, '-o', 'json'])).out) as { members: Array<{ name: string; status: { ok: boolean; raftTerm: number; dbSize: number } }> };
    assert.deepEqual(json.members.map((m) => m.name).sort(), ['m0', 'm1', 'm2']);
    assert.ok(json.members.every((m) => m.status.ok && m.status.raftTerm >= 2 && m.status.dbSize > 0));
    const health = await upkeep(['etcd', 'health', '--endpoints', members[0].clientURL]);
    assert.equal(health.code, 0, health.err);
    assert.equal(health.out.match(/ is healthy: successfully committed proposal: took = /g)?.length, 3);
  });

  it('with one member down: it is unreachable, the cluster survives no further failure, health fails', async () => {
    await members[2].stop();
    const r = await upkeep(['etcd', 'members', '--endpoints', members[0].clientURL, '--dial-timeout', '500ms']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /m2 +unreachable/);
    assert.match(r.out, /2 answer now, so 0 more/);
    assert.match(r.out, /Warning: 1 of 3 voting members did not answer: the cluster survives 0 more failure\(s\)/);
    const health = await upkeep(['etcd', 'health', '--endpoints', members[0].clientURL, '--dial-timeout', '500ms']);
    assert.equal(health.code, 1);
    assert.match(health.out, new RegExp(`${members[2].clientURL.replace(/[.]/g, '\\.')} is unhealthy: failed to commit proposal: cannot connect`));
    assert.match(health.err, /unhealthy cluster/);
  });
});

describe('etcd discover through the Kubernetes API', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await testSandbox();
  });
  after(async () => sb?.stop());

  it('finds stacked etcd on the control-plane node, its certificates, and the command to save a snapshot', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'etcd', 'discover']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Topology: +stacked: etcd runs as a static pod in kube-system \(etcd-\S+\) and the API server uses it/m);
    assert.match(r.out, /data dir: +\/var\/lib\/etcd/);
    assert.match(r.out, /--cert-file=\/etc\/kubernetes\/pki\/etcd\/server\.crt/);
    assert.match(r.out, /upkeep etcd snapshot save \/var\/backups\/etcd-snapshot-.*\.db --endpoints=https:\/\/127\.0\.0\.1:2379 --cacert=\/etc\/kubernetes\/pki\/etcd\/ca\.crt --cert=\/etc\/kubernetes\/pki\/apiserver-etcd-client\.crt --key=\/etc\/kubernetes\/pki\/apiserver-etcd-client\.key/);
    const json = JSON.parse((await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'etcd', 'discover'])).out) as { topology: string; endpoints: string[] };
    assert.equal(json.topology, 'stacked');
    assert.deepEqual(json.endpoints, ['https://127.0.0.1:2379']);
  });
});
