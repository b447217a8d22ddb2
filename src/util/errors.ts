// Reading what was thrown, without casts: anything may be thrown in JavaScript. The one home for
// these two facts, used by the domains, the CLI and the sandbox.

/** The message of anything thrown. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Node's error code of a failure (ENOENT, ECONNRESET, ERR_TLS_...), when it has one. */
export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}
