// One KubeClient per command, configured from the global flags.
import { KubeClient } from '../kube/index.js';
import { type GlobalFlags, type Io, parseDuration } from './context.js';
import { UsageError } from './errors.js';

export async function clientFromFlags(flags: GlobalFlags, io: Io): Promise<KubeClient> {
  let requestTimeoutMs: number | undefined;
  try {
    requestTimeoutMs = flags.requestTimeout ? parseDuration(flags.requestTimeout, '--request-timeout') : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
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
