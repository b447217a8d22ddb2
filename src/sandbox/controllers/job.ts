// The Job controller (kube-controller-manager's job-controller, 1.31 behaviour): runs up to
// `parallelism` pods until `completions` succeed (NonIndexed, or Indexed with one success per
// index), counts finished pods exactly once through the batch.kubernetes.io/job-tracking
// finalizer and status.uncountedTerminatedPods, backs off after failures, fails the Job past
// backoffLimit or activeDeadlineSeconds, supports suspend, and, as since 1.31, first adds the
// interim SuccessCriteriaMet / FailureTarget condition and only adds Complete / Failed once no
// pod is left terminating.
import { controllerOf, isPodActive, isPodReady, isPodTerminating, podPhase } from '../../api/pods.js';
import { type Container, type Job, type JobCondition, type ObjectMeta, type Pod, objectKey } from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { JOBS, PODS, isEventOf } from './kinds.js';
import { WorkQueue } from './queue.js';
import { Expectations, canonicalJSON, findCondition, int, podFromTemplate, podsToDelete, slowStartBatch, splitKey, deleteControlledPods } from './workloads.js';

export type { JobCondition };
type JobStatus = NonNullable<Job['status']>;
export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
/** kube's MaxPodCreateDeletePerSync. */
const MAX_PER_SYNC = 500;
/** Pod failure backoff: 10 s doubling up to 6 minutes (simulated). */
const BACKOFF_INITIAL_S = 10;
const BACKOFF_MAX_S = 360;

function condition(type: string, status: string, reason: string | undefined, message: string | undefined, now: string): JobCondition {
  return { type, status, lastProbeTime: now, lastTransitionTime: now, reason, message };
}

/** ensureJobConditionStatus: update an existing condition's status, or add it only when True. */
export function ensureCondition(list: JobCondition[], c: JobCondition): { conditions: JobCondition[]; changed: boolean } {
  const i = list.findIndex((x) => x.type === c.type);
  if (i >= 0) {
    if (list[i].status === c.status && list[i].reason === c.reason && list[i].message === c.message) return { conditions: list, changed: false };
    const next = [...list];
    next[i] = { ...c };
    return { conditions: next, changed: true };
  }
  if (c.status === 'True') return { conditions: [...list, c], changed: true };
  return { conditions: list, changed: false };
}

export function isJobFinished(job: Job): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

// ---- completed indexes ("1,3-5,7") ----

export function parseIndexes(s: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  if (!s) return out;
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a)) continue;
    const last = Number.isInteger(b) ? b : a;
    for (let i = a; i <= last && i < completions; i++) out.add(i);
  }
  return out;
}

export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(',');
}

export function podIndex(pod: Pod): number | undefined {
  const raw = pod.metadata.annotations?.[COMPLETION_INDEX] ?? pod.metadata.labels?.[COMPLETION_INDEX];
  const n = Number(raw);
  return raw !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** isPodFailed: Failed, or deleted before it succeeded (an evicted pod never reaches Failed). */
export function isJobPodFailed(pod: Pod): boolean {
  return podPhase(pod) === 'Failed' || (isPodTerminating(pod) && podPhase(pod) !== 'Succeeded');
}

/** Pure: how many pods should be active now (manageJob's wantActive). */
export function wantActive(parallelism: number, completions: number | undefined, succeeded: number, active: number): number {
  if (completions === undefined) return succeeded > 0 ? active : parallelism;
  return Math.max(0, Math.min(parallelism, completions - succeeded));
}

/** Pure: the pod backoff after `failures` failures since the last success, in simulated seconds. */
export function backoffSeconds(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(BACKOFF_INITIAL_S * 2 ** (failures - 1), BACKOFF_MAX_S);
}

interface Backoff {
  failures: number;
  lastFailureMs: number;
}

export class JobController implements Controller {
  readonly name = 'job';
  private readonly queue: WorkQueue;
  private readonly expectations: Expectations;
  private readonly backoff = new Map<string, Backoff>();

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue((k) => (k.startsWith('orphan:') ? this.releaseOrphan(k.slice(7)) : this.sync(k)), (k, e) => ctx.log(`job-controller: ${k}: ${String(e)}`), 8);
    this.expectations = new Expectations(() => Math.max(ctx.clock.real(5 * 60_000), 5_000));
  }

  start(): void {
    for (const j of this.ctx.cache.list(JOBS)) this.queue.add(objectKey(j));
    for (const p of this.ctx.cache.list(PODS)) if (p.metadata.finalizers?.includes(TRACKING_FINALIZER)) this.checkOrphan(p);
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === JOBS) {
      const key = objectKey(e.object);
      if (e.type === 'DELETED') {
        this.expectations.forget(key);
        this.backoff.delete(key);
        for (const p of this.ctx.cache.controlledBy(e.object.metadata.uid ?? '', PODS)) this.checkOrphan(p);
      } else this.queue.add(key);
    } else if (isEventOf(e, PODS)) {
      const ref = controllerOf(e.object);
      if (ref?.kind !== 'Job') return;
      const key = `${e.namespace}/${ref.name}`;
      if (e.type === 'ADDED') this.expectations.creationObserved(key);
      else if (e.type === 'DELETED' || (e.object.metadata.deletionTimestamp && !e.prev?.metadata.deletionTimestamp)) this.expectations.deletionObserved(key, e.object.metadata.uid ?? '');
      this.queue.add(key);
      if (e.type !== 'DELETED') this.checkOrphan(e.object);
    }
  }

  /** A pod still holding our finalizer whose Job is gone: nobody will count it, let it go. */
  private checkOrphan(pod: Pod): void {
    if (!pod.metadata.finalizers?.includes(TRACKING_FINALIZER)) return;
    const ref = controllerOf(pod);
    const job = ref ? this.ctx.cache.get(JOBS, pod.metadata.namespace ?? '', ref.name) : undefined;
    if (!job || job.metadata.uid !== ref?.uid) this.queue.add(`orphan:${objectKey(pod)}`);
  }

  private async releaseOrphan(podKey: string): Promise<void> {
    const [ns, name] = splitKey(podKey);
    const pod = this.ctx.cache.get(PODS, ns, name);
    if (!pod) return;
    const ref = controllerOf(pod);
    const job = ref ? this.ctx.cache.get(JOBS, ns, ref.name) : undefined;
    if (job && job.metadata.uid === ref?.uid) return;
    await this.removeFinalizer(pod);
  }

  private async removeFinalizer(pod: Pod): Promise<boolean> {
    const finalizers = (pod.metadata.finalizers ?? []).filter((f) => f !== TRACKING_FINALIZER);
    if (finalizers.length === (pod.metadata.finalizers ?? []).length) return true;
    const metadata: ObjectMeta = { ...pod.metadata, finalizers };
    if (!finalizers.length) delete metadata.finalizers;
    try {
      await this.ctx.update(PODS, pod.metadata.namespace ?? '', pod.metadata.name ?? '', { ...pod, metadata });
      return true;
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return true;
      if (isRace(e)) return false;
      throw e;
    }
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const job = this.ctx.cache.get(JOBS, ns, name);
    if (!job) return;
    try {
      await this.syncJob(job, key);
    } catch (e) {
      if (isRace(e)) return this.queue.addAfter(key, 20);
      throw e;
    }
  }

  private async syncJob(job: Job, key: string): Promise<void> {
    const pods = this.ctx.cache.controlledBy(job.metadata.uid ?? '', PODS);
    if (job.metadata.deletionTimestamp || isJobFinished(job)) {
      for (const p of pods) await this.removeFinalizer(p);
      this.backoff.delete(key);
      return;
    }
    const spec = job.spec;
    const status: JobStatus = { ...job.status };
    const indexed = spec?.completionMode === 'Indexed';
    const completions = typeof spec?.completions === 'number' ? spec.completions : undefined;
    const parallelism = int(spec?.parallelism, 1);
    const suspended = spec?.suspend === true;
    const nowIso = this.ctx.now();
    const nowMs = this.ctx.clock.now();
    let conditions = [...(status.conditions ?? [])];

    const uncounted = status.uncountedTerminatedPods ?? {};
    const uncountedSucceeded = new Set(uncounted.succeeded ?? []);
    const uncountedFailed = new Set(uncounted.failed ?? []);
    const byUid = new Map(pods.map((p) => [p.metadata.uid ?? '', p]));

    // Interim conditions already decided stay decided.
    let finished: JobCondition | undefined = findCondition(conditions, 'FailureTarget') ?? findCondition(conditions, 'SuccessCriteriaMet');
    if (finished?.status !== 'True') finished = undefined;

    // Newly finished pods (still holding our finalizer, not yet recorded).
    const newSucceeded: Pod[] = [];
    const newFailed: Pod[] = [];
    for (const p of pods) {
      const uid = p.metadata.uid ?? '';
      if (!p.metadata.finalizers?.includes(TRACKING_FINALIZER) || uncountedSucceeded.has(uid) || uncountedFailed.has(uid)) continue;
      if (podPhase(p) === 'Succeeded') newSucceeded.push(p);
      else if (isJobPodFailed(p)) newFailed.push(p);
    }
    this.recordBackoff(key, newSucceeded.length, newFailed.length, nowMs);

    const completedIndexes = indexed ? parseIndexes(status.completedIndexes, completions ?? 0) : new Set<number>();
    const succeededIndexes = new Set(completedIndexes);
    if (indexed) {
      for (const uid of uncountedSucceeded) {
        const i = byUid.get(uid) ? podIndex(byUid.get(uid)!) : undefined;
        if (i !== undefined && i < (completions ?? 0)) succeededIndexes.add(i);
      }
      for (const p of newSucceeded) {
        const i = podIndex(p);
        if (i !== undefined && i < (completions ?? 0)) succeededIndexes.add(i);
      }
    }
    const succeeded = indexed ? succeededIndexes.size : int(status.succeeded, 0) + uncountedSucceeded.size + newSucceeded.length;
    const failed = int(status.failed, 0) + uncountedFailed.size + newFailed.length;

    if (!status.startTime && !suspended) status.startTime = nowIso;

    if (!finished) {
      const deadline = spec?.activeDeadlineSeconds;
      if (failed > int(spec?.backoffLimit, 6)) {
        finished = condition('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', nowIso);
      } else if (typeof deadline === 'number' && status.startTime && !suspended) {
        const left = Date.parse(String(status.startTime)) + this.ctx.clock.real(deadline * 1000) - nowMs;
        if (left <= 0) finished = condition('FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline', nowIso);
        else this.queue.addAfter(key, left + 5);
      }
    }

    let active = pods.filter(isPodActive);
    if (finished) {
      // A failing Job stops its remaining pods.
      if (finished.type === 'FailureTarget' && active.length) await this.deletePods(job, key, active);
      active = [];
    } else {
      if (this.expectations.satisfied(key)) active = await this.manage(job, key, active, succeeded, succeededIndexes, indexed, completions, parallelism, suspended, nowMs);
      const complete = completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions && active.length === 0;
      if (complete) {
        finished = condition('SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', nowIso);
      } else if (suspended) {
        const r = ensureCondition(conditions, condition('Suspended', 'True', 'JobSuspended', 'Job suspended', nowIso));
        if (r.changed) await this.ctx.event(job, 'Normal', 'Suspended', 'Job suspended', 'job-controller');
        conditions = r.conditions;
      } else {
        const r = ensureCondition(conditions, condition('Suspended', 'False', 'JobResumed', 'Job resumed', nowIso));
        if (r.changed) {
          await this.ctx.event(job, 'Normal', 'Resumed', 'Job resumed', 'job-controller');
          // The active deadline counts from the resume.
          status.startTime = nowIso;
        }
        conditions = r.conditions;
      }
    }
    if (finished && !findCondition(conditions, finished.type)) conditions = [...conditions, finished];

    // Counting, step 1: record the newly finished pods as uncounted (with the counts so far).
    const livePods = this.ctx.cache.controlledBy(job.metadata.uid ?? '', PODS);
    const nowActive = livePods.filter(isPodActive);
    const terminating = livePods.filter((p) => isPodTerminating(p) && podPhase(p) !== 'Succeeded' && podPhase(p) !== 'Failed').length;
    for (const p of newSucceeded) uncountedSucceeded.add(p.metadata.uid ?? '');
    for (const p of newFailed) uncountedFailed.add(p.metadata.uid ?? '');
    const base: JobStatus = {
      ...status,
      conditions,
      active: nowActive.length,
      ready: nowActive.filter(isPodReady).length,
      terminating,
    };
    let current = await this.writeStatus(job, this.shape(base, uncountedSucceeded, uncountedFailed));

    // Step 2: release the counted pods' finalizers; step 3: move them into the counters.
    if (uncountedSucceeded.size || uncountedFailed.size) {
      const moved = { succeeded: [] as string[], failed: [] as string[] };
      for (const [set, into] of [
        [uncountedSucceeded, moved.succeeded],
        [uncountedFailed, moved.failed],
      ] as const) {
        for (const uid of set) {
          const pod = byUid.get(uid);
          if (!pod || (await this.removeFinalizer(this.ctx.cache.get(PODS, pod.metadata.namespace ?? '', pod.metadata.name ?? '') ?? pod))) into.push(uid);
        }
      }
      const next: JobStatus = { ...current.status };
      next.failed = int(next.failed, 0) + moved.failed.length;
      if (indexed) {
        const done = parseIndexes(next.completedIndexes, completions ?? 0);
        for (const uid of moved.succeeded) {
          const i = byUid.get(uid) ? podIndex(byUid.get(uid)!) : undefined;
          if (i !== undefined && i < (completions ?? 0)) done.add(i);
        }
        next.completedIndexes = formatIndexes(done);
        next.succeeded = done.size;
      } else {
        next.succeeded = int(next.succeeded, 0) + moved.succeeded.length;
      }
      for (const uid of moved.succeeded) uncountedSucceeded.delete(uid);
      for (const uid of moved.failed) uncountedFailed.delete(uid);
      current = await this.writeStatus(current, this.shape(next, uncountedSucceeded, uncountedFailed));
    }

    // The terminal condition waits until every pod is counted and none is terminating.
    if (finished && !uncountedSucceeded.size && !uncountedFailed.size && terminating === 0) {
      const st: JobStatus = { ...current.status };
      const terminal = finished.type === 'SuccessCriteriaMet' ? condition('Complete', 'True', finished.reason, finished.message, nowIso) : condition('Failed', 'True', finished.reason, finished.message, nowIso);
      st.conditions = ensureCondition(st.conditions ?? [], terminal).conditions;
      if (terminal.type === 'Complete') st.completionTime = nowIso;
      await this.writeStatus(current, this.shape(st, uncountedSucceeded, uncountedFailed));
      if (terminal.type === 'Complete') await this.ctx.event(job, 'Normal', 'Completed', 'Job completed', 'job-controller');
      else await this.ctx.event(job, 'Warning', terminal.reason ?? '', terminal.message ?? '', 'job-controller');
      this.backoff.delete(key);
    }
  }

  /** JobStatus as kube serializes it: zero counters omitted, ready/terminating/uncountedTerminatedPods always present. */
  private shape(st: JobStatus, succeeded: Set<string>, failed: Set<string>): JobStatus {
    const out: JobStatus = { ...st };
    const uncounted: NonNullable<JobStatus['uncountedTerminatedPods']> = {};
    if (succeeded.size) uncounted.succeeded = [...succeeded];
    if (failed.size) uncounted.failed = [...failed];
    out.uncountedTerminatedPods = uncounted;
    for (const k of ['active', 'succeeded', 'failed'] as const) if (!out[k]) delete out[k];
    if (!out.completedIndexes) delete out.completedIndexes;
    if (!out.conditions?.length) delete out.conditions;
    return out;
  }

  private async writeStatus(job: Job, status: JobStatus): Promise<Job> {
    if (canonicalJSON(status) === canonicalJSON(job.status ?? {})) return job;
    return this.ctx.update(JOBS, job.metadata.namespace ?? '', job.metadata.name ?? '', { ...job, status }, 'status');
  }

  private recordBackoff(key: string, succeeded: number, failed: number, nowMs: number): void {
    if (succeeded > 0) this.backoff.delete(key);
    if (failed > 0) {
      const b = this.backoff.get(key) ?? { failures: 0, lastFailureMs: 0 };
      this.backoff.set(key, { failures: b.failures + failed, lastFailureMs: nowMs });
    }
  }

  /** Create or delete pods towards wantActive; returns the active pods afterwards. */
  private async manage(
    job: Job,
    key: string,
    active: Pod[],
    succeeded: number,
    succeededIndexes: Set<number>,
    indexed: boolean,
    completions: number | undefined,
    parallelism: number,
    suspended: boolean,
    nowMs: number,
  ): Promise<Pod[]> {
    if (suspended) {
      if (active.length) await this.deletePods(job, key, active);
      return [];
    }
    let keep = active;
    let surplus: Pod[] = [];
    if (indexed) {
      // Pods for indexes already done, out of range, or duplicated are surplus.
      const seen = new Set<number>();
      keep = [];
      for (const p of [...active].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''))) {
        const i = podIndex(p);
        if (i === undefined || i >= (completions ?? 0) || succeededIndexes.has(i) || seen.has(i)) surplus.push(p);
        else {
          seen.add(i);
          keep.push(p);
        }
      }
    }
    const want = wantActive(parallelism, completions, succeeded, keep.length);
    if (keep.length > want) {
      const extra = podsToDelete(keep, keep.length - want);
      surplus = [...surplus, ...extra];
      const gone = new Set(extra.map((p) => p.metadata.uid));
      keep = keep.filter((p) => !gone.has(p.metadata.uid));
    }
    if (surplus.length) await this.deletePods(job, key, surplus.slice(0, MAX_PER_SYNC));
    if (keep.length >= want) return keep;

    const b = this.backoff.get(key);
    if (b) {
      const wait = b.lastFailureMs + this.ctx.clock.real(backoffSeconds(b.failures) * 1000) - nowMs;
      if (wait > 0) {
        this.queue.addAfter(key, wait + 5);
        return keep;
      }
    }
    let indexes: Array<number | undefined>;
    if (indexed) {
      const busy = new Set(keep.map(podIndex));
      indexes = [];
      for (let i = 0; i < (completions ?? 0) && indexes.length < want - keep.length; i++) if (!succeededIndexes.has(i) && !busy.has(i)) indexes.push(i);
    } else {
      indexes = Array.from({ length: want - keep.length }, () => undefined);
    }
    indexes = indexes.slice(0, MAX_PER_SYNC);
    this.expectations.expectCreations(key, indexes.length);
    const { successes, error } = await slowStartBatch(indexes.length, 1, async (n) => {
      const created = await this.ctx.create(PODS, job.metadata.namespace ?? '', this.newPod(job, indexes[n]));
      await this.ctx.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, 'job-controller');
    });
    if (successes < indexes.length) this.expectations.creationObserved(key, indexes.length - successes);
    if (error !== undefined) {
      const message = error instanceof Error ? error.message : String(error);
      await this.ctx.event(job, 'Warning', 'FailedCreate', `Error creating: ${message}`, 'job-controller');
      if (!isRace(error)) throw error;
    }
    return this.ctx.cache.controlledBy(job.metadata.uid ?? '', PODS).filter(isPodActive);
  }

  private newPod(job: Job, index: number | undefined): Pod {
    const name = job.metadata.name ?? '';
    const pod = podFromTemplate(job.spec?.template, job, { generateName: index === undefined ? `${name}-` : `${name}-${index}-` });
    pod.metadata.finalizers = [...(pod.metadata.finalizers ?? []), TRACKING_FINALIZER];
    if (index !== undefined) {
      pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [COMPLETION_INDEX]: String(index) };
      pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [COMPLETION_INDEX]: String(index) };
      const spec = { ...(pod.spec ?? { containers: [] }) };
      pod.spec = spec;
      spec.hostname = `${name}-${index}`;
      const env = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } };
      const withIndex = (c: Container): Container => ({ ...c, env: [...(c.env ?? []).filter((e) => e.name !== env.name), env] });
      if (spec.containers) spec.containers = spec.containers.map(withIndex);
      if (spec.initContainers) spec.initContainers = spec.initContainers.map(withIndex);
    }
    return pod;
  }

  private async deletePods(job: Job, key: string, pods: Pod[]): Promise<void> {
    const live = pods.filter((p) => !isPodTerminating(p));
    this.expectations.expectDeletions(key, live.map((p) => p.metadata.uid ?? ''));
    await deleteControlledPods(this.ctx, job, live, this.expectations, key, 'job-controller');
  }
}
