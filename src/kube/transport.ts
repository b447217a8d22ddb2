// One HTTP exchange with the API server, with retries: the only code that opens connections.
import { UPKEEP_VERSION } from '../util/version.js';
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { StatusError } from '../api/status.js';
import type { AppliedCredentials, Credentials } from './auth.js';
import { ConnectionError, connectionError, REQUEST_TIMEOUT_CODE, statusFromResponse, timeoutError } from './errors.js';
import { buildQuery, type Query } from './paths.js';
import {
  decideRetry,
  isIdempotent,
  retryOptions,
  sleep,
  type AttemptOutcome,
  type HttpVerb,
  type RetryOptions,
} from './retry.js';

export interface TransportOptions {
  /** --request-timeout: per attempt; for streams, until the response headers arrive. 0/undefined: none. */
  requestTimeoutMs?: number;
  retry?: Partial<RetryOptions>;
  userAgent?: string;
  /** Receives one line per request and per retry (kubectl -v=6 style). */
  log?: (line: string) => void;
  /** Receives each distinct server Warning header text once (deprecations, policy warnings). */
  onWarning?: (message: string) => void;
}

export interface RequestSpec {
  method: HttpVerb;
  /** Path below the server URL, starting with "/". */
  path: string;
  query?: Query;
  /** Serialised body. */
  body?: string;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Overrides the client's request timeout for this request; 0 means none. */
  timeoutMs?: number;
  /** Overrides the client's retry options; false sends exactly once. */
  retry?: Partial<RetryOptions> | false;
  /** Overrides the idempotency derived from the method and content type. */
  idempotent?: boolean;
}

export interface RawResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  contentType: string;
  body: Buffer;
}

export class Transport {
  readonly server: string;
  private readonly url: URL;
  private readonly basePath: string;
  private readonly credentials: Credentials;
  private readonly options: TransportOptions;
  private readonly warned = new Set<string>();

  constructor(server: string, credentials: Credentials, options: TransportOptions = {}) {
    this.server = server;
    this.url = new URL(server);
    // A server URL may carry a path prefix (https://rancher/k8s/clusters/c-1): requests go below it.
    this.basePath = this.url.pathname.replace(/\/+$/, '');
    this.credentials = credentials;
    this.options = options;
  }

  /** Send a request and read the whole answer. Non-2xx answers throw StatusError. */
  async request(spec: RequestSpec): Promise<RawResponse> {
    const result = await this.perform(spec, false);
    if (result.kind !== 'buffered') throw new Error('unreachable: buffered request returned a stream');
    return result.response;
  }

  /**
   * Send a request and hand back the response stream once a 2xx status arrived (watches).
   * The stream is destroyed when `spec.signal` aborts.
   */
  async stream(spec: RequestSpec): Promise<http.IncomingMessage> {
    const result = await this.perform(spec, true);
    if (result.kind !== 'stream') throw new Error('unreachable: stream request was buffered');
    return result.stream;
  }

  close(): void {
    this.credentials.close();
  }

  private async perform(spec: RequestSpec, streaming: boolean): Promise<AttemptResult> {
    const retry = spec.retry === false ? retryOptions({ maxAttempts: 1 }) : retryOptions({ ...this.options.retry, ...spec.retry });
    const idempotent = spec.idempotent ?? isIdempotent(spec.method, spec.contentType);
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      let outcome: AttemptOutcome;
      let failure: Error;
      try {
        const credentials = await this.credentials.get();
        const result = await this.attempt(spec, credentials, streaming);
        if (result.kind === 'stream') return result;
        const { response } = result;
        if (response.statusCode >= 200 && response.statusCode < 300) return result;
        const status = statusFromResponse(response.statusCode, response.body.toString('utf8'), {
          method: spec.method,
          path: spec.path,
          retryAfter: header(response.headers, 'retry-after'),
        });
        if (status.code === 401 && !reauthenticated) {
          // Tokens expire (exec plugins, rotated service-account tokens): ask for fresh
          // credentials once before reporting Unauthorized. Not counted as an attempt.
          reauthenticated = true;
          this.credentials.invalidate();
          attempt--;
          continue;
        }
        failure = new StatusError(status);
        outcome = {
          kind: 'status',
          code: status.code,
          retryAfterSeconds: status.details?.retryAfterSeconds,
          causeTypes: (status.details?.causes ?? []).map((c) => c.reason ?? ''),
        };
      } catch (err) {
        if (spec.signal?.aborted) throw spec.signal.reason;
        if (!(err instanceof ConnectionError)) throw err;
        failure = err;
        outcome =
          err.code === REQUEST_TIMEOUT_CODE
            ? { kind: 'timeout' }
            : { kind: 'connection', code: err.code, staleConnection: err.staleConnection };
      }
      const decision = decideRetry({ attempt, idempotent, outcome, options: retry });
      if (!decision.retry) throw failure;
      this.options.log?.(
        `retrying ${spec.method} ${this.server}${spec.path} in ${decision.delayMs}ms: ${decision.why} (attempt ${attempt + 1} of ${retry.maxAttempts})`,
      );
      await sleep(decision.delayMs, spec.signal);
    }
  }

  private attempt(spec: RequestSpec, credentials: AppliedCredentials, streaming: boolean): Promise<AttemptResult> {
    const fullPath = `${this.basePath}${spec.path}${buildQuery(spec.query)}`;
    const headers: Record<string, string> = {
      ...credentials.headers,
      'User-Agent': this.options.userAgent ?? defaultUserAgent(),
      Accept: spec.accept ?? 'application/json',
      ...spec.headers,
    };
    // As client-go: large answers come gzipped (kube-apiserver compresses those over 128 KiB);
    // watches are never compressed, so streams do not ask.
    if (!streaming && !Object.keys(headers).some((h) => h.toLowerCase() === 'accept-encoding')) headers['Accept-Encoding'] = 'gzip';
    if (spec.body !== undefined) {
      headers['Content-Type'] = spec.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(spec.body));
    }
    const timeoutMs = spec.timeoutMs ?? this.options.requestTimeoutMs ?? 0;
    const started = Date.now();
    const requestFn = this.url.protocol === 'http:' ? http.request : https.request;

    return new Promise<AttemptResult>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const signal = spec.signal;

      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const fail = (err: unknown): void => {
        finish(() => {
          if (signal?.aborted) reject(signal.reason);
          else if (err instanceof ConnectionError) reject(err);
          else reject(connectionError(err, this.server));
        });
      };
      const onAbort = (): void => {
        req.destroy();
        fail(signal?.reason);
      };

      const req = requestFn({
        protocol: this.url.protocol,
        hostname: this.url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: this.url.port || undefined,
        path: fullPath,
        method: spec.method,
        headers,
        agent: credentials.agent,
        auth: credentials.auth,
      });

      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          fail(timeoutError(this.server, spec.method, spec.path, timeoutMs));
          req.destroy();
        }, timeoutMs);
      }
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });

      let answered = false;
      req.on('error', (err) => {
        if (!answered && req.reusedSocket && !(err instanceof ConnectionError)) {
          const wrapped = connectionError(err, this.server);
          wrapped.staleConnection = true;
          fail(wrapped);
          return;
        }
        fail(err);
      });
      req.on('response', (res) => {
        answered = true;
        const statusCode = res.statusCode ?? 0;
        this.reportWarnings(res);
        const logLine = (): void =>
          this.options.log?.(
            `${spec.method} ${this.server}${fullPath.slice(this.basePath.length)} ${statusCode} ${res.statusMessage ?? ''} in ${Date.now() - started} milliseconds`,
          );
        if (streaming && statusCode >= 200 && statusCode < 300) {
          logLine();
          // Errors reach the consumer through its iteration; this keeps one that happens before
          // iteration starts from becoming an uncaught 'error' event.
          res.on('error', () => undefined);
          finish(() => {
            if (signal) {
              // Keep honouring the signal for the life of the stream.
              const stop = (): void => {
                res.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
              };
              signal.addEventListener('abort', stop, { once: true });
              res.once('close', () => signal.removeEventListener('abort', stop));
            }
            resolve({ kind: 'stream', stream: res });
          });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('error', fail);
        const gzipped = header(res.headers, 'content-encoding') === 'gzip';
        const body: NodeJS.ReadableStream = gzipped ? res.pipe(zlib.createGunzip()) : res;
        if (gzipped) body.on('error', (e) => fail(connectionError(e, this.server)));
        body.on('data', (chunk: Buffer) => chunks.push(chunk));
        body.on('end', () => {
          logLine();
          finish(() =>
            resolve({
              kind: 'buffered',
              response: {
                statusCode,
                headers: res.headers,
                contentType: header(res.headers, 'content-type') ?? '',
                body: Buffer.concat(chunks),
              },
            }),
          );
        });
        res.on('close', () => {
          if (!res.complete) {
            const err = Object.assign(new Error('the connection closed before the response was complete'), {
              code: 'ECONNRESET',
            });
            fail(err);
          }
        });
      });
      req.end(spec.body);
    });
  }

  private reportWarnings(res: http.IncomingMessage): void {
    const report = this.options.onWarning;
    if (!report) return;
    for (let i = 0; i < res.rawHeaders.length; i += 2) {
      if (res.rawHeaders[i].toLowerCase() !== 'warning') continue;
      for (const text of parseWarningHeader(res.rawHeaders[i + 1])) {
        if (this.warned.has(text)) continue;
        this.warned.add(text);
        report(text);
      }
    }
  }
}

type AttemptResult = { kind: 'buffered'; response: RawResponse } | { kind: 'stream'; stream: http.IncomingMessage };

function header(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Texts of a Warning header: `299 - "text"` (RFC 7234 form, the one the API server sends),
 * possibly several separated by commas.
 */
export function parseWarningHeader(value: string): string[] {
  const texts: string[] = [];
  const re = /(\d{3})\s+(\S+)\s+"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    if (m[1] === '299') texts.push(m[3].replace(/\\(.)/g, '$1'));
  }
  return texts;
}

function defaultUserAgent(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  // client-go's shape, "<program>/<version> (<os>/<arch>)": servers take the program name as
  // the default field manager.
  return `upkeep/${UPKEEP_VERSION} (${process.platform}/${arch})`;
}
