// A local process whose output streams to the journal line by line (stdout and stderr as they
// come), keeping the last lines for the error when it fails. Shared by the command and ssh upgraders.
import { spawn } from 'node:child_process';

/** How many of a failed step's last output lines its UpgraderError carries. */
export const TAIL_LINES = 20;

export interface RunResult {
  /** The exit status, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last TAIL_LINES lines of stdout and stderr, interleaved as they came. */
  tail: string[];
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  signal: AbortSignal;
  log(line: string): void;
}

/** Splits a stream's chunks into lines (a partial last line waits for the next chunk or the end). */
function lineSplitter(emit: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) emit(p.replace(/\r$/, ''));
    },
    end() {
      if (rest) emit(rest);
      rest = '';
    },
  };
}

/**
 * Runs argv[0] with the rest as arguments (no shell in between), streaming its output. It leads
 * its own process group, so an abort ends what it started too (sh -c 'a; b' forks).
 */
export function runStreaming(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) return reject(options.signal.reason);
    const tail: string[] = [];
    const emit = (line: string) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      options.log(line);
    };
    const child = spawn(argv[0], argv.slice(1), { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const onAbort = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // the group is gone already
      }
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    const out = lineSplitter(emit);
    const err = lineSplitter(emit);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => {
      options.signal.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code, signal) => {
      options.signal.removeEventListener('abort', onAbort);
      out.end();
      err.end();
      if (options.signal.aborted) reject(options.signal.reason);
      else resolve({ code, signal, tail });
    });
  });
}
