// Story 1 on the sandbox: a node that fails and stays down past the pod eviction timeout loses
// its pods; controllers replace theirs elsewhere, a bare pod is gone for good. And the sandbox's
// machine operations: reboot, kubelet upgrade, control-plane upgrade, driven by the CLI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../src/cli/main.js';
import type { Io } from '../src/cli/context.js';
import { type TestSandbox, eventually, nodeOf, podReady, testSandbox } from './helpers/sandbox.js';
import type { KubeObject } from '../src/api/types.js';

type Obj = Record<string, unknown>;

async function upkeep(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += s), err: (s) => (err += s), isTTY: false };
  const code = await main(args, { io });
  return { code, out, err };
}

function readyCondition(n: KubeObject | undefined): string | undefined {
  return (((n?.status as Obj)?.conditions as Obj[]) ?? []).find((c) => c.type === 'Ready')?.status as string | undefined;
}

describe('a node that stays down past the eviction timeout (story 1)', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await testSandbox({ timeScale: 60 });
    await eventually('blue 3 ready and green ready', async () => {
      const pods = await sb.list('pods', 'default');
      return pods.filter((p) => p.metadata.labels?.app === 'blue' && podReady(p)).length === 3 && pods.some((p) => p.metadata.name === 'green' && podReady(p));
    });
  });
  after(async () => sb?.stop());

  it('goes NotReady, is tainted, and its pods are evicted: blue is replaced elsewhere, green is lost', async () => {
    const blueOnNode01 = (await sb.list('pods', 'default')).filter((p) => p.metadata.labels?.app === 'blue' && nodeOf(p) === 'node01');
    assert.equal(blueOnNode01.length, 1, 'the scheduler spread blue over the three workers');
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'node', 'down', 'node01']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), 'node/node01 is down');

    await eventually('node01 Ready=Unknown with the unreachable NoExecute taint', async () => {
      const n = await sb.get('nodes', '', 'node01');
      const taints = ((n?.spec as Obj)?.taints as Obj[]) ?? [];
      return readyCondition(n) === 'Unknown' && taints.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
    });
    const nodes = await sb.kubectl(['get', 'nodes']);
    assert.match(nodes.stdout, /node01\s+NotReady\s/);

    await eventually('blue back to 3 ready replicas, none on node01', async () => {
      const blue = (await sb.list('pods', 'default')).filter((p) => p.metadata.labels?.app === 'blue' && !p.metadata.deletionTimestamp);
      return blue.length === 3 && blue.every((p) => podReady(p) && nodeOf(p) !== 'node01');
    });
    const green = await sb.get('pods', 'default', 'green');
    assert.ok(green?.metadata.deletionTimestamp, 'green was deleted by taint-based eviction (it stays Terminating while its kubelet is away)');
    const events = await sb.kubectl(['get', 'events', '--field-selector', 'reason=TaintManagerEviction', '-o', 'name']);
    assert.ok(events.stdout.trim().length > 0, 'TaintManagerEviction events recorded');

    const up = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'node', 'up', 'node01']);
    assert.equal(up.code, 0, up.err);
    await eventually('node01 Ready, taint gone, and the terminating pods finally removed', async () => {
      const n = await sb.get('nodes', '', 'node01');
      const taints = ((n?.spec as Obj)?.taints as Obj[]) ?? [];
      return readyCondition(n) === 'True' && !taints.some((t) => t.key === 'node.kubernetes.io/unreachable') && (await sb.get('pods', 'default', 'green')) === undefined;
    });
    const blue = (await sb.list('pods', 'default')).filter((p) => p.metadata.labels?.app === 'blue');
    assert.equal(blue.filter((p) => nodeOf(p) === 'node01').length, 0, 'pods that moved away do not come back by themselves');
  });
});

describe('machine operations on the sandbox', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await testSandbox({ timeScale: 60 });
  });
  after(async () => sb?.stop());

  it('upgrades a kubelet: kubectl get nodes shows the new VERSION', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'node', 'upgrade', 'node02', '--version', 'v1.32.1', '--down-seconds', '10']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), 'node/node02 upgraded to v1.32.1');
    await eventually('node02 reports v1.32.1', async () => (await sb.kubectl(['get', 'node', 'node02', '--no-headers'])).stdout.includes('v1.32.1'));
    assert.match((await sb.kubectl(['get', 'node', 'node03', '--no-headers'])).stdout, /v1\.31\.4/);
  });

  it('reboots a node: its pods restart their containers', async () => {
    await eventually('green running', async () => podReady((await sb.get('pods', 'default', 'green')) ?? { metadata: {} }));
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'node', 'reboot', 'node01', '--down-seconds', '5']);
    assert.equal(r.code, 0, r.err);
    await eventually('green restarted once', async () => {
      const p = await sb.get('pods', 'default', 'green');
      const cs = (((p?.status as Obj)?.containerStatuses as Obj[]) ?? [])[0];
      return cs?.restartCount === 1 && podReady(p!);
    });
  });

  it('upgrades the control plane: /version and the static pod images move, kubelets stay', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'control-plane', 'upgrade', '--version', 'v1.32.1', '-o', 'json']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), { apiVersion: 'upkeep.dev/v1alpha1', kind: 'SandboxControlPlane', version: 'v1.32.1' });
    const version = await sb.kubectl(['version', '-o', 'json']);
    assert.equal((JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion, 'v1.32.1');
    await eventually('kube-apiserver mirror pod on the new image', async () => {
      const p = await sb.get('pods', 'kube-system', 'kube-apiserver-controlplane');
      return (((p?.spec as Obj)?.containers as Obj[]) ?? [])[0]?.image === 'registry.k8s.io/kube-apiserver:v1.32.1';
    });
    const nodes = await sb.kubectl(['get', 'node', 'controlplane', '--no-headers']);
    assert.match(nodes.stdout, /v1\.31\.4/, 'kubectl get nodes shows the kubelet version, which lags until kubelets are upgraded');
  });

  it('refuses bad input with a clear error and exit code 2', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'node', 'upgrade', 'node02', '--version', '1.32']);
    assert.equal(r.code, 2);
    assert.equal(r.err.trim(), 'error: invalid value "1.32" for --version: use a version like v1.32.0');
    const missing = await upkeep(['--kubeconfig', sb.kubeconfig, 'sandbox', 'node', 'down', 'node99']);
    assert.equal(missing.code, 1);
    assert.equal(missing.err.trim(), 'Error from server (NotFound): nodes "node99" not found');
  });
});
