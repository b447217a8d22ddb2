// The drain executor (kubectl drain's RunCordonOrUncordon + RunNodeDrain, kubectl pkg/drain):
// cordon every selected node first, then drain them (up to --max-unavailable at once): list the
// node's pods, run kubectl's filter chain, refuse the node on any filter error (it stays
// cordoned), else evict (or delete) the pods and wait for them to go. What upkeep adds: bounded
// concurrency, UID-preconditioned evictions, PDB waits that say which budget, retries of 5xx
// and dropped connections, watches instead of polling, --surge, --wait-ready, and a result that
// says what state each node was left in, what it still needs and the command that continues.
// The pieces: drainNode runs one node under its deadline, removeAll (remove.ts) removes its pods,
// and nodeResult (result.ts) decides what that comes to. Progress goes through the callbacks
// only; nothing here prints.
import { controllerOf, isPodFinished, podKey } from '../api/pods.js';
import type { DaemonSet, Node, Pod } from '../api/types.js';
import { isNotFound, type KubeClient } from '../kube/index.js';
import { cordonedByUpkeep, resolveNodes, setCordon } from './cordon.js';
import type { BudgetWait, RemovalCallbacks } from './evict.js';
import { filterPods, type PodDeleteList } from './filters.js';
import { pool, removeAll, SurgeGate, type RemoveAllContext } from './remove.js';
import { nodeResult, unfinished, type DrainResult, type NodeDrainResult, type NodeOutcomes, type PodOutcome, type StopReason } from './result.js';
import { outstandingSurges, restoreSurges, startSurges, surgeNotice } from './surge.js';
import { DEFAULT_DRAIN_OPTIONS, type DaemonSetLookup, type DrainOptions } from './types.js';
import { WorkloadResolver, waitForWorkloads, workloadName, type WorkloadRef } from './waitready.js';
import { errorMessage } from '../util/errors.js';

export type { BudgetWait } from './evict.js';
export type { DrainResult, NodeDrainResult } from './result.js';
export { restoreSurges, SURGE_ANNOTATION } from './surge.js';

export interface DrainRunOptions extends DrainOptions {
  /** --wait-ready: after a node's pods are gone, wait until every affected controller (Deployment,
   *  ReplicaSet, StatefulSet, ReplicationController) is back to its desired available replicas. */
  waitReady: boolean;
  /** --surge: for workloads whose only ready replicas are on the node, bring a replacement up and
   *  Ready elsewhere before evicting; put the workload back as it was afterwards. */
  surge: boolean;
  /** --max-unavailable N: drain up to N nodes at once (default 1), never breaking budgets. */
  maxUnavailable: number;
  /** Evictions in flight at once per node (default 16). */
  concurrency: number;
  /** Who is cordoning, recorded in the cordon annotation (default "upkeep drain"). */
  cordonReason?: string;
  /** How continueWith starts (default ["upkeep", "drain"]), e.g. ["kubectl", "upkeep", "drain"] or with --context. */
  command?: string[];
}

export interface DrainCallbacks {
  onCordoned?(node: string, line: string): void;          // "node/x cordoned" (+ dry-run suffix) or "node/x already cordoned"
  onWarning?(node: string, line: string): void;           // "Warning: ignoring DaemonSet-managed Pods: ns/a, ns/b"
  onEvicting?(pod: Pod, line: string): void;              // "evicting pod ns/name" (+ " (dry run)"/" (server dry run)")
  onEvicted?(pod: Pod, line: string): void;               // "pod/name evicted"  (delete path: "pod/name deleted")
  onBudgetWait?(wait: BudgetWait): void;                  // progress while a PDB blocks
  onTerminating?(pod: Pod, gracePeriodSeconds: number): void; // eviction accepted: the pod terminates, the drain waits for it
  onRetry?(pod: string, message: string): void;           // 5xx / dropped connections being retried
  onSurge?(workload: string, line: string): void;         // surge progress lines
  onWaitReady?(workload: string, line: string): void;     // wait-ready progress lines
  onNodeDone?(result: NodeDrainResult): void;
  /** Other lines: "pod/x already gone", "pod "x" has DeletionTimestamp older than N seconds, skipping". */
  onLine?(node: string, line: string): void;
}

const PODS = { version: 'v1', resource: 'pods' } as const;
const DAEMONSETS = { group: 'apps', version: 'v1', resource: 'daemonsets' } as const;
const DEFAULT_CONCURRENCY = 16;


// ---------------------------------------------------------------------------------------------
// The continue command
// ---------------------------------------------------------------------------------------------

/** The drain command for these nodes with the same flags (only those that differ from the defaults), as arguments. */
export function drainCommand(nodes: readonly string[], options: DrainRunOptions): string[] {
  const d = DEFAULT_DRAIN_OPTIONS;
  const args = [...(options.command ?? ['upkeep', 'drain']), ...nodes];
  if (options.force) args.push('--force');
  if (options.ignoreDaemonSets) args.push('--ignore-daemonsets');
  if (options.deleteEmptyDirData) args.push('--delete-emptydir-data');
  if (options.gracePeriodSeconds !== d.gracePeriodSeconds) args.push(`--grace-period=${options.gracePeriodSeconds}`);
  if (options.timeoutSeconds > 0) args.push(`--timeout=${options.timeoutSeconds}s`);
  if (options.podSelector) args.push(`--pod-selector=${options.podSelector}`);
  if (options.disableEviction) args.push('--disable-eviction');
  if (options.skipWaitForDeleteTimeoutSeconds > 0) args.push(`--skip-wait-for-delete-timeout=${options.skipWaitForDeleteTimeoutSeconds}`);
  if (options.chunkSize !== d.chunkSize) args.push(`--chunk-size=${options.chunkSize}`);
  if (options.dryRun !== 'none') args.push(`--dry-run=${options.dryRun}`);
  if (options.waitReady) args.push('--wait-ready');
  if (options.surge) args.push('--surge');
  if (options.maxUnavailable > 1) args.push(`--max-unavailable=${options.maxUnavailable}`);
  if (options.concurrency > 0 && options.concurrency !== DEFAULT_CONCURRENCY) args.push(`--concurrency=${options.concurrency}`);
  return args;
}

// ---------------------------------------------------------------------------------------------
// One run
// ---------------------------------------------------------------------------------------------

interface Run {
  client: KubeClient;
  options: DrainRunOptions;
  callbacks: DrainCallbacks;
  signal?: AbortSignal;
  resolver: WorkloadResolver;
  /** kubectl GETs the DaemonSet once per DaemonSet pod; once per DaemonSet is enough. */
  daemonSets: Map<string, Promise<boolean | string>>;
}

function daemonSetExists(run: Run, namespace: string, name: string): Promise<boolean | string> {
  const key = `${namespace}/${name}`;
  let found = run.daemonSets.get(key);
  if (!found) {
    found = run.client.get<DaemonSet>({ ...DAEMONSETS, namespace, name }).then(
      () => true,
      // NotFound: an orphan (deleted with --force); anything else is the node's error, as kubectl.
      (err: unknown) => (isNotFound(err) ? false : errorMessage(err)),
    );
    run.daemonSets.set(key, found);
  }
  return found;
}

/** The filter chain's answers for the DaemonSets of these pods, fetched up front. */
async function daemonSetLookup(run: Run, pods: readonly Pod[]): Promise<DaemonSetLookup> {
  const answers = new Map<string, boolean | string>();
  await Promise.all(
    pods.map(async (pod) => {
      const ref = controllerOf(pod);
      if (ref?.kind !== 'DaemonSet' || isPodFinished(pod)) return;
      const ns = pod.metadata.namespace ?? '';
      answers.set(`${ns}/${ref.name}`, await daemonSetExists(run, ns, ref.name));
    }),
  );
  return (ns, name) => answers.get(`${ns}/${name}`) ?? true;
}

async function listNodePods(run: Run, node: string, signal?: AbortSignal): Promise<Pod[]> {
  const pods: Pod[] = [];
  for await (const pod of run.client.listAll<Pod>(PODS, {
    fieldSelector: `spec.nodeName=${node}`,
    labelSelector: run.options.podSelector || undefined,
    limit: run.options.chunkSize,
    signal,
  })) {
    pods.push(pod);
  }
  return pods;
}

async function filterNode(run: Run, node: string, signal?: AbortSignal): Promise<PodDeleteList> {
  const pods = await listNodePods(run, node, signal);
  return filterPods(pods, run.options, await daemonSetLookup(run, pods), Date.now());
}

/** What the drain would still remove from the node: kubectl's pending list after an error. */
async function pendingOn(run: Run, node: string, fallback: readonly string[]): Promise<string[]> {
  try {
    return (await filterNode(run, node, AbortSignal.timeout(30_000))).pods().map(podKey);
  } catch {
    return [...fallback];
  }
}

type CordonOutcome = { ok: true; state: string } | { ok: false; outcomes: NodeOutcomes };

async function cordon(run: Run, node: Node): Promise<CordonOutcome> {
  const name = node.metadata.name ?? '';
  const { dryRun } = run.options;
  try {
    const r = await setCordon(run.client, node, true, { dryRun, by: 'upkeep', reason: run.options.cordonReason ?? 'upkeep drain' });
    run.callbacks.onCordoned?.(name, r.line);
    if (dryRun !== 'none') return { ok: true, state: `not cordoned (${dryRun === 'client' ? 'dry run' : 'server dry run'})` };
    if (r.changed) return { ok: true, state: 'cordoned (by upkeep)' };
    return { ok: true, state: cordonedByUpkeep(node) ? 'cordoned (by upkeep, before this drain)' : 'cordoned (it already was, not by upkeep)' };
  } catch (err) {
    // kubectl carries on draining a node it could not cordon; evicted pods could then land on it
    // again, so upkeep leaves such a node alone.
    return { ok: false, outcomes: { stage: 'cordon', node: name, cordonState: 'not cordoned, nothing evicted', error: errorMessage(err) } };
  }
}

// ---------------------------------------------------------------------------------------------
// One node
// ---------------------------------------------------------------------------------------------

/** The node's deadline and the user's interrupt, as one signal and the reason it fired. */
interface Deadline {
  signal: AbortSignal;
  reason(): StopReason | undefined;
}

/** Run fn under the node's deadline (--timeout, per node as kubectl) and the caller's interrupt. */
async function withDeadline<T>(run: Run, fn: (deadline: Deadline) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  let reason: StopReason | undefined;
  const end = (why: StopReason): void => {
    reason ??= why;
    stop.abort();
  };
  const interrupt = (): void => end('interrupted');
  run.signal?.addEventListener('abort', interrupt, { once: true });
  if (run.signal?.aborted) interrupt();
  const seconds = run.options.timeoutSeconds;
  const timer = seconds > 0 ? setTimeout(() => end('timeout'), seconds * 1000) : undefined;
  try {
    return await fn({ signal: stop.signal, reason: () => reason });
  } finally {
    clearTimeout(timer);
    run.signal?.removeEventListener('abort', interrupt);
  }
}

async function drainNode(run: Run, node: Node, cordonState: string): Promise<NodeDrainResult> {
  const name = node.metadata.name ?? '';
  return withDeadline(run, async (deadline) => {
    const outcomes = await drainOutcomes(run, { node: name, cordonState }, deadline);
    return nodeResult(outcomes, deadline.reason(), run.options);
  });
}

/** List and filter the node's pods, then remove them (surging first with --surge), and gather what happened. */
async function drainOutcomes(run: Run, facts: { node: string; cordonState: string }, deadline: Deadline): Promise<NodeOutcomes> {
  const { options, callbacks } = run;
  const { node } = facts;
  let list: PodDeleteList;
  try {
    list = await filterNode(run, node, deadline.signal);
  } catch (err) {
    return { ...facts, stage: 'list', error: errorMessage(err) };
  }
  const warning = list.warningLine();
  if (warning) callbacks.onWarning?.(node, warning);
  const errors = list.errors();
  if (errors.length > 0) {
    // kubectl evicts nothing from a node with any filter error, and leaves it cordoned.
    const pending = list.items.filter((i) => i.delete || i.status === 'Error').map((i) => podKey(i.pod));
    return { ...facts, stage: 'refused', errors, pending, needs: list.needs() };
  }

  const toRemove = list.pods();
  const surge = { client: run.client, node, signal: deadline.signal, dryRun: options.dryRun, resolver: run.resolver, onSurge: callbacks.onSurge };
  let gate: SurgeGate | undefined;
  try {
    gate = new SurgeGate(options.surge ? await startSurges(surge, toRemove) : []);
    const pods = await removeAll(removalContext(run, node, deadline.signal), toRemove, gate);
    if (unfinished(pods, deadline.reason())) {
      const pending = await pendingOn(run, node, stoppedPods(pods));
      return { ...facts, stage: 'removed', pods, pending, surgeProblems: [...gate.problems] };
    }
    const notReady = options.waitReady && options.dryRun === 'none' ? await waitReady(run, toRemove, deadline.signal) : undefined;
    return { ...facts, stage: 'removed', pods, notReady, surgeProblems: [...gate.problems] };
  } catch (err) {
    const pending = await pendingOn(run, node, []);
    return { ...facts, stage: 'error', error: errorMessage(err), pending, surgeProblems: [...(gate?.problems ?? [])] };
  } finally {
    // Whatever happened, no Deployment stays surged.
    await gate?.restoreAll().catch(() => undefined);
  }
}

function removalContext(run: Run, node: string, signal: AbortSignal): RemoveAllContext {
  const { callbacks, options } = run;
  const removal: RemovalCallbacks = {
    onEvicting: callbacks.onEvicting,
    onEvicted: callbacks.onEvicted,
    onBudgetWait: callbacks.onBudgetWait,
    onTerminating: callbacks.onTerminating,
    onRetry: callbacks.onRetry,
    onLine: (line) => callbacks.onLine?.(node, line),
  };
  return { client: run.client, options, signal, callbacks: removal, concurrency: options.concurrency > 0 ? options.concurrency : DEFAULT_CONCURRENCY };
}

function stoppedPods(pods: readonly PodOutcome[]): string[] {
  return pods.filter((p) => p.outcome.kind === 'stopped').map((p) => `${p.namespace}/${p.name}`);
}

/** --wait-ready: wait until every workload that lost a pod is back; the lines of those that are not. */
async function waitReady(run: Run, removed: readonly Pod[], signal: AbortSignal): Promise<string[]> {
  const refs = new Map<string, WorkloadRef>();
  for (const pod of removed) {
    const ref = await run.resolver.workloadOf(pod, signal).catch(() => undefined);
    if (ref) refs.set(workloadName(ref), ref);
  }
  return waitForWorkloads(run.client, [...refs.values()], signal, { onWaitReady: run.callbacks.onWaitReady });
}

// ---------------------------------------------------------------------------------------------
// The nodes
// ---------------------------------------------------------------------------------------------

function isNames(nodes: readonly string[] | readonly Node[]): nodes is readonly string[] {
  return nodes.every((n) => typeof n === 'string');
}

/** The nodes to drain, each once: those given, or those named (none: options.selector's), resolved. */
async function nodesToDrain(client: KubeClient, nodes: readonly string[] | readonly Node[], selector: string): Promise<Node[]> {
  const resolved = isNames(nodes) ? await resolveNodes(client, nodes, selector || undefined) : nodes;
  const seen = new Set<string>();
  return resolved.filter((n) => {
    const name = n.metadata.name ?? '';
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}

/**
 * Cordon the nodes, then drain them. `nodes`: Node objects already resolved (resolveNodes), or
 * names to resolve (none: the nodes of options.selector). Throws only before any change (an
 * unknown node, names together with a selector: NodeSelectionError); after that every outcome
 * is in the result.
 */
export async function drainNodes(
  client: KubeClient,
  nodes: readonly string[] | readonly Node[],
  options: DrainRunOptions,
  callbacks: DrainCallbacks = {},
  signal?: AbortSignal,
): Promise<DrainResult> {
  const run: Run = {
    client,
    options: {
      ...options,
      maxUnavailable: options.maxUnavailable > 0 ? Math.floor(options.maxUnavailable) : 1,
      concurrency: options.concurrency > 0 ? Math.floor(options.concurrency) : DEFAULT_CONCURRENCY,
    },
    callbacks,
    signal,
    resolver: new WorkloadResolver(client),
    daemonSets: new Map(),
  };
  const targets = await nodesToDrain(client, nodes, options.selector);
  const names = targets.map((n) => n.metadata.name ?? '');
  const writes = options.dryRun === 'none';

  // A run that was interrupted hard (killed) may have left Deployments surged: put them back.
  if (writes) await restoreSurges(client, names, callbacks.onSurge).catch(() => []);
  // Those surged by an interrupted drain of another node are that node's to put back: say so.
  for (const s of await outstandingSurges(client).catch(() => [])) {
    if (!writes || !names.includes(s.journal.node)) callbacks.onSurge?.(s.workload, surgeNotice(s));
  }

  const results = new Map<string, NodeDrainResult>();
  const finish = (r: NodeDrainResult): void => {
    results.set(r.node, r);
    callbacks.onNodeDone?.(r);
  };
  const cordonStates = new Map<string, string>();
  for (const node of targets) {
    if (signal?.aborted) break;
    const c = await cordon(run, node);
    if (c.ok) cordonStates.set(node.metadata.name ?? '', c.state);
    else finish(nodeResult(c.outcomes, undefined, run.options));
  }

  const queue = targets.filter((n) => cordonStates.has(n.metadata.name ?? ''));
  await pool(queue, run.options.maxUnavailable, async (node) => {
    const name = node.metadata.name ?? '';
    const cordonState = cordonStates.get(name) ?? '';
    finish(signal?.aborted ? nodeResult({ stage: 'list', node: name, cordonState }, 'interrupted', run.options) : await drainNode(run, node, cordonState));
  });
  for (const name of names) {
    if (!results.has(name)) finish(nodeResult({ stage: 'list', node: name, cordonState: 'not cordoned (interrupted before it was cordoned)' }, 'interrupted', run.options));
  }

  if (signal?.aborted && writes) await restoreSurges(client, names, callbacks.onSurge).catch(() => []);

  const ordered = names.flatMap((n) => results.get(n) ?? []);
  const left = ordered.filter((r) => r.status !== 'drained').map((r) => r.node);
  const result: DrainResult = { nodes: ordered, ok: left.length === 0 };
  if (left.length > 0 && writes) result.continueWith = drainCommand(left, run.options);
  return result;
}
