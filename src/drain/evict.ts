// Removing one pod from a node being drained: evict it (POST pods/<name>/eviction, policy/v1) or,
// with --disable-eviction, DELETE it; then wait until it is gone. kubectl's pkg/drain does the
// same with a goroutine per pod, a fixed 5 s sleep on every 429, retries by pod *name* and a 1 s
// GET poll. Here: every request carries the pod's UID as a precondition (a StatefulSet pod
// recreated under the same name is never evicted by mistake, kubernetes#138229), PDB refusals
// back off from 1 s to 5 s and say which budget is waiting, 5xx answers and dropped connections
// are retried, and deletion is awaited through a watch.
import type { KubeObject } from '../api/types.js';
import { StatusError } from '../api/status.js';
import { labelSelectorFromObject } from '../api/labels.js';
import { ConnectionError, isNotFound, type KubeClient } from '../kube/index.js';
import { sleep } from '../kube/retry.js';
import { podKey } from './filters.js';
import type { DrainOptions } from './types.js';

type Obj = Record<string, unknown>;

/** A PodDisruptionBudget refusing an eviction (a 429), as the drain reports it. */
export interface BudgetWait {
  /** ns/name of the pod. */
  pod: string;
  /** ns/name of the PodDisruptionBudget (from the 429's cause message, or a lookup). */
  budget: string;
  /** The server's cause message, e.g. "The disruption budget x needs 3 healthy pods and has 3 currently". */
  message: string;
  /** Evictions refused so far for this pod. */
  attempts: number;
  /** When the next attempt goes. */
  retryInMs: number;
}

/** The progress callbacks removePod uses (a subset of the drain's). */
export interface RemovalCallbacks {
  onEvicting?(pod: KubeObject, line: string): void;
  onEvicted?(pod: KubeObject, line: string): void;
  onBudgetWait?(wait: BudgetWait): void;
  onRetry?(pod: string, message: string): void;
  /** Other lines: a pod already gone, a pod skipped by --skip-wait-for-delete-timeout. */
  onLine?(line: string): void;
}

export interface RemovalContext {
  client: KubeClient;
  options: Pick<DrainOptions, 'gracePeriodSeconds' | 'dryRun' | 'disableEviction' | 'skipWaitForDeleteTimeoutSeconds'>;
  /** Aborts when the node's --timeout passes or the user interrupts: the pod is left as it is. */
  signal: AbortSignal;
  callbacks: RemovalCallbacks;
  /** Overrides the retry delays (tests). */
  delays?: Partial<RemovalDelays>;
}

export interface RemovalDelays {
  /** First wait after a PodDisruptionBudget refusal; doubles up to budgetMaxMs. */
  budgetBaseMs: number;
  budgetMaxMs: number;
  /** First wait after a 5xx or a dropped connection; doubles up to errorMaxMs. */
  errorBaseMs: number;
  errorMaxMs: number;
  /** Attempts in a row that may fail with a 5xx or a dropped connection before the pod fails. */
  errorAttempts: number;
}

export const DEFAULT_REMOVAL_DELAYS: Readonly<RemovalDelays> = Object.freeze({
  // kubectl sleeps a fixed 5 s after every refusal; a budget usually frees up as soon as a
  // replacement is Ready, so start sooner and stay bounded.
  budgetBaseMs: 1000,
  budgetMaxMs: 5000,
  errorBaseMs: 500,
  errorMaxMs: 5000,
  errorAttempts: 8,
});

export type RemovalOutcome =
  /** Evicted (or deleted) and gone; with a server dry run: accepted. */
  | { kind: 'removed' }
  /** Gone before we removed it: 404, or the name now belongs to another pod (a new UID). */
  | { kind: 'gone'; why: string }
  /** --skip-wait-for-delete-timeout: terminating for longer than that, no longer waited for. */
  | { kind: 'skipped' }
  /** kubectl's per-pod error text: the pod stays where it is and the node is not drained. */
  | { kind: 'failed'; error: string }
  /** The node's deadline passed or the user interrupted; `budget` when a PDB was refusing it. */
  | { kind: 'stopped'; stage: 'evicting' | 'waiting'; budget?: string; dryRunRefused?: string };

const PODS = { version: 'v1', resource: 'pods' } as const;
const PDBS = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' } as const;

/** What a 429's DisruptionBudget cause says: the budget's name, and its numbers when given. */
export interface BudgetCause {
  name: string;
  desiredHealthy?: number;
  currentHealthy?: number;
}

/**
 * The budget named in an eviction refusal's cause message. kube-apiserver writes "The
 * disruption budget %s needs %d healthy pods and has %d currently", "The disruption budget %s is
 * still being processed by the server." and (403s) "The disruption budget %s does not allow
 * evicting pods currently: ...".
 */
export function parseBudgetCause(message: string): BudgetCause | undefined {
  const needs = /^The disruption budget (\S+) needs (\d+) healthy pods and has (\d+) currently/.exec(message);
  if (needs) return { name: needs[1], desiredHealthy: Number(needs[2]), currentHealthy: Number(needs[3]) };
  const other = /^The disruption budget (\S+) (?:is still being processed|does not allow)/.exec(message);
  return other ? { name: other[1] } : undefined;
}

/** The DisruptionBudget cause of an eviction refusal, if it has one. */
export function disruptionBudgetCause(err: unknown): string | undefined {
  if (!(err instanceof StatusError)) return undefined;
  const cause = err.causes.find((c) => c.reason === 'DisruptionBudget');
  return cause ? (cause.message ?? '') : undefined;
}

/** kube-apiserver's answer for a pod under two budgets: it can never succeed. */
export function isOverlappingBudgets(err: unknown): boolean {
  return err instanceof StatusError && err.code === 500 && /more than one PodDisruptionBudget/.test(err.message);
}

/** Step n (from 1) of a doubling backoff: base, 2*base, 4*base, ... capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
}

/** Go's time.Duration text for whole seconds, as kubectl prints --timeout: 30s, 1m30s, 1h0m0s. */
export function goDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m${s % 60}s`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A 5xx (other than the overlapping-budgets 500), a throttling 429 or a dropped connection. */
function isTransient(err: unknown): boolean {
  if (err instanceof ConnectionError) return true;
  if (err instanceof StatusError) {
    const code = err.code;
    if (code === 429) return disruptionBudgetCause(err) === undefined;
    return code >= 500 && !isOverlappingBudgets(err);
  }
  return false;
}

function hasCause(err: unknown, reason: string): boolean {
  return err instanceof StatusError && err.causes.some((c) => c.reason === reason);
}

/** A precondition failure: the UID we sent is not the pod's any more. */
function isUidConflict(err: unknown): boolean {
  return err instanceof StatusError && err.code === 409 && /Precondition failed: UID/.test(err.message);
}

/** The PodDisruptionBudgets selecting the pod ("ns/name"), for messages. */
export async function budgetsSelecting(client: KubeClient, pod: KubeObject, signal?: AbortSignal): Promise<string[]> {
  const ns = pod.metadata.namespace ?? '';
  const list = await client.list({ ...PDBS, namespace: ns }, undefined, { signal });
  return list.items
    .filter((pdb) => labelSelectorFromObject((pdb.spec as Obj | undefined)?.selector as Parameters<typeof labelSelectorFromObject>[0]).matches(pod.metadata.labels ?? {}))
    .map((pdb) => `${ns}/${pdb.metadata.name ?? ''}`);
}

/** What a fresh GET says about the pod: still the same one, or gone (404 or a new UID). */
async function stillThere(ctx: RemovalContext, pod: KubeObject): Promise<{ gone: string } | { pod: KubeObject } | { error: unknown }> {
  try {
    const current = await ctx.client.get<KubeObject>({ ...PODS, namespace: pod.metadata.namespace, name: pod.metadata.name }, undefined, { signal: ctx.signal });
    if (current.metadata.uid !== pod.metadata.uid) return { gone: `pod/${pod.metadata.name} is now another pod (uid ${current.metadata.uid ?? '?'}); the one on the node is gone` };
    return { pod: current };
  } catch (err) {
    if (isNotFound(err)) return { gone: `pod/${pod.metadata.name} already gone` };
    return { error: err };
  }
}

/** Evict or delete one pod and wait until it is gone. Never throws. */
export async function removePod(ctx: RemovalContext, pod: KubeObject): Promise<RemovalOutcome> {
  const delays = { ...DEFAULT_REMOVAL_DELAYS, ...ctx.delays };
  const { options, callbacks, signal } = ctx;
  const name = pod.metadata.name ?? '';
  const ns = pod.metadata.namespace ?? '';
  const useEviction = !options.disableEviction;
  const serverDryRun = options.dryRun === 'server';
  const deleteOptions: Obj = { preconditions: { uid: pod.metadata.uid } };
  if (options.gracePeriodSeconds >= 0) deleteOptions.gracePeriodSeconds = options.gracePeriodSeconds;
  if (serverDryRun) deleteOptions.dryRun = ['All'];

  let budgetAttempts = 0;
  let errorAttempts = 0;
  let lastBudget: string | undefined;
  let announced = false;
  for (;;) {
    if (signal.aborted) return { kind: 'stopped', stage: 'evicting', budget: lastBudget };
    if (useEviction && !announced) {
      callbacks.onEvicting?.(pod, `evicting pod ${ns}/${name}${serverDryRun ? ' (server dry run)' : ''}`);
      announced = true;
    }
    let failure: unknown;
    try {
      if (useEviction) {
        await ctx.client.post(
          { ...PODS, namespace: ns, name, subresource: 'eviction' },
          { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns }, deleteOptions },
          undefined,
          { signal, retry: false },
        );
      } else {
        await ctx.client.delete({ ...PODS, namespace: ns, name }, deleteOptions, undefined, { signal, retry: false });
      }
      break;
    } catch (err) {
      failure = err;
    }
    if (signal.aborted) return { kind: 'stopped', stage: 'evicting', budget: lastBudget };
    const err = failure;
    // 404: nothing left to evict. 409 on our UID precondition: the name now belongs to a new pod
    // (a StatefulSet replacement); the one we meant is gone, and the new one is not ours to touch.
    if (isNotFound(err)) {
      callbacks.onLine?.(`pod/${name} already gone`);
      return { kind: 'gone', why: 'not found' };
    }
    if (isUidConflict(err)) {
      callbacks.onLine?.(`pod/${name} already gone (the name now belongs to a new pod, which is left alone)`);
      return { kind: 'gone', why: 'replaced' };
    }
    const budgetMessage = disruptionBudgetCause(err);
    if (err instanceof StatusError && err.code === 429 && budgetMessage !== undefined) {
      budgetAttempts++;
      errorAttempts = 0;
      const parsed = parseBudgetCause(budgetMessage);
      let budget = parsed ? `${ns}/${parsed.name}` : undefined;
      if (!budget) {
        const found = await budgetsSelecting(ctx.client, pod, signal).catch(() => [] as string[]);
        budget = found.length > 0 ? found.join(', ') : `${ns}/<unknown>`;
      }
      lastBudget = budget;
      // A server dry run asks "would this be allowed now?": a refusal is the answer, not a wait
      // (kubectl retries it until --timeout, kubespray#10029).
      if (ctx.options.dryRun === 'server') return { kind: 'stopped', stage: 'evicting', budget, dryRunRefused: budgetMessage || err.message };
      const retryInMs = backoffMs(budgetAttempts, delays.budgetBaseMs, delays.budgetMaxMs);
      callbacks.onBudgetWait?.({ pod: podKey(pod), budget, message: budgetMessage || err.message, attempts: budgetAttempts, retryInMs });
      if (!(await pause(retryInMs, signal))) return { kind: 'stopped', stage: 'evicting', budget: lastBudget };
      // Ask again only for the same pod: if the name is gone or taken by a new pod, we are done.
      const check = await stillThere(ctx, pod);
      if ('gone' in check) {
        callbacks.onLine?.(check.gone);
        return { kind: 'gone', why: check.gone };
      }
      continue;
    }
    if (hasCause(err, 'NamespaceTerminating') && err instanceof StatusError && err.code === 403) {
      // Evictions are creates, refused in a terminating namespace; a pod already terminating
      // will go anyway, so wait for it; otherwise ask again, as kubectl does.
      if (pod.metadata.deletionTimestamp) break;
      errorAttempts++;
      const retryInMs = backoffMs(errorAttempts, delays.errorBaseMs, delays.errorMaxMs);
      callbacks.onRetry?.(podKey(pod), `error when evicting pod "${name}" from terminating namespace "${ns}" (will retry after ${retryInMs}ms): ${errorText(err)}`);
      if (!(await pause(retryInMs, signal))) return { kind: 'stopped', stage: 'evicting', budget: lastBudget };
      const check = await stillThere(ctx, pod);
      if ('gone' in check) return { kind: 'gone', why: check.gone };
      if ('pod' in check && check.pod.metadata.deletionTimestamp) break;
      continue;
    }
    if (isTransient(err) && errorAttempts + 1 < delays.errorAttempts) {
      // The UID precondition makes a repeat safe even if the first request did act.
      errorAttempts++;
      const retryInMs = backoffMs(errorAttempts, delays.errorBaseMs, delays.errorMaxMs);
      callbacks.onRetry?.(podKey(pod), `error when ${useEviction ? 'evicting' : 'deleting'} pods/"${name}" -n "${ns}" (will retry after ${retryInMs}ms): ${errorText(err)}`);
      if (!(await pause(retryInMs, signal))) return { kind: 'stopped', stage: 'evicting', budget: lastBudget };
      continue;
    }
    if (isOverlappingBudgets(err)) {
      const found = await budgetsSelecting(ctx.client, pod, signal).catch(() => [] as string[]);
      const which = found.length > 0 ? ` (selected by ${found.join(' and ')}; make them not overlap, or use --disable-eviction to bypass budgets)` : '';
      return { kind: 'failed', error: `error when evicting pods/"${name}" -n "${ns}": ${errorText(err)}${which}` };
    }
    return { kind: 'failed', error: `error when ${useEviction ? 'evicting' : 'deleting'} pods/"${name}" -n "${ns}": ${errorText(err)}` };
  }

  // A server dry run evicts nothing: there is nothing to wait for (kubectl stops here too).
  if (serverDryRun) return { kind: 'removed' };
  const waited = await waitForDelete(ctx, pod);
  if (waited.kind === 'removed') callbacks.onEvicted?.(pod, `pod/${name} ${useEviction ? 'evicted' : 'deleted'}`);
  return waited;
}

/** Sleep unless the signal aborts first; false when it did. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Wait until the pod is gone: a watch on the pod's name from the resourceVersion of a GET, done
 * on DELETED, on a new UID under the name (kubectl's rule, kubernetes#34782), or on 404. With
 * --skip-wait-for-delete-timeout, a pod whose deletionTimestamp is older than that is skipped.
 */
export async function waitForDelete(ctx: RemovalContext, pod: KubeObject): Promise<RemovalOutcome> {
  const { client, signal, callbacks } = ctx;
  const name = pod.metadata.name ?? '';
  const ns = pod.metadata.namespace ?? '';
  const uid = pod.metadata.uid;
  const skipSeconds = ctx.options.skipWaitForDeleteTimeoutSeconds;
  const delays = { ...DEFAULT_REMOVAL_DELAYS, ...ctx.delays };
  const waitError = (err: unknown): RemovalOutcome => ({
    kind: 'failed',
    error: `error when waiting for pod "${name}" in namespace "${ns}" to terminate: ${errorText(err)}`,
  });

  let current: KubeObject | undefined;
  for (let attempt = 1; !current; attempt++) {
    const check = await stillThere(ctx, pod);
    if ('gone' in check) return { kind: 'removed' };
    if ('pod' in check) current = check.pod;
    else {
      if (signal.aborted) return { kind: 'stopped', stage: 'waiting' };
      if (!isTransient(check.error) || attempt >= delays.errorAttempts) return waitError(check.error);
      if (!(await pause(backoffMs(attempt, delays.errorBaseMs, delays.errorMaxMs), signal))) return { kind: 'stopped', stage: 'waiting' };
    }
  }

  // Already terminating for longer than --skip-wait-for-delete-timeout: no watch needed.
  const since = current.metadata.deletionTimestamp ? Date.parse(current.metadata.deletionTimestamp) : NaN;
  if (skipSeconds > 0 && Date.now() >= since + (skipSeconds + 1) * 1000) return skipOutcome(callbacks, name, skipSeconds);

  const watchStop = new AbortController();
  const onAbort = (): void => watchStop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let skipTimer: NodeJS.Timeout | undefined;
  let skipped = false;
  // kubectl skips once int(time.Since(deletionTimestamp).Seconds()) > N.
  const armSkip = (p: KubeObject): void => {
    const ts = p.metadata.deletionTimestamp;
    if (skipSeconds <= 0 || !ts || skipTimer) return;
    const at = Date.parse(ts) + (skipSeconds + 1) * 1000;
    if (Number.isNaN(at)) return;
    skipTimer = setTimeout(() => {
      skipped = true;
      watchStop.abort();
    }, Math.max(0, at - Date.now()));
  };
  try {
    armSkip(current);
    for await (const event of client.watch({ ...PODS, namespace: ns }, {
      resourceVersion: current.metadata.resourceVersion,
      fieldSelector: `metadata.name=${name}`,
      signal: watchStop.signal,
    })) {
      if (event.type === 'BOOKMARK') continue;
      if (event.type === 'RELIST') {
        const same = event.items.find((p) => p.metadata.name === name);
        if (!same || same.metadata.uid !== uid) return { kind: 'removed' };
        armSkip(same);
        continue;
      }
      if (event.object.metadata.name !== name) continue;
      if (event.type === 'DELETED' || event.object.metadata.uid !== uid) return { kind: 'removed' };
      armSkip(event.object);
    }
  } catch (err) {
    if (!signal.aborted && !skipped) return waitError(err);
  } finally {
    if (skipTimer) clearTimeout(skipTimer);
    signal.removeEventListener('abort', onAbort);
    watchStop.abort();
  }
  if (skipped) return skipOutcome(callbacks, name, skipSeconds);
  return { kind: 'stopped', stage: 'waiting' };
}

function skipOutcome(callbacks: RemovalCallbacks, name: string, seconds: number): RemovalOutcome {
  callbacks.onLine?.(`pod "${name}" has DeletionTimestamp older than ${seconds} seconds, skipping`);
  return { kind: 'skipped' };
}
