// A work queue like client-go's: keys are deduplicated while waiting, one reconcile per key at
// a time, failures retried with exponential backoff, delayed adds for timed behaviour.

export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** Delayed adds: the timer and when it fires (Date.now() ms). */
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly handler: (key: string) => Promise<void>,
    private readonly onError: (key: string, e: unknown) => void = () => undefined,
    private readonly concurrency = 16,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.pending.add(key);
    this.schedule();
  }

  /** Add after a real delay (the caller scales simulated time); the earliest request wins. */
  addAfter(key: string, realMs: number): void {
    if (this.stopped) return;
    if (realMs <= 0) return this.add(key);
    const existing = this.timers.get(key);
    const due = Date.now() + realMs;
    if (existing && existing.due <= due) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, realMs);
    timer.unref();
    this.timers.set(key, { timer, due });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    for (const key of this.pending) {
      if (this.running.size >= this.concurrency) break;
      this.pending.delete(key);
      this.running.add(key);
      this.handler(key)
        .then(
          () => this.failures.delete(key),
          (e) => {
            const n = (this.failures.get(key) ?? 0) + 1;
            this.failures.set(key, n);
            this.onError(key, e);
            if (n < 15) this.addAfter(key, Math.min(5 * 2 ** n, 2000));
          },
        )
        .finally(() => {
          this.running.delete(key);
          if (this.dirty.delete(key)) this.pending.add(key);
          if (this.pending.size) this.schedule();
        });
    }
  }

  get length(): number {
    return this.pending.size + this.running.size;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.pending.clear();
  }
}
