// The executor's steps, planned purely from the plan's runbook (runbook.ts decides who does what
// in each hop; this file only orders it into waves for a strategy). A wave is a set of steps that
// run at the same time: control-plane nodes always one at a time (kubeadm's procedure: apply on
// the first, then upgrade node on the others), kubelets that must move first one at a time, then
// the workers of the hop one by one, N at a time (--max-unavailable), all at once, or replaced by
// new nodes (add, cordon every old worker so evicted pods land on the new ones, then drain and
// remove each old worker). Pure: no I/O.
import type { NodeRole, Runbook } from '../runbook.js';
import { formatVersion } from '../version.js';

export type Strategy = 'one-by-one' | 'all-at-once' | 'replace';

export const STRATEGIES: readonly Strategy[] = ['one-by-one', 'all-at-once', 'replace'];

export function isStrategy(s: string): s is Strategy {
  return (STRATEGIES as readonly string[]).includes(s);
}

/**
 * upgrade: drain (when the kubelet changes minor or patch), upgrade the machine, wait for Ready at
 * `to`, uncordon. maintain: the same with `node maintain`'s command instead of a version change.
 * add-nodes: the provisioner adds `count` workers at `to`. cordon-old: cordon every old worker.
 * replace-node: drain the old worker, remove its machine (and its Node object when asked).
 */
export type StepKind = 'upgrade' | 'maintain' | 'add-nodes' | 'cordon-old' | 'replace-node';

export interface Step {
  /** 1, 2, 3 ... in the order they run. */
  id: number;
  /** Steps of one wave run at the same time; waves run in order. */
  wave: number;
  /** The hop it belongs to ('v1.31 -> v1.32'); '' for node maintenance. */
  hop: string;
  kind: StepKind;
  /** The node ('' for add-nodes and cordon-old). */
  node: string;
  role: NodeRole;
  from: string;
  to: string;
  /** The node is drained first: its kubelet changes (a minor kubelet upgrade needs a drain), or it is maintained or replaced. */
  drain: boolean;
  /** add-nodes: how many; cordon-old: the old workers. */
  count?: number;
  nodes?: string[];
}

export interface StepOptions {
  strategy: Strategy;
  /** Workers at once for one-by-one (default 1). */
  maxUnavailable: number;
  /** Only these workers (--nodes / -l); undefined: all. Control-plane nodes are never limited. */
  workers?: ReadonlySet<string>;
  skipControlPlane: boolean;
  /** replace: new workers to add (default: as many as the old ones). */
  addNodes?: number;
}

/** What a strategy costs in availability, said before anything runs (all-at-once: downtime). */
export interface StrategyImpact {
  strategy: Strategy;
  /** Workers unavailable at once at most. */
  maxUnavailable: number;
  /** all-at-once: every worker is drained at the same time, so workloads without control-plane replicas go down. */
  downtime: boolean;
  summary: string;
}

interface Counter {
  id: number;
  wave: number;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}

function push(into: Step[], c: Counter, wave: Array<Omit<Step, 'id' | 'wave'>>): void {
  if (wave.length === 0) return;
  const w = c.wave++;
  for (const s of wave) into.push({ ...s, id: c.id++, wave: w });
}

/** The steps of a runbook for a strategy, in order. */
export function planSteps(book: Runbook, options: StepOptions): Step[] {
  const steps: Step[] = [];
  const c: Counter = { id: 1, wave: 1 };
  const wanted = (node: string, controlPlane: boolean): boolean => (controlPlane ? !options.skipControlPlane : !options.workers || options.workers.has(node));
  book.hops.forEach((rh, i) => {
    const hop = rh.hop.label ?? `${formatVersion(rh.hop.from)} -> ${formatVersion(rh.hop.to)}`;
    const last = i === book.hops.length - 1;
    for (const k of rh.kubeletsFirst) {
      if (!wanted(k.node, k.controlPlane)) continue;
      push(steps, c, [{ hop, kind: 'upgrade', node: k.node, role: k.controlPlane ? 'control-plane-kubelet' : 'worker', from: k.from, to: formatVersion(k.to), drain: true }]);
    }
    const cps = rh.nodes.filter((n) => n.role !== 'worker');
    for (const n of cps) {
      if (!wanted(n.node, true)) continue;
      const from = n.kubelet?.from ?? formatVersion(rh.hop.from);
      push(steps, c, [{ hop, kind: 'upgrade', node: n.node, role: n.role, from, to: formatVersion(n.kubelet?.to ?? rh.hop.to), drain: n.kubelet !== undefined }]);
    }
    const workers = rh.nodes.filter((n) => n.role === 'worker' && n.kubelet && wanted(n.node, false));
    const moves = workers.map((n) => ({ hop, kind: 'upgrade' as const, node: n.node, role: n.role, from: n.kubelet?.from ?? '', to: formatVersion(n.kubelet?.to ?? rh.hop.to), drain: true }));
    if (options.strategy === 'replace' && last) {
      replaceSteps(steps, c, hop, moves, options.addNodes ?? moves.length, formatVersion(rh.hop.to));
      return;
    }
    const size = options.strategy === 'all-at-once' ? moves.length : options.maxUnavailable;
    for (const wave of chunks(moves, size)) push(steps, c, wave);
  });
  return steps;
}

function replaceSteps(steps: Step[], c: Counter, hop: string, old: Array<Omit<Step, 'id' | 'wave'>>, add: number, to: string): void {
  if (old.length === 0) return;
  push(steps, c, [{ hop, kind: 'add-nodes', node: '', role: 'worker', from: '', to, drain: false, count: add }]);
  push(steps, c, [{ hop, kind: 'cordon-old', node: '', role: 'worker', from: '', to, drain: false, nodes: old.map((s) => s.node) }]);
  for (const s of old) push(steps, c, [{ ...s, kind: 'replace-node' }]);
}

/** `node maintain`: the named nodes drained, serviced and uncordoned, one wave of maxUnavailable at a time (all at once for all-at-once). */
export function maintenanceSteps(nodes: ReadonlyArray<{ name: string; kubeletVersion: string; controlPlane: boolean }>, options: Pick<StepOptions, 'strategy' | 'maxUnavailable'>): Step[] {
  const steps: Step[] = [];
  const c: Counter = { id: 1, wave: 1 };
  const all = nodes.map((n) => ({ hop: '', kind: 'maintain' as const, node: n.name, role: n.controlPlane ? ('control-plane-kubelet' as const) : ('worker' as const), from: n.kubeletVersion, to: n.kubeletVersion, drain: true }));
  for (const wave of chunks(all, options.strategy === 'all-at-once' ? all.length : options.maxUnavailable)) push(steps, c, wave);
  return steps;
}

/** The availability cost of the worker waves, said up front. */
export function strategyImpact(steps: readonly Step[], strategy: Strategy): StrategyImpact {
  const waves = new Map<number, number>();
  for (const s of steps) if (s.role === 'worker' && (s.kind === 'upgrade' || s.kind === 'maintain' || s.kind === 'replace-node')) waves.set(s.wave, (waves.get(s.wave) ?? 0) + 1);
  const max = Math.max(0, ...waves.values());
  const workers = [...waves.values()].reduce((a, b) => a + b, 0);
  const downtime = strategy === 'all-at-once' && workers > 1;
  const summary = downtime
    ? `all-at-once: all ${workers} workers are drained at the same time: workloads running only on workers have no ready replica until the workers are back (downtime accepted)`
    : strategy === 'replace'
      ? `replace: new workers are added first; old workers are cordoned, then drained and removed one at a time`
      : `${strategy}: at most ${max} worker${max === 1 ? '' : 's'} unavailable at once; budgets are never broken`;
  return { strategy, maxUnavailable: max, downtime, summary };
}
