// Discovery documents as kube-apiserver serves them: legacy (/api, /apis, /api/v1, /apis/g/v)
// and aggregated (apidiscovery.k8s.io/v2), built from the registry's resource types.
import { ALL_VERBS, GROUP_ORDER, type ResourceType, groupVersion } from './resources.js';

export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/** Kubernetes' version priority: GA > beta > alpha, higher numbers first (v2 > v1 > v1beta2). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0, v] as const;
    const stage = m[2] === 'alpha' ? 1 : m[2] === 'beta' ? 2 : 3;
    return [stage, Number(m[1]), Number(m[3] ?? 0), v] as const;
  };
  const [sa, ma, na, ra] = parse(a);
  const [sb, mb, nb, rb] = parse(b);
  if (sa !== sb) return sb - sa;
  if (ma !== mb) return mb - ma;
  if (na !== nb) return nb - na;
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

export interface GroupInfo {
  name: string;
  versions: string[]; // preferred first
}

export function groups(types: ResourceType[]): GroupInfo[] {
  const byGroup = new Map<string, Set<string>>();
  for (const t of types) {
    if (!t.group) continue;
    if (!byGroup.has(t.group)) byGroup.set(t.group, new Set());
    byGroup.get(t.group)!.add(t.version);
  }
  const order = (g: string) => {
    const i = GROUP_ORDER.indexOf(g);
    return i === -1 ? GROUP_ORDER.length : i;
  };
  return [...byGroup.entries()]
    .sort(([a], [b]) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, versions]) => ({ name, versions: [...versions].sort(compareVersions) }));
}

function verbsFor(t: ResourceType): string[] {
  return t.verbs ?? ALL_VERBS;
}

export function apiVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupList(types: ResourceType[]): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups(types).map(apiGroup),
  };
}

export function apiGroup(g: GroupInfo): object {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: g.name, versions, preferredVersion: versions[0] };
}

export function apiResourceList(types: ResourceType[], group: string, version: string): object {
  const resources: object[] = [];
  const mine = types.filter((t) => t.group === group && t.version === version).sort((a, b) => (a.resource < b.resource ? -1 : 1));
  for (const t of mine) {
    const r: Record<string, unknown> = {
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: verbsFor(t),
    };
    if (t.shortNames?.length) r.shortNames = t.shortNames;
    if (t.categories?.length) r.categories = t.categories;
    r.storageVersionHash = storageVersionHash(t);
    resources.push(r);
    for (const s of t.subresources) {
      const sr: Record<string, unknown> = { name: `${t.resource}/${s.name}`, singularName: '', namespaced: t.namespaced, kind: s.kind || t.kind, verbs: s.verbs };
      if (s.group !== undefined) {
        sr.group = s.group;
        sr.version = s.version;
      }
      resources.push(sr);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion({ group, version }), resources };
}

function storageVersionHash(t: ResourceType): string {
  // An opaque, stable hash of group/version/kind, as kube publishes for storage migration.
  let h = 2166136261;
  for (const ch of `${t.group}/${t.version}/${t.kind}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return Buffer.from(h.toString(16).padStart(8, '0')).toString('base64').slice(0, 11);
}

function discoveryResource(t: ResourceType): object {
  const r: Record<string, unknown> = {
    resource: t.resource,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: verbsFor(t),
  };
  if (t.shortNames?.length) r.shortNames = t.shortNames;
  if (t.categories?.length) r.categories = t.categories;
  if (t.subresources.length) {
    r.subresources = t.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group ?? t.group, version: s.version ?? t.version, kind: s.kind || t.kind },
      verbs: s.verbs,
    }));
  }
  return r;
}

function discoveryVersion(types: ResourceType[], group: string, version: string): object {
  const resources = types
    .filter((t) => t.group === group && t.version === version)
    .sort((a, b) => (a.resource < b.resource ? -1 : 1))
    .map(discoveryResource);
  return { version, resources, freshness: 'Current' };
}

export function aggregatedDiscovery(types: ResourceType[], legacy: boolean, apiVersion: 'v2' | 'v2beta1'): object {
  const items = legacy
    ? [{ metadata: { name: '', creationTimestamp: null }, versions: [discoveryVersion(types, '', 'v1')] }]
    : groups(types).map((g) => ({
        metadata: { name: g.name, creationTimestamp: null },
        versions: g.versions.map((v) => discoveryVersion(types, g.name, v)),
      }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${apiVersion}`, metadata: {}, items };
}

/** Which aggregated discovery version the Accept header asks for, if any (first match wins). */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const p = part.replace(/\s+/g, '');
    if (!p.includes('as=APIGroupDiscoveryList') || !p.includes('g=apidiscovery.k8s.io')) continue;
    if (p.includes('v=v2beta1')) return 'v2beta1';
    if (p.includes('v=v2')) return 'v2';
  }
  return undefined;
}
