// Story: before `upkeep upgrade apply` touches the control plane, it saves a verified etcd
// snapshot. The sandbox keeps its objects in a real etcd (on loopback); upkeep finds it through
// the API (the API server's --etcd-servers, as `upkeep etcd discover` does). A run with the
// snapshot on by default writes it under XDG_STATE_HOME; --etcd-snapshot DIR names the file in
// DIR; the file is 0600 and `upkeep etcd snapshot status` accepts it; the journal names it. When
// the flag is given and etcd does not answer, the run stops before any change (exit 1).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseScenario } from '../src/sandbox/index.js';
import { upkeep } from './helpers/cli.js';
import { type EtcdProcess, freePort, startEtcd } from './helpers/etcd-process.js';
import { testSandbox, type TestSandbox } from './helpers/sandbox.js';
import { bluesReady, nodeFacts, upgradeScenario } from './helpers/upgrade.js';

/** Run with these environment variables set (the CLI runs in this process), then put them back. */
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

describe('upkeep upgrade apply saves a verified etcd snapshot first', { timeout: 600_000 }, () => {
  let dir: string;
  let etcd: EtcdProcess;
  let sb: TestSandbox;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-upgrade-etcd-'));
    etcd = await startEtcd({ dataDir: path.join(dir, 'etcd') });
    sb = await testSandbox({ timeScale: 60, scenario: parseScenario(upgradeScenario(2)), etcd: { endpoints: [etcd.clientURL] } });
    await bluesReady(sb, 3);
  });
  after(async () => {
    await sb?.stop();
    await etcd?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('--dry-run says where the snapshot would be saved and from which etcd, and saves nothing', async () => {
    const state = path.join(dir, 'dry-state');
    const r = await withEnv({ XDG_STATE_HOME: state }, () => upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--dry-run']));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '', 'upkeep documents the bare --dry-run: no kubectl deprecation warning');
    const last = r.out.trimEnd().split('\n').at(-1);
    assert.equal(last, `etcd snapshot: would be saved to a file named after the run in ${path.join(state, 'upkeep', 'etcd')} from ${etcd.clientURL} and verified before the first control-plane change`);
    await assert.rejects(fs.stat(state));
  });

  it('--dry-run with --etcd-snapshot FILE and etcd out of reach says the run would stop', async () => {
    const closed = await freePort();
    const file = path.join(dir, 'dry.db');
    const r = await withEnv({ ETCDCTL_ENDPOINTS: `http://127.0.0.1:${closed}`, ETCDCTL_DIAL_TIMEOUT: '1s' }, () => upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--dry-run', '--etcd-snapshot', file, '-o', 'json']));
    assert.equal(r.code, 0, r.err);
    const preview = (JSON.parse(r.out) as { etcdSnapshot: { take: boolean; file: string; stops: boolean; skipped: string } }).etcdSnapshot;
    assert.deepEqual([preview.take, preview.file, preview.stops], [false, file, true]);
    assert.match(preview.skipped, new RegExp(`^etcd at http://127\\.0\\.0\\.1:${closed} does not answer from this machine: `));
    await assert.rejects(fs.stat(file));
  });

  it('--etcd-snapshot FILE that exists is refused (exit 2) before anything changes', async () => {
    const file = path.join(dir, 'old.db');
    await fs.writeFile(file, 'an older snapshot');
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--yes', '--etcd-snapshot', file]);
    assert.equal(r.code, 2);
    assert.equal(r.err, `error: --etcd-snapshot ${file} already exists: choose another file (or a directory), or --etcd-snapshot none\n`);
    assert.equal(await fs.readFile(file, 'utf8'), 'an older snapshot');
  });

  it('--etcd-snapshot FILE when etcd does not answer: exit 1, nothing changed, no journal, no file', async () => {
    const closed = await freePort();
    const file = path.join(dir, 'unreachable.db');
    const r = await withEnv({ ETCDCTL_ENDPOINTS: `http://127.0.0.1:${closed}`, ETCDCTL_DIAL_TIMEOUT: '1s' }, () => upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--yes', '--etcd-snapshot', file]));
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, new RegExp(`^error: --etcd-snapshot ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: etcd at http://127\\.0\\.0\\.1:${closed} does not answer from this machine: .*; nothing was changed\\n$`));
    await assert.rejects(fs.stat(file));
    assert.deepEqual(nodeFacts(await sb.list('nodes')), ['controlplane v1.31.4 schedulable', 'node01 v1.31.4 schedulable', 'node02 v1.31.4 schedulable']);
    assert.equal(await sb.get('configmaps', 'kube-system', 'upkeep-upgrade'), undefined);
    const lease = await sb.get('leases', 'kube-system', 'upkeep-upgrade');
    assert.ok(!lease || !(lease.spec as { holderIdentity?: string } | undefined)?.holderIdentity, 'the lease was let go');
  });

  it('by default: the snapshot under XDG_STATE_HOME, 0600, accepted by snapshot status, named by the run and the journal', async () => {
    const state = path.join(dir, 'state');
    const r = await withEnv({ XDG_STATE_HOME: state }, () => upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--yes']));
    assert.equal(r.code, 0, r.err + r.out);
    const files = await fs.readdir(path.join(state, 'upkeep', 'etcd'));
    assert.equal(files.length, 1, files.join(' '));
    assert.match(files[0]!, /^upgrade-\d{4}-\d\d-\d\dT\d\d\d\d\d\dZ\.db$/);
    const file = path.join(state, 'upkeep', 'etcd', files[0]!);
    await assertSnapshot(file);
    const saved = new RegExp(`^etcd snapshot: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(revision \\d+, \\d+ bytes, from http://127\\.0\\.0\\.1:\\d+, sha256 verified\\)$`, 'm');
    assert.match(r.out, saved);
    // Before the first step: the snapshot line comes before any node's phase.
    assert.ok(r.out.indexOf('etcd snapshot: ') < r.out.indexOf('controlplane: draining'), r.out);
    assert.deepEqual(nodeFacts(await sb.list('nodes')), ['controlplane v1.32.13 schedulable', 'node01 v1.32.13 schedulable', 'node02 v1.32.13 schedulable']);
    const status = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'status']);
    assert.match(status.out, new RegExp(`^Etcd: {5}snapshot ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(revision \\d+`, 'm'));
    const json = JSON.parse((await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'upgrade', 'status'])).out) as { journal: { etcdSnapshot: { file: string; endpoint: string; sha256: string } } };
    assert.equal(json.journal.etcdSnapshot.file, file);
    assert.equal(json.journal.etcdSnapshot.endpoint, etcd.clientURL);
    assert.match(json.journal.etcdSnapshot.sha256, /^[0-9a-f]{64}$/);
  });

  it('--etcd-snapshot DIR: the file named after the run inside DIR', async () => {
    const out = path.join(dir, 'snapshots');
    await fs.mkdir(out);
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.33', '--yes', '--etcd-snapshot', out]);
    assert.equal(r.code, 0, r.err + r.out);
    const files = await fs.readdir(out);
    assert.equal(files.length, 1, files.join(' '));
    await assertSnapshot(path.join(out, files[0]!));
    const json = JSON.parse((await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'upgrade', 'status'])).out) as { journal: { target: string; etcdSnapshot: { file: string } } };
    assert.equal(json.journal.etcdSnapshot.file, path.join(out, files[0]!));
  });
});

/** Mode 0600, and `upkeep etcd snapshot status` reads it with its sha256 and pages sound. */
async function assertSnapshot(file: string): Promise<void> {
  assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  const st = await upkeep(['etcd', 'snapshot', 'status', file, '-w', 'json']);
  assert.equal(st.code, 0, st.err);
  const body = JSON.parse(st.out) as { kind: string; revision: number; totalKey: number };
  assert.equal(body.kind, 'EtcdSnapshotStatus');
  assert.ok(body.revision > 0 && body.totalKey > 0, st.out);
}
