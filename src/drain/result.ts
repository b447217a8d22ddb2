// What a drain says about each node, decided purely from what happened there: the cordon, the
// filter chain's refusal, each pod's removal outcome, the deadline or interrupt that stopped it,
// the pods left and the workloads not back. The executor (drain.ts) gathers these facts;
// nodeResult turns them into kubectl's error line, the node's state in words and the flags it
// still needs. The CLI renders the result (src/cli/output/drain.ts) and parses none of it.
import { formatGoDuration } from '../api/duration.js';
import type { RemovalOutcome } from './evict.js';
import { unableToDrainLine } from './filters.js';
import type { DrainOptions } from './types.js';

export interface NodeDrainResult {
  node: string;
  /** blocked: a server dry run found a PodDisruptionBudget that refuses an eviction now. */
  status: 'drained' | 'refused' | 'timeout' | 'failed' | 'blocked';
  /** kubectl's line for refused/failed nodes: error: unable to drain node "x" due to error: ..., continuing command... */
  errorLine?: string;
  /** Pods still on the node (ns/name) when it ended badly. */
  pendingPods: string[];
  /** The node's state afterwards, in words: "cordoned (by upkeep); 2 pods still there: ...". */
  state: string;
  /** Workloads not back to their desired availability (with --wait-ready). */
  notReady?: string[];
  /** Set when the drain was interrupted (the AbortSignal): status is 'failed'. */
  interrupted?: boolean;
  /** Pods evicted (or deleted) from the node by this drain (ns/name). */
  evicted?: string[];
  /** PodDisruptionBudgets that were refusing evictions when the node stopped (timeout/interrupt). */
  blockingBudgets?: string[];
  /**
   * The flags a drain of this node still needs to get past what stopped it, in kubectl's
   * spelling: ["--force", "--ignore-daemonsets"] for a refusal, ["--disable-eviction"] for pods
   * under overlapping budgets. Empty when no flag helps (a timeout, a failure of the server).
   */
  needs: string[];
}

export interface DrainResult {
  nodes: NodeDrainResult[];
  /** Some node was refused, failed or timed out. */
  ok: boolean;
  /**
   * The command that continues from here, as an argument array: the nodes not drained with the
   * same flags, e.g. ["upkeep", "drain", "node01", "--force", "--ignore-daemonsets"]. The flags
   * the nodes still need (their `needs`) are not in it: they cost pods or data, the user adds them.
   */
  continueWith?: string[];
}

/** What stopped a node before its drain finished: its --timeout, or the caller's AbortSignal. */
export type StopReason = 'timeout' | 'interrupted';

/** A pod the drain set out to remove, and what became of it. */
export interface PodOutcome {
  namespace: string;
  name: string;
  outcome: RemovalOutcome;
}

interface NodeFacts {
  node: string;
  /** The node's cordon state in words: "cordoned (by upkeep)", "not cordoned (dry run)", ... */
  cordonState: string;
}

/** Everything that happened on one node, as the executor saw it: the input of nodeResult. */
export type NodeOutcomes = NodeFacts &
  (
    | /** It could not be cordoned: upkeep leaves such a node alone. */
    { stage: 'cordon'; error: string }
    /** Nothing was listed: stopped first (a StopReason), or the list failed (error). */
    | { stage: 'list'; error?: string }
    /** kubectl's filter errors: nothing is evicted and the node stays cordoned. */
    | { stage: 'refused'; errors: string[]; pending: string[]; needs: string[] }
    /**
     * The pods to remove went through removal (a client dry run: they would have). `pending`:
     * the node's pods listed again after a stop or a failure; `notReady`: the --wait-ready
     * answer, set only when the wait ran (the removal had finished).
     */
    | { stage: 'removed'; pods: PodOutcome[]; pending?: string[]; notReady?: string[]; surgeProblems: string[] }
    /** Anything else that went wrong once the pods were listed. */
    | { stage: 'error'; error: string; pending: string[]; surgeProblems: string[] }
  );

export type NodeResultOptions = Pick<DrainOptions, 'dryRun' | 'disableEviction' | 'timeoutSeconds'>;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "cordoned (by upkeep); 2 evicted; 3 pods still there: a, b, c; ..." */
function describe(cordonState: string, parts: (string | undefined)[]): string {
  return [cordonState, ...parts.filter((p): p is string => p !== undefined && p !== '')].join('; ');
}

function stillThere(pending: readonly string[]): string | undefined {
  return pending.length > 0 ? `${plural(pending.length, 'pod')} still there: ${pending.join(', ')}` : undefined;
}

function timeoutText(options: NodeResultOptions): string {
  return `global timeout reached: ${formatGoDuration(options.timeoutSeconds * 1000)}`;
}

function interruptedLine(node: string): string {
  return `error: drain of node "${node}" interrupted`;
}

/** A pod that removal stopped, failed or refused, with what it says. */
function key(p: PodOutcome): string {
  return `${p.namespace}/${p.name}`;
}

// kubectl's per-pod failure texts (evict.ts writes them): the pod, then the cause.
const PER_POD = /^error when (evicting|deleting) pods\/"([^"]*)" -n "([^"]*)": ([\s\S]*)$|^error when (waiting) for pod "([^"]*)" in namespace "([^"]*)" to terminate: ([\s\S]*)$/;

/**
 * Pure: failures that share one cause (48 pods refused by one unreachable server) said once,
 * with the count and the first pods; distinct causes stay as they are, in order.
 */
export function collapseFailures(errors: readonly string[], shown = 3): string[] {
  const groups = new Map<string, { what: string; cause: string; pods: string[]; raw: string[] }>();
  const out: Array<string | { key: string }> = [];
  for (const e of errors) {
    const m = PER_POD.exec(e);
    if (!m) {
      out.push(e);
      continue;
    }
    const [what, name, ns, cause] = m[1] ? [m[1], m[2], m[3], m[4]] : [m[5], m[6], m[7], m[8]];
    const key = `${what}\u0000${cause}`;
    const g = groups.get(key);
    if (g) {
      g.pods.push(`${ns}/${name}`);
      g.raw.push(e);
    } else {
      groups.set(key, { what, cause, pods: [`${ns}/${name}`], raw: [e] });
      out.push({ key });
    }
  }
  return out.map((o) => {
    if (typeof o === 'string') return o;
    const g = groups.get(o.key)!;
    if (g.pods.length === 1) return g.raw[0];
    const more = g.pods.length > shown ? `, and ${g.pods.length - shown} more` : '';
    const verb = g.what === 'waiting' ? 'waiting for' : g.what;
    return `error when ${verb} ${g.pods.length} pods (${g.pods.slice(0, shown).join(', ')}${more})${g.what === 'waiting' ? ' to terminate' : ''}: ${g.cause}`;
  });
}

/** Whether the node's pods must be listed again for the result: the removal stopped or failed. */
export function unfinished(pods: readonly PodOutcome[], reason: StopReason | undefined): boolean {
  return reason !== undefined || pods.some((p) => p.outcome.kind === 'failed');
}

/** The result for one node. Pure: the table in result.test.ts is its specification. */
export function nodeResult(outcomes: NodeOutcomes, reason: StopReason | undefined, options: NodeResultOptions): NodeDrainResult {
  const { node, cordonState } = outcomes;
  switch (outcomes.stage) {
    case 'cordon':
      return { node, status: 'failed', errorLine: `error: unable to cordon node "${node}": ${outcomes.error}`, pendingPods: [], state: cordonState, needs: [] };
    case 'list':
      if (reason === 'timeout') {
        const state = describe(cordonState, ['nothing evicted (timed out before its pods were listed)']);
        return { node, status: 'timeout', errorLine: unableToDrainLine(node, [timeoutText(options)]), pendingPods: [], state, needs: [] };
      }
      if (reason === 'interrupted' || outcomes.error === undefined) {
        const state = describe(cordonState, ['nothing evicted (interrupted before its drain started)']);
        return { node, status: 'failed', interrupted: true, errorLine: interruptedLine(node), pendingPods: [], state, needs: [] };
      }
      return {
        node,
        status: 'failed',
        errorLine: unableToDrainLine(node, [outcomes.error]),
        pendingPods: [],
        state: describe(cordonState, ['nothing evicted', `its pods could not be listed: ${outcomes.error}`]),
        needs: [],
      };
    case 'refused':
      return {
        node,
        status: 'refused',
        errorLine: unableToDrainLine(node, outcomes.errors),
        pendingPods: outcomes.pending,
        state: describe(cordonState, ['nothing evicted (refused)', stillThere(outcomes.pending)]),
        needs: outcomes.needs,
      };
    case 'error':
      return {
        node,
        status: 'failed',
        errorLine: unableToDrainLine(node, [outcomes.error]),
        pendingPods: outcomes.pending,
        state: describe(cordonState, [stillThere(outcomes.pending), ...outcomes.surgeProblems]),
        needs: [],
      };
    case 'removed':
      return removedResult({ ...outcomes, stage: 'removed' }, reason, options);
  }
}

type Removed = Extract<NodeOutcomes, { stage: 'removed' }>;

/** What the removal of a node's pods comes to, in kubectl's order of checks plus upkeep's. */
function removedResult(outcomes: Removed, reason: StopReason | undefined, options: NodeResultOptions): NodeDrainResult {
  const { node, cordonState, pods, surgeProblems } = outcomes;
  const verb = options.disableEviction ? 'deleted' : 'evicted';
  if (options.dryRun === 'client') {
    // kubectl's client dry run lists what it would evict and sends nothing.
    return { node, status: 'drained', pendingPods: [], state: describe(cordonState, [`nothing ${verb} (dry run; ${plural(pods.length, 'pod')} would be)`]), needs: [] };
  }
  const removed = pods.filter((p) => p.outcome.kind === 'removed').map(key);
  const failed = pods.flatMap((p) => (p.outcome.kind === 'failed' ? [p.outcome] : []));
  const stopped = pods.flatMap((p) => (p.outcome.kind === 'stopped' ? [{ pod: p, outcome: p.outcome }] : []));
  const budgets = [...new Set(stopped.flatMap((s) => (s.outcome.budget ? [s.outcome.budget] : [])))];
  const doneWhat = options.dryRun === 'server' ? `nothing ${verb} (server dry run accepted ${plural(removed.length, 'pod')})` : `${removed.length} ${verb}`;
  const drainedWhat = options.dryRun === 'server' ? doneWhat : `drained (${removed.length} ${verb})`;

  if (outcomes.notReady !== undefined) {
    // The removal finished and --wait-ready waited: the workloads are back, or not.
    if (outcomes.notReady.length === 0) return { node, status: 'drained', pendingPods: [], state: describe(cordonState, [drainedWhat, ...surgeProblems]), evicted: removed, notReady: [], needs: [] };
    return notBackResult(outcomes, outcomes.notReady, removed, reason, options);
  }

  const refusedInDryRun = stopped.filter((s) => s.outcome.dryRunRefused !== undefined);
  if (!reason && failed.length === 0 && refusedInDryRun.length > 0) {
    return {
      node,
      status: 'blocked',
      pendingPods: refusedInDryRun.map((s) => key(s.pod)),
      state: describe(cordonState, [doneWhat, `a real drain would wait on PodDisruptionBudget ${budgets.join(', ')}`]),
      evicted: [],
      blockingBudgets: budgets,
      errorLine: unableToDrainLine(
        node,
        refusedInDryRun.map((s) => `eviction of pods/"${s.pod.name}" -n "${s.pod.namespace}" refused (server dry run): ${s.outcome.dryRunRefused ?? ''}`),
      ),
      needs: [],
    };
  }

  if (unfinished(pods, reason)) {
    const pending = outcomes.pending ?? stopped.map((s) => key(s.pod));
    const budgetText = budgets.length > 0 ? `waiting on PodDisruptionBudget ${budgets.join(', ')}` : undefined;
    const base: NodeDrainResult = {
      node,
      status: 'failed',
      pendingPods: pending,
      state: describe(cordonState, [doneWhat, stillThere(pending), budgetText, ...surgeProblems]),
      evicted: removed,
      ...(budgets.length > 0 ? { blockingBudgets: budgets } : {}),
      needs: [...new Set(failed.flatMap((f) => f.needs ?? []))],
    };
    if (reason === 'interrupted') return { ...base, interrupted: true, errorLine: interruptedLine(node) };
    const errors = collapseFailures(failed.map((f) => f.error));
    if (reason === 'timeout') {
      const limit = timeoutText(options);
      const stops = stopped.map(({ pod, outcome }) =>
        outcome.stage === 'waiting'
          ? `error when waiting for pod "${pod.name}" in namespace "${pod.namespace}" to terminate: ${limit}`
          : `error when evicting pods/"${pod.name}" -n "${pod.namespace}": ${limit}`,
      );
      const all = [...errors, ...stops];
      return { ...base, status: 'timeout', errorLine: unableToDrainLine(node, all.length > 0 ? all : [limit]) };
    }
    return { ...base, errorLine: unableToDrainLine(node, errors) };
  }
  return { node, status: 'drained', pendingPods: [], state: describe(cordonState, [drainedWhat, ...surgeProblems]), evicted: removed, needs: [] };
}

/** --wait-ready: the pods went, but some workloads are not back to their desired availability. */
function notBackResult(outcomes: Removed, notReady: string[], removed: string[], reason: StopReason | undefined, options: NodeResultOptions): NodeDrainResult {
  const verb = options.disableEviction ? 'deleted' : 'evicted';
  const base: NodeDrainResult = {
    node: outcomes.node,
    status: reason === 'timeout' ? 'timeout' : 'failed',
    pendingPods: [],
    notReady,
    evicted: removed,
    state: describe(outcomes.cordonState, [`drained (${removed.length} ${verb})`, `not back to full availability: ${notReady.join(', ')}`, ...outcomes.surgeProblems]),
    needs: [],
  };
  if (reason === 'interrupted') return { ...base, interrupted: true, errorLine: `error: drain of node "${outcomes.node}" interrupted while waiting for workloads to be ready` };
  // The node is drained: say so, and what did not come back (not kubectl's "unable to drain").
  const within = reason === 'timeout' ? `within ${options.timeoutSeconds}s` : 'as far as upkeep could tell';
  return { ...base, errorLine: `error: node "${outcomes.node}" drained, but workloads not available again ${within} (--wait-ready): ${notReady.join(', ')}` };
}
