// The node lifecycle controller: a node whose kubelet stops renewing its Lease for the grace
// period goes Ready=Unknown and gets the unreachable NoExecute taint (not-ready for a kubelet
// reporting NotReady); its pods are marked not Ready; the taint manager then deletes pods once
// their toleration (default 300 s) runs out. Also mirrors spec.unschedulable as a taint.
import type { KubeObject } from '../../api/types.js';
import type { StoreEvent } from '../store/store.js';
import { storeKey } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { WorkQueue } from './queue.js';
import { type Taint, type Toleration, tolerates } from './scheduling.js';

type Obj = Record<string, unknown>;

const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';
const UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

function readyCondition(node: KubeObject): Obj | undefined {
  return (((node.status as Obj)?.conditions as Obj[]) ?? []).find((c) => c.type === 'Ready');
}

/** Pure: the taints a node should carry given its Ready status and cordon. */
export function desiredTaints(node: KubeObject, now: string): Taint[] {
  const existing = ((node.spec as Obj)?.taints as Array<Taint & { timeAdded?: string }>) ?? [];
  const managed = new Set([UNREACHABLE, NOT_READY, UNSCHEDULABLE]);
  const keep = existing.filter((t) => !managed.has(t.key));
  const ready = readyCondition(node)?.status;
  const want: Array<Taint & { timeAdded?: string }> = [];
  const carry = (key: string, effect: string) => existing.find((t) => t.key === key && t.effect === effect);
  if ((node.spec as Obj)?.unschedulable) want.push(carry(UNSCHEDULABLE, 'NoSchedule') ?? { key: UNSCHEDULABLE, effect: 'NoSchedule', timeAdded: now });
  if (ready === 'Unknown') {
    want.push(carry(UNREACHABLE, 'NoSchedule') ?? { key: UNREACHABLE, effect: 'NoSchedule', timeAdded: now });
    want.push(carry(UNREACHABLE, 'NoExecute') ?? { key: UNREACHABLE, effect: 'NoExecute', timeAdded: now });
  } else if (ready === 'False') {
    want.push(carry(NOT_READY, 'NoSchedule') ?? { key: NOT_READY, effect: 'NoSchedule', timeAdded: now });
    want.push(carry(NOT_READY, 'NoExecute') ?? { key: NOT_READY, effect: 'NoExecute', timeAdded: now });
  }
  return [...keep, ...want];
}

/**
 * Pure: when (ms since epoch) a pod on a node with these NoExecute taints must be deleted;
 * undefined if never; now-or-earlier if at once. kube's taint manager uses the smallest
 * tolerationSeconds among the tolerations matching the taints.
 */
export function evictionTime(pod: KubeObject, taints: Array<Taint & { timeAdded?: string }>, nowMs: number, real: (simMs: number) => number): number | undefined {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (!noExecute.length) return undefined;
  const tolerations = ((pod.spec as Obj)?.tolerations as Toleration[]) ?? [];
  let at: number | undefined;
  for (const taint of noExecute) {
    if (!tolerates(tolerations, taint)) return nowMs;
    const matching = tolerations.filter((t) => tolerates([t], taint));
    const bounded = matching.filter((t) => typeof t.tolerationSeconds === 'number');
    if (bounded.length < matching.length) continue; // tolerated forever
    const seconds = Math.min(...bounded.map((t) => Math.max(0, t.tolerationSeconds as number)));
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : nowMs;
    const when = added + real(seconds * 1000);
    at = at === undefined ? when : Math.min(at, when);
  }
  return at;
}

function taintSignature(taints: Taint[]): string {
  return taints.map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`).sort().join(',');
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle';
  private readonly nodeQueue: WorkQueue;
  private readonly podQueue: WorkQueue;
  private monitor?: NodeJS.Timeout;

  constructor(private readonly ctx: ControllerContext) {
    this.nodeQueue = new WorkQueue((k) => this.syncNode(k), (k, e) => ctx.log(`node-lifecycle: ${k}: ${String(e)}`), 8);
    this.podQueue = new WorkQueue((k) => this.syncPod(k), (k, e) => ctx.log(`taint-manager: ${k}: ${String(e)}`), 16);
  }

  private graceRealMs(): number {
    // The grace period must outlast a few renewals even when renewals are clamped in real time.
    const renewReal = Math.max(this.ctx.clock.real(this.ctx.settings.leaseRenewSeconds * 1000), this.ctx.settings.minRealRenewMs);
    return Math.max(this.ctx.clock.real(this.ctx.settings.nodeMonitorGraceSeconds * 1000), renewReal * 3);
  }

  start(): void {
    for (const n of this.ctx.cache.list('nodes')) this.nodeQueue.add(n.metadata.name ?? '');
    const every = Math.max(100, Math.min(this.graceRealMs() / 4, 5000));
    this.monitor = setInterval(() => {
      for (const n of this.ctx.cache.list('nodes')) if (this.leaseExpired(n.metadata.name ?? '') && readyCondition(n)?.status !== 'Unknown') this.nodeQueue.add(n.metadata.name ?? '');
    }, every);
    this.monitor.unref();
  }

  stop(): void {
    if (this.monitor) clearInterval(this.monitor);
    this.nodeQueue.stop();
    this.podQueue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === 'nodes' && e.type !== 'DELETED') {
      this.nodeQueue.add(e.object.metadata.name ?? '');
      const taintsChanged = JSON.stringify((e.prev?.spec as Obj)?.taints) !== JSON.stringify((e.object.spec as Obj)?.taints);
      if (taintsChanged) for (const p of this.ctx.cache.podsOnNode(e.object.metadata.name ?? '')) this.podQueue.add(storeKey(p.metadata.namespace ?? '', p.metadata.name ?? ''));
    } else if (e.resource === 'pods' && e.type !== 'DELETED' && (e.object.spec as Obj)?.nodeName && !e.object.metadata.deletionTimestamp) {
      const node = this.ctx.cache.get('nodes', '', String((e.object.spec as Obj).nodeName));
      if (((node?.spec as Obj)?.taints as Taint[] | undefined)?.some((t) => t.effect === 'NoExecute')) {
        this.podQueue.add(storeKey(e.namespace, e.object.metadata.name ?? ''));
      }
    }
  }

  private leaseExpired(node: string): boolean {
    const lease = this.ctx.cache.get('leases.coordination.k8s.io', 'kube-node-lease', node);
    const renew = (lease?.spec as Obj | undefined)?.renewTime as string | undefined;
    if (!renew) return false; // never registered a lease: nothing to judge yet
    return this.ctx.clock.now() - Date.parse(renew) > this.graceRealMs();
  }

  private async syncNode(name: string): Promise<void> {
    let node = this.ctx.cache.get('nodes', '', name);
    if (!node) return;
    const now = this.ctx.now();
    if (this.leaseExpired(name)) {
      const ready = readyCondition(node);
      if (ready?.status !== 'Unknown') {
        // The kubelet stopped posting status: every condition goes Unknown.
        const status = (node.status as Obj) ?? {};
        const conditions = ((status.conditions as Obj[]) ?? []).map((c) => ({
          ...c,
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
          lastTransitionTime: now,
        }));
        try {
          node = await this.ctx.registry.update(this.ctx.nodes, '', name, { ...node, status: { ...status, conditions } }, 'status');
        } catch (e) {
          if (isRace(e)) return this.nodeQueue.addAfter(name, 20);
          throw e;
        }
        await this.ctx.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`, 'node-controller');
        await this.markPodsNotReady(name);
      }
    }
    const taints = desiredTaints(node, now);
    const current = ((node.spec as Obj)?.taints as Taint[]) ?? [];
    if (taintSignature(taints) !== taintSignature(current)) {
      const spec = { ...((node.spec as Obj) ?? {}) };
      if (taints.length) spec.taints = taints;
      else delete spec.taints;
      try {
        await this.ctx.registry.update(this.ctx.nodes, '', name, { ...node, spec }, undefined);
      } catch (e) {
        if (isRace(e)) return this.nodeQueue.addAfter(name, 20);
        throw e;
      }
    }
  }

  private async markPodsNotReady(node: string): Promise<void> {
    for (const pod of this.ctx.cache.podsOnNode(node)) {
      const status = (pod.status as Obj) ?? {};
      if (status.phase === 'Succeeded' || status.phase === 'Failed') continue;
      const conditions = ((status.conditions as Obj[]) ?? []).map((c) => (c.type === 'Ready' && c.status !== 'False' ? { ...c, status: 'False', lastTransitionTime: this.ctx.now() } : c));
      try {
        await this.ctx.registry.update(this.ctx.pods, pod.metadata.namespace ?? '', pod.metadata.name ?? '', { ...pod, status: { ...status, conditions } }, 'status');
      } catch (e) {
        if (!isRace(e)) throw e;
      }
    }
  }

  private async syncPod(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const pod = this.ctx.cache.get('pods', ns, name);
    if (!pod || pod.metadata.deletionTimestamp) return;
    const node = this.ctx.cache.get('nodes', '', String((pod.spec as Obj)?.nodeName));
    if (!node) return;
    const taints = ((node.spec as Obj)?.taints as Array<Taint & { timeAdded?: string }>) ?? [];
    const nowMs = this.ctx.clock.now();
    const at = evictionTime(pod, taints, nowMs, (ms) => this.ctx.clock.real(ms));
    if (at === undefined) return;
    if (at > nowMs) return this.podQueue.addAfter(key, at - nowMs);
    await this.ctx.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ns}/${name}`, 'taint-eviction-controller');
    try {
      await this.ctx.registry.delete(this.ctx.pods, ns, name, { preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (!isRace(e)) throw e;
    }
  }
}
