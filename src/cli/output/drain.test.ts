// How `upkeep drain` shows the drain's data: the impact report, budget waits, each node's end
// and the command to continue, from results written out here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BudgetWait } from '../../drain/evict.js';
import type { DrainResult, NodeDrainResult } from '../../drain/result.js';
import { blue, drain, pdb } from '../../drain/testing/cluster.js';
import { budgetWaitLine, clockText, commandLine, nodeDoneLines, pendingNodesText, renderImpact } from './drain.js';

describe('renderImpact', () => {
  it('renders aligned sections with kubectl’s wording', () => {
    const text = renderImpact(drain(['node01'], { ignoreDaemonSets: true }, { pdbs: [pdb('blue', { app: 'blue' }, { minAvailable: 3 })] }));
    const lines = text.split('\n');
    assert.equal(lines[0], 'Impact of draining node01 (cordoned: no)');
    const podRows = lines.slice(1, 6);
    assert.match(podRows[0], /^POD\s+FATE\s+REASON$/);
    const fateColumn = podRows[0].indexOf('FATE');
    for (const row of podRows.slice(1)) assert.match(row.slice(fateColumn), /^(evict|skip|blocked)\s/, row);
    assert.ok(lines.some((l) => /^default\/green\s+blocked\s+bare pod \(no controller\): needs --force; it will be lost$/.test(l)));
    assert.ok(lines.includes('  cannot delete cannot delete Pods that declare no controller (use --force to override): default/green'));
    assert.ok(lines.includes('Warning: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-1'));
    assert.ok(lines.some((l) => /^default\/blue \(Deployment\)\s+1 of 3 ready replicas on node01, stays available/.test(l)));
    assert.ok(lines.some((l) => /^default\/green \(Pod\)\s+bare pod, will be lost — needs --force$/.test(l)));
    assert.ok(lines.some((l) => /^default\/blue\s+app=blue\s+0\s+1\s+blocks by 1/.test(l)));
    assert.ok(lines.includes('Longest grace period: 90s (default/solo-66c9f-x)'));
    assert.match(lines.filter((l) => l.startsWith('Verdict:'))[0], /^Verdict: blocked — node01 would be refused/);
  });

  it('names overlapping budgets and the waiting verdict', () => {
    const a = pdb('blue-a', { app: 'blue' }, { maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 });
    const b = pdb('everything', {}, { maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 5, desiredHealthy: 4, expectedPods: 5 });
    const text = renderImpact(drain(['node01'], { ignoreDaemonSets: true, force: true }, { pdbs: [a, b] }));
    assert.match(text, /\n {2}default\/blue-66c9f-a\s+default\/blue-a, default\/everything\n/);
    assert.match(text, /Verdict: will fail/);
    // A fourth blue replica, not Ready yet: the budget frees up once it is.
    const wait = renderImpact(drain(['node01'], { ignoreDaemonSets: true, force: true, timeoutSeconds: 300 }, { pdbs: [pdb('blue', { app: 'blue' }, { minAvailable: 3 })], pods: [blue('d', 'node02', { ready: false })] }));
    assert.match(wait, /Verdict: will wait — PodDisruptionBudget default\/blue .* until --timeout 300s/);
    const never = renderImpact(drain(['node01'], { ignoreDaemonSets: true, force: true, timeoutSeconds: 300 }, { pdbs: [pdb('blue', { app: 'blue' }, { minAvailable: 3 })] }));
    assert.match(never, /\nVerdict: will never finish — PodDisruptionBudget default\/blue can never allow the evictions needed: the drain waits until --timeout 300s and fails \(3 to evict, 1 skipped, 0 blocking\)\n/);
    assert.match(never, /\nTo continue: --disable-eviction \(deletes the pods without asking PodDisruptionBudget default\/blue, which can never allow the evictions; their availability is not protected\)\n$/);
    assert.match(never, /\nWith --surge, replacements start elsewhere before the evictions:\n {2}Deployment default\/solo: 1 -> 2 replicas, back to 1 after the drain\n/);
  });

  it('a NotReady node: warns, and names --skip-wait-for-delete-timeout', () => {
    const text = renderImpact(drain(['node01'], { ignoreDaemonSets: true, force: true }, { notReady: ['node01'] }));
    assert.match(text, /\nWarning: node01 is NotReady: its kubelet does not finish evicted pods, which stay terminating until --skip-wait-for-delete-timeout or --timeout\n/);
    assert.match(text, /\nTo continue: --skip-wait-for-delete-timeout=60 \(node01 is NotReady: no kubelet finishes the evicted pods, which stay terminating; stop waiting for them after 60s\)\n$/);
  });
});

describe('budgetWaitLine', () => {
  const wait: BudgetWait = { pod: 'default/blue-a', budget: 'default/blue-pdb', message: 'The disruption budget blue-pdb needs 3 healthy pods and has 3 currently', attempts: 2, retryInMs: 2000 };
  const cases: { story: string; wait: BudgetWait; want: string }[] = [
    {
      story: "the budget's numbers, when the cause gave them",
      wait: { ...wait, desiredHealthy: 3, currentHealthy: 3 },
      want: 'waiting to evict default/blue-a: PodDisruptionBudget default/blue-pdb allows no disruption now (needs 3 healthy, has 3); attempt 2',
    },
    {
      story: "the server's words otherwise",
      wait: { ...wait, message: 'The disruption budget blue-pdb is still being processed by the server.' },
      want: 'waiting to evict default/blue-a: PodDisruptionBudget default/blue-pdb allows no disruption now (The disruption budget blue-pdb is still being processed by the server.); attempt 2',
    },
  ];
  for (const c of cases) it(c.story, () => assert.equal(budgetWaitLine(c.wait), c.want));
});

describe('commandLine', () => {
  const cases: { story: string; args: string[]; want: string }[] = [
    { story: 'plain arguments stay bare', args: ['upkeep', 'drain', 'node01', '--timeout=90s'], want: 'upkeep drain node01 --timeout=90s' },
    {
      story: 'a pod selector with spaces is quoted for the shell',
      args: ['upkeep', 'drain', 'node01', "--pod-selector=app in (a,b),tier!=it's"],
      want: `upkeep drain node01 '--pod-selector=app in (a,b),tier!=it'\\''s'`,
    },
    { story: 'a kubeconfig path with a space', args: ['upkeep', '--kubeconfig', '/tmp/my cluster/config', 'drain', 'node01'], want: "upkeep --kubeconfig '/tmp/my cluster/config' drain node01" },
  ];
  for (const c of cases) it(c.story, () => assert.equal(commandLine(c.args), c.want));
});

const refused: NodeDrainResult = {
  node: 'node01',
  status: 'refused',
  errorLine: 'error: unable to drain node "node01" due to error: cannot delete cannot delete Pods that declare no controller (use --force to override): default/green, continuing command...',
  pendingPods: ['default/blue-a', 'default/green'],
  state: 'cordoned (by upkeep); nothing evicted (refused); 2 pods still there: default/blue-a, default/green',
  needs: ['--force'],
};
const drained: NodeDrainResult = { node: 'node02', status: 'drained', pendingPods: [], state: 'cordoned (by upkeep); drained (3 evicted)', evicted: ['default/a', 'default/b', 'default/c'], needs: [] };

describe('nodeDoneLines', () => {
  const cases: { story: string; result: NodeDrainResult; dryRun?: 'server'; want: { out: string[]; err: string[] } }[] = [
    { story: 'a drained node: one line on stdout, as kubectl', result: drained, want: { out: ['node/node02 drained'], err: [] } },
    { story: 'a server dry run says so, as kubectl', result: drained, dryRun: 'server', want: { out: ['node/node02 drained (server dry run)'], err: [] } },
    {
      story: "a refused node: kubectl's error and pending pods, then its state",
      result: refused,
      want: {
        out: [],
        err: [
          refused.errorLine ?? '',
          'There are pending pods in node "node01" when an error occurred:\npod/blue-a\npod/green',
          'node/node01: cordoned (by upkeep); nothing evicted (refused); 2 pods still there: default/blue-a, default/green',
        ],
      },
    },
    {
      story: 'workloads not back after --wait-ready',
      result: { ...drained, status: 'timeout', errorLine: 'error: x', notReady: ['Deployment default/pinned: 0/1 available'], state: 's' },
      want: { out: [], err: ['error: x', 'node/node02: s', 'not back to its desired availability: Deployment default/pinned: 0/1 available'] },
    },
  ];
  for (const c of cases) it(c.story, () => assert.deepEqual(nodeDoneLines(c.result, c.dryRun), c.want));
});

describe('pendingNodesText', () => {
  const cases: { story: string; result: DrainResult; want: string }[] = [
    { story: 'every node drained: nothing to say', result: { nodes: [drained], ok: true }, want: '' },
    {
      story: 'a refused node: the command to continue, with the flags it still needs',
      result: { nodes: [refused, drained], ok: false, continueWith: ['upkeep', 'drain', 'node01', '--ignore-daemonsets'] },
      want: 'There are pending nodes to be drained:\n node01\nTo continue, if the pods named above may go as the flags say: upkeep drain node01 --ignore-daemonsets --force\n',
    },
    {
      story: 'a timeout needs no flag: the same command again',
      result: { nodes: [{ ...refused, status: 'timeout', needs: [] }], ok: false, continueWith: ['upkeep', 'drain', 'node01', '--timeout=2s'] },
      want: 'There are pending nodes to be drained:\n node01\nTo continue: upkeep drain node01 --timeout=2s\n',
    },
    {
      story: 'flags already in the command are not offered twice; several nodes',
      result: {
        nodes: [refused, { ...refused, node: 'node03', needs: ['--force', '--delete-emptydir-data'] }],
        ok: false,
        continueWith: ['upkeep', '--context', 'prod', 'drain', 'node01', 'node03', '--force'],
      },
      want: 'There are pending nodes to be drained:\n node01\n node03\nTo continue, if the pods named above may go as the flags say: upkeep --context prod drain node01 node03 --force --delete-emptydir-data\n',
    },
    { story: 'a dry run offers no command', result: { nodes: [{ ...refused, status: 'blocked' }], ok: false }, want: 'There are pending nodes to be drained:\n node01\n' },
    {
      story: 'drained, but --wait-ready found a workload not back: not a node pending drain',
      result: {
        nodes: [{ node: 'node01', status: 'timeout', pendingPods: [], evicted: ['default/pinned-a'], notReady: ['Deployment default/pinned: 0/1 available'], state: 'cordoned; drained (1 evicted)', needs: [] }],
        ok: false,
        continueWith: ['upkeep', 'drain', 'node01', '--wait-ready'],
      },
      want: 'Drained, but workloads not back to full availability (--wait-ready):\n node01\n',
    },
  ];
  for (const c of cases) it(c.story, () => assert.equal(pendingNodesText(c.result), c.want));
});

describe('clockText', () => {
  const cases: { story: string; elapsed: number; timeout: number; want: string }[] = [
    { story: 'no --timeout: only the time waited', elapsed: 12.7, timeout: 0, want: '12s elapsed' },
    { story: 'with --timeout 2m: what is left, as Go durations', elapsed: 45.2, timeout: 120, want: '45s elapsed, 1m14s of --timeout left' },
    { story: 'an hour and more', elapsed: 3725, timeout: 7200, want: '1h2m5s elapsed, 57m55s of --timeout left' },
  ];
  for (const c of cases) it(c.story, () => assert.equal(clockText(c.elapsed, c.timeout), c.want));
});
