// `upkeep drain NODE... | -l SELECTOR`: kubectl drain's flags, decisions and lines, plus an
// impact report (--dry-run), PDB waits that say what they wait for, --wait-ready, --surge and
// --max-unavailable. Exit 3 when a node is refused or blocked, with its state and the command
// to continue.
import { Option, type Command } from '@commander-js/extra-typings';
import type { GlobalFlags, Io } from '../context.js';
import { parseDuration } from '../context.js';
import { BlockedError, ExitError, UsageError } from '../errors.js';
import { clientFromFlags } from '../client.js';
import { parseDryRun, parseIntFlag } from '../flags.js';
import { parseOutput, toJson, toYaml } from '../output/format.js';
import { Progress } from '../output/progress.js';
import { resolveNodes } from '../../drain/cordon.js';
import { drainNodes, type DrainRunOptions } from '../../drain/drain.js';
import { gatherDrainInput } from '../../drain/gather.js';
import { analyzeDrain, renderImpact } from '../../drain/impact.js';
import { drainOptions } from '../../drain/types.js';

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** "waiting to evict ns/pod: PodDisruptionBudget ns/x allows no disruption (needs 3 healthy, has 3); attempt 2" */
export function budgetWaitLine(w: { pod: string; budget: string; message: string; attempts: number }): string {
  const m = /needs (\d+) healthy pods and has (\d+) currently/.exec(w.message);
  const why = m ? `needs ${m[1]} healthy, has ${m[2]}` : w.message;
  return `waiting to evict ${w.pod}: PodDisruptionBudget ${w.budget} allows no disruption now (${why}); attempt ${w.attempts}`;
}

export function registerDrain(program: Command, io: Io, globals: () => GlobalFlags): void {
  program
    .command('drain [nodes...]')
    .description('Drain nodes in preparation for maintenance: cordon, then evict their pods (kubectl drain, with an impact report and safer waits)')
    .addOption(new Option('-l, --selector <selector>', 'Selector (label query) to filter nodes on'))
    .addOption(new Option('--force', 'Continue even if there are pods that do not declare a controller'))
    .addOption(new Option('--ignore-daemonsets', 'Ignore DaemonSet-managed pods'))
    .addOption(new Option('--delete-emptydir-data', 'Continue even if there are pods using emptyDir (local data that will be deleted when the node is drained)'))
    .addOption(new Option('--grace-period <seconds>', 'Period of time in seconds given to each pod to terminate gracefully. If negative, the default value specified in the pod will be used').default('-1'))
    .addOption(new Option('--timeout <duration>', 'The length of time to wait before giving up, zero means infinite').default('0s'))
    .addOption(new Option('--pod-selector <selector>', 'Label selector to filter pods on the node'))
    .addOption(new Option('--disable-eviction', 'Force drain to use delete, even if eviction is supported. This will bypass checking PodDisruptionBudgets, use with caution'))
    .addOption(new Option('--skip-wait-for-delete-timeout <seconds>', 'If pod DeletionTimestamp older than N seconds, skip waiting for the pod. Seconds must be greater than 0 to skip').default('0'))
    .addOption(new Option('--chunk-size <n>', 'Return large lists in chunks rather than all at once. Pass 0 to disable').default('500'))
    .addOption(new Option('--dry-run [mode]', 'client (or bare --dry-run): print the impact report and change nothing; server: submit with dryRun=All; none'))
    .addOption(new Option('--wait-ready', 'after the pods are gone, wait until every affected workload is back to its desired available replicas elsewhere'))
    .addOption(new Option('--surge', 'for workloads whose only ready replicas are on the node, start a replacement elsewhere before evicting, then scale back'))
    .addOption(new Option('--max-unavailable <n>', 'drain up to N nodes at once (budgets are never broken)').default('1'))
    .action(async (names, opts) => {
      const g = globals();
      const dryRun = parseDryRun(opts.dryRun);
      const format = parseOutput(g.output, ['table', 'json', 'yaml']);
      if (!names.length && !opts.selector) throw new UsageError('USAGE: drain NODE [flags] (or -l SELECTOR)');
      if (names.length && opts.selector) throw new UsageError('cannot specify both a node name and a --selector option');
      let timeoutSeconds: number;
      try {
        timeoutSeconds = parseDuration(opts.timeout, '--timeout') / 1000;
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const gracePeriodSeconds = parseIntFlag(opts.gracePeriod, '--grace-period', -Infinity);
      const options: DrainRunOptions = {
        ...drainOptions({
          force: !!opts.force,
          ignoreDaemonSets: !!opts.ignoreDaemonsets,
          deleteEmptyDirData: !!opts.deleteEmptydirData,
          gracePeriodSeconds,
          timeoutSeconds,
          podSelector: opts.podSelector ?? '',
          disableEviction: !!opts.disableEviction,
          skipWaitForDeleteTimeoutSeconds: parseIntFlag(opts.skipWaitForDeleteTimeout, '--skip-wait-for-delete-timeout'),
          chunkSize: parseIntFlag(opts.chunkSize, '--chunk-size'),
          dryRun,
          selector: opts.selector ?? '',
        }),
        waitReady: !!opts.waitReady,
        surge: !!opts.surge,
        maxUnavailable: parseIntFlag(opts.maxUnavailable, '--max-unavailable', 1),
        concurrency: 16,
        // The command to continue with says which cluster, as this one did.
        command: ['upkeep', ...(g.kubeconfig ? ['--kubeconfig', shellQuote(g.kubeconfig)] : []), ...(g.context ? ['--context', shellQuote(g.context)] : []), 'drain'].join(' '),
      };
      if (options.surge && options.disableEviction) throw new UsageError("'--surge' and '--disable-eviction' are mutually exclusive: a surge relies on the eviction API's budget checks");
      const client = await clientFromFlags(g, io);
      const nodes = await resolveNodes(client, names, opts.selector);
      if (!nodes.length) {
        io.err('No resources found\n');
        return;
      }

      if (dryRun === 'client') {
        // The impact report: every pod's fate and every workload's availability, before acting.
        const report = analyzeDrain(await gatherDrainInput(client, nodes, options));
        if (format === 'json') io.out(toJson(report));
        else if (format === 'yaml') io.out(toYaml(report));
        else io.out(renderImpact(report));
        if (report.verdict === 'blocked') {
          throw new ExitError(3, format === 'table' ? '' : `drain would refuse ${report.refusedNodes.join(', ')}`);
        }
        return;
      }

      const quiet = format !== 'table';
      const progress = new Progress(io, quiet);
      const abort = new AbortController();
      const onSignal = () => {
        progress.err('interrupted: stopping evictions and putting surged workloads back (nodes stay cordoned)');
        abort.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const result = await drainNodes(
          client,
          nodes.map((n) => n.metadata.name ?? ''),
          options,
          {
            onCordoned: (_n, line) => !quiet && progress.out(line),
            onWarning: (_n, line) => !quiet && progress.err(line),
            onEvicting: (_p, line) => !quiet && progress.out(line),
            onEvicted: (_p, line) => !quiet && progress.out(line),
            onBudgetWait: (w) => progress.status(`budget:${w.pod}`, budgetWaitLine(w)),
            onRetry: (pod, message) => progress.status(`retry:${pod}`, `retrying ${pod}: ${message}`),
            onSurge: (_w, line) => !quiet && progress.out(line),
            onWaitReady: (w, line) => progress.status(`ready:${w}`, line),
            onNodeDone: (r) => {
              if (quiet) return;
              if (r.status === 'drained') progress.out(`node/${r.node} drained`);
              else {
                if (r.errorLine) progress.err(r.errorLine);
                if (r.pendingPods.length) progress.err(`There are pending pods in node "${r.node}" when an error occurred:\n${r.pendingPods.map((p) => `pod/${p.split('/').pop()}`).join('\n')}`);
                progress.err(`node/${r.node}: ${r.state}`);
              }
              for (const w of r.notReady ?? []) progress.err(`not back to its desired availability: ${w}`);
            },
          },
          abort.signal,
        );
        progress.clear();
        if (format === 'json') io.out(toJson(result));
        if (format === 'yaml') io.out(toYaml(result));
        const bad = result.nodes.filter((n) => n.status !== 'drained');
        if (bad.length && format === 'table') {
          io.err(`There are pending nodes to be drained:\n${bad.map((n) => ` ${n.node}`).join('\n')}\n`);
          if (result.continueWith) {
            // A refusal names the flags that would override it ("use --force to override"): offer them, saying what they cost.
            const needed = [...new Set(bad.flatMap((n) => [...(n.errorLine ?? '').matchAll(/use (--[a-z-]+)/g)].map((m) => m[1])))].filter((f) => !result.continueWith!.includes(f));
            if (needed.length) io.err(`To continue, if the pods named above may go as the flags say: ${result.continueWith} ${needed.join(' ')}\n`);
            else io.err(`To continue: ${result.continueWith}\n`);
          }
        }
        if (abort.signal.aborted) throw new ExitError(1, 'drain interrupted');
        if (bad.some((n) => n.status === 'failed')) throw new ExitError(1);
        if (bad.length) throw format === 'table' ? new ExitError(3) : new BlockedError(`${bad.length} node(s) not drained: ${bad.map((n) => `${n.node} (${n.status})`).join(', ')}`);
        const notReady = result.nodes.flatMap((n) => n.notReady ?? []);
        if (notReady.length) throw new ExitError(3);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
