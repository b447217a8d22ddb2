// Benchmark (issue: etcd snapshots): save and status of a snapshot of at least 1 GB, upkeep
// against etcdctl on the same etcd and the same file, in one run: time as a ratio
// upkeep/etcdctl, and each process's peak RSS (upkeep streams; it never holds the file).
// Aim: no slower than etcdctl. Both are whole commands (process start included).
// BENCH_ETCD_MB sets the db size to reach (default 1100 MB), BENCH_ETCD_ROUNDS the rounds (default
// 5); the filled etcd is kept in /tmp (BENCH_ETCD_CACHE) and reused by the next run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createEtcdClient, type EtcdClient } from '../src/etcd/connection.js';
import { ROOT, fmt } from './common.js';

interface Run {
  ms: number;
  /** User + system CPU seconds (GNU time), NaN without it: under load, the figure that varies least. */
  cpuS: number;
  rssMiB: number;
  stdout: string;
  code: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A whole command, timed, with its peak RSS (GNU time's %M, else sampled from /proc). */
function measure(cmd: string, args: string[]): Promise<Run> {
  const gnuTime = existsSync('/usr/bin/time');
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = gnuTime
      ? spawn('/usr/bin/time', ['-f', 'upkeep-bench-rss %M cpu %U %S', cmd, ...args], { env: { ...process.env, ETCDCTL_API: '3' } })
      : spawn(cmd, args, { env: { ...process.env, ETCDCTL_API: '3' } });
    let stdout = '';
    let stderr = '';
    let sampled = 0;
    const timer = gnuTime
      ? undefined
      : setInterval(async () => {
          const s = await fs.readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
          const m = /VmHWM:\s+(\d+) kB/.exec(s);
          if (m) sampled = Math.max(sampled, Number(m[1]));
        }, 20);
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code) => {
      clearInterval(timer);
      const m = /upkeep-bench-rss (\d+) cpu ([\d.]+) ([\d.]+)/.exec(stderr);
      const kb = m ? Number(m[1]) : sampled;
      if (code !== 0) console.error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
      resolve({ ms: performance.now() - t0, cpuS: m ? Number(m[2]) + Number(m[3]) : NaN, rssMiB: kb / 1024, stdout, code: code ?? 1 });
    });
  });
}

async function startEtcd(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const client = await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${client}`;
  const child = spawn(
    'etcd',
    [
      '--name=bench',
      `--data-dir=${path.join(dir, 'data')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=bench=http://127.0.0.1:${peer}`,
      '--quota-backend-bytes=8589934592',
      '--snapshot-count=1000000',
      '--logger=zap',
      '--log-level=error',
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`${url}/health`);
      if (((await res.json()) as { health?: string }).health === 'true') return { url, child };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('etcd did not become healthy');
}

/** Kubernetes-like keys with values of mixed sizes (most small, some large), until the db reaches the target. */
async function fill(c: EtcdClient, targetBytes: number): Promise<{ keys: number; dbSize: number }> {
  const sizes = [512, 2048, 8192, 32768, 200_000];
  const weights = [40, 30, 20, 9, 1];
  let keys = 0;
  let dbSize = 0;
  const inflight = new Set<Promise<unknown>>();
  while (dbSize < targetBytes) {
    for (let batch = 0; batch < 5000; batch++) {
      const r = keys % 100;
      let acc = 0;
      let size = sizes[0];
      for (let i = 0; i < sizes.length; i++) {
        acc += weights[i];
        if (r < acc) {
          size = sizes[i];
          break;
        }
      }
      const key = Buffer.from(`/registry/bench/ns-${keys % 97}/obj-${String(keys).padStart(8, '0')}`);
      const p = c.put({ key, value: Buffer.alloc(size, keys % 251) }, { timeoutMs: 60_000 }).finally(() => inflight.delete(p));
      inflight.add(p);
      keys++;
      if (inflight.size >= 64) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    dbSize = Number((await c.status()).dbSize);
  }
  return { keys, dbSize };
}

/** Where a filled etcd is kept between runs (filling 1.1 GB takes minutes): BENCH_ETCD_CACHE, else /tmp. */
function cacheDir(targetMB: number): string {
  return process.env.BENCH_ETCD_CACHE ?? path.join(os.tmpdir(), `upkeep-bench-etcd-${targetMB}MB`);
}

interface Filled {
  keys: number;
  dbSize: number;
  fillMs: number;
}

/** An etcd holding at least targetMB of data: the cached data dir when there is one, else filled now (and kept). */
async function filledEtcd(targetMB: number): Promise<{ etcd: { url: string; child: ChildProcess }; filled: Filled; cached: boolean }> {
  const dir = cacheDir(targetMB);
  const marker = path.join(dir, 'filled.json');
  const known = await fs.readFile(marker, 'utf8').then((t) => JSON.parse(t) as Filled, () => undefined);
  if (known) return { etcd: await startEtcd(dir), filled: known, cached: true };
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const etcd = await startEtcd(dir);
  const client = await createEtcdClient({ endpoints: [etcd.url] });
  const t0 = performance.now();
  const { keys, dbSize } = await fill(client, targetMB * 1e6);
  client.close();
  const filled = { keys, dbSize, fillMs: performance.now() - t0 };
  await fs.writeFile(marker, JSON.stringify(filled));
  return { etcd, filled, cached: false };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs of one command per round. */
type Runs = Record<string, Run[]>;

/** Run each named command once per round, in an order that turns round by round (who goes first may warm a cache for the next). */
async function alternate(rounds: number, commands: Record<string, () => Promise<Run>>, before?: () => Promise<void>): Promise<Runs> {
  const runs: Runs = Object.fromEntries(Object.keys(commands).map((k) => [k, [] as Run[]]));
  const names = Object.keys(commands);
  for (let round = 0; round < rounds; round++) {
    await before?.();
    const order = [...names.slice(round % names.length), ...names.slice(0, round % names.length)];
    for (const name of order) runs[name].push(await commands[name]());
  }
  return runs;
}

const mid = (runs: Run[]) => median(runs.map((r) => r.ms));
const cpu = (runs: Run[]) => median(runs.map((r) => r.cpuS));
const rss = (runs: Run[]) => Math.max(...runs.map((r) => r.rssMiB));
const ratio = (x: Run[], y: Run[]) => (mid(x) / mid(y)).toFixed(2);
const perRound = (x: Run[], y: Run[]) => x.map((r, i) => (r.ms / y[i].ms).toFixed(2)).join(' ');

/** The figures of one upkeep command against etcdctl's: median time, ratio, per-round ratios, CPU, peak RSS. */
function against(label: string, ours: Run[], theirs: Run[]): Record<string, string> {
  return {
    [`${label}: upkeep`]: fmt(mid(ours)),
    [`${label}: ratio upkeep/etcdctl (per round)`]: `${ratio(ours, theirs)} (${perRound(ours, theirs)})`,
    [`${label}: CPU upkeep / etcdctl`]: `${cpu(ours).toFixed(2)} s / ${cpu(theirs).toFixed(2)} s`,
    [`${label}: peak RSS upkeep`]: `${rss(ours).toFixed(0)} MiB`,
  };
}

export async function benchEtcd(): Promise<Record<string, string | number>> {
  const targetMB = Number(process.env.BENCH_ETCD_MB ?? 1100);
  // The machine may be shared: alternate the tools, several rounds, and keep each one's median.
  const rounds = Math.max(1, Number(process.env.BENCH_ETCD_ROUNDS ?? 5));
  // Another build of upkeep (its bin/upkeep) measured in the same rounds: before/after figures.
  const baseline = process.env.BENCH_ETCD_BASELINE;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-bench-etcd-'));
  const { etcd, filled, cached } = await filledEtcd(targetMB);
  const upkeep = path.join(ROOT, 'bin/upkeep');
  const load0 = os.loadavg()[0];
  try {
    const theirs = path.join(dir, 'etcdctl.db');
    const file = (bin: string) => path.join(dir, bin === upkeep ? 'upkeep.db' : 'baseline.db');
    const bins = baseline ? [upkeep, baseline] : [upkeep];
    const saveCmds: Record<string, () => Promise<Run>> = { etcdctl: () => measure('etcdctl', ['--endpoints', etcd.url, 'snapshot', 'save', theirs]) };
    for (const bin of bins) saveCmds[bin] = () => measure(process.execPath, [bin, 'etcd', 'snapshot', 'save', file(bin), '--endpoints', etcd.url]);
    const save = await alternate(rounds, saveCmds, async () => {
      for (const f of [theirs, ...bins.map(file)]) await fs.rm(f, { force: true });
    });
    const ours = file(upkeep);
    const statusCmds: Record<string, () => Promise<Run>> = { etcdctl: () => measure('etcdctl', ['snapshot', 'status', ours, '-w', 'json']) };
    for (const bin of bins) {
      statusCmds[bin] = () => measure(process.execPath, [bin, 'etcd', 'snapshot', 'status', ours, '-w', 'json']);
      statusCmds[`${bin} skip`] = () => measure(process.execPath, [bin, 'etcd', 'snapshot', 'status', ours, '-w', 'json', '--skip-hash-check']);
    }
    const status = await alternate(rounds, statusCmds);
    const size = (await fs.stat(ours)).size;
    const a = JSON.parse(status[upkeep][0].stdout) as Record<string, number>;
    const b = JSON.parse(status.etcdctl[0].stdout) as Record<string, number>;
    const same = ['hash', 'revision', 'totalKey', 'totalSize'].every((k) => a[k] === b[k]);
    const base: Record<string, string> = baseline
      ? {
          ...against(`baseline (${baseline}) save`, save[baseline], save.etcdctl),
          ...against('baseline status', status[baseline], status.etcdctl),
          ...against('baseline status --skip-hash-check', status[`${baseline} skip`], status.etcdctl),
        }
      : {};
    return {
      'keys written': filled.keys,
      'fill time': cached ? `${fmt(filled.fillMs)} (cached in ${cacheDir(targetMB)})` : fmt(filled.fillMs),
      'snapshot size': `${(size / 1e9).toFixed(2)} GB`,
      rounds: `${rounds} (alternating; medians below)`,
      'load average (1 min) before / after': `${load0.toFixed(2)} / ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores`,
      'save: etcdctl': fmt(mid(save.etcdctl)),
      'save: peak RSS etcdctl': `${rss(save.etcdctl).toFixed(0)} MiB`,
      ...against('save', save[upkeep], save.etcdctl),
      'status: etcdctl (hash, revision, keys, size, page check)': fmt(mid(status.etcdctl)),
      'status: peak RSS etcdctl': `${rss(status.etcdctl).toFixed(0)} MiB`,
      ...against('status (hash, revision, keys, size, sha256, page check)', status[upkeep], status.etcdctl),
      ...against('status --skip-hash-check (the same work as etcdctl)', status[`${upkeep} skip`], status.etcdctl),
      ...base,
      'status figures equal etcdctl': same ? 'yes' : `NO (upkeep ${JSON.stringify(a)}, etcdctl ${JSON.stringify(b)})`,
    };
  } finally {
    etcd.child.kill('SIGTERM');
    await new Promise((r) => etcd.child.once('exit', r));
    await fs.rm(dir, { recursive: true, force: true });
  }
}

// Allow `node dist/bench/etcd.js` alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchEtcd();
  for (const [k, v] of Object.entries(figures)) console.log(`| ${k} | ${v} |`);
}
