// `upkeep demo`: the maintenance story on the embedded sandbox, shown through upkeep's own
// client (the same path that talks to a production cluster).
import { Option, type Command } from '@commander-js/extra-typings';
import type { GlobalFlags, Io } from '../context.js';
import { startEmbeddedSandbox } from './sandbox.js';
import { runDemo } from '../demo/story.js';

export function registerDemo(program: Command, io: Io, _globals: () => GlobalFlags): void {
  program
    .command('demo')
    .description('start a sandbox cluster (the seed scenario) and walk through cluster maintenance on it')
    .addOption(new Option('--scenario <file|name>', 'scenario to run the demo on').default('seed'))
    .addOption(new Option('--keep-running', 'keep the sandbox serving after the demo, for kubectl (Ctrl-C ends it)'))
    .action(async (opts) => {
      const sb = await startEmbeddedSandbox({ scenario: opts.scenario, timeScale: 60 });
      try {
        await runDemo({ kubeconfig: sb.kubeconfigPath, io });
        if (opts.keepRunning) {
          io.out(`\nThe sandbox keeps serving at ${sb.url}. Try:\n  kubectl --kubeconfig ${sb.kubeconfigPath} get nodes,pods -A -o wide\nCtrl-C to stop.\n`);
          await new Promise<void>((resolve) => {
            process.once('SIGINT', () => resolve());
            process.once('SIGTERM', () => resolve());
          });
        }
      } finally {
        await sb.stop();
      }
    });
}
