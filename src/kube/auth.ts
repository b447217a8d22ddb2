// Credentials for our own requests, produced by client-node from the kubeconfig: bearer tokens,
// exec plugins, auth providers, client certificates, basic auth, the CA and tls-server-name all
// come out of `kc.applyToHTTPSOptions`. We keep our own keep-alive agent built from the TLS
// material it returns (client-node makes a new agent without keep-alive on every call).
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LoadedConfig } from './config.js';
import { KubeConfigError } from './errors.js';

export interface AppliedCredentials {
  /** Authorization, Impersonate-User, ... */
  headers: Record<string, string>;
  /** "user:password" for basic auth. */
  auth?: string;
  agent: http.Agent;
}

export interface CredentialsOptions {
  /**
   * How long applied credentials are reused before asking client-node again. client-node
   * re-runs an exec plugin on every call when its credential has no expirationTimestamp, so
   * this bounds how often that happens; a 401 always refreshes at once.
   */
  reuseMs?: number;
}

export class Credentials {
  private readonly config: LoadedConfig;
  private readonly reuseMs: number;
  private cached: { value: Promise<AppliedCredentials>; at: number } | undefined;
  private agent: http.Agent | undefined;
  private agentKey = '';

  constructor(config: LoadedConfig, options: CredentialsOptions = {}) {
    this.config = config;
    this.reuseMs = options.reuseMs ?? 30_000;
  }

  get(): Promise<AppliedCredentials> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.reuseMs) return this.cached.value;
    // Concurrent requests share one evaluation (one exec plugin run, not one per request).
    const value = this.load();
    this.cached = { value, at: now };
    value.catch(() => {
      if (this.cached?.value === value) this.cached = undefined;
    });
    return value;
  }

  /** Forget the credentials (after a 401) so the next request asks client-node again. */
  invalidate(): void {
    this.cached = undefined;
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
    this.agentKey = '';
    this.cached = undefined;
  }

  private async load(): Promise<AppliedCredentials> {
    const opts: https.RequestOptions = {};
    try {
      await this.config.kubeConfig.applyToHTTPSOptions(opts);
    } catch (err) {
      const who = this.config.userName ? `user "${this.config.userName}"` : 'the anonymous user';
      throw new KubeConfigError(
        `getting credentials for ${who} of context "${this.config.contextName}" failed: ${oneLine(err)}`,
        { cause: err },
      );
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(opts.headers ?? {})) {
      if (value === undefined) continue;
      headers[key] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    const tls: https.AgentOptions = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      pfx: opts.pfx,
      passphrase: opts.passphrase,
      servername: opts.servername,
      // Verification stays on unless the kubeconfig says insecure-skip-tls-verify; set
      // explicitly so NODE_TLS_REJECT_UNAUTHORIZED cannot silently turn it off.
      rejectUnauthorized: !this.config.skipTLSVerify,
    };
    const key = fingerprint(tls);
    if (!this.agent || key !== this.agentKey) {
      this.agent?.destroy();
      if (this.config.proxyUrl && opts.agent instanceof http.Agent) {
        // A proxy-url in the kubeconfig: client-node's agent knows how to tunnel.
        this.agent = opts.agent;
      } else if (this.config.server.startsWith('http:')) {
        this.agent = new http.Agent({ keepAlive: true });
      } else {
        this.agent = new https.Agent({ ...tls, keepAlive: true });
      }
      this.agentKey = key;
    }
    const applied: AppliedCredentials = { headers, agent: this.agent };
    if (typeof opts.auth === 'string' && opts.auth) applied.auth = opts.auth;
    return applied;
  }
}

function fingerprint(tls: https.AgentOptions): string {
  const hash = createHash('sha256');
  for (const part of [tls.ca, tls.cert, tls.key, tls.pfx, tls.passphrase, tls.servername, String(tls.rejectUnauthorized)]) {
    const items = Array.isArray(part) ? part : [part];
    for (const item of items) {
      if (item === undefined || item === null) hash.update('\0-');
      else if (typeof item === 'string' || Buffer.isBuffer(item)) hash.update(item).update('\0');
      else hash.update(JSON.stringify(item)).update('\0');
    }
    hash.update('|');
  }
  return hash.digest('hex');
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.trim().replace(/\s*\n\s*/g, ' ') || 'unknown error';
}
