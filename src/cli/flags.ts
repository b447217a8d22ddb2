// Flag parsers shared by commands, with kubectl's wording for bad values, and the command line
// read the way kubectl (pflag) reads it before commander parses it.
import type { CommandUnknownOpts, Option } from '@commander-js/extra-typings';
import { UsageError } from './errors.js';
import type { DryRun } from '../drain/cordon.js';

/** kubectl's --dry-run: none, client or server; a bare --dry-run means client. */
export function parseDryRun(value: string | boolean | undefined): DryRun {
  if (value === undefined || value === false) return 'none';
  if (value === true) return 'client';
  if (value === 'none' || value === 'client' || value === 'server') return value;
  throw new UsageError(`Invalid dry-run value (${value}). Must be "none", "server", or "client".`);
}

export function parseIntFlag(value: string, flag: string, min = 0): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`invalid value "${value}" for ${flag}: must be an integer${min === 0 ? ' >= 0' : min < 0 ? '' : ` >= ${min}`}`);
  return n;
}

/** The global flags that take a value (so the word after them is not a command). */
const GLOBAL_VALUE_FLAGS = new Set(['--kubeconfig', '--context', '-n', '--namespace', '-o', '--output', '--request-timeout', '-s', '--server']);

/**
 * The words of a command line that are not flags or flag values, in order: the command path
 * first (`etcd snapshot save FILE` -> etcd, snapshot, save, FILE). Only the global flags are
 * known to take values here, which is enough to find the command to load.
 */
export function commandPath(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (!a.startsWith('-') || a === '-') words.push(a);
    else if (GLOBAL_VALUE_FLAGS.has(a) || (a === '-v' && /^\d+$/.test(argv[i + 1] ?? ''))) i++;
  }
  return words;
}

/** Commands that take kubectl's flags and say what kubectl says of them. */
const KUBECTL_COMMANDS = new Set(['drain', 'cordon', 'uncordon']);
const DRY_RUN_VALUES = new Set(['none', 'client', 'server']);

/** The option `flag` (like --dry-run or -o) of `cmd` or of a command above it. */
export function findOption(cmd: CommandUnknownOpts | null, flag: string): Option | undefined {
  for (let c: CommandUnknownOpts | null = cmd; c; c = c.parent) {
    const o = c.options.find((opt) => opt.long === flag || opt.short === flag);
    if (o) return o;
  }
  return undefined;
}

/**
 * kubectl's flag forms, rewritten into the forms commander reads:
 * - `-o=json` (pflag's shorthand with =) -> `-o json`;
 * - `-v=6`, `-v 6`, `-v6`, `--v=6` (klog's level) -> `--verbose` when above 0;
 * - `--dry-run` without a value before a node name -> `--dry-run=client` with kubectl's
 *   deprecation warning; `--dry-run server` (a value as the next word) -> `--dry-run=server`.
 * Words after `--` are left alone.
 */
export function normalizeArgs(argv: readonly string[], program: CommandUnknownOpts, warn: (message: string) => void): string[] {
  const out: string[] = [];
  let cmd: CommandUnknownOpts = program;
  let positional = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const level = /^--?v(?:=|$)(\d*)$|^-v(\d+)$/.exec(a);
    if (level) {
      let n = level[1] || level[2];
      if (!n && /^\d+$/.test(argv[i + 1] ?? '')) n = argv[++i];
      if (n === undefined || n === '' || Number(n) > 0) out.push('--verbose');
      continue;
    }
    if (a === '--dry-run' && findOption(cmd, '--dry-run')?.optional) {
      if (DRY_RUN_VALUES.has(argv[i + 1] ?? '')) out.push(`--dry-run=${argv[++i]}`);
      else {
        // kubectl's own deprecation, on the commands that copy kubectl's; upkeep's own commands document the bare flag.
        if (KUBECTL_COMMANDS.has(cmd.name())) warn('--dry-run is deprecated and can be replaced with --dry-run=client.');
        out.push('--dry-run=client');
      }
      continue;
    }
    const short = /^(-[a-zA-Z])=(.*)$/.exec(a);
    if (short) {
      out.push(short[1]!, short[2]!);
      continue;
    }
    out.push(a);
    if (a.startsWith('-')) {
      // A flag's value is not a command name.
      if (!a.includes('=') && findOption(cmd, a)?.required && i + 1 < argv.length) out.push(argv[++i]!);
      continue;
    }
    const sub = positional ? undefined : cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (sub) cmd = sub;
    else positional = true;
  }
  return out;
}
