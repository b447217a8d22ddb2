// What every command gets: the global flags, where to write, and whether it's a terminal.
export interface GlobalFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  output?: string;
  requestTimeout?: string;
  verbose?: boolean;
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Standard output is a terminal: progress may redraw; otherwise plain lines only. */
  isTTY: boolean;
  /** Terminal width, for one-line status displays. */
  columns?: number;
}

export function processIo(): Io {
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    isTTY: !!process.stdout.isTTY && !!process.stderr.isTTY,
    columns: process.stderr.columns,
  };
}

/** kubectl's --request-timeout: "0" (none), "30", "30s", "1m", "1h". */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new Error(`invalid value "${value}" for ${flag}: use a duration like 30s, 5m or 1h`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
}
