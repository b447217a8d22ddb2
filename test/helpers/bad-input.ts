// The bad-input corpus' runner: each case runs the CLI in its own empty working directory, with
// a private HOME and no KUBECONFIG, in a CLI host process shared by the file's cases (or, when
// asked, as its own `node bin/upkeep` process); and the rules every bad input must follow: exactly one line on stderr, naming the input,
// the exit code (2 bad input, 1 failed, 3 blocked), no stack trace without -v, and no file left
// behind (the working directory holds only what the case put there).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after, it } from 'node:test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'upkeep');
const HOST = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli-host.js');

/** A kubeconfig whose server is a closed loopback port: a check after connecting shows as exit 1. */
export const CLOSED_PORT_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- {name: c, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}
users:
- {name: u, user: {token: abc}}
contexts:
- {name: x, context: {cluster: c, user: u}}
current-context: x
`;

export interface BadInput {
  /** What the user did wrong, as the test's name. */
  story: string;
  /** Arguments; `{dir}` is replaced by the case's working directory. */
  args: string[];
  /** Files the case puts in its working directory first (name -> content). */
  files?: Record<string, string | Buffer>;
  /** Extra setup in the working directory (FIFOs, directories). */
  setup?: (dir: string) => Promise<void>;
  code: 1 | 2 | 3;
  /** The one stderr line (without the newline) must match. */
  err: RegExp;
  /** Text the line must contain literally (the input it names); `{dir}` replaced. */
  names: string;
  stdin?: string;
  env?: Record<string, string>;
  /** Run the real binary as its own process (slower: for stdin, or to show the process' own exit). */
  process?: boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * One CLI host process per test file (cli-host.ts): requests run one at a time, so a file's cases
 * share one Node start; files run in parallel in CI.
 */
class CliHost {
  private child?: ChildProcessWithoutNullStreams;
  private next = 1;
  private readonly waiting = new Map<number, (r: RunResult) => void>();

  private start(): ChildProcessWithoutNullStreams {
    const child = spawn(process.execPath, [HOST, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const r = JSON.parse(line) as RunResult & { id: number };
      this.waiting.get(r.id)?.(r);
      this.waiting.delete(r.id);
    });
    // What the host printed itself (not a case's output): shown when it dies, so the cause is seen.
    let own = '';
    child.stderr.on('data', (d: Buffer) => (own = (own + d.toString()).slice(-2000)));
    child.on('exit', (code, signal) => {
      for (const resolve of this.waiting.values()) resolve({ code: -1, stdout: '', stderr: `the CLI host exited (${signal ?? code}): ${own}` });
      this.waiting.clear();
      this.child = undefined;
    });
    child.unref();
    return child;
  }

  run(args: string[], cwd: string, env: Record<string, string>): Promise<RunResult> {
    this.child ??= this.start();
    const id = this.next++;
    const child = this.child;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      child.stdin.write(`${JSON.stringify({ id, args, cwd, env })}\n`);
    });
  }

  stop(): void {
    this.child?.stdin.end();
  }
}

const host = new CliHost();
after(() => host.stop());

/** Runs the real binary (a new process): for what only a process shows (stdin, signals). */
export function runProcess(args: string[], cwd: string, env: Record<string, string>, stdin?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string, depth: number): Promise<void> => {
    if (depth > 6) return;
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      out.push(r);
      if (e.isDirectory()) await walk(path.join(d, e.name), r, depth + 1);
    }
  };
  await walk(dir, '', 0);
  return out.sort();
}

/** Runs one case in a fresh directory and returns what the user saw. */
export async function runBadInput(c: BadInput): Promise<RunResult & { dir: string; before: string[]; after: string[] }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-bad-input-'));
  try {
    for (const [name, content] of Object.entries(c.files ?? {})) {
      await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await fs.writeFile(path.join(dir, name), typeof content === 'string' ? content.replaceAll('{dir}', dir) : content);
    }
    await c.setup?.(dir);
    const before = await listTree(dir);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1', ...(c.env ?? {}) };
    const args = c.args.map((a) => a.replaceAll('{dir}', dir));
    const r = c.process ? await runProcess(args, dir, env, c.stdin) : await host.run(args, dir, env);
    const after = await listTree(dir);
    return { ...r, dir, before, after };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Registers the cases as tests that run concurrently (bounded by the limiter). */
export function badInputs(cases: BadInput[]): void {
  for (const c of cases) {
    it(c.story, async () => {
      const r = await runBadInput(c);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${r.stderr}`);
      const line = lines[0];
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace without -v');
      assert.equal(r.code, c.code, `exit code (stderr: ${line})`);
      assert.match(line, c.err);
      assert.ok(line.includes(c.names.replaceAll('{dir}', r.dir)), `names the input ${JSON.stringify(c.names)}: ${line}`);
      assert.deepEqual(r.after, r.before, 'no file left behind');
    });
  }
}
