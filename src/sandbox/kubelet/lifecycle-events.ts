// The events a kubelet records for a healthy pod's containers, in the order and words of
// pkg/kubelet/images (image_manager.go: Pulling, Pulled, "already present on machine") and
// pkg/kubelet/kuberuntime (kuberuntime_container.go: Created, Started, Killing), each about the
// container's part of the pod (involvedObject.fieldPath `spec.containers{NAME}`). Which images a
// node holds is remembered per node, so imagePullPolicy IfNotPresent pulls once per node and
// Always pulls every time, as on a real node.
import type { Container, Pod } from '../../api/types.js';
import { formatGoDuration } from '../../api/duration.js';
import type { ControllerContext } from '../controllers/context.js';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** spec.events of a scenario: `containers: false` leaves out these events (a scale run's cost; default on, as a real cluster). */
export interface EventSettings {
  containers: boolean;
}

export function parseEventSettings(raw: unknown, source: string, fail: (m: string) => Error): EventSettings | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw fail(`${source}: spec.events must be a mapping, e.g. {containers: false}`);
  const containers: unknown = Reflect.get(raw, 'containers') ?? true;
  if (typeof containers !== 'boolean') throw fail(`${source}: spec.events.containers must be true or false, not ${JSON.stringify(containers)}`);
  return { containers };
}

/** The container's pull policy (the API server defaults it; this is the same default). */
export function pullPolicyOf(c: Pick<Container, 'image' | 'imagePullPolicy'>): PullPolicy {
  const p = c.imagePullPolicy;
  if (p === 'Always' || p === 'IfNotPresent' || p === 'Never') return p;
  const image = c.image ?? '';
  const last = image.split('/').pop() ?? '';
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return !image.includes('@') && (tag === '' || tag === 'latest') ? 'Always' : 'IfNotPresent';
}

/** Whether the kubelet pulls before creating the container (Never with a missing image is left out: it fails elsewhere). */
export function needsPull(policy: PullPolicy, present: boolean): boolean {
  return policy === 'Always' || (policy === 'IfNotPresent' && !present);
}

/** kubelet 1.32 put a colon in the Created event ("Created container: web"); earlier ones had none. */
export function createdMessage(kubeletVersion: string, container: string): string {
  const m = /^v?(\d+)\.(\d+)/.exec(kubeletVersion);
  const newer = m ? Number(m[1]) > 1 || Number(m[2]) >= 32 : true;
  return newer ? `Created container: ${container}` : `Created container ${container}`;
}

/** A plausible, stable image size in bytes (the sandbox has no image store). */
export function imageSize(image: string): number {
  let h = 2166136261;
  for (let i = 0; i < image.length; i++) h = Math.imul(h ^ image.charCodeAt(i), 16777619) >>> 0;
  return 2_000_000 + (h % 150_000_000);
}

/** The Pulled event after a pull of `pullMs` simulated ms (Go durations truncated to the ms). */
export function pulledMessage(image: string, pullMs: number): string {
  const d = formatGoDuration(Math.max(0, Math.floor(pullMs)));
  return `Successfully pulled image "${image}" in ${d} (${d} including waiting). Image size: ${imageSize(image)} bytes.`;
}

export function alreadyPresentMessage(image: string): string {
  return `Container image "${image}" already present on machine`;
}

export function containerFieldPath(name: string): string {
  return `spec.containers{${name}}`;
}

/** The kubelet side: the images each node holds and the events of each pod's containers. */
export class ContainerEvents {
  private readonly images = new Map<string, Set<string>>();
  /** Per pod (by uid): the wall-clock ms its pulls started and the containers whose image it pulls. */
  private readonly pulls = new Map<string, { at: number; containers: Set<string> }>();
  /** Pods (by uid) whose containers were told to stop. */
  private readonly stopping = new Set<string>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly enabled: () => boolean = () => true,
  ) {}

  private record(pod: Pod, node: string, container: string, reason: string, message: string): void {
    if (!this.enabled()) return;
    const about = { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata, fieldPath: containerFieldPath(container) };
    void this.ctx.event(about, 'Normal', reason, message, 'kubelet', node);
  }

  private present(node: string, image: string): boolean {
    return this.images.get(node)?.has(image) ?? false;
  }

  /** The pod's containers are about to be created: Pulling for each image the node must pull (`skip`: images whose pulls fail, told elsewhere). */
  starting(pod: Pod, node: string, skip: ReadonlySet<string> = new Set()): void {
    const containers = new Set<string>();
    for (const c of pod.spec?.containers ?? []) {
      const image = c.image ?? '';
      if (skip.has(image) || !needsPull(pullPolicyOf(c), this.present(node, image))) continue;
      containers.add(c.name);
      this.record(pod, node, c.name, 'Pulling', `Pulling image "${image}"`);
    }
    this.pulls.set(pod.metadata.uid ?? '', { at: this.ctx.clock.now(), containers });
  }

  /** The containers were created and started: Pulled (or already present), Created, Started. */
  started(pod: Pod, node: string, kubeletVersion: string, restart: boolean): void {
    const uid = pod.metadata.uid ?? '';
    const pulls = restart ? undefined : this.pulls.get(uid);
    this.pulls.delete(uid);
    let held = this.images.get(node);
    if (!held) this.images.set(node, (held = new Set()));
    for (const c of pod.spec?.containers ?? []) {
      const image = c.image ?? '';
      const message = pulls?.containers.has(c.name) ? pulledMessage(image, this.ctx.clock.sim(this.ctx.clock.now() - pulls.at)) : alreadyPresentMessage(image);
      held.add(image);
      this.record(pod, node, c.name, 'Pulled', message);
      this.record(pod, node, c.name, 'Created', createdMessage(kubeletVersion, c.name));
      this.record(pod, node, c.name, 'Started', `Started container ${c.name}`);
    }
  }

  /** The pod is being deleted: Killing, once, for each container that runs. */
  stop(pod: Pod, node: string): void {
    const uid = pod.metadata.uid ?? '';
    if (this.stopping.has(uid)) return;
    this.stopping.add(uid);
    for (const s of pod.status?.containerStatuses ?? []) {
      if (s.state?.running) this.record(pod, node, s.name, 'Killing', `Stopping container ${s.name}`);
    }
  }

  forget(uid: string): void {
    this.pulls.delete(uid);
    this.stopping.delete(uid);
  }

  forgetNode(node: string): void {
    this.images.delete(node);
  }
}
