// The executor: carries out a journal's steps wave by wave, each node through its phases (drain
// with drain's own executor, upgrade through a NodeUpgrader, wait for Ready at the target, the
// control-plane gate, uncordon), writing every phase to the journal before acting on it. Every
// phase is idempotent (a drained node drains to nothing, an upgraded node is a no-op, an
// uncordoned node stays so), which is what makes `upgrade resume` after kill -9 safe. A gate that
// fails stops the run with the node, the gate and the node's state. Nothing here prints: progress
// goes out as events.
import { execFile } from 'node:child_process';
import { isNodeUnschedulable } from '../../api/nodes.js';
import type { Node, Pod } from '../../api/types.js';
import { cordonedByUpkeep, setCordon } from '../../drain/cordon.js';
import { drainNodes, type DrainCallbacks, type DrainRunOptions } from '../../drain/drain.js';
import { isNotFound, type KubeClient } from '../../kube/index.js';
import { errorMessage } from '../../util/errors.js';
import { discoverClusterVersions } from '../discover.js';
import type { NodeProvisioner, NodeTarget, NodeUpgrader, UpgraderContext } from '../upgraders/types.js';
import { controlPlaneNotBack, nodeNotBack, skewViolations, type Move } from './gates.js';
import { enterPhase, failStep, nextWave, setState, updateStep, type Gate, type Journal, type Phase, type StepRecord } from './journal.js';
import type { JournalStore } from './store.js';

const NODES = { version: 'v1', resource: 'nodes' } as const;
const PODS = { version: 'v1', resource: 'pods', namespace: 'kube-system' } as const;

export type UpgradeEvent =
  | { type: 'wave'; wave: number; nodes: string[] }
  | { type: 'phase'; step: number; node: string; phase: Phase }
  | { type: 'line'; node: string; line: string }
  | { type: 'waiting'; node: string; for: string }
  | { type: 'gate-failed'; step: number; node: string; gate: Gate; message: string; state: string }
  | { type: 'step-done'; step: number; node: string; ms: number; evicted: number; phases: Partial<Record<Phase, number>> };

export interface ExecuteContext {
  client: KubeClient;
  upgrader: NodeUpgrader;
  provisioner?: NodeProvisioner;
  /** The drain every node gets (--ignore-daemonsets and --wait-ready on by default here). */
  drain: DrainRunOptions;
  /** How long a node gets to come back Ready at its version (and its static pods). */
  nodeReadyTimeoutMs: number;
  /** node maintain --run CMD. */
  maintainCommand?: string;
  /** replace: delete the old Node objects once their machines are removed. */
  deleteNodes: boolean;
  signal: AbortSignal;
  onEvent(e: UpgradeEvent): void;
  now?: () => string;
  /** Poll interval for node and static pod readiness (ms). */
  pollMs?: number;
  /** --health-command: run after each node's gates (UPKEEP_NODE, UPKEEP_VERSION set); non-zero stops the run. */
  healthCommand?: string;
  /** --validate-count N: the node's Ready check and the health command must pass N times in a row (kOps' validation). */
  validateCount?: number;
}

/** How a run ended. */
export type RunOutcome =
  | { kind: 'done'; journal: Journal }
  | { kind: 'failed'; journal: Journal; step: StepRecord; gate: Gate; message: string }
  | { kind: 'aborted'; journal: Journal }
  | { kind: 'interrupted'; journal: Journal };

class GateError extends Error {
  constructor(
    readonly gate: Gate,
    message: string,
  ) {
    super(message);
  }
}

const isoNow = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Run the journal's remaining waves. */
export async function execute(ctx: ExecuteContext, store: JournalStore): Promise<RunOutcome> {
  const now = ctx.now ?? isoNow;
  if (store.current.state !== 'running') await store.update((j) => setState(j, 'running', now()));
  for (let guard = 0; guard < store.current.steps.length + 1; guard++) {
    const wave = nextWave(store.current);
    if (wave === undefined) break;
    if (ctx.signal.aborted) return { kind: 'interrupted', journal: store.current };
    if ((await store.refresh()).state === 'aborting') return { kind: 'aborted', journal: await store.update((j) => setState(j, 'aborted', now())) };
    const steps = store.current.steps.filter((s) => s.wave === wave && s.phase !== 'done');
    ctx.onEvent({ type: 'wave', wave, nodes: steps.map((s) => s.node || s.kind) });
    const failure = (await skewGate(ctx, steps)) ?? (await runWave(ctx, store, steps));
    if (failure) {
      const journal = await store.update((j) => failStep(j, failure.step.id, failure.gate, failure.message, now()));
      const step = journal.steps.find((s) => s.id === failure.step.id) ?? failure.step;
      return ctx.signal.aborted ? { kind: 'interrupted', journal } : { kind: 'failed', journal, step, gate: failure.gate, message: failure.message };
    }
  }
  return { kind: 'done', journal: await store.update((j) => setState(j, 'done', now())) };
}

interface Failure {
  step: StepRecord;
  gate: Gate;
  message: string;
}

/** The skew policy holds with this wave's moves applied (checked again before every wave, so also after the last one's). */
async function skewGate(ctx: ExecuteContext, steps: readonly StepRecord[]): Promise<Failure | undefined> {
  const moves: Move[] = steps
    .filter((s) => s.kind === 'upgrade' && s.phase === 'pending')
    .map((s) => ({ node: s.node, to: s.to, staticPods: s.role === 'first-control-plane' || s.role === 'control-plane' }));
  if (moves.length === 0) return undefined;
  const cluster = await discoverClusterVersions(ctx.client);
  const violations = skewViolations(cluster, moves);
  if (violations.length === 0) return undefined;
  const v = violations[0];
  const step = steps.find((s) => s.node === v.node) ?? steps[0];
  return { step, gate: 'skew', message: `${v.component}${v.node ? ` on ${v.node}` : ''} would be at ${v.version}, outside ${v.allowed} (${v.rule})` };
}

async function runWave(ctx: ExecuteContext, store: JournalStore, steps: readonly StepRecord[]): Promise<Failure | undefined> {
  const failures = await Promise.all(
    steps.map(async (s) => {
      try {
        await runStep(ctx, store, s.id);
        return undefined;
      } catch (err) {
        const gate: Gate = err instanceof GateError ? err.gate : 'upgrade';
        const step = store.current.steps.find((x) => x.id === s.id) ?? s;
        return { step, gate, message: errorMessage(err) };
      }
    }),
  );
  return failures.find((f) => f !== undefined);
}

function stepOf(store: JournalStore, id: number): StepRecord {
  const s = store.current.steps.find((x) => x.id === id);
  if (!s) throw new Error(`step ${id} is not in the journal`);
  return s;
}

/** One step, from the phase the journal says it is in. */
async function runStep(ctx: ExecuteContext, store: JournalStore, id: number): Promise<void> {
  const now = ctx.now ?? isoNow;
  const started = Date.now();
  const phases: Partial<Record<Phase, number>> = {};
  const enter = async (phase: Phase): Promise<void> => {
    await store.update((j) => enterPhase(j, id, phase, now()));
    ctx.onEvent({ type: 'phase', step: id, node: stepOf(store, id).node, phase });
  };
  const timed = async (phase: Phase, fn: () => Promise<void>): Promise<void> => {
    const t = Date.now();
    await fn();
    phases[phase] = (phases[phase] ?? 0) + Date.now() - t;
  };
  let s = stepOf(store, id);
  if (s.kind === 'add-nodes' || s.kind === 'cordon-old') {
    await (s.kind === 'add-nodes' ? addNodes(ctx, store, s) : cordonOld(ctx, s));
    await enter('done');
    return;
  }
  if (s.phase === 'pending') {
    const node = await ctx.client.get<Node>({ ...NODES, name: s.node });
    // Cordoned before this run (by someone, or by an earlier upkeep run): never uncordoned by this one.
    const wasCordoned = isNodeUnschedulable(node) && !(cordonedByUpkeep(node)?.reason ?? '').startsWith('upkeep upgrade');
    await store.update((j) => updateStep(enterPhase(j, id, 'draining', now()), id, { wasCordoned }, now()));
    ctx.onEvent({ type: 'phase', step: id, node: s.node, phase: 'draining' });
  }
  s = stepOf(store, id);
  if (s.phase === 'draining') {
    if (s.drain) await timed('draining', () => drainStep(ctx, store, s));
    await enter('upgrading');
  }
  if (stepOf(store, id).phase === 'upgrading') {
    await timed('upgrading', () => machineStep(ctx, stepOf(store, id)));
    await enter(s.kind === 'replace-node' ? 'done' : 'waiting-ready');
  }
  if (stepOf(store, id).phase === 'waiting-ready') {
    await timed('waiting-ready', () => waitNode(ctx, stepOf(store, id)));
    await enter('gates');
  }
  if (stepOf(store, id).phase === 'gates') {
    await timed('gates', async () => {
      await controlPlaneGate(ctx, stepOf(store, id));
      await validate(ctx, stepOf(store, id));
    });
    await enter('uncordoning');
  }
  if (stepOf(store, id).phase === 'uncordoning') {
    await uncordon(ctx, stepOf(store, id));
    await enter('done');
  }
  const done = stepOf(store, id);
  ctx.onEvent({ type: 'step-done', step: id, node: done.node, ms: Date.now() - started, evicted: done.evicted ?? 0, phases });
}

function lineCallbacks(ctx: ExecuteContext, node: string): DrainCallbacks {
  const line = (l: string): void => ctx.onEvent({ type: 'line', node, line: l });
  return {
    onCordoned: (_n, l) => line(l),
    onWarning: (_n, l) => line(l),
    onEvicting: (_p, l) => line(l),
    onEvicted: (_p, l) => line(l),
    onBudgetWait: (w) => ctx.onEvent({ type: 'waiting', node, for: `budget ${w.budget} for ${w.pod}` }),
    onWaitReady: (_w, l) => ctx.onEvent({ type: 'waiting', node, for: l }),
    onSurge: (_w, l) => line(l),
    onLine: (_n, l) => line(l),
  };
}

/** Drain with drain's own executor; a node not drained, or workloads not back (--wait-ready), stop the run. */
async function drainStep(ctx: ExecuteContext, store: JournalStore, s: StepRecord): Promise<void> {
  const result = await drainNodes(ctx.client, [s.node], ctx.drain, lineCallbacks(ctx, s.node), ctx.signal);
  const r = result.nodes[0];
  const evicted = (s.evicted ?? 0) + (r?.evicted?.length ?? 0);
  await store.update((j) => updateStep(j, s.id, { evicted }, (ctx.now ?? isoNow)()));
  if (!r || r.status !== 'drained') {
    const why = r ? `${r.status}: ${r.errorLine ?? r.state}${r.needs.length ? ` (it needs ${r.needs.join(' ')})` : ''}` : 'no result';
    throw new GateError('drain', `drain of ${s.node} ${why}`);
  }
  if ((r.notReady ?? []).length > 0) throw new GateError('workloads', `not back to their desired available replicas after draining ${s.node}: ${(r.notReady ?? []).join('; ')}`);
}

function upgraderContext(ctx: ExecuteContext, node: string): UpgraderContext {
  return { signal: ctx.signal, log: (line) => ctx.onEvent({ type: 'line', node, line }) };
}

async function nodeAddress(ctx: ExecuteContext, name: string): Promise<string | undefined> {
  const node = await ctx.client.get<Node>({ ...NODES, name });
  const addrs = node.status?.addresses ?? [];
  return (addrs.find((a) => a.type === 'InternalIP') ?? addrs.find((a) => a.type === 'Hostname'))?.address;
}

/** The machine's part: upgrade, maintain or remove it. */
async function machineStep(ctx: ExecuteContext, s: StepRecord): Promise<void> {
  try {
    const address = await nodeAddress(ctx, s.node).catch(() => undefined);
    const target: NodeTarget = { node: s.node, role: s.role, from: s.from, to: s.to, ...(address ? { address } : {}) };
    if (s.kind === 'upgrade') await ctx.upgrader.upgrade(target, upgraderContext(ctx, s.node));
    else if (s.kind === 'maintain') await ctx.upgrader.maintain({ node: s.node, from: s.from, ...(address ? { address } : {}) }, ctx.maintainCommand, upgraderContext(ctx, s.node));
    else if (s.kind === 'replace-node') await removeNode(ctx, s.node);
  } catch (err) {
    throw new GateError('upgrade', errorMessage(err));
  }
}

async function removeNode(ctx: ExecuteContext, node: string): Promise<void> {
  if (!ctx.provisioner) throw new GateError('provision', 'the replace strategy needs a provisioner (--add-nodes on a sandbox, or --node-remove-command)');
  await ctx.provisioner.remove(node, upgraderContext(ctx, node));
  if (ctx.deleteNodes) await ctx.client.delete({ ...NODES, name: node }).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
}

/** Poll until `check` says nothing is missing, or fail the gate after the timeout. */
async function waitFor(ctx: ExecuteContext, node: string, gate: Gate, check: () => Promise<string | undefined>): Promise<void> {
  const deadline = Date.now() + ctx.nodeReadyTimeoutMs;
  const poll = ctx.pollMs ?? 500;
  let last: string | undefined = 'not checked yet';
  for (let i = 0; i < Math.ceil(ctx.nodeReadyTimeoutMs / poll) + 2; i++) {
    last = await check().catch((err: unknown) => errorMessage(err));
    if (last === undefined) return;
    if (ctx.signal.aborted) throw new GateError(gate, `interrupted while ${node} was ${last}`);
    if (Date.now() >= deadline) break;
    ctx.onEvent({ type: 'waiting', node, for: last });
    await new Promise((r) => setTimeout(r, poll));
  }
  throw new GateError(gate, `${node} is ${last} after ${Math.round(ctx.nodeReadyTimeoutMs / 1000)}s`);
}

function waitNode(ctx: ExecuteContext, s: StepRecord): Promise<void> {
  return waitFor(ctx, s.node, 'node-ready', async () => {
    const node = await ctx.client.get<Node>({ ...NODES, name: s.node }).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
    // A control-plane step that moves only the static pods leaves the kubelet where it is.
    return nodeNotBack(node, s.kind === 'upgrade' && s.drain ? s.to : undefined);
  });
}

/** Control-plane nodes whose static pods moved: kube-apiserver, controller-manager and scheduler Running and Ready at the target. */
function controlPlaneGate(ctx: ExecuteContext, s: StepRecord): Promise<void> {
  if (s.kind !== 'upgrade' || (s.role !== 'first-control-plane' && s.role !== 'control-plane')) return Promise.resolve();
  return waitFor(ctx, s.node, 'control-plane', async () => {
    const pods = await ctx.client.list<Pod>(PODS, { labelSelector: 'tier=control-plane' });
    return controlPlaneNotBack(pods.items, s.node, s.to);
  });
}

/** --health-command and --validate-count: the node stays Ready and the command passes, N times in a row. */
async function validate(ctx: ExecuteContext, s: StepRecord): Promise<void> {
  const count = Math.max(1, ctx.validateCount ?? 1);
  if (!ctx.healthCommand && count === 1) return;
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, ctx.pollMs ?? 500));
    const node = await ctx.client.get<Node>({ ...NODES, name: s.node });
    const notBack = nodeNotBack(node, undefined);
    if (notBack) throw new GateError('health', `${s.node} is ${notBack} at validation ${i + 1} of ${count}`);
    if (ctx.healthCommand) await healthCheck(ctx.healthCommand, s, ctx.signal);
  }
}

function healthCheck(command: string, s: StepRecord, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { env: { ...process.env, UPKEEP_NODE: s.node, UPKEEP_VERSION: s.to }, signal, timeout: 300_000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve();
      const last = `${stdout}${stderr}`.trim().split('\n').slice(-3).join(' | ');
      reject(new GateError('health', `--health-command failed for ${s.node} (${errorMessage(err).split('\n')[0]})${last ? `: ${last}` : ''}`));
    });
  });
}

/** Uncordon what this run cordoned; a node cordoned before the run stays cordoned. */
async function uncordon(ctx: ExecuteContext, s: StepRecord): Promise<void> {
  if (s.wasCordoned) return;
  const node = await ctx.client.get<Node>({ ...NODES, name: s.node });
  const r = await setCordon(ctx.client, node, false);
  ctx.onEvent({ type: 'line', node: s.node, line: r.line });
}

async function addNodes(ctx: ExecuteContext, store: JournalStore, s: StepRecord): Promise<void> {
  if (!ctx.provisioner) throw new GateError('provision', 'the replace strategy needs a provisioner (--add-nodes on a sandbox, or --node-add-command)');
  let added = s.added;
  if (!added) {
    try {
      added = await ctx.provisioner.add(s.count ?? 0, s.to, upgraderContext(ctx, ''));
    } catch (err) {
      throw new GateError('provision', errorMessage(err));
    }
    const names = added;
    await store.update((j) => updateStep(j, s.id, { added: names }, (ctx.now ?? isoNow)()));
  }
  for (const name of added) {
    await waitFor(ctx, name, 'node-ready', async () => nodeNotBack(await ctx.client.get<Node>({ ...NODES, name }), s.to));
  }
}

/** replace: every old worker cordoned first, so the pods evicted from one land on the new nodes, not on the next old one. */
async function cordonOld(ctx: ExecuteContext, s: StepRecord): Promise<void> {
  for (const name of s.nodes ?? []) {
    const node = await ctx.client.get<Node>({ ...NODES, name });
    const r = await setCordon(ctx.client, node, true, { by: 'upkeep', reason: 'upkeep upgrade (replace)' });
    ctx.onEvent({ type: 'line', node: name, line: r.line });
  }
}
