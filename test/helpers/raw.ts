// One raw HTTPS request to a sandbox (its CA, its token): for stories about exact codes, headers
// and bodies that a client library would hide. And a pinned real kubectl (not the dispatcher).
import https from 'node:https';
import { execFile } from 'node:child_process';
import type { Sandbox } from '../../src/sandbox/index.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export function request(sb: Sandbox, method: string, urlPath: string, body?: string, contentType = 'application/json'): Promise<RawResponse> {
  const headers: Record<string, string | number> = { Accept: 'application/json', Authorization: `Bearer ${sb.token}` };
  if (body !== undefined) {
    headers['Content-Type'] = contentType;
    headers['Content-Length'] = Buffer.byteLength(body);
  }
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(urlPath, sb.url), { method, ca: sb.caCertPem, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A given real kubectl release (e.g. "1.31"), called directly with a private cache and HOME. */
export function pinnedKubectl(release: string, kubeconfig: string, home: string, args: string[], input?: string): Promise<KubectlRun> {
  return new Promise((resolve) => {
    const child = execFile(
      `/usr/lib/google-cloud-sdk/bin/kubectl.${release}`,
      ['--kubeconfig', kubeconfig, ...args],
      { env: { ...process.env, HOME: home, KUBECACHEDIR: `${home}/kubecache-${release}` }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}
