// `upkeep upgrade apply|status|resume|abort`: carry out the plan node by node (upgrade/apply),
// with gates between steps, a journal in kube-system and a Lease so that a second run refuses and
// any machine can resume. Exit 2 for bad flags (and a run without --yes off a terminal), 3 when
// a gate stops the run or the plan blocks, 1 when something fails.
import { createInterface } from 'node:readline/promises';
import { Option, type Command } from '@commander-js/extra-typings';
import { DurationError, formatGoDuration, parseDurationFlag } from '../../api/duration.js';
import type { Node } from '../../api/types.js';
import { setCordon } from '../../drain/cordon.js';
import type { DrainRunOptions } from '../../drain/drain.js';
import { drainOptions } from '../../drain/types.js';
import type { KubeClient } from '../../kube/index.js';
import { execute, type ExecuteContext, type RunOutcome, type UpgradeEvent } from '../../upgrade/apply/execute.js';
import { enterPhase, mayResume, mayStart, newJournal, setState, type Journal } from '../../upgrade/apply/journal.js';
import { currentHolder, LeaseHeldError, RunLease } from '../../upgrade/apply/lease.js';
import { prepareUpgrade, waveImpacts } from '../../upgrade/apply/prepare.js';
import { isStrategy, strategyImpact, STRATEGIES, type Step, type StepOptions, type Strategy } from '../../upgrade/apply/steps.js';
import { JournalStore, readJournal } from '../../upgrade/apply/store.js';
import { createUpgrader, UPGRADER_KINDS, UpgraderOptionsError, type UpgraderKind, type UpgraderOptions, type Upgraders } from '../../upgrade/upgraders/index.js';
import { formatVersion, parseVersion } from '../../upgrade/version.js';
import { isJsonObject } from '../../util/json.js';
import { clientFromFlags } from '../client.js';
import type { GlobalFlags, Io } from '../context.js';
import { BlockedError, ExitError, UsageError } from '../errors.js';
import { parseIntFlag } from '../flags.js';
import { outputObject, parseOutput, toJson, type OutputFormat } from '../output/format.js';
import { Progress } from '../output/progress.js';
import { eventLine, gateFailedMessage, nodeGroupLines, renderStatus, renderSteps, renderSummary, snapshotLine, snapshotPreviewLine } from '../output/upgrade.js';
import { nodeGroupUpgradeCommands } from '../../upgrade/nodegroups.js';
import { defaultTarget } from './plan.js';
import { examplesByPath, forProgram } from '../help.js';
import { parseSnapshotFlag, type SnapshotRequest } from '../../upgrade/apply/etcdsnapshot.js';
import { checkSnapshotPath, previewSnapshot, snapshotBeforeRun } from './upgrade-snapshot.js';
import { parseDryRun } from '../flags.js';

const UPGRADERS = UPGRADER_KINDS;

/** What a run needs besides its steps; kept in the journal so that resume runs the same way. */
export interface RunSettings {
  upgrader: UpgraderKind | 'auto';
  nodeReadyTimeoutMs: number;
  drain: DrainRunOptions;
  maintainCommand?: string;
  deleteNodes: boolean;
  healthCommand?: string;
  validateCount?: number;
  /** How machines are reached (--node-command, --os, --ssh-*, --node-add/remove-command): kept so that resume reaches them the same way. */
  machines?: MachineFlags;
}

/** The upgrader's own flags, as the journal keeps them. */
export type MachineFlags = Pick<UpgraderOptions, 'nodeCommand' | 'os' | 'sshUser' | 'sshOptions' | 'sshHost' | 'nodeAddCommand' | 'nodeRemoveCommand'>;
const MACHINE_STRING_FLAGS = ['nodeCommand', 'os', 'sshUser', 'sshHost', 'nodeAddCommand', 'nodeRemoveCommand'] as const;

/** Decode boundary: the machine flags as the journal stored them. */
function machineFlagsFrom(v: unknown): MachineFlags | undefined {
  if (!isJsonObject(v)) return undefined;
  const m: MachineFlags = {};
  for (const k of MACHINE_STRING_FLAGS) if (typeof v[k] === 'string') m[k] = String(v[k]);
  if (Array.isArray(v.sshOptions)) m.sshOptions = v.sshOptions.filter((o): o is string => typeof o === 'string');
  return m;
}

/** The drain every node gets here: the runbook's --ignore-daemonsets and --wait-ready on, evictions only. */
export function defaultDrain(): DrainRunOptions {
  return { ...drainOptions({ ignoreDaemonSets: true }), waitReady: true, surge: false, maxUnavailable: 1, concurrency: 16, cordonReason: 'upkeep upgrade' };
}

/** Decode boundary: the settings as the journal stored them, each field checked against its default. */
export function settingsFrom(v: unknown): RunSettings {
  const base: RunSettings = { upgrader: 'auto', nodeReadyTimeoutMs: 600_000, drain: defaultDrain(), deleteNodes: false };
  if (!isJsonObject(v)) return base;
  const drain: Record<string, unknown> = { ...base.drain };
  const stored = isJsonObject(v.drain) ? v.drain : {};
  for (const k of Object.keys(drain)) if (typeof stored[k] === typeof drain[k]) drain[k] = stored[k];
  const upgrader = UPGRADERS.find((u) => u === v.upgrader) ?? 'auto';
  return {
    upgrader,
    nodeReadyTimeoutMs: typeof v.nodeReadyTimeoutMs === 'number' ? v.nodeReadyTimeoutMs : base.nodeReadyTimeoutMs,
    drain: drain as unknown as DrainRunOptions,
    ...(typeof v.maintainCommand === 'string' ? { maintainCommand: v.maintainCommand } : {}),
    deleteNodes: v.deleteNodes === true,
    ...(typeof v.healthCommand === 'string' ? { healthCommand: v.healthCommand } : {}),
    ...(typeof v.validateCount === 'number' ? { validateCount: v.validateCount } : {}),
    ...(machineFlagsFrom(v.machines) ? { machines: machineFlagsFrom(v.machines) } : {}),
  };
}

function duration(value: string, flag: string): number {
  try {
    return parseDurationFlag(value, flag, { bareSeconds: true });
  } catch (e) {
    if (e instanceof DurationError) throw new UsageError(e.message);
    throw e;
  }
}

/** Whether the server is an upkeep sandbox: it answers its machine API for a node. */
async function isSandbox(client: KubeClient): Promise<boolean> {
  try {
    const nodes = await client.list<Node>({ version: 'v1', resource: 'nodes' }, { limit: 1 });
    const name = nodes.items[0]?.metadata.name;
    if (!name) return false;
    await client.get(`/sandbox/v1/nodes/${encodeURIComponent(name)}`);
    return true;
  } catch {
    return false;
  }
}

/** The upgrader (and provisioner) a run uses: --upgrader, else sandbox against an upkeep sandbox. */
export async function upgraderFor(client: KubeClient, kind: RunSettings['upgrader'], machines: MachineFlags = {}): Promise<Upgraders> {
  const chosen = kind === 'auto' ? ((await isSandbox(client)) ? 'sandbox' : undefined) : kind;
  if (chosen === undefined) throw new UsageError('this cluster is not an upkeep sandbox: say how nodes are reached with --upgrader ssh or --upgrader command');
  return upgraders(chosen, { ...machines, kube: client });
}

/** createUpgrader, its flag mistakes as usage errors (exit 2). */
function upgraders(kind: UpgraderKind, o: UpgraderOptions): Upgraders {
  try {
    return createUpgrader(kind, o);
  } catch (e) {
    if (e instanceof UpgraderOptionsError) throw new UsageError(e.message);
    throw e;
  }
}

/** The global flags and the program as it was started (`kubectl upkeep` as the plugin), for the hints that name a command. */
export type RunGlobals = GlobalFlags & { programName?: string };

/** The command that continues a run, naming the same cluster. */
export function resumeCommand(g: RunGlobals): string[] {
  return [...(g.programName ?? 'upkeep').split(' '), ...(g.kubeconfig ? ['--kubeconfig', g.kubeconfig] : []), ...(g.context ? ['--context', g.context] : []), 'upgrade', 'resume'];
}

/** --yes, or a yes on the terminal; off a terminal without --yes: refuse (exit 2). */
export async function confirm(io: Io, yes: boolean, question: string): Promise<void> {
  if (yes) return;
  if (!io.isTTY) throw new UsageError(`refusing to change the cluster without --yes when not on a terminal: review the steps with --dry-run, then run again with --yes`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new ExitError(1, 'not confirmed: nothing was changed');
  } finally {
    rl.close();
  }
}

/** Events: on a terminal one live line per node in flight (its step, phase, for how long, what it waits for), redrawn every second; plain lines on a pipe, JSON lines with -o json. */
function eventSink(io: Io, format: OutputFormat, progress: Progress): { onEvent: (e: UpgradeEvent) => void; stop: () => void } {
  const inFlight = new Map<string, { step: number; phase: string; since: number; waiting?: string }>();
  const live = (): void => {
    const now = Date.now();
    progress.lines([...inFlight].map(([node, f]) => [node, `${node}: step ${f.step}, ${f.phase} ${formatGoDuration(Math.floor((now - f.since) / 1000) * 1000)}${f.waiting ? `, waiting for ${f.waiting}` : ''}`] as const));
  };
  const ticker = io.isTTY && format !== 'json' ? setInterval(() => inFlight.size && live(), 1000) : undefined;
  ticker?.unref();
  const onEvent = (e: UpgradeEvent): void => {
    if (format === 'json') {
      io.out(JSON.stringify(outputObject('UpgradeEvent', { at: new Date().toISOString(), ...e })) + '\n');
      return;
    }
    if (e.type === 'phase') inFlight.set(e.node || `step ${e.step}`, { step: e.step, phase: e.phase, since: Date.now() });
    if (e.type === 'step-done') inFlight.delete(e.node || `step ${e.step}`);
    if (e.type === 'waiting') {
      const f = inFlight.get(e.node);
      if (f) f.waiting = e.for;
      if (io.isTTY) live();
      else progress.status(`node:${e.node}`, `${e.node}: waiting for ${e.for}`);
      return;
    }
    if (e.type === 'phase' && io.isTTY) {
      live();
      return;
    }
    const line = eventLine(e);
    if (line) progress.out(line);
    // The permanent line went above; the nodes still in flight are drawn again below it.
    if (io.isTTY && inFlight.size) live();
  };
  return { onEvent, stop: () => ticker && clearInterval(ticker) };
}

/** Carry out the journal under the lease; print the result; exit 3 on a failed gate. */
export async function runJournal(io: Io, g: RunGlobals, format: OutputFormat, client: KubeClient, store: JournalStore, lease: RunLease): Promise<void> {
  const settings = settingsFrom(store.current.options);
  const progress = new Progress(io, format === 'json');
  const abort = new AbortController();
  const onSignal = (): void => {
    progress.err(`interrupted: stopping; the journal keeps every node's step (${resumeCommand(g).join(' ')} carries on)`);
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let outcome: RunOutcome;
  const events = eventSink(io, format, progress);
  try {
    const machines = await upgraderFor(client, settings.upgrader, settings.machines);
    const ctx: ExecuteContext = { client, ...machines, drain: settings.drain, nodeReadyTimeoutMs: settings.nodeReadyTimeoutMs, deleteNodes: settings.deleteNodes, signal: abort.signal, onEvent: events.onEvent };
    if (settings.maintainCommand !== undefined) ctx.maintainCommand = settings.maintainCommand;
    if (settings.healthCommand !== undefined) ctx.healthCommand = settings.healthCommand;
    if (settings.validateCount !== undefined) ctx.validateCount = settings.validateCount;
    outcome = await execute(ctx, store);
  } finally {
    events.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await lease.release();
  }
  progress.clear();
  report(io, g, format, outcome);
}

function report(io: Io, g: RunGlobals, format: OutputFormat, outcome: RunOutcome): void {
  const j = outcome.journal;
  const message = outcome.kind === 'failed' ? gateFailedMessage(outcome.step, outcome.gate, outcome.message, resumeCommand(g)) : undefined;
  if (format === 'json') {
    io.out(JSON.stringify(outputObject('UpgradeResult', { result: outcome.kind, ...(message ? { message } : {}), journal: j })) + '\n');
  } else {
    io.out(renderSummary(j));
    if (j.etcdSnapshot?.file) io.out(`${snapshotLine(j.etcdSnapshot)}\n`);
    if (outcome.kind === 'done') io.out(`${j.operation === 'upgrade' ? `Upgrade to ${j.target}` : 'Maintenance'} done: ${j.steps.length} steps.\n`);
    if (outcome.kind === 'aborted') io.out(forProgram(`Run ${j.id} aborted; each node's state: upkeep upgrade status\n`, g.programName ?? 'upkeep'));
  }
  if (outcome.kind === 'failed') throw new BlockedError(message ?? '');
  if (outcome.kind === 'interrupted') throw new ExitError(1, `interrupted: continue with ${resumeCommand(g).join(' ')}`);
}

/** Take the lease, as a LeaseHeldError becomes exit 3 with its holder. */
export async function takeLease(client: KubeClient): Promise<RunLease> {
  try {
    return await RunLease.acquire(client);
  } catch (err) {
    if (err instanceof LeaseHeldError) throw new BlockedError(err.message);
    throw err;
  }
}

/** Start a new journal for these steps (after checking none is unfinished) and run it. */
export async function startRun(io: Io, g: RunGlobals, format: OutputFormat, client: KubeClient, facts: { operation: Journal['operation']; steps: Step[]; target: string; strategy: string; settings: RunSettings; snapshot?: SnapshotRequest }): Promise<void> {
  const lease = await takeLease(client);
  try {
    const existing = await readJournal(client);
    const verdict = mayStart(existing?.journal);
    if (!verdict.ok) throw verdict.exitCode === 3 ? new BlockedError(verdict.reason) : new UsageError(verdict.reason);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    // Before the journal: a snapshot that fails leaves the cluster as it was (the lease is released below).
    const etcdSnapshot = facts.snapshot ? await snapshotBeforeRun(io, format, client, facts.snapshot, facts.steps, `${facts.operation}-${now}`, now) : undefined;
    const journal = newJournal(facts.operation, facts.steps, { target: facts.target, strategy: facts.strategy, options: { ...facts.settings }, holder: lease.holder, ...(etcdSnapshot ? { etcdSnapshot } : {}) }, now);
    const store = new JournalStore(client, journal, existing?.resourceVersion);
    await store.update((j) => j);
    await runJournal(io, g, format, client, store, lease);
  } catch (err) {
    await lease.release();
    throw err;
  }
}

interface ApplyFlags {
  to?: string;
  strategy: string;
  maxUnavailable: string;
  dryRun?: boolean;
  yes?: boolean;
  skipControlPlane?: boolean;
  nodes?: string;
  selector?: string;
  upgrader?: string;
  addNodes?: string;
  deleteNodes?: boolean;
  nodeReadyTimeout: string;
  force?: boolean;
  deleteEmptydirData?: boolean;
  surge?: boolean;
  timeout: string;
  gracePeriod: string;
  healthCommand?: string;
  validateCount: string;
  machines: MachineFlags;
  etcdSnapshot?: string;
}

/** The flags every executor command shares (drain's, the upgrader, the strategy), as Option objects both commands add. */
export function runFlags(): Option[] {
  return [
    new Option('--strategy <strategy>', `how workers go: ${STRATEGIES.join(', ')}`).default('one-by-one'),
    new Option('--max-unavailable <n>', 'workers at once for one-by-one (budgets are never broken)').default('1'),
    new Option('--yes', 'carry it out without asking (required when not on a terminal)'),
    // A plan print: the bare flag, or --dry-run=client as kubectl spells it; no server dry run.
    new Option('--dry-run [mode]', 'print every step in order with the drain impact of each wave and change nothing (--dry-run or --dry-run=client)'),
    new Option('--upgrader <kind>', `how a machine is reached: ${UPGRADERS.join(', ')} (default: sandbox against an upkeep sandbox)`),
    new Option('--node-command <command>', "command upgrader: run per node, with {node} {version} {role} {from} {address}, e.g. './upgrade.sh {node} {version} {role}'"),
    new Option('--os <os>', 'ssh upgrader: the hosts\' package manager: debian, ubuntu (apt); rhel, centos, rocky, fedora (dnf)'),
    new Option('--ssh-user <user>', 'ssh upgrader: the remote user (default: your ssh config)'),
    new Option('--ssh-option <option>', 'ssh upgrader: an ssh_config option such as Port=2222 (repeatable)').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
    new Option('--ssh-host <template>', "ssh upgrader: the host to reach, e.g. '{node}.example.internal' (default: the node's InternalIP or Hostname)"),
    new Option('--node-add-command <command>', 'replace: a command that adds a worker at {version} and prints its Node name last'),
    new Option('--node-remove-command <command>', 'replace: a command that removes the machine of {node}'),
    new Option('--node-ready-timeout <duration>', 'how long a node gets to come back Ready at its version').default('10m'),
    new Option('--force', 'drain: also delete pods that declare no controller'),
    new Option('--delete-emptydir-data', 'drain: delete pods using emptyDir volumes (their data is lost)'),
    new Option('--surge', 'drain: bring a replacement up elsewhere before evicting the only ready replica'),
    new Option('--timeout <duration>', 'drain: give up on a node after this long (0: never)').default('0s'),
    new Option('--grace-period <seconds>', 'drain: seconds each pod gets to terminate (negative: its own)').default('-1'),
    new Option('--health-command <command>', 'run after each node (sh -c, with UPKEEP_NODE and UPKEEP_VERSION set): non-zero stops the run'),
    new Option('--validate-count <n>', "each node's Ready check and --health-command must pass N times in a row").default('1'),
  ];
}

/** --dry-run, --dry-run=client: print the steps only; =none runs; =server has no meaning here (exit 2). */
export function planOnly(value: unknown): boolean {
  const mode = parseDryRun(typeof value === 'string' || typeof value === 'boolean' ? value : undefined);
  if (mode === 'server') throw new UsageError('--dry-run=server is not supported here: --dry-run (client) prints every step and changes nothing');
  return mode === 'client';
}

/** Decode boundary: commander's untyped option values (the runFlags above), read field by field. */
export function runFlagValues(o: Record<string, unknown>): RunFlagValues {
  const str = (k: string, d: string): string => (typeof o[k] === 'string' ? String(o[k]) : d);
  const opt = (k: string): string | undefined => (typeof o[k] === 'string' ? String(o[k]) : undefined);
  return {
    strategy: str('strategy', 'one-by-one'),
    maxUnavailable: str('maxUnavailable', '1'),
    upgrader: opt('upgrader'),
    nodeReadyTimeout: str('nodeReadyTimeout', '10m'),
    force: o.force === true,
    deleteEmptydirData: o.deleteEmptydirData === true,
    surge: o.surge === true,
    timeout: str('timeout', '0s'),
    gracePeriod: str('gracePeriod', '-1'),
    yes: o.yes === true,
    dryRun: planOnly(o.dryRun),
    healthCommand: opt('healthCommand'),
    validateCount: str('validateCount', '1'),
    machines: {
      ...(opt('nodeCommand') !== undefined ? { nodeCommand: opt('nodeCommand') } : {}),
      ...(opt('os') !== undefined ? { os: opt('os') } : {}),
      ...(opt('sshUser') !== undefined ? { sshUser: opt('sshUser') } : {}),
      ...(Array.isArray(o.sshOption) ? { sshOptions: o.sshOption.filter((x): x is string => typeof x === 'string') } : {}),
      ...(opt('sshHost') !== undefined ? { sshHost: opt('sshHost') } : {}),
      ...(opt('nodeAddCommand') !== undefined ? { nodeAddCommand: opt('nodeAddCommand') } : {}),
      ...(opt('nodeRemoveCommand') !== undefined ? { nodeRemoveCommand: opt('nodeRemoveCommand') } : {}),
    },
  };
}

export type RunFlagValues = Pick<ApplyFlags, 'strategy' | 'maxUnavailable' | 'upgrader' | 'nodeReadyTimeout' | 'force' | 'deleteEmptydirData' | 'surge' | 'timeout' | 'gracePeriod' | 'yes' | 'dryRun' | 'healthCommand' | 'validateCount' | 'machines'>;

export function parseRunFlags(opts: Omit<RunFlagValues, 'yes' | 'dryRun'>): { strategy: Strategy; maxUnavailable: number; settings: RunSettings } {
  if (!isStrategy(opts.strategy)) throw new UsageError(`invalid value "${opts.strategy}" for --strategy: must be ${STRATEGIES.join(', ')}`);
  if (opts.upgrader !== undefined && !(UPGRADERS as readonly string[]).includes(opts.upgrader)) throw new UsageError(`invalid value "${opts.upgrader}" for --upgrader: must be ${UPGRADERS.join(', ')}`);
  const maxUnavailable = parseIntFlag(opts.maxUnavailable, '--max-unavailable', 1);
  if (opts.strategy !== 'one-by-one' && maxUnavailable > 1) throw new UsageError(`--max-unavailable applies to --strategy one-by-one only, not ${opts.strategy}`);
  const drain: DrainRunOptions = {
    ...defaultDrain(),
    force: !!opts.force,
    deleteEmptyDirData: !!opts.deleteEmptydirData,
    surge: !!opts.surge,
    timeoutSeconds: duration(opts.timeout, '--timeout') / 1000,
    gracePeriodSeconds: parseIntFlag(opts.gracePeriod, '--grace-period', -Infinity),
  };
  const upgrader = opts.upgrader === undefined ? 'auto' : UPGRADERS.find((u) => u === opts.upgrader) ?? 'auto';
  const validateCount = parseIntFlag(opts.validateCount, '--validate-count', 1);
  const settings: RunSettings = { upgrader, nodeReadyTimeoutMs: duration(opts.nodeReadyTimeout, '--node-ready-timeout'), drain, deleteNodes: false, validateCount };
  if (opts.healthCommand !== undefined) settings.healthCommand = opts.healthCommand;
  if (Object.keys(opts.machines).length > 0) settings.machines = opts.machines;
  // The ssh and command upgraders' flags are checked now, before anything changes (the sandbox's needs the cluster).
  if (upgrader === 'ssh' || upgrader === 'command') upgraders(upgrader, opts.machines);
  return { strategy: opts.strategy, maxUnavailable, settings };
}

async function apply(io: Io, g: RunGlobals, opts: ApplyFlags): Promise<void> {
  const format = parseOutput(g.output, ['table', 'json']);
  const { strategy, maxUnavailable, settings } = parseRunFlags(opts);
  const snapshot = parseSnapshotFlag(opts.etcdSnapshot);
  await checkSnapshotPath(snapshot);
  let to: ReturnType<typeof parseVersion> | undefined;
  if (opts.to !== undefined) {
    try {
      to = parseVersion(opts.to);
    } catch (e) {
      throw new UsageError(`invalid value "${opts.to}" for --to: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (opts.nodes && opts.selector) throw new UsageError("'--nodes' and '--selector' are mutually exclusive");
  const client = await clientFromFlags(g, io);
  let workers: Set<string> | undefined;
  if (opts.nodes) workers = new Set(opts.nodes.split(',').map((s) => s.trim()).filter(Boolean));
  if (opts.selector) workers = new Set((await client.list<Node>({ version: 'v1', resource: 'nodes' }, { labelSelector: opts.selector })).items.map((n) => n.metadata.name ?? ''));
  const addNodes = opts.addNodes === undefined ? undefined : parseIntFlag(opts.addNodes, '--add-nodes', 1);
  const stepOptions: StepOptions = { strategy, maxUnavailable, skipControlPlane: !!opts.skipControlPlane, ...(workers ? { workers } : {}), ...(addNodes ? { addNodes } : {}) };
  const p = await prepareUpgrade(client, (oldest) => to ?? defaultTarget(oldest), stepOptions, settings.drain);
  if (!p.plan.target) throw new UsageError('no newer version is known for this cluster: give one with --to');
  const target = formatVersion(p.plan.target);
  const impact = strategyImpact(p.steps, strategy);
  const title = `Upgrade ${formatVersion(p.plan.current)} -> ${target}: ${p.steps.length} step${p.steps.length === 1 ? '' : 's'} (${strategy})`;
  const etcdSnapshot = opts.dryRun ? await previewSnapshot(client, snapshot, p.steps) : undefined;
  if (opts.dryRun || format !== 'json') {
    const nodeGroups = p.nodeGroups.map((s) => ({ name: s.group.name, kind: s.group.kind, nodes: s.group.nodes, command: nodeGroupUpgradeCommands(s.group, p.plan.managed, s.to)[0] }));
    if (format === 'json') io.out(JSON.stringify(outputObject('UpgradeSteps', { target, impact, steps: p.steps, blocking: p.blocking, ...(nodeGroups.length ? { nodeGroups } : {}), etcdSnapshot })) + '\n');
    else io.out(renderSteps(title, p.steps, impact, waveImpacts(p.snapshot, p.steps, settings.drain)) + nodeGroupLines(p.nodeGroups, p.plan.managed) + (etcdSnapshot ? `${snapshotPreviewLine(etcdSnapshot)}\n` : ''));
  } else if (p.nodeGroups.length) io.err(nodeGroupLines(p.nodeGroups, p.plan.managed));
  if (p.blocking.length) {
    throw new BlockedError(forProgram(`the plan has ${p.blocking.length} blocking finding${p.blocking.length === 1 ? '' : 's'}: ${p.blocking.map((f) => `${f.code} ${f.object ?? ''}: ${f.fix ?? f.message}`).join('; ')}`, g.programName ?? 'upkeep'));
  }
  if (opts.dryRun) return;
  if (p.steps.length === 0) {
    io.out(p.nodeGroups.length ? `Nothing for upkeep to do: the node groups behind are the provider's to upgrade (above).\n` : `Nothing to do: the selected nodes are at ${target} already.\n`);
    return;
  }
  await confirm(io, !!opts.yes, `Carry out these ${p.steps.length} steps on the cluster?`);
  await startRun(io, g, format, client, { operation: 'upgrade', steps: p.steps, target, strategy, settings: { ...settings, deleteNodes: !!opts.deleteNodes }, snapshot });
}

async function status(io: Io, g: RunGlobals): Promise<void> {
  const format = parseOutput(g.output, ['table', 'json']);
  const client = await clientFromFlags(g, io);
  const [stored, holder] = await Promise.all([readJournal(client), currentHolder(client)]);
  if (format === 'json') {
    io.out(toJson(outputObject('UpgradeStatus', { journal: stored?.journal ?? null, holder: holder?.holder ?? null })));
    return;
  }
  if (!stored) {
    io.out('No upgrade run: kube-system/upkeep-upgrade does not exist.\n');
    return;
  }
  io.out(renderStatus(stored.journal, holder && !holder.gone ? holder.holder : undefined));
}

async function resume(io: Io, g: RunGlobals, yes: boolean): Promise<void> {
  const format = parseOutput(g.output, ['table', 'json']);
  const client = await clientFromFlags(g, io);
  const lease = await takeLease(client);
  try {
    const stored = await readJournal(client);
    const verdict = mayResume(stored?.journal);
    if (!verdict.ok || !stored) throw verdict.ok ? new UsageError('no journal') : verdict.exitCode === 3 ? new BlockedError(verdict.reason) : new UsageError(verdict.reason);
    await confirm(io, yes, `Carry on run ${stored.journal.id} (${stored.journal.steps.filter((s) => s.phase !== 'done').length} steps left)?`);
    const store = new JournalStore(client, { ...stored.journal, holder: lease.holder }, stored.resourceVersion);
    await runJournal(io, g, format, client, store, lease);
  } catch (err) {
    await lease.release();
    throw err;
  }
}

/** Stop a run: a live holder stops after its current wave; otherwise stop here, uncordoning nodes whose gates passed. */
async function abortRun(io: Io, g: RunGlobals): Promise<void> {
  const client = await clientFromFlags(g, io);
  const stored = await readJournal(client);
  if (!stored || stored.journal.state === 'done' || stored.journal.state === 'aborted') throw new UsageError('there is no unfinished upgrade run to abort');
  const holder = await currentHolder(client);
  const store = new JournalStore(client, stored.journal, stored.resourceVersion);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  if (holder && !holder.gone) {
    await store.update((j) => setState(j, 'aborting', now));
    io.out(forProgram(`Asked the run held by ${holder.holder} to stop after its current wave; 'upkeep upgrade status' shows where each node is left.\n`, g.programName ?? 'upkeep'));
    return;
  }
  const lease = await takeLease(client);
  try {
    for (const s of store.current.steps.filter((x) => x.phase === 'uncordoning' && x.node)) {
      if (!s.wasCordoned) {
        const r = await setCordon(client, await client.get<Node>({ version: 'v1', resource: 'nodes', name: s.node }), false);
        io.out(`${r.line}\n`);
      }
      await store.update((j) => enterPhase(j, s.id, 'done', now));
    }
    const j = await store.update((x) => setState(x, 'aborted', now));
    io.out(renderStatus(j, undefined));
  } finally {
    await lease.release();
  }
}

export function registerUpgrade(program: Command, io: Io, globals: () => GlobalFlags): void {
  const upgrade = program.command('upgrade').description('Carry out the upgrade plan node by node, with gates, a journal in the cluster and resume');
  const applyCmd = upgrade
    .command('apply')
    .description('Upgrade the cluster: the control plane one node at a time, then the workers by --strategy, each drained, upgraded, Ready and uncordoned')
    .addOption(new Option('--to <version>', 'target version: v1.32.4, or 1.32 for its latest known patch (default: the next minor)'))
    .addOption(new Option('--skip-control-plane', 'upgrade only workers'))
    .addOption(new Option('--nodes <names>', 'only these workers (comma-separated)'))
    .addOption(new Option('-l, --selector <selector>', 'only the workers matching this label selector'))
    .addOption(new Option('--add-nodes <n>', 'replace: how many new workers to add (default: as many as the old ones)'))
    .addOption(new Option('--delete-nodes', 'replace: delete the old Node objects once their machines are removed'))
    .addOption(new Option('--etcd-snapshot <path>', "a verified etcd snapshot to PATH (a file, or a directory) before the first control-plane change; 'none' to skip (default: on when etcd answers from this machine, under ~/.local/state/upkeep/etcd/)"));
  for (const o of runFlags()) applyCmd.addOption(o);
  applyCmd.action(async (opts) => apply(io, { ...globals(), programName: program.name() }, { ...opts, ...runFlagValues(applyCmd.opts()) }));
  upgrade.command('status').description('The journal: each node\'s step, phase and state, and who holds the run').action(async () => status(io, { ...globals(), programName: program.name() }));
  upgrade
    .command('resume')
    .description('Carry on an interrupted or stopped run from where its journal says, from any machine')
    .addOption(new Option('--yes', 'carry on without asking (required when not on a terminal)'))
    .action(async (opts) => resume(io, { ...globals(), programName: program.name() }, !!opts.yes));
  upgrade.command('abort').description('Stop the run after its current step, leaving every node in a stated state').action(async () => abortRun(io, { ...globals(), programName: program.name() }));
  examplesByPath(upgrade, {
    '': [
      ['Every step of the upgrade to the next minor, changing nothing', 'upkeep upgrade apply --dry-run'],
      ['Carry it out without asking', 'upkeep upgrade apply --yes'],
      ['Where each node of the run is', 'upkeep upgrade status'],
    ],
    apply: [
      ['Every step of an upgrade to v1.32, with the drain impact of each wave', 'upkeep upgrade apply --to 1.32 --dry-run'],
      ['Upgrade to v1.32.4, workers two at a time', 'upkeep upgrade apply --to v1.32.4 --max-unavailable 2 --yes'],
      ['Upgrade Ubuntu machines over ssh as the admin user', 'upkeep upgrade apply --to 1.32 --upgrader ssh --os ubuntu --ssh-user admin --yes'],
      ['Replace the workers with new machines made by your own scripts', "upkeep upgrade apply --strategy replace --node-add-command './add.sh {version}' --node-remove-command './remove.sh {node}' --delete-nodes --yes"],
      ['Only the workers labelled pool=batch, with a health check after each', "upkeep upgrade apply --skip-control-plane -l pool=batch --health-command './smoke.sh' --yes"],
    ],
    status: [
      ['Where each node of the run is, and who holds it', 'upkeep upgrade status'],
      ['The journal as JSON', 'upkeep upgrade status -o json'],
    ],
    resume: [['Carry on an interrupted run from this machine', 'upkeep upgrade resume --yes']],
    abort: [['Stop the run after its current wave', 'upkeep upgrade abort']],
  });
}
