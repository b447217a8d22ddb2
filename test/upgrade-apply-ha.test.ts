// Stories (blue: 3 replicas, a budget of 2): an HA control plane (three control-plane nodes) upgraded one node at a time, kubeadm
// upgrade apply on the first and upgrade node on the others, before any worker; and a chain of two
// minors (v1.31 -> v1.32 -> v1.33) where node01's v1.29 kubelet must move before the control plane
// reaches v1.33 (the skew policy allows kubelets three minors behind), checked by the gates.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/sandbox/index.js';
import { upkeep } from './helpers/cli.js';
import { testSandbox } from './helpers/sandbox.js';
import { bluesReady, clusterScenario, nodeFacts, watchBlue } from './helpers/upgrade.js';

interface Event {
  kind: string;
  type?: string;
  node?: string;
  result?: string;
  journal?: { steps: Array<{ node: string; role: string; from: string; to: string }> };
}


async function run(nodes: string, to: string): Promise<{ events: Event[]; nodes: string[]; steps: string[] }> {
  const sb = await testSandbox({ timeScale: 60, scenario: parseScenario(clusterScenario(nodes)) });
  try {
    await bluesReady(sb, 3);
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'upgrade', 'apply', '--to', to, '--yes']);
    assert.equal(r.code, 0, r.err + r.out.slice(-2000));
    const events = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Event);
    const result = events.at(-1);
    const steps = (result?.journal?.steps ?? []).map((s) => `${s.node} ${s.role} ${s.from} -> ${s.to}`);
    return { events, nodes: nodeFacts(await sb.list('nodes')), steps };
  } finally {
    await sb.stop();
  }
}

describe('upgrade apply: HA control plane and a chain of minors', () => {
  it('three control-plane nodes go one at a time, apply on the first, before the workers', async () => {
    const r = await run(
      ['cp1', 'cp2', 'cp3'].map((n) => `    - {name: ${n}, role: control-plane}`).join('\n') + '\n    - {name: node01}\n    - {name: node02}',
      '1.32',
    );
    assert.deepEqual(r.steps, [
      'cp1 first-control-plane v1.31.4 -> v1.32.13',
      'cp2 control-plane v1.31.4 -> v1.32.13',
      'cp3 control-plane v1.31.4 -> v1.32.13',
      'node01 worker v1.31.4 -> v1.32.13',
      'node02 worker v1.31.4 -> v1.32.13',
    ]);
    assert.deepEqual(r.events.filter((e) => e.type === 'wave').length, 5);
    assert.deepEqual(r.nodes, ['cp1', 'cp2', 'cp3', 'node01', 'node02'].map((n) => `${n} v1.32.13 schedulable`));
  });

  it('two minors: the v1.29 kubelet moves first, the control plane hops twice, every node ends at v1.33', async () => {
    const r = await run('    - {name: controlplane, role: control-plane}\n    - {name: node01, version: v1.29.15}\n    - {name: node02}', '1.33');
    assert.deepEqual(r.steps, [
      'controlplane first-control-plane v1.31.4 -> v1.32.13',
      'node01 worker v1.29.15 -> v1.32.13',
      'controlplane first-control-plane v1.32.13 -> v1.33.13',
      'node01 worker v1.32.13 -> v1.33.13',
      'node02 worker v1.31.4 -> v1.33.13',
    ]);
    assert.deepEqual(r.nodes, ['controlplane', 'node01', 'node02'].map((n) => `${n} v1.33.13 schedulable`));
  });
});

describe('upgrade apply --strategy replace', () => {
  it('adds new workers at the target, cordons the old ones, drains and removes them one by one: only new workers remain, blue never below its budget', async () => {
    const sb = await testSandbox({ timeScale: 60, scenario: parseScenario(clusterScenario('    - {name: controlplane, role: control-plane}\n    - {name: node01}\n    - {name: node02}\n    - {name: node03}')) });
    try {
      await bluesReady(sb, 3);
      const blue = watchBlue(sb);
      const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'upgrade', 'apply', '--to', '1.32', '--strategy', 'replace', '--delete-nodes', '--yes']);
      assert.ok((await blue.stop()) >= 2, 'blue stayed at or above its budget');
      assert.equal(r.code, 0, r.err + r.out.slice(-1500));
      assert.match(r.out, /\nreplace: new workers are added first; old workers are cordoned, then drained and removed one at a time\n/);
      assert.deepEqual(nodeFacts(await sb.list('nodes')), ['controlplane', 'node-01', 'node-02', 'node-03'].map((n) => `${n} v1.32.13 schedulable`));
      await bluesReady(sb, 3);
    } finally {
      await sb.stop();
    }
  });
});
