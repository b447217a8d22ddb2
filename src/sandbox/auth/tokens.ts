// Bound ServiceAccount tokens as kube-apiserver issues them for TokenRequest (`kubectl create
// token`): ES256 JWTs signed by a key of this sandbox, with the claims of
// pkg/serviceaccount/claims.go (iss, sub, aud, exp, iat, nbf, jti, and "kubernetes.io" naming the
// namespace, the ServiceAccount and any bound Pod or Secret), verified on every request against
// the signature, the clock, the audiences and the objects they name.
import { type KeyObject, createPublicKey, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';

export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
export const ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** TokenRequest's default and minimum lifetimes (pkg/apis/authentication/validation). */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
export const MIN_EXPIRATION_SECONDS = 600;

export interface BoundObject {
  kind: 'Pod' | 'Secret' | 'Node';
  name: string;
  uid: string;
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
    secret?: { name: string; uid: string };
    node?: { name: string; uid: string };
  };
}

export interface IssueRequest {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  audiences: string[];
  expirationSeconds: number;
  bound?: BoundObject;
  /** Seconds since the epoch, on the sandbox's clock. */
  now: number;
}

/** Why a token was refused (the text kube-apiserver logs; clients only ever see 401). */
export type TokenProblem = 'malformed' | 'signature' | 'issuer' | 'expired' | 'not yet valid' | 'audience';

export class TokenSigner {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor() {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKey = createPublicKey(pair.privateKey);
    this.keyId = randomUUID().replace(/-/g, '');
  }

  issue(r: IssueRequest): { token: string; claims: TokenClaims } {
    const ref = r.bound ? { [r.bound.kind.toLowerCase()]: { name: r.bound.name, uid: r.bound.uid } } : {};
    const claims: TokenClaims = {
      aud: r.audiences,
      exp: r.now + r.expirationSeconds,
      iat: r.now,
      iss: ISSUER,
      jti: randomUUID(),
      'kubernetes.io': { namespace: r.namespace, ...ref, serviceaccount: r.serviceAccount },
      nbf: r.now,
      sub: `system:serviceaccount:${r.namespace}:${r.serviceAccount.name}`,
    };
    const head = b64(JSON.stringify({ alg: 'ES256', kid: this.keyId }));
    const body = b64(JSON.stringify(claims));
    const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return { token: `${head}.${body}.${sig.toString('base64url')}`, claims };
  }

  /**
   * The claims of a token this signer issued, or why it is refused; undefined when the token is
   * not a JWT at all. `now(iat)` is the current time in seconds as seen from the token's issue
   * time (a sandbox on a scaled clock lets lifetimes pass faster).
   */
  check(token: string, audiences: string[], nowFrom: (iat: number) => number): TokenClaims | TokenProblem | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    let header: unknown;
    let claims: unknown;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (!isRecord(header) || header.alg !== 'ES256' || !isClaims(claims)) return 'malformed';
    const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2], 'base64url'));
    if (!ok) return 'signature';
    if (claims.iss !== ISSUER) return 'issuer';
    const now = nowFrom(claims.iat);
    if (now >= claims.exp) return 'expired';
    if (now < claims.nbf) return 'not yet valid';
    if (!claims.aud.some((a) => audiences.includes(a))) return 'audience';
    return claims;
  }
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64url');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isClaims(v: unknown): v is TokenClaims {
  if (!isRecord(v) || !Array.isArray(v.aud) || typeof v.exp !== 'number' || typeof v.iat !== 'number' || typeof v.nbf !== 'number' || typeof v.sub !== 'string') return false;
  const k = v['kubernetes.io'];
  return isRecord(k) && typeof k.namespace === 'string' && isRecord(k.serviceaccount) && typeof k.serviceaccount.name === 'string';
}
