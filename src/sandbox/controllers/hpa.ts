// kube-controller-manager's horizontal-pod-autoscaler controller, for a cluster without a metrics
// server: every HorizontalPodAutoscaler (autoscaling/v2) keeps its target's replicas within
// minReplicas..maxReplicas, at minReplicas since no metric asks for more, through the target's
// scale subresource, with the SuccessfulRescale event and the status and conditions of an HPA
// that cannot read metrics. A target scaled to 0 is left alone (autoscaling is then off).
import type { HorizontalPodAutoscaler } from '../../api/types.js';
import { errorMessage } from '../../util/errors.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { DEPLOYMENTS, HORIZONTAL_POD_AUTOSCALERS, REPLICA_SETS, STATEFUL_SETS } from './kinds.js';
import { WorkQueue } from './queue.js';
import { TYPED } from '../server/registry.js';

/** The replicas an HPA without metrics wants: the current count clamped to min..max, pulled down to min. */
export function desiredReplicas(current: number, min: number, max: number): number {
  if (current === 0) return 0;
  return Math.min(Math.max(min, 1), max);
}

const NO_METRICS = 'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API';

export class HorizontalPodAutoscalerController implements Controller {
  readonly name = 'horizontal-pod-autoscaler';
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue((key) => this.sync(key), (k, e) => ctx.log(`hpa: ${k}: ${String(e)}`), 2);
  }

  start(): void {
    for (const h of this.ctx.cache.list(HORIZONTAL_POD_AUTOSCALERS)) this.queue.add(`${h.metadata.namespace}/${h.metadata.name}`);
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === HORIZONTAL_POD_AUTOSCALERS) {
      if (e.type !== 'DELETED') this.queue.add(`${e.namespace}/${e.object.metadata.name ?? ''}`);
    } else if (e.resource === DEPLOYMENTS || e.resource === REPLICA_SETS || e.resource === STATEFUL_SETS) {
      for (const h of this.ctx.cache.list(HORIZONTAL_POD_AUTOSCALERS, e.namespace)) {
        if (h.spec?.scaleTargetRef.name === e.object.metadata.name && h.spec?.scaleTargetRef.kind === e.object.kind) this.queue.add(`${e.namespace}/${h.metadata.name ?? ''}`);
      }
    }
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const hpa = this.ctx.cache.get(HORIZONTAL_POD_AUTOSCALERS, ns, name);
    if (!hpa?.spec) return;
    const ref = hpa.spec.scaleTargetRef;
    const type = this.ctx.registry.typeForKind(ref.apiVersion ?? '', ref.kind);
    const now = this.ctx.now();
    if (!type || !type.subresources.some((s) => s.name === 'scale')) {
      return this.writeStatus(hpa, { currentReplicas: 0, desiredReplicas: 0 }, [condition('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: no matches for kind "${ref.kind}" in group "${(ref.apiVersion ?? '').split('/').slice(0, -1).join('/')}"`, now)]);
    }
    let current: number;
    try {
      const scale = await this.ctx.registry.getScale(type, ns, ref.name);
      const spec: unknown = scale.spec;
      current = typeof spec === 'object' && spec !== null && 'replicas' in spec ? Number(spec.replicas ?? 0) : 0;
    } catch (e) {
      return this.writeStatus(hpa, { currentReplicas: 0, desiredReplicas: 0 }, [condition('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${errorMessage(e)}`, now)]);
    }
    const desired = desiredReplicas(current, hpa.spec.minReplicas ?? 1, hpa.spec.maxReplicas);
    let lastScaleTime = hpa.status?.lastScaleTime;
    if (desired !== current) {
      try {
        await this.ctx.registry.patch(type, ns, ref.name, 'merge', { spec: { replicas: desired } }, 'scale', TYPED);
      } catch (e) {
        if (!isRace(e)) throw e;
        return this.queue.addAfter(key, 50);
      }
      lastScaleTime = now;
      const reason = desired < current ? 'All metrics below target' : 'Current number of replicas below Spec.MinReplicas';
      await this.ctx.event({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: hpa.metadata }, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`, 'horizontal-pod-autoscaler');
    }
    await this.writeStatus(hpa, { currentReplicas: current, desiredReplicas: desired, ...(lastScaleTime ? { lastScaleTime } : {}) }, [
      condition('AbleToScale', 'True', 'SucceededGetScale', 'the HPA controller was able to get the target\'s current scale', now),
      condition('ScalingActive', 'False', 'FailedGetResourceMetric', NO_METRICS, now),
    ]);
  }

  private async writeStatus(hpa: HorizontalPodAutoscaler, counts: { currentReplicas: number; desiredReplicas: number; lastScaleTime?: string }, conditions: Array<ReturnType<typeof condition>>): Promise<void> {
    const old = hpa.status?.conditions ?? [];
    // A condition keeps its transition time while its status stays.
    const merged = conditions.map((c) => {
      const prev = old.find((o) => o.type === c.type);
      return prev && prev.status === c.status ? { ...c, lastTransitionTime: prev.lastTransitionTime ?? c.lastTransitionTime } : c;
    });
    const status = { ...counts, conditions: merged };
    if (JSON.stringify({ ...hpa.status, conditions: old }) === JSON.stringify({ ...hpa.status, ...status })) return;
    try {
      // autoscaling/v1 and v2 objects share the store (kubectl autoscale writes v1): each is written back in its own version.
      const type = this.ctx.registry.typeForKind(hpa.apiVersion ?? 'autoscaling/v2', 'HorizontalPodAutoscaler') ?? this.ctx.typeOf(HORIZONTAL_POD_AUTOSCALERS);
      await this.ctx.registry.update(type, hpa.metadata.namespace ?? '', hpa.metadata.name ?? '', { ...hpa, status: { ...hpa.status, ...status } }, 'status', TYPED);
    } catch (e) {
      if (!isRace(e)) throw e;
    }
  }
}

function condition(type: string, status: string, reason: string, message: string, now: string) {
  return { type, status, reason, message, lastTransitionTime: now };
}
