// What a drain waits for right now, as one live line: the evictions a PodDisruptionBudget refuses
// (the budget and its numbers), else the pods evicted and still terminating (with their grace
// periods), then the time waited and the --timeout left. Pure state: the drain's callbacks feed
// it, progress.ts draws the line it returns.
import type { BudgetWait } from '../../drain/evict.js';
import { budgetWaitLine, clockText, goSeconds } from './drain.js';

interface Terminating {
  node: string;
  gracePeriodSeconds: number;
}

/** How many terminating pods the line names before it only counts the rest. */
const NAMED = 3;

export class DrainWaits {
  private readonly budgetWaits = new Map<string, BudgetWait & { node: string }>();
  private readonly terminating = new Map<string, Terminating>();
  /** The node of each pod being evicted (a budget's refusal names only the pod). */
  private readonly nodeOf = new Map<string, string>();

  /** The drain started evicting the pod. */
  evicting(node: string, pod: string): void {
    this.nodeOf.set(pod, node);
  }

  /** A budget refused the pod's eviction (again). */
  budgetWait(wait: BudgetWait): void {
    this.budgetWaits.set(wait.pod, { ...wait, node: this.nodeOf.get(wait.pod) ?? '' });
  }

  /** The eviction was accepted: no budget holds the pod any more, it terminates. */
  terminatingPod(node: string, pod: string, gracePeriodSeconds: number): void {
    this.budgetWaits.delete(pod);
    this.terminating.set(pod, { node, gracePeriodSeconds });
  }

  /** The pod is gone (or no longer waited for). */
  done(pod: string): void {
    this.nodeOf.delete(pod);
    this.budgetWaits.delete(pod);
    this.terminating.delete(pod);
  }

  /** The node's drain ended: nothing on it is waited for any more. */
  nodeDone(node: string): void {
    for (const [pod, w] of this.budgetWaits) if (w.node === node) this.budgetWaits.delete(pod);
    for (const [pod, t] of this.terminating) if (t.node === node) this.terminating.delete(pod);
    for (const [pod, n] of this.nodeOf) if (n === node) this.nodeOf.delete(pod);
  }

  /** The line to show, or undefined when nothing is waited for. */
  line(elapsedSeconds: number, timeoutSeconds: number): string | undefined {
    const clock = clockText(elapsedSeconds, timeoutSeconds);
    const budget = [...this.budgetWaits.values()].at(-1);
    if (budget) {
      const more = this.budgetWaits.size > 1 ? ` (+${this.budgetWaits.size - 1} more held by budgets)` : '';
      const terminating = this.terminating.size ? `; ${this.terminating.size} terminating` : '';
      return `${budgetWaitLine(budget)}${more}${terminating}; ${clock}`;
    }
    if (this.terminating.size === 0) return undefined;
    return `${terminatingText([...this.terminating])}; ${clock}`;
  }
}

/** "waiting for 2 pods to terminate: default/a (grace period 30s), default/b (grace period 5s)" */
export function terminatingText(pods: ReadonlyArray<readonly [string, { gracePeriodSeconds: number }]>): string {
  const named = pods.slice(0, NAMED).map(([pod, t]) => `${pod} (grace period ${goSeconds(t.gracePeriodSeconds)})`);
  const rest = pods.length > NAMED ? `, and ${pods.length - NAMED} more` : '';
  const what = pods.length === 1 ? '1 pod' : `${pods.length} pods`;
  return `waiting for ${what} to terminate: ${named.join(', ')}${rest}`;
}
