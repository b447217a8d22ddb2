// A scratch cluster for `backup verify`: upkeep's own sandbox, started as a separate server
// process (`upkeep sandbox serve`) and reached over HTTPS through its kubeconfig like any other
// cluster. Nothing of the sandbox is loaded here: verify restores into it exactly as it would
// restore into production.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ScratchCluster {
  kubeconfig: string;
  url: string;
  stop(): Promise<void>;
}

export interface ScratchOptions {
  /** The control plane's version (the backed-up cluster's, so its add-ons look the same). */
  version?: string;
  /** The command that runs upkeep (default: this installation's bin/upkeep under this Node). */
  command?: string[];
  /** How long to wait for the server to answer (default 60 s). */
  startTimeoutMs?: number;
}

/** bin/upkeep of this installation: dist/src/backup/scratch.js -> ../../../bin/upkeep. */
export function upkeepCommand(): string[] {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  return [process.execPath, path.join(root, 'bin', 'upkeep')];
}

export async function startScratchCluster(options: ScratchOptions = {}): Promise<ScratchCluster> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-verify-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  const scenario = path.join(dir, 'scenario.yaml');
  const version = options.version && /^v\d+\.\d+\.\d+$/.test(options.version) ? options.version : 'v1.31.4';
  await fs.writeFile(
    scenario,
    [
      'apiVersion: upkeep.dev/v1alpha1',
      'kind: Scenario',
      'metadata: {name: verify}',
      'spec:',
      `  controlPlane: {version: ${version}}`,
      '  nodes:',
      '    - {name: controlplane, role: control-plane}',
      '    - {name: node01}',
      '',
    ].join('\n'),
  );
  const [cmd, ...args] = options.command ?? upkeepCommand();
  const child = spawn(cmd, [...args, 'sandbox', 'serve', '--scenario', scenario, '--port', '0', '--kubeconfig-out', kubeconfig, '--time-scale', '60'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited(child, 10_000);
    }
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    const url = await ready(child, options.startTimeoutMs ?? 60_000);
    return { kubeconfig, url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function ready(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`the scratch sandbox did not start within ${timeoutMs / 1000}s${err ? `: ${err.trim().split('\n').pop()}` : ''}`)), timeoutMs);
    child.stderr?.on('data', (d) => (err += String(d)));
    child.stdout?.on('data', (d) => {
      out += String(d);
      const m = /serving at (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/[;,]$/, ''));
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start the scratch sandbox: ${e.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the scratch sandbox exited (${code}) before serving${err ? `: ${err.trim().split('\n').pop()}` : ''}`));
    });
  });
}

function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
