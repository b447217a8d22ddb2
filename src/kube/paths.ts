// REST paths and query strings of the Kubernetes API.
//
// The core ("legacy") group lives under /api/v1; every other group under /apis/<group>/<version>.
// Namespaced objects sit under .../namespaces/<ns>/<resource>/<name>[/<subresource>].

/** Where a resource (or one object of it) lives: the parts of a REST path. */
export interface ResourceRef {
  /** API group; '' (or omitted) for the core group. */
  group?: string;
  version: string;
  /** Plural resource name as the API spells it ("pods", "deployments"). */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Query parameters; undefined values are left out, arrays repeat the key. */
export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

/** "/api/v1" for the core group, "/apis/<group>/<version>" otherwise. */
export function groupVersionPath(group: string | undefined, version: string): string {
  if (!version) throw new Error('an API version is required to build a path');
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** The path of a collection, an object or an object's subresource. */
export function resourcePath(ref: ResourceRef): string {
  if (!ref.resource) throw new Error('a resource name is required to build a path');
  if (ref.subresource && !ref.name) {
    throw new Error(`subresource "${ref.subresource}" of ${ref.resource} needs an object name`);
  }
  let path = groupVersionPath(ref.group, ref.version);
  if (ref.namespace) path += `/namespaces/${segment(ref.namespace, 'namespace')}`;
  path += `/${segment(ref.resource, 'resource')}`;
  if (ref.name) path += `/${segment(ref.name, 'name')}`;
  if (ref.subresource) path += `/${segment(ref.subresource, 'subresource')}`;
  return path;
}

function segment(value: string, what: string): string {
  // A name of "." or ".." or one with a slash would address a different path; the API server
  // rejects such names anyway (path segment names), so refuse them early and loudly.
  if (value === '.' || value === '..' || value.includes('/')) {
    throw new Error(`invalid ${what} "${value}": may not be "." or ".." or contain "/"`);
  }
  return encodeURIComponent(value);
}

/** "?a=1&b=x" (empty string when there is nothing to send). */
export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const v of value as readonly string[]) params.append(key, v);
    } else {
      params.append(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Split "apps/v1" into group "apps" and version "v1"; "v1" is the core group. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The parts of a resource path, or undefined when the path is not a resource path (e.g. /version). */
export function parseResourcePath(path: string): ResourceRef | undefined {
  const clean = path.split('?')[0];
  const parts = clean.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  let group = '';
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) {
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  const version = parts[0] === 'api' ? parts[1] : parts[2];
  if (rest.length === 0) return undefined;
  const ref: ResourceRef = { group, version, resource: rest[0] };
  let i = 1;
  // "namespaces/<ns>/<resource>..." is a namespaced path; "namespaces/<ns>" alone is the
  // Namespace object itself, and "namespaces/<ns>/status|finalize" its subresources.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(rest[2])) {
    ref.namespace = rest[1];
    ref.resource = rest[2];
    i = 3;
  }
  if (rest[i] !== undefined) ref.name = rest[i];
  if (rest[i + 1] !== undefined) ref.subresource = rest.slice(i + 1).join('/');
  return ref;
}
