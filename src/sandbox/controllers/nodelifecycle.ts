// The node lifecycle controller: a node whose kubelet stops renewing its Lease for the grace
// period goes Ready=Unknown and gets the unreachable NoExecute taint (not-ready for a kubelet
// reporting NotReady); its pods are marked not Ready; the taint manager then deletes pods once
// their toleration (default 300 s) runs out. Also mirrors spec.unschedulable as a taint.
//
// An outage on the API side is not the nodes' fault, and kube-controller-manager does not
// punish nodes for it: when every node is not Ready at once it enters "full disruption" mode
// and stops evictions (no NoExecute taints), and a controller that could not reach the API
// starts judging leases afresh once it can (after a restart kube's node health starts from
// "now"): here, a lease counts as expired only a grace period after the controller's last
// failed write, so kubelets get one grace period to renew after the API comes back.
import { nodeCondition } from '../../api/nodes.js';
import { isPodFinished, isPodTerminating, podNodeName } from '../../api/pods.js';
import type { Node, NodeCondition, Pod, PodCondition, Taint } from '../../api/types.js';
import type { StoreEvent } from '../store/store.js';
import { storeKey } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { LEASES, NODES, PODS, isEventOf } from './kinds.js';
import { WorkQueue } from './queue.js';
import { nodeMonitorGraceRealMs } from './leases.js';
import { tolerates } from './scheduling.js';

const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';
const UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

function readyCondition(node: Node): NodeCondition | undefined {
  return nodeCondition(node, 'Ready');
}

/** Pure: kube's full disruption: every node (at least one) is not Ready, so evictions stop. */
export function fullDisruption(nodes: Node[]): boolean {
  return nodes.length > 0 && nodes.every((n) => readyCondition(n)?.status !== 'True');
}

/**
 * Pure: the taints a node should carry given its Ready status and cordon. In full disruption a
 * node that is not Ready keeps its NoSchedule taint but gets no NoExecute taint (no evictions).
 */
export function desiredTaints(node: Node, now: string, disrupted = false): Taint[] {
  const existing = node.spec?.taints ?? [];
  const managed = new Set([UNREACHABLE, NOT_READY, UNSCHEDULABLE]);
  const keep = existing.filter((t) => !managed.has(t.key));
  const ready = readyCondition(node)?.status;
  const want: Taint[] = [];
  const carry = (key: string, effect: string) => existing.find((t) => t.key === key && t.effect === effect);
  if (node.spec?.unschedulable) want.push(carry(UNSCHEDULABLE, 'NoSchedule') ?? { key: UNSCHEDULABLE, effect: 'NoSchedule', timeAdded: now });
  if (ready === 'Unknown') {
    want.push(carry(UNREACHABLE, 'NoSchedule') ?? { key: UNREACHABLE, effect: 'NoSchedule', timeAdded: now });
    if (!disrupted) want.push(carry(UNREACHABLE, 'NoExecute') ?? { key: UNREACHABLE, effect: 'NoExecute', timeAdded: now });
  } else if (ready === 'False') {
    want.push(carry(NOT_READY, 'NoSchedule') ?? { key: NOT_READY, effect: 'NoSchedule', timeAdded: now });
    if (!disrupted) want.push(carry(NOT_READY, 'NoExecute') ?? { key: NOT_READY, effect: 'NoExecute', timeAdded: now });
  }
  return [...keep, ...want];
}

/**
 * Pure: when (ms since epoch) a pod on a node with these NoExecute taints must be deleted;
 * undefined if never; now-or-earlier if at once. kube's taint manager uses the smallest
 * tolerationSeconds among the tolerations matching the taints.
 */
export function evictionTime(pod: Pod, taints: Taint[], nowMs: number, real: (simMs: number) => number): number | undefined {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (!noExecute.length) return undefined;
  const tolerations = pod.spec?.tolerations ?? [];
  let at: number | undefined;
  for (const taint of noExecute) {
    if (!tolerates(tolerations, taint)) return nowMs;
    const matching = tolerations.filter((t) => tolerates([t], taint));
    const bounded = matching.flatMap((t) => (typeof t.tolerationSeconds === 'number' ? [t.tolerationSeconds] : []));
    if (bounded.length < matching.length) continue; // tolerated forever
    const seconds = Math.min(...bounded.map((s) => Math.max(0, s)));
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
  /** When a write of this controller last failed for a reason other than a race (ms since the epoch). */
  private apiFailedAt = 0;
  private disrupted = false;

  constructor(private readonly ctx: ControllerContext) {
    const failed = (what: string) => (k: string, e: unknown) => {
      if (!isRace(e)) this.apiFailedAt = ctx.clock.now();
      ctx.log(`${what}: ${k}: ${String(e)}`);
    };
    this.nodeQueue = new WorkQueue((k) => this.syncNode(k), failed('node-lifecycle'), 8);
    this.podQueue = new WorkQueue((k) => this.syncPod(k), failed('taint-manager'), 16);
  }

  private graceRealMs(): number {
    // The grace period must outlast a few renewals even when renewals are clamped in real time.
    return nodeMonitorGraceRealMs(this.ctx.settings, (ms) => this.ctx.clock.real(ms), this.ctx.cache.count(NODES));
  }

  start(): void {
    for (const n of this.ctx.cache.list(NODES)) this.nodeQueue.add(n.metadata.name ?? '');
    const every = Math.max(100, Math.min(this.graceRealMs() / 4, 5000));
    this.monitor = setInterval(() => {
      for (const n of this.ctx.cache.list(NODES)) if (this.leaseExpired(n.metadata.name ?? '') && readyCondition(n)?.status !== 'Unknown') this.nodeQueue.add(n.metadata.name ?? '');
    }, every);
    this.monitor.unref();
  }

  resyncAll(): void {
    for (const n of this.ctx.cache.list(NODES)) {
      const name = n.metadata.name ?? '';
      this.nodeQueue.add(name);
      const taints: unknown = n.spec?.taints;
      if (Array.isArray(taints) && n.spec?.taints?.some((t) => t?.effect === 'NoExecute')) for (const p of this.ctx.cache.podsOnNode(name)) this.podQueue.add(storeKey(p.metadata.namespace ?? '', p.metadata.name ?? ''));
    }
  }

  stop(): void {
    if (this.monitor) clearInterval(this.monitor);
    this.nodeQueue.stop();
    this.podQueue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (isEventOf(e, NODES) && e.type !== 'DELETED') {
      this.nodeQueue.add(e.object.metadata.name ?? '');
      const taintsChanged = JSON.stringify(e.prev?.spec?.taints) !== JSON.stringify(e.object.spec?.taints);
      if (taintsChanged) for (const p of this.ctx.cache.podsOnNode(e.object.metadata.name ?? '')) this.podQueue.add(storeKey(p.metadata.namespace ?? '', p.metadata.name ?? ''));
    } else if (isEventOf(e, PODS) && e.type !== 'DELETED' && podNodeName(e.object) && !isPodTerminating(e.object)) {
      const node = this.ctx.cache.get(NODES, '', String(podNodeName(e.object)));
      if (node?.spec?.taints?.some((t) => t.effect === 'NoExecute')) {
        this.podQueue.add(storeKey(e.namespace, e.object.metadata.name ?? ''));
      }
    }
  }

  private leaseExpired(node: string): boolean {
    const lease = this.ctx.cache.get(LEASES, 'kube-node-lease', node);
    const renew = lease?.spec?.renewTime;
    if (!renew) return false; // never registered a lease: nothing to judge yet
    const since = Math.max(Date.parse(renew), this.apiFailedAt);
    return this.ctx.clock.now() - since > this.graceRealMs();
  }

  private async syncNode(name: string): Promise<void> {
    let node = this.ctx.cache.get(NODES, '', name);
    if (!node) return;
    const now = this.ctx.now();
    if (this.leaseExpired(name)) {
      const ready = readyCondition(node);
      if (ready?.status !== 'Unknown') {
        // The kubelet stopped posting status: every condition goes Unknown.
        const status = node.status ?? {};
        const conditions = (status.conditions ?? []).map((c) => ({
          ...c,
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
          lastTransitionTime: now,
        }));
        try {
          node = await this.ctx.update(NODES, '', name, { ...node, status: { ...status, conditions } }, 'status');
        } catch (e) {
          if (isRace(e)) return this.nodeQueue.addAfter(name, 20);
          throw e;
        }
        await this.ctx.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`, 'node-controller');
        await this.markPodsNotReady(name);
      }
    }
    const nodes = this.ctx.cache.list(NODES);
    const disrupted = fullDisruption(nodes);
    if (disrupted !== this.disrupted) {
      // Entering or leaving full disruption changes every node's taints, not only this one's.
      this.disrupted = disrupted;
      this.ctx.log(`node-lifecycle: ${disrupted ? 'every node is not Ready: entering full disruption mode, evictions stop' : 'leaving full disruption mode'}`);
      for (const n of nodes) if (n.metadata.name !== name) this.nodeQueue.add(n.metadata.name ?? '');
    }
    const taints = desiredTaints(node, now, disrupted);
    const current = node.spec?.taints ?? [];
    if (taintSignature(taints) !== taintSignature(current)) {
      const spec = { ...node.spec };
      if (taints.length) spec.taints = taints;
      else delete spec.taints;
      try {
        await this.ctx.update(NODES, '', name, { ...node, spec });
      } catch (e) {
        if (isRace(e)) return this.nodeQueue.addAfter(name, 20);
        throw e;
      }
    }
  }

  private async markPodsNotReady(node: string): Promise<void> {
    for (const pod of this.ctx.cache.podsOnNode(node)) {
      if (isPodFinished(pod)) continue;
      const status = pod.status ?? {};
      const conditions = (status.conditions ?? []).map((c): PodCondition => (c.type === 'Ready' && c.status !== 'False' ? { ...c, status: 'False', lastTransitionTime: this.ctx.now() } : c));
      try {
        await this.ctx.update(PODS, pod.metadata.namespace ?? '', pod.metadata.name ?? '', { ...pod, status: { ...status, conditions } }, 'status');
      } catch (e) {
        if (!isRace(e)) throw e;
      }
    }
  }

  private async syncPod(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const pod = this.ctx.cache.get(PODS, ns, name);
    if (!pod || isPodTerminating(pod)) return;
    const node = this.ctx.cache.get(NODES, '', String(pod.spec?.nodeName));
    if (!node) return;
    const taints = node.spec?.taints ?? [];
    const nowMs = this.ctx.clock.now();
    const at = evictionTime(pod, taints, nowMs, (ms) => this.ctx.clock.real(ms));
    if (at === undefined) return;
    if (at > nowMs) return this.podQueue.addAfter(key, at - nowMs);
    await this.ctx.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ns}/${name}`, 'taint-eviction-controller');
    try {
      await this.ctx.delete(PODS, ns, name, { preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (!isRace(e)) throw e;
    }
  }
}
