// Simulated time. Timestamps written into objects are wall-clock time (so kubectl's own ages
// stay right), but every duration the cluster waits on (grace periods, heartbeats, the 5-minute
// eviction timeout) is divided by the time scale: with --time-scale 60, 5 minutes take 5 s.

export interface Clock {
  readonly scale: number;
  /** Wall-clock now, in ms since the epoch. */
  now(): number;
  /** Real milliseconds that a simulated duration takes. */
  real(simMs: number): number;
  /** Simulated milliseconds elapsed between two wall-clock instants. */
  sim(realMs: number): number;
  /** Run fn after a simulated delay. */
  after(simMs: number, fn: () => void): { cancel(): void };
  every(simMs: number, fn: () => void): { cancel(): void };
}

export function scaledClock(scale = 1): Clock {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`time scale must be a positive number, got ${scale}`);
  return {
    scale,
    now: () => Date.now(),
    real: (simMs) => simMs / scale,
    sim: (realMs) => realMs * scale,
    after(simMs, fn) {
      const t = setTimeout(fn, Math.max(0, simMs / scale));
      t.unref?.();
      return { cancel: () => clearTimeout(t) };
    },
    every(simMs, fn) {
      const t = setInterval(fn, Math.max(1, simMs / scale));
      t.unref?.();
      return { cancel: () => clearInterval(t) };
    },
  };
}

let lastSecond = NaN;
let lastIso = '';

export function isoTime(ms: number): string {
  // Kubernetes' metav1.Time is RFC 3339 with second precision. Every write stamps one: the
  // string of the current second is kept.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastIso = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = second;
  }
  return lastIso;
}
