// A scriptable HTTPS server for the client's network tests. A real API server cannot be made to
// reset a connection, drop a watch mid-stream or answer 429 on demand; this one does exactly
// what each test scripts, over real TLS, on 127.0.0.1 and a free port.
import fs from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { testCertificates } from './tls.js';

export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** CN of the client certificate, when one was presented. */
  clientCN?: string;
}

export type Handler = (req: RecordedRequest, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

export interface KubeconfigSpec {
  token?: string;
  /** Authenticate with the test client certificate. */
  clientCert?: boolean;
  /** Which CA the kubeconfig trusts: the right one (default), an unrelated one, or none. */
  ca?: 'right' | 'wrong' | 'none';
  skipTLSVerify?: boolean;
  namespace?: string;
  /** Server URL override (a path prefix, another port). */
  server?: string;
  exec?: { command: string; args?: string[] };
  contextName?: string;
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  handler: Handler;
  private readonly server: https.Server;
  private readonly dirs: string[] = [];

  private constructor(server: https.Server, handler: Handler) {
    this.server = server;
    this.handler = handler;
  }

  static async start(handler: Handler, options: { requestCert?: boolean } = {}): Promise<FakeApiServer> {
    const certs = testCertificates();
    const server = https.createServer({
      key: certs.serverKey,
      cert: certs.serverCert,
      ca: certs.caCert,
      requestCert: options.requestCert ?? false,
      rejectUnauthorized: false,
    });
    const fake = new FakeApiServer(server, handler);
    server.on('request', (raw: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      raw.on('data', (c: Buffer) => chunks.push(c));
      raw.on('end', () => {
        const url = new URL(raw.url ?? '/', 'https://127.0.0.1');
        const peer = (raw.socket as TLSSocket).getPeerCertificate?.();
        const recorded: RecordedRequest = {
          method: raw.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: raw.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        if (peer && typeof peer.subject?.CN === 'string') recorded.clientCN = peer.subject.CN;
        fake.requests.push(recorded);
        Promise.resolve(fake.handler(recorded, res, raw)).catch((err: unknown) => {
          if (!res.headersSent) sendStatus(res, 500, 'InternalError', `test handler failed: ${String(err)}`);
          else res.destroy();
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('server is not listening');
    return address.port;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** "METHOD /path?query" of every request so far, in order. */
  paths(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}${r.query.size ? `?${r.query.toString()}` : ''}`);
  }

  /** A kubeconfig (JSON, which is YAML) for this server. */
  kubeconfig(spec: KubeconfigSpec = {}): string {
    const certs = testCertificates();
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    const cluster: Record<string, unknown> = { server: spec.server ?? this.url };
    const ca = spec.ca ?? 'right';
    if (ca === 'right') cluster['certificate-authority-data'] = b64(certs.caCert);
    if (ca === 'wrong') cluster['certificate-authority-data'] = b64(certs.otherCaCert);
    if (spec.skipTLSVerify) cluster['insecure-skip-tls-verify'] = true;
    const user: Record<string, unknown> = {};
    if (spec.token) user.token = spec.token;
    if (spec.clientCert) {
      user['client-certificate-data'] = b64(certs.clientCert);
      user['client-key-data'] = b64(certs.clientKey);
    }
    if (spec.exec) {
      user.exec = {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: spec.exec.command,
        args: spec.exec.args ?? [],
        interactiveMode: 'Never',
      };
    }
    const name = spec.contextName ?? 'fake';
    const context: Record<string, unknown> = { cluster: 'fake-cluster', user: 'fake-user' };
    if (spec.namespace) context.namespace = spec.namespace;
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake-cluster', cluster }],
      users: [{ name: 'fake-user', user }],
      contexts: [{ name, context }],
      'current-context': name,
    });
  }

  /** Write a kubeconfig for this server to a temporary file; returns its path. */
  writeKubeconfig(spec: KubeconfigSpec = {}): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upkeep-kubeconfig-'));
    this.dirs.push(dir);
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, this.kubeconfig(spec));
    return file;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendStatus(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  extra: { details?: Record<string, unknown>; headers?: Record<string, string> } = {},
): void {
  const body: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (extra.details) body.details = extra.details;
  sendJson(res, code, body, extra.headers);
}

/** Kill the connection without an answer: the client sees ECONNRESET / socket hang up. */
export function resetConnection(res: ServerResponse): void {
  res.socket?.destroy();
}

/** Start a chunked watch response; write events with `writeEvent`, end with res.end(). */
export function startWatch(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
}

export function writeEvent(res: ServerResponse, type: string, object: unknown): void {
  res.write(`${JSON.stringify({ type, object })}\n`);
}
