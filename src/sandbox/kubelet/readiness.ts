// Per-pod readiness the scenario can ask for with annotations, applied by the simulated kubelet
// to the status it writes: `sandbox.upkeep.dev/ready: "never"` (running, never ready: a readiness
// probe that keeps failing) and `sandbox.upkeep.dev/ready-after-seconds: "N"` (ready N simulated
// seconds after its containers started). Without them a pod is ready as soon as it runs.
import type { Pod } from '../../api/types.js';

export const READY_ANNOTATION = 'sandbox.upkeep.dev/ready';
export const READY_AFTER_ANNOTATION = 'sandbox.upkeep.dev/ready-after-seconds';

export interface Readiness {
  ready: boolean;
  /** Simulated seconds after the start when it becomes ready (slow readiness). */
  readyAfterSeconds?: number;
}

export function readinessOf(pod: Pod): Readiness {
  const a = pod.metadata.annotations ?? {};
  if (a[READY_ANNOTATION] === 'never') return { ready: false };
  const after = Number(a[READY_AFTER_ANNOTATION]);
  if (a[READY_AFTER_ANNOTATION] !== undefined && Number.isFinite(after) && after > 0) return { ready: false, readyAfterSeconds: after };
  return { ready: true };
}

interface StatusLike {
  conditions?: ReadonlyArray<{ type: string; status: string; lastTransitionTime?: string }>;
  containerStatuses?: ReadonlyArray<{ name: string }>;
}

/** The status with Ready and ContainersReady as the readiness says (reason and message as the kubelet writes them). */
export function withReadiness(status: StatusLike, ready: boolean, now: string): object {
  const names = (status.containerStatuses ?? []).map((c) => c.name);
  const conditions = (status.conditions ?? []).map((c) => {
    if (c.type !== 'Ready' && c.type !== 'ContainersReady') return c;
    const changed = (c.status === 'True') !== ready;
    const base = { type: c.type, status: ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: changed ? now : c.lastTransitionTime };
    return ready ? base : { ...base, reason: 'ContainersNotReady', message: `containers with unready status: [${names.join(' ')}]` };
  });
  return { ...status, conditions, containerStatuses: (status.containerStatuses ?? []).map((c) => ({ ...c, ready })) };
}
