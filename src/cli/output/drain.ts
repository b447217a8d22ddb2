// How `upkeep drain` shows what the drain domain returns: the impact report of a dry run, a
// budget wait, each node's end, and the nodes left with the command to continue. Pure text from
// data: nothing here reads the domain's prose back.
import type { BudgetWait } from '../../drain/evict.js';
import type { DrainResult, NodeDrainResult } from '../../drain/result.js';
import type { BudgetImpact, DrainImpact } from '../../drain/types.js';
import type { Finding } from '../../audit/finding.js';
import { renderFindings } from './audit.js';
import { tabwriteLines } from './table.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function seconds(n: number): string {
  return `${n}s`;
}

// ---------------------------------------------------------------------------------------------
// The impact report (upkeep drain --dry-run)
// ---------------------------------------------------------------------------------------------

function verdictLine(r: DrainImpact): string {
  const c = r.counts;
  const what = `${c.evict + c.lost + c.delete} to ${r.options.disableEviction ? 'delete' : 'evict'}, ${c.skip} skipped, ${c.blocked} blocking`;
  switch (r.verdict) {
    case 'blocked':
      return `Verdict: blocked — ${r.refusedNodes.join(', ')} would be refused: nothing is evicted there and the node stays cordoned (${what})`;
    case 'will-fail':
      return `Verdict: will fail — ${plural(c.overlappingPods, 'pod')} under overlapping PodDisruptionBudgets: the eviction answers 500 and the node is left partly drained (${what})`;
    case 'will-wait': {
      const until = r.options.timeoutSeconds > 0 ? `until --timeout ${seconds(r.options.timeoutSeconds)}` : 'with no --timeout, possibly forever';
      return `Verdict: will wait — PodDisruptionBudget ${r.blockingBudgets.join(', ')} allows fewer evictions than needed; the drain retries every 5s ${until} (${what})`;
    }
    case 'never':
      return `Verdict: will never finish — PodDisruptionBudget ${r.neverAllowingBudgets.join(', ')} can never allow the evictions needed: the drain waits ${r.options.timeoutSeconds > 0 ? `until --timeout ${seconds(r.options.timeoutSeconds)} and fails` : 'forever (no --timeout)'} (${what})`;
    default:
      return `Verdict: ok (${what})`;
  }
}

function budgetVerdict(b: BudgetImpact): string {
  if (b.bypassed) return 'bypassed (--disable-eviction)';
  if (!b.blocks) return 'ok';
  if (b.surgeResolves) return `blocks by ${b.shortBy}; --surge resolves it`;
  return b.waitsForever ? `blocks by ${b.shortBy}, never allows more: waits until --timeout` : `blocks by ${b.shortBy}: waits for replacements`;
}

function nodeSections(report: DrainImpact): string[] {
  const out: string[] = [];
  for (const node of report.nodes) {
    out.push(`Impact of draining ${node.name} (cordoned: ${node.cordoned ? 'yes' : 'no'})`);
    if (node.pods.length === 0) out.push('No pods on the node.');
    else out.push(...tabwriteLines([['POD', 'FATE', 'REASON'], ...node.pods.map((p) => [`${p.namespace}/${p.name}`, p.fate, p.reason])]));
    if (node.refused) {
      out.push(`${node.name} would be refused: nothing is evicted from it, and it stays cordoned:`);
      for (const e of node.errors) out.push(`  ${e}`);
    }
    if (node.warnings.length > 0) out.push(`Warning: ${node.warnings.join('; ')}`);
    if (node.notReady) out.push(`Warning: ${node.name} is NotReady: its kubelet does not finish evicted pods, which stay terminating until --skip-wait-for-delete-timeout or --timeout`);
    out.push('');
  }
  return out;
}

function budgetSection(report: DrainImpact): string[] {
  const out: string[] = [];
  if (report.podDisruptionBudgets.length === 0) {
    out.push('PodDisruptionBudgets: none selects a pod to evict');
  } else {
    out.push(
      ...tabwriteLines([
        ['PODDISRUPTIONBUDGET', 'SELECTOR', 'ALLOWED', 'NEEDED', 'VERDICT'],
        ...report.podDisruptionBudgets.map((b) => [`${b.namespace}/${b.name}`, b.selector, b.disruptionsAllowed, b.evictions, budgetVerdict(b)]),
      ]),
    );
  }
  if (report.overlappingBudgets.length > 0) {
    out.push('Overlapping PodDisruptionBudgets (the eviction answers 500: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."):');
    out.push(...tabwriteLines(report.overlappingBudgets.map((o) => [o.pod, o.podDisruptionBudgets.join(', ')]), { indent: '  ' }));
  }
  return out;
}

/** The impact report as text, for `upkeep drain NODE... --dry-run`; with the audit's findings for the drained pods (upkeep audit's rules) before the verdict. */
export function renderImpact(report: DrainImpact, findings: readonly Finding[] = []): string {
  const out = nodeSections(report);
  if (report.workloads.length > 0) {
    out.push(...tabwriteLines([['WORKLOAD', 'AVAILABILITY'], ...report.workloads.map((w) => [`${w.namespace}/${w.name} (${w.kind})`, w.summary])]));
    out.push('');
  }
  out.push(...budgetSection(report), '');
  const g = report.longestGracePeriod;
  if (!g) out.push('Longest grace period: none (no running pod to evict)');
  else out.push(`Longest grace period: ${seconds(g.seconds)} (${report.options.gracePeriodSeconds >= 0 ? '--grace-period' : g.pod})`);
  if (report.surgePlan.length > 0) {
    out.push('With --surge, replacements start elsewhere before the evictions:');
    out.push(...report.surgePlan.map((p) => `  ${p.workload.kind} ${p.workload.namespace}/${p.workload.name}: ${p.from} -> ${p.to} replicas, back to ${p.from} after the drain`));
  }
  if (findings.length) out.push('', 'Audit of the pods to drain (upkeep audit):', ...renderFindings(findings));
  out.push(verdictLine(report));
  for (const h of report.hints) out.push(`To continue: ${h.flag} (${h.why})`);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// The drain itself
// ---------------------------------------------------------------------------------------------

/** "waiting to evict ns/pod: PodDisruptionBudget ns/x allows no disruption now (needs 3 healthy, has 3); attempt 2" */
export function budgetWaitLine(w: BudgetWait): string {
  const why = w.desiredHealthy !== undefined && w.currentHealthy !== undefined ? `needs ${w.desiredHealthy} healthy, has ${w.currentHealthy}` : w.message;
  return `waiting to evict ${w.pod}: PodDisruptionBudget ${w.budget} allows no disruption now (${why}); attempt ${w.attempts}`;
}

/** Whole seconds as Go prints a duration: 45s, 1m30s, 1h2m0s. */
export function goSeconds(total: number): string {
  const s = Math.max(0, Math.floor(total));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h) return `${h}h${m}m${s % 60}s`;
  return m ? `${m}m${s % 60}s` : `${s}s`;
}

/** How long the drain has waited, and how much of --timeout is left (0: no limit), for the live line. */
export function clockText(elapsedSeconds: number, timeoutSeconds: number): string {
  const elapsed = `${goSeconds(elapsedSeconds)} elapsed`;
  return timeoutSeconds > 0 ? `${elapsed}, ${goSeconds(timeoutSeconds - elapsedSeconds)} of --timeout left` : elapsed;
}

/** An argument as a POSIX shell reads it back: bare when safe, else single-quoted. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A command line to copy and paste. */
export function commandLine(args: readonly string[]): string {
  return args.map(shellQuote).join(' ');
}

/** What to print when a node is done: on stdout for a drained node, on stderr (kubectl's lines and its state) otherwise. */
export function nodeDoneLines(r: NodeDrainResult, dryRun: 'none' | 'client' | 'server' = 'none'): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  // kubectl: "node/x drained (server dry run)".
  if (r.status === 'drained') out.push(`node/${r.node} drained${dryRun === 'server' ? ' (server dry run)' : ''}`);
  else {
    if (r.errorLine) err.push(r.errorLine);
    if (r.pendingPods.length) err.push(`There are pending pods in node "${r.node}" when an error occurred:\n${r.pendingPods.map((p) => `pod/${p.split('/').pop()}`).join('\n')}`);
    err.push(`node/${r.node}: ${r.state}`);
  }
  for (const w of r.notReady ?? []) err.push(`not back to its desired availability: ${w}`);
  return { out, err };
}

/** Every pod went; only workloads did not come back in time (--wait-ready). */
function isDrainedNotBack(n: NodeDrainResult): boolean {
  return (n.notReady ?? []).length > 0 && n.pendingPods.length === 0 && !n.interrupted;
}

/**
 * kubectl's closing lines for the nodes not drained, and the command to continue; with the
 * flags the nodes still need, saying what they cost. Empty when every node drained.
 */
export function pendingNodesText(result: DrainResult): string {
  // Drained, but --wait-ready found workloads not back: not "pending nodes to be drained".
  const notBack = result.nodes.filter((n) => n.status !== 'drained' && isDrainedNotBack(n));
  const bad = result.nodes.filter((n) => n.status !== 'drained' && !isDrainedNotBack(n));
  let text = notBack.length ? `Drained, but workloads not back to full availability (--wait-ready):\n${notBack.map((n) => ` ${n.node}`).join('\n')}\n` : '';
  if (bad.length === 0) return text;
  text += `There are pending nodes to be drained:\n${bad.map((n) => ` ${n.node}`).join('\n')}\n`;
  const command = result.continueWith;
  if (command) {
    const needed = [...new Set(bad.flatMap((n) => n.needs))].filter((f) => !command.includes(f));
    if (needed.length) text += `To continue, if the pods named above may go as the flags say: ${commandLine([...command, ...needed])}\n`;
    else text += `To continue: ${commandLine(command)}\n`;
  }
  return text;
}
