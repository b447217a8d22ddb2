// kube-scheduler: binds pending pods through the pods/binding subresource, with Scheduled and
// FailedScheduling events; unschedulable pods are retried when nodes or pods change.
import { controllerOf, isPodFinished, isPodTerminating, podNodeName } from '../../api/pods.js';
import type { Node, Pod } from '../../api/types.js';
import type { StoreEvent } from '../store/store.js';
import { storeKey } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { NODES, PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES, PODS, isEventOf } from './kinds.js';
import { WorkQueue } from './queue.js';
import { type PodVolumes, preFilterMessage } from './storage.js';
import { VolumeBinding } from './volumebinding.js';
import { type Allocatable, type FitFailure, type NodeInfo, allocatableOf, beatsBest, failedSchedulingMessage, feasibleNodesToFind, nodeFitFailure, NodePicker, pickNode, pinnedNodeNames, podRequests, resourceFitFailure } from './scheduling.js';
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
  name: string;
  allocatable: Allocatable;
  /** nodeFitFailure's answer per pod shape (schedulingShape), for pods pinned to the node. */
  fits: Map<string, FitFailure | undefined>;
}

/**
 * Every node in the cache's order, until a node changes, with what the walk over hundreds of
 * nodes per pod reads laid out flat: the node's slot in the usage table, its allocatable, and
 * per pod shape each node's answer (0 not asked yet, 1 fits, else FIT_FAILURES' index + 2).
 */
interface NodeList {
  facts: NodeFacts[];
  slots: Int32Array;
  allocPods: Float64Array;
  allocCpu: Float64Array;
  allocMemory: Float64Array;
  /** Each node's place in name order (ties in score go to the first name). */
  rank: Int32Array;
  shapeFits: Map<string, Uint8Array>;
}

const FIT_FAILURES: FitFailure[] = ['unschedulable', 'taint', 'affinity', 'cpu', 'memory', 'pods', 'nodeName', 'notReady', 'volumeNodeConflict'];

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
        this.nodeList = undefined;
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
  /** Every node, until a node changes. */
  private nodeList?: NodeList;

  private factsOf(node: Node): NodeFacts {
    const name = node.metadata.name ?? '';
    let f = this.facts.get(name);
    if (!f || f.node !== node) {
      f = { node, name, allocatable: allocatableOf(node), fits: new Map() };
      this.facts.set(name, f);
    }
    return f;
  }

  /** What pickNode reads of a node: its usage now (a copy). */
  private infoOf(facts: NodeFacts): NodeInfo {
    return { node: facts.node, name: facts.name, usage: this.ctx.cache.usage.usage(facts.name) };
  }

  private nodes(): NodeList {
    if (this.nodeList) return this.nodeList;
    const facts = this.ctx.cache.list(NODES).map((n) => this.factsOf(n));
    const n = facts.length;
    const list: NodeList = { facts, slots: new Int32Array(n), allocPods: new Float64Array(n), allocCpu: new Float64Array(n), allocMemory: new Float64Array(n), rank: new Int32Array(n), shapeFits: new Map() };
    facts.forEach((f, i) => {
      list.slots[i] = this.ctx.cache.usage.slot(f.name);
      list.allocPods[i] = f.allocatable.pods;
      list.allocCpu[i] = f.allocatable.cpu;
      list.allocMemory[i] = f.allocatable.memory;
    });
    const byName = facts.map((_, i) => i).sort((a, b) => (facts[a].name < facts[b].name ? -1 : facts[a].name > facts[b].name ? 1 : 0));
    byName.forEach((i, r) => (list.rank[i] = r));
    return (this.nodeList = list);
  }

  /**
   * Filter nodes for a pod: only its pinned nodes when it names them (DaemonSet pods), else a
   * round-robin walk over all nodes that stops once enough feasible ones are found. The best of
   * them (pickNode's order: fewest pods of the same owner, then fewest pods, then name) is
   * scored on the way; the feasible list is kept only when `keepFits`.
   */
  private filterNodes(pod: Pod, volumes: PodVolumes, keepFits: boolean): { fits: NodeInfo[]; best?: NodeInfo; failures: FitFailure[]; total: number } {
    const pinned = pinnedNodeNames(pod);
    const shape = this.intern(schedulingShape(pod));
    const req = podRequests(pod);
    if (pinned) return this.filterPinned(pod, pinned, shape, req, volumes, keepFits);
    const list = this.nodes();
    const n = list.facts.length;
    const want = feasibleNodesToFind(n);
    let answers = list.shapeFits.get(shape);
    if (!answers) {
      if (list.shapeFits.size >= MAX_SHAPES_PER_NODE) list.shapeFits.clear();
      list.shapeFits.set(shape, (answers = new Uint8Array(n)));
    }
    const usage = this.ctx.cache.usage;
    const { pods, cpu, memory } = usage;
    const siblingsOf = usage.ownerCounts(controllerOf(pod)?.uid);
    const anyVolumes = !(volumes.kind === 'ok' && volumes.bound.length === 0);
    const fits: NodeInfo[] = [];
    const failures: FitFailure[] = [];
    let feasible = 0;
    let best = -1;
    let bestSiblings = 0;
    let bestPods = 0;
    const start = n ? this.nextStart % n : 0;
    let i = 0;
    for (; i < n && feasible < want; i++) {
      const j = start + i < n ? start + i : start + i - n;
      let answer = answers[j];
      if (answer === 0) answers[j] = answer = this.nodeAnswer(pod, list.facts[j]);
      if (answer !== 1) {
        failures.push(FIT_FAILURES[answer - 2]);
        continue;
      }
      const s = list.slots[j];
      if (pods[s] + 1 > list.allocPods[j]) failures.push('pods');
      else if (req.cpu > 0 && cpu[s] + req.cpu > list.allocCpu[j]) failures.push('cpu');
      else if (req.memory > 0 && memory[s] + req.memory > list.allocMemory[j]) failures.push('memory');
      else if (anyVolumes && !this.volumes.fits(volumes, list.facts[j].node)) failures.push('volumeNodeConflict');
      else {
        feasible++;
        if (keepFits) fits.push(this.infoOf(list.facts[j]));
        const siblings = siblingsOf ? siblingsOf.get(s) : 0;
        if (best >= 0 && !beatsBest(siblings, pods[s], list.rank[j] - list.rank[best], bestSiblings, bestPods)) continue;
        best = j;
        bestSiblings = siblings;
        bestPods = pods[s];
      }
    }
    this.nextStart = start + i;
    return { fits, best: best >= 0 ? this.infoOf(list.facts[best]) : undefined, failures, total: n };
  }

  /** nodeFitFailure as a walk answer (1 fits, else FIT_FAILURES' index + 2). */
  private nodeAnswer(pod: Pod, facts: NodeFacts): number {
    const f = this.guarded(facts, () => nodeFitFailure(pod, facts.node));
    return f === undefined ? 1 : FIT_FAILURES.indexOf(f) + 2;
  }

  private filterPinned(pod: Pod, pinned: string[], shape: string, req: { cpu: number; memory: number }, volumes: PodVolumes, keepFits: boolean) {
    const fits: NodeInfo[] = [];
    const failures: FitFailure[] = [];
    const picker = new NodePicker(pod);
    const total = this.ctx.cache.count(NODES);
    let feasible = 0;
    for (const name of pinned) {
      const node = this.ctx.cache.get(NODES, '', name);
      if (!node) continue;
      const facts = this.factsOf(node);
      const info = this.infoOf(facts);
      const f = this.fit(pod, shape, req, facts, info, volumes);
      if (f) {
        failures.push(f);
        continue;
      }
      feasible++;
      picker.offer(info);
      if (keepFits) fits.push(info);
    }
    // Every other node fails the name match.
    for (let i = feasible + failures.length; i < total; i++) failures.push('affinity');
    return { fits, best: picker.best, failures, total };
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
   * A node check, but a node the scheduler cannot read (stored before validation existed, or by
   * a bug) is skipped and logged once instead of failing every pod: one bad object never stops
   * scheduling.
   */
  private guarded(facts: NodeFacts, check: () => FitFailure | undefined): FitFailure | undefined {
    try {
      return check();
    } catch (e) {
      if (!this.badNodes.has(facts.name)) {
        this.badNodes.add(facts.name);
        this.ctx.log(`scheduler: skipping node ${facts.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
      return 'unschedulable';
    }
  }

  private fit(pod: Pod, shape: string, req: { cpu: number; memory: number }, facts: NodeFacts, info: NodeInfo, volumes: PodVolumes): FitFailure | undefined {
    let f: FitFailure | undefined;
    if (facts.fits.has(shape)) f = facts.fits.get(shape);
    else {
      if (facts.fits.size >= MAX_SHAPES_PER_NODE) facts.fits.clear();
      f = this.guarded(facts, () => nodeFitFailure(pod, facts.node));
      facts.fits.set(shape, f);
    }
    return f ?? resourceFitFailure(req, facts.allocatable, info.usage!) ?? (this.volumes.fits(volumes, facts.node) ? undefined : 'volumeNodeConflict');
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
