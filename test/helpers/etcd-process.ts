// Real etcd for tests: members on loopback with free ports and their own data directories,
// started and stopped by the test, and etcdctl (v3 API) against them.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface EtcdProcess {
  name: string;
  dataDir: string;
  clientURL: string;
  peerURL: string;
  logFile: string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. */
  stop(): Promise<void>;
}

export interface StartEtcdOptions {
  dataDir: string;
  name?: string;
  clientPort?: number;
  peerPort?: number;
  /** Default: just this member. */
  initialCluster?: string;
  initialClusterToken?: string;
  /** Wait until /health says true (a leader is elected). Default true; a multi-member cluster waits elsewhere. */
  waitHealthy?: boolean;
  extraArgs?: string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startEtcd(opts: StartEtcdOptions): Promise<EtcdProcess> {
  const name = opts.name ?? 'default';
  const peerPort = opts.peerPort ?? (await freePort());
  // A port freed a moment ago can come back from the next freePort(): never give etcd the
  // same port for clients and peers (bounded: a few tries).
  let clientPort = opts.clientPort ?? (await freePort());
  for (let i = 0; i < 10 && opts.clientPort === undefined && clientPort === peerPort; i++) clientPort = await freePort();
  const clientURL = `http://127.0.0.1:${clientPort}`;
  const peerURL = `http://127.0.0.1:${peerPort}`;
  const logFile = `${opts.dataDir.replace(/\/+$/, '')}.log`;
  await fs.mkdir(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  const child: ChildProcess = spawn(
    'etcd',
    [
      `--name=${name}`,
      `--data-dir=${opts.dataDir}`,
      `--listen-client-urls=${clientURL}`,
      `--advertise-client-urls=${clientURL}`,
      `--listen-peer-urls=${peerURL}`,
      `--initial-advertise-peer-urls=${peerURL}`,
      `--initial-cluster=${opts.initialCluster ?? `${name}=${peerURL}`}`,
      `--initial-cluster-token=${opts.initialClusterToken ?? 'etcd-cluster'}`,
      // Debian's etcd 3.4 logs with capnslog by default; zap is what newer etcd uses.
      '--logger=zap',
      ...(opts.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const proc: EtcdProcess = {
    name,
    dataDir: opts.dataDir,
    clientURL,
    peerURL,
    logFile,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(t);
      }
      log.end();
    },
  };
  if (opts.waitHealthy !== false) {
    try {
      await waitHealthy(clientURL, () => exited);
    } catch (e) {
      await proc.stop();
      const tail = (await fs.readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
      throw new Error(`${(e as Error).message}\n--- ${logFile} ---\n${tail}`);
    }
  }
  return proc;
}

/** etcd's /health answers {"health":"true"} once the member has a leader. */
export async function waitHealthy(clientURL: string, exited: () => boolean = () => false, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`etcd at ${clientURL} exited`);
    try {
      const res = await fetch(`${clientURL}/health`);
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`etcd at ${clientURL} not healthy after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface EtcdctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function etcdctl(args: string[], timeoutMs = 30_000): Promise<EtcdctlResult> {
  return new Promise((resolve) => {
    execFile('etcdctl', args, { env: { ...process.env, ETCDCTL_API: '3' }, timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

interface JsonKv {
  key: string;
  value?: string;
  create_revision: number;
  mod_revision: number;
  version: number;
}

/** Every key of an etcd (or those under a prefix) with value and revisions, via etcdctl -w json. */
export async function dumpKeys(clientURL: string, from = ''): Promise<{ revision: number; kvs: Array<{ key: string; value: string; create: number; mod: number; version: number }> }> {
  const r = await etcdctl(['--endpoints', clientURL, 'get', from, '--from-key', '-w', 'json']);
  if (r.code !== 0) throw new Error(`etcdctl get failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { header: { revision: number }; kvs?: JsonKv[] };
  return {
    revision: out.header.revision,
    kvs: (out.kvs ?? []).map((kv) => ({
      key: Buffer.from(kv.key, 'base64').toString('latin1'),
      value: Buffer.from(kv.value ?? '', 'base64').toString('base64'),
      create: kv.create_revision,
      mod: kv.mod_revision,
      version: kv.version,
    })),
  };
}
