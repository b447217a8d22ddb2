// Creating a directory and its missing parents, one level at a time. Node's recursive mkdir
// spins forever on paths such as /proc/x (the parent exists, mkdir answers ENOENT, and it
// retries the parent); here every level is created once and a failure names the path.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errnoCode, errorMessage } from './errors.js';

/** A directory that cannot be created: bad input wherever the path came from a user (exit 2). */
export class DirectoryError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'the file system does not allow creating it',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a parent is not a directory',
  ENOSPC: 'no space left on device',
  ENAMETOOLONG: 'name too long',
};

/** Like `mkdir -p`: creates `dir` and its missing parents with `mode`; fine if it already is a directory. */
export async function makeDirectory(dir: string, mode = 0o700): Promise<void> {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let cur = target;
  // Bounded by the path's depth: each step goes one level up until the root.
  for (;;) {
    const st = await fs.stat(cur).catch((e: unknown) => {
      // ENOTDIR: a file further up; the walk up finds and names it.
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
      throw new DirectoryError(dir, `cannot create directory ${dir}: ${cur}: ${REASONS[errnoCode(e) ?? ''] ?? errorMessage(e)}`);
    });
    if (st) {
      if (!st.isDirectory()) throw new DirectoryError(dir, `cannot create directory ${dir}: ${cur} exists and is not a directory`);
      break;
    }
    missing.unshift(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing) {
    try {
      await fs.mkdir(d, { mode });
    } catch (e) {
      if (errnoCode(e) === 'EEXIST' && (await fs.stat(d).catch(() => undefined))?.isDirectory()) continue;
      const code = errnoCode(e) ?? '';
      throw new DirectoryError(dir, `cannot create directory ${dir}: ${d === target ? '' : `${d}: `}${REASONS[code] ?? errorMessage(e)}${code ? ` (${code})` : ''}`);
    }
  }
}
