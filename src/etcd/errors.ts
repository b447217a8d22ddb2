// Reading what was thrown, without casts: anything may be thrown in JavaScript.

/** The message of anything thrown. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The code of a failed system call (ENOENT, ENOTDIR, ...), when it is one. */
export function errnoCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}
