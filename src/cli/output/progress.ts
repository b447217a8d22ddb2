// Progress for long operations: one status line (or a block of lines, one per thing in flight:
// lines()) redrawn in place on a terminal, the cursor moved back up over the block; on a pipe,
// a plain line only when the status says something new (and not more than every few seconds
// for the same subject), so logs stay readable. Quiet entirely when asked (-o json).

import type { Io } from '../context.js';

export class Progress {
  /** The lines on screen now (the cursor sits at the end of the last one). */
  private shown: string[] = [];
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
      this.draw([text]);
      return;
    }
    const last = this.lastPlain.get(subject);
    const now = Date.now();
    if (last && last.text === text && now - last.at < this.plainEveryMs * 6) return;
    if (last && last.text !== text && now - last.at < this.plainEveryMs && sameShape(last.text, text)) return;
    this.lastPlain.set(subject, { text, at: now });
    this.io.err(`${text}\n`);
  }

  /**
   * Replace the status block with these lines, one per subject (e.g. a node in flight), redrawn
   * in place on a terminal; on a pipe each line goes out as status(subject, text) would.
   */
  lines(entries: ReadonlyArray<readonly [subject: string, text: string]>): void {
    if (this.quiet) return;
    if (this.io.isTTY) {
      if (entries.length === 0) this.clear();
      else this.draw(entries.map(([, text]) => text));
      return;
    }
    for (const [subject, text] of entries) this.status(subject, text);
  }

  /** Erase what is shown, then write the new block; each line cut to the terminal's width, or the cursor cannot go back up over it. */
  private draw(texts: string[]): void {
    const width = Math.max(20, (this.io.columns ?? 80) - 1);
    const cut = texts.map((t) => (t.length > width ? t.slice(0, width - 3) + '...' : t));
    this.io.err(`${this.erase()}${cut.join('\n')}`);
    this.shown = cut;
  }

  /** The escape sequence that erases the shown block and leaves the cursor at its first column. */
  private erase(): string {
    if (this.shown.length === 0) return '\r\x1b[2K';
    return '\r\x1b[2K' + '\x1b[1A\x1b[2K'.repeat(this.shown.length - 1);
  }

  /** Clear the status line or block (before printing permanent lines). */
  clear(): void {
    if (this.io.isTTY && this.shown.length) {
      this.io.err(this.erase());
      this.shown = [];
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
