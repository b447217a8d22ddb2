// Benchmark (issue 10: rolling upgrade): a 100-worker sandbox (time scale 60) upgraded from
// v1.31.4 to v1.32 by `upkeep upgrade apply`, one-by-one and with --max-unavailable 10, each on
// a fresh sandbox. Figures: total time, and upkeep's own overhead per node: the time not spent
// draining, in the node's upgrade, or waiting for Ready (the phases each step reports in its
// step-done event). Aims: overhead under 1 s per node; --max-unavailable 10 at least 5x faster.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { bulkScenario } from '../src/sandbox/scenario/builtin.js';
import { ROOT, fmt, serveSandbox } from './common.js';

interface StepDone {
  type: 'step-done';
  node: string;
  ms: number;
  phases: Record<string, number>;
}

function isStepDone(v: unknown): v is StepDone {
  return typeof v === 'object' && v !== null && 'type' in v && v.type === 'step-done';
}

async function upgrade(file: string, workers: number, extra: string[]): Promise<{ totalMs: number; overheadPerNodeMs: number; steps: number }> {
  const sb = await serveSandbox(file, ['--time-scale', '60']);
  try {
    const t0 = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [path.join(ROOT, 'bin/upkeep'), '--kubeconfig', sb.kubeconfig, '-o', 'json', 'upgrade', 'apply', '--to', '1.32', '--yes', ...extra],
        { maxBuffer: 256 * 1024 * 1024 },
        (e, stdout, stderr) => (e ? reject(new Error(`upgrade failed: ${stderr.slice(-800)}`)) : resolve(stdout)),
      );
    });
    const totalMs = performance.now() - t0;
    const done = out
      .split('\n')
      .filter(Boolean)
      .map((l): unknown => JSON.parse(l))
      .filter(isStepDone);
    // Waves run in parallel: the time in drain/upgrade/Ready that counts is each wave's longest; with
    // one node per wave it is the sum. Approximated per wave of `width` nodes in step order.
    const width = Number(extra[extra.indexOf('--max-unavailable') + 1] ?? 1) || 1;
    let working = 0;
    const workersDone = done.filter((d) => d.node.startsWith('worker-'));
    for (let i = 0; i < workersDone.length; i += width) {
      working += Math.max(...workersDone.slice(i, i + width).map((d) => (d.phases.draining ?? 0) + (d.phases.upgrading ?? 0) + (d.phases['waiting-ready'] ?? 0)));
    }
    const cp = done.filter((d) => !d.node.startsWith('worker-')).reduce((a, d) => a + d.ms, 0);
    return { totalMs, overheadPerNodeMs: (totalMs - cp - working) / workers, steps: done.length };
  } finally {
    await sb.stop();
  }
}

export async function benchUpgrade(workers = 100): Promise<Record<string, string | number>> {
  const dir = await fs.mkdtemp('/tmp/upkeep-bench-upgrade-');
  const file = path.join(dir, 'scenario.yaml');
  await fs.writeFile(file, bulkScenario(workers, workers * 2));
  try {
    const one = await upgrade(file, workers, []);
    const ten = await upgrade(file, workers, ['--max-unavailable', '10']);
    return {
      workers,
      'one-by-one: total': fmt(one.totalMs),
      'one-by-one: upkeep overhead per node': fmt(one.overheadPerNodeMs),
      '--max-unavailable 10: total': fmt(ten.totalMs),
      '--max-unavailable 10: upkeep overhead per node': fmt(ten.overheadPerNodeMs),
      'speed-up of --max-unavailable 10': `${(one.totalMs / ten.totalMs).toFixed(1)}x (aim: >= 5x)`,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
