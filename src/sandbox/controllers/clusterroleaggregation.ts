// kube-controller-manager's clusterrole-aggregation controller: a ClusterRole with an
// aggregationRule gets its stored rules written as the union of the rules of the ClusterRoles its
// selectors match (src/sandbox/auth/rbac.ts: aggregatedRules, the one home of the union), and
// rewritten whenever any ClusterRole changes. The RBAC authorizer reads those stored rules.
import type { ClusterRole } from '../../api/types.js';
import { aggregatedRules, sameRules } from '../auth/rbac.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { CLUSTER_ROLES } from './kinds.js';
import { WorkQueue } from './queue.js';

export class ClusterRoleAggregationController implements Controller {
  readonly name = 'clusterrole-aggregation';
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue((k) => this.sync(k), (k, e) => ctx.log(`clusterrole-aggregation: ${k}: ${String(e)}`), 1);
  }

  /**
   * Like kube's enqueue(): any ClusterRole event queues every aggregated role (the set is small and
   * the dependency graph unknown).
   */
  start(): void {
    for (const r of this.ctx.cache.list(CLUSTER_ROLES)) if (r.aggregationRule) this.queue.add(r.metadata.name ?? '');
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === CLUSTER_ROLES) this.start();
  }

  private async sync(name: string): Promise<void> {
    const role = this.ctx.cache.get(CLUSTER_ROLES, '', name);
    if (!role) return;
    const rules = aggregatedRules(role, this.ctx.cache.list(CLUSTER_ROLES));
    if (!rules || sameRules(rules, role.rules)) return;
    const next: ClusterRole = { ...role, rules };
    try {
      await this.ctx.update(CLUSTER_ROLES, '', name, next);
    } catch (e) {
      if (!isRace(e)) throw e;
      // Changed under us: the event it caused queues it again.
    }
  }
}
