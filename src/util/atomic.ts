// Atomic file writes: temp file in the same directory, fsync, rename, fsync the directory.
// A crash leaves either the old file or the new one, never half of one.
//
// Only regular files are replaced: renaming over /dev/null, a FIFO or a socket would swap a
// device (as root) or someone's pipe for a plain file, so such a target is refused up front,
// as is a directory; a missing directory is named instead of surfacing as ENOENT on a temp name.
import { promises as fs, constants, type Stats } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { errnoCode, errorMessage } from './errors.js';

/** A target that cannot be written as a file: bad input (exit 2) wherever the path came from a user. */
export class AtomicWriteError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'AtomicWriteError';
  }
}

/** What a non-regular file is, in words. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'a regular file';
}

/** Refuses a target that exists and is not a regular file, or whose directory is missing. */
export async function checkWritableFile(file: string): Promise<void> {
  const st = await fs.stat(file).catch((e: unknown) => {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
    throw new AtomicWriteError(file, `cannot write ${file}: ${errorMessage(e)}`);
  });
  if (st && !st.isFile()) throw new AtomicWriteError(file, `refusing to write ${file}: it is ${fileKind(st)}, not a regular file`);
  const dir = path.dirname(file);
  const d = await fs.stat(dir).catch(() => undefined);
  if (!d) throw new AtomicWriteError(file, `cannot write ${file}: directory ${dir} does not exist`);
  if (!d.isDirectory()) throw new AtomicWriteError(file, `cannot write ${file}: ${dir} is not a directory`);
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  await checkWritableFile(file);
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.part`);
  const fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode).catch((e: unknown) => {
    throw new AtomicWriteError(file, `cannot write ${file}: cannot create a file in ${dir} (${errnoCode(e) ?? errorMessage(e)})`);
  });
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  const d = await fs.open(dir, 'r').catch(() => undefined);
  if (d) {
    await d.sync().catch(() => undefined);
    await d.close();
  }
}
