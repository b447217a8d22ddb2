// Who is calling and what they may do: the sandbox's authentication (client certificates of its
// CA, the admin token, scenario users' tokens, ServiceAccount tokens, else anonymous), the
// impersonation filter, and the RBAC authorizer over the RBAC objects in the store.
import type http from 'node:http';
import { TLSSocket } from 'node:tls';
import { errors } from '../../api/status.js';
import type { ClusterRole, ClusterRoleBinding, KubeObject, Role, RoleBinding } from '../../api/types.js';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import { ANONYMOUS, type Attributes, type UserInfo, forbidden } from './attributes.js';
import type { CertificateAuthority } from './certs.js';
import { type Decision, RbacPolicy, serviceAccountUsername } from './rbac.js';
import { API_AUDIENCE, type TokenClaims, TokenSigner } from './tokens.js';
import type { ScenarioUser } from './users.js';

export const AUTHENTICATED = 'system:authenticated';
export const UNAUTHENTICATED = 'system:unauthenticated';
/** The kubeconfig's admin: system:masters, as kubeadm's super-admin.conf. */
export const ADMIN_USER: UserInfo = { name: 'kubernetes-admin', groups: ['system:masters', AUTHENTICATED] };

export interface AuthOptions {
  adminToken: string;
  users: ScenarioUser[];
  ca: CertificateAuthority;
  store: Store;
  clock: Clock;
}

const RBAC = 'rbac.authorization.k8s.io';

export class SandboxAuth {
  readonly signer = new TokenSigner();
  readonly ca: CertificateAuthority;
  readonly users: ScenarioUser[];
  private readonly opts: AuthOptions;
  private policy?: { revision: number; rbac: RbacPolicy };

  constructor(opts: AuthOptions) {
    this.opts = opts;
    this.ca = opts.ca;
    this.users = opts.users;
  }

  get clock(): Clock {
    return this.opts.clock;
  }

  get store(): Store {
    return this.opts.store;
  }

  /** The caller after authentication and impersonation (401 and 403 as kube-apiserver answers them). */
  async identify(req: http.IncomingMessage, impersonationAllowed = true): Promise<UserInfo> {
    const user = await this.authenticate(req);
    return impersonationAllowed ? this.impersonate(user, req) : user;
  }

  /** Union of authenticators: a verified client certificate, then a bearer token; none is anonymous. */
  async authenticate(req: http.IncomingMessage): Promise<UserInfo> {
    const cert = certificateUser(req);
    if (cert) return cert;
    const header = req.headers.authorization;
    const m = header ? /^bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      // A certificate the CA did not sign, or a bearer header without a token: not anonymous, refused.
      if (presentedCertificate(req) || (header && /^bearer\b/i.test(header))) throw errors.unauthorized();
      return ANONYMOUS;
    }
    const user = await this.authenticateToken(m[1], [API_AUDIENCE]);
    if (!user) throw errors.unauthorized();
    return user;
  }

  /** A bearer token's user, or undefined (TokenReview and requests share this). */
  async authenticateToken(token: string, audiences: string[]): Promise<UserInfo | undefined> {
    if (token === this.opts.adminToken) return ADMIN_USER;
    const u = this.users.find((x) => x.token === token);
    if (u) return { name: u.name, groups: withAuthenticated(u.groups) };
    const scale = this.opts.clock.scale;
    const claims = this.signer.check(token, audiences, (iat) => iat + ((Date.now() / 1000 - iat) * scale));
    if (!claims || typeof claims === 'string') return undefined;
    return this.serviceAccountUser(claims);
  }

  /** A ServiceAccount token is good while its ServiceAccount (and any object it is bound to) still exists, with the same uid. */
  private async serviceAccountUser(c: TokenClaims): Promise<UserInfo | undefined> {
    const k = c['kubernetes.io'];
    const sa = await this.opts.store.get('serviceaccounts', k.namespace, k.serviceaccount.name);
    if (!sa || sa.metadata.uid !== k.serviceaccount.uid) return undefined;
    const extra: Record<string, string[]> = { 'authentication.kubernetes.io/credential-id': [`JTI=${c.jti}`] };
    if (k.pod) {
      const pod = await this.opts.store.get('pods', k.namespace, k.pod.name);
      if (!pod || pod.metadata.uid !== k.pod.uid) return undefined;
      extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
    }
    if (k.secret && (await this.opts.store.get('secrets', k.namespace, k.secret.name))?.metadata.uid !== k.secret.uid) return undefined;
    return { name: serviceAccountUsername(k.namespace, k.serviceaccount.name), uid: k.serviceaccount.uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`, AUTHENTICATED], extra };
  }

  /** The impersonation filter: Impersonate-User/-Group/-Uid/-Extra-*, each checked with the verb impersonate. */
  async impersonate(user: UserInfo, req: http.IncomingMessage): Promise<UserInfo> {
    const h = req.headersDistinct;
    const name = h['impersonate-user']?.[0];
    const groups = h['impersonate-group'] ?? [];
    const uid = h['impersonate-uid']?.[0];
    const extraKeys = Object.keys(h).filter((k) => k.startsWith('impersonate-extra-'));
    if (name === undefined) {
      if (groups.length || uid !== undefined || extraKeys.length) throw errors.badRequest('requested impersonation of groups, uid or extra without impersonating a user');
      return user;
    }
    const checks: Attributes[] = [];
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
    checks.push(sa ? impersonation('serviceaccounts', '', sa[2], sa[1]) : impersonation('users', '', name));
    for (const g of groups) checks.push(impersonation('groups', '', g));
    if (uid !== undefined) checks.push(impersonation('uids', 'authentication.k8s.io', uid));
    const extra: Record<string, string[]> = {};
    for (const k of extraKeys) {
      const key = decodeURIComponent(k.slice('impersonate-extra-'.length));
      extra[key] = h[k] ?? [];
      for (const v of extra[key]) checks.push({ ...impersonation('userextras', 'authentication.k8s.io', v), subresource: key });
    }
    for (const a of checks) {
      const d = await this.decide(user, a);
      if (!d.allowed) throw forbidden(user.name, a, d.reason);
    }
    const all = [...groups];
    if (sa && groups.length === 0) all.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]}`);
    if (name === ANONYMOUS.name) {
      if (!all.includes(UNAUTHENTICATED)) all.push(UNAUTHENTICATED);
    } else if (!all.includes(AUTHENTICATED) && !all.includes(UNAUTHENTICATED)) all.push(AUTHENTICATED);
    return { name, groups: all, ...(uid !== undefined ? { uid } : {}), ...(extraKeys.length ? { extra } : {}) };
  }

  /** 403 unless RBAC allows. */
  async authorize(user: UserInfo, a: Attributes): Promise<void> {
    const d = await this.decide(user, a);
    if (!d.allowed) throw forbidden(user.name, a, d.reason);
  }

  async decide(user: UserInfo, a: Attributes): Promise<Decision> {
    // The privileged-group authorizer answers before RBAC reads anything.
    if (user.groups.includes('system:masters')) return { allowed: true, reason: '' };
    return (await this.rbac()).authorize(user, a);
  }

  /** The RBAC objects of the store, indexed once per store revision. */
  async rbac(): Promise<RbacPolicy> {
    const revision = this.opts.store.revision();
    if (this.policy?.revision === revision) return this.policy.rbac;
    const list = async (resource: string) => (await this.opts.store.list(`${resource}.${RBAC}`, undefined)).items;
    const rbac = new RbacPolicy({
      clusterRoles: (await list('clusterroles')).filter(isClusterRole),
      roles: (await list('roles')).filter(isRole),
      clusterRoleBindings: (await list('clusterrolebindings')).filter(isClusterRoleBinding),
      roleBindings: (await list('rolebindings')).filter(isRoleBinding),
    });
    this.policy = { revision, rbac };
    return rbac;
  }
}

function impersonation(resource: string, apiGroup: string, name: string, namespace = ''): Attributes {
  return { verb: 'impersonate', resourceRequest: true, path: '', apiGroup, apiVersion: '', namespace, resource, subresource: '', name };
}

function withAuthenticated(groups: string[]): string[] {
  return groups.includes(AUTHENTICATED) ? groups : [...groups, AUTHENTICATED];
}

function tlsSocket(req: http.IncomingMessage): TLSSocket | undefined {
  return req.socket instanceof TLSSocket ? req.socket : undefined;
}

function presentedCertificate(req: http.IncomingMessage): boolean {
  const s = tlsSocket(req);
  return !!s && Object.keys(s.getPeerCertificate()).length > 0;
}

/** The x509 authenticator: a client certificate the sandbox CA signed, for client auth: CN is the user, O the groups. */
function certificateUser(req: http.IncomingMessage): UserInfo | undefined {
  const s = tlsSocket(req);
  if (!s?.authorized) return undefined;
  const cert = s.getPeerCertificate();
  if (!cert.subject?.CN) return undefined;
  const eku = cert.ext_key_usage;
  if (eku && !eku.includes('1.3.6.1.5.5.7.3.2')) return undefined;
  const cn = cert.subject.CN;
  const o = cert.subject.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { name: Array.isArray(cn) ? cn[0] : cn, groups: withAuthenticated(groups) };
}

function isClusterRole(o: KubeObject): o is ClusterRole {
  return o.kind === 'ClusterRole';
}
function isRole(o: KubeObject): o is Role {
  return o.kind === 'Role';
}
function isClusterRoleBinding(o: KubeObject): o is ClusterRoleBinding {
  return o.kind === 'ClusterRoleBinding' && typeof o.roleRef === 'object';
}
function isRoleBinding(o: KubeObject): o is RoleBinding {
  return o.kind === 'RoleBinding' && typeof o.roleRef === 'object';
}
