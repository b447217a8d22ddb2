// One HTTPS request to a test sandbox with its CA and token, reading the body (or a watch stream
// until a condition holds or for a while), for asserting exact status codes and bodies.
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Sandbox } from '../../src/sandbox/index.js';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export function rawRequest(
  sb: Sandbox,
  method: string,
  urlPath: string,
  opts: { headers?: Record<string, string>; body?: Buffer | string; until?: (text: string) => boolean; readMs?: number } = {},
): Promise<RawResponse> {
  const headers: Record<string, string | number> = { Accept: 'application/json', Authorization: `Bearer ${sb.token}`, ...opts.headers };
  if (opts.body !== undefined) headers['Content-Length'] = Buffer.byteLength(opts.body);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(urlPath, sb.url), { method, ca: sb.caCertPem, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        res.destroy();
      };
      const timer = setTimeout(finish, opts.readMs ?? 30_000);
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        if (opts.until?.(Buffer.concat(chunks).toString('utf8'))) finish();
      });
      res.on('end', finish);
      res.on('error', finish);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
