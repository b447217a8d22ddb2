// The journal: what an upgrade run has done, step by step, kept in the cluster (a ConfigMap in
// kube-system, store.ts) so that any machine can see it (`upgrade status`) and carry it on
// (`upgrade resume`). Each step walks the same phases; every phase is idempotent, so a run killed
// at any point resumes at the phase it was in. Pure: the transitions and what resume does next.
import type { EtcdSnapshotNote } from './etcdsnapshot.js';
import type { Step } from './steps.js';

/** A node step's phases, in order. */
export const PHASES = ['pending', 'draining', 'upgrading', 'waiting-ready', 'gates', 'uncordoning', 'done'] as const;
export type Phase = (typeof PHASES)[number];

/** A gate that stopped a step: which check, in the issue's words. */
export type Gate = 'skew' | 'drain' | 'upgrade' | 'node-ready' | 'control-plane' | 'workloads' | 'provision' | 'health';

export interface StepRecord extends Step {
  phase: Phase;
  /** The phase it failed in (phase stays there): resume restarts that phase. */
  failed?: { gate: Gate; message: string; at: string };
  startedAt?: string;
  finishedAt?: string;
  /** The node was cordoned (by someone) before this run touched it: never uncordoned by the run. */
  wasCordoned?: boolean;
  /** Pods this run evicted from the node. */
  evicted?: number;
  /** add-nodes: the new nodes' names, once added. */
  added?: string[];
}

export type RunState = 'running' | 'failed' | 'aborting' | 'aborted' | 'done';

export interface Journal {
  /** 'upgrade' (upgrade apply) or 'maintain' (node maintain). */
  operation: 'upgrade' | 'maintain';
  /** The run's id: its start time and holder. */
  id: string;
  state: RunState;
  /** What the run targets ('v1.32.13'; '' for maintenance). */
  target: string;
  strategy: string;
  /** The options the run was started with, to resume with the same (drain flags, upgrader, timeouts). */
  options: Record<string, unknown>;
  startedAt: string;
  updatedAt: string;
  /** Who holds or last held the run (the Lease holder). */
  holder: string;
  /** The etcd snapshot taken before the first control-plane change (--etcd-snapshot), or why none was. */
  etcdSnapshot?: EtcdSnapshotNote;
  steps: StepRecord[];
}

export function newJournal(operation: Journal['operation'], steps: readonly Step[], facts: Pick<Journal, 'target' | 'strategy' | 'options' | 'holder' | 'etcdSnapshot'>, now: string): Journal {
  return { operation, id: `${operation}-${now}`, state: 'running', ...facts, startedAt: now, updatedAt: now, steps: steps.map((s) => ({ ...s, phase: 'pending' })) };
}

/** The phase after this one. */
export function nextPhase(p: Phase): Phase {
  const i = PHASES.indexOf(p);
  return PHASES[Math.min(i + 1, PHASES.length - 1)];
}

/** Move a step to a phase (clearing a failure: the phase is being tried again). */
export function enterPhase(j: Journal, id: number, phase: Phase, now: string): Journal {
  return {
    ...j,
    updatedAt: now,
    steps: j.steps.map((s) => {
      if (s.id !== id) return s;
      const { failed: _failed, ...rest } = s;
      return { ...rest, phase, ...(s.startedAt ? {} : { startedAt: now }), ...(phase === 'done' ? { finishedAt: now } : {}) };
    }),
  };
}

export function updateStep(j: Journal, id: number, patch: Partial<Pick<StepRecord, 'wasCordoned' | 'evicted' | 'added'>>, now: string): Journal {
  return { ...j, updatedAt: now, steps: j.steps.map((s) => (s.id === id ? { ...s, ...patch } : s)) };
}

/** A gate failed: the step stays in its phase, the run is failed (resume retries that phase). */
export function failStep(j: Journal, id: number, gate: Gate, message: string, now: string): Journal {
  return { ...j, state: 'failed', updatedAt: now, steps: j.steps.map((s) => (s.id === id ? { ...s, failed: { gate, message, at: now } } : s)) };
}

export function setState(j: Journal, state: RunState, now: string): Journal {
  return { ...j, state, updatedAt: now };
}

/** The wave resume continues with: the first one with a step not done; undefined when all are. */
export function nextWave(j: Journal): number | undefined {
  return j.steps.find((s) => s.phase !== 'done')?.wave;
}

/** What a command may do with the journal as it is. */
export type JournalVerdict = { ok: true } | { ok: false; reason: string; exitCode: 1 | 2 | 3 };

/** `upgrade apply` starts a new run unless one is unfinished. */
export function mayStart(j: Journal | undefined): JournalVerdict {
  if (!j || j.state === 'done' || j.state === 'aborted') return { ok: true };
  return { ok: false, exitCode: 3, reason: `an ${j.operation} run (${j.id}) is ${j.state}: carry it on with 'upkeep upgrade resume', or stop it with 'upkeep upgrade abort'` };
}

/** `upgrade resume` carries on a failed or interrupted run. */
export function mayResume(j: Journal | undefined): JournalVerdict {
  if (!j) return { ok: false, exitCode: 2, reason: 'there is no upgrade run to resume (no journal in kube-system/upkeep-upgrade): start one with upkeep upgrade apply' };
  if (j.state === 'done') return { ok: false, exitCode: 2, reason: `the run ${j.id} is done: there is nothing to resume` };
  if (j.state === 'aborted') return { ok: false, exitCode: 2, reason: `the run ${j.id} was aborted: start a new one with upkeep upgrade apply` };
  return { ok: true };
}

/** Where each node was left, in words (status, abort, a failed gate). */
export function nodeState(s: StepRecord): string {
  if (s.kind === 'add-nodes') return s.phase === 'done' ? `added ${(s.added ?? []).join(', ')}` : 'not added yet';
  if (s.kind === 'cordon-old') return s.phase === 'done' ? `cordoned ${(s.nodes ?? []).join(', ')}` : 'old workers not cordoned yet';
  const cordon = s.wasCordoned ? 'cordoned before the run (left so)' : 'cordoned by this run';
  switch (s.phase) {
    case 'pending':
      return `untouched at ${s.from}`;
    case 'draining':
      return `${cordon}, draining, at ${s.from}`;
    case 'upgrading':
      return `${cordon}, drained, ${s.kind === 'maintain' ? 'in maintenance' : `upgrading ${s.from} -> ${s.to}`}`;
    case 'waiting-ready':
    case 'gates':
      return `${cordon}, drained, ${s.kind === 'maintain' ? 'maintained' : `upgraded to ${s.to}`}, waiting for its gates`;
    case 'uncordoning':
      return `${cordon}, at ${s.to}, gates passed, to uncordon`;
    case 'done':
      return s.kind === 'replace-node' ? 'drained and removed' : `done at ${s.to}${s.wasCordoned ? ' (left cordoned, as it was before)' : ', uncordoned'}`;
  }
}
