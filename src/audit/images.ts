// Image references: the tag of one, whether it is pinned, and the audit rule for workloads whose
// images are not (`:latest` or no tag): every pod recreated during maintenance pulls whatever the
// tag points to then, and a rollback cannot return to the build that ran before.
import { controllerOf, isMirrorPod } from '../api/pods.js';
import type { KubeObject, Pod } from '../api/types.js';
import { type Finding, objectName } from './finding.js';
import type { AuditInput, AuditRule } from './rules.js';

/**
 * The tag of an image reference, or undefined when it has none ("nginx", "nginx@sha256:...").
 * A registry port is not a tag: "localhost:5000/nginx" has none.
 */
export function imageTag(image: string): string | undefined {
  const noDigest = image.split('@')[0];
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  const i = last.indexOf(':');
  return i >= 0 ? last.slice(i + 1) : undefined;
}

/** Why an image reference is not pinned, or null when it is (a tag other than latest, or a digest). */
export function unpinned(image: string): string | null {
  if (image.includes('@')) return null;
  const tag = imageTag(image);
  if (tag === undefined) return 'no tag: pulls latest';
  return tag === 'latest' ? 'latest' : null;
}

interface Owner {
  kind: string;
  namespace: string;
  name: string;
}

/** The object a pod's image comes from: its controller, through ReplicaSet to Deployment and Job to CronJob. */
export function imageOwner(pod: Pod, workloads: ReadonlyMap<string, KubeObject>): Owner {
  const namespace = pod.metadata.namespace ?? '';
  let ref = controllerOf(pod);
  if (!ref) return { kind: 'Pod', namespace, name: pod.metadata.name ?? '' };
  for (let depth = 0; depth < 2; depth++) {
    const parent = workloads.get(`${ref.kind}/${namespace}/${ref.name}`);
    const up = parent && controllerOf(parent);
    if (!up || !['Deployment', 'CronJob'].includes(up.kind)) break;
    ref = up;
  }
  return { kind: ref.kind, namespace, name: ref.name };
}

/** One container of one pod: what it asks for and what its node runs. */
export interface ContainerImage {
  pod: Pod;
  container: string;
  image: string;
  /** The effective policy (the API server defaults it at creation). */
  pullPolicy: string;
  /** What the kubelet reports running (status.containerStatuses[].imageID), when it does. */
  imageID?: string;
}

/** The pull policy the API server gives a container without one: Always for :latest or no tag, else IfNotPresent. */
export function defaultPullPolicy(image: string): string {
  return unpinned(image) ? 'Always' : 'IfNotPresent';
}

/** Every container (init containers first) of the pods, with its image, policy and running digest; mirror pods left out. */
export function containerImages(pods: readonly Pod[]): ContainerImage[] {
  const out: ContainerImage[] = [];
  for (const pod of pods) {
    if (isMirrorPod(pod)) continue;
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      if (typeof c?.image !== 'string') continue;
      const imageID = statuses.find((st) => st.name === c.name)?.imageID || undefined;
      out.push({ pod, container: c.name, image: c.image, pullPolicy: c.imagePullPolicy ?? defaultPullPolicy(c.image), ...(imageID ? { imageID } : {}) });
    }
  }
  return out;
}

/** The digest an imageID names ("docker-pullable://nginx@sha256:ab..." -> "sha256:ab..."), if any. */
export function imageDigest(imageID: string | undefined): string | undefined {
  const at = imageID?.lastIndexOf('@') ?? -1;
  return imageID && at >= 0 ? imageID.slice(at + 1) : undefined;
}

/** The reference to pin to: the image as written with the digest its node runs. */
export function pinnedReference(image: string, imageID: string | undefined): string | undefined {
  const digest = imageDigest(imageID);
  return digest ? `${image.split('@')[0]}@${digest}` : undefined;
}

/** Images grouped by the object they come from (imageOwner), sorted by namespace and name. */
function byOwner(snapshot: AuditInput['snapshot']): Array<{ owner: Owner; object: string; containers: ContainerImage[] }> {
  const index = new Map(snapshot.workloads.map((w) => [`${w.kind}/${w.metadata.namespace ?? ''}/${w.metadata.name ?? ''}`, w]));
  const groups = new Map<string, { owner: Owner; object: string; containers: ContainerImage[] }>();
  for (const c of containerImages(snapshot.pods)) {
    const owner = imageOwner(c.pod, index);
    const key = `${owner.kind}/${owner.namespace}/${owner.name}`;
    const entry = groups.get(key) ?? { owner, object: objectName(owner.kind, owner.namespace, owner.name), containers: [] };
    entry.containers.push(c);
    groups.set(key, entry);
  }
  return [...groups.values()].sort((a, b) => a.owner.namespace.localeCompare(b.owner.namespace) || a.owner.name.localeCompare(b.owner.name));
}

/** Distinct values, in first-seen order. */
function distinct(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** Workloads running images on :latest or with no tag, once per workload with each such image; the fix names the digest the node runs. */
export const unpinnedImages: AuditRule = ({ snapshot, maintenance }) => {
  const out: Finding[] = [];
  for (const { object, containers } of byOwner(snapshot)) {
    const bad = containers.filter((c) => unpinned(c.image));
    if (!bad.length) continue;
    const images = distinct(bad.map((c) => `${c.image} (container ${c.container}${unpinned(c.image) === 'latest' ? '' : `, ${unpinned(c.image)}`})`));
    const pins = distinct(bad.map((c) => pinnedReference(c.image, c.imageID) ?? '').filter(Boolean));
    out.push({
      severity: 'warning',
      code: 'ImageNotPinned',
      object,
      message: `${object} runs ${images.join(', ')}: pods recreated during the node drains pull whatever that tag points to then, and a rollback cannot return to the build that ran before`,
      fix: `pin a version tag or a digest (image@sha256:...) before ${maintenance.operation}${pins.length ? `; the nodes run ${pins.join(', ')}` : ''}`,
    });
  }
  return out;
};

/** Version tags without a digest: a tag can be pushed again; the digest the node runs is the pin (info). */
export const tagsWithoutDigest: AuditRule = ({ snapshot }) => {
  const out: Finding[] = [];
  for (const { object, containers } of byOwner(snapshot)) {
    const tagged = containers.filter((c) => !c.image.includes('@') && !unpinned(c.image));
    const pins = distinct(tagged.map((c) => pinnedReference(c.image, c.imageID) ?? '').filter(Boolean));
    if (!tagged.length || !pins.length) continue;
    out.push({
      severity: 'info',
      code: 'ImageTagWithoutDigest',
      object,
      message: `${object} runs ${distinct(tagged.map((c) => c.image)).join(', ')} by tag only: a tag can be pushed again, so a pod recreated elsewhere may run another build`,
      fix: `pin the digest the nodes run: ${pins.join(', ')}`,
    });
  }
  return out;
};

/** IfNotPresent with a moving tag: each node keeps whatever build it pulled first, so replicas differ. */
export const pullPolicyTraps: AuditRule = ({ snapshot }) => {
  const out: Finding[] = [];
  for (const { object, containers } of byOwner(snapshot)) {
    const moving = containers.filter((c) => unpinned(c.image) && c.pullPolicy === 'IfNotPresent');
    if (!moving.length) continue;
    out.push({
      severity: 'warning',
      code: 'ImagePullPolicyMovingTag',
      object,
      message: `${object} pulls ${distinct(moving.map((c) => c.image)).join(', ')} with imagePullPolicy IfNotPresent: a node that has the tag keeps its copy and a new node pulls whatever the tag points to now, so pods moved by a drain can run a different build`,
      fix: `pin a version tag or digest; the policy was fixed when the object was created and does not follow a later change of tag, so set imagePullPolicy explicitly when you change it`,
    });
  }
  return out;
};

/** Replicas of one workload running different images or digests for the same container. */
export const imageDrift: AuditRule = ({ snapshot }) => {
  const out: Finding[] = [];
  for (const { owner, object, containers } of byOwner(snapshot)) {
    if (owner.kind === 'Pod') continue;
    for (const name of distinct(containers.map((c) => c.container))) {
      const these = containers.filter((c) => c.container === name);
      const images = distinct(these.map((c) => c.image));
      const digests = distinct(these.map((c) => imageDigest(c.imageID) ?? '').filter(Boolean));
      if (images.length < 2 && digests.length < 2) continue;
      const what = images.length > 1 ? `images ${images.join(', ')}` : `digests ${digests.join(', ')} of ${images[0]}`;
      out.push({
        severity: 'warning',
        code: 'ImageDrift',
        object,
        message: `the replicas of ${object} run different ${what} (container ${name}): a drain replaces them with whatever the template and the registry give now`,
        fix: `finish or undo the rollout (kubectl rollout status ${owner.kind.toLowerCase()}/${owner.name} -n ${owner.namespace}) and pin a digest`,
      });
    }
  }
  return out;
};

/** The inventory `upkeep audit images` prints: one row per container. */
export interface ImageRow {
  pod: { kind: 'Pod'; namespace: string; name: string };
  container: string;
  image: string;
  imageID: string;
  pullPolicy: string;
}

export function imageInventory(pods: readonly Pod[]): ImageRow[] {
  return containerImages(pods).map((c) => ({
    pod: { kind: 'Pod', namespace: c.pod.metadata.namespace ?? '', name: c.pod.metadata.name ?? '' },
    container: c.container,
    image: c.image,
    imageID: c.imageID ?? '',
    pullPolicy: c.pullPolicy,
  }));
}
