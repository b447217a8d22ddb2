// Shared pieces of the benchmarks: a sandbox in a child process (so its RSS is its own),
// timing, and peak memory from /proc.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServedSandbox {
  child: ChildProcess;
  kubeconfig: string;
  dir: string;
  startupMs: number;
  stop(): Promise<void>;
}

export async function serveSandbox(scenarioFile: string, extraArgs: string[] = []): Promise<ServedSandbox> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-bench-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--max-old-space-size=4096', '--max-semi-space-size=64', path.join(ROOT, 'bin/upkeep'), 'sandbox', 'serve', '--scenario', scenarioFile, '--kubeconfig-out', kubeconfig, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes('serving at')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited (${code}): ${err}`)));
  });
  const startupMs = performance.now() - t0;
  return {
    child,
    kubeconfig,
    dir,
    startupMs,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Peak resident set size of a process in MiB (VmHWM). */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function rssMiB(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

export function kubectl(kubeconfig: string, args: string[], cacheDir: string): Promise<{ ms: number; stdout: string; code: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: cacheDir }, maxBuffer: 1024 * 1024 * 1024 }, (e, stdout) => {
      resolve({ ms: performance.now() - t0, stdout, code: e ? 1 : 0 });
    });
  });
}

/** kubectl with its output written to a file, as `kubectl ... > file` (nothing read into this process). */
export async function kubectlToFile(kubeconfig: string, args: string[], cacheDir: string, outFile: string): Promise<{ ms: number; bytes: number; code: number }> {
  const out = await fs.open(outFile, 'w');
  const t0 = performance.now();
  try {
    const code = await new Promise<number>((resolve) => {
      const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: cacheDir }, stdio: ['ignore', out.fd, 'ignore'] });
      child.on('error', () => resolve(1));
      child.on('exit', (c) => resolve(c ?? 1));
    });
    return { ms: performance.now() - t0, bytes: (await out.stat()).size, code };
  } finally {
    await out.close();
  }
}

export async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}
