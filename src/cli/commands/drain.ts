// `upkeep drain NODE... | -l SELECTOR`: kubectl drain's flags, decisions and lines, plus an
// impact report (--dry-run), PDB waits that say what they wait for, --wait-ready, --surge and
// --max-unavailable. Exit 3 when a node is refused or blocked, with its state and the command
// to continue.
import { Option, type Command } from '@commander-js/extra-typings';
import { DurationError, parseDurationFlag } from '../../api/duration.js';
import { resolveNodes, type DryRun } from '../../drain/cordon.js';
import { drainNodes, type DrainCallbacks, type DrainResult, type DrainRunOptions } from '../../drain/drain.js';
import { gatherDrainInput } from '../../drain/gather.js';
import type { Finding } from '../../audit/finding.js';
import { auditDrainedPods } from '../../audit/run.js';
import { analyzeDrain } from '../../drain/impact.js';
import { drainOptions, type DrainImpact } from '../../drain/types.js';
import type { GlobalFlags, Io } from '../context.js';
import { BlockedError, ExitError, UsageError } from '../errors.js';
import { clientFromFlags } from '../client.js';
import { parseDryRun, parseIntFlag } from '../flags.js';
import { nodeDoneLines, pendingNodesText, renderImpact } from '../output/drain.js';
import { parseOutput, toJson, toYaml, type OutputFormat } from '../output/format.js';
import { nodeSelectionFlags, selectorFlag } from './cordon.js';
import { Progress } from '../output/progress.js';
import { DrainWaits } from '../output/drain-live.js';
import { podKey } from '../../api/pods.js';
import { examples } from '../help.js';
import { findingsForProgram } from './audit.js';
import { drainImpactDocument, drainResultDocument } from '../output/drain-json.js';

/** kubectl drain's --timeout: a Go duration (1m30s); a bare number is taken as seconds. */
function timeoutSeconds(value: string): number {
  try {
    return parseDurationFlag(value, '--timeout', { bareSeconds: true }) / 1000;
  } catch (e) {
    if (e instanceof DurationError) throw new UsageError(e.message);
    throw e;
  }
}

/** The drain's progress: kubectl's lines on a table, nothing but the final document with -o json|yaml (Progress is quiet then). */
function progressCallbacks(progress: Progress, quiet: boolean, dryRun: DryRun, timeout: number): { callbacks: DrainCallbacks; stop(): void } {
  const started = performance.now();
  const waits = new DrainWaits();
  // The live line: what the drain waits for now, redrawn on every change and every second (elapsed, --timeout left).
  const draw = (): void => {
    const line = waits.line((performance.now() - started) / 1000, timeout);
    if (line) progress.status('drain-wait', line);
    else progress.clear();
  };
  const ticker = progress.live ? setInterval(draw, 1000) : undefined;
  ticker?.unref();
  const out = (line: string): void => {
    if (!quiet) progress.out(line);
    draw();
  };
  const callbacks: DrainCallbacks = {
    onCordoned: (_n, line) => out(line),
    onWarning: (_n, line) => {
      if (!quiet) progress.err(line);
    },
    onEvicting: (p, line) => {
      waits.evicting(p.spec?.nodeName ?? '', podKey(p));
      out(line);
    },
    onEvicted: (p, line) => {
      waits.done(podKey(p));
      out(line);
    },
    onBudgetWait: (w) => {
      waits.budgetWait(w);
      draw();
    },
    onTerminating: (p, grace) => {
      waits.terminatingPod(p.spec?.nodeName ?? '', podKey(p), grace);
      draw();
    },
    onRetry: (pod, message) => progress.status(`retry:${pod}`, `retrying ${pod}: ${message}`),
    onSurge: (_w, line) => out(line),
    onWaitReady: (w, line) => progress.status(`ready:${w}`, line),
    onNodeDone: (r) => {
      waits.nodeDone(r.node);
      progress.clear();
      if (!quiet) {
        const lines = nodeDoneLines(r, dryRun);
        for (const line of lines.out) progress.out(line);
        for (const line of lines.err) progress.err(line);
      }
      draw();
    },
  };
  return { callbacks, stop: () => clearInterval(ticker) };
}

/** The impact report: every pod's fate and every workload's availability, and the audit of the pods, before acting. Exit 3 when a node would be refused. */
function impactReport(io: Io, format: OutputFormat, report: DrainImpact, findings: Finding[]): void {
  if (format === 'json') io.out(toJson({ ...drainImpactDocument(report), auditFindings: findings }));
  else if (format === 'yaml') io.out(toYaml({ ...drainImpactDocument(report), auditFindings: findings }));
  else io.out(renderImpact(report, findings));
  if (report.verdict === 'blocked') throw new ExitError(3, format === 'table' ? '' : `drain would refuse ${report.refusedNodes.join(', ')}`);
  if (report.verdict === 'never') throw new ExitError(3, format === 'table' ? '' : `PodDisruptionBudget ${report.neverAllowingBudgets.join(', ')} can never allow the evictions`);
}

/** Run the drain with its progress, stop it on SIGINT/SIGTERM, and print the result. Exit 1: failed or interrupted; 3: refused, blocked or not back. */
async function runDrain(io: Io, format: OutputFormat, dryRun: DryRun, timeout: number, drain: (callbacks: DrainCallbacks, signal: AbortSignal) => Promise<DrainResult>): Promise<void> {
  const quiet = format !== 'table';
  const progress = new Progress(io, quiet);
  const abort = new AbortController();
  const onSignal = (): void => {
    progress.err('interrupted: stopping evictions and putting surged workloads back (nodes stay cordoned)');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const live = progressCallbacks(progress, quiet, dryRun, timeout);
    const result = await drain(live.callbacks, abort.signal).finally(() => live.stop());
    progress.clear();
    if (format === 'json') io.out(toJson(drainResultDocument(result)));
    if (format === 'yaml') io.out(toYaml(drainResultDocument(result)));
    const pending = pendingNodesText(result);
    if (pending && format === 'table') io.err(pending);
    const bad = result.nodes.filter((n) => n.status !== 'drained');
    if (abort.signal.aborted) throw new ExitError(1, 'drain interrupted');
    if (bad.some((n) => n.status === 'failed')) throw new ExitError(1);
    if (bad.length) throw format === 'table' ? new ExitError(3) : new BlockedError(`${bad.length} node(s) not drained: ${bad.map((n) => `${n.node} (${n.status})`).join(', ')}`);
    if (result.nodes.some((n) => (n.notReady ?? []).length > 0)) throw new ExitError(3);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function registerDrain(program: Command, io: Io, globals: () => GlobalFlags): void {
  const cmd = program
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
    .addOption(new Option('--dry-run [mode]', 'Must be "none", "server", or "client". client: print the impact report and change nothing; server: submit every eviction with dryRun=All'))
    .addOption(new Option('--wait-ready', 'after the pods are gone, wait until every affected workload is back to its desired available replicas elsewhere'))
    .addOption(new Option('--surge', 'for workloads whose only ready replicas are on the node, start a replacement elsewhere before evicting, then scale back'))
    .addOption(new Option('--max-unavailable <n>', 'drain up to N nodes at once (budgets are never broken)').default('1'))
    .action(async (names, opts) => {
      const g = globals();
      const dryRun = parseDryRun(opts.dryRun);
      const format = parseOutput(g.output, ['table', 'json', 'yaml']);
      nodeSelectionFlags(names, opts.selector, 'USAGE: drain NODE [flags] (or -l SELECTOR)');
      const timeout = timeoutSeconds(opts.timeout);
      const options: DrainRunOptions = {
        ...drainOptions({
          force: !!opts.force,
          ignoreDaemonSets: !!opts.ignoreDaemonsets,
          deleteEmptyDirData: !!opts.deleteEmptydirData,
          gracePeriodSeconds: parseIntFlag(opts.gracePeriod, '--grace-period', -Infinity),
          timeoutSeconds: timeout,
          podSelector: selectorFlag(opts.podSelector, '--pod-selector') ?? '',
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
        command: [...program.name().split(' '), ...(g.kubeconfig ? ['--kubeconfig', g.kubeconfig] : []), ...(g.context ? ['--context', g.context] : []), 'drain'],
      };
      if (options.surge && options.disableEviction) throw new UsageError("'--surge' and '--disable-eviction' are mutually exclusive: a surge relies on the eviction API's budget checks");
      const client = await clientFromFlags(g, io);
      // Resolved once: the drain gets these nodes, not the names or the selector again.
      const nodes = await resolveNodes(client, names, opts.selector);
      if (!nodes.length) {
        io.err('No resources found\n');
        return;
      }
      if (dryRun === 'client') {
        const input = await gatherDrainInput(client, nodes, options);
        impactReport(io, format, analyzeDrain({ ...input, surge: options.surge }), findingsForProgram(await auditDrainedPods(client, input), program.name()));
      }
      else await runDrain(io, format, dryRun, timeout, (callbacks, signal) => drainNodes(client, nodes, options, callbacks, signal));
    });
  examples(cmd, [
    ['What draining node01 would do: every pod\'s fate and every budget, changing nothing', 'upkeep drain node01 --ignore-daemonsets --dry-run=client'],
    ['Drain node01, even if there are pods not managed by a controller', 'upkeep drain node01 --ignore-daemonsets --force'],
    ['Drain the nodes labelled pool=batch, two at a time, giving up after 10 minutes', 'upkeep drain -l pool=batch --ignore-daemonsets --max-unavailable 2 --timeout 10m'],
    ['Drain node01 and wait until its workloads are available elsewhere', 'upkeep drain node01 --ignore-daemonsets --wait-ready'],
  ]);
}
