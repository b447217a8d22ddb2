// Exit codes and the errors that carry them. Every failure reaches the user as one line
// (the stack only with -v), and the exit code says what kind of failure it was.
import { StatusError } from '../api/status.js';

export const ExitCode = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  BLOCKED: 3,
} as const;

/** Bad flags or bad input: exit 2. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.USAGE;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Stopped by a PDB, a gate or a blocking finding, with the cluster in a stated state: exit 3. */
export class BlockedError extends Error {
  readonly exitCode = ExitCode.BLOCKED;
  constructor(message: string) {
    super(message);
    this.name = 'BlockedError';
  }
}

/** A failure already reported line by line (kubectl style): only the exit code is left to set. */
export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    message = '',
  ) {
    super(message);
    this.name = 'ExitError';
  }
}

export function exitCodeFor(e: unknown): number {
  if (typeof e === 'object' && e !== null && 'exitCode' in e && typeof e.exitCode === 'number') return e.exitCode;
  if (e instanceof Error && (e.name === 'ScenarioError' || e.name === 'KubeConfigError' || e.name === 'UnknownResourceError' || e.name === 'DurationError')) return ExitCode.USAGE;
  return ExitCode.FAILED;
}

/** One line, kubectl style: `error: ...`, or `Error from server (Reason): message`. */
export function formatError(e: unknown): string {
  if (e instanceof StatusError) return `Error from server (${e.reason || e.code}): ${e.message}`;
  if (e instanceof Error) return `error: ${e.message}`;
  return `error: ${String(e)}`;
}
