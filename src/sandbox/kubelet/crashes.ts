// Containers that crash, as the scenario asks with annotations on a pod (or its template):
// `sandbox.upkeep.dev/crash-after-seconds: "N"` makes every container exit N simulated seconds
// after it starts, with `sandbox.upkeep.dev/exit-code` (default 1). The kubelet restarts it
// (restartPolicy Always) after its back-off, 10 s doubling to 5 min, and meanwhile reports the
// container waiting in CrashLoopBackOff with the last run in lastState.terminated (reason
// Error), the pod not Ready, and a BackOff event. Wording: kubelet's kuberuntime_manager.go
// ("back-off %s restarting failed container=%s pod=%s") and its BackOff event.
import type { ContainerStatus, Pod } from '../../api/types.js';
import type { ControllerContext } from '../controllers/context.js';
import { withReadiness } from './readiness.js';

export const CRASH_AFTER_ANNOTATION = 'sandbox.upkeep.dev/crash-after-seconds';
export const EXIT_CODE_ANNOTATION = 'sandbox.upkeep.dev/exit-code';

const BACKOFF_START_S = 10;
const BACKOFF_MAX_S = 300;

export interface CrashBehaviour {
  afterSeconds: number;
  exitCode: number;
}

/** The pod's crash behaviour, for pods the kubelet restarts (restartPolicy Always). */
export function crashOf(pod: Pod): CrashBehaviour | undefined {
  const a = pod.metadata.annotations ?? {};
  if (a[CRASH_AFTER_ANNOTATION] === undefined || (pod.spec?.restartPolicy ?? 'Always') !== 'Always') return undefined;
  const afterSeconds = Number(a[CRASH_AFTER_ANNOTATION]);
  if (!Number.isFinite(afterSeconds) || afterSeconds < 0) return undefined;
  const code = Number(a[EXIT_CODE_ANNOTATION] ?? 1);
  return { afterSeconds, exitCode: Number.isInteger(code) && code > 0 && code < 256 ? code : 1 };
}

/** The kubelet's restart back-off after a container's nth exit (n from 0): 10 s, 20 s, ... at most 5 min. */
export function backOffSeconds(restartCount: number): number {
  return Math.min(BACKOFF_START_S * 2 ** Math.min(restartCount, 10), BACKOFF_MAX_S);
}

/** "10s", "2m40s", "5m0s": Go's Duration.String for whole seconds. */
function goSeconds(s: number): string {
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

/** The next step of a crashing container: how long (simulated seconds) after which time, and to what status. */
export type CrashStep = { since: string; seconds: number; state: 'crash' | 'restart' };

export function nextCrashStep(status: ContainerStatus | undefined, crash: CrashBehaviour): CrashStep | undefined {
  const running = status?.state?.running?.startedAt;
  if (running) return { since: running, seconds: crash.afterSeconds, state: 'crash' };
  const finished = status?.lastState?.terminated?.finishedAt;
  if (status?.state?.waiting?.reason === 'CrashLoopBackOff' && finished) return { since: finished, seconds: backOffSeconds(Number(status.restartCount ?? 0)), state: 'restart' };
  return undefined;
}

/** The kubelet side: crash and restart containers on time, with their status and events. */
export class CrashLoops {
  constructor(
    private readonly ctx: ControllerContext,
    /** The containers started again (the kubelet's Pulled, Created and Started events). */
    private readonly onRestart: (pod: Pod, node: string) => void = () => undefined,
  ) {}

  /** Moves the pod's containers on if due; returns real ms until the next step (undefined: nothing to do). */
  async sync(pod: Pod, crash: CrashBehaviour, node: string, write: (status: object) => Promise<void>): Promise<number | undefined> {
    const statuses = pod.status?.containerStatuses ?? [];
    const step = nextCrashStep(statuses[0], crash);
    if (!step) return undefined;
    // The clock is the wall clock; simulated durations are scaled (--time-scale).
    const wait = this.ctx.realMsUntil(step.since, step.seconds);
    if (wait > 0) return wait;
    const now = this.ctx.now();
    const who = `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
    const status = pod.status ?? {};
    if (step.state === 'crash') {
      const containerStatuses = statuses.map((c) => {
        const terminated = { exitCode: crash.exitCode, reason: 'Error', startedAt: c.state?.running?.startedAt, finishedAt: now, containerID: c.containerID };
        const message = `back-off ${goSeconds(backOffSeconds(Number(c.restartCount ?? 0)))} restarting failed container=${c.name} pod=${who}`;
        return { ...c, ready: false, started: false, state: { waiting: { reason: 'CrashLoopBackOff', message } }, lastState: { terminated } };
      });
      await write(withReadiness({ ...status, containerStatuses }, false, now));
      for (const c of statuses) await this.ctx.event({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata }, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${who}`, 'kubelet', node);
    } else {
      const containerStatuses = statuses.map((c) => ({ ...c, ready: true, started: true, restartCount: Number(c.restartCount ?? 0) + 1, state: { running: { startedAt: now } } }));
      await write(withReadiness({ ...status, containerStatuses }, true, now));
      this.onRestart(pod, node);
    }
    // The status write comes back as an event and the pod is synced again.
    return undefined;
  }
}
