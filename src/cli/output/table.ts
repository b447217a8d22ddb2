// The one table printer: Go's text/tabwriter as kubectl and kubeadm configure it. Every column
// but the last is padded to its widest cell plus `padding` (at least `minWidth`); the last
// column is not padded and trailing spaces are trimmed. kubectl's get uses padding 3; kubeadm's
// `upgrade plan` minWidth 10 and padding 3.

export interface TableOptions {
  /** Minimum column width, padding included (tabwriter's minwidth). */
  minWidth?: number;
  /** Spaces added to the widest cell of a column (tabwriter's padding). Default 3. */
  padding?: number;
  /** Put before every line. */
  indent?: string;
}

/** The table's lines, without newlines. */
export function tabwriteLines(rows: ReadonlyArray<ReadonlyArray<string | number>>, options: TableOptions = {}): string[] {
  const { minWidth = 0, padding = 3, indent = '' } = options;
  const cells = rows.map((r) => r.map(String));
  const widths: number[] = [];
  // As tabwriter: a line's last cell is not part of a column, so it does not widen one.
  for (const row of cells) row.forEach((cell, i) => i < row.length - 1 && (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return cells.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(Math.max(minWidth, widths[i] + padding)))).join('').trimEnd());
}

/** The table as text, every line ending in a newline. */
export function tabwrite(rows: ReadonlyArray<ReadonlyArray<string | number>>, options: TableOptions = {}): string {
  return tabwriteLines(rows, options).map((l) => l + '\n').join('');
}

/** kubectl's printer: headers in capitals, columns three spaces apart. */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return tabwrite([headers.map((h) => h.toUpperCase()), ...rows]);
}
