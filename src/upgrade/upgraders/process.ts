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

/** Runs argv[0] with the rest as arguments (no shell in between), streaming its output. */
export function runStreaming(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    const emit = (line: string) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      options.log(line);
    };
    const child = spawn(argv[0], argv.slice(1), { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal });
    const out = lineSplitter(emit);
    const err = lineSplitter(emit);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      out.end();
      err.end();
      resolve({ code, signal, tail });
    });
  });
}
