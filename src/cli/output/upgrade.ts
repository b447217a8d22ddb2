// Text renderings of the upgrade executor: the steps before a run (--dry-run, and what --yes
// confirms) with each wave's drain impact, one line per event, the journal (`upgrade status`),
// the summary table at the end, and the failed-gate message with the command to continue.
import { formatGoDuration } from '../../api/duration.js';
import type { DrainImpact } from '../../drain/types.js';
import type { UpgradeEvent } from '../../upgrade/apply/execute.js';
import type { EtcdSnapshotNote, SnapshotPreview } from '../../upgrade/apply/etcdsnapshot.js';
import { nodeState, type Journal, type StepRecord } from '../../upgrade/apply/journal.js';
import type { Step, StrategyImpact } from '../../upgrade/apply/steps.js';
import type { ManagedControlPlane } from '../../upgrade/managed.js';
import { NODE_GROUP_TITLE, nodeGroupUpgradeCommands } from '../../upgrade/nodegroups.js';
import type { NodeGroupStep } from '../../upgrade/runbook.js';
import { table } from './table.js';

function what(s: Step): string {
  switch (s.kind) {
    case 'add-nodes':
      return `add ${s.count} worker${s.count === 1 ? '' : 's'} at ${s.to}`;
    case 'cordon-old':
      return `cordon the old workers: ${(s.nodes ?? []).join(', ')}`;
    case 'replace-node':
      return `${s.node}: drain, remove the machine`;
    case 'maintain':
      return `${s.node}: drain, run the maintenance, wait for Ready, uncordon`;
    case 'upgrade': {
      const cp = s.role === 'first-control-plane' ? 'kubeadm upgrade apply, ' : s.role === 'control-plane' ? 'kubeadm upgrade node, ' : '';
      return `${s.node} (${s.role}): ${cp}${s.drain ? `drain, kubelet ${s.from} -> ${s.to}, wait for Ready, uncordon` : `static pods to ${s.to} (the kubelet stays)`}`;
    }
  }
}

/** One wave's drain impact in a line: what is evicted and what goes down while the wave runs. */
export function impactLine(d: DrainImpact): string {
  const down = d.workloads.filter((w) => w.verdict === 'goes down' || w.verdict === 'lost').map((w) => `${w.kind} ${w.namespace}/${w.name}`);
  const waits = d.blockingBudgets.length ? `; waits for budgets ${d.blockingBudgets.join(', ')}` : '';
  const refused = d.refusedNodes.length ? `; REFUSED: ${d.refusedNodes.join(', ')} (${d.nodes.flatMap((n) => n.errors).join('; ')})` : '';
  return `evicts ${d.counts.evict + d.counts.delete} pod${d.counts.evict + d.counts.delete === 1 ? '' : 's'}; ${down.length ? `goes down: ${down.join(', ')}` : 'every workload stays available'}${waits}${refused}`;
}

/** The steps in order, wave by wave, with each wave's drain impact. */
export function renderSteps(title: string, steps: readonly Step[], impact: StrategyImpact, impacts: ReadonlyMap<number, DrainImpact>): string {
  const lines = [title, impact.summary, ''];
  let wave = 0;
  for (const s of steps) {
    if (s.wave !== wave) {
      wave = s.wave;
      const d = impacts.get(wave);
      lines.push(`wave ${wave}${s.hop ? ` (${s.hop})` : ''}${d ? `: ${impactLine(d)}` : ''}`);
    }
    lines.push(`  ${s.id}. ${what(s)}`);
  }
  return lines.join('\n') + '\n';
}

/** One event as a plain line; undefined for those only the live line shows. */
export function eventLine(e: UpgradeEvent): string | undefined {
  switch (e.type) {
    case 'wave':
      return `wave ${e.wave}: ${e.nodes.join(', ')}`;
    case 'phase':
      return `${e.node || `step ${e.step}`}: ${e.phase}`;
    case 'line':
      return `${e.node ? `${e.node}: ` : ''}${e.line}`;
    case 'gate-failed':
      return `${e.node}: gate ${e.gate} failed: ${e.message}`;
    case 'step-done':
      return `${e.node || `step ${e.step}`}: done in ${formatGoDuration(Math.round(e.ms))}${e.evicted ? `, ${e.evicted} pods moved` : ''}`;
    case 'waiting':
      return undefined;
  }
}

function ms(a?: string, b?: string): string {
  if (!a || !b) return '';
  return formatGoDuration(Math.max(0, Date.parse(b) - Date.parse(a)));
}

const passed = (s: StepRecord, phase: StepRecord['phase']): string => {
  const order = ['pending', 'draining', 'upgrading', 'waiting-ready', 'gates', 'uncordoning', 'done'];
  return order.indexOf(s.phase) > order.indexOf(phase) ? 'yes' : 'no';
};

/** The summary at the end: node, from, to, drained, upgraded, Ready, pods moved, time. */
export function renderSummary(j: Journal): string {
  const rows = j.steps
    .filter((s) => s.node)
    .map((s) => [s.node, s.from, s.to, s.drain ? passed(s, 'draining') : '-', passed(s, 'upgrading'), s.kind === 'replace-node' ? 'removed' : passed(s, 'waiting-ready'), s.evicted ?? 0, ms(s.startedAt, s.finishedAt)]);
  return table(['NODE', 'FROM', 'TO', 'DRAINED', 'UPGRADED', 'READY', 'PODS MOVED', 'TIME'], rows);
}

/** Where the etcd snapshot taken before the run is (or why there is none), in one line. */
export function snapshotLine(n: EtcdSnapshotNote): string {
  if (!n.file) return `etcd snapshot: none (${n.skipped ?? 'not taken'})`;
  const facts = [n.revision !== undefined ? `revision ${n.revision}` : '', n.size !== undefined ? `${n.size} bytes` : '', n.endpoint ? `from ${n.endpoint}` : '', n.sha256 ? 'sha256 verified' : ''].filter(Boolean);
  return `etcd snapshot: ${n.file} (${facts.join(', ')})`;
}

/** A managed cluster's node groups: the provider upgrades them, upkeep says with which command. */
export function nodeGroupLines(groups: readonly NodeGroupStep[], managed: ManagedControlPlane | undefined): string {
  return groups
    .map((s) => `Node group ${s.group.name} (${NODE_GROUP_TITLE[s.group.kind]}, ${s.group.nodes.length} node${s.group.nodes.length === 1 ? '' : 's'}) is upgraded by the provider, not by this run: ${nodeGroupUpgradeCommands(s.group, managed, s.to)[0]}\n`)
    .join('');
}

/** --dry-run's line about the snapshot the run would take first. */
export function snapshotPreviewLine(p: SnapshotPreview): string {
  if (p.stops) return `etcd snapshot: ${p.file ?? p.directory}: ${p.skipped}; the run would stop before any change`;
  if (!p.take) return `etcd snapshot: none (${p.skipped ?? 'not taken'})`;
  const where = p.file ?? `a file named after the run in ${p.directory}`;
  return `etcd snapshot: would be saved to ${where}${p.endpoint ? ` from ${p.endpoint}` : ''} and verified before the first control-plane change`;
}

/** `upgrade status`: the run, its holder, and each step with its phase and where the node is. */
export function renderStatus(j: Journal, holder: string | undefined): string {
  const done = j.steps.filter((s) => s.phase === 'done').length;
  const head = [
    `Run:      ${j.id} (${j.operation}${j.target ? ` to ${j.target}` : ''}, ${j.strategy})`,
    `State:    ${j.state}${holder ? `, held by ${holder}` : ', no run holds the lease'}`,
    `Progress: ${done}/${j.steps.length} steps done; updated ${j.updatedAt}`,
    ...(j.etcdSnapshot ? [`Etcd:     ${snapshotLine(j.etcdSnapshot).replace(/^etcd snapshot: /, 'snapshot ')}`] : []),
    '',
  ];
  const rows = j.steps.map((s) => [s.id, s.wave, s.node || s.kind, s.from, s.to, s.failed ? `${s.phase} (gate ${s.failed.gate} failed)` : s.phase, nodeState(s)]);
  const failed = j.steps.filter((s) => s.failed).map((s) => `\nstep ${s.id} ${s.node}: gate ${s.failed?.gate}: ${s.failed?.message}`);
  return head.join('\n') + '\n' + table(['STEP', 'WAVE', 'NODE', 'FROM', 'TO', 'PHASE', 'STATE'], rows) + failed.join('') + (failed.length ? '\n' : '');
}

/** A failed gate, in one line: the node, the gate, the state the node is in, and the command to continue. */
export function gateFailedMessage(s: StepRecord, gate: string, message: string, continueWith: string[]): string {
  return `gate ${gate} failed at step ${s.id} on ${s.node || s.kind} (${s.phase}): ${message}; ${s.node || s.kind} is ${nodeState(s)}; fix it, then continue with: ${continueWith.join(' ')}`;
}
