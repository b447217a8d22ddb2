// Real kubectl of a given minor version, called directly (/usr/lib/google-cloud-sdk/bin/kubectl.1.3x)
// rather than through the dispatcher that picks one matching the server, each with its own
// discovery cache, against a test sandbox.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { KubectlResult, TestSandbox } from './sandbox.js';

export const KUBECTL_MINORS = ['1.30', '1.31', '1.32', '1.33'] as const;
export type KubectlMinor = (typeof KUBECTL_MINORS)[number];

export function kubectlBinary(minor: KubectlMinor): string {
  return `/usr/lib/google-cloud-sdk/bin/kubectl.${minor}`;
}

export function haveKubectl(minor: KubectlMinor): boolean {
  return existsSync(kubectlBinary(minor));
}

export function kubectlAt(sb: TestSandbox, minor: KubectlMinor, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  const cacheDir = path.join(sb.dir, `kubecache-${minor}`);
  return new Promise<KubectlResult>((resolve) => {
    const child = execFile(
      kubectlBinary(minor),
      ['--kubeconfig', sb.kubeconfig, ...args],
      { env: { ...process.env, KUBECACHEDIR: cacheDir, HOME: sb.dir }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
