import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StepRecord } from '../../upgrade/apply/journal.js';
import type { Step } from '../../upgrade/apply/steps.js';
import { eventLine, gateFailedMessage, renderSteps } from './upgrade.js';

const step = (id: number, wave: number, node: string, role: Step['role'], drain = true): Step => ({ id, wave, hop: 'v1.31 -> v1.32', kind: 'upgrade', node, role, from: 'v1.31.4', to: 'v1.32.13', drain });

describe('the executor as text', () => {
  it('the steps, wave by wave, each numbered, with what the node goes through', () => {
    const text = renderSteps('Upgrade v1.31.4 -> v1.32.13: 3 steps (one-by-one)', [step(1, 1, 'cp1', 'first-control-plane'), step(2, 2, 'cp2', 'control-plane', false), step(3, 3, 'node01', 'worker')], { strategy: 'one-by-one', maxUnavailable: 1, downtime: false, summary: 'one-by-one: at most 1 worker unavailable at once; budgets are never broken' }, new Map());
    assert.equal(
      text,
      [
        'Upgrade v1.31.4 -> v1.32.13: 3 steps (one-by-one)',
        'one-by-one: at most 1 worker unavailable at once; budgets are never broken',
        '',
        'wave 1 (v1.31 -> v1.32)',
        '  1. cp1 (first-control-plane): kubeadm upgrade apply, drain, kubelet v1.31.4 -> v1.32.13, wait for Ready, uncordon',
        'wave 2 (v1.31 -> v1.32)',
        '  2. cp2 (control-plane): kubeadm upgrade node, static pods to v1.32.13 (the kubelet stays)',
        'wave 3 (v1.31 -> v1.32)',
        '  3. node01 (worker): drain, kubelet v1.31.4 -> v1.32.13, wait for Ready, uncordon',
        '',
      ].join('\n'),
    );
  });

  it('a failed gate: the step, node, gate, state and the command to continue', () => {
    const s: StepRecord = { ...step(3, 3, 'node01', 'worker'), phase: 'upgrading', wasCordoned: false };
    assert.equal(
      gateFailedMessage(s, 'upgrade', 'apt-get exited 100', ['upkeep', 'upgrade', 'resume']),
      'gate upgrade failed at step 3 on node01 (upgrading): apt-get exited 100; node01 is cordoned by this run, drained, upgrading v1.31.4 -> v1.32.13; fix it, then continue with: upkeep upgrade resume',
    );
  });

  const events: Array<{ e: Parameters<typeof eventLine>[0]; expect: string | undefined }> = [
    { e: { type: 'wave', wave: 2, nodes: ['node01', 'node02'] }, expect: 'wave 2: node01, node02' },
    { e: { type: 'phase', step: 2, node: 'node01', phase: 'draining' }, expect: 'node01: draining' },
    { e: { type: 'step-done', step: 2, node: 'node01', ms: 1500, evicted: 3, phases: {} }, expect: 'node01: done in 1.5s, 3 pods moved' },
    { e: { type: 'waiting', node: 'node01', for: 'not Ready' }, expect: undefined },
  ];
  for (const c of events) it(`event ${c.e.type}`, () => assert.equal(eventLine(c.e), c.expect));
});
