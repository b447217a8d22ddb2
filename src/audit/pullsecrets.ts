// Pull secrets: a pod moved by a drain is pulled again on a node that may not have its image.
// Secrets are per namespace; the kubelet reads only kubernetes.io/dockerconfigjson and
// kubernetes.io/dockercfg secrets and picks credentials by registry host. A pod whose private
// image has no usable credentials starts only where the image is already cached.
import type { Pod, Secret } from '../api/types.js';
import { type Finding, objectName } from './finding.js';
import { containerImages, imageOwner } from './images.js';
import { isPublicRegistry, keyMatches, parseImage, pullSecretKeys } from './registry.js';
import type { AuditRule } from './rules.js';
import type { Snapshot } from './snapshot.js';

/** The pull secret names a pod uses: its own (the ServiceAccount admission copied the account's in at creation) and its ServiceAccount's now. */
export function pullSecretNames(pod: Pod, snapshot: Pick<Snapshot, 'serviceAccounts'>): string[] {
  const ns = pod.metadata.namespace ?? '';
  const account = pod.spec?.serviceAccountName ?? 'default';
  const sa = snapshot.serviceAccounts?.find((a) => a.metadata.namespace === ns && a.metadata.name === account);
  const names = [...(pod.spec?.imagePullSecrets ?? []), ...(sa?.imagePullSecrets ?? [])].map((r) => r.name ?? '').filter(Boolean);
  return [...new Set(names)];
}

interface OwnerProblems {
  object: string;
  namespace: string;
  /** Secret problems, by secret name. */
  secrets: Map<string, SecretProblem>;
  /** Private images with no credentials, with the secrets tried. */
  images: Map<string, string[]>;
}

interface SecretProblem {
  missing: boolean;
  text: string;
}

function secretProblem(name: string, ns: string, secret: Secret | undefined): SecretProblem | undefined {
  if (!secret) return { missing: true, text: `secret ${ns}/${name} does not exist in the pod's namespace (secrets are per namespace)` };
  const check = pullSecretKeys(secret);
  if (check.ok) return undefined;
  return { missing: false, text: `secret ${ns}/${name} cannot be used for pulls: ${check.detail}` };
}

/** Everything wrong with the pods' pull credentials, grouped by the object the pods come from. */
function problemsByOwner(snapshot: Snapshot): OwnerProblems[] {
  const secrets = snapshot.secrets ?? [];
  const unreadable = new Set(snapshot.unreadableSecrets ?? []);
  const index = new Map(snapshot.workloads.map((w) => [`${w.kind}/${w.metadata.namespace ?? ''}/${w.metadata.name ?? ''}`, w]));
  const owners = new Map<string, OwnerProblems>();
  for (const c of containerImages(snapshot.pods)) {
    const ns = c.pod.metadata.namespace ?? '';
    const owner = imageOwner(c.pod, index);
    const key = `${owner.kind}/${ns}/${owner.name}`;
    const entry = owners.get(key) ?? { object: objectName(owner.kind, ns, owner.name), namespace: ns, secrets: new Map(), images: new Map() };
    owners.set(key, entry);
    const all = pullSecretNames(c.pod, snapshot);
    const names = all.filter((n) => !unreadable.has(`${ns}/${n}`));
    const usable: string[][] = [];
    for (const name of names) {
      const secret = secrets.find((s) => s.metadata.namespace === ns && s.metadata.name === name);
      const problem = secretProblem(name, ns, secret);
      if (problem) entry.secrets.set(name, problem);
      else if (secret) usable.push(pullSecretKeysOf(secret));
    }
    const ref = parseImage(c.image);
    // A secret the user may not read could hold the credentials: say nothing rather than guess.
    if (isPublicRegistry(ref.host) || names.length < all.length) continue;
    if (!usable.some((keys) => keys.some((k) => keyMatches(k, ref)))) entry.images.set(c.image, names);
  }
  return [...owners.values()].filter((o) => o.secrets.size || o.images.size);
}

function pullSecretKeysOf(secret: Secret): string[] {
  const check = pullSecretKeys(secret);
  return check.ok ? check.keys : [];
}

/** Pull secrets that are missing, of the wrong type or unparsable; private images no secret has credentials for. */
export const pullSecrets: AuditRule = ({ snapshot }) => {
  if (!snapshot.secrets) return [];
  const out: Finding[] = [];
  for (const o of problemsByOwner(snapshot)) {
    for (const [name, problem] of o.secrets) {
      const missing = problem.missing;
      out.push({
        severity: 'warning',
        code: missing ? 'ImagePullSecretMissing' : 'ImagePullSecretInvalid',
        object: o.object,
        message: `${o.object} names pull secret ${name}, but ${problem.text}: a pod moved to a node without its image may fail to pull (ErrImagePull)`,
        fix: missing
          ? `create it in ${o.namespace}: kubectl create secret docker-registry ${name} -n ${o.namespace} --docker-server=HOST --docker-username=USER --docker-password=...`
          : `recreate it as a docker-registry secret: kubectl delete secret ${name} -n ${o.namespace} && kubectl create secret docker-registry ${name} -n ${o.namespace} --docker-server=HOST --docker-username=USER --docker-password=...`,
      });
    }
    for (const [image, tried] of o.images) {
      const host = parseImage(image).host;
      out.push({
        severity: 'warning',
        code: tried.length ? 'ImagePullSecretNoCredentials' : 'PrivateImageNoPullSecret',
        object: o.object,
        message: tried.length
          ? `${o.object} pulls ${image} from ${host}, but its pull secrets (${tried.join(', ')}) hold no credentials for ${host}: moved to a node without the image, its pods fail with ErrImagePull`
          : `${o.object} pulls ${image} from the private registry ${host} with no pull secret (on the pod or its ServiceAccount): moved to a node without the image or its own credentials, its pods fail with ErrImagePull`,
        fix: `kubectl create secret docker-registry regcred -n ${o.namespace} --docker-server=${host} --docker-username=USER --docker-password=... and add it to the pod template's imagePullSecrets (or the ServiceAccount's)`,
      });
    }
  }
  return out;
};
