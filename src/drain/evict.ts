// Removing one pod from a node being drained: evict it (POST pods/<name>/eviction, policy/v1) or,
// with --disable-eviction, DELETE it; then wait until it is gone. kubectl's pkg/drain does the
// same with a goroutine per pod, a fixed 5 s sleep on every 429, retries by pod *name* and a 1 s
// GET poll. Here: every request carries the pod's UID as a precondition (a StatefulSet pod
// recreated under the same name is never evicted by mistake, kubernetes#138229), PDB refusals
// back off from 1 s to 5 s and say which budget is waiting, 5xx answers and dropped connections
// are retried, and deletion is awaited through a watch.
import { labelSelectorFromObject } from '../api/labels.js';
import { podKey } from '../api/pods.js';
import { StatusError } from '../api/status.js';
import type { Eviction, Pod, PodDisruptionBudget } from '../api/types.js';
import { isNotFound, type DeleteOptions, type KubeClient } from '../kube/index.js';
import { isOverlappingBudgetsError, isTransientError, sleep } from '../kube/retry.js';
import type { DrainOptions } from './types.js';
import { errorMessage } from '../util/errors.js';

/** A PodDisruptionBudget refusing an eviction (a 429), as the drain reports it. */
export interface BudgetWait {
  /** ns/name of the pod. */
  pod: string;
  /** ns/name of the PodDisruptionBudget (from the 429's cause message, or a lookup). */
  budget: string;
  /** The server's cause message, e.g. "The disruption budget x needs 3 healthy pods and has 3 currently". */
  message: string;
  /** The budget's numbers, when the cause message gives them ("needs 3 healthy pods and has 3"). */
  desiredHealthy?: number;
  currentHealthy?: number;
  /** Evictions refused so far for this pod. */
  attempts: number;
  /** When the next attempt goes. */
  retryInMs: number;
}

/** The progress callbacks removePod uses (a subset of the drain's). */
export interface RemovalCallbacks {
  onEvicting?(pod: Pod, line: string): void;
  onEvicted?(pod: Pod, line: string): void;
  onBudgetWait?(wait: BudgetWait): void;
  /** The eviction (or delete) was accepted: the pod is terminating, with this grace period, and the drain waits for it to go. */
  onTerminating?(pod: Pod, gracePeriodSeconds: number): void;
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
  /** kubectl's per-pod error text: the pod stays where it is and the node is not drained. `needs`: the flag that would get past it. */
  | { kind: 'failed'; error: string; needs?: string[] }
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

/** Step n (from 1) of a doubling backoff: base, 2*base, 4*base, ... capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
}


function hasCause(err: unknown, reason: string): boolean {
  return err instanceof StatusError && err.causes.some((c) => c.reason === reason);
}

/** A precondition failure: the UID we sent is not the pod's any more. */
function isUidConflict(err: unknown): boolean {
  return err instanceof StatusError && err.code === 409 && /Precondition failed: UID/.test(err.message);
}

/** The PodDisruptionBudgets selecting the pod ("ns/name"), for messages. */
export async function budgetsSelecting(client: KubeClient, pod: Pod, signal?: AbortSignal): Promise<string[]> {
  const ns = pod.metadata.namespace ?? '';
  const list = await client.list<PodDisruptionBudget>({ ...PDBS, namespace: ns }, undefined, { signal });
  return list.items
    .filter((pdb) => labelSelectorFromObject(pdb.spec?.selector).matches(pod.metadata.labels ?? {}))
    .map((pdb) => `${ns}/${pdb.metadata.name ?? ''}`);
}

/** What a fresh GET says about the pod: still the same one, or gone (404 or a new UID). */
async function stillThere(ctx: RemovalContext, pod: Pod): Promise<{ gone: string } | { pod: Pod } | { error: unknown }> {
  try {
    const current = await ctx.client.get<Pod>({ ...PODS, namespace: pod.metadata.namespace, name: pod.metadata.name }, undefined, { signal: ctx.signal });
    if (current.metadata.uid !== pod.metadata.uid) return { gone: `pod/${pod.metadata.name} is now another pod (uid ${current.metadata.uid ?? '?'}); the one on the node is gone` };
    return { pod: current };
  } catch (err) {
    if (isNotFound(err)) return { gone: `pod/${pod.metadata.name} already gone` };
    return { error: err };
  }
}

/** Where one pod's removal stands between attempts. */
interface Attempts {
  budget: number;
  error: number;
  /** The budget that refused the last eviction, named in a stop. */
  lastBudget?: string;
}

/** What to do after a failed request: ask again, wait for the pod to go (it is terminating), or this outcome. */
type Next = 'retry' | 'wait' | RemovalOutcome;

/** Evict or delete one pod and wait until it is gone. Never throws. */
export async function removePod(ctx: RemovalContext, pod: Pod): Promise<RemovalOutcome> {
  const { options, callbacks, signal } = ctx;
  const useEviction = !options.disableEviction;
  const serverDryRun = options.dryRun === 'server';
  const attempts: Attempts = { budget: 0, error: 0 };
  const stopped = (): RemovalOutcome => ({ kind: 'stopped', stage: 'evicting', budget: attempts.lastBudget });
  if (signal.aborted) return stopped();
  if (useEviction) callbacks.onEvicting?.(pod, `evicting pod ${podKey(pod)}${serverDryRun ? ' (server dry run)' : ''}`);
  for (;;) {
    if (signal.aborted) return stopped();
    let next: Next;
    try {
      await sendRemoval(ctx, pod);
      break;
    } catch (err) {
      if (signal.aborted) return stopped();
      next = await afterFailure(ctx, pod, err, attempts);
    }
    if (next === 'wait') break;
    if (next !== 'retry') return next;
  }

  // A server dry run evicts nothing: there is nothing to wait for (kubectl stops here too).
  if (serverDryRun) return { kind: 'removed' };
  callbacks.onTerminating?.(pod, gracePeriodOf(pod, options.gracePeriodSeconds));
  const waited = await waitForDelete(ctx, pod);
  if (waited.kind === 'removed') callbacks.onEvicted?.(pod, `pod/${pod.metadata.name ?? ''} ${useEviction ? 'evicted' : 'deleted'}`);
  return waited;
}

/** The grace period the pod gets: --grace-period when >= 0, else its own (the API's default is 30 s). */
export function gracePeriodOf(pod: Pod, flag: number): number {
  return flag >= 0 ? flag : (pod.spec?.terminationGracePeriodSeconds ?? 30);
}

/** POST the eviction (or, with --disable-eviction, DELETE the pod), preconditioned on its UID. */
async function sendRemoval(ctx: RemovalContext, pod: Pod): Promise<void> {
  const { options, signal } = ctx;
  const name = pod.metadata.name ?? '';
  const namespace = pod.metadata.namespace ?? '';
  const deleteOptions: DeleteOptions = {
    preconditions: { uid: pod.metadata.uid },
    ...(options.gracePeriodSeconds >= 0 ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
    ...(options.dryRun === 'server' ? { dryRun: ['All'] } : {}),
  };
  if (options.disableEviction) {
    await ctx.client.delete({ ...PODS, namespace, name }, deleteOptions, undefined, { signal, retry: false });
    return;
  }
  const eviction: Eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace }, deleteOptions };
  await ctx.client.post({ ...PODS, namespace, name, subresource: 'eviction' }, eviction, undefined, { signal, retry: false });
}

/** What a failed eviction (or delete) means for the pod, kubectl's way plus upkeep's retries. */
async function afterFailure(ctx: RemovalContext, pod: Pod, err: unknown, attempts: Attempts): Promise<Next> {
  const { callbacks } = ctx;
  const name = pod.metadata.name ?? '';
  const ns = pod.metadata.namespace ?? '';
  const verb = ctx.options.disableEviction ? 'deleting' : 'evicting';
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
  if (err instanceof StatusError && err.code === 429 && budgetMessage !== undefined) return afterBudgetRefusal(ctx, pod, budgetMessage || err.message, attempts);
  if (err instanceof StatusError && err.code === 403 && hasCause(err, 'NamespaceTerminating')) {
    // Evictions are creates, refused in a terminating namespace; a pod already terminating
    // will go anyway, so wait for it; otherwise ask again, as kubectl does.
    if (pod.metadata.deletionTimestamp) return 'wait';
    const retryInMs = nextErrorDelay(ctx, attempts);
    callbacks.onRetry?.(podKey(pod), `error when evicting pod "${name}" from terminating namespace "${ns}" (will retry after ${retryInMs}ms): ${errorMessage(err)}`);
    if (!(await pause(retryInMs, ctx.signal))) return { kind: 'stopped', stage: 'evicting', budget: attempts.lastBudget };
    const check = await stillThere(ctx, pod);
    if ('gone' in check) return { kind: 'gone', why: check.gone };
    return 'pod' in check && check.pod.metadata.deletionTimestamp ? 'wait' : 'retry';
  }
  if (isTransientError(err) && attempts.error + 1 < delays(ctx).errorAttempts) {
    // The UID precondition makes a repeat safe even if the first request did act.
    const retryInMs = nextErrorDelay(ctx, attempts);
    callbacks.onRetry?.(podKey(pod), `error when ${verb} pods/"${name}" -n "${ns}" (will retry after ${retryInMs}ms): ${errorMessage(err)}`);
    if (!(await pause(retryInMs, ctx.signal))) return { kind: 'stopped', stage: 'evicting', budget: attempts.lastBudget };
    return 'retry';
  }
  if (isOverlappingBudgetsError(err)) {
    const found = await budgetsSelecting(ctx.client, pod, ctx.signal).catch(() => [] as string[]);
    const which = found.length > 0 ? ` (selected by ${found.join(' and ')}; make them not overlap, or use --disable-eviction to bypass budgets)` : '';
    return { kind: 'failed', error: `error when evicting pods/"${name}" -n "${ns}": ${errorMessage(err)}${which}`, needs: ['--disable-eviction'] };
  }
  return { kind: 'failed', error: `error when ${verb} pods/"${name}" -n "${ns}": ${errorMessage(err)}` };
}

/** A PodDisruptionBudget said no (429): name it, then ask again after a backoff, or stop. */
async function afterBudgetRefusal(ctx: RemovalContext, pod: Pod, message: string, attempts: Attempts): Promise<Next> {
  const ns = pod.metadata.namespace ?? '';
  attempts.budget++;
  attempts.error = 0;
  const cause = parseBudgetCause(message);
  let budget = cause ? `${ns}/${cause.name}` : undefined;
  if (!budget) {
    const found = await budgetsSelecting(ctx.client, pod, ctx.signal).catch(() => [] as string[]);
    budget = found.length > 0 ? found.join(', ') : `${ns}/<unknown>`;
  }
  attempts.lastBudget = budget;
  // A server dry run asks "would this be allowed now?": a refusal is the answer, not a wait
  // (kubectl retries it until --timeout, kubespray#10029).
  if (ctx.options.dryRun === 'server') return { kind: 'stopped', stage: 'evicting', budget, dryRunRefused: message };
  const d = delays(ctx);
  const retryInMs = backoffMs(attempts.budget, d.budgetBaseMs, d.budgetMaxMs);
  const numbers = cause?.desiredHealthy !== undefined ? { desiredHealthy: cause.desiredHealthy, currentHealthy: cause.currentHealthy } : {};
  ctx.callbacks.onBudgetWait?.({ pod: podKey(pod), budget, message, ...numbers, attempts: attempts.budget, retryInMs });
  if (!(await pause(retryInMs, ctx.signal))) return { kind: 'stopped', stage: 'evicting', budget };
  // Ask again only for the same pod: if the name is gone or taken by a new pod, we are done.
  const check = await stillThere(ctx, pod);
  if ('gone' in check) {
    ctx.callbacks.onLine?.(check.gone);
    return { kind: 'gone', why: check.gone };
  }
  return 'retry';
}

function delays(ctx: RemovalContext): RemovalDelays {
  return { ...DEFAULT_REMOVAL_DELAYS, ...ctx.delays };
}

/** Count one more failure that is worth asking again after, and say how long to wait first. */
function nextErrorDelay(ctx: RemovalContext, attempts: Attempts): number {
  attempts.error++;
  const d = delays(ctx);
  return backoffMs(attempts.error, d.errorBaseMs, d.errorMaxMs);
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
export async function waitForDelete(ctx: RemovalContext, pod: Pod): Promise<RemovalOutcome> {
  const { client, signal, callbacks } = ctx;
  const name = pod.metadata.name ?? '';
  const ns = pod.metadata.namespace ?? '';
  const uid = pod.metadata.uid;
  const skipSeconds = ctx.options.skipWaitForDeleteTimeoutSeconds;
  const retry = delays(ctx);
  const waitError = (err: unknown): RemovalOutcome => ({
    kind: 'failed',
    error: `error when waiting for pod "${name}" in namespace "${ns}" to terminate: ${errorMessage(err)}`,
  });

  let current: Pod | undefined;
  for (let attempt = 1; !current; attempt++) {
    const check = await stillThere(ctx, pod);
    if ('gone' in check) return { kind: 'removed' };
    if ('pod' in check) current = check.pod;
    else {
      if (signal.aborted) return { kind: 'stopped', stage: 'waiting' };
      if (!isTransientError(check.error) || attempt >= retry.errorAttempts) return waitError(check.error);
      if (!(await pause(backoffMs(attempt, retry.errorBaseMs, retry.errorMaxMs), signal))) return { kind: 'stopped', stage: 'waiting' };
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
  const armSkip = (p: Pod): void => {
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
    for await (const event of client.watch<Pod>({ ...PODS, namespace: ns }, {
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
