// A work queue like client-go's: keys are deduplicated while waiting, one reconcile per key at
// a time, delayed adds for timed behaviour, and failures retried forever through client-go's
// DefaultControllerRateLimiter: the larger of a per-item exponential backoff (5 ms doubling up to
// 1000 s) and an overall token bucket (10 per second, burst 100). A plain add() (a watch event
// or a resync) runs the key at once even while a retry waits, as in client-go, so a controller
// whose API came back catches up on its next event or resync instead of its longest backoff.

/** client-go's ItemExponentialFailureRateLimiter(5ms, 1000s) and BucketRateLimiter(10 qps, 100 burst). */
export interface RateLimiterSettings {
  baseDelayMs: number;
  maxDelayMs: number;
  qps: number;
  burst: number;
}

export const DEFAULT_RATE_LIMITER: RateLimiterSettings = { baseDelayMs: 5, maxDelayMs: 1_000_000, qps: 10, burst: 100 };

/** Pure: the per-item backoff after `failures` failures (1 = the first). */
export function itemBackoffMs(failures: number, s: RateLimiterSettings = DEFAULT_RATE_LIMITER): number {
  // 2^n overflows to Infinity long before n is a problem; the cap keeps it finite.
  return Math.min(s.baseDelayMs * 2 ** Math.max(0, failures - 1), s.maxDelayMs);
}

/** client-go's BucketRateLimiter: the delay until the next token, reserving it. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  reserve(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.qps) / 1000);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.qps);
  }

  /** TryAccept: takes a token only if there is one (the event recorder's spam filter). */
  tryAccept(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.qps) / 1000);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class WorkQueue {
  /** Keys waiting, in the order they came (a Set iterated from its start after many deletes walks their holes). */
  private readonly pending = new Set<string>();
  private order: string[] = [];
  private head = 0;
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** Delayed adds: the timer and when it fires (Date.now() ms). */
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private readonly bucket: TokenBucket;
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly handler: (key: string) => Promise<void>,
    private readonly onError: (key: string, e: unknown) => void = () => undefined,
    private readonly concurrency = 16,
    private readonly limits: RateLimiterSettings = DEFAULT_RATE_LIMITER,
  ) {
    this.bucket = new TokenBucket(limits.qps, limits.burst);
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.enqueue(key);
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

  /** client-go's AddRateLimited: retry after the larger of the item's backoff and the bucket's. */
  addRateLimited(key: string): void {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    this.addAfter(key, Math.max(itemBackoffMs(n, this.limits), this.bucket.reserve()));
  }

  /** Failures in a row of a key (0 once it succeeded): what a retry's backoff is based on. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  private enqueue(key: string): void {
    if (this.pending.has(key)) return;
    this.pending.add(key);
    this.order.push(key);
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
    while (this.running.size < this.concurrency && this.head < this.order.length) {
      const key = this.order[this.head++];
      if (this.head > 1024 && this.head * 2 > this.order.length) {
        this.order = this.order.slice(this.head);
        this.head = 0;
      }
      if (!this.pending.delete(key)) continue;
      this.running.add(key);
      this.handler(key)
        .then(
          () => this.failures.delete(key),
          (e) => {
            this.onError(key, e);
            // Never dropped: a controller keeps trying for as long as the object exists.
            this.addRateLimited(key);
          },
        )
        .finally(() => {
          this.running.delete(key);
          if (this.dirty.delete(key)) this.enqueue(key);
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
    this.order = [];
    this.head = 0;
  }
}
