// The ssh upgrader against a real sshd (Debian's OpenSSH on a loopback port, throwaway keys):
// the runbook's own host commands run on the machine in the runbook's order, through the
// system ssh client and an ssh_config; stand-ins for kubeadm, apt-get, yum, systemctl... record
// each call, and `systemctl restart kubelet` moves the sandbox node to its new version.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient } from '../src/kube/index.js';
import { createUpgrader } from '../src/upgrade/upgraders/index.js';
import { type UpgraderContext, UpgraderError } from '../src/upgrade/upgraders/types.js';
import type { KubeObject } from '../src/api/types.js';
import { type TestSandbox, eventually, testSandbox } from './helpers/sandbox.js';
import { type TestHost, startTestHost } from './helpers/sshd.js';

function context(lines: string[]): UpgraderContext {
  return { signal: new AbortController().signal, log: (l) => lines.push(l) };
}

function kubeletOf(n: KubeObject | undefined): string | undefined {
  const s = n?.status;
  return typeof s === 'object' && s !== null && 'nodeInfo' in s && typeof s.nodeInfo === 'object' && s.nodeInfo !== null && 'kubeletVersion' in s.nodeInfo ? String(s.nodeInfo.kubeletVersion) : undefined;
}

const APT_REPO = [
  'sudo mkdir -p -m 755 /etc/apt/keyrings',
  'curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.32/deb/Release.key | sudo gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg',
  "echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /' | sudo tee /etc/apt/sources.list.d/kubernetes.list",
];
const KUBEADM_APT = "sudo apt-mark unhold kubeadm && sudo apt-get update && sudo apt-get install -y kubeadm='1.32.0-*' && sudo apt-mark hold kubeadm";

describe('the ssh upgrader against a real sshd', () => {
  let sb: TestSandbox;
  let host: TestHost;
  before(async () => {
    sb = await testSandbox({ timeScale: 60 });
    host = await startTestHost({ nodes: ['controlplane', 'node01', 'node02'], sandbox: { url: sb.sandbox.url, token: sb.sandbox.token, caCertPem: sb.sandbox.caCertPem } });
  });
  after(async () => {
    await host?.stop();
    await sb?.stop();
  });

  it("a worker on apt: the runbook's steps in order, each remote command as written, and the node moves to v1.32.0", async () => {
    const { upgrader } = createUpgrader('ssh', { os: 'ubuntu', sshHost: '{node}.test', ssh: host.ssh });
    const lines: string[] = [];
    await upgrader.upgrade({ node: 'node01', role: 'worker', from: 'v1.31.4', to: 'v1.32.0', address: '10.0.0.11' }, context(lines));
    assert.deepEqual(
      lines.filter((l) => l.startsWith('node01$ ')).map((l) => l.slice('node01$ '.length)),
      [
        ...APT_REPO,
        KUBEADM_APT,
        'kubeadm version',
        'sudo kubeadm upgrade node',
        "sudo apt-mark unhold kubelet kubectl && sudo apt-get update && sudo apt-get install -y kubelet='1.32.0-*' kubectl='1.32.0-*' && sudo apt-mark hold kubelet kubectl",
        'sudo systemctl daemon-reload',
        'sudo systemctl restart kubelet',
      ],
    );
    assert.deepEqual(await host.calls(), [
      'node01: mkdir -p -m 755 /etc/apt/keyrings',
      'node01: curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.32/deb/Release.key',
      'node01: gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg',
      'node01: tee /etc/apt/sources.list.d/kubernetes.list',
      'node01: apt-mark unhold kubeadm',
      'node01: apt-get update',
      "node01: apt-get install -y kubeadm=1.32.0-*",
      'node01: apt-mark hold kubeadm',
      'node01: kubeadm version',
      'node01: kubeadm upgrade node',
      'node01: apt-mark unhold kubelet kubectl',
      'node01: apt-get update',
      'node01: apt-get install -y kubelet=1.32.0-* kubectl=1.32.0-*',
      'node01: apt-mark hold kubelet kubectl',
      'node01: systemctl daemon-reload',
      'node01: systemctl restart kubelet',
    ]);
    assert.ok(lines.includes('kubeadm version: &version.Info{GitVersion:"stand-in"}'), 'the remote output streams to the journal');
    assert.equal(await host.teeInput(), 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /\n');
    await eventually('node01 kubelet v1.32.0', async () => kubeletOf(await sb.get('nodes', '', 'node01')) === 'v1.32.0');
  });

  it('the first control-plane node on dnf/yum: the whole .repo file, kubeadm upgrade apply --yes, static pods and kubelet at v1.32.0', async () => {
    const before = (await host.calls()).length;
    const { upgrader } = createUpgrader('ssh', { os: 'rocky', sshHost: '{node}.test', ssh: host.ssh });
    await upgrader.upgrade({ node: 'controlplane', role: 'first-control-plane', from: 'v1.31.4', to: 'v1.32.0' }, context([]));
    assert.deepEqual((await host.calls()).slice(before), [
      'controlplane: tee /etc/yum.repos.d/kubernetes.repo',
      'controlplane: yum install -y kubeadm-1.32.0-* --disableexcludes=kubernetes',
      'controlplane: kubeadm version',
      'controlplane: kubeadm upgrade plan',
      'controlplane: kubeadm upgrade apply v1.32.0 --yes',
      'controlplane: yum install -y kubelet-1.32.0-* kubectl-1.32.0-* --disableexcludes=kubernetes',
      'controlplane: systemctl daemon-reload',
      'controlplane: systemctl restart kubelet',
    ]);
    assert.ok((await host.teeInput()).endsWith(
      '[kubernetes]\nname=Kubernetes\nbaseurl=https://pkgs.k8s.io/core:/stable:/v1.32/rpm/\nenabled=1\ngpgcheck=1\ngpgkey=https://pkgs.k8s.io/core:/stable:/v1.32/rpm/repodata/repomd.xml.key\nexclude=kubelet kubeadm kubectl cri-tools kubernetes-cni\n',
    ));
    const kube = await KubeClient.create({ kubeconfig: sb.kubeconfig });
    assert.deepEqual(await kube.get('/sandbox/v1/nodes/controlplane'), { name: 'controlplane', up: true, version: 'v1.32.0', machine: 'running', notReady: false, staticPods: 'v1.32.0', faults: {} });
    assert.equal((await kube.serverVersion()).gitVersion, 'v1.32.0');
  });

  it('stops at the first step that fails, with that step and its output; nothing after it runs', async () => {
    await host.failProgram('apt-get');
    const before = (await host.calls()).length;
    const { upgrader } = createUpgrader('ssh', { os: 'debian', sshHost: '{node}.test', ssh: host.ssh });
    await assert.rejects(upgrader.upgrade({ node: 'node02', role: 'worker', from: 'v1.31.4', to: 'v1.32.0' }, context([])), (e: unknown) => {
      assert.ok(e instanceof UpgraderError);
      assert.equal(e.message, `node node02: ${KUBEADM_APT}: exited with status 100 on node02.test`);
      assert.equal(e.step, KUBEADM_APT);
      assert.deepEqual(e.output, ['E: apt-get failed on purpose (test)']);
      return true;
    });
    assert.deepEqual((await host.calls()).slice(before), [
      'node02: mkdir -p -m 755 /etc/apt/keyrings',
      'node02: curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.32/deb/Release.key',
      'node02: gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg',
      'node02: tee /etc/apt/sources.list.d/kubernetes.list',
      'node02: apt-mark unhold kubeadm',
      'node02: apt-get update',
    ]);
    assert.equal(kubeletOf(await sb.get('nodes', '', 'node02')), 'v1.31.4');
  });

  it('an unreachable host is an ssh failure (exit 255), named as such', async () => {
    const { upgrader } = createUpgrader('ssh', { os: 'debian', sshHost: '{node}.test', ssh: host.ssh, sshOptions: ['ConnectTimeout=5'] });
    // node03 has no Host block: it resolves nowhere.
    await assert.rejects(upgrader.upgrade({ node: 'node03', role: 'worker', from: 'v1.31.4', to: 'v1.32.0' }, context([])), {
      name: 'UpgraderError',
      message: 'node node03: sudo mkdir -p -m 755 /etc/apt/keyrings: ssh to node03.test failed (exit 255)',
    });
  });
});
