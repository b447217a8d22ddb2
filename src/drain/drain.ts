// The drain executor (kubectl drain's RunCordonOrUncordon + RunNodeDrain, kubectl pkg/drain):
// cordon every selected node first, then drain them (up to --max-unavailable at once): list the
// node's pods, run kubectl's filter chain, refuse the node on any filter error (it stays
// cordoned), else evict (or delete) the pods and wait for them to go. What upkeep adds: bounded
// concurrency, UID-preconditioned evictions, PDB waits that say which budget, retries of 5xx
// and dropped connections, watches instead of polling, --surge, --wait-ready, and a result that
// says what state each node was left in and the exact command that continues from there.
// Progress goes through the callbacks only; nothing here prints.
import type { KubeObject } from '../api/types.js';
import { isNotFound, type KubeClient } from '../kube/index.js';
import { cordonedByUpkeep, resolveNodes, setCordon } from './cordon.js';
import { goDuration, removePod, type BudgetWait, type RemovalCallbacks, type RemovalOutcome } from './evict.js';
import { controllerOf, filterPods, isFinished, podKey, unableToDrainLine, type PodDeleteList } from './filters.js';
import { restoreSurges, startSurges, type SurgeHandle } from './surge.js';
import { DEFAULT_DRAIN_OPTIONS, type DaemonSetLookup, type DrainOptions } from './types.js';
import { WorkloadResolver, waitForWorkloads, workloadName, type WorkloadRef } from './waitready.js';

export type { BudgetWait } from './evict.js';
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
  /** How continueWith starts (default "upkeep drain"), e.g. "kubectl upkeep drain" or with --context. */
  command?: string;
}

export interface DrainCallbacks {
  onCordoned?(node: string, line: string): void;          // "node/x cordoned" (+ dry-run suffix) or "node/x already cordoned"
  onWarning?(node: string, line: string): void;           // "Warning: ignoring DaemonSet-managed Pods: ns/a, ns/b"
  onEvicting?(pod: KubeObject, line: string): void;       // "evicting pod ns/name" (+ " (dry run)"/" (server dry run)")
  onEvicted?(pod: KubeObject, line: string): void;        // "pod/name evicted"  (delete path: "pod/name deleted")
  onBudgetWait?(wait: BudgetWait): void;                  // progress while a PDB blocks
  onRetry?(pod: string, message: string): void;           // 5xx / dropped connections being retried
  onSurge?(workload: string, line: string): void;         // surge progress lines
  onWaitReady?(workload: string, line: string): void;     // wait-ready progress lines
  onNodeDone?(result: NodeDrainResult): void;
  /** Other lines: "pod/x already gone", "pod "x" has DeletionTimestamp older than N seconds, skipping". */
  onLine?(node: string, line: string): void;
}

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
}

export interface DrainResult {
  nodes: NodeDrainResult[];
  /** Some node was refused, failed or timed out. */
  ok: boolean;
  /** The command that continues from here, e.g. "upkeep drain node01 --force --ignore-daemonsets". */
  continueWith?: string;
}

const PODS = { version: 'v1', resource: 'pods' } as const;
const DAEMONSETS = { group: 'apps', version: 'v1', resource: 'daemonsets' } as const;
const DEFAULT_CONCURRENCY = 16;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Run fn over items with at most `limit` in flight, in order of start. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

// ---------------------------------------------------------------------------------------------
// The continue command
// ---------------------------------------------------------------------------------------------

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_.,:=/@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The drain command for these nodes with the same flags (only those that differ from the defaults). */
export function drainCommand(nodes: readonly string[], options: DrainRunOptions): string {
  const d = DEFAULT_DRAIN_OPTIONS;
  const args = [options.command ?? 'upkeep drain', ...nodes.map(shellQuote)];
  if (options.force) args.push('--force');
  if (options.ignoreDaemonSets) args.push('--ignore-daemonsets');
  if (options.deleteEmptyDirData) args.push('--delete-emptydir-data');
  if (options.gracePeriodSeconds !== d.gracePeriodSeconds) args.push(`--grace-period=${options.gracePeriodSeconds}`);
  if (options.timeoutSeconds > 0) args.push(`--timeout=${options.timeoutSeconds}s`);
  if (options.podSelector) args.push(shellQuote(`--pod-selector=${options.podSelector}`));
  if (options.disableEviction) args.push('--disable-eviction');
  if (options.skipWaitForDeleteTimeoutSeconds > 0) args.push(`--skip-wait-for-delete-timeout=${options.skipWaitForDeleteTimeoutSeconds}`);
  if (options.chunkSize !== d.chunkSize) args.push(`--chunk-size=${options.chunkSize}`);
  if (options.dryRun !== 'none') args.push(`--dry-run=${options.dryRun}`);
  if (options.waitReady) args.push('--wait-ready');
  if (options.surge) args.push('--surge');
  if (options.maxUnavailable > 1) args.push(`--max-unavailable=${options.maxUnavailable}`);
  if (options.concurrency > 0 && options.concurrency !== DEFAULT_CONCURRENCY) args.push(`--concurrency=${options.concurrency}`);
  return args.join(' ');
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
    found = run.client.get({ ...DAEMONSETS, namespace, name }).then(
      () => true,
      // NotFound: an orphan (deleted with --force); anything else is the node's error, as kubectl.
      (err: unknown) => (isNotFound(err) ? false : errorText(err)),
    );
    run.daemonSets.set(key, found);
  }
  return found;
}

/** The filter chain's answers for the DaemonSets of these pods, fetched up front. */
async function daemonSetLookup(run: Run, pods: KubeObject[]): Promise<DaemonSetLookup> {
  const answers = new Map<string, boolean | string>();
  await Promise.all(
    pods.map(async (pod) => {
      const ref = controllerOf(pod);
      if (ref?.kind !== 'DaemonSet' || isFinished(pod)) return;
      const ns = pod.metadata.namespace ?? '';
      answers.set(`${ns}/${ref.name}`, await daemonSetExists(run, ns, ref.name));
    }),
  );
  return (ns, name) => answers.get(`${ns}/${name}`) ?? true;
}

async function listNodePods(run: Run, node: string, signal?: AbortSignal): Promise<KubeObject[]> {
  const pods: KubeObject[] = [];
  for await (const pod of run.client.listAll<KubeObject>(PODS, {
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
async function pendingOn(run: Run, node: string, fallback: KubeObject[]): Promise<string[]> {
  try {
    return (await filterNode(run, node, AbortSignal.timeout(30_000))).pods().map(podKey);
  } catch {
    return fallback.map(podKey);
  }
}

interface CordonOutcome {
  ok: boolean;
  /** The node's cordon state in words, for NodeDrainResult.state. */
  state: string;
  errorLine?: string;
}

async function cordon(run: Run, node: KubeObject): Promise<CordonOutcome> {
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
    return { ok: false, state: 'not cordoned, nothing evicted', errorLine: `error: unable to cordon node "${name}": ${errorText(err)}` };
  }
}

/** "cordoned (by upkeep); 2 evicted; 3 pods still there: a, b, c; ..." */
function describe(cordonState: string, parts: (string | undefined | false)[]): string {
  return [cordonState, ...parts.filter((p): p is string => typeof p === 'string' && p !== '')].join('; ');
}

function stillThere(pending: string[]): string | undefined {
  return pending.length > 0 ? `${plural(pending.length, 'pod')} still there: ${pending.join(', ')}` : undefined;
}

async function drainNode(run: Run, node: KubeObject, cordonState: string): Promise<NodeDrainResult> {
  const name = node.metadata.name ?? '';
  const { options, callbacks, client } = run;
  const verb = options.disableEviction ? 'deleted' : 'evicted';

  // The node's deadline (--timeout, per node as kubectl) and the user's interrupt both stop it.
  const stop = new AbortController();
  let reason: 'timeout' | 'interrupted' | undefined;
  const interrupt = (): void => {
    reason ??= 'interrupted';
    stop.abort();
  };
  run.signal?.addEventListener('abort', interrupt, { once: true });
  if (run.signal?.aborted) interrupt();
  const timer =
    options.timeoutSeconds > 0
      ? setTimeout(() => {
          reason ??= 'timeout';
          stop.abort();
        }, options.timeoutSeconds * 1000)
      : undefined;
  const handles: SurgeHandle[] = [];
  const restored = new Set<SurgeHandle>();
  const surgeProblems: string[] = [];
  const restore = async (h: SurgeHandle): Promise<void> => {
    if (restored.has(h)) return;
    restored.add(h);
    const problem = await h.restore();
    if (problem) surgeProblems.push(problem);
  };

  try {
    let list: PodDeleteList;
    try {
      list = await filterNode(run, name, stop.signal);
    } catch (err) {
      if (reason) return stoppedBeforeStart(name, reason, cordonState, options.timeoutSeconds);
      return {
        node: name,
        status: 'failed',
        errorLine: unableToDrainLine(name, [errorText(err)]),
        pendingPods: [],
        state: describe(cordonState, ['nothing evicted', `its pods could not be listed: ${errorText(err)}`]),
      };
    }
    const warning = list.warningLine();
    if (warning) callbacks.onWarning?.(name, warning);
    const errors = list.errors();
    const toRemove = list.pods();
    if (errors.length > 0) {
      // kubectl evicts nothing from a node with any filter error, and leaves it cordoned.
      const pending = list.items.filter((i) => i.delete || i.status === 'Error').map((i) => podKey(i.pod));
      return {
        node: name,
        status: 'refused',
        errorLine: unableToDrainLine(name, errors),
        pendingPods: pending,
        state: describe(cordonState, ['nothing evicted (refused)', stillThere(pending)]),
      };
    }

    if (options.surge) {
      handles.push(
        ...(await startSurges({ client, node: name, signal: stop.signal, dryRun: options.dryRun, resolver: run.resolver, onSurge: callbacks.onSurge }, toRemove)),
      );
    }
    if (options.dryRun === 'client') {
      // kubectl's client dry run lists what it would evict and sends nothing.
      for (const pod of toRemove) callbacks.onEvicting?.(pod, `evicting pod ${podKey(pod)} (dry run)`);
      return { node: name, status: 'drained', pendingPods: [], state: describe(cordonState, [`nothing ${verb} (dry run; ${plural(toRemove.length, 'pod')} would be)`]) };
    }

    const gate = new Map<string, SurgeHandle>();
    const left = new Map<SurgeHandle, number>();
    for (const h of handles) {
      left.set(h, h.podUids.size);
      for (const uid of h.podUids) gate.set(uid, h);
    }
    const removal: RemovalCallbacks = {
      onEvicting: callbacks.onEvicting,
      onEvicted: callbacks.onEvicted,
      onBudgetWait: callbacks.onBudgetWait,
      onRetry: callbacks.onRetry,
      onLine: (line) => callbacks.onLine?.(name, line),
    };
    const ctx = { client, options, signal: stop.signal, callbacks: removal };
    const outcomes = new Map<KubeObject, RemovalOutcome>();
    const restores: Promise<void>[] = [];
    await pool(toRemove, options.concurrency > 0 ? options.concurrency : DEFAULT_CONCURRENCY, async (pod) => {
      const h = gate.get(pod.metadata.uid ?? '');
      // A surging Deployment's pods go once the new replicas are Ready (or the surge gave up).
      if (h) await h.ready;
      const outcome: RemovalOutcome = stop.signal.aborted ? { kind: 'stopped', stage: 'evicting' } : await removePod(ctx, pod);
      outcomes.set(pod, outcome);
      if (h) {
        const n = (left.get(h) ?? 1) - 1;
        left.set(h, n);
        if (n === 0) restores.push(restore(h));
      }
    });
    await Promise.all(restores);
    for (const h of handles) await restore(h);

    const removed = toRemove.filter((p) => outcomes.get(p)?.kind === 'removed').map(podKey);
    const failures = toRemove.flatMap((p) => {
      const o = outcomes.get(p);
      return o?.kind === 'failed' ? [o.error] : [];
    });
    const stopped = toRemove.filter((p) => outcomes.get(p)?.kind === 'stopped');
    const budgets = [...new Set(stopped.flatMap((p) => {
      const o = outcomes.get(p);
      return o?.kind === 'stopped' && o.budget ? [o.budget] : [];
    }))];
    const serverDryRun = options.dryRun === 'server';
    const doneWhat = serverDryRun ? `nothing ${verb} (server dry run accepted ${plural(removed.length, 'pod')})` : `${removed.length} ${verb}`;
    const budgetText = budgets.length > 0 ? `waiting on PodDisruptionBudget ${budgets.join(', ')}` : undefined;

    const refusedInDryRun = stopped.filter((p) => {
      const o = outcomes.get(p);
      return o?.kind === 'stopped' && o.dryRunRefused !== undefined;
    });
    if (!reason && failures.length === 0 && refusedInDryRun.length > 0) {
      return {
        node: name,
        status: 'blocked',
        pendingPods: refusedInDryRun.map(podKey),
        state: describe(cordonState, [doneWhat, `a real drain would wait on PodDisruptionBudget ${budgets.join(', ')}`]),
        evicted: [],
        blockingBudgets: budgets,
        errorLine: unableToDrainLine(
          name,
          refusedInDryRun.map((p) => {
            const o = outcomes.get(p);
            const why = o?.kind === 'stopped' ? o.dryRunRefused : '';
            return `eviction of pods/"${p.metadata.name}" -n "${p.metadata.namespace}" refused (server dry run): ${why}`;
          }),
        ),
      };
    }

    if (reason || failures.length > 0) {
      const pending = await pendingOn(run, name, stopped);
      const base: NodeDrainResult = {
        node: name,
        status: 'failed',
        pendingPods: pending,
        state: describe(cordonState, [doneWhat, stillThere(pending), budgetText, ...surgeProblems]),
        evicted: removed,
        ...(budgets.length > 0 ? { blockingBudgets: budgets } : {}),
      };
      if (reason === 'interrupted') return { ...base, interrupted: true, errorLine: `error: drain of node "${name}" interrupted` };
      if (reason === 'timeout') {
        const limit = `global timeout reached: ${goDuration(options.timeoutSeconds)}`;
        const errs = [
          ...failures,
          ...stopped.map((p) => {
            const o = outcomes.get(p);
            return o?.kind === 'stopped' && o.stage === 'waiting'
              ? `error when waiting for pod "${p.metadata.name}" in namespace "${p.metadata.namespace}" to terminate: ${limit}`
              : `error when evicting pods/"${p.metadata.name}" -n "${p.metadata.namespace}": ${limit}`;
          }),
        ];
        return { ...base, status: 'timeout', errorLine: unableToDrainLine(name, errs.length > 0 ? errs : [limit]) };
      }
      return { ...base, errorLine: unableToDrainLine(name, failures) };
    }

    let notReady: string[] | undefined;
    if (options.waitReady && !serverDryRun) {
      const refs = new Map<string, WorkloadRef>();
      for (const pod of toRemove) {
        const ref = await run.resolver.workloadOf(pod, stop.signal).catch(() => undefined);
        if (ref) refs.set(workloadName(ref), ref);
      }
      notReady = await waitForWorkloads(client, [...refs.values()], stop.signal, { onWaitReady: callbacks.onWaitReady });
      if (notReady.length > 0) {
        const base: NodeDrainResult = {
          node: name,
          status: reason === 'timeout' ? 'timeout' : 'failed',
          pendingPods: [],
          notReady,
          evicted: removed,
          state: describe(cordonState, [`drained (${removed.length} ${verb})`, `not back to full availability: ${notReady.join(', ')}`, ...surgeProblems]),
        };
        if (reason === 'interrupted') return { ...base, interrupted: true, errorLine: `error: drain of node "${name}" interrupted while waiting for workloads to be ready` };
        const within = reason === 'timeout' ? `within ${options.timeoutSeconds}s` : 'as far as upkeep could tell';
        return { ...base, errorLine: unableToDrainLine(name, [`workloads not available again ${within}: ${notReady.join(', ')}`]) };
      }
    }
    return {
      node: name,
      status: 'drained',
      pendingPods: [],
      state: describe(cordonState, [serverDryRun ? doneWhat : `drained (${removed.length} ${verb})`, ...surgeProblems]),
      evicted: removed,
      ...(notReady ? { notReady } : {}),
    };
  } catch (err) {
    const pending = await pendingOn(run, name, []);
    return {
      node: name,
      status: 'failed',
      errorLine: unableToDrainLine(name, [errorText(err)]),
      pendingPods: pending,
      state: describe(cordonState, [stillThere(pending), ...surgeProblems]),
    };
  } finally {
    if (timer) clearTimeout(timer);
    run.signal?.removeEventListener('abort', interrupt);
    // Whatever happened, no Deployment stays surged.
    for (const h of handles) await restore(h).catch(() => undefined);
  }
}

function stoppedBeforeStart(name: string, reason: 'timeout' | 'interrupted', cordonState: string, timeoutSeconds: number): NodeDrainResult {
  if (reason === 'timeout') {
    return {
      node: name,
      status: 'timeout',
      errorLine: unableToDrainLine(name, [`global timeout reached: ${goDuration(timeoutSeconds)}`]),
      pendingPods: [],
      state: describe(cordonState, ['nothing evicted (timed out before its pods were listed)']),
    };
  }
  return notStarted(name, cordonState);
}

function notStarted(name: string, cordonState: string): NodeDrainResult {
  return {
    node: name,
    status: 'failed',
    interrupted: true,
    errorLine: `error: drain of node "${name}" interrupted`,
    pendingPods: [],
    state: describe(cordonState, ['nothing evicted (interrupted before its drain started)']),
  };
}

/**
 * Cordon the nodes, then drain them. `nodeNames` empty: the nodes of options.selector. Throws
 * only before any change (unknown node, a name together with a selector); after that every
 * outcome is in the result.
 */
export async function drainNodes(
  client: KubeClient,
  nodeNames: string[],
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
  const resolved = await resolveNodes(client, nodeNames, options.selector || undefined);
  const seen = new Set<string>();
  const nodes = resolved.filter((n) => {
    const name = n.metadata.name ?? '';
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
  const names = nodes.map((n) => n.metadata.name ?? '');
  const writes = options.dryRun === 'none';

  // A run that was interrupted hard (killed) may have left Deployments surged: put them back.
  if (writes) await restoreSurges(client, names, callbacks.onSurge).catch(() => []);

  const results = new Map<string, NodeDrainResult>();
  const cordons = new Map<string, CordonOutcome>();
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    if (signal?.aborted) break;
    const c = await cordon(run, node);
    cordons.set(name, c);
    if (!c.ok) {
      const r: NodeDrainResult = { node: name, status: 'failed', errorLine: c.errorLine, pendingPods: [], state: c.state };
      results.set(name, r);
      callbacks.onNodeDone?.(r);
    }
  }

  const queue = nodes.filter((n) => cordons.get(n.metadata.name ?? '')?.ok);
  await pool(queue, run.options.maxUnavailable, async (node) => {
    const name = node.metadata.name ?? '';
    const cordonState = cordons.get(name)?.state ?? '';
    const r = signal?.aborted ? notStarted(name, cordonState) : await drainNode(run, node, cordonState);
    results.set(name, r);
    callbacks.onNodeDone?.(r);
  });
  for (const name of names) {
    if (results.has(name)) continue;
    const r = notStarted(name, 'not cordoned (interrupted before it was cordoned)');
    results.set(name, r);
    callbacks.onNodeDone?.(r);
  }

  if (signal?.aborted && writes) await restoreSurges(client, names, callbacks.onSurge).catch(() => []);

  const ordered = names.map((n) => results.get(n) as NodeDrainResult);
  const unfinished = ordered.filter((r) => r.status !== 'drained').map((r) => r.node);
  const result: DrainResult = { nodes: ordered, ok: unfinished.length === 0 };
  if (unfinished.length > 0 && writes) result.continueWith = drainCommand(unfinished, run.options);
  return result;
}
