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
