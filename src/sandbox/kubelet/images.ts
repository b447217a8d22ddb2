// Image pulls that can fail. A scenario may declare the registry (`spec.registry: {images,
// private: {host, secret}}`): an image it does not list, or one on the private host from a pod
// without that pull secret, fails as containerd and the kubelet report it: the container waits
// with ErrImagePull, then ImagePullBackOff while the kubelet backs off (10 s doubling to 5 min),
// with the Pulling / Failed / BackOff events. Without spec.registry every image exists.
// Messages: containerd's resolver errors and kubelet's pkg/kubelet/images (pull_manager, events).
import type { Pod } from '../../api/types.js';
import { podCondition } from '../../api/pods.js';
import type { ControllerContext } from '../controllers/context.js';

export interface ImageRegistry {
  /** References that exist; one without a tag or digest stands for every tag of that repository. */
  images: string[];
  private?: { host: string; secret: string };
}

export function parseRegistry(raw: unknown, source: string, fail: (m: string) => Error): ImageRegistry | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw fail(`${source}: spec.registry must be a mapping with images and private`);
  const images: unknown = Reflect.get(raw, 'images') ?? [];
  if (!Array.isArray(images) || !images.every((i): i is string => typeof i === 'string' && i !== '')) throw fail(`${source}: spec.registry.images must be a list of image references`);
  const priv: unknown = Reflect.get(raw, 'private');
  if (priv === undefined) return { images };
  const host: unknown = typeof priv === 'object' && priv !== null ? Reflect.get(priv, 'host') : undefined;
  const secret: unknown = typeof priv === 'object' && priv !== null ? Reflect.get(priv, 'secret') : undefined;
  if (typeof host !== 'string' || !host || typeof secret !== 'string' || !secret) throw fail(`${source}: spec.registry.private needs host and secret (the imagePullSecret pods must name)`);
  return { images, private: { host, secret } };
}

/** docker.io/library/nginx:latest for "nginx" (containerd's normalisation). */
export function normalizeImage(ref: string): string {
  const first = ref.split('/')[0];
  const hasHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  let full = hasHost ? ref : ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
  const last = full.split('/').pop() ?? '';
  if (!last.includes(':') && !full.includes('@')) full += ':latest';
  return full;
}

function repository(full: string): string {
  return full.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
}

/** Why a pull of this image by this pod fails (containerd's message), or undefined when it succeeds. */
export function pullFailure(registry: ImageRegistry | undefined, pod: Pod, image: string): string | undefined {
  if (!registry) return undefined;
  const full = normalizeImage(image);
  const host = full.split('/')[0];
  if (registry.private && host === registry.private.host) {
    const secrets = (pod.spec?.imagePullSecrets ?? []).map((s) => s.name);
    if (!secrets.includes(registry.private.secret)) {
      return `failed to pull and unpack image "${full}": failed to resolve reference "${full}": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`;
    }
  }
  // kubeadm's own images are always there.
  if (host === 'registry.k8s.io') return undefined;
  const known = registry.images.map(normalizeImage);
  const bare = registry.images.filter((i) => !/[:@][^/]*$/.test(i)).map((i) => repository(normalizeImage(i)));
  if (known.includes(full) || bare.includes(repository(full))) return undefined;
  return `failed to pull and unpack image "${full}": failed to resolve reference "${full}": ${full}: not found`;
}

const BACKOFF_START_S = 10;
const BACKOFF_MAX_S = 300;

/** The kubelet side: pull attempts per pod, their status, events and back-off. */
export class ImagePuller {
  private readonly attempts = new Map<string, number>();
  /** Real time (ms) of each pod's next pull attempt: status writes re-queue the pod early. */
  private readonly next = new Map<string, number>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly registry: () => ImageRegistry | undefined,
  ) {}

  /** The containers whose image cannot be pulled, with containerd's reason. */
  failures(pod: Pod): Array<{ container: string; image: string; message: string }> {
    const r = this.registry();
    return (pod.spec?.containers ?? []).flatMap((c) => {
      const message = pullFailure(r, pod, c.image ?? '');
      return message ? [{ container: c.name, image: c.image ?? '', message }] : [];
    });
  }

  forget(uid: string): void {
    this.attempts.delete(uid);
    this.next.delete(uid);
  }

  /** Real ms until this pod's next pull attempt (0: now). */
  due(uid: string): number {
    return Math.max(0, (this.next.get(uid) ?? 0) - Date.now());
  }

  /**
   * One failed pull: the waiting reasons and events of this attempt, written as the pod's status.
   * Returns how long (real ms) until the next attempt.
   */
  async fail(pod: Pod, failed: Array<{ container: string; image: string; message: string }>, host: string, write: (status: object) => Promise<void>): Promise<number> {
    const uid = pod.metadata.uid ?? '';
    const n = this.attempts.get(uid) ?? 0;
    this.attempts.set(uid, n + 1);
    // Odd attempts show the pull error, even ones the back-off that follows it.
    const pulling = n % 2 === 0;
    const ref = { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata };
    for (const f of failed) {
      if (pulling) {
        await this.ctx.event(ref, 'Normal', 'Pulling', `Pulling image "${f.image}"`, 'kubelet', host);
        await this.ctx.event(ref, 'Warning', 'Failed', `Failed to pull image "${f.image}": rpc error: code = NotFound desc = ${f.message}`, 'kubelet', host);
        await this.ctx.event(ref, 'Warning', 'Failed', 'Error: ErrImagePull', 'kubelet', host);
      } else {
        await this.ctx.event(ref, 'Normal', 'BackOff', `Back-off pulling image "${f.image}"`, 'kubelet', host);
        await this.ctx.event(ref, 'Warning', 'Failed', 'Error: ImagePullBackOff', 'kubelet', host);
      }
    }
    await write(waitingStatus(pod, failed, pulling, this.ctx.now()));
    const backoff = Math.min(BACKOFF_START_S * 2 ** Math.floor(n / 2), BACKOFF_MAX_S);
    const wait = this.ctx.clock.real((pulling ? 1 : backoff) * 1000);
    this.next.set(uid, Date.now() + wait);
    return wait;
  }
}

function waitingStatus(pod: Pod, failed: Array<{ container: string; image: string; message: string }>, pulling: boolean, now: string): object {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const condition = (type: string, status: string, extra: object = {}) => ({ type, status, lastProbeTime: null, lastTransitionTime: podCondition(pod, type)?.lastTransitionTime ?? now, ...extra });
  const unready = { reason: 'ContainersNotReady', message: `containers with unready status: [${names.join(' ')}]` };
  return {
    ...(pod.status ?? {}),
    phase: 'Pending',
    conditions: [
      condition('PodReadyToStartContainers', 'True'),
      condition('Initialized', 'True'),
      condition('Ready', 'False', unready),
      condition('ContainersReady', 'False', unready),
      condition('PodScheduled', 'True'),
    ],
    containerStatuses: (pod.spec?.containers ?? []).map((c) => {
      const f = failed.find((x) => x.container === c.name);
      const waiting = !f ? { reason: 'ContainerCreating' } : pulling ? { reason: 'ErrImagePull', message: f.message } : { reason: 'ImagePullBackOff', message: `Back-off pulling image "${f.image}"` };
      return { name: c.name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0, started: false, state: { waiting }, lastState: {} };
    }),
  };
}
