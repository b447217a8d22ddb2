// kube-scheduler: binds pending pods through the pods/binding subresource, with Scheduled and
// FailedScheduling events; unschedulable pods are retried when nodes or pods change.
import { isPodFinished, isPodTerminating, podNodeName } from '../../api/pods.js';
import type { Node, Pod } from '../../api/types.js';
import type { StoreEvent } from '../store/store.js';
import { storeKey } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { NODES, PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES, PODS, isEventOf } from './kinds.js';
import { WorkQueue } from './queue.js';
import { type PodVolumes, preFilterMessage } from './storage.js';
import { VolumeBinding } from './volumebinding.js';
import { type Allocatable, type FitFailure, type NodeUsage, type NodeInfo, allocatableOf, failedSchedulingMessage, feasibleNodesToFind, nodeFitFailure, NodePicker, pickNode, pinnedNodeNames, podRequests, resourceFitFailure } from './scheduling.js';
import { TYPED } from '../server/registry.js';

function needsScheduling(pod: Pod): boolean {
  return !podNodeName(pod) && !isPodTerminating(pod) && (pod.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler' && !isPodFinished(pod);
}

/** Holding node resources: not Succeeded or Failed (a terminating pod still holds them). */
function active(pod: Pod): boolean {
  return !isPodFinished(pod);
}

/** What the scheduler keeps per node object (stored objects are replaced, never changed, on update). */
interface NodeFacts {
  node: Node;
  allocatable: Allocatable;
  /** The cache's live usage of the node. */
  usage: NodeUsage;
  /** nodeFitFailure's answer per pod shape (schedulingShape). */
  fits: Map<string, FitFailure | undefined>;
  /** What pickNode reads of the node (one object per node, not one per pod). */
  info: NodeInfo;
  /** The last shape asked and its answer: pods of one template come in runs, and a Map lookup per node adds up over hundreds of nodes per pod. */
  lastShape?: string;
  lastFit?: FitFailure;
}

/** Pods of one template share tolerations, selector and affinity: the node checks' answer is theirs alike. */
function schedulingShape(pod: Pod): string {
  const spec = pod.spec;
  return JSON.stringify([spec?.tolerations, spec?.nodeSelector, spec?.affinity]);
}

/** Shapes kept per node before starting over (DaemonSet pods each pin another node). */
const MAX_SHAPES_PER_NODE = 32;

export class Scheduler implements Controller {
  readonly name = 'scheduler';
  private readonly queue: WorkQueue;
  private readonly unschedulable = new Set<string>();
  /** Last FailedScheduling message per pod, so a retry that fails the same way is quiet. */
  private readonly lastFailure = new Map<string, string>();
  private retryAll = false;
  private readonly volumes: VolumeBinding;

  constructor(private readonly ctx: ControllerContext) {
    this.volumes = new VolumeBinding(ctx);
    this.queue = new WorkQueue((k) => this.schedule(k), (k, e) => ctx.log(`scheduler: ${k}: ${String(e)}`), 1);
  }

  start(): void {
    for (const p of this.ctx.cache.list(PODS)) if (needsScheduling(p)) this.queue.add(storeKey(p.metadata.namespace ?? '', p.metadata.name ?? ''));
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (isEventOf(e, PODS)) {
      const key = storeKey(e.namespace, e.object.metadata.name ?? '');
      if (e.type !== 'DELETED' && needsScheduling(e.object)) this.queue.add(key);
      else {
        this.unschedulable.delete(key);
        this.lastFailure.delete(key);
      }
      // A pod leaving a node frees room: give waiting pods another chance.
      if (e.type === 'DELETED' || (e.type === 'MODIFIED' && e.prev && active(e.prev) && !active(e.object))) this.requeueUnschedulable();
    } else if (e.resource === NODES || e.resource === PERSISTENT_VOLUME_CLAIMS || e.resource === PERSISTENT_VOLUMES) {
      if (e.resource === NODES) {
        if (e.type === 'DELETED') this.facts.delete(e.object.metadata.name ?? '');
        this.nodeFacts = undefined;
      }
      // A node changed, a claim bound or a volume created may let a waiting pod go.
      this.requeueUnschedulable();
    }
  }

  private requeueUnschedulable(): void {
    if (this.retryAll || this.unschedulable.size === 0) return;
    this.retryAll = true;
    setImmediate(() => {
      this.retryAll = false;
      for (const k of this.unschedulable) this.queue.add(k);
    });
  }

  /** Where the next search starts, so successive pods look at different nodes (as kube does). */
  private nextStart = 0;

  private readonly facts = new Map<string, NodeFacts>();
  /** Every node's facts in the cache's order, until a node changes. */
  private nodeFacts?: NodeFacts[];

  private factsOf(node: Node): NodeFacts {
    const name = node.metadata.name ?? '';
    let f = this.facts.get(name);
    if (!f || f.node !== node) {
      const usage = this.ctx.cache.nodeUsage(name);
      f = { node, allocatable: allocatableOf(node), usage, fits: new Map(), info: { node, usage, name }, lastShape: undefined, lastFit: undefined };
      this.facts.set(name, f);
    }
    return f;
  }

  /**
   * Filter nodes for a pod: only its pinned nodes when it names them (DaemonSet pods), else a
   * round-robin walk over all nodes that stops once enough feasible ones are found. The best of
   * them (pickNode) is scored on the way; the feasible list is kept only when `keepFits`.
   */
  private filterNodes(pod: Pod, volumes: PodVolumes, keepFits: boolean): { fits: NodeInfo[]; best?: NodeInfo; failures: FitFailure[]; total: number } {
    const pinned = pinnedNodeNames(pod);
    const fits: NodeInfo[] = [];
    const failures: FitFailure[] = [];
    const picker = new NodePicker(pod);
    let feasible = 0;
    const shape = this.intern(schedulingShape(pod));
    const req = podRequests(pod);
    const check = (facts: NodeFacts): void => {
      const f = this.fit(pod, shape, req, facts, volumes);
      if (f) return void failures.push(f);
      feasible++;
      picker.offer(facts.info);
      if (keepFits) fits.push(facts.info);
    };
    if (pinned) {
      const total = this.ctx.cache.count(NODES);
      for (const name of pinned) {
        const node = this.ctx.cache.get(NODES, '', name);
        if (node) check(this.factsOf(node));
      }
      // Every other node fails the name match.
      for (let i = feasible + failures.length; i < total; i++) failures.push('affinity');
      return { fits, best: picker.best, failures, total };
    }
    const nodes = (this.nodeFacts ??= this.ctx.cache.list(NODES).map((n) => this.factsOf(n)));
    const want = feasibleNodesToFind(nodes.length);
    const start = nodes.length ? this.nextStart % nodes.length : 0;
    let i = 0;
    for (; i < nodes.length && feasible < want; i++) check(nodes[(start + i) % nodes.length]);
    this.nextStart = start + i;
    return { fits, best: picker.best, failures, total: nodes.length };
  }

  /** One string per shape, so a node's last-shape check compares references, not text. */
  private readonly shapes = new Map<string, string>();

  private intern(shape: string): string {
    const known = this.shapes.get(shape);
    if (known !== undefined) return known;
    // DaemonSet pods each pin another node (a shape apiece): start over rather than grow.
    if (this.shapes.size >= 10_000) this.shapes.clear();
    this.shapes.set(shape, shape);
    return shape;
  }

  private readonly badNodes = new Set<string>();

  /**
   * fitFailure, but a node the scheduler cannot read (stored before validation existed, or by a
   * bug) is skipped and logged once instead of failing every pod: one bad object never stops
   * scheduling.
   */
  private fit(pod: Pod, shape: string, req: { cpu: number; memory: number }, facts: NodeFacts, volumes: PodVolumes): FitFailure | undefined {
    try {
      let f: FitFailure | undefined;
      if (facts.lastShape === shape) f = facts.lastFit;
      else {
        if (facts.fits.has(shape)) f = facts.fits.get(shape);
        else {
          if (facts.fits.size >= MAX_SHAPES_PER_NODE) facts.fits.clear();
          f = nodeFitFailure(pod, facts.node);
          facts.fits.set(shape, f);
        }
        facts.lastShape = shape;
        facts.lastFit = f;
      }
      return f ?? resourceFitFailure(req, facts.allocatable, facts.usage) ?? (volumes.kind === 'ok' && volumes.bound.length === 0 ? undefined : this.volumes.fits(volumes, facts.node) ? undefined : 'volumeNodeConflict');
    } catch (e) {
      const name = facts.node.metadata.name ?? '';
      if (!this.badNodes.has(name)) {
        this.badNodes.add(name);
        this.ctx.log(`scheduler: skipping node ${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
      return 'unschedulable';
    }
  }

  private async schedule(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const pod = this.ctx.cache.get(PODS, ns, name);
    if (!pod || !needsScheduling(pod)) {
      this.unschedulable.delete(key);
      return;
    }
    const volumes = this.volumes.check(pod);
    if (volumes.kind === 'blocked') return this.failed(key, pod, preFilterMessage(this.ctx.cache.count(NODES), volumes.reason));
    const selected = this.volumes.selectedNode(volumes);
    const { fits, best, failures, total } = this.filterNodes(pod, volumes, selected !== undefined);
    const chosen = (selected ? pickNode(pod, fits.filter((f) => f.node.metadata.name === selected)) : undefined) ?? best;
    if (!chosen) return this.failed(key, pod, total ? failedSchedulingMessage(total, failures) : 'no nodes available to schedule pods');
    const nodeName = chosen.node.metadata.name ?? '';
    // Claims that wait for their first consumer are provisioned on the chosen node first.
    if (await this.volumes.selectNode(volumes, nodeName)) {
      this.unschedulable.add(key);
      return;
    }
    try {
      await this.ctx.registry.bind(ns, name, { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: ns }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } });
    } catch (e) {
      if (isRace(e)) return;
      throw e;
    }
    this.unschedulable.delete(key);
    this.lastFailure.delete(key);
    await this.ctx.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${nodeName}`, 'default-scheduler');
  }

  private async failed(key: string, pod: Pod, message: string): Promise<void> {
    this.unschedulable.add(key);
    if (this.lastFailure.get(key) === message) return;
    this.lastFailure.set(key, message);
    await this.setUnschedulable(pod, message);
    await this.ctx.event(pod, 'Warning', 'FailedScheduling', message, 'default-scheduler');
  }

  private async setUnschedulable(pod: Pod, message: string): Promise<void> {
    const status = pod.status ?? {};
    const others = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    // lastProbeTime is null on the wire (metav1.Time without omitempty): written untyped.
    const conditions = [...others, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: this.ctx.now() }];
    try {
      await this.ctx.registry.update(this.ctx.typeOf(PODS), pod.metadata.namespace ?? '', pod.metadata.name ?? '', { ...pod, status: { ...status, conditions } }, 'status', TYPED);
    } catch (e) {
      if (!isRace(e)) throw e;
    }
  }
}
