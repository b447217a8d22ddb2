// `upkeep sandbox ...`: run the embedded Kubernetes-compatible cluster. The only command file
// that may import src/sandbox (everything else reaches clusters through the API).
import { Option, type Command } from '@commander-js/extra-typings';
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { GlobalFlags, Io } from '../context.js';
import { UsageError } from '../errors.js';
import { clientFromFlags } from '../client.js';
import { outputObject, parseOutput, toJson, toYaml } from '../output/format.js';
import { examples } from '../help.js';
import { registerMachineCommands } from './sandbox-machines.js';
import { AtomicWriteError } from '../../util/atomic.js';
import { LOG_LEVELS, type LogLevel, isLogLevel, leveledLog } from '../../sandbox/log.js';

export interface EmbeddedSandbox {
  url: string;
  kubeconfigPath: string;
  scenarioName: string;
  contextName: string;
  stop(): Promise<void>;
}

export interface EmbeddedSandboxOptions {
  scenario?: string;
  port?: number;
  kubeconfigOut?: string;
  /** The kubeconfig's context name (default upkeep-<scenario>-<port>). */
  name?: string;
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
  const sandbox = await startSandbox({ scenario: opts.scenario, port: opts.port, kubeconfigOut: path.resolve(kubeconfigOut), name: opts.name, timeScale: opts.timeScale, etcd: opts.etcd, log: opts.log });
  return {
    url: sandbox.url,
    kubeconfigPath: sandbox.kubeconfigPath ?? kubeconfigOut,
    scenarioName: sandbox.scenario.name,
    contextName: sandbox.contextName ?? `upkeep-${sandbox.scenario.name}`,
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
  const sandbox = program.command('sandbox').description('Run and drive the embedded Kubernetes-compatible sandbox cluster');
  examples(sandbox, [
    ['Serve the seed scenario until Ctrl-C, and use it with kubectl', 'upkeep sandbox serve --kubeconfig-out ./sandbox.kubeconfig'],
    ['Take a node of that sandbox down', 'upkeep --kubeconfig ./sandbox.kubeconfig sandbox node down node01'],
  ]);
  registerServe(sandbox, io);
  registerNodeCommands(sandbox, io, globals);
  registerControlPlane(sandbox, io, globals);
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function registerServe(sandbox: Command, io: Io): void {
  const serve = sandbox
    .command('serve')
    .description('serve a sandbox cluster over HTTPS in the foreground until interrupted')
    .addOption(new Option('--scenario <file|name>', 'scenario file, or a built-in scenario name').default('seed'))
    .addOption(new Option('--port <n>', 'port to listen on (0 picks a free port)').default('0'))
    .addOption(new Option('--kubeconfig-out <path>', 'where to write the kubeconfig for this sandbox').default('./sandbox.kubeconfig'))
    .addOption(new Option('--name <name>', "the kubeconfig's context, cluster and user name (default upkeep-SCENARIO-PORT), so kubeconfigs of two sandboxes merge"))
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
      if (opts.name !== undefined && !NAME.test(opts.name)) throw new UsageError(`invalid value "${opts.name}" for --name: use lower-case letters, digits, '-' and '.'`);
      if (!isLogLevel(opts.logLevel)) throw new UsageError(`invalid value "${opts.logLevel}" for --log-level: use one of ${LOG_LEVELS.join(', ')}`);
      const log = leveledLog(opts.logLevel, (text) => io.err(text));
      const sb = await startEmbeddedSandbox({ scenario: opts.scenario, port, kubeconfigOut: opts.kubeconfigOut, name: opts.name, timeScale, etcd, log }).catch((e: unknown) => {
        throw e instanceof AtomicWriteError ? new UsageError(`--kubeconfig-out: ${e.message}`) : e;
      });
      io.out(
        `sandbox ${sb.scenarioName} serving at ${sb.url}${etcd ? ` on etcd ${etcd.endpoints.join(',')}` : ''}; kubeconfig written to ${sb.kubeconfigPath}, context ${sb.contextName} (kubectl --kubeconfig ${sb.kubeconfigPath} get nodes)\n`,
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

  examples(serve, [
    ['Serve the seed scenario on a free port', 'upkeep sandbox serve'],
    ['Two sandboxes side by side, merged into one kubeconfig', 'upkeep sandbox serve --name blue --kubeconfig-out blue.kubeconfig'],
    ['Keep the cluster in a local etcd', 'upkeep sandbox serve --etcd http://127.0.0.1:2379'],
  ]);
}

const VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

function printer(io: Io, globals: () => GlobalFlags) {
  return (result: object, line: string) => {
    const format = parseOutput(globals().output, ['table', 'json', 'yaml']);
    io.out(format === 'json' ? toJson(result) : format === 'yaml' ? toYaml(result) : `${line}\n`);
  };
}

function checkVersion(version: string | undefined): void {
  if (version !== undefined && !VERSION.test(version)) throw new UsageError(`invalid value "${version}" for --version: use a version like v1.32.0`);
}

function downSecondsFlag(value: string): number {
  const downSeconds = Number(value);
  if (!Number.isFinite(downSeconds) || downSeconds < 0) throw new UsageError(`invalid value "${value}" for --down-seconds: must be a non-negative number`);
  return downSeconds;
}

/** `sandbox node down|up|reboot|upgrade NODE`: each with only the flags it uses. */
function registerNodeCommands(sandbox: Command, io: Io, globals: () => GlobalFlags): void {
  const print = printer(io, globals);
  const node = sandbox.command('node').description("Simulate a node's machine: power it down or up, reboot it, upgrade its kubelet (sandbox only)");
  examples(node, [
    ['Power node01 down, then up again', 'upkeep sandbox node down node01 && upkeep sandbox node up node01'],
  ]);
  const send = async (verb: string, name: string, body: { version?: string; downSeconds?: number }) => {
    const client = await clientFromFlags(globals(), io);
    const result = await client.post<{ name: string; up: boolean; version: string }>(`/sandbox/v1/nodes/${encodeURIComponent(name)}/${verb}`, body);
    const past: Record<string, string> = { down: 'is down', up: 'is up', reboot: 'rebooted', upgrade: `upgraded to ${result.version}` };
    print(outputObject('SandboxNode', { object: { kind: 'Node', name: result.name }, up: result.up, version: result.version }), `node/${name} ${past[verb]}`);
  };
  const downSeconds = () => new Option('--down-seconds <n>', 'simulated seconds the node stays down').default('30');
  const down = node
    .command('down <node>')
    .description('Stop the kubelet: the node goes NotReady after the grace period, its pods are evicted after the eviction timeout')
    .action((name) => send('down', name, {}));
  examples(down, [['Power node01 down', 'upkeep sandbox node down node01']]);
  const up = node
    .command('up <node>')
    .description('Start the kubelet again')
    .action((name) => send('up', name, {}));
  examples(up, [['Power node01 up again', 'upkeep sandbox node up node01']]);
  const reboot = node
    .command('reboot <node>')
    .description('Stop the kubelet, wait --down-seconds (simulated), start it again')
    .addOption(downSeconds())
    .action((name, opts) => send('reboot', name, { downSeconds: downSecondsFlag(opts.downSeconds) }));
  examples(reboot, [['Reboot node01, down for 2 simulated minutes', 'upkeep sandbox node reboot node01 --down-seconds 120']]);
  const upgrade = node
    .command('upgrade <node>')
    .description('Reboot the node into a new kubelet version (--version)')
    .addOption(new Option('--version <version>', 'kubelet version after the upgrade, like v1.32.0').makeOptionMandatory())
    .addOption(downSeconds())
    .action((name, opts) => {
      checkVersion(opts.version);
      return send('upgrade', name, { version: opts.version, downSeconds: downSecondsFlag(opts.downSeconds) });
    });
  examples(upgrade, [['Upgrade the kubelet of node01 to v1.32.0', 'upkeep sandbox node upgrade node01 --version v1.32.0']]);
  registerMachineCommands(node, io, globals);
}

function registerControlPlane(sandbox: Command, io: Io, globals: () => GlobalFlags): void {
  const print = printer(io, globals);
  const controlPlane = sandbox.command('control-plane').description('The control plane of a sandbox (sandbox only)');
  examples(controlPlane, [['Upgrade the control plane to v1.32.0', 'upkeep sandbox control-plane upgrade --version v1.32.0']]);
  const upgrade = controlPlane
    .command('upgrade')
    .description('What kubeadm upgrade apply does: static pods, /version, kube-proxy move to --version')
    .addOption(new Option('--version <version>', 'the new Kubernetes version, like v1.32.0').makeOptionMandatory())
    .action(async (opts) => {
      checkVersion(opts.version);
      const client = await clientFromFlags(globals(), io);
      const result = await client.post<{ version: string }>('/sandbox/v1/control-plane/upgrade', { version: opts.version });
      print(outputObject('SandboxControlPlane', { version: result.version }), `control plane upgraded to ${result.version}`);
    });
  examples(upgrade, [['Upgrade the control plane to v1.32.0, as kubeadm upgrade apply', 'upkeep sandbox control-plane upgrade --version v1.32.0']]);
}
