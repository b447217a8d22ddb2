// Go's time.Duration, as kubectl, etcdctl and Kubernetes' own fields read and print it:
// "1m30s", "1h2m3.5s", "500ms", "0". Every duration flag and field in upkeep goes through here.
//
// Hand-written on purpose: npm's duration parsers (parse-duration, ms) accept forms Go refuses
// ("1 hour", "2d", "1.5 hours"), and none prints Go's String() form; the grammar below is
// time.ParseDuration's: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0".

/** The error time.ParseDuration returns, with its text ("time: invalid duration \"x\""). */
export class DurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** time.ParseDuration, in milliseconds (fractional below a millisecond). */
export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s[0] === '-' ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new DurationError(`time: invalid duration ${quoted}`);
  const re = /([0-9]*(?:\.[0-9]*)?)([^0-9.]*)/y;
  let total = 0;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (!m || m[1] === '' || m[1] === '.') throw new DurationError(`time: invalid duration ${quoted}`);
    if (m[2] === '') throw new DurationError(`time: missing unit in duration ${quoted}`);
    const unit = UNIT_MS[m[2]];
    if (unit === undefined) throw new DurationError(`time: unknown unit ${JSON.stringify(m[2])} in duration ${quoted}`);
    total += Number(m[1]) * unit;
  }
  return sign * total;
}

/**
 * Duration.String(): "0s", "500ms", "1.5µs", "1m30s", "1h0m0s", "1h2m3.5s". Input in ms; printed
 * to the nanosecond, as Go does.
 */
export function formatGoDuration(ms: number): string {
  let ns = Math.round(Math.abs(ms) * 1e6);
  const sign = ms < 0 && ns > 0 ? '-' : '';
  if (ns === 0) return '0s';
  if (ns < 1e9) {
    const [unit, per] = ns < 1e3 ? ['ns', 1] : ns < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    return `${sign}${fraction(ns, per)}${unit}`;
  }
  const h = Math.floor(ns / 3.6e12);
  ns -= h * 3.6e12;
  const m = Math.floor(ns / 6e10);
  ns -= m * 6e10;
  const sec = `${fraction(ns, 1e9)}s`;
  if (h > 0) return `${sign}${h}h${m}m${sec}`;
  if (m > 0) return `${sign}${m}m${sec}`;
  return `${sign}${sec}`;
}

/** n/per with Go's trailing-zero-free fraction ("3.5", "3", "1.25"). */
function fraction(n: number, per: number): string {
  const whole = Math.floor(n / per);
  const rest = n - whole * per;
  if (rest === 0) return String(whole);
  const digits = String(per).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/**
 * A duration flag, as pflag's DurationVar reads it, in ms. `bareSeconds` also takes a unitless
 * number as seconds, as kubectl's --request-timeout does ("30" = 30s). The error names the flag
 * the way kubectl does: invalid argument "x" for "--timeout" flag: time: invalid duration "x".
 */
export function parseDurationFlag(value: string, flag: string, options: { bareSeconds?: boolean } = {}): number {
  const v = value.trim();
  if (options.bareSeconds && /^\d+$/.test(v)) return Number(v) * 1000;
  try {
    const ms = parseGoDuration(v);
    if (ms < 0) throw new DurationError(`a negative duration is not allowed (use 0 for none)`);
    return ms;
  } catch (e) {
    if (!(e instanceof DurationError)) throw e;
    throw new DurationError(`invalid argument ${JSON.stringify(value)} for "${flag}" flag: ${e.message} (use a duration like 30s, 1m30s or 1h)`);
  }
}
