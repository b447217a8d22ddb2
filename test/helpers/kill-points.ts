// The kill -9 story of the upgrade executor, point by point: `upkeep upgrade apply` as its own
// process killed with SIGKILL after a seeded random delay, then resumed (or started again when
// the kill came before the journal existed), and the cluster checked: every node at the target,
// nothing cordoned, blue never below its budget, the journal done. The delays come from one
// seeded sequence, so point N is the same run in every file and on every machine.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { upkeep } from './cli.js';
import type { TestSandbox } from './sandbox.js';
import { nodeFacts, upgradeSandbox, watchBlue } from './upgrade.js';

export const KILL_TARGET = 'v1.32.13';
export const KILL_POINTS_TOTAL = 20;
const BIN = path.resolve(import.meta.dirname, '../../../bin/upkeep');
const ALL_DONE = [`controlplane ${KILL_TARGET} schedulable`, `node01 ${KILL_TARGET} schedulable`, `node02 ${KILL_TARGET} schedulable`, `node03 ${KILL_TARGET} schedulable`];

/** A small seeded generator (mulberry32), so every kill point can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The delay of each point, 1-based: the same sequence everywhere. */
export function killDelays(count: number): number[] {
  const random = seeded(20261203);
  return Array.from({ length: count }, () => Math.round(500 + random() * 5000));
}

/** Register one test per point, first..last (1-based, inclusive). */
export function killPointTests(first: number, last: number, total = Math.max(last, KILL_POINTS_TOTAL)): void {
  const delays = killDelays(last);
  for (let i = first; i <= last; i++) {
    const delayMs = delays[i - 1]!;
    it(`kill -9 after ${delayMs}ms (point ${i} of ${total}), then resume: every node at ${KILL_TARGET}, nothing cordoned, blue never below its budget`, async () => {
      const sb = await upgradeSandbox(3);
      try {
        const blue = watchBlue(sb);
        await killedRun(sb, delayMs);
        await finish(sb);
        assert.ok((await blue.stop()) >= 2, 'blue stayed at or above its budget');
        assert.deepEqual(nodeFacts(await sb.list('nodes')), ALL_DONE);
        const s = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'upgrade', 'status']);
        assert.equal((JSON.parse(s.out) as { journal: { state: string } }).journal.state, 'done');
      } finally {
        await sb.stop();
      }
    });
  }
}

/** `upkeep upgrade apply` as its own process, killed with SIGKILL after delayMs (unless it ended first). */
async function killedRun(sb: TestSandbox, delayMs: number): Promise<void> {
  const child = spawn(process.execPath, [BIN, '--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--yes'], { stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  await new Promise((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
}

/** Resume (or start again when the kill came before the journal existed) until the run is done; bounded. */
async function finish(sb: TestSandbox): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'resume', '--yes']);
    if (r.code === 0 || /is done: there is nothing to resume/.test(r.err)) return;
    if (/there is no upgrade run to resume/.test(r.err)) {
      const again = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--yes']);
      assert.equal(again.code, 0, again.err);
      return;
    }
    assert.fail(`resume failed (${r.code}): ${r.err}`);
  }
}
