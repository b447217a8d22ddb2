// `upkeep sandbox ...`: run the embedded Kubernetes-compatible cluster. The only command file
// that may import src/sandbox (everything else reaches clusters through the API).
import { Option, type Command } from '@commander-js/extra-typings';
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { GlobalFlags, Io } from '../context.js';
import { UsageError } from '../errors.js';

export interface EmbeddedSandbox {
  url: string;
  kubeconfigPath: string;
  scenarioName: string;
  stop(): Promise<void>;
}

export interface EmbeddedSandboxOptions {
  scenario?: string;
  port?: number;
  kubeconfigOut?: string;
  timeScale?: number;
}

/** Start a sandbox in this process (used by `sandbox serve` and `demo`). */
export async function startEmbeddedSandbox(opts: EmbeddedSandboxOptions): Promise<EmbeddedSandbox> {
  const { startSandbox } = await import('../../sandbox/index.js');
  let kubeconfigOut = opts.kubeconfigOut;
  let tmpDir: string | undefined;
  if (!kubeconfigOut) {
    tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-sandbox-'));
    kubeconfigOut = path.join(tmpDir, 'kubeconfig');
  }
  const sandbox = await startSandbox({ scenario: opts.scenario, port: opts.port, kubeconfigOut: path.resolve(kubeconfigOut), timeScale: opts.timeScale });
  return {
    url: sandbox.url,
    kubeconfigPath: sandbox.kubeconfigPath ?? kubeconfigOut,
    scenarioName: sandbox.scenario.name,
    async stop() {
      await sandbox.stop();
      if (tmpDir) await fs.rm(tmpDir, { recursive: true, force: true });
    },
  };
}

function intFlag(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`invalid value "${value}" for ${flag}: must be an integer from ${min} to ${max}`);
  return n;
}

function positiveFlag(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`invalid value "${value}" for ${flag}: must be a positive number`);
  return n;
}

export function registerSandbox(program: Command, io: Io, _globals: () => GlobalFlags): void {
  const sandbox = program.command('sandbox').description('run and drive the embedded Kubernetes-compatible sandbox cluster');
  sandbox
    .command('serve')
    .description('serve a sandbox cluster over HTTPS in the foreground until interrupted')
    .addOption(new Option('--scenario <file|name>', 'scenario file, or a built-in scenario name').default('seed'))
    .addOption(new Option('--port <n>', 'port to listen on (0 picks a free port)').default('0'))
    .addOption(new Option('--kubeconfig-out <path>', 'where to write the kubeconfig for this sandbox').default('./sandbox.kubeconfig'))
    .addOption(new Option('--time-scale <x>', 'run simulated time this many times faster (60: 5 minutes take 5 s)').default('1'))
    .action(async (opts) => {
      const port = intFlag(opts.port, '--port', 0, 65535);
      const timeScale = positiveFlag(opts.timeScale, '--time-scale');
      const sb = await startEmbeddedSandbox({ scenario: opts.scenario, port, kubeconfigOut: opts.kubeconfigOut, timeScale });
      io.out(`sandbox ${sb.scenarioName} serving at ${sb.url}; kubeconfig written to ${sb.kubeconfigPath} (kubectl --kubeconfig ${sb.kubeconfigPath} get nodes)\n`);
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          io.err(`received ${signal}, shutting down\n`);
          sb.stop().then(resolve, resolve);
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      });
    });
}
