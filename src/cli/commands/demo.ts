// `upkeep demo`: the maintenance story on the embedded sandbox, shown through upkeep's own
// client (the same path that talks to a production cluster).
import { Option, type Command } from '@commander-js/extra-typings';
import type { GlobalFlags, Io } from '../context.js';
import { startEmbeddedSandbox } from './sandbox.js';
import path from 'node:path';
import { examples } from '../help.js';

export function registerDemo(program: Command, io: Io, _globals: () => GlobalFlags): void {
  const cmd = program
    .command('demo')
    .description('start a sandbox cluster (the seed scenario) and walk through cluster maintenance on it')
    .addOption(new Option('--scenario <file|name>', 'scenario to run the demo on').default('seed'))
    .addOption(new Option('--keep-running', 'keep the sandbox serving after the demo, for kubectl (Ctrl-C ends it)'))
    .addOption(new Option('--no-etcd', 'keep the sandbox in memory even when etcd is installed (no snapshot at the end)'))
    .action(async (opts) => {
      // With etcd installed, the sandbox keeps its objects in a real etcd, and the demo ends by
      // backing it up; without it, the sandbox runs in memory.
      // Loaded here, not at start-up: the story and the etcd client (gRPC) are heavy imports.
      const [{ runDemo }, { startLocalEtcd }] = await Promise.all([import('../demo/story.js'), import('../../etcd/local.js')]);
      const etcd = opts.etcd === false ? undefined : await startLocalEtcd();
      const sb = await startEmbeddedSandbox({ scenario: opts.scenario, timeScale: 60, etcd: etcd ? { endpoints: [etcd.clientURL] } : undefined }).catch(async (e) => {
        await etcd?.stop();
        throw e;
      });
      try {
        await runDemo({ kubeconfig: sb.kubeconfigPath, io, etcd: etcd ? { endpoints: [etcd.clientURL], snapshotDir: path.dirname(sb.kubeconfigPath) } : undefined, etcdSkipped: opts.etcd === false });
        if (opts.keepRunning) {
          io.out(`\nThe sandbox keeps serving at ${sb.url}. Try:\n  kubectl --kubeconfig ${sb.kubeconfigPath} get nodes,pods -A -o wide\nCtrl-C to stop.\n`);
          await new Promise<void>((resolve) => {
            process.once('SIGINT', () => resolve());
            process.once('SIGTERM', () => resolve());
          });
        }
      } finally {
        await sb.stop();
        await etcd?.stop();
      }
    });
  examples(cmd, [
    ['Run the maintenance story on the seed scenario', 'upkeep demo'],
    ['Run it, then keep the sandbox serving for kubectl', 'upkeep demo --keep-running'],
  ]);
}
