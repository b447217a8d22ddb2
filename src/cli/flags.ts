// Flag parsers shared by commands, with kubectl's wording for bad values.
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
