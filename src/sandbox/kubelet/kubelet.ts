// Simulated kubelets, one per node: lease heartbeats, node status, pods going Pending ->
// Running (Ready) after a start delay, Job pods completing, graceful termination honouring the
// grace period, and the power operations the sandbox exposes (down, up, reboot, upgrade).
// A kubelet that is down does nothing: its pods keep their last reported state, exactly what a
// real control plane sees when a node dies.
import type { ContainerStatus, KubeObject, Node, NodeCondition, NodeStatus, Pod } from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import { controllerOf, podCondition, podNodeName, podPhase } from '../../api/pods.js';
import { isNodeReady, kubeletVersion } from '../../api/nodes.js';
import type { StoreEvent } from '../store/store.js';
import { storeKey } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from '../controllers/context.js';
import { WorkQueue } from '../controllers/queue.js';
import type { Sandbox } from '../sandbox.js';
import { isLease, isNode, isPod } from '../server/kinds.js';
import { nodeInternalIP, staticPods } from './staticpods.js';
import { DEFAULT_CAPACITY, nodeObject } from '../scenario/scenario.js';
import { type MachineFaults, type MachineView, NOT_READY_CONDITION } from './machine.js';
import { ImagePuller } from './images.js';
import { readinessOf, withReadiness } from './readiness.js';
import { CrashLoops, crashOf } from './crashes.js';
import { ContainerEvents } from './lifecycle-events.js';
import { firstRenewalRealMs, leaseRenewRealMs } from '../controllers/leases.js';
import { TYPED } from '../server/registry.js';

interface NodeState {
  up: boolean;
  version: string;
  /** Incremented per boot: pods started in an earlier boot restart their containers. */
  boot: number;
  nextIp: number;
  renew?: { cancel(): void };
  /** Armed by the machine API's faults route; applied at the next restart. */
  faults: MachineFaults;
  /** The notReady fault took effect: the kubelet posts Ready=False. */
  notReady: boolean;
  /** The machine was removed (DELETE /sandbox/v1/nodes/<node>): it never starts again. */
  removed: boolean;
}

export class KubeletError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeletError';
  }
}

function ownerKind(pod: Pod): string | undefined {
  return controllerOf(pod)?.kind;
}

export class Kubelets implements Controller {
  readonly name = 'kubelet';
  private readonly nodes = new Map<string, NodeState>();
  private readonly podQueue: WorkQueue;
  private readonly images: ImagePuller;
  private readonly crashes: CrashLoops;
  private readonly containerEvents: ContainerEvents;
  private readonly nodeQueue: WorkQueue;
  private registered = 0;
  /** The boot of its node in which each running pod (by uid) last started its containers. */
  private readonly startedInBoot = new Map<string, number>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly sandbox: Sandbox,
  ) {
    this.images = new ImagePuller(ctx, () => sandbox.scenario.registry);
    this.containerEvents = new ContainerEvents(ctx, () => sandbox.scenario.events?.containers !== false);
    this.crashes = new CrashLoops(ctx, (pod, node) => this.containerEvents.started(pod, node, this.nodes.get(node)?.version ?? '', true));
    this.podQueue = new WorkQueue((k) => this.syncPod(k), (k, e) => ctx.log(`kubelet: pod ${k}: ${String(e)}`), 32);
    this.nodeQueue = new WorkQueue((k) => this.syncNode(k), (k, e) => ctx.log(`kubelet: node ${k}: ${String(e)}`), 8);
    sandbox.kubelets = this;
  }

  start(): void {
    for (const node of this.ctx.cache.list('nodes')) this.register(node);
    for (const pod of this.ctx.cache.list('pods')) this.enqueuePod(pod);
  }

  /** The periodic resync: every pod again, and the status of a running node the API shows not Ready. */
  resyncAll(): void {
    for (const [name, state] of this.nodes) {
      const node = this.node(name);
      if (state.up && node && !isNodeReady(node)) this.nodeQueue.add(name);
    }
    // Only pods with something left to do: a resync of 30,000 settled pods would cost for nothing.
    for (const pod of this.ctx.cache.list('pods')) {
      if (!isPod(pod)) continue;
      const settled = podPhase(pod) !== 'Pending' && !pod.metadata.deletionTimestamp && (podPhase(pod) !== 'Running' || podCondition(pod, 'Ready')?.status === 'True');
      if (!settled) this.enqueuePod(pod);
    }
  }

  stop(): void {
    for (const s of this.nodes.values()) s.renew?.cancel();
    this.podQueue.stop();
    this.nodeQueue.stop();
  }

  private register(node: KubeObject): void {
    const name = node.metadata.name ?? '';
    if (this.nodes.has(name) || !isNode(node)) return;
    const version = kubeletVersion(node) ?? this.sandbox.version();
    const state: NodeState = { up: true, version, boot: 1, nextIp: 2, faults: {}, notReady: false, removed: false };
    this.nodes.set(name, state);
    this.startHeartbeat(name, state);
    this.nodeQueue.add(name);
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === 'nodes') {
      const name = e.object.metadata.name ?? '';
      if (e.type === 'ADDED') this.register(e.object);
      if (e.type === 'DELETED') {
        this.nodes.get(name)?.renew?.cancel();
        this.nodes.delete(name);
        this.containerEvents.forgetNode(name);
      }
    } else if (e.resource === 'pods') {
      if (e.type === 'DELETED') {
        this.startedInBoot.delete(e.object.metadata.uid ?? '');
        this.containerEvents.forget(e.object.metadata.uid ?? '');
      } else this.enqueuePod(e.object);
    }
  }

  private enqueuePod(pod: KubeObject): void {
    const node = isPod(pod) ? podNodeName(pod) : undefined;
    if (!node || !this.nodes.get(node)?.up) return;
    this.podQueue.add(storeKey(pod.metadata.namespace ?? '', pod.metadata.name ?? ''));
  }

  // ---- heartbeats and node status ----

  private renewRealMs(): number {
    return leaseRenewRealMs(this.ctx.settings, (ms) => this.ctx.clock.real(ms), this.nodes.size);
  }

  private startHeartbeat(name: string, state: NodeState): void {
    state.renew?.cancel();
    const renew = () => {
      if (!state.up) return;
      this.renewLease(name)
        .then(() => {
          // The kubelet's status sync: a node the control plane marked not Ready while the
          // kubelet runs (its lease was late once) gets Ready posted again.
          const node = this.node(name);
          if (state.up && !state.notReady && node && !isNodeReady(node)) this.nodeQueue.add(name);
        })
        .catch((e) => this.ctx.log(`kubelet ${name}: lease: ${String(e)}`));
    };
    renew();
    // Each kubelet at its own place in the period (leases.ts), the period read again at each
    // renewal since it grows with the number of kubelets.
    let t: NodeJS.Timeout;
    const next = (ms: number) => {
      t = setTimeout(() => {
        renew();
        next(this.renewRealMs());
      }, ms);
      t.unref();
    };
    next(firstRenewalRealMs(this.renewRealMs(), Math.random()));
    state.renew = { cancel: () => clearTimeout(t) };
  }

  private async renewLease(node: string): Promise<void> {
    const leases = this.ctx.type('coordination.k8s.io', 'v1', 'leases');
    const now = new Date(this.ctx.clock.now()).toISOString().replace('Z', '000Z');
    const cached = this.ctx.cache.get('leases.coordination.k8s.io', 'kube-node-lease', node);
    const current = cached && isLease(cached) ? cached : undefined;
    const nodeObj = this.ctx.cache.get('nodes', '', node);
    const spec = { holderIdentity: node, leaseDurationSeconds: this.ctx.settings.nodeMonitorGraceSeconds, renewTime: now };
    try {
      if (!current) {
        const owner = nodeObj ? [{ apiVersion: 'v1', kind: 'Node', name: node, uid: nodeObj.metadata.uid ?? '' }] : undefined;
        await this.ctx.registry.create(leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: node, namespace: 'kube-node-lease', ownerReferences: owner }, spec }, TYPED);
      } else {
        await this.ctx.registry.update(leases, 'kube-node-lease', node, { ...current, spec: { ...current.spec, ...spec } }, undefined, TYPED);
      }
    } catch (e) {
      if (!isRace(e) && !(e instanceof StatusError && e.code === 409)) throw e;
    }
  }

  /** Post node status: Ready while the kubelet runs, with its version. */
  private async syncNode(name: string): Promise<void> {
    const state = this.nodes.get(name);
    const node = this.ctx.cache.get('nodes', '', name);
    if (!state || !node || !isNode(node) || !state.up) return;
    let status: NodeStatus = node.status ?? {};
    const now = this.ctx.now();
    if (!status.nodeInfo || !status.capacity) {
      // A Node registered through the API without status (as `kubectl create` of a bare Node
      // would): the kubelet reports what a real one does on registration.
      const index = this.registered++;
      const template = nodeObject({ name, role: 'worker', version: state.version, capacity: { ...DEFAULT_CAPACITY }, labels: {}, taints: [] }, 1000 + index, now);
      status = { ...template.status, ...status };
    }
    const ready = state.notReady ? { status: 'False', ...NOT_READY_CONDITION } : { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' };
    const conditions = (status.conditions ?? []).map((c): NodeCondition => {
      if (c.type !== 'Ready') return { ...c, lastHeartbeatTime: now };
      const changed = c.status !== ready.status;
      return { ...c, ...ready, lastHeartbeatTime: now, lastTransitionTime: changed ? now : c.lastTransitionTime };
    });
    if (!conditions.some((c) => c.type === 'Ready')) {
      conditions.push({ type: 'Ready', ...ready, lastHeartbeatTime: now, lastTransitionTime: now });
    }
    const nodeInfo = { ...status.nodeInfo, kubeletVersion: state.version, kubeProxyVersion: state.version, bootID: `boot-${state.boot}` };
    try {
      await this.ctx.registry.update(this.ctx.nodes, '', name, { ...node, status: { ...status, conditions, nodeInfo } }, 'status', TYPED);
    } catch (e) {
      if (isRace(e)) return this.nodeQueue.addAfter(name, 20);
      throw e;
    }
    await this.syncStaticPods(name, node);
  }

  /** kubeadm's static pods on control-plane nodes appear in the API as mirror pods. */
  private async syncStaticPods(name: string, node: Node): Promise<void> {
    const state = this.nodes.get(name);
    if (!state) return;
    const wanted = staticPods(node, this.sandbox.controlPlaneVersionOf(name), this.sandbox.scenario, this.sandbox.etcdInfo());
    for (const pod of wanted) {
      const ns = pod.metadata.namespace ?? 'kube-system';
      const existing = this.ctx.cache.get('pods', ns, pod.metadata.name ?? '');
      // The kubelet recreates a mirror pod when its manifest changes (image, flags): the hash says so.
      const hash = pod.metadata.annotations?.['kubernetes.io/config.hash'];
      if (existing && existing.metadata.annotations?.['kubernetes.io/config.hash'] === hash) continue;
      try {
        if (existing) await this.ctx.registry.delete(this.ctx.pods, ns, pod.metadata.name ?? '', { gracePeriodSeconds: 0 });
        const created = await this.ctx.registry.create(this.ctx.pods, ns, pod);
        if (isPod(created)) await this.markRunning(created, state);
      } catch (e) {
        if (!isRace(e) && !(e instanceof StatusError && e.code === 409)) throw e;
      }
    }
  }

  // ---- pods ----

  private async syncPod(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const pod = this.ctx.cache.get('pods', ns, name);
    if (!pod || !isPod(pod)) return;
    const nodeName = podNodeName(pod);
    const state = nodeName ? this.nodes.get(nodeName) : undefined;
    if (!nodeName || !state?.up) return;
    const status = pod.status ?? {};
    if (pod.metadata.deletionTimestamp) {
      // Graceful termination: containers get the grace period, then the kubelet removes the pod.
      this.containerEvents.stop(pod, nodeName);
      const wait = Date.parse(pod.metadata.deletionTimestamp) - this.ctx.clock.now();
      if (wait > 0) return this.podQueue.addAfter(key, wait);
      try {
        await this.ctx.registry.delete(this.ctx.pods, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      } catch (e) {
        if (!isRace(e)) throw e;
      }
      return;
    }
    const phase = podPhase(pod);
    if (phase === 'Pending') {
      const started = status.startTime;
      if (!started) {
        this.containerEvents.starting(pod, nodeName, new Set(this.images.failures(pod).map((f) => f.image)));
        await this.writeStatus(pod, { ...status, startTime: this.ctx.now(), hostIP: this.nodeIP(nodeName), hostIPs: [{ ip: this.nodeIP(nodeName) }], containerStatuses: this.containerStatuses(pod, 'waiting', state) });
        return;
      }
      const wait = this.ctx.realMsUntil(started, this.ctx.settings.podStartSeconds);
      if (wait > 0) return this.podQueue.addAfter(key, wait);
      // Image pulls that fail (scenario spec.registry): the pod waits in ErrImagePull/ImagePullBackOff.
      const failed = this.images.failures(pod);
      if (failed.length) {
        const due = this.images.due(pod.metadata.uid ?? '');
        if (due > 0) return this.podQueue.addAfter(key, due);
        return this.podQueue.addAfter(key, await this.images.fail(pod, failed, nodeName, (s) => this.writeStatus(pod, s)));
      }
      this.images.forget(pod.metadata.uid ?? '');
      await this.markRunning(pod, state);
      return;
    }
    if (phase === 'Running') {
      const bootOf = this.startedInBoot.get(pod.metadata.uid ?? '') ?? state.boot;
      if (bootOf !== state.boot) {
        // The node rebooted: containers restart.
        await this.markRunning(pod, state, true);
        return;
      }
      // Containers that crash (sandbox.upkeep.dev/crash-after-seconds): CrashLoopBackOff and restarts.
      const crash = crashOf(pod);
      if (crash) {
        const wait = await this.crashes.sync(pod, crash, nodeName, (s) => this.writeStatus(pod, s));
        if (wait !== undefined) this.podQueue.addAfter(key, wait);
        return;
      }
      const readiness = readinessOf(pod);
      if (readiness.readyAfterSeconds !== undefined && podCondition(pod, 'Ready')?.status !== 'True') {
        const wait = this.ctx.realMsUntil(pod.status?.containerStatuses?.[0]?.state?.running?.startedAt, readiness.readyAfterSeconds);
        if (wait > 0) return this.podQueue.addAfter(key, wait);
        return this.writeStatus(pod, withReadiness(status, true, this.ctx.now()));
      }
      if (readiness.ready && podCondition(pod, 'Ready')?.status === 'False' && podCondition(pod, 'Ready')?.reason !== 'PodCompleted') {
        // The node lifecycle controller marked it not Ready while the node looked unreachable;
        // the kubelet's status manager posts its own view again (its containers kept running).
        await this.markReadyAgain(pod);
        return;
      }
      if (ownerKind(pod) === 'Job' || pod.spec?.restartPolicy !== 'Always') {
        const runFor = Number(pod.metadata.annotations?.['sandbox.upkeep.dev/run-seconds'] ?? (ownerKind(pod) === 'Job' ? this.ctx.settings.jobPodRunSeconds : NaN));
        if (!Number.isFinite(runFor)) return;
        const wait = this.ctx.realMsUntil(status.startTime, runFor + this.ctx.settings.podStartSeconds);
        if (wait > 0) return this.podQueue.addAfter(key, wait);
        await this.markSucceeded(pod);
      }
    }
  }

  private node(name: string): Node | undefined {
    const node = this.ctx.cache.get('nodes', '', name);
    return node && isNode(node) ? node : undefined;
  }

  private nodeIP(name: string): string {
    const node = this.node(name);
    return (node && nodeInternalIP(node)) ?? '10.0.0.1';
  }

  private podIP(nodeName: string, state: NodeState, pod: Pod): string {
    if (pod.spec?.hostNetwork) return this.nodeIP(nodeName);
    const cidr = this.node(nodeName)?.spec?.podCIDR ?? '10.244.0.0/24';
    const base = cidr.split('/')[0].split('.').slice(0, 3).join('.');
    const ip = `${base}.${state.nextIp}`;
    state.nextIp = state.nextIp >= 254 ? 2 : state.nextIp + 1;
    return ip;
  }

  private containerStatuses(pod: Pod, state: 'waiting' | 'running' | 'terminated', node: NodeState, restart = false): ContainerStatus[] {
    const previous = pod.status?.containerStatuses ?? [];
    const now = this.ctx.now();
    return (pod.spec?.containers ?? []).map((c): ContainerStatus => {
      const prev = previous.find((p) => p.name === c.name);
      const restartCount = Number(prev?.restartCount ?? 0) + (restart ? 1 : 0);
      const image = String(c.image);
      const base = { name: c.name, image, imageID: '', restartCount, started: state === 'running', ready: state === 'running' };
      if (state === 'waiting') return { ...base, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} };
      const containerID = `containerd://${(pod.metadata.uid ?? '').replace(/-/g, '')}${String(c.name).length}${node.boot}`;
      if (state === 'running') {
        return { ...base, imageID: `${image.split(':')[0]}@sha256:${'0'.repeat(64)}`, containerID, state: { running: { startedAt: now } }, lastState: restart ? { terminated: { exitCode: 255, reason: 'Unknown', startedAt: now, finishedAt: now } } : {} };
      }
      const running = prev?.state?.running;
      return { ...base, containerID, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: running ? running.startedAt : now, finishedAt: now } }, lastState: {} };
    });
  }

  private async markRunning(pod: Pod, state: NodeState, restart = false): Promise<void> {
    const status = pod.status ?? {};
    const nodeName = String(podNodeName(pod));
    const now = this.ctx.now();
    const conditions = [
      { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now },
      { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: now },
      { type: 'ContainersReady', status: 'True', lastProbeTime: null, lastTransitionTime: now },
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: podCondition(pod, 'PodScheduled')?.lastTransitionTime ?? now },
    ];
    const ip = status.podIP ?? this.podIP(nodeName, state, pod);
    const next = {
      ...status,
      phase: 'Running',
      conditions,
      hostIP: this.nodeIP(nodeName),
      hostIPs: [{ ip: this.nodeIP(nodeName) }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: status.startTime ?? now,
      containerStatuses: this.containerStatuses(pod, 'running', state, restart),
    };
    this.startedInBoot.set(pod.metadata.uid ?? '', state.boot);
    this.containerEvents.started(pod, nodeName, state.version, restart);
    // Scenario readiness (sandbox.upkeep.dev/ready, ready-after-seconds): running but not ready yet, or never.
    const readiness = readinessOf(pod);
    if (readiness.ready) return this.writeStatus(pod, next);
    await this.writeStatus(pod, withReadiness(next, false, now));
    if (readiness.readyAfterSeconds !== undefined) this.podQueue.addAfter(`${pod.metadata.namespace}/${pod.metadata.name}`, this.ctx.realMsUntil(now, readiness.readyAfterSeconds));
    else await this.ctx.event({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata }, 'Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', 'kubelet', nodeName);
  }

  private async markReadyAgain(pod: Pod): Promise<void> {
    const status = pod.status ?? {};
    const now = this.ctx.now();
    const conditions = (status.conditions ?? []).map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'True', lastTransitionTime: now } : c));
    await this.writeStatus(pod, { ...status, conditions });
  }

  private async markSucceeded(pod: Pod): Promise<void> {
    const status = pod.status ?? {};
    const now = this.ctx.now();
    const state = this.nodes.get(String(podNodeName(pod)));
    if (!state) return;
    const conditions = (status.conditions ?? []).map((c) =>
      c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False', reason: 'PodCompleted', lastTransitionTime: now } : c,
    );
    await this.writeStatus(pod, { ...status, phase: 'Succeeded', conditions, containerStatuses: this.containerStatuses(pod, 'terminated', state) });
  }

  /** Writes the pod's status (an object as the API sends it: conditions carry lastProbeTime null). */
  private async writeStatus(pod: Pod, status: object): Promise<void> {
    try {
      await this.ctx.registry.update(this.ctx.pods, pod.metadata.namespace ?? '', pod.metadata.name ?? '', { ...pod, status }, 'status', TYPED);
    } catch (e) {
      if (!isRace(e)) throw e;
    }
  }

  // ---- power operations (sandbox-only) ----

  private state(node: string): NodeState {
    const s = this.nodes.get(node);
    if (!s) throw new KubeletError(`node "${node}" not found`);
    return s;
  }

  isUp(node: string): boolean {
    return this.state(node).up;
  }

  /** The kubelet stops: no heartbeats, no pod work. The control plane notices after the grace period. */
  down(node: string): void {
    const s = this.state(node);
    s.up = false;
    s.renew?.cancel();
  }

  /** The kubelet starts again (a new boot): heartbeats, Ready, and pods reconciled. The machine is fixed: neverReturn is cleared. */
  up(node: string, version?: string): void {
    const s = this.state(node);
    if (s.removed) throw new KubeletError(`the machine of node "${node}" was removed: add a new one`);
    delete s.faults.neverReturn;
    if (version) s.version = version;
    if (!s.up) s.boot++;
    s.up = true;
    this.startHeartbeat(node, s);
    this.nodeQueue.add(node);
    for (const pod of this.ctx.cache.podsOnNode(node)) this.enqueuePod(pod);
  }

  /** Stop, wait a (simulated) downtime, start again, optionally on a new kubelet version. */
  async restart(node: string, downSeconds: number, version?: string): Promise<void> {
    const s = this.state(node);
    if (s.removed) throw new KubeletError(`the machine of node "${node}" was removed: add a new one`);
    this.down(node);
    await new Promise((r) => setTimeout(r, this.ctx.clock.real(downSeconds * 1000)).unref());
    if (s.removed) return;
    // Armed faults: the machine does not boot (packages installed, kubelet never starts), or boots broken.
    if (s.faults.neverReturn) {
      if (version) s.version = version;
      return;
    }
    s.notReady = s.faults.notReady === true;
    this.up(node, version);
  }

  /** The machine goes away for good: the kubelet stops; the Node object stays until deleted through the API. */
  remove(node: string): void {
    this.down(node);
    this.state(node).removed = true;
  }

  /** Arms (or clears) faults; clearing notReady lets a broken kubelet post Ready again. */
  setFaults(node: string, faults: MachineFaults): void {
    const s = this.state(node);
    s.faults = faults;
    if (s.notReady && !faults.notReady) {
      s.notReady = false;
      this.nodeQueue.add(node);
    }
  }

  machine(node: string): Omit<MachineView, 'staticPods'> {
    const s = this.state(node);
    return { name: node, up: s.up, version: s.version, machine: s.removed ? 'removed' : s.up ? 'running' : 'down', notReady: s.notReady, faults: { ...s.faults } };
  }

  /** Whether a kubelet runs for this node (registered and not forgotten). */
  has(node: string): boolean {
    return this.nodes.has(node);
  }

  /** Re-post node status and static pods (after a control-plane version change). */
  resync(node: string): void {
    this.nodeQueue.add(node);
  }

  version(node: string): string {
    return this.state(node).version;
  }
}
