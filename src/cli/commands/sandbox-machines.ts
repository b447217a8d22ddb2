// `upkeep sandbox node add|remove|fault`: the sandbox's machine API (src/sandbox/power.ts) from
// the command line: a worker added at a version, a machine removed, faults armed for a test.
import { Option, type Command } from '@commander-js/extra-typings';
import type { GlobalFlags, Io } from '../context.js';
import { UsageError } from '../errors.js';
import { clientFromFlags } from '../client.js';
import { outputObject, parseOutput, toJson, toYaml } from '../output/format.js';
import { examplesByPath } from '../help.js';

const VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

interface Machine {
  name: string;
  up: boolean;
  version: string;
  machine: string;
  notReady: boolean;
  faults?: { neverReturn?: boolean; notReady?: boolean; upgradeSeconds?: number };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** --label k=v, repeated: the new Node's labels. */
export function parseLabels(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid value "${v}" for --label: use key=value, like pool=v132`);
    labels[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return labels;
}

function faultList(m: Machine): string {
  const f = m.faults ?? {};
  const list = [f.neverReturn ? 'neverReturn' : '', f.notReady ? 'notReady' : '', f.upgradeSeconds ? `upgradeSeconds=${f.upgradeSeconds}` : ''].filter(Boolean);
  return list.join(', ') || 'none';
}

/** The machine API's answer as the SandboxNode kind (docs/output.md): the Node as {kind, name}, then the machine's state. */
export function machineDocument(m: Machine) {
  return outputObject('SandboxNode', { object: { kind: 'Node', name: m.name }, up: m.up, version: m.version, machine: m.machine, notReady: m.notReady, faults: m.faults ?? {} });
}

export function registerMachineCommands(node: Command, io: Io, globals: () => GlobalFlags): void {
  const print = (result: Machine, line: string) => {
    const format = parseOutput(globals().output, ['table', 'json', 'yaml']);
    const doc = machineDocument(result);
    io.out(format === 'json' ? toJson(doc) : format === 'yaml' ? toYaml(doc) : `${line}\n`);
  };
  const path = (name: string, op = '') => `/sandbox/v1/nodes/${encodeURIComponent(name)}${op ? `/${op}` : ''}`;
  node
    .command('add')
    .description('add a worker machine at a kubelet version: its Node registers and goes Ready')
    .addOption(new Option('--version <version>', 'its kubelet version, like v1.32.0').makeOptionMandatory())
    .addOption(new Option('--name <name>', 'the Node name (default node-01, node-02, ...)'))
    .addOption(new Option('--label <key=value>', 'a label of the new Node (repeatable)').argParser(collect))
    .action(async (opts) => {
      if (!VERSION.test(opts.version)) throw new UsageError(`invalid value "${opts.version}" for --version: use a version like v1.32.0`);
      const labels = parseLabels(opts.label ?? []);
      const client = await clientFromFlags(globals(), io);
      const m = await client.post<Machine>('/sandbox/v1/nodes', { version: opts.version, ...(opts.name ? { name: opts.name } : {}), ...(Object.keys(labels).length ? { labels } : {}) });
      print(m, `node/${m.name} added at ${m.version}`);
    });
  node
    .command('remove <node>')
    .description('remove the machine: its kubelet stops for good; the Node object stays until deleted (kubectl delete node)')
    .action(async (name) => {
      const client = await clientFromFlags(globals(), io);
      const m = await client.delete<Machine>(path(name));
      print(m, `the machine of node/${name} is removed (the Node object stays: kubectl delete node ${name})`);
    });
  node
    .command('fault <node>')
    .description('arm faults for the next reboot or upgrade: the machine never comes back, comes back NotReady, or upgrades slowly')
    .addOption(new Option('--never-return', 'the next reboot or upgrade leaves the kubelet down (until sandbox node up)'))
    .addOption(new Option('--not-ready', 'after the next reboot or upgrade the node reports NotReady (until --clear)'))
    .addOption(new Option('--upgrade-seconds <n>', 'an upgrade keeps the node down this many simulated seconds'))
    .addOption(new Option('--clear', 'clear every fault'))
    .action(async (name, opts) => {
      const seconds = opts.upgradeSeconds === undefined ? undefined : Number(opts.upgradeSeconds);
      if (seconds !== undefined && (!Number.isFinite(seconds) || seconds < 0)) throw new UsageError(`invalid value "${opts.upgradeSeconds}" for --upgrade-seconds: must be a non-negative number`);
      const set = { ...(opts.neverReturn ? { neverReturn: true } : {}), ...(opts.notReady ? { notReady: true } : {}), ...(seconds !== undefined ? { upgradeSeconds: seconds } : {}) };
      if (opts.clear && Object.keys(set).length) throw new UsageError('--clear cannot be combined with --never-return, --not-ready or --upgrade-seconds');
      if (!opts.clear && !Object.keys(set).length) throw new UsageError('sandbox node fault needs --never-return, --not-ready, --upgrade-seconds or --clear');
      const client = await clientFromFlags(globals(), io);
      const m = opts.clear ? await client.delete<Machine>(path(name, 'faults')) : await client.post<Machine>(path(name, 'faults'), set);
      print(m, `node/${name} faults: ${faultList(m)}`);
    });
  examplesByPath(node, {
    add: [
      ['Add a worker at v1.32.0; its Node registers and goes Ready', 'upkeep sandbox node add --version v1.32.0'],
      ['Add pool2-1 with the label pool=v132', 'upkeep sandbox node add --version v1.32.0 --name pool2-1 --label pool=v132'],
    ],
    remove: [['Remove the machine of node03 (then: kubectl delete node node03)', 'upkeep sandbox node remove node03']],
    fault: [
      ['Make node01 never come back from its next reboot or upgrade', 'upkeep sandbox node fault node01 --never-return'],
      ['Keep node02 down 10 simulated minutes in its next upgrade', 'upkeep sandbox node fault node02 --upgrade-seconds 600'],
      ['Clear every fault of node01', 'upkeep sandbox node fault node01 --clear'],
    ],
  });
}
