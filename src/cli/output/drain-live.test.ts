import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DrainWaits } from './drain-live.js';

const wait = (pod: string, attempts = 1) => ({ pod, budget: 'default/blue-pdb', message: '', desiredHealthy: 3, currentHealthy: 3, attempts, retryInMs: 1000 });

describe('the live line of a drain: what it waits for now', () => {
  const cases: Array<{ name: string; steps: (w: DrainWaits) => void; timeout: number; expected: string | undefined }> = [
    { name: 'nothing evicted yet: no line', steps: () => {}, timeout: 0, expected: undefined },
    {
      name: 'a budget refuses an eviction',
      steps: (w) => {
        w.evicting('node01', 'default/blue-a');
        w.budgetWait(wait('default/blue-a', 2));
      },
      timeout: 300,
      expected: 'waiting to evict default/blue-a: PodDisruptionBudget default/blue-pdb allows no disruption now (needs 3 healthy, has 3); attempt 2; 10s elapsed, 4m50s of --timeout left',
    },
    {
      name: 'the eviction is accepted: the budget line goes, the terminating pod shows with its grace period',
      steps: (w) => {
        w.evicting('node01', 'default/blue-a');
        w.budgetWait(wait('default/blue-a'));
        w.terminatingPod('node01', 'default/blue-a', 30);
      },
      timeout: 0,
      expected: 'waiting for 1 pod to terminate: default/blue-a (grace period 30s); 10s elapsed',
    },
    {
      name: 'four terminating: three named, the rest counted',
      steps: (w) => {
        for (const [p, g] of [['a', 30], ['b', 5], ['c', 90], ['d', 1]] as const) w.terminatingPod('node01', `default/${p}`, g);
      },
      timeout: 60,
      expected: 'waiting for 4 pods to terminate: default/a (grace period 30s), default/b (grace period 5s), default/c (grace period 1m30s), and 1 more; 10s elapsed, 50s of --timeout left',
    },
    {
      name: 'one gone, one still terminating',
      steps: (w) => {
        w.terminatingPod('node01', 'default/a', 30);
        w.terminatingPod('node01', 'default/b', 5);
        w.done('default/a');
      },
      timeout: 0,
      expected: 'waiting for 1 pod to terminate: default/b (grace period 5s); 10s elapsed',
    },
    {
      name: 'a budget wait while another pod terminates',
      steps: (w) => {
        w.terminatingPod('node01', 'default/a', 30);
        w.evicting('node01', 'default/blue-b');
        w.budgetWait(wait('default/blue-b'));
      },
      timeout: 0,
      expected: 'waiting to evict default/blue-b: PodDisruptionBudget default/blue-pdb allows no disruption now (needs 3 healthy, has 3); attempt 1; 1 terminating; 10s elapsed',
    },
    {
      name: 'the node is done: nothing on it is waited for',
      steps: (w) => {
        w.terminatingPod('node01', 'default/a', 30);
        w.evicting('node01', 'default/blue-b');
        w.budgetWait(wait('default/blue-b'));
        w.terminatingPod('node02', 'default/c', 5);
        w.nodeDone('node01');
      },
      timeout: 0,
      expected: 'waiting for 1 pod to terminate: default/c (grace period 5s); 10s elapsed',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const w = new DrainWaits();
      c.steps(w);
      assert.equal(w.line(10, c.timeout), c.expected);
    });
  }
});
