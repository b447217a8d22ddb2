// Help as kubectl prints it: wrapped to the terminal (80 columns when not a terminal), the
// global flags on every command, and an Examples section. Every command gets these from the
// program (commander copies the settings to each subcommand), so a new command only adds
// examples() after its flags.
import type { Command, CommandUnknownOpts, Help } from '@commander-js/extra-typings';
import type { Io } from './context.js';

/** Widest option/command term in the aligned column; a longer one gets a line of its own. */
const TERM_COLUMN = 30;
const ITEM_INDENT = 2;
const SPACER = 2;

/** Help's width: the terminal's when writing to one, else 80 (pipes, files, tests). */
export function helpWidth(io: Io): number {
  return io.isTTY && io.columns && io.columns >= 40 ? io.columns : 80;
}

/** Words of `text` in lines of at most `width` characters (a single longer word stays whole). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines;
}

/** An option or command with its description, aligned, wrapped, or below a long term. */
function formatItem(term: string, termWidth: number, description: string, helper: Help): string {
  const indent = ' '.repeat(ITEM_INDENT);
  if (!description) return indent + term;
  const width = helper.helpWidth ?? 80;
  const column = Math.min(termWidth, TERM_COLUMN);
  const descIndent = ' '.repeat(ITEM_INDENT + column + SPACER);
  const lines = wrapText(description, width - descIndent.length);
  if (term.length > column) return [indent + term, ...lines.map((l) => descIndent + l)].join('\n');
  return [indent + term.padEnd(column) + ' '.repeat(SPACER) + lines[0], ...lines.slice(1).map((l) => descIndent + l)].join('\n');
}

/** Help on stdout (stderr for errors), wrapped to the width of where it goes; global flags everywhere. */
export function configureHelpOutput(program: Command, io: Io): void {
  program
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      // One line, as every upkeep error: the message, then where the usage is.
      outputError: (s, write) => write(`${s.trimEnd()} (run "${program.name()} --help" for usage)\n`),
      getOutHelpWidth: () => helpWidth(io),
      getErrHelpWidth: () => helpWidth(io),
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({
      showGlobalOptions: true,
      formatItem,
      // commandDescription is wrapped by commander's boxWrap; keep it ours for one wrapping rule.
      boxWrap: (str: string, width: number) => wrapText(str, width).join('\n'),
    });
}

/** One example: what it does (a comment) and the command line, with `upkeep` as the program. */
export type Example = readonly [comment: string, command: string];

/**
 * kubectl's Examples section, after the flags: `# comment` then the command, for the program
 * as it was started (`kubectl upkeep ...` when run as the kubectl plugin).
 */
export function examples(cmd: CommandUnknownOpts, list: readonly Example[]): void {
  cmd.addHelpText('after', () => {
    let root = cmd;
    while (root.parent) root = root.parent;
    const program = root.name();
    const width = cmd.configureOutput().getOutHelpWidth?.() ?? 80;
    const lines = ['', 'Examples:'];
    list.forEach(([comment, command], i) => {
      if (i > 0) lines.push('');
      for (const l of wrapText(comment, width - 4)) lines.push(`  # ${l}`);
      lines.push(...commandLines(command.replace(/^upkeep\b/, program), width));
    });
    return lines.join('\n') + '\n';
  });
}

/**
 * A command line in lines of at most `width` (when its parts allow), broken before a flag and
 * its value and continued with a backslash (so it still pastes into a shell), indented as
 * kubectl's examples are.
 */
export function commandLines(command: string, width: number): string[] {
  // Units: the command with its arguments, then each flag with the words after it (its value).
  const [first, ...rest] = command.split(' ').reduce<string[]>((units, w) => (w.startsWith('-') || !units.length ? [...units, w] : [...units.slice(0, -1), `${units.at(-1)} ${w}`]), []);
  const lines: string[] = [];
  let line = `  ${first ?? ''}`;
  for (const unit of rest) {
    if (line.length + 1 + unit.length + 2 > width) {
      lines.push(`${line} \\`);
      line = `      ${unit}`;
    } else line += ` ${unit}`;
  }
  lines.push(line);
  return lines;
}

/** examples() for the commands under `parent`, by their path below it ('' is parent itself). */
export function examplesByPath(parent: CommandUnknownOpts, table: Readonly<Record<string, readonly Example[]>>): void {
  for (const [path, list] of Object.entries(table)) {
    let cmd: CommandUnknownOpts | undefined = parent;
    for (const name of path.split(' ').filter(Boolean)) cmd = cmd?.commands.find((c) => c.name() === name);
    if (!cmd) throw new Error(`examples for a command that does not exist: ${parent.name()} ${path}`);
    examples(cmd, list);
  }
}

/**
 * A hint that names an upkeep command, for the program as it was started: `upkeep etcd ...`
 * becomes `kubectl upkeep etcd ...` when run as the kubectl plugin (bin/kubectl-upkeep).
 */
export function forProgram(text: string, programName: string): string {
  return programName === 'upkeep' ? text : text.replace(COMMAND_REFERENCE, `$1${programName} `);
}

/** upkeep's commands (main.ts's COMMANDS, which a test holds this list to): only `upkeep <command>` is a command to rename. */
export const COMMAND_WORDS = ['sandbox', 'demo', 'cordon', 'uncordon', 'drain', 'plan', 'etcd', 'backup', 'audit', 'upgrade', 'node', 'completion', 'version'] as const;
const COMMAND_REFERENCE = new RegExp(`(^|[\\s(\`'"])upkeep (?=(?:${COMMAND_WORDS.join('|')})\\b)`, 'g');
