// Removing a node's pods: each one evicted (or deleted) and waited for by removePod, at most
// --concurrency at once, the pods of a surging Deployment only once its new replicas are Ready
// elsewhere, and each surge put back as soon as its pods are gone. Returns what became of every
// pod; what that means for the node is nodeResult's to say.
import { podKey } from '../api/pods.js';
import type { Pod } from '../api/types.js';
import { removePod, type RemovalContext, type RemovalOutcome } from './evict.js';
import type { PodOutcome } from './result.js';
import type { SurgeHandle } from './surge.js';

/** Run fn over items with at most `limit` in flight, in order of start. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

/**
 * The surging Deployments of one node: a pod of one waits until its replacements are Ready (or
 * the surge gave up), and a Deployment is put back once all its pods on the node are done.
 */
export class SurgeGate {
  /** Lines of the restores that could not put a Deployment back as it was. */
  readonly problems: string[] = [];
  private readonly byPod = new Map<string, SurgeHandle>();
  private readonly left = new Map<SurgeHandle, number>();
  private readonly restored = new Set<SurgeHandle>();
  private readonly restoring: Promise<void>[] = [];

  constructor(private readonly handles: readonly SurgeHandle[] = []) {
    for (const h of handles) {
      this.left.set(h, h.podUids.size);
      for (const uid of h.podUids) this.byPod.set(uid, h);
    }
  }

  /** Resolves when the pod may go. */
  async ready(pod: Pod): Promise<void> {
    await this.byPod.get(pod.metadata.uid ?? '')?.ready;
  }

  /** The pod is done with: put its Deployment back once it was the last of them. */
  done(pod: Pod): void {
    const h = this.byPod.get(pod.metadata.uid ?? '');
    if (!h) return;
    const n = (this.left.get(h) ?? 1) - 1;
    this.left.set(h, n);
    if (n === 0) this.restoring.push(this.restore(h));
  }

  /** Put back every Deployment not put back yet. */
  async restoreAll(): Promise<void> {
    await Promise.all(this.restoring);
    for (const h of this.handles) await this.restore(h);
  }

  private async restore(h: SurgeHandle): Promise<void> {
    if (this.restored.has(h)) return;
    this.restored.add(h);
    const problem = await h.restore();
    if (problem) this.problems.push(problem);
  }
}

export interface RemoveAllContext extends RemovalContext {
  /** Evictions in flight at once. */
  concurrency: number;
}

/**
 * Each pod's own signal, aborted when the drain's is, through one listener on the drain's
 * signal: a listener per pod (each eviction, watch and retry adds its own) passes Node's limit
 * of 10 on the shared signal and prints MaxListenersExceededWarning.
 */
export class SignalFanOut {
  private readonly children = new Set<AbortController>();
  private readonly onAbort = (): void => {
    for (const c of this.children) c.abort(this.parent.reason);
  };

  constructor(private readonly parent: AbortSignal) {
    parent.addEventListener('abort', this.onAbort, { once: true });
  }

  child(): AbortController {
    const c = new AbortController();
    if (this.parent.aborted) c.abort(this.parent.reason);
    else this.children.add(c);
    return c;
  }

  release(child: AbortController): void {
    this.children.delete(child);
  }

  dispose(): void {
    this.parent.removeEventListener('abort', this.onAbort);
    this.children.clear();
  }
}

/**
 * Remove the pods (in list order of start) and return what became of each, in the same order.
 * A client dry run sends nothing: it announces each pod, as kubectl does, and counts it removed.
 * Surges are put back before it returns.
 */
export async function removeAll(ctx: RemoveAllContext, pods: readonly Pod[], surges: SurgeGate = new SurgeGate()): Promise<PodOutcome[]> {
  const outcomes = new Map<Pod, RemovalOutcome>();
  if (ctx.options.dryRun === 'client') {
    for (const pod of pods) {
      ctx.callbacks.onEvicting?.(pod, `evicting pod ${podKey(pod)} (dry run)`);
      outcomes.set(pod, { kind: 'removed' });
    }
  } else {
    const fanOut = new SignalFanOut(ctx.signal);
    try {
      await pool(pods, ctx.concurrency, async (pod) => {
        await surges.ready(pod);
        const child = fanOut.child();
        try {
          outcomes.set(pod, ctx.signal.aborted ? { kind: 'stopped', stage: 'evicting' } : await removePod({ ...ctx, signal: child.signal }, pod));
        } finally {
          fanOut.release(child);
        }
        surges.done(pod);
      });
    } finally {
      fanOut.dispose();
    }
    await surges.restoreAll();
  }
  return pods.map((pod) => ({
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name ?? '',
    outcome: outcomes.get(pod) ?? { kind: 'stopped', stage: 'evicting' },
  }));
}
