// One KubeClient per command, configured from the global flags.
import { KubeClient } from '../kube/index.js';
import { parseDurationFlag } from '../api/duration.js';
import type { GlobalFlags, Io } from './context.js';

export async function clientFromFlags(flags: GlobalFlags, io: Io): Promise<KubeClient> {
  // kubectl's --request-timeout: a Go duration, or a bare integer of seconds; 0 means none.
  const requestTimeoutMs = flags.requestTimeout ? parseDurationFlag(flags.requestTimeout, '--request-timeout', { bareSeconds: true }) : undefined;
  const client = await KubeClient.create({
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    namespace: flags.namespace,
    requestTimeoutMs: requestTimeoutMs || undefined,
    log: flags.verbose ? (line) => io.err(`${line}\n`) : undefined,
    onWarning: (m) => io.err(`Warning: ${m}\n`),
  });
  await client.init();
  return client;
}
