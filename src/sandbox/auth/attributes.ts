// Request attributes as kube-apiserver's RequestInfoFactory reads them from a method and URL
// (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go), and the 403 its authorization filter
// writes from them (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go).
import { StatusError, errors, qualifiedResource } from '../../api/status.js';
import { queryBool } from '../server/wire.js';

export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface Attributes {
  verb: string;
  resourceRequest: boolean;
  /** Non-resource requests: the URL path. */
  path: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** The authorization verb of an HTTP method on a resource (before watch/list/deletecollection). */
const REQUEST_VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
/** Namespace subresources: /api/v1/namespaces/x/status is the namespace's status, not a resource "status". */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function requestAttributes(method: string, url: URL): Attributes {
  const path = url.pathname;
  const nonResource: Attributes = { verb: method.toLowerCase(), resourceRequest: false, path, apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  let apiGroup = '';
  let apiVersion: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    apiVersion = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiGroup = parts[1];
    apiVersion = parts[2];
    rest = parts.slice(3);
  } else return nonResource;
  let verb = REQUEST_VERBS[method] ?? method.toLowerCase();
  if (rest[0] === 'watch' || rest[0] === 'proxy') {
    verb = rest[0];
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
  }
  const [resource = '', name = '', subresource = ''] = rest;
  const a: Attributes = { verb, resourceRequest: true, path, apiGroup, apiVersion, namespace, resource, subresource: verb === 'proxy' ? '' : subresource, name };
  if (!name && a.verb === 'get') a.verb = queryBool(url.searchParams, 'watch') === true ? 'watch' : 'list';
  if (!name && a.verb === 'delete') a.verb = 'deletecollection';
  // A list or watch of one object by field selector is authorized as that object (kube >= 1.?: resourceNames work for watches).
  if (!name && (a.verb === 'list' || a.verb === 'watch')) {
    const one = /(?:^|,)metadata\.name==?([^,]+)(?:,|$)/.exec(url.searchParams.get('fieldSelector') ?? '');
    if (one) a.name = one[1];
  }
  return a;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** responsewriters.forbiddenMessage: who cannot do what, where. */
export function forbiddenMessage(user: string, a: Attributes): string {
  if (!a.resourceRequest) return `User ${JSON.stringify(user)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `User ${JSON.stringify(user)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${where}`;
}

/** apierrors.NewForbidden over the request's group/resource and name, with the authorizer's reason appended. */
export function forbidden(user: string, a: Attributes, reason = ''): StatusError {
  const msg = forbiddenMessage(user, a) + (reason ? `: ${reason}` : '');
  if (!a.resourceRequest || !a.resource) return errors.forbidden(`forbidden: ${msg}`, {});
  const what = qualifiedResource(a.resource, a.apiGroup);
  return errors.forbidden(a.name ? `${what} ${JSON.stringify(a.name)} is forbidden: ${msg}` : `${what} is forbidden: ${msg}`, {
    name: a.name || undefined,
    group: a.apiGroup || undefined,
    kind: a.resource,
  });
}
