// Progress for long operations: one status line redrawn in place on a terminal; on a pipe,
// a plain line only when the status says something new (and not more than every few seconds
// for the same subject), so logs stay readable. Quiet entirely when asked (-o json).

import type { Io } from '../context.js';

export class Progress {
  private shown = '';
  private readonly lastPlain = new Map<string, { text: string; at: number }>();

  constructor(
    private readonly io: Io,
    private readonly quiet = false,
    private readonly plainEveryMs = 5000,
  ) {}

  /** True when the status line is redrawn in place (a terminal, not quiet). */
  get live(): boolean {
    return !this.quiet && this.io.isTTY;
  }

  /** Replace the status line (subject groups updates about one thing, e.g. a pod). */
  status(subject: string, text: string): void {
    if (this.quiet) return;
    if (this.io.isTTY) {
      // One physical line, or \r cannot take it back: cut to the terminal's width.
      const width = Math.max(20, (this.io.columns ?? 80) - 1);
      this.shown = text.length > width ? text.slice(0, width - 3) + '...' : text;
      this.io.err(`\r\x1b[2K${this.shown}`);
      return;
    }
    const last = this.lastPlain.get(subject);
    const now = Date.now();
    if (last && last.text === text && now - last.at < this.plainEveryMs * 6) return;
    if (last && last.text !== text && now - last.at < this.plainEveryMs && sameShape(last.text, text)) return;
    this.lastPlain.set(subject, { text, at: now });
    this.io.err(`${text}\n`);
  }

  /** Clear the status line (before printing permanent lines). */
  clear(): void {
    if (this.io.isTTY && this.shown) {
      this.io.err('\r\x1b[2K');
      this.shown = '';
    }
  }

  out(line: string): void {
    this.clear();
    this.io.out(`${line}\n`);
  }

  err(line: string): void {
    this.clear();
    this.io.err(`${line}\n`);
  }
}

/** Two status texts that differ only in numbers (attempt counts, seconds) say the same thing. */
function sameShape(a: string, b: string): boolean {
  return a.replace(/\d+/g, '#') === b.replace(/\d+/g, '#');
}
