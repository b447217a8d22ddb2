// A throwaway single-member etcd on loopback, for `upkeep demo` (and rehearsals): Debian's etcd
// binary on free ports, a private data dir, stopped (and removed) with the demo.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createEtcdClient } from './connection.js';

export interface LocalEtcd {
  clientURL: string;
  dataDir: string;
  stop(): Promise<void>;
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

/** Start etcd; undefined when no etcd binary is installed (callers fall back to memory). */
export async function startLocalEtcd(timeoutMs = 15_000): Promise<LocalEtcd | undefined> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const clientURL = `http://127.0.0.1:${client}`;
  const peerURL = `http://127.0.0.1:${peer}`;
  const dataDir = path.join(dir, 'data');
  let child: ChildProcess;
  try {
    child = spawn('etcd', [
      '--name=sandbox', `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientURL}`, `--advertise-client-urls=${clientURL}`,
      `--listen-peer-urls=${peerURL}`, `--initial-advertise-peer-urls=${peerURL}`,
      `--initial-cluster=sandbox=${peerURL}`, '--logger=zap', '--log-level=error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch {
    await fs.rm(dir, { recursive: true, force: true });
    return undefined;
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(-1));
    child.once('exit', (code) => resolve(code));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await fs.rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || (await Promise.race([exited.then(() => true), Promise.resolve(false)]))) {
      await stop();
      return undefined; // not installed (spawn ENOENT) or failed to start
    }
    try {
      const c = await createEtcdClient({ endpoints: [clientURL], dialTimeoutMs: 500, commandTimeoutMs: 1000 });
      await c.status();
      c.close();
      return { clientURL, dataDir, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await stop();
  return undefined;
}
