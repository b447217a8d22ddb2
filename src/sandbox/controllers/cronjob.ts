// The CronJob controller (kube-controller-manager's cronjob-controller v2) on a simulated
// timeline: the sandbox's clock scales durations, so a schedule is evaluated on simulated time
// that runs `timeScale` times faster than the wall clock from the moment the controller starts
// ("*/5 * * * *" fires every 5 real seconds at time scale 60). Timestamps written into objects
// stay wall-clock, as everywhere in the sandbox. Schedules are evaluated in UTC (spec.timeZone
// is not simulated). Concurrency policies Allow / Forbid / Replace, suspend,
// startingDeadlineSeconds, and the job history limits are honoured.
import { DurationError, parseGoDuration } from '../../api/duration.js';
import { controllerOf } from '../../api/pods.js';
import { type CronJob, type Job, objectKey } from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { CRON_JOBS, JOBS } from './kinds.js';
import { WorkQueue } from './queue.js';
import { canonicalJSON, int, ownerReference, splitKey } from './workloads.js';

type CronJobStatus = NonNullable<CronJob['status']>;
/** An entry of status.active (an ObjectReference to a Job). */
type JobReference = NonNullable<CronJobStatus['active']>[number];
export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

// ---- cron expressions ----

export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  doms: Set<number>;
  months: Set<number>;
  dows: Set<number>;
  /** Day of month and day of week both restricted: a day matching either one fires (Vixie cron). */
  domOrDow: boolean;
  /** @every <duration>: a fixed interval instead of calendar fields. */
  everyMs?: number;
}

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
  }
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** The interval of `@every <duration>` in ms: a Go duration (time.ParseDuration), refused as a CronError. */
export function everyInterval(text: string): number {
  try {
    return parseGoDuration(text);
  } catch (e) {
    if (e instanceof DurationError) throw new CronError(e.message);
    throw e;
  }
}

function parseField(field: string, min: number, max: number, names: string[] = [], nameBase = 0): Set<number> {
  const out = new Set<number>();
  const value = (v: string): number => {
    const i = names.indexOf(v.toLowerCase());
    if (i >= 0) return i + nameBase;
    if (!/^\d+$/.test(v)) throw new CronError(`failed to parse int from ${v}`);
    return Number(v);
  };
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step <= 0) throw new CronError(`failed to parse int from ${stepText}`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = min;
      hi = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      lo = value(a);
      hi = value(b);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    if (lo < min || hi > max || lo > hi) throw new CronError(`end of range (${hi}) above maximum (${max}): ${part}`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** A standard 5-field cron expression or descriptor, as kube accepts them (robfig/cron ParseStandard). */
export function parseCron(expr: string): CronSchedule {
  let text = expr.trim();
  if (/^(TZ|CRON_TZ)=/.test(text)) throw new CronError('CRON_TZ or TZ used in schedule is not supported, please use timeZone instead');
  if (text.startsWith('@every ')) {
    const everyMs = everyInterval(text.slice(7).trim());
    if (everyMs < 1000) throw new CronError('@every needs at least one second');
    return { minutes: new Set(), hours: new Set(), doms: new Set(), months: new Set(), dows: new Set(), domOrDow: false, everyMs };
  }
  if (text.startsWith('@')) {
    const m = MACROS[text.toLowerCase()];
    if (!m) throw new CronError(`unrecognized descriptor: ${text}`);
    text = m;
  }
  const f = text.split(/\s+/);
  if (f.length !== 5) throw new CronError(`expected exactly 5 fields, found ${f.length}: [${f.join(' ')}]`);
  const dows = parseField(f[4], 0, 7, DAYS);
  if (dows.has(7)) {
    dows.delete(7);
    dows.add(0);
  }
  const star = (s: string) => s.startsWith('*') || s.startsWith('?');
  return {
    minutes: parseField(f[0], 0, 59),
    hours: parseField(f[1], 0, 23),
    doms: parseField(f[2], 1, 31),
    months: parseField(f[3], 1, 12, MONTHS, 1),
    dows,
    domOrDow: !star(f[2]) && !star(f[4]),
  };
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const dom = s.doms.has(d.getUTCDate());
  const dow = s.dows.has(d.getUTCDay());
  return s.domOrDow ? dom || dow : dom && dow;
}

/** The first scheduled time strictly after `afterMs` (UTC), or undefined within five years. */
export function nextSchedule(s: CronSchedule, afterMs: number): number | undefined {
  if (s.everyMs) return afterMs + s.everyMs;
  const d = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  const limit = afterMs + 5 * 366 * 86_400_000;
  while (d.getTime() <= limit) {
    if (!s.months.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(s, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!s.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!s.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return d.getTime();
  }
  return undefined;
}

/**
 * The most recent scheduled time in (since, now], and how many were missed in between
 * (getMostRecentScheduleTime). kube gives up counting past 100.
 */
export function mostRecentSchedule(s: CronSchedule, sinceMs: number, nowMs: number): { time?: number; missed: number } {
  let t = nextSchedule(s, sinceMs);
  if (t === undefined || t > nowMs) return { missed: 0 };
  if (s.everyMs) {
    const n = Math.floor((nowMs - t) / s.everyMs);
    return { time: t + n * s.everyMs, missed: n + 1 };
  }
  let missed = 0;
  let last = t;
  while (t !== undefined && t <= nowMs) {
    last = t;
    missed++;
    if (missed > 100) {
      // Too many to walk: jump to the latest one by searching backwards from now.
      for (let probe = Math.floor(nowMs / 60_000) * 60_000; probe > last; probe -= 60_000) {
        if (nextSchedule(s, probe - 60_000) === probe) return { time: probe, missed };
      }
      return { time: last, missed };
    }
    t = nextSchedule(s, t);
  }
  return { time: last, missed };
}

// ---- the controller ----

function jobFinishedType(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

function jobReference(job: Job, namespace: string): JobReference {
  return { kind: 'Job', namespace, name: job.metadata.name, uid: job.metadata.uid, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion };
}

export class CronJobController implements Controller {
  readonly name = 'cronjob';
  private readonly queue: WorkQueue;
  /** Wall-clock start of the simulated timeline. */
  private readonly anchor: number;
  /** The last schedule acted on per CronJob uid, in simulated ms (status keeps only whole wall seconds). */
  private readonly lastScheduled = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue((k) => this.sync(k), (k, e) => ctx.log(`cronjob-controller: ${k}: ${String(e)}`), 4);
    this.anchor = ctx.clock.now();
  }

  /** Simulated time for a wall-clock instant (the timeline runs `scale` times faster from the anchor). */
  simOf(wallMs: number): number {
    return wallMs <= this.anchor ? wallMs : this.anchor + this.ctx.clock.sim(wallMs - this.anchor);
  }

  wallOf(simMs: number): number {
    return simMs <= this.anchor ? simMs : this.anchor + this.ctx.clock.real(simMs - this.anchor);
  }

  start(): void {
    for (const cj of this.ctx.cache.list(CRON_JOBS)) this.queue.add(objectKey(cj));
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === CRON_JOBS) {
      if (e.type !== 'DELETED') this.queue.add(objectKey(e.object));
      else this.lastScheduled.delete(e.object.metadata.uid ?? '');
    } else if (e.resource === JOBS) {
      const ref = controllerOf(e.object);
      if (ref?.kind === 'CronJob') this.queue.add(`${e.namespace}/${ref.name}`);
    }
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cj = this.ctx.cache.get(CRON_JOBS, ns, name);
    if (!cj || cj.metadata.deletionTimestamp) return;
    try {
      await this.syncCronJob(cj, key);
    } catch (e) {
      if (isRace(e)) return this.queue.addAfter(key, 20);
      throw e;
    }
  }

  private async syncCronJob(cj: CronJob, key: string): Promise<void> {
    const ns = cj.metadata.namespace ?? '';
    const spec = cj.spec;
    const status: CronJobStatus = { ...cj.status };
    const jobs = this.ctx.cache.controlledBy(cj.metadata.uid ?? '', JOBS);

    // Active list and finished jobs (syncCronJob's first half).
    const active: JobReference[] = [];
    for (const job of jobs) {
      const finished = jobFinishedType(job);
      if (!finished) {
        active.push(jobReference(job, ns));
        continue;
      }
      const wasActive = (status.active ?? []).some((r) => r.uid === job.metadata.uid);
      if (wasActive) await this.ctx.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, status: ${finished}`, 'cronjob-controller');
      if (finished === 'Complete') {
        const done = job.status?.completionTime;
        if (done && (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(String(status.lastSuccessfulTime)))) status.lastSuccessfulTime = done;
      }
    }
    status.active = active;

    await this.cleanupHistory(cj, jobs);

    let schedule: CronSchedule;
    try {
      schedule = parseCron(String(spec?.schedule ?? ''));
    } catch (e) {
      await this.ctx.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(spec?.schedule)} : ${e instanceof Error ? e.message : String(e)}`, 'cronjob-controller');
      await this.writeStatus(cj, status);
      return;
    }

    const nowWall = this.ctx.clock.now();
    const nowSim = this.simOf(nowWall);
    const uid = cj.metadata.uid ?? '';
    const lastWall = status.lastScheduleTime ? Date.parse(String(status.lastScheduleTime)) : Date.parse(cj.metadata.creationTimestamp ?? '') || nowWall;
    const since = this.lastScheduled.get(uid) ?? this.simOf(lastWall);
    const { time: due, missed } = mostRecentSchedule(schedule, since, nowSim);
    if (due !== undefined && !spec?.suspend) {
      if (missed > 100) await this.ctx.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew', 'cronjob-controller');
      const deadline = spec?.startingDeadlineSeconds;
      const tooLate = typeof deadline === 'number' && due + deadline * 1000 < nowSim;
      const policy = String(spec?.concurrencyPolicy ?? 'Allow');
      if (tooLate) {
        await this.ctx.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${new Date(this.wallOf(due)).toISOString()}`, 'cronjob-controller');
        status.lastScheduleTime = isoSecond(this.wallOf(due));
        this.lastScheduled.set(uid, due);
      } else if (policy === 'Forbid' && active.length) {
        await this.ctx.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid', 'cronjob-controller');
      } else {
        if (policy === 'Replace') {
          for (const ref of active) {
            try {
              await this.ctx.delete(JOBS, ns, String(ref.name), { propagationPolicy: 'Background' });
              await this.ctx.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${String(ref.name)}`, 'cronjob-controller');
            } catch (e) {
              if (!isRace(e)) throw e;
            }
          }
          status.active = [];
        }
        const job = await this.createJob(cj, due);
        if (job) status.active = [...(status.active ?? []), jobReference(job, ns)];
        status.lastScheduleTime = isoSecond(this.wallOf(due));
        this.lastScheduled.set(uid, due);
      }
    }
    await this.writeStatus(cj, status);

    // Come back at the next scheduled time.
    const next = nextSchedule(schedule, Math.max(nowSim, due ?? 0));
    if (next !== undefined) this.queue.addAfter(key, Math.max(0, this.wallOf(next) - this.ctx.clock.now()) + 5);
  }

  private async createJob(cj: CronJob, scheduledSim: number): Promise<Job | undefined> {
    const ns = cj.metadata.namespace ?? '';
    const template = cj.spec?.jobTemplate;
    const tmeta = template?.metadata ?? {};
    // kube names the Job after the scheduled time in minutes, so each schedule runs at most once.
    const name = `${cj.metadata.name}-${Math.floor(scheduledSim / 60_000)}`;
    const job: Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: ns,
        labels: { ...(tmeta.labels ?? {}) },
        annotations: { ...(tmeta.annotations ?? {}), [SCHEDULED_TIMESTAMP]: isoSecond(this.wallOf(scheduledSim)) },
        ownerReferences: [ownerReference(cj)],
      },
      spec: structuredClone(template?.spec ?? { template: {} }),
    };
    try {
      const created = await this.ctx.create(JOBS, ns, job);
      await this.ctx.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`, 'cronjob-controller');
      return created;
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'AlreadyExists') return undefined; // this schedule already ran
      await this.ctx.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${e instanceof Error ? e.message : String(e)}`, 'cronjob-controller');
      throw e;
    }
  }

  /** Finished jobs beyond successfulJobsHistoryLimit (3) / failedJobsHistoryLimit (1) go, oldest first. */
  private async cleanupHistory(cj: CronJob, jobs: Job[]): Promise<void> {
    const spec = cj.spec;
    const byStart = (a: Job, b: Job) => Date.parse(String(a.status?.startTime ?? a.metadata.creationTimestamp)) - Date.parse(String(b.status?.startTime ?? b.metadata.creationTimestamp));
    const groups: Array<[Job[], number]> = [
      [jobs.filter((j) => jobFinishedType(j) === 'Complete' && !j.metadata.deletionTimestamp).sort(byStart), int(spec?.successfulJobsHistoryLimit, 3)],
      [jobs.filter((j) => jobFinishedType(j) === 'Failed' && !j.metadata.deletionTimestamp).sort(byStart), int(spec?.failedJobsHistoryLimit, 1)],
    ];
    for (const [list, limit] of groups) {
      for (const job of list.slice(0, Math.max(0, list.length - limit))) {
        try {
          await this.ctx.delete(JOBS, job.metadata.namespace ?? '', job.metadata.name ?? '', { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid } });
          await this.ctx.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`, 'cronjob-controller');
        } catch (e) {
          if (!isRace(e)) throw e;
        }
      }
    }
  }

  private async writeStatus(cj: CronJob, status: CronJobStatus): Promise<void> {
    const clean: CronJobStatus = { ...status };
    if (!clean.active?.length) delete clean.active;
    if (canonicalJSON(clean) === canonicalJSON(cj.status ?? {})) return;
    await this.ctx.update(CRON_JOBS, cj.metadata.namespace ?? '', cj.metadata.name ?? '', { ...cj, status: clean }, 'status');
  }
}

function isoSecond(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

