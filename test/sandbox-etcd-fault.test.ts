// An etcd-backed sandbox survives an etcd restart, as a real control plane does: etcd goes away
// for 5 s (killed, then started again on the same data directory and ports), the controllers and
// kubelets keep retrying with backoff, and within 30 simulated seconds of etcd's return every
// node is Ready again and no pod was evicted because of an outage that was the API side's, not
// the nodes' (kube-controller-manager's "full disruption" mode).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EtcdProcess, freePort, startEtcd } from './helpers/etcd-process.js';
import { eventually, podPhase, podReady, testSandbox, type TestSandbox } from './helpers/sandbox.js';
import type { KubeObject } from '../src/api/types.js';

const TIME_SCALE = 10;
/** The outage, in real ms: 50 simulated seconds, more than the 40 s node monitor grace period. */
const OUTAGE_MS = 5_000;
/** Real slack on top of the 30 simulated seconds, for a loaded test machine. */
const SLACK_MS = 15_000;

function nodeReady(n: KubeObject): string | undefined {
  const conditions = (n.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conditions.find((c) => c.type === 'Ready')?.status;
}

/** The pid of the etcd this test started (found by its unique data directory). */
async function etcdPid(dataDir: string): Promise<number> {
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.split('\0').includes(`--data-dir=${dataDir}`)) return Number(entry);
  }
  throw new Error(`no etcd process with --data-dir=${dataDir}`);
}

describe('an etcd-backed sandbox after an etcd restart', { timeout: 180_000 }, () => {
  let dir: string;
  let etcd: EtcdProcess;
  let sb: TestSandbox;
  const logs: string[] = [];
  let clientPort: number;
  let peerPort: number;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-etcd-fault-'));
    clientPort = await freePort();
    peerPort = await freePort();
    etcd = await startEtcd({ dataDir: path.join(dir, 'etcd'), clientPort, peerPort });
    sb = await testSandbox({ etcd: { endpoints: [etcd.clientURL] }, timeScale: TIME_SCALE, log: (l) => logs.push(l) });
  });
  after(async () => {
    await sb?.stop();
    await etcd?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  async function settled(): Promise<Set<string | undefined>> {
    const pods = await eventually('every pod Running and Ready', async () => {
      const items = await sb.list('pods');
      return items.length >= 8 && items.every((p) => podPhase(p) === 'Running' && podReady(p)) ? items : undefined;
    }, 60_000);
    await eventually('every node Ready', async () => (await sb.list('nodes')).every((n) => nodeReady(n) === 'True'));
    return new Set(pods.map((p) => p.metadata.uid));
  }

  async function recovers(uids: Set<string | undefined>, back: number): Promise<void> {
    const nodes = await eventually('every node Ready again', async () => {
      const items = await sb.list('nodes');
      return items.length === 4 && items.every((n) => nodeReady(n) === 'True') ? items : undefined;
    }, sb.sandbox.clock.real(30_000) + SLACK_MS);
    assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), ['controlplane', 'node01', 'node02', 'node03']);
    const simSeconds = Math.round(sb.sandbox.clock.sim(Date.now() - back) / 1000);
    assert.ok(simSeconds <= 30 + sb.sandbox.clock.sim(SLACK_MS) / 1000, `recovered after ${simSeconds} simulated seconds`);
    // One more grace period: the time the taint manager would need to act, then look.
    await new Promise((r) => setTimeout(r, sb.sandbox.clock.real(45_000)));
    const now = await sb.list('pods');
    assert.deepEqual([...uids].filter((uid) => !now.some((p) => p.metadata.uid === uid)), [], 'no pod was evicted because of the outage');
    const evictions = (await sb.list('events')).filter((e) => (e as { reason?: string }).reason === 'TaintManagerEviction');
    assert.deepEqual(evictions.map((e) => e.metadata.name), []);
    const tainted = (await sb.list('nodes')).filter((n) => ((n.spec as { taints?: Array<{ effect: string }> } | undefined)?.taints ?? []).some((t) => t.effect === 'NoExecute'));
    assert.deepEqual(tainted.map((n) => n.metadata.name), []);
  }

  it('etcd frozen (SIGSTOP) for 5 s: recovers within 30 simulated seconds, nodes Ready, no pod evicted', async () => {
    const uids = await settled();
    const pid = await etcdPid(path.join(dir, 'etcd'));
    process.kill(pid, 'SIGSTOP');
    try {
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await recovers(uids, Date.now());
  });

  it('etcd killed and started again after 5 s: recovers within 30 simulated seconds, failures logged once per component', async () => {
    const uids = await settled();
    logs.length = 0;
    await etcd.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    etcd = await startEtcd({ dataDir: path.join(dir, 'etcd'), clientPort, peerPort });
    const back = Date.now();
    const during = [...logs];
    await recovers(uids, back);
    assert.ok(during.some((l) => /unavailable|ECONNREFUSED/.test(l)), `the outage is logged: ${during.join(' | ')}`);
    // The log is rate-limited: at most one line per component per 10 s of outage.
    const perComponent = new Map<string, number>();
    for (const l of during) perComponent.set(l.slice(0, l.indexOf(': ')), (perComponent.get(l.slice(0, l.indexOf(': '))) ?? 0) + 1);
    for (const [component, n] of perComponent) assert.ok(n <= 2, `${component} logged ${n} lines during a 5 s outage`);
  });
});
