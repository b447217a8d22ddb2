// The sandbox's log: levels (error, warn, info, debug, as `sandbox serve --log-level`) and the
// rate limit that keeps an outage readable: a failing controller logs one line per interval,
// with how many failures it left out, instead of one line per object per retry.

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** A log line's sink: the sandbox's option `log`. Lines without a level are info. */
export type LogSink = (line: string, level?: LogLevel) => void;

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

/** klog's one-letter severity. */
const LETTER: Record<LogLevel, string> = { error: 'E', warn: 'W', info: 'I', debug: 'D' };

/** Writes lines at or above `min`, prefixed as klog does: `W1203 13:08:00.123 message`. */
export function leveledLog(min: LogLevel, write: (text: string) => void, now: () => Date = () => new Date()): LogSink {
  const threshold = LOG_LEVELS.indexOf(min);
  return (line, level = 'info') => {
    if (LOG_LEVELS.indexOf(level) > threshold) return;
    const d = now();
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const stamp = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
    write(`${LETTER[level]}${stamp} ${line}\n`);
  };
}

/** The component a controller's failure line is about: the text before its first ": ". */
export function componentOf(line: string): string {
  const i = line.indexOf(': ');
  return i < 0 ? line : line.slice(0, i);
}

/**
 * Failure lines, at most one per component per interval (real ms): the first failure is written
 * at once, later ones within the interval are counted and the count rides on the next line.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly sink: LogSink,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(line: string): void {
    const component = componentOf(line);
    const t = this.now();
    const seen = this.last.get(component);
    if (seen && t - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const more = seen?.suppressed ? ` (and ${seen.suppressed} more failure${seen.suppressed === 1 ? '' : 's'} of ${component} since the last line)` : '';
    this.last.set(component, { at: t, suppressed: 0 });
    this.sink(`${line}${more}`, 'warn');
  }
}
