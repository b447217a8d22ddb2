// Image references: the tag of one, whether it is pinned, and the audit rule for workloads whose
// images are not (`:latest` or no tag): every pod recreated during maintenance pulls whatever the
// tag points to then, and a rollback cannot return to the build that ran before.
import { controllerOf, isMirrorPod } from '../api/pods.js';
import type { KubeObject, Pod } from '../api/types.js';
import { type Finding, objectName } from './finding.js';
import type { AuditRule } from './rules.js';

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

/** Workloads running images on :latest or with no tag, once per workload with each such image. */
export const unpinnedImages: AuditRule = ({ snapshot, maintenance }) => {
  const index = new Map(snapshot.workloads.map((w) => [`${w.kind}/${w.metadata.namespace ?? ''}/${w.metadata.name ?? ''}`, w]));
  const byOwner = new Map<string, { owner: Owner; images: Set<string> }>();
  for (const pod of snapshot.pods) {
    if (isMirrorPod(pod)) continue;
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      if (typeof c?.image !== 'string') continue;
      const why = unpinned(c.image);
      if (!why) continue;
      const owner = imageOwner(pod, index);
      const key = `${owner.kind}/${owner.namespace}/${owner.name}`;
      const entry = byOwner.get(key) ?? { owner, images: new Set<string>() };
      entry.images.add(`${c.image} (container ${c.name}${why === 'latest' ? '' : `, ${why}`})`);
      byOwner.set(key, entry);
    }
  }
  return [...byOwner.values()]
    .sort((a, b) => a.owner.namespace.localeCompare(b.owner.namespace) || a.owner.name.localeCompare(b.owner.name))
    .map(({ owner, images }): Finding => {
      const object = objectName(owner.kind, owner.namespace, owner.name);
      return {
        severity: 'warning',
        code: 'ImageNotPinned',
        object,
        message: `${object} runs ${[...images].join(', ')}: pods recreated during the node drains pull whatever that tag points to then, and a rollback cannot return to the build that ran before`,
        fix: `pin a version tag or a digest (image@sha256:...) before ${maintenance.operation}`,
      };
    });
};
