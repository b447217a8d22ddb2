// Where an image comes from and which pull secrets hold credentials for it. The reference
// grammar is the distribution project's (github.com/distribution/reference: the first path
// component is a registry host when it has a "." or a ":" or is "localhost"; otherwise the image
// is on Docker Hub), and keys in a docker config are matched the way the kubelet's credential
// keyring does (pkg/credentialprovider: scheme and /v1/ /v2/ suffixes ignored, "*" globs per
// DNS label, the key's path a prefix of the image's repository).
import type { Secret } from '../api/types.js';
import { isJsonObject, jsonObject } from '../util/json.js';

/** The hosts that all mean Docker Hub. */
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * Registries that serve public images without credentials. Images elsewhere are taken as
 * private: a pod without a pull secret for them starts only on nodes that have the image or
 * their own credentials (a kubelet credential provider).
 */
export const PUBLIC_REGISTRIES: readonly string[] = ['docker.io', 'registry.k8s.io', 'k8s.gcr.io', 'gcr.io', 'quay.io', 'ghcr.io', 'mcr.microsoft.com', 'public.ecr.aws'];

export interface ImageRef {
  /** "docker.io" for Docker Hub, else the host as written (with its port). */
  host: string;
  /** The repository path under the host: "library/nginx", "team/app". */
  repository: string;
}

/** The registry host and repository of an image reference ("nginx" is docker.io/library/nginx). */
export function parseImage(image: string): ImageRef {
  const name = image.split('@')[0];
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isHost = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = isHost ? (DOCKER_HUB.has(first) ? 'docker.io' : first) : 'docker.io';
  let path = isHost ? name.slice(slash + 1) : name;
  const colon = path.lastIndexOf(':');
  if (colon > path.lastIndexOf('/')) path = path.slice(0, colon);
  if (host === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { host, repository: path };
}

/** An image pulled without credentials from a known public registry? */
export function isPublicRegistry(host: string): boolean {
  return PUBLIC_REGISTRIES.includes(host);
}

/** A docker config key ("https://index.docker.io/v1/", "registry.local:5000/team") as host and path. */
export function parseCredentialKey(key: string): ImageRef {
  let k = key.trim().replace(/^[a-z]+:\/\//i, '');
  k = k.replace(/\/v[12]\/?$/, '').replace(/\/+$/, '');
  const slash = k.indexOf('/');
  const host = (slash < 0 ? k : k.slice(0, slash)).toLowerCase();
  return { host: DOCKER_HUB.has(host) ? 'docker.io' : host, repository: slash < 0 ? '' : k.slice(slash + 1) };
}

/** "*.example.com" matches "a.example.com" (one label per "*"), ports must be equal. */
function hostMatches(pattern: string, host: string): boolean {
  const [pHost, pPort = ''] = pattern.split(':');
  const [hHost, hPort = ''] = host.split(':');
  if (pPort !== hPort) return false;
  const p = pHost.split('.');
  const h = hHost.split('.');
  if (p.length !== h.length) return false;
  return p.every((label, i) => {
    const re = new RegExp(`^${label.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*')}$`);
    return re.test(h[i]);
  });
}

/** Does a docker config key hold credentials for this image? */
export function keyMatches(key: string, image: ImageRef): boolean {
  const k = parseCredentialKey(key);
  if (!hostMatches(k.host, image.host.toLowerCase())) return false;
  return k.repository === '' || image.repository === k.repository || image.repository.startsWith(`${k.repository}/`);
}

/** The Secret types the kubelet reads pull credentials from. */
export const PULL_SECRET_TYPES = ['kubernetes.io/dockerconfigjson', 'kubernetes.io/dockercfg'] as const;

export type PullSecretCheck = { ok: true; keys: string[] } | { ok: false; problem: 'wrong-type' | 'unparsable'; detail: string };

function decodeJson(data: string | undefined): unknown {
  if (data === undefined) throw new Error('no data');
  return JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
}

function objectKeys(v: unknown): string[] | undefined {
  return isJsonObject(v) ? Object.keys(v) : undefined;
}

/** The registry keys a pull secret holds credentials for, or why the kubelet cannot use it. */
export function pullSecretKeys(secret: Pick<Secret, 'type' | 'data'>): PullSecretCheck {
  const type = secret.type ?? 'Opaque';
  const [json, cfg] = PULL_SECRET_TYPES;
  if (type !== json && type !== cfg) return { ok: false, problem: 'wrong-type', detail: `type ${type}, not ${json} or ${cfg}` };
  const field = type === json ? '.dockerconfigjson' : '.dockercfg';
  let parsed: unknown;
  try {
    parsed = decodeJson(secret.data?.[field]);
  } catch (e) {
    return { ok: false, problem: 'unparsable', detail: `its ${field} is not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  // dockerconfigjson is {"auths": {KEY: ...}}; the older dockercfg is {KEY: ...}.
  const keys = type === json ? objectKeys(jsonObject(parsed)?.auths) : objectKeys(parsed);
  if (!keys) return { ok: false, problem: 'unparsable', detail: type === json ? `its ${field} has no "auths" object` : `its ${field} is not an object` };
  return { ok: true, keys };
}
