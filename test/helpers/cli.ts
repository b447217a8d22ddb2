// Run upkeep's CLI in-process and capture what it prints, as a user would see it.
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/context.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function upkeep(args: string[], opts: { isTTY?: boolean } = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += s), err: (s) => (err += s), isTTY: opts.isTTY ?? false };
  const code = await main(args, { io });
  return { code, out, err };
}
