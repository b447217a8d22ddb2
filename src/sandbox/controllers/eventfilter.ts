// client-go's EventSourceObjectSpamFilter (tools/record/events_cache.go): every recorder lets a
// source send a burst of 25 events about one object, then one more per 5 minutes; the rest are
// dropped before they reach the API. A ReplicaSet creating 150,000 pods therefore records 25
// SuccessfulCreate events, not 150,000, exactly as kube-controller-manager does. The key is the
// source (component, host) and the involved object (kind, namespace, name, uid, apiVersion); the
// cache is an LRU of 4,096 keys (maxLruCacheEntries). Time is simulated time (the sandbox clock).

/** defaultSpamBurst, defaultSpamQPS (1/300), maxLruCacheEntries. */
export const SPAM_BURST = 25;
export const SPAM_REFILL_SIM_MS = 300_000;
export const SPAM_CACHE_ENTRIES = 4096;

export interface SpamSource {
  component: string;
  host?: string;
}

export interface SpamObject {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
}

/** getSpamKey: source and involved object, nothing of the event itself. */
export function spamKey(source: SpamSource, about: SpamObject): string {
  return [source.component, source.host ?? '', about.kind ?? '', about.namespace ?? '', about.name ?? '', about.uid ?? '', about.apiVersion ?? ''].join('\u0000');
}

interface Bucket {
  tokens: number;
  /** Simulated ms of the last refill. */
  at: number;
}

export class EventSpamFilter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly burst = SPAM_BURST,
    private readonly refillSimMs = SPAM_REFILL_SIM_MS,
    private readonly maxEntries = SPAM_CACHE_ENTRIES,
  ) {}

  /** True when the event may be recorded (takes a token); false when it is spam. */
  allow(key: string, nowSimMs: number): boolean {
    let b = this.buckets.get(key);
    if (b) this.buckets.delete(key); // re-inserted below: Map order is the LRU order
    else b = { tokens: this.burst, at: nowSimMs };
    const refill = Math.floor((nowSimMs - b.at) / this.refillSimMs);
    if (refill > 0) {
      b.tokens = Math.min(this.burst, b.tokens + refill);
      b.at += refill * this.refillSimMs;
    }
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxEntries) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }
}
