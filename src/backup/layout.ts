// The archive's layout: Velero's backup tarball format 1.1.0, so Velero's own tooling (and a
// Velero user's restore habits) work on upkeep's archives and upkeep restores Velero's.
//
//   metadata/version                                             "1.1.0\n"
//   resources/<resource[.group]>/namespaces/<ns>/<name>.json     namespaced object
//   resources/<resource[.group]>/cluster/<name>.json             cluster-scoped object
//   resources/<resource[.group]>/<version>-preferredversion/...  the same object, by its version
//   upkeep/checksums.sha256                                      sha256sum's format, every entry above
//   upkeep/secrets-key.age                                       the archive's Secret key, for its recipients
//   upkeep/manifest.json                                         counts, cluster, filters, failures (last)
//
// Core resources carry no group suffix ("pods"); all others are "resource.group" ("jobs.batch").

export const VELERO_FORMAT_VERSION = '1.1.0';
export const METADATA_VERSION_ENTRY = 'metadata/version';
export const MANIFEST_ENTRY = 'upkeep/manifest.json';
export const CHECKSUMS_ENTRY = 'upkeep/checksums.sha256';
export const SECRETS_KEY_ENTRY = 'upkeep/secrets-key.age';
export const RESOURCES_DIR = 'resources';
const PREFERRED_SUFFIX = '-preferredversion';

/** Velero's tar entries carry mode 0755 (its writer's choice, kept so archives look alike). */
export const ENTRY_MODE = 0o755;

/** "pods", "deployments.apps": how Kubernetes and Velero name a group's resource. */
export function groupResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** The resource and group of "deployments.apps" (the first dot splits: resources have none). */
export function splitGroupResource(gr: string): { resource: string; group: string } {
  const dot = gr.indexOf('.');
  return dot < 0 ? { resource: gr, group: '' } : { resource: gr.slice(0, dot), group: gr.slice(dot + 1) };
}

export interface ObjectLocation {
  /** "deployments.apps" */
  groupResource: string;
  /** Undefined for a cluster-scoped object. */
  namespace?: string;
  name: string;
}

/** The object's two entries: the unversioned copy (read by restores) and the preferred-version copy. */
export function objectEntries(loc: ObjectLocation, version: string): [string, string] {
  const scope = loc.namespace === undefined ? `cluster/${loc.name}.json` : `namespaces/${loc.namespace}/${loc.name}.json`;
  const base = `${RESOURCES_DIR}/${loc.groupResource}`;
  return [`${base}/${scope}`, `${base}/${version}${PREFERRED_SUFFIX}/${scope}`];
}

export interface ParsedEntry extends ObjectLocation {
  /** The version folder ("v1" with preferred true for "v1-preferredversion"); undefined for the unversioned copy. */
  version?: string;
  preferred: boolean;
}

/**
 * Which object an entry path holds; undefined for paths that are not object entries. Names may
 * hold any character but "/" (RBAC's "system:node"), so only the shape of the path counts.
 */
export function parseEntryPath(path: string): ParsedEntry | undefined {
  const parts = path.split('/');
  if (parts[0] !== RESOURCES_DIR || parts.length < 4) return undefined;
  const gr = parts[1];
  let rest = parts.slice(2);
  let version: string | undefined;
  let preferred = false;
  if (rest[0] !== 'cluster' && rest[0] !== 'namespaces') {
    version = rest[0];
    if (version.endsWith(PREFERRED_SUFFIX)) {
      version = version.slice(0, -PREFERRED_SUFFIX.length);
      preferred = true;
    }
    rest = rest.slice(1);
  }
  const file = rest[rest.length - 1];
  if (!gr || !file?.endsWith('.json') || file === '.json') return undefined;
  const name = file.slice(0, -'.json'.length);
  if (rest[0] === 'cluster' && rest.length === 2) return { groupResource: gr, name, version, preferred };
  if (rest[0] === 'namespaces' && rest.length === 3 && rest[1]) return { groupResource: gr, namespace: rest[1], name, version, preferred };
  return undefined;
}

/**
 * Whether an entry path may be written under an extraction directory: relative, no "." or ".."
 * segments, no empty segment, no NUL. A foreign tarball must not write outside the directory.
 */
export function isSafeEntryPath(path: string): boolean {
  if (!path || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
