// Start-up time of the CLI (issue 17): `upkeep --help`, `upkeep version` and
// `upkeep completion bash` against a bare `node -e 0` on the same machine, in the same run.
// The runs are interleaved so a busy moment slows every command alike; figures are medians.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT, fmt } from './common.js';

const CASES: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'upkeep --help': [path.join(ROOT, 'bin/upkeep'), '--help'],
  'upkeep version': [path.join(ROOT, 'bin/upkeep'), 'version'],
  'upkeep completion bash': [path.join(ROOT, 'bin/upkeep'), 'completion', 'bash'],
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function benchStartup(runs: number): Promise<Record<string, string | number>> {
  const times = new Map<string, number[]>(Object.keys(CASES).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, args] of Object.entries(CASES)) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${String(r.stderr)}`);
      times.get(name)!.push(ms);
    }
  }
  const base = median(times.get('node -e 0')!);
  const figures: Record<string, string | number> = { runs };
  for (const [name, list] of times) {
    const m = median(list);
    figures[`${name} (median)`] = name === 'node -e 0' ? fmt(m) : `${fmt(m)} (${(m / base).toFixed(2)}x node -e 0)`;
  }
  return figures;
}
