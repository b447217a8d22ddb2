import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding, Hop, UpgradePlan } from './plan.js';
import { type Runbook, runbook } from './runbook.js';
import { NODES, hop, plan } from './testing/plans.js';
import { formatVersion } from './version.js';

// The runbook as data: which node does what in each hop, numbered across the runbook, with the
// findings each section notes. An HA kubeadm cluster (cp1, cp2) and two workers.

/** Each hop's steps as lines: "N node role [kubelet -> version] [notes]". */
function steps(r: Runbook): string[][] {
  return r.hops.map((h) => [
    ...h.kubeletsFirst.map((k) => `${k.step} ${k.node} kubelet first ${k.from} -> ${formatVersion(k.to)}${k.notes.map((f) => ` [${f.code}]`).join('')}`),
    ...(h.applied ? ['apply ran already'] : []),
    ...h.nodes.map((s) => `${s.step} ${s.node} ${s.role}${s.kubelet ? ` kubelet -> ${formatVersion(s.kubelet.to)}` : ''}${s.notes.map((f) => ` [${f.code}]`).join('')}`),
    ...h.staying.map((r) => `stays ${r.node} ${r.current}`),
  ]);
}

const lagging = (h: Hop) => ({ ...h, kubelets: h.kubelets.map((r) => (r.node === 'node02' ? { ...r, current: 'v1.29.15', target: 'v1.29.15' } : r)) });

describe('the runbook as data', () => {
  const cases: Array<{ story: string; plan: UpgradePlan; expect: string[][] }> = [
    {
      story: 'one hop: the first control-plane node applies, the other and the workers run upgrade node, each moving its kubelet',
      plan: plan([hop()]),
      expect: [['1 cp1 first-control-plane kubelet -> v1.32.9', '2 cp2 control-plane kubelet -> v1.32.9', '3 node01 worker kubelet -> v1.32.9', '4 node02 worker kubelet -> v1.32.9']],
    },
    {
      story: 'apply already ran on cp1: cp1 only moves its kubelet, cp2 runs upgrade node',
      plan: plan([hop('v1.31.4', 'v1.32.9', { controlPlane: hop().controlPlane.map((r) => (r.node === 'cp1' ? { ...r, current: r.target } : r)) })]),
      expect: [['apply ran already', '1 cp1 control-plane-kubelet kubelet -> v1.32.9', '2 cp2 control-plane kubelet -> v1.32.9', '3 node01 worker kubelet -> v1.32.9', '4 node02 worker kubelet -> v1.32.9']],
    },
    {
      story: 'a lagging kubelet stays in hop 1 and moves first in hop 2; steps are numbered across hops',
      plan: plan([
        lagging(hop()),
        hop('v1.32.9', 'v1.33.5', { kubeletsFirst: [{ node: 'node02', from: 'v1.29.15', to: 'v1.32.9', why: 'v1.33 allows kubelets down to v1.30' }] }),
      ]),
      expect: [
        ['1 cp1 first-control-plane kubelet -> v1.32.9', '2 cp2 control-plane kubelet -> v1.32.9', '3 node01 worker kubelet -> v1.32.9', 'stays node02 v1.29.15'],
        ['4 node02 kubelet first v1.29.15 -> v1.32.9', '5 cp1 first-control-plane kubelet -> v1.33.5', '6 cp2 control-plane kubelet -> v1.33.5', '7 node01 worker kubelet -> v1.33.5', '8 node02 worker kubelet -> v1.33.5'],
      ],
    },
    {
      story: "a node's warning is noted once, in its first section of the hop it belongs to; notes (info) are not",
      plan: plan(
        [hop('v1.31.4', 'v1.32.9', { label: 'v1.31 -> v1.32' }), hop('v1.32.9', 'v1.33.5', { label: 'v1.32 -> v1.33' })],
        [
          { severity: 'warning', code: 'KubeletUpgradeFirst', object: 'node/node01', message: '', fix: '', hop: 'v1.32 -> v1.33' },
          { severity: 'blocking', code: 'DrainRefused', object: 'node/node02', message: '', fix: '' },
          { severity: 'info', code: 'NodeCordoned', object: 'node/cp2', message: '', fix: '' },
        ],
      ),
      expect: [
        ['1 cp1 first-control-plane kubelet -> v1.32.9', '2 cp2 control-plane kubelet -> v1.32.9', '3 node01 worker kubelet -> v1.32.9', '4 node02 worker kubelet -> v1.32.9 [DrainRefused]'],
        ['5 cp1 first-control-plane kubelet -> v1.33.5', '6 cp2 control-plane kubelet -> v1.33.5', '7 node01 worker kubelet -> v1.33.5 [KubeletUpgradeFirst]', '8 node02 worker kubelet -> v1.33.5'],
      ],
    },
    { story: 'no target: nothing to run', plan: { ...plan([]), target: null }, expect: [] },
  ];
  for (const c of cases) it(c.story, () => assert.deepEqual(steps(runbook(c.plan, NODES)), c.expect));

  it('orders control-plane nodes first, each by name, and lists what to resolve first', () => {
    const blocking: Finding = { severity: 'blocking', code: 'DrainRefused', object: 'node/node01', message: '', fix: '' };
    const r = runbook(plan([hop()], [blocking, { severity: 'warning', code: 'X', message: '', fix: '' }]), NODES, { etcdEndpoints: ['https://etcd1.test:2379'] });
    assert.deepEqual([r.controlPlanes, r.workers, r.blocking, r.etcdEndpoints], [['cp1', 'cp2'], ['node01', 'node02'], [blocking], ['https://etcd1.test:2379']]);
  });
});
