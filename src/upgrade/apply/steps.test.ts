import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Hop } from '../plan.js';
import { runbook } from '../runbook.js';
import { NODES, hop, plan } from '../testing/plans.js';
import { maintenanceSteps, planSteps, strategyImpact, type Step, type StepOptions } from './steps.js';

// The HA cluster of the runbook's tests (cp1, cp2, node01, node02) plus two more workers, so that
// strategies differ: one hop v1.31.4 -> v1.32.9, or two with node02 lagging.
const WORKERS = ['node01', 'node02', 'node03', 'node04'];
const ALL = ['cp1', 'cp2', ...WORKERS];
const nodes = [...NODES, { name: 'node03', controlPlane: false }, { name: 'node04', controlPlane: false }];
const kubelets = (from: string, to: string) => ALL.map((n) => ({ component: 'kubelet', node: n, current: from, target: to }));
const oneHop = plan([hop('v1.31.4', 'v1.32.9', { kubelets: kubelets('v1.31.4', 'v1.32.9') })]);
const lag = (h: Hop): Hop => ({ ...h, kubelets: h.kubelets.map((r) => (r.node === 'node02' ? { ...r, current: 'v1.29.15', target: 'v1.29.15' } : r)) });
const twoHops = plan([
  // Hop 1: the control-plane kubelets follow, the workers stay; hop 2: node02 first, then everyone to v1.33.5.
  lag(hop('v1.31.4', 'v1.32.9', { kubelets: kubelets('v1.31.4', 'v1.32.9').map((r) => (r.node.startsWith('cp') ? r : { ...r, target: 'v1.31.4' })) })),
  hop('v1.32.9', 'v1.33.5', { kubelets: kubelets('v1.31.4', 'v1.33.5').map((r) => (r.node.startsWith('cp') || r.node === 'node02' ? { ...r, current: 'v1.32.9' } : r)), kubeletsFirst: [{ node: 'node02', from: 'v1.29.15', to: 'v1.32.9', why: 'v1.33 allows kubelets down to v1.30' }] }),
]);

/** Each wave as "wave: node(kind role from->to drain?)" joined by commas. */
function waves(steps: Step[]): string[] {
  const out = new Map<number, string[]>();
  for (const s of steps) {
    const what = s.kind === 'add-nodes' ? `add ${s.count} at ${s.to}` : s.kind === 'cordon-old' ? `cordon ${(s.nodes ?? []).join('+')}` : `${s.node} ${s.kind === 'upgrade' ? s.role : s.kind} ${s.from}->${s.to}${s.drain ? '' : ' no-drain'}`;
    out.set(s.wave, [...(out.get(s.wave) ?? []), what]);
  }
  return [...out.entries()].map(([w, list]) => `${w}: ${list.join(', ')}`);
}

const base: StepOptions = { strategy: 'one-by-one', maxUnavailable: 1, skipControlPlane: false };

describe('planSteps: the runbook ordered into waves for a strategy', () => {
  const cases: Array<{ story: string; plan: typeof oneHop; options: StepOptions; expect: string[] }> = [
    {
      story: 'one-by-one: control plane first, one node at a time, then each worker alone',
      plan: oneHop,
      options: base,
      expect: [
        '1: cp1 first-control-plane v1.31.4->v1.32.9',
        '2: cp2 control-plane v1.31.4->v1.32.9',
        '3: node01 worker v1.31.4->v1.32.9',
        '4: node02 worker v1.31.4->v1.32.9',
        '5: node03 worker v1.31.4->v1.32.9',
        '6: node04 worker v1.31.4->v1.32.9',
      ],
    },
    {
      story: '--max-unavailable 3: workers three at a time, the control plane still one at a time',
      plan: oneHop,
      options: { ...base, maxUnavailable: 3 },
      expect: [
        '1: cp1 first-control-plane v1.31.4->v1.32.9',
        '2: cp2 control-plane v1.31.4->v1.32.9',
        '3: node01 worker v1.31.4->v1.32.9, node02 worker v1.31.4->v1.32.9, node03 worker v1.31.4->v1.32.9',
        '4: node04 worker v1.31.4->v1.32.9',
      ],
    },
    {
      story: 'all-at-once: every worker in one wave',
      plan: oneHop,
      options: { ...base, strategy: 'all-at-once' },
      expect: ['1: cp1 first-control-plane v1.31.4->v1.32.9', '2: cp2 control-plane v1.31.4->v1.32.9', '3: node01 worker v1.31.4->v1.32.9, node02 worker v1.31.4->v1.32.9, node03 worker v1.31.4->v1.32.9, node04 worker v1.31.4->v1.32.9'],
    },
    {
      story: 'replace: add as many new workers, cordon all old ones, then replace each old one alone',
      plan: oneHop,
      options: { ...base, strategy: 'replace' },
      expect: [
        '1: cp1 first-control-plane v1.31.4->v1.32.9',
        '2: cp2 control-plane v1.31.4->v1.32.9',
        '3: add 4 at v1.32.9',
        '4: cordon node01+node02+node03+node04',
        '5: node01 replace-node v1.31.4->v1.32.9',
        '6: node02 replace-node v1.31.4->v1.32.9',
        '7: node03 replace-node v1.31.4->v1.32.9',
        '8: node04 replace-node v1.31.4->v1.32.9',
      ],
    },
    {
      story: '--skip-control-plane and --nodes node03,node01: only those workers',
      plan: oneHop,
      options: { ...base, skipControlPlane: true, workers: new Set(['node03', 'node01']) },
      expect: ['1: node01 worker v1.31.4->v1.32.9', '2: node03 worker v1.31.4->v1.32.9'],
    },
    {
      story: 'two minors: workers stay in hop 1, the lagging node02 moves first in hop 2, then the rest go straight to v1.33',
      plan: twoHops,
      options: { ...base, maxUnavailable: 2 },
      expect: [
        '1: cp1 first-control-plane v1.31.4->v1.32.9',
        '2: cp2 control-plane v1.31.4->v1.32.9',
        '3: node02 worker v1.29.15->v1.32.9',
        '4: cp1 first-control-plane v1.32.9->v1.33.5',
        '5: cp2 control-plane v1.32.9->v1.33.5',
        '6: node01 worker v1.31.4->v1.33.5, node02 worker v1.32.9->v1.33.5',
        '7: node03 worker v1.31.4->v1.33.5, node04 worker v1.31.4->v1.33.5',
      ],
    },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const steps = planSteps(runbook(c.plan, nodes), c.options);
      assert.deepEqual(waves(steps), c.expect);
      assert.deepEqual(steps.map((s) => s.id), steps.map((_, i) => i + 1));
    });
  }
});

describe('strategyImpact: what a strategy costs, said up front', () => {
  const cases: Array<{ options: StepOptions; expect: { maxUnavailable: number; downtime: boolean; summary: RegExp } }> = [
    { options: base, expect: { maxUnavailable: 1, downtime: false, summary: /^one-by-one: at most 1 worker unavailable at once/ } },
    { options: { ...base, maxUnavailable: 3 }, expect: { maxUnavailable: 3, downtime: false, summary: /at most 3 workers unavailable/ } },
    { options: { ...base, strategy: 'all-at-once' }, expect: { maxUnavailable: 4, downtime: true, summary: /^all-at-once: all 4 workers are drained at the same time: .*downtime accepted/ } },
  ];
  for (const c of cases) {
    it(`${c.options.strategy} max ${c.options.maxUnavailable}`, () => {
      const impact = strategyImpact(planSteps(runbook(oneHop, nodes), c.options), c.options.strategy);
      assert.equal(impact.maxUnavailable, c.expect.maxUnavailable);
      assert.equal(impact.downtime, c.expect.downtime);
      assert.match(impact.summary, c.expect.summary);
    });
  }
});

describe('maintenanceSteps: node maintain', () => {
  it('drains and services the named nodes two at a time, at their own version', () => {
    const steps = maintenanceSteps(
      ['a', 'b', 'c'].map((name) => ({ name, kubeletVersion: 'v1.31.4', controlPlane: false })),
      { strategy: 'one-by-one', maxUnavailable: 2 },
    );
    assert.deepEqual(waves(steps), ['1: a maintain v1.31.4->v1.31.4, b maintain v1.31.4->v1.31.4', '2: c maintain v1.31.4->v1.31.4']);
  });
});
