// How backup failures reach callers. Each carries the exit code the CLI uses (2: bad input,
// 1: failed), so a library user can tell "your archive is unusable" from "the cluster failed".

/**
 * The archive (or key, or location) given cannot be used: truncated, altered, not a backup, a
 * newer format, the wrong key. The message names the entry or the problem and what to do.
 */
export class BadArchiveError extends Error {
  readonly exitCode = 2;
  /** The entry at fault, when there is one. */
  readonly entry?: string;
  constructor(message: string, entry?: string) {
    super(message);
    this.name = 'BadArchiveError';
    this.entry = entry;
  }
}

/** A backup that could not read everything it should have (and --allow-partial was not given). */
export class BackupIncompleteError extends Error {
  readonly exitCode = 1;
  readonly failures: { what: string; message: string }[];
  constructor(failures: { what: string; message: string }[]) {
    super(
      `backup incomplete: ${failures.length} ${failures.length === 1 ? 'group or resource' : 'groups or resources'} could not be read ` +
        `(${failures.map((f) => f.what).join(', ')}); no archive was written (use --allow-partial to keep a backup without them)`,
    );
    this.name = 'BackupIncompleteError';
    this.failures = failures;
  }
}

/** Bad options to a backup verb (a filter naming nothing, a key that is not an age key): exit 2. */
export class BackupOptionError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'BackupOptionError';
  }
}

/** Object storage that could not be reached or refused the request: exit 1. */
export class StorageError extends Error {
  readonly exitCode = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

export { errorMessage, errnoCode } from '../util/errors.js';
