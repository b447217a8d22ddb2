// Test harness: a sandbox on a scaled clock, its kubeconfig in a temp dir, real kubectl with a
// private discovery cache (KUBECACHEDIR), and waiting on conditions without fixed sleeps.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import type { KubeObject } from '../../src/api/types.js';

export interface TestSandbox {
  sandbox: Sandbox;
  kubeconfig: string;
  dir: string;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** kubectl ... -o json, parsed. */
  kubectlJson<T = KubeObject>(args: string[]): Promise<T>;
  get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined>;
  list(resource: string, namespace?: string): Promise<KubeObject[]>;
  stop(): Promise<void>;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function testSandbox(options: SandboxOptions = {}): Promise<TestSandbox> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-test-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  const sandbox = await startSandbox({ timeScale: 60, ...options, kubeconfigOut: kubeconfig });
  const cacheDir = path.join(dir, 'kubecache');
  const kubectl = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) =>
    new Promise<KubectlResult>((resolve) => {
      const child = execFile(
        'kubectl',
        ['--kubeconfig', kubeconfig, ...args],
        { env: { ...process.env, KUBECACHEDIR: cacheDir, HOME: dir }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.input !== undefined) {
        child.stdin?.end(opts.input);
      }
    });
  return {
    sandbox,
    kubeconfig,
    dir,
    kubectl,
    async kubectlJson<T>(args: string[]) {
      const r = await kubectl([...args, '-o', 'json']);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    async get(resource, namespace, name) {
      return sandbox.registry.store.get(resource, namespace, name);
    },
    async list(resource, namespace) {
      return (await sandbox.registry.store.list(resource, namespace)).items;
    },
    async stop() {
      await sandbox.stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Poll a condition (cheap in-process reads) until it holds; fail with a description. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export function podPhase(p: KubeObject): string | undefined {
  return (p.status as { phase?: string } | undefined)?.phase;
}

export function podReady(p: KubeObject): boolean {
  return ((p.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function nodeOf(p: KubeObject): string | undefined {
  return (p.spec as { nodeName?: string } | undefined)?.nodeName;
}
