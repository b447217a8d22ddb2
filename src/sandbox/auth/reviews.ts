// The create-only review APIs kube-apiserver answers without storing anything:
// authorization.k8s.io/v1 SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview,
// LocalSubjectAccessReview (`kubectl auth can-i [--list]`), authentication.k8s.io/v1
// SelfSubjectReview (`kubectl auth whoami`) and TokenReview, and the serviceaccounts/token
// subresource (TokenRequest, `kubectl create token`).
import { StatusError, errors, failure } from '../../api/status.js';
import type { PolicyRule, StatusCause } from '../../api/types.js';
import { isoTime } from '../clock.js';
import { isJsonObject, type JsonObject } from '../server/json.js';
import type { Attributes, UserInfo } from './attributes.js';
import type { SandboxAuth } from './auth.js';
import { API_AUDIENCE, type BoundObject, DEFAULT_EXPIRATION_SECONDS, MIN_EXPIRATION_SECONDS } from './tokens.js';

export interface ReviewAnswer {
  code: number;
  body: unknown;
}

const AUTHZ = 'authorization.k8s.io';
const AUTHN = 'authentication.k8s.io';
const REVIEWS: Record<string, string> = {
  [`${AUTHZ}/selfsubjectaccessreviews`]: 'SelfSubjectAccessReview',
  [`${AUTHZ}/selfsubjectrulesreviews`]: 'SelfSubjectRulesReview',
  [`${AUTHZ}/subjectaccessreviews`]: 'SubjectAccessReview',
  [`${AUTHZ}/localsubjectaccessreviews`]: 'LocalSubjectAccessReview',
  [`${AUTHN}/selfsubjectreviews`]: 'SelfSubjectReview',
  [`${AUTHN}/tokenreviews`]: 'TokenReview',
};

/** True for the paths this module answers (so the caller reads the body and hands it over). */
export function isReviewRequest(a: Attributes): boolean {
  if (!a.resourceRequest) return false;
  if (a.apiGroup === '' && a.resource === 'serviceaccounts' && a.subresource === 'token') return true;
  return !a.name && REVIEWS[`${a.apiGroup}/${a.resource}`] !== undefined;
}

export async function answerReview(auth: SandboxAuth, user: UserInfo, method: string, a: Attributes, body: unknown): Promise<ReviewAnswer> {
  if (method !== 'POST') throw new StatusError(failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}));
  if (a.resource === 'serviceaccounts') return tokenRequest(auth, a, body);
  const kind = REVIEWS[`${a.apiGroup}/${a.resource}`];
  const review = isJsonObject(body) ? body : {};
  if (review.kind !== undefined && review.kind !== kind) throw errors.badRequest(`the API version in the data (${String(review.apiVersion)}) does not match the expected API version (${a.apiGroup}/${a.apiVersion})`);
  const spec = isJsonObject(review.spec) ? review.spec : {};
  const head = { kind, apiVersion: `${a.apiGroup}/${a.apiVersion}`, metadata: { creationTimestamp: null } };
  switch (kind) {
    case 'SelfSubjectReview':
      return { code: 201, body: { ...head, status: { userInfo: userInfo(user) } } };
    case 'TokenReview':
      return { code: 201, body: { ...head, spec, status: await tokenReview(auth, spec) } };
    case 'SelfSubjectRulesReview':
      return { code: 201, body: { ...head, spec, status: await rulesReview(auth, user, String(spec.namespace ?? '')) } };
    default: {
      const subject = kind === 'SelfSubjectAccessReview' ? user : subjectOf(spec, kind);
      const attrs = accessAttributes(spec, kind, a.namespace);
      const d = await auth.decide(subject, attrs);
      const status: JsonObject = { allowed: d.allowed };
      if (d.reason) status.reason = d.reason;
      return { code: 201, body: { ...head, ...(a.namespace ? { metadata: { namespace: a.namespace, creationTimestamp: null } } : {}), spec, status } };
    }
  }
}

function userInfo(u: UserInfo): JsonObject {
  const o: JsonObject = { username: u.name };
  if (u.uid) o.uid = u.uid;
  o.groups = u.groups;
  if (u.extra) o.extra = u.extra;
  return o;
}

function invalid(kind: string, group: string, causes: StatusCause[]): StatusError {
  return errors.invalid(kind, group, '', causes);
}

function subjectOf(spec: JsonObject, kind: string): UserInfo {
  const name = typeof spec.user === 'string' ? spec.user : '';
  const groups = Array.isArray(spec.groups) ? spec.groups.map(String) : [];
  if (!name && groups.length === 0) {
    throw invalid(kind, AUTHZ, [{ reason: 'FieldValueInvalid', field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' }]);
  }
  const extra = isJsonObject(spec.extra) ? Object.fromEntries(Object.entries(spec.extra).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : []])) : undefined;
  return { name, groups, ...(typeof spec.uid === 'string' ? { uid: spec.uid } : {}), ...(extra ? { extra } : {}) };
}

function accessAttributes(spec: JsonObject, kind: string, urlNamespace: string): Attributes {
  const r = isJsonObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const n = isJsonObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  if (!!r === !!n) {
    const field = r ? 'spec.resourceAttributes' : 'spec.nonResourceAttributes';
    throw invalid(kind, AUTHZ, [{ reason: 'FieldValueInvalid', field, message: `Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified` }]);
  }
  if (n) return { verb: str(n.verb), resourceRequest: false, path: str(n.path), apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
  const namespace = str(r?.namespace);
  if (kind === 'LocalSubjectAccessReview' && namespace !== urlNamespace) {
    throw invalid(kind, AUTHZ, [{ reason: 'FieldValueInvalid', field: 'spec.resourceAttributes.namespace', message: `Invalid value: ${JSON.stringify(namespace)}: must match metadata.namespace` }]);
  }
  return { verb: str(r?.verb), resourceRequest: true, path: '', apiGroup: str(r?.group), apiVersion: str(r?.version), namespace, resource: str(r?.resource), subresource: str(r?.subresource), name: str(r?.name) };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

async function rulesReview(auth: SandboxAuth, user: UserInfo, namespace: string): Promise<JsonObject> {
  const { rules: all, errors: errs } = (await auth.rbac()).rulesFor(user, namespace);
  const status: JsonObject = {
    resourceRules: all.filter((r) => !r.nonResourceURLs?.length).map(resourceRule),
    nonResourceRules: all.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: [...r.verbs], nonResourceURLs: [...(r.nonResourceURLs ?? [])] })),
    incomplete: errs.length > 0,
  };
  if (errs.length) status.evaluationError = errs.join(', ');
  return status;
}

function resourceRule(r: PolicyRule): JsonObject {
  const o: JsonObject = { verbs: [...r.verbs] };
  if (r.apiGroups) o.apiGroups = [...r.apiGroups];
  if (r.resources) o.resources = [...r.resources];
  if (r.resourceNames) o.resourceNames = [...r.resourceNames];
  return o;
}

async function tokenReview(auth: SandboxAuth, spec: JsonObject): Promise<JsonObject> {
  const token = str(spec.token);
  const wanted = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences.map(String) : [API_AUDIENCE];
  const user = token ? await auth.authenticateToken(token, wanted) : undefined;
  if (!user) return { user: {}, error: '[invalid bearer token, token lookup failed]' };
  return { authenticated: true, user: userInfo(user), audiences: wanted };
}

/** POST serviceaccounts/<name>/token: a bound token for an existing ServiceAccount. */
async function tokenRequest(auth: SandboxAuth, a: Attributes, body: unknown): Promise<ReviewAnswer> {
  const sa = await auth.store.get('serviceaccounts', a.namespace, a.name);
  if (!sa) throw errors.notFound('serviceaccounts', '', a.name);
  const tr = isJsonObject(body) ? body : {};
  const spec = isJsonObject(tr.spec) ? tr.spec : {};
  const expirationSeconds = spec.expirationSeconds === undefined || spec.expirationSeconds === null ? DEFAULT_EXPIRATION_SECONDS : Number(spec.expirationSeconds);
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION_SECONDS) {
    throw invalid('TokenRequest', AUTHN, [{ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes` }]);
  }
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences.map(String) : [API_AUDIENCE];
  const bound = await boundObject(auth, a.namespace, spec.boundObjectRef);
  const nowMs = auth.clock.now();
  const { token, claims } = auth.signer.issue({ namespace: a.namespace, serviceAccount: { name: a.name, uid: sa.metadata.uid ?? '' }, audiences, expirationSeconds, bound, now: Math.floor(nowMs / 1000) });
  return {
    code: 201,
    body: {
      kind: 'TokenRequest',
      apiVersion: `${AUTHN}/v1`,
      metadata: { name: a.name, namespace: a.namespace, creationTimestamp: isoTime(nowMs) },
      spec: { audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
      status: { token, expirationTimestamp: isoTime(claims.exp * 1000) },
    },
  };
}

async function boundObject(auth: SandboxAuth, namespace: string, ref: unknown): Promise<BoundObject | undefined> {
  if (!isJsonObject(ref)) return undefined;
  const kind = ref.kind;
  if (kind !== 'Pod' && kind !== 'Secret' && kind !== 'Node') {
    throw invalid('TokenRequest', AUTHN, [{ reason: 'FieldValueNotSupported', field: 'spec.boundObjectRef.kind', message: `Unsupported value: ${JSON.stringify(String(kind))}: supported values: "Pod", "Secret", "Node"` }]);
  }
  const name = str(ref.name);
  const resource = kind === 'Pod' ? 'pods' : kind === 'Secret' ? 'secrets' : 'nodes';
  const o = await auth.store.get(resource, kind === 'Node' ? '' : namespace, name);
  if (!o) throw errors.notFound(resource, '', name);
  const uid = str(ref.uid);
  if (uid && uid !== o.metadata.uid) throw errors.conflict(resource, '', name, `the UID in the bound object reference (${uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  return { kind, name, uid: o.metadata.uid ?? '' };
}
