// What a drain says about a node, from what happened there: kubectl's error line, the state in
// words, the pods left, the flags it still needs. Every expected result is written out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collapseFailures, nodeResult, type NodeDrainResult, type NodeOutcomes, type NodeResultOptions, type PodOutcome, type StopReason } from './result.js';

const options: NodeResultOptions = { dryRun: 'none', disableEviction: false, timeoutSeconds: 90 };
const cordoned = { node: 'node01', cordonState: 'cordoned (by upkeep)' };
const removed = (name: string): PodOutcome => ({ namespace: 'default', name, outcome: { kind: 'removed' } });
const UNMANAGED = 'error: unable to drain node "node01" due to error: cannot delete cannot delete Pods that declare no controller (use --force to override): default/green, continuing command...';

interface Case {
  story: string;
  outcomes: NodeOutcomes;
  reason?: StopReason;
  options?: Partial<NodeResultOptions>;
  want: NodeDrainResult;
}

const cases: Case[] = [
  {
    story: 'a node that cannot be cordoned is left alone',
    outcomes: { stage: 'cordon', node: 'node01', cordonState: 'not cordoned, nothing evicted', error: 'nodes "node01" is forbidden' },
    want: { node: 'node01', status: 'failed', errorLine: 'error: unable to cordon node "node01": nodes "node01" is forbidden', pendingPods: [], state: 'not cordoned, nothing evicted', needs: [] },
  },
  {
    story: '--timeout before the pods were listed: kubectl’s global timeout, as a Go duration',
    outcomes: { stage: 'list', ...cordoned, error: 'context canceled' },
    reason: 'timeout',
    want: {
      node: 'node01',
      status: 'timeout',
      errorLine: 'error: unable to drain node "node01" due to error: global timeout reached: 1m30s, continuing command...',
      pendingPods: [],
      state: 'cordoned (by upkeep); nothing evicted (timed out before its pods were listed)',
      needs: [],
    },
  },
  {
    story: 'interrupted before its turn came',
    outcomes: { stage: 'list', node: 'node02', cordonState: 'not cordoned (interrupted before it was cordoned)' },
    reason: 'interrupted',
    want: {
      node: 'node02',
      status: 'failed',
      interrupted: true,
      errorLine: 'error: drain of node "node02" interrupted',
      pendingPods: [],
      state: 'not cordoned (interrupted before it was cordoned); nothing evicted (interrupted before its drain started)',
      needs: [],
    },
  },
  {
    story: 'the pods could not be listed',
    outcomes: { stage: 'list', ...cordoned, error: 'the server is currently unable to handle the request' },
    want: {
      node: 'node01',
      status: 'failed',
      errorLine: 'error: unable to drain node "node01" due to error: the server is currently unable to handle the request, continuing command...',
      pendingPods: [],
      state: 'cordoned (by upkeep); nothing evicted; its pods could not be listed: the server is currently unable to handle the request',
      needs: [],
    },
  },
  {
    story: 'refused by the filters: nothing evicted, the pods still there, the flags it needs',
    outcomes: {
      stage: 'refused',
      ...cordoned,
      errors: ['cannot delete cannot delete Pods that declare no controller (use --force to override): default/green'],
      pending: ['default/blue-a', 'default/green'],
      needs: ['--force'],
    },
    want: {
      node: 'node01',
      status: 'refused',
      errorLine: UNMANAGED,
      pendingPods: ['default/blue-a', 'default/green'],
      state: 'cordoned (by upkeep); nothing evicted (refused); 2 pods still there: default/blue-a, default/green',
      needs: ['--force'],
    },
  },
  {
    story: 'an unexpected failure after listing, with a surge that could not be put back',
    outcomes: { stage: 'error', ...cordoned, error: 'boom', pending: ['default/solo-x'], surgeProblems: ['Deployment default/solo: could not be put back (boom)'] },
    want: {
      node: 'node01',
      status: 'failed',
      errorLine: 'error: unable to drain node "node01" due to error: boom, continuing command...',
      pendingPods: ['default/solo-x'],
      state: 'cordoned (by upkeep); 1 pod still there: default/solo-x; Deployment default/solo: could not be put back (boom)',
      needs: [],
    },
  },
  {
    story: 'every pod evicted and gone',
    outcomes: { stage: 'removed', ...cordoned, pods: [removed('a'), removed('b'), { namespace: 'default', name: 'c', outcome: { kind: 'gone', why: 'not found' } }], surgeProblems: [] },
    want: { node: 'node01', status: 'drained', pendingPods: [], state: 'cordoned (by upkeep); drained (2 evicted)', evicted: ['default/a', 'default/b'], needs: [] },
  },
  {
    story: '--disable-eviction deletes',
    outcomes: { stage: 'removed', ...cordoned, pods: [removed('a')], surgeProblems: [] },
    options: { disableEviction: true },
    want: { node: 'node01', status: 'drained', pendingPods: [], state: 'cordoned (by upkeep); drained (1 deleted)', evicted: ['default/a'], needs: [] },
  },
  {
    story: 'a client dry run says how many would go',
    outcomes: { stage: 'removed', node: 'node01', cordonState: 'not cordoned (dry run)', pods: [removed('a'), removed('b')], surgeProblems: [] },
    options: { dryRun: 'client' },
    want: { node: 'node01', status: 'drained', pendingPods: [], state: 'not cordoned (dry run); nothing evicted (dry run; 2 pods would be)', needs: [] },
  },
  {
    story: 'a server dry run the server accepted',
    outcomes: { stage: 'removed', node: 'node01', cordonState: 'not cordoned (server dry run)', pods: [removed('a'), removed('b')], surgeProblems: [] },
    options: { dryRun: 'server' },
    want: { node: 'node01', status: 'drained', pendingPods: [], state: 'not cordoned (server dry run); nothing evicted (server dry run accepted 2 pods)', evicted: ['default/a', 'default/b'], needs: [] },
  },
  {
    story: 'a server dry run a budget refuses: blocked at once',
    outcomes: {
      stage: 'removed',
      node: 'node01',
      cordonState: 'not cordoned (server dry run)',
      pods: [removed('a'), { namespace: 'default', name: 'blue-a', outcome: { kind: 'stopped', stage: 'evicting', budget: 'default/blue-pdb', dryRunRefused: 'The disruption budget blue-pdb needs 3 healthy pods and has 3 currently' } }],
      surgeProblems: [],
    },
    options: { dryRun: 'server' },
    want: {
      node: 'node01',
      status: 'blocked',
      pendingPods: ['default/blue-a'],
      state: 'not cordoned (server dry run); nothing evicted (server dry run accepted 1 pod); a real drain would wait on PodDisruptionBudget default/blue-pdb',
      evicted: [],
      blockingBudgets: ['default/blue-pdb'],
      errorLine:
        'error: unable to drain node "node01" due to error: eviction of pods/"blue-a" -n "default" refused (server dry run): The disruption budget blue-pdb needs 3 healthy pods and has 3 currently, continuing command...',
      needs: [],
    },
  },
  {
    story: '--timeout while a budget refuses one pod and another terminates',
    outcomes: {
      stage: 'removed',
      ...cordoned,
      pods: [
        removed('a'),
        { namespace: 'default', name: 'blue-a', outcome: { kind: 'stopped', stage: 'evicting', budget: 'default/blue-pdb' } },
        { namespace: 'default', name: 'slow', outcome: { kind: 'stopped', stage: 'waiting' } },
      ],
      pending: ['default/blue-a', 'default/slow'],
      surgeProblems: [],
    },
    reason: 'timeout',
    want: {
      node: 'node01',
      status: 'timeout',
      pendingPods: ['default/blue-a', 'default/slow'],
      state: 'cordoned (by upkeep); 1 evicted; 2 pods still there: default/blue-a, default/slow; waiting on PodDisruptionBudget default/blue-pdb',
      evicted: ['default/a'],
      blockingBudgets: ['default/blue-pdb'],
      needs: [],
      errorLine:
        'error: unable to drain node "node01" due to error: [error when evicting pods/"blue-a" -n "default": global timeout reached: 1m30s, error when waiting for pod "slow" in namespace "default" to terminate: global timeout reached: 1m30s], continuing command...',
    },
  },
  {
    story: '--timeout with nothing left to name: the timeout alone; the pods listed again are left',
    outcomes: { stage: 'removed', ...cordoned, pods: [removed('a')], pending: [], surgeProblems: [] },
    reason: 'timeout',
    options: { timeoutSeconds: 2 },
    want: {
      node: 'node01',
      status: 'timeout',
      pendingPods: [],
      state: 'cordoned (by upkeep); 1 evicted',
      evicted: ['default/a'],
      needs: [],
      errorLine: 'error: unable to drain node "node01" due to error: global timeout reached: 2s, continuing command...',
    },
  },
  {
    story: 'interrupted: the pods not listed again fall back to those stopped',
    outcomes: { stage: 'removed', ...cordoned, pods: [{ namespace: 'default', name: 'solo-x', outcome: { kind: 'stopped', stage: 'evicting' } }], surgeProblems: [] },
    reason: 'interrupted',
    want: {
      node: 'node01',
      status: 'failed',
      pendingPods: ['default/solo-x'],
      state: 'cordoned (by upkeep); 0 evicted; 1 pod still there: default/solo-x',
      evicted: [],
      needs: [],
      interrupted: true,
      errorLine: 'error: drain of node "node01" interrupted',
    },
  },
  {
    story: 'overlapping budgets fail a pod: the rest evicted, --disable-eviction needed',
    outcomes: {
      stage: 'removed',
      ...cordoned,
      pods: [removed('green'), { namespace: 'default', name: 'blue-a', outcome: { kind: 'failed', error: 'error when evicting pods/"blue-a" -n "default": overlap', needs: ['--disable-eviction'] } }],
      pending: ['default/blue-a'],
      surgeProblems: [],
    },
    want: {
      node: 'node01',
      status: 'failed',
      pendingPods: ['default/blue-a'],
      state: 'cordoned (by upkeep); 1 evicted; 1 pod still there: default/blue-a',
      evicted: ['default/green'],
      needs: ['--disable-eviction'],
      errorLine: 'error: unable to drain node "node01" due to error: error when evicting pods/"blue-a" -n "default": overlap, continuing command...',
    },
  },
  {
    story: '--wait-ready: everything back',
    outcomes: { stage: 'removed', ...cordoned, pods: [removed('a')], notReady: [], surgeProblems: [] },
    want: { node: 'node01', status: 'drained', pendingPods: [], state: 'cordoned (by upkeep); drained (1 evicted)', evicted: ['default/a'], notReady: [], needs: [] },
  },
  {
    story: '--wait-ready: not back within --timeout',
    outcomes: { stage: 'removed', ...cordoned, pods: [removed('pinned-x')], notReady: ['Deployment default/pinned: 0/1 available'], surgeProblems: [] },
    reason: 'timeout',
    options: { timeoutSeconds: 4 },
    want: {
      node: 'node01',
      status: 'timeout',
      pendingPods: [],
      notReady: ['Deployment default/pinned: 0/1 available'],
      evicted: ['default/pinned-x'],
      state: 'cordoned (by upkeep); drained (1 evicted); not back to full availability: Deployment default/pinned: 0/1 available',
      needs: [],
      errorLine: 'error: node "node01" drained, but workloads not available again within 4s (--wait-ready): Deployment default/pinned: 0/1 available',
    },
  },
  {
    story: '--wait-ready: a workload gone from view without a timeout',
    outcomes: { stage: 'removed', ...cordoned, pods: [removed('a')], notReady: ['Deployment default/a: could not watch it'], surgeProblems: [] },
    want: {
      node: 'node01',
      status: 'failed',
      pendingPods: [],
      notReady: ['Deployment default/a: could not watch it'],
      evicted: ['default/a'],
      state: 'cordoned (by upkeep); drained (1 evicted); not back to full availability: Deployment default/a: could not watch it',
      needs: [],
      errorLine: 'error: node "node01" drained, but workloads not available again as far as upkeep could tell (--wait-ready): Deployment default/a: could not watch it',
    },
  },
  {
    story: '--wait-ready: interrupted while waiting',
    outcomes: { stage: 'removed', ...cordoned, pods: [removed('a')], notReady: ['Deployment default/a: 0/1 available'], surgeProblems: [] },
    reason: 'interrupted',
    want: {
      node: 'node01',
      status: 'failed',
      pendingPods: [],
      notReady: ['Deployment default/a: 0/1 available'],
      evicted: ['default/a'],
      state: 'cordoned (by upkeep); drained (1 evicted); not back to full availability: Deployment default/a: 0/1 available',
      needs: [],
      interrupted: true,
      errorLine: 'error: drain of node "node01" interrupted while waiting for workloads to be ready',
    },
  },
];

describe('nodeResult', () => {
  for (const c of cases) it(c.story, () => assert.deepEqual(nodeResult(c.outcomes, c.reason, { ...options, ...c.options }), c.want));
});

describe('collapseFailures', () => {
  it('says a cause shared by many pods once, with the count and the first pods', () => {
    const refused = 'unable to connect to the server https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1';
    const errors = Array.from({ length: 48 }, (_, i) => `error when evicting pods/"web-${i}" -n "shop": ${refused}`);
    assert.deepEqual(collapseFailures(errors), [`error when evicting 48 pods (shop/web-0, shop/web-1, shop/web-2, and 45 more): ${refused}`]);
  });

  it('keeps distinct causes apart and in order, and a single pod as kubectl says it', () => {
    const errors = [
      'error when evicting pods/"a" -n "x": boom',
      'error when deleting pods/"b" -n "x": gone wrong',
      'error when evicting pods/"c" -n "y": boom',
      'error when waiting for pod "d" in namespace "x" to terminate: timeout',
      'error when waiting for pod "e" in namespace "x" to terminate: timeout',
      'something else',
    ];
    assert.deepEqual(collapseFailures(errors), [
      'error when evicting 2 pods (x/a, y/c): boom',
      'error when deleting pods/"b" -n "x": gone wrong',
      'error when waiting for 2 pods (x/d, x/e) to terminate: timeout',
      'something else',
    ]);
  });
});
