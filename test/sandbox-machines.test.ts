// The sandbox's machine API over HTTPS, driven through the sandbox upgrader (the default
// NodeUpgrader against `upkeep sandbox`): an HA control plane upgraded one control-plane node at
// a time, workers added at a version and removed, and the faults tests arm (a machine that never
// comes back, one that comes back NotReady, a slow upgrade).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient } from '../src/kube/index.js';
import { parseScenario } from '../src/sandbox/index.js';
import { SandboxUpgrader } from '../src/upgrade/upgraders/sandbox.js';
import { type UpgraderContext, UpgraderError } from '../src/upgrade/upgraders/types.js';
import type { KubeObject } from '../src/api/types.js';
import { type TestSandbox, eventually, testSandbox } from './helpers/sandbox.js';
import { upkeep } from './helpers/cli.js';

const HA = parseScenario(
  `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: ha}
spec:
  controlPlane: {version: v1.31.4, etcd: {version: 3.5.15-0, topology: stacked}}
  nodes:
    - {name: cp1, role: control-plane}
    - {name: cp2, role: control-plane}
    - {name: cp3, role: control-plane}
    - {name: w1}
    - {name: w2}
`,
  'ha',
);

function context(lines: string[] = []): UpgraderContext {
  return { signal: new AbortController().signal, log: (l) => lines.push(l) };
}

function ready(n: KubeObject | undefined): { status?: string; reason?: string } {
  const conditions = isConditions(n?.status) ? n.status.conditions : [];
  return conditions.find((c) => c.type === 'Ready') ?? {};
}

function isConditions(s: unknown): s is { conditions: Array<{ type: string; status?: string; reason?: string }> } {
  return typeof s === 'object' && s !== null && 'conditions' in s && Array.isArray(s.conditions);
}

function kubeletOf(n: KubeObject | undefined): string | undefined {
  const s = n?.status;
  return typeof s === 'object' && s !== null && 'nodeInfo' in s && typeof s.nodeInfo === 'object' && s.nodeInfo !== null && 'kubeletVersion' in s.nodeInfo ? String(s.nodeInfo.kubeletVersion) : undefined;
}

async function imageOf(sb: TestSandbox, pod: string): Promise<string | undefined> {
  const p = await sb.get('pods', 'kube-system', pod);
  const spec = p?.spec;
  return typeof spec === 'object' && spec !== null && 'containers' in spec && Array.isArray(spec.containers) ? String(spec.containers[0]?.image) : undefined;
}

describe('sandbox machine API through the sandbox upgrader', () => {
  let sb: TestSandbox;
  let kube: KubeClient;
  let upgrader: SandboxUpgrader;
  before(async () => {
    sb = await testSandbox({ scenario: HA, timeScale: 60 });
    kube = await KubeClient.create({ kubeconfig: sb.kubeconfig });
    upgrader = new SandboxUpgrader(kube, { labels: { pool: 'v132' } });
    await eventually('every node Ready', async () => (await sb.list('nodes')).every((n) => ready(n).status === 'True'));
  });
  after(async () => sb?.stop());

  it('upgrades an HA control plane one node at a time: apply on the first, upgrade node on the others', async () => {
    const lines: string[] = [];
    await upgrader.upgrade({ node: 'cp1', role: 'first-control-plane', from: 'v1.31.4', to: 'v1.32.0' }, context(lines));
    assert.deepEqual(
      [(await upgrader.machine('cp1', context())).staticPods, (await upgrader.machine('cp2', context())).staticPods, (await upgrader.machine('cp3', context())).staticPods],
      ['v1.32.0', 'v1.31.4', 'v1.31.4'],
    );
    assert.equal((await kube.serverVersion()).gitVersion, 'v1.32.0');
    await eventually('cp1 apiserver at v1.32.0, cp2 still at v1.31.4', async () => (await imageOf(sb, 'kube-apiserver-cp1')) === 'registry.k8s.io/kube-apiserver:v1.32.0' && (await imageOf(sb, 'kube-apiserver-cp2')) === 'registry.k8s.io/kube-apiserver:v1.31.4');
    assert.equal(kubeletOf(await sb.get('nodes', '', 'cp1')), 'v1.32.0');
    assert.equal(kubeletOf(await sb.get('nodes', '', 'cp2')), 'v1.31.4');
    assert.deepEqual(lines, ['sandbox: upgrading cp1 (first-control-plane) v1.31.4 -> v1.32.0', 'sandbox: cp1 is up at v1.32.0']);

    await upgrader.upgrade({ node: 'cp2', role: 'control-plane', from: 'v1.31.4', to: 'v1.32.0' }, context());
    await eventually('cp2 apiserver at v1.32.0', async () => (await imageOf(sb, 'kube-apiserver-cp2')) === 'registry.k8s.io/kube-apiserver:v1.32.0');
    assert.equal((await upgrader.machine('cp3', context())).staticPods, 'v1.31.4');

    const again: string[] = [];
    await upgrader.upgrade({ node: 'cp1', role: 'first-control-plane', from: 'v1.31.4', to: 'v1.32.0' }, context(again));
    assert.deepEqual(again, ['sandbox: cp1 runs v1.32.0 already']);
  });

  it('refuses kubeadm upgrade node to a version apply has not set, with the reason', async () => {
    await assert.rejects(upgrader.upgrade({ node: 'cp3', role: 'control-plane', from: 'v1.31.4', to: 'v1.33.0' }, context()), (e: unknown) => {
      assert.ok(e instanceof UpgraderError);
      assert.equal(e.node, 'cp3');
      assert.equal(
        e.message,
        `node cp3: upgrade: Operation cannot be fulfilled on nodes "cp3": kubeadm upgrade node moves static pods to the cluster's version (v1.32.0); run role first-control-plane with v1.33.0 on one control-plane node first`,
      );
      return true;
    });
    await assert.rejects(kube.post('/sandbox/v1/nodes/w1/upgrade', { version: 'v1.32.0', role: 'control-plane' }), /node w1 is not a control-plane node: role control-plane upgrades static pods; use role worker/);
  });

  it('adds a worker at a version that registers and goes Ready, and removes a machine while its Node stays', async () => {
    const [name] = await upgrader.add(1, 'v1.32.0', context());
    assert.equal(name, 'node-01');
    const node = await eventually('node-01 Ready', async () => {
      const n = await sb.get('nodes', '', 'node-01');
      return ready(n).status === 'True' ? n : undefined;
    });
    assert.equal(kubeletOf(node), 'v1.32.0');
    assert.equal(node.metadata.labels?.pool, 'v132');
    const named = await kube.post<{ name: string; machine: string; version: string }>('/sandbox/v1/nodes', { name: 'extra-1', version: 'v1.31.4' });
    assert.deepEqual([named.name, named.machine, named.version], ['extra-1', 'running', 'v1.31.4']);
    await assert.rejects(kube.post('/sandbox/v1/nodes', { name: 'extra-1', version: 'v1.31.4' }), /nodes "extra-1" already exists/);

    await upgrader.remove('node-01', context());
    assert.deepEqual(await kube.get('/sandbox/v1/nodes/node-01'), { name: 'node-01', up: false, version: 'v1.32.0', machine: 'removed', notReady: false, faults: {} });
    await eventually('node-01 Ready=Unknown (its kubelet stopped posting status)', async () => ready(await sb.get('nodes', '', 'node-01')).status === 'Unknown');
    assert.ok(await sb.get('nodes', '', 'node-01'), 'the Node object stays until deleted through the API');
    await assert.rejects(kube.post('/sandbox/v1/nodes/node-01/up', {}), /its machine was removed; add a new one with POST \/sandbox\/v1\/nodes/);
    await kube.delete('/api/v1/nodes/node-01');
    await assert.rejects(kube.get('/sandbox/v1/nodes/node-01'), /nodes "node-01" not found/);
  });

  it('a machine armed never to return stays down after its upgrade until brought up, then runs the new version', async () => {
    const armed = await kube.post<{ faults: unknown }>('/sandbox/v1/nodes/w1/faults', { neverReturn: true, upgradeSeconds: 120 });
    assert.deepEqual(armed.faults, { neverReturn: true, upgradeSeconds: 120 });
    const lines: string[] = [];
    await upgrader.upgrade({ node: 'w1', role: 'worker', from: 'v1.31.4', to: 'v1.32.0' }, context(lines));
    assert.deepEqual(lines, ['sandbox: upgrading w1 (worker) v1.31.4 -> v1.32.0', 'sandbox: w1 is down after the upgrade']);
    await eventually('w1 Ready=Unknown', async () => ready(await sb.get('nodes', '', 'w1')).status === 'Unknown');
    const fixed = await kube.post<{ up: boolean; version: string; faults: unknown }>('/sandbox/v1/nodes/w1/up', {});
    assert.deepEqual([fixed.up, fixed.version, fixed.faults], [true, 'v1.32.0', { upgradeSeconds: 120 }]);
    await eventually('w1 Ready at v1.32.0', async () => {
      const n = await sb.get('nodes', '', 'w1');
      return ready(n).status === 'True' && kubeletOf(n) === 'v1.32.0';
    });
  });

  it('a machine armed to come back NotReady reports KubeletNotReady until the fault is cleared', async () => {
    await kube.post('/sandbox/v1/nodes/w2/faults', { notReady: true });
    await upgrader.maintain({ node: 'w2', from: 'v1.31.4' }, undefined, context());
    await eventually('w2 Ready=False KubeletNotReady', async () => {
      const r = ready(await sb.get('nodes', '', 'w2'));
      return r.status === 'False' && r.reason === 'KubeletNotReady';
    });
    const m = await kube.get<{ machine: string; notReady: boolean }>('/sandbox/v1/nodes/w2');
    assert.deepEqual([m.machine, m.notReady], ['running', true]);
    const cleared = await kube.delete<{ notReady: boolean; faults: unknown }>('/sandbox/v1/nodes/w2/faults');
    assert.deepEqual([cleared.notReady, cleared.faults], [false, {}]);
    await eventually('w2 Ready again', async () => ready(await sb.get('nodes', '', 'w2')).status === 'True');
  });

  it('rejects bad machine requests with one line naming the field', async () => {
    await assert.rejects(kube.post('/sandbox/v1/nodes/w2/faults', { reboots: 3 }), /unknown fault "reboots" \(neverReturn, notReady, upgradeSeconds\)/);
    await assert.rejects(kube.post('/sandbox/v1/nodes/w2/faults', { upgradeSeconds: -1 }), /upgradeSeconds must be a non-negative number, got -1/);
    await assert.rejects(kube.post('/sandbox/v1/nodes', { version: '1.32' }), /version must look like v1.32.0, got "1.32"/);
    await assert.rejects(kube.post('/sandbox/v1/nodes', { name: 'Bad_Name', version: 'v1.32.0' }), /name must be a lowercase RFC 1123 subdomain, got "Bad_Name"/);
    await assert.rejects(kube.post('/sandbox/v1/nodes/w2/upgrade', { version: 'v1.32.0', role: 'master' }), /role must be one of first-control-plane, control-plane, control-plane-kubelet, worker, got "master"/);
  });

  it('upkeep sandbox node add|fault|remove drive the same API', async () => {
    const add = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'node', 'add', '--version', 'v1.32.0', '--name', 'cli-1', '--label', 'pool=v132']);
    assert.deepEqual([add.code, add.out, add.err], [0, 'node/cli-1 added at v1.32.0\n', '']);
    assert.equal((await sb.get('nodes', '', 'cli-1'))?.metadata.labels?.pool, 'v132');
    const fault = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'node', 'fault', 'cli-1', '--never-return', '--upgrade-seconds', '600']);
    assert.deepEqual([fault.code, fault.out], [0, 'node/cli-1 faults: neverReturn, upgradeSeconds=600\n']);
    const clear = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'node', 'fault', 'cli-1', '--clear']);
    assert.equal(clear.out, 'node/cli-1 faults: none\n');
    const remove = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'node', 'remove', 'cli-1']);
    assert.equal(remove.out, 'the machine of node/cli-1 is removed (the Node object stays: kubectl delete node cli-1)\n');
    const bad = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'node', 'fault', 'cli-1']);
    assert.deepEqual([bad.code, bad.err], [2, 'error: sandbox node fault needs --never-return, --not-ready, --upgrade-seconds or --clear\n']);
    const label = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'node', 'add', '--version', 'v1.32.0', '--label', 'pool']);
    assert.deepEqual([label.code, label.err], [2, 'error: invalid value "pool" for --label: use key=value, like pool=v132\n']);
  });
});
