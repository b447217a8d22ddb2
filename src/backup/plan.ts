// What a backup collects: a pure decision over the server's discovery and the user's filters.
//
// Every group's preferred version; of its resources, those that can be listed, read and created
// (subresources never: discovery folds them into their resource). A resource served by several
// groups (events in "" and events.k8s.io; the old extensions group) is taken once, from the first
// group seen, with extensions last. Events only when asked by name. Cluster-scoped resources as
// --include-cluster-resources says (auto: when every namespace is backed up, or when named).
import { parseLabelSelector } from '../api/labels.js';
import { resolveResource, type DiscoveryResult } from '../kube/discovery.js';
import { BackupOptionError } from './errors.js';
import { groupResource } from './layout.js';
import type { BackupFailure, BackupFilters, DiscoveredGroup, IncludeClusterResources } from './manifest.js';
import { errorMessage } from '../util/errors.js';

export interface BackupSelection {
  includeNamespaces?: string[];
  excludeNamespaces?: string[];
  /** kubectl's words: "deploy", "po", "deployments.apps", "Secret", or "*". */
  includeResources?: string[];
  excludeResources?: string[];
  labelSelector?: string;
  includeClusterResources?: IncludeClusterResources;
}

export interface PlannedResource {
  groupResource: string;
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
}

export interface SkippedResource {
  groupResource: string;
  reason: string;
}

export interface CollectionPlan {
  resources: PlannedResource[];
  skipped: SkippedResource[];
  /** Group versions discovery could not read (or reported stale): their resources are missing. */
  failed: BackupFailure[];
  filters: BackupFilters;
  /** CRDs are not collected whole, so fetch the CRD of each custom resource that had objects. */
  pullCRDs: boolean;
  /** PVs are not collected whole, so fetch the PV bound to each PVC collected. */
  pullPVs: boolean;
}

/** Verbs a resource needs to be backed up and restored. */
export const REQUIRED_VERBS = ['list', 'get', 'create'];
export const CRD_RESOURCE = 'customresourcedefinitions.apiextensions.k8s.io';
export const NAMESPACES_RESOURCE = 'namespaces';
const EVENTS = new Set(['events', 'events.events.k8s.io']);

export function planCollection(discovery: DiscoveryResult, selection: BackupSelection = {}): CollectionPlan {
  const filters = resolveFilters(discovery, selection);
  const includeAll = filters.includeResources.length === 0 || filters.includeResources.includes('*');
  const explicitlyIncluded = new Set(filters.includeResources);
  const excluded = new Set(filters.excludeResources);
  const allNamespaces = selectsAllNamespaces(filters);
  const clusterScoped = (gr: string) =>
    filters.includeClusterResources === 'true' ||
    (filters.includeClusterResources === 'auto' && (allNamespaces || explicitlyIncluded.has(gr)));

  const resources: PlannedResource[] = [];
  const skipped: SkippedResource[] = [];
  const failed: BackupFailure[] = discovery.failed.map((f) => ({ what: f.groupVersion, kind: 'discovery', message: f.message }));
  const seen = new Map<string, string>();
  for (const group of orderedGroups(discovery)) {
    const version = group.versions.find((v) => v.version === group.preferredVersion) ?? group.versions[0];
    if (version.stale) {
      const gv = group.name ? `${group.name}/${version.version}` : version.version;
      failed.push({ what: gv, kind: 'discovery', message: 'discovery is stale: the server behind this group (an APIService) did not answer' });
      continue;
    }
    for (const r of version.resources) {
      const gr = groupResource(r.resource, r.group);
      const missing = REQUIRED_VERBS.filter((v) => !r.verbs.includes(v));
      const twin = seen.get(`${r.resource}|${r.kind}`);
      const reason = missing.length
        ? `cannot be ${missing.join(', ')} (verbs: ${r.verbs.join(',') || 'none'})`
        : twin
          ? `the same objects as ${twin}, backed up once`
          : excluded.has(gr)
            ? 'excluded by --exclude-resources'
            : !includeAll && !explicitlyIncluded.has(gr)
              ? 'not in --include-resources'
              : EVENTS.has(gr) && !explicitlyIncluded.has(gr)
                ? 'events are left out unless named in --include-resources'
                : !r.namespaced && gr !== NAMESPACES_RESOURCE && !clusterScoped(gr)
                  ? `cluster-scoped, and --include-cluster-resources=${filters.includeClusterResources}${filters.includeClusterResources === 'auto' ? ' with a namespace filter' : ''}`
                  : undefined;
      if (!missing.length && !twin) seen.set(`${r.resource}|${r.kind}`, gr);
      if (reason) {
        skipped.push({ groupResource: gr, reason });
        continue;
      }
      resources.push({ groupResource: gr, group: r.group, version: r.version, resource: r.resource, kind: r.kind, namespaced: r.namespaced });
    }
  }
  // Namespaces are collected even when the resource filters leave them out (unless excluded by
  // name), so that a restore can recreate them with their labels: Velero does the same.
  if (!resources.some((r) => r.groupResource === NAMESPACES_RESOURCE) && !excluded.has(NAMESPACES_RESOURCE)) {
    const ns = discovery.groups.find((g) => g.name === '')?.versions.find((v) => v.version === 'v1')?.resources.find((r) => r.resource === NAMESPACES_RESOURCE);
    if (ns) {
      const i = skipped.findIndex((s) => s.groupResource === NAMESPACES_RESOURCE);
      if (i >= 0) skipped.splice(i, 1);
      resources.unshift({ groupResource: NAMESPACES_RESOURCE, group: '', version: 'v1', resource: NAMESPACES_RESOURCE, kind: 'Namespace', namespaced: false });
    }
  }
  const planned = new Set(resources.map((r) => r.groupResource));
  return {
    resources,
    skipped,
    failed,
    filters,
    pullCRDs: !planned.has(CRD_RESOURCE) && !excluded.has(CRD_RESOURCE),
    pullPVs: !planned.has('persistentvolumes') && !excluded.has('persistentvolumes') && filters.includeClusterResources !== 'false',
  };
}

/** Core group first, then the server's order, the legacy extensions group last. */
function orderedGroups(discovery: DiscoveryResult) {
  const groups = discovery.groups.filter((g) => g.versions.length > 0);
  const rank = (name: string) => (name === '' ? 0 : name === 'extensions' ? 2 : 1);
  return groups.map((g, i) => ({ g, i })).sort((a, b) => rank(a.g.name) - rank(b.g.name) || a.i - b.i).map(({ g }) => g);
}

/** The user's resource words resolved to "resource.group" (kubectl's names and short names). */
export function resolveFilters(discovery: DiscoveryResult, selection: BackupSelection): BackupFilters {
  const resolve = (words: string[] | undefined, flag: string) =>
    (words ?? []).map((w) => {
      if (w === '*') return w;
      try {
        const r = resolveResource(discovery, w);
        return groupResource(r.resource, r.group);
      } catch (e) {
        throw new BackupOptionError(`${flag}: ${errorMessage(e)}`);
      }
    });
  for (const ns of [...(selection.includeNamespaces ?? []), ...(selection.excludeNamespaces ?? [])]) {
    if (!/^[a-z0-9*?]([-a-z0-9*?]*[a-z0-9*?])?$/.test(ns)) throw new BackupOptionError(`invalid namespace "${ns}" in a namespace filter: use a namespace name, or a glob with * and ?`);
  }
  const filters: BackupFilters = {
    includeNamespaces: selection.includeNamespaces ?? [],
    excludeNamespaces: selection.excludeNamespaces ?? [],
    includeResources: resolve(selection.includeResources, '--include-resources'),
    excludeResources: resolve(selection.excludeResources, '--exclude-resources'),
    includeClusterResources: selection.includeClusterResources ?? 'auto',
  };
  if (selection.labelSelector) {
    try {
      parseLabelSelector(selection.labelSelector);
    } catch (e) {
      throw new BackupOptionError(`invalid --selector "${selection.labelSelector}": ${errorMessage(e)}`);
    }
    filters.labelSelector = selection.labelSelector;
  }
  return filters;
}

export function selectsAllNamespaces(filters: Pick<BackupFilters, 'includeNamespaces' | 'excludeNamespaces'>): boolean {
  const inc = filters.includeNamespaces;
  return (inc.length === 0 || inc.includes('*')) && filters.excludeNamespaces.length === 0;
}

/** Namespace filters with globs (* any run, ? one character), as Velero's. */
export function namespaceSelected(namespace: string, filters: Pick<BackupFilters, 'includeNamespaces' | 'excludeNamespaces'>): boolean {
  if (filters.excludeNamespaces.some((p) => globMatch(p, namespace))) return false;
  return filters.includeNamespaces.length === 0 || filters.includeNamespaces.some((p) => globMatch(p, namespace));
}

/**
 * Where to list a namespaced resource: each named namespace when the include list names plain
 * namespaces (fewer objects over the wire), else once across all namespaces, filtered here.
 */
export function listScopes(filters: Pick<BackupFilters, 'includeNamespaces' | 'excludeNamespaces'>): (string | undefined)[] {
  const inc = filters.includeNamespaces;
  if (inc.length > 0 && inc.every((p) => !/[*?]/.test(p))) return [...new Set(inc)].filter((ns) => namespaceSelected(ns, filters));
  return [undefined];
}

export function globMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value);
}

/** Labels that keep an object out of every backup (Velero's, and upkeep's own). */
export const EXCLUDE_LABELS = ['velero.io/exclude-from-backup', 'backup.upkeep.dev/exclude'];

export function excludedByLabel(labels: Record<string, string> | undefined): string | undefined {
  return EXCLUDE_LABELS.find((l) => labels?.[l] === 'true');
}

/** The discovery record kept in the manifest: each group's versions and preferred resources. */
export function discoveryRecord(discovery: DiscoveryResult): DiscoveredGroup[] {
  return discovery.groups.map((g) => ({
    group: g.name,
    preferredVersion: g.preferredVersion,
    versions: g.versions.map((v) => v.version),
    resources: (g.versions.find((v) => v.version === g.preferredVersion)?.resources ?? []).map((r) => ({ resource: r.resource, kind: r.kind, namespaced: r.namespaced })),
  }));
}
