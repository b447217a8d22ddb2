// A process that runs upkeep's CLI once per request, so that a corpus of hundreds of bad inputs
// pays for Node's start and the CLI's imports once instead of per case. Each request (a JSON
// line on stdin: args, cwd, env) runs `main` with that working directory and environment and
// answers a JSON line with the exit code and what it printed. Requests run one at a time.
import { createInterface } from 'node:readline';
import { main } from '../../src/cli/main.js';

interface Request {
  id: number;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

const baseEnv = { ...process.env };

async function handle(req: Request): Promise<void> {
  let out = '';
  let err = '';
  process.chdir(req.cwd);
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, req.env);
  let code: number;
  try {
    code = await main(req.args, { io: { out: (s) => (out += s), err: (s) => (err += s), isTTY: false } });
  } catch (e) {
    // main turns every failure into a line and a code: anything reaching here is a bug the test shows.
    code = 99;
    err += `UNCAUGHT ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`;
  } finally {
    for (const k of Object.keys(process.env)) delete process.env[k];
    Object.assign(process.env, baseEnv);
  }
  process.stdout.write(`${JSON.stringify({ id: req.id, code, stdout: out, stderr: err })}\n`);
}

// Only when started as a host: `node --test dist/test` also runs this file, and must not wait on stdin.
if (process.argv.includes('--serve')) {
  let chain = Promise.resolve();
  createInterface({ input: process.stdin }).on('line', (line) => {
    const req = JSON.parse(line) as Request;
    chain = chain.then(() => handle(req));
  });
}
