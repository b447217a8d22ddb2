// API discovery: which groups, versions and resources a server serves, and kubectl's way of
// turning a user's word ("po", "deploy", "Deployment", "deployments.apps", "cronjobs.v1.batch")
// into one resource.
//
// Two request shapes. Aggregated discovery (apidiscovery.k8s.io/v2, stable since 1.30) answers
// GET /api and GET /apis with everything in two requests, recognised only by the response's
// Content-Type. Older servers answer the legacy shapes, and each group version then needs its own
// GET /api/v1 or /apis/<g>/<v>. Those run with bounded concurrency; one failing group version (a
// typical case: metrics.k8s.io whose backing service is down) is recorded in `failed` and does
// not fail discovery, as kubectl only warns about it.
import type { RawResponse } from './transport.js';
import { UnknownResourceError } from './errors.js';
import { groupVersionPath } from './paths.js';

export interface SubresourceInfo {
  /** "eviction", "status", "scale", "log" */
  name: string;
  /** Kind the subresource takes/returns ("Eviction"), with its group/version (policy/v1). */
  kind: string;
  group: string;
  version: string;
  verbs: string[];
}

export interface APIResourceInfo {
  group: string;
  version: string;
  /** Plural name, the one in URLs ("deployments"). */
  resource: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames: string[];
  categories: string[];
  subresources: SubresourceInfo[];
}

export interface APIVersionInfo {
  version: string;
  resources: APIResourceInfo[];
  /** Aggregated discovery marks a version Stale when its backing server did not answer. */
  stale?: boolean;
}

export interface APIGroupInfo {
  /** '' for the core group. */
  name: string;
  preferredVersion: string;
  /** Versions in the server's preference order, preferred first. */
  versions: APIVersionInfo[];
}

export interface DiscoveryFailure {
  groupVersion: string;
  message: string;
}

export interface DiscoveryResult {
  /** Core group first, then the groups in the server's order. */
  groups: APIGroupInfo[];
  /** Whether the server answered with aggregated discovery. */
  aggregated: boolean;
  /** Group versions whose resources could not be read (their resources are missing). */
  failed: DiscoveryFailure[];
}

/** What discovery needs from the client: a raw GET that hands back the Content-Type. */
export type DiscoveryGet = (path: string, accept: string) => Promise<RawResponse>;

// What kubectl 1.32 sends: aggregated v2, then v2beta1, then the legacy shapes.
export const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,' +
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

export const DEFAULT_DISCOVERY_CONCURRENCY = 8;

export async function discover(get: DiscoveryGet, concurrency = DEFAULT_DISCOVERY_CONCURRENCY): Promise<DiscoveryResult> {
  const [core, named] = await Promise.all([get('/api', AGGREGATED_ACCEPT), get('/apis', AGGREGATED_ACCEPT)]);
  const groups: APIGroupInfo[] = [];
  const failed: DiscoveryFailure[] = [];
  const pending: { group: APIGroupInfo; version: APIVersionInfo }[] = [];
  let aggregated = true;

  for (const response of [core, named]) {
    if (isAggregatedDiscovery(response.contentType)) {
      groups.push(...parseAggregated(parseBody<AggregatedList>(response)));
      continue;
    }
    aggregated = false;
    for (const group of parseLegacyIndex(parseBody<LegacyIndex>(response))) {
      groups.push(group);
      for (const version of group.versions) pending.push({ group, version });
    }
  }

  await runBounded(pending, concurrency, async ({ group, version }) => {
    const gv = group.name ? `${group.name}/${version.version}` : version.version;
    try {
      const response = await get(groupVersionPath(group.name, version.version), 'application/json, */*');
      version.resources = parseResourceList(parseBody<LegacyResourceList>(response), group.name, version.version);
    } catch (err) {
      failed.push({ groupVersion: gv, message: err instanceof Error ? err.message : String(err) });
    }
  });
  // Drop versions that could not be read, and groups left without any.
  const failedSet = new Set(failed.map((f) => f.groupVersion));
  const result = groups
    .map((g) => ({
      ...g,
      versions: g.versions.filter((v) => !failedSet.has(g.name ? `${g.name}/${v.version}` : v.version)),
    }))
    .filter((g) => g.versions.length > 0);
  failed.sort((a, b) => a.groupVersion.localeCompare(b.groupVersion));
  return { groups: result, aggregated, failed };
}

/** GET /api/v1 or /apis/<g>/<v> (legacy shape): what kubectl drain uses to check for pods/eviction. */
export async function serverResourcesForGroupVersion(get: DiscoveryGet, groupVersion: string): Promise<APIResourceInfo[]> {
  const slash = groupVersion.indexOf('/');
  const group = slash < 0 ? '' : groupVersion.slice(0, slash);
  const version = slash < 0 ? groupVersion : groupVersion.slice(slash + 1);
  const response = await get(groupVersionPath(group, version), 'application/json, */*');
  return parseResourceList(parseBody<LegacyResourceList>(response), group, version);
}

/** True for `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList` (any parameter order; v2beta1 too). */
export function isAggregatedDiscovery(contentType: string): boolean {
  const [mediaType, ...rawParams] = contentType.split(';').map((p) => p.trim());
  if (mediaType.toLowerCase() !== 'application/json') return false;
  const params = new Map<string, string>();
  for (const p of rawParams) {
    const eq = p.indexOf('=');
    if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return (
    params.get('g') === 'apidiscovery.k8s.io' &&
    (params.get('v') === 'v2' || params.get('v') === 'v2beta1') &&
    params.get('as') === 'APIGroupDiscoveryList'
  );
}

/** The decode boundary: discovery answers are read as the wire shapes below (only the fields used). */
function parseBody<T>(response: RawResponse): T {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new Error(`the server's discovery answer is not JSON (Content-Type ${response.contentType || 'none'})`);
  }
}

// --- shapes (only the fields read) ---

/** /api (APIVersions) or /apis (APIGroupList), legacy discovery. */
export interface LegacyIndex {
  kind?: string;
  versions?: unknown;
  groups?: { name?: string; versions?: { version?: string }[]; preferredVersion?: { version?: string } }[];
}

export interface LegacyResourceList {
  kind?: string;
  apiVersion?: string;
  groupVersion?: string;
  resources?: LegacyResource[];
}

export interface AggregatedList {
  items?: {
    metadata?: { name?: string };
    versions?: {
      version?: string;
      freshness?: string;
      resources?: {
        resource?: string;
        responseKind?: { group?: string; version?: string; kind?: string };
        scope?: string;
        singularResource?: string;
        verbs?: string[];
        shortNames?: string[];
        categories?: string[];
        subresources?: {
          subresource?: string;
          responseKind?: { group?: string; version?: string; kind?: string };
          verbs?: string[];
        }[];
      }[];
    }[];
  }[];
}

export interface LegacyResource {
  name?: string;
  singularName?: string;
  namespaced?: boolean;
  group?: string;
  version?: string;
  kind?: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}

export function parseAggregated(list: AggregatedList): APIGroupInfo[] {
  const groups: APIGroupInfo[] = [];
  for (const item of list.items ?? []) {
    const name = item.metadata?.name ?? '';
    const versions: APIVersionInfo[] = [];
    for (const v of item.versions ?? []) {
      if (!v.version) continue;
      const version = v.version;
      const resources: APIResourceInfo[] = (v.resources ?? [])
        .filter((r) => r.resource)
        .map((r) => ({
          group: name,
          version,
          resource: r.resource ?? '',
          singularName: r.singularResource ?? '',
          kind: r.responseKind?.kind ?? '',
          namespaced: r.scope === 'Namespaced',
          verbs: r.verbs ?? [],
          shortNames: r.shortNames ?? [],
          categories: r.categories ?? [],
          subresources: (r.subresources ?? [])
            .filter((s) => s.subresource)
            .map((s) => ({
              name: s.subresource ?? '',
              kind: s.responseKind?.kind ?? '',
              group: s.responseKind?.kind ? (s.responseKind.group ?? '') : name,
              version: s.responseKind?.kind ? (s.responseKind.version ?? '') : version,
              verbs: s.verbs ?? [],
            })),
        }));
      const info: APIVersionInfo = { version, resources };
      if (v.freshness === 'Stale') info.stale = true;
      versions.push(info);
    }
    if (versions.length > 0) groups.push({ name, preferredVersion: versions[0].version, versions });
  }
  return groups;
}

/** /api (APIVersions) or /apis (APIGroupList): groups and versions, resources still empty. */
export function parseLegacyIndex(value: LegacyIndex): APIGroupInfo[] {
  if (value.kind === 'APIVersions' || (Array.isArray(value.versions) && !value.groups)) {
    const versions = (Array.isArray(value.versions) ? value.versions : []).filter((v): v is string => typeof v === 'string');
    if (versions.length === 0) return [];
    return [{ name: '', preferredVersion: versions[0], versions: versions.map((v) => ({ version: v, resources: [] })) }];
  }
  const groups: APIGroupInfo[] = [];
  for (const g of value.groups ?? []) {
    if (!g.name) continue;
    const all = (g.versions ?? []).map((v) => v.version).filter((v): v is string => Boolean(v));
    if (all.length === 0) continue;
    const preferred = g.preferredVersion?.version && all.includes(g.preferredVersion.version) ? g.preferredVersion.version : all[0];
    const ordered = [preferred, ...all.filter((v) => v !== preferred)];
    groups.push({ name: g.name, preferredVersion: preferred, versions: ordered.map((v) => ({ version: v, resources: [] })) });
  }
  return groups;
}

/** An APIResourceList: resources, with "pods/eviction"-style entries folded into subresources. */
export function parseResourceList(body: LegacyResourceList, group: string, version: string): APIResourceInfo[] {
  const entries = (body.resources ?? []).filter((r) => r.name);
  const byName = new Map<string, APIResourceInfo>();
  for (const r of entries) {
    const name = r.name ?? '';
    if (name.includes('/')) continue;
    byName.set(name, {
      group,
      version,
      resource: name,
      singularName: r.singularName || '',
      kind: r.kind ?? '',
      namespaced: r.namespaced === true,
      verbs: r.verbs ?? [],
      shortNames: r.shortNames ?? [],
      categories: r.categories ?? [],
      subresources: [],
    });
  }
  for (const r of entries) {
    const name = r.name ?? '';
    const slash = name.indexOf('/');
    if (slash < 0) continue;
    const parent = byName.get(name.slice(0, slash));
    if (!parent) continue;
    // A subresource's own group/version (eviction: policy/v1) is given when it differs.
    parent.subresources.push({
      name: name.slice(slash + 1),
      kind: r.kind ?? '',
      group: r.version ? (r.group ?? '') : group,
      version: r.version || version,
      verbs: r.verbs ?? [],
    });
  }
  return [...byName.values()];
}

async function runBounded<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(workers);
}

// --- resolving a user's resource name ---

export interface ResolvedResource extends APIResourceInfo {
  /** Whether the version is its group's preferred one. */
  preferred: boolean;
}

/**
 * Resolve a resource name as kubectl does: "pods", "pod", "po", "Pod", "deployments.apps",
 * "deploy.apps", "cronjobs.v1.batch". Exact plural names win over singular names, then short
 * names, then kinds (case-insensitive); among equals the core group wins, then the server's
 * group order (so "nodes" is core nodes, not metrics.k8s.io's), preferred versions first.
 */
export function resolveResource(discovery: DiscoveryResult, input: string): ResolvedResource {
  const word = input.trim();
  if (!word) throw new UnknownResourceError(input);
  const lower = word.toLowerCase();
  const all = candidates(discovery);

  if (lower.includes('.')) {
    const parts = lower.split('.');
    // resource.version.group, when the second part is one of the group's versions.
    if (parts.length >= 3) {
      const [name, version] = parts;
      const group = parts.slice(2).join('.');
      const found = bestMatch(name, all.filter((c) => c.group === group && c.version === version));
      if (found) return found;
    }
    const [name] = parts;
    const group = parts.slice(1).join('.');
    const inGroup = all.filter((c) => c.group === group);
    const found = bestMatch(name, inGroup);
    if (found) return found;
    const suggestion = suggest(name, inGroup);
    throw new UnknownResourceError(word, suggestion ? `${suggestion}.${group}` : undefined);
  }
  const found = bestMatch(lower, all);
  if (found) return found;
  throw new UnknownResourceError(word, suggest(lower, all));
}

function candidates(discovery: DiscoveryResult): ResolvedResource[] {
  const preferred: ResolvedResource[] = [];
  const others: ResolvedResource[] = [];
  const groups = [...discovery.groups].sort((a, b) => (a.name === '' ? -1 : b.name === '' ? 1 : 0));
  for (const group of groups) {
    for (const version of group.versions) {
      const isPreferred = version.version === group.preferredVersion;
      for (const r of version.resources) (isPreferred ? preferred : others).push({ ...r, preferred: isPreferred });
    }
  }
  return [...preferred, ...others];
}

function bestMatch(word: string, list: ResolvedResource[]): ResolvedResource | undefined {
  return (
    list.find((c) => c.resource.toLowerCase() === word) ??
    list.find((c) => c.singularName.toLowerCase() === word) ??
    list.find((c) => c.shortNames.some((s) => s.toLowerCase() === word)) ??
    // Kinds also cover servers that leave singularName empty: kubectl derives it from the kind.
    list.find((c) => c.kind.toLowerCase() === word)
  );
}

function suggest(word: string, list: ResolvedResource[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const c of list) {
    // Short names are too short to compare by edit distance ("pods" is two edits from "ds").
    for (const name of [c.resource, c.singularName]) {
      if (!name) continue;
      const distance = editDistance(word, name.toLowerCase());
      if (distance <= 2 && (!best || distance < best.distance)) best = { name: c.resource, distance };
    }
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}
