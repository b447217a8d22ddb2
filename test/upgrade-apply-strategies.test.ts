// Story: the strategies and the other commands of the executor on a sandbox with four workers:
// --max-unavailable 2 upgrades workers two at a time and -o json prints one JSON object per event
// and a final result; all-at-once reports its downtime up front; `upgrade abort` stops a run after
// its current wave, every node in a stated state; `node maintain` drains, services and uncordons.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { upkeep } from './helpers/cli.js';
import { type TestSandbox, eventually } from './helpers/sandbox.js';
import { upgradeSandbox, nodeFacts } from './helpers/upgrade.js';
import { contractProblems } from '../src/cli/output/contract.js';

const TARGET = 'v1.32.13';


interface Line {
  apiVersion: string;
  kind: string;
  type?: string;
  wave?: number;
  nodes?: string[];
  result?: string;
}

describe('upgrade strategies, abort and node maintain', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await upgradeSandbox(4);
  });
  after(async () => sb?.stop());

  it('all-at-once --dry-run says up front that every worker goes at once and what goes down', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--strategy', 'all-at-once', '--dry-run']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\nall-at-once: all 4 workers are drained at the same time: workloads running only on workers have no ready replica until the workers are back \(downtime accepted\)\n/);
    assert.match(r.out, /\nwave 2 \(v1\.31 -> v1\.32\): evicts \d+ pods; goes down: .*Deployment default\/blue.*; waits for budgets default\/blue\n {2}2\. node01 \(worker\)/);
  });

  it('upgrade abort asks the running run to stop after its wave; status says aborted and which nodes are done', async () => {
    const run = upkeep(['--kubeconfig', sb.kubeconfig, 'node', 'maintain', 'node01', 'node02', 'node03', '--yes']);
    await eventually('node01 in progress', async () => {
      const cm = await sb.get('configmaps', 'kube-system', 'upkeep-upgrade');
      const data = (cm as { data?: Record<string, string> } | undefined)?.data?.['journal.json'];
      const steps = data ? (JSON.parse(data) as { steps: Array<{ node: string; phase: string }> }).steps : [];
      return ['draining', 'upgrading', 'waiting-ready'].includes(steps.find((x) => x.node === 'node01')?.phase ?? '');
    });
    const a = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'abort']);
    assert.equal(a.code, 0, a.err);
    assert.match(a.out, /^Asked the run held by \S+ pid \d+ to stop after its current wave; 'upkeep upgrade status' shows where each node is left\.\n$/);
    const r = await run;
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\nRun maintain-\S+ aborted; each node's state: upkeep upgrade status\n$/);
    const s = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'status']);
    assert.match(s.out, /^State: {4}aborted, no run holds the lease\n/m);
    assert.match(s.out, /\n1 +1 +node01 +v1\.31\.4 +v1\.31\.4 +done +done at v1\.31\.4, uncordoned\n2 +2 +node02 +v1\.31\.4 +v1\.31\.4 +pending +untouched at v1\.31\.4\n/);
    assert.deepEqual(nodeFacts(await sb.list('nodes')).filter((l) => l.endsWith(' cordoned')), []);
  });

  it('--max-unavailable 2 -o json: workers two at a time, one JSON object per event and a final result', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'upgrade', 'apply', '--to', '1.32', '--yes', '--max-unavailable', '2']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Line);
    assert.ok(lines.every((l) => l.apiVersion === 'upkeep.dev/v1alpha1'));
    assert.deepEqual(lines.flatMap((l) => contractProblems(l)), [], 'every line as docs/output.md documents its kind');
    assert.deepEqual(lines.filter((l) => l.type === 'wave').map((l) => (l.nodes ?? []).join('+')), ['controlplane', 'node01+node02', 'node03+node04']);
    const last = lines.at(-1);
    assert.equal(last?.kind, 'UpgradeResult');
    assert.equal(last?.result, 'done');
    assert.deepEqual(nodeFacts(await sb.list('nodes')), ['controlplane', 'node01', 'node02', 'node03', 'node04'].map((n) => `${n} ${TARGET} schedulable`));
  });

  it('node maintain drains, services and uncordons each node, one at a time; a node cordoned before stays cordoned', async () => {
    assert.equal((await sb.kubectl(['cordon', 'node03'])).code, 0);
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'node', 'maintain', 'node01', 'node02', 'node03', '--run', 'apt-get -y upgrade', '--yes']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Maintenance of 3 nodes: apt-get -y upgrade \(one-by-one\)\n/);
    assert.match(r.out, /\nnode01: sandbox: rebooting node01 \(the sandbox runs no commands: "apt-get -y upgrade" is simulated as a reboot\)\n/);
    assert.match(r.out, /\nMaintenance done: 3 steps\.\n$/);
    assert.deepEqual(nodeFacts(await sb.list('nodes')).filter((l) => l.endsWith(' cordoned')), [`node03 ${TARGET} cordoned`]);
    const s = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'status']);
    assert.match(s.out, /\n3 +3 +node03 .* done +done at v1\.32\.13 \(left cordoned, as it was before\)\n/);
  });

  it('--health-command that fails on a node stops the run there with exit 3 (gate health), the node left cordoned and stated', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'node', 'maintain', 'node01', 'node02', '--yes', '--validate-count', '2', '--health-command', 'test "$UPKEEP_NODE" != node02 || { echo "node02: disk check failed"; exit 7; }']);
    assert.equal(r.code, 3, r.err);
    assert.match(
      r.err.trimEnd().split('\n').at(-1) ?? '',
      /^error: gate health failed at step 2 on node02 \(gates\): --health-command failed for node02 \(.*\): node02: disk check failed; node02 is cordoned by this run, drained, maintained, waiting for its gates; fix it, then continue with: upkeep --kubeconfig \S+ upgrade resume$/,
    );
    assert.deepEqual(nodeFacts(await sb.list('nodes')).filter((l) => l.endsWith(' cordoned')), [`node02 ${TARGET} cordoned`, `node03 ${TARGET} cordoned`]);
  });
});
