// `upkeep sandbox ...`: run the embedded Kubernetes-compatible cluster. The only command file
// that may import src/sandbox (everything else reaches clusters through the API).
import { Option, type Command } from '@commander-js/extra-typings';
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { GlobalFlags, Io } from '../context.js';
import { UsageError } from '../errors.js';
import { clientFromFlags } from '../client.js';
import { parseOutput, toJson, toYaml } from '../output/format.js';
import { AtomicWriteError } from '../../util/atomic.js';
import { LOG_LEVELS, type LogLevel, isLogLevel, leveledLog } from '../../sandbox/log.js';

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
  /** Where the sandbox logs what fails (controllers, kubelets, the etcd store): stderr at --log-level. */
  log?: (line: string, level?: LogLevel) => void;
  /** Keep the cluster in this etcd (kube-apiserver's --etcd-servers and TLS files). */
  etcd?: { endpoints: string[]; cafile?: string; certfile?: string; keyfile?: string; prefix?: string };
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
  const sandbox = await startSandbox({ scenario: opts.scenario, port: opts.port, kubeconfigOut: path.resolve(kubeconfigOut), timeScale: opts.timeScale, etcd: opts.etcd, log: opts.log });
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

function etcdFlags(opts: { etcd?: string; etcdCafile?: string; etcdCertfile?: string; etcdKeyfile?: string; etcdPrefix: string }): EmbeddedSandboxOptions['etcd'] {
  if (!opts.etcd) {
    if (opts.etcdCafile || opts.etcdCertfile || opts.etcdKeyfile) throw new UsageError('--etcd-cafile, --etcd-certfile and --etcd-keyfile need --etcd');
    return undefined;
  }
  const endpoints = opts.etcd
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const u of endpoints) {
    if (!/^(https?:\/\/)?[^/:]+:\d+\/?$/.test(u) && !/^(https?:\/\/)?\[[0-9a-fA-F:.]+\]:\d+\/?$/.test(u)) {
      throw new UsageError(`invalid value "${u}" for --etcd: use a client URL like http://127.0.0.1:2379`);
    }
  }
  if (!endpoints.length) throw new UsageError('--etcd needs at least one client URL, like http://127.0.0.1:2379');
  if (!opts.etcdPrefix.startsWith('/')) throw new UsageError(`invalid value "${opts.etcdPrefix}" for --etcd-prefix: must start with /`);
  return { endpoints, cafile: opts.etcdCafile, certfile: opts.etcdCertfile, keyfile: opts.etcdKeyfile, prefix: opts.etcdPrefix };
}

export function registerSandbox(program: Command, io: Io, globals: () => GlobalFlags): void {
  const sandbox = program.command('sandbox').description('run and drive the embedded Kubernetes-compatible sandbox cluster');
  sandbox
    .command('serve')
    .description('serve a sandbox cluster over HTTPS in the foreground until interrupted')
    .addOption(new Option('--scenario <file|name>', 'scenario file, or a built-in scenario name').default('seed'))
    .addOption(new Option('--port <n>', 'port to listen on (0 picks a free port)').default('0'))
    .addOption(new Option('--kubeconfig-out <path>', 'where to write the kubeconfig for this sandbox').default('./sandbox.kubeconfig'))
    .addOption(new Option('--time-scale <x>', 'run simulated time this many times faster (60: 5 minutes take 5 s)').default('1'))
    .addOption(new Option('--etcd <urls>', "keep the cluster in this etcd (comma-separated client URLs), under Kubernetes' /registry keys; default: in memory"))
    .addOption(new Option('--etcd-cafile <file>', 'CA bundle to verify the etcd server with (https URLs)'))
    .addOption(new Option('--etcd-certfile <file>', 'client certificate for etcd'))
    .addOption(new Option('--etcd-keyfile <file>', 'client key for etcd'))
    .addOption(new Option('--etcd-prefix <prefix>', 'key prefix in etcd (kube-apiserver --etcd-prefix)').default('/registry'))
    .addOption(new Option('--log-level <level>', `what to log on stderr: ${LOG_LEVELS.join('|')} (failing controllers and kubelets log at warn, rate-limited)`).default('warn'))
    .action(async (opts) => {
      const port = intFlag(opts.port, '--port', 0, 65535);
      const timeScale = positiveFlag(opts.timeScale, '--time-scale');
      const etcd = etcdFlags(opts);
      if (!isLogLevel(opts.logLevel)) throw new UsageError(`invalid value "${opts.logLevel}" for --log-level: use one of ${LOG_LEVELS.join(', ')}`);
      const log = leveledLog(opts.logLevel, (text) => io.err(text));
      const sb = await startEmbeddedSandbox({ scenario: opts.scenario, port, kubeconfigOut: opts.kubeconfigOut, timeScale, etcd, log }).catch((e: unknown) => {
        throw e instanceof AtomicWriteError ? new UsageError(`--kubeconfig-out: ${e.message}`) : e;
      });
      io.out(
        `sandbox ${sb.scenarioName} serving at ${sb.url}${etcd ? ` on etcd ${etcd.endpoints.join(',')}` : ''}; kubeconfig written to ${sb.kubeconfigPath} (kubectl --kubeconfig ${sb.kubeconfigPath} get nodes)\n`,
      );
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          io.err(`received ${signal}, shutting down\n`);
          sb.stop().then(resolve, resolve);
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      });
    });

  const VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
  const print = (result: Record<string, unknown>, line: string) => {
    const format = parseOutput(globals().output, ['table', 'json', 'yaml']);
    io.out(format === 'json' ? toJson(result) : format === 'yaml' ? toYaml(result) : `${line}\n`);
  };
  const node = sandbox.command('node').description("simulate a node's machine: power it down or up, reboot it, upgrade its kubelet (sandbox only)");
  for (const [verb, help] of [
    ['down', 'stop the kubelet: the node goes NotReady after the grace period, its pods are evicted after the eviction timeout'],
    ['up', 'start the kubelet again'],
    ['reboot', 'stop the kubelet, wait --down-seconds (simulated), start it again'],
    ['upgrade', 'reboot the node into a new kubelet version (--version)'],
  ] as const) {
    node
      .command(`${verb} <node>`)
      .description(help)
      .addOption(new Option('--version <version>', 'kubelet version after upgrade, like v1.32.0'))
      .addOption(new Option('--down-seconds <n>', 'simulated seconds the node stays down (reboot, upgrade)').default('30'))
      .action(async (name, opts) => {
        if (verb === 'upgrade' && !opts.version) throw new UsageError('sandbox node upgrade needs --version (like v1.32.0)');
        if (opts.version && !VERSION.test(opts.version)) throw new UsageError(`invalid value "${opts.version}" for --version: use a version like v1.32.0`);
        const downSeconds = Number(opts.downSeconds);
        if (!Number.isFinite(downSeconds) || downSeconds < 0) throw new UsageError(`invalid value "${opts.downSeconds}" for --down-seconds: must be a non-negative number`);
        const client = await clientFromFlags(globals(), io);
        const result = await client.post<{ name: string; up: boolean; version: string }>(`/sandbox/v1/nodes/${encodeURIComponent(name)}/${verb}`, { version: opts.version, downSeconds });
        const past = { down: 'is down', up: 'is up', reboot: 'rebooted', upgrade: `upgraded to ${result.version}` }[verb];
        print(result, `node/${name} ${past}`);
      });
  }
  sandbox
    .command('control-plane')
    .description('the control plane of a sandbox (sandbox only)')
    .command('upgrade')
    .description("what kubeadm upgrade apply does: static pods, /version, kube-proxy move to --version")
    .addOption(new Option('--version <version>', 'the new Kubernetes version, like v1.32.0').makeOptionMandatory())
    .action(async (opts) => {
      if (!VERSION.test(opts.version)) throw new UsageError(`invalid value "${opts.version}" for --version: use a version like v1.32.0`);
      const client = await clientFromFlags(globals(), io);
      const result = await client.post<{ version: string }>('/sandbox/v1/control-plane/upgrade', { version: opts.version });
      print(result, `control plane upgraded to ${result.version}`);
    });
}
