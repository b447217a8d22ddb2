import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../upgrade/plan.js';
import { NODES, hop, plan, row } from '../../upgrade/testing/plans.js';
import { renderPlanTable, renderRunbook } from './plan.js';
import { tabwrite } from './table.js';

/** The lines of the section headed `### N. <node> ...` up to the next heading. */
function section(text: string, node: string): string {
  const start = text.search(new RegExp(`^### \\d+\\. ${node} `, 'm'));
  assert.ok(start >= 0, `no section for ${node} in:\n${text}`);
  const rest = text.slice(start + 4);
  const end = rest.search(/^##/m);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('the plan table', () => {
  it("lays columns out as kubeadm's tabwriter does (its 1.34.3 -> 1.35.0 example): minwidth 10, padding 3", () => {
    const kubeadm = { minWidth: 10, padding: 3 };
    const kubelets = tabwrite([
      ['COMPONENT', 'NODE', 'CURRENT', 'TARGET'],
      ['kubelet', 'node01', 'v1.34.3', 'v1.35.0'],
      ['kubelet', 'controlplane', 'v1.35.0', 'v1.35.0'],
    ], kubeadm);
    assert.equal(kubelets, ['COMPONENT   NODE           CURRENT   TARGET', 'kubelet     node01         v1.34.3   v1.35.0', 'kubelet     controlplane   v1.35.0   v1.35.0', ''].join('\n'));
    const controlPlane = tabwrite([
      ['COMPONENT', 'NODE', 'CURRENT', 'TARGET'],
      ['kube-apiserver', 'controlplane', 'v1.34.3', 'v1.35.0'],
      ['kube-proxy', '', '1.34.3', 'v1.35.0'],
      ['etcd', 'controlplane', '3.6.5-0', '3.6.6-0'],
    ], kubeadm);
    assert.equal(
      controlPlane,
      [
        'COMPONENT        NODE           CURRENT   TARGET',
        'kube-apiserver   controlplane   v1.34.3   v1.35.0',
        'kube-proxy                      1.34.3    v1.35.0',
        'etcd             controlplane   3.6.5-0   3.6.6-0',
        '',
      ].join('\n'),
    );
  });

  it('prints the whole plan as kubeadm upgrade plan would, upkeep\'s findings and verdict after it', () => {
    const one = hop('v1.31.4', 'v1.32.9', {
      kubeletsFirst: [{ node: 'node02', from: 'v1.28.15', to: 'v1.31.4', why: 'v1.32 allows kubelets down to v1.29' }],
      kubelets: ['cp1', 'node02'].map((n) => row('kubelet', n, 'v1.31.4', 'v1.32.9')),
      controlPlane: [row('kube-apiserver', 'cp1', 'v1.31.4', 'v1.32.9'), row('kube-proxy', '', 'v1.31.4', 'v1.32.9'), row('etcd', 'cp1', '3.5.15-0', '3.5.24-0')],
    });
    const findings: Finding[] = [{ severity: 'warning', code: 'KubeletUpgradeFirst', object: 'node/node02', message: 'move node02 first', fix: 'drain and upgrade it', hop: 'v1.31 -> v1.32' }];
    assert.equal(
      renderPlanTable(plan([one], findings)),
      [
        '[upgrade/versions] Cluster version: v1.31.4',
        '[upgrade/versions] Target version: v1.32.9',
        '[upgrade/versions] Release data as of 2026-09-28',
        '',
        'v1.31.4 -> v1.32.9',
        '',
        'Kubelets to upgrade before the control plane moves to v1.32.9:',
        'NODE      CURRENT    TARGET    WHY',
        'node02    v1.28.15   v1.31.4   v1.32 allows kubelets down to v1.29',
        '',
        "Components that must be upgraded manually after you have upgraded the control plane with 'kubeadm upgrade apply':",
        'COMPONENT   NODE      CURRENT   TARGET',
        'kubelet     cp1       v1.31.4   v1.32.9',
        'kubelet     node02    v1.31.4   v1.32.9',
        '',
        'Upgrade to v1.32.9:',
        '',
        'COMPONENT        NODE      CURRENT    TARGET',
        'kube-apiserver   cp1       v1.31.4    v1.32.9',
        'kube-proxy                 v1.31.4    v1.32.9',
        'etcd             cp1       3.5.15-0   3.5.24-0',
        '',
        'You can now apply the upgrade by executing the following command:',
        '',
        '\tkubeadm upgrade apply v1.32.9',
        '',
        '_____________________________________________________________________',
        '',
        'Findings (1 warning):',
        'WARNING  KubeletUpgradeFirst  node/node02  (v1.31 -> v1.32)',
        '  move node02 first',
        '  fix: drain and upgrade it',
        '',
        'Verdict: ready, with 1 warning to read first',
        '',
      ].join('\n'),
    );
  });

  it('shows each hop with its kubelet and control-plane tables and the apply command', () => {
    const text = renderPlanTable(plan([hop()]));
    assert.match(text, /^\[upgrade\/versions\] Cluster version: v1\.31\.4\n\[upgrade\/versions\] Target version: v1\.32\.9\n/);
    assert.match(text, /Components that must be upgraded manually after you have upgraded the control plane with 'kubeadm upgrade apply':\nCOMPONENT {3}NODE {6}CURRENT {3}TARGET\nkubelet {5}cp1 {7}v1\.31\.4 {3}v1\.32\.9\n/);
    assert.match(text, /kube-controller-manager {3}cp2 {7}v1\.31\.4 {4}v1\.32\.9\n/);
    assert.match(text, /\tkubeadm upgrade apply v1\.32\.9\n/);
    assert.match(text, /Findings: none\n\nVerdict: ready\n$/);
  });

  it('names the path of a multi-minor plan and the kubelets that must move first', () => {
    const second = hop('v1.32.9', 'v1.33.5', {
      kubeletsFirst: [{ node: 'node02', from: 'v1.29.15', to: 'v1.32.9', why: 'v1.33 allows kubelets down to v1.30' }],
    });
    const text = renderPlanTable(plan([hop(), second]));
    assert.match(text, /Path: v1\.31\.4 -> v1\.32\.9 -> v1\.33\.5/);
    assert.match(text, /Hop 2 of 2: v1\.32\.9 -> v1\.33\.5\n\nKubelets to upgrade before the control plane moves to v1\.33\.5:\nNODE {6}CURRENT {4}TARGET {4}WHY\nnode02 {4}v1\.29\.15 {3}v1\.32\.9 {3}v1\.33 allows kubelets down to v1\.30\n/);
  });

  it('lists findings with their fixes and ends with the verdict', () => {
    const findings: Finding[] = [
      { severity: 'blocking', code: 'DrainRefused', object: 'node/node01', message: 'drain would refuse node01', fix: 'add --force' },
      { severity: 'warning', code: 'ImageNotPinned', object: 'deployment.apps default/x', message: 'runs nginx:latest', fix: 'pin it' },
    ];
    const text = renderPlanTable(plan([hop()], findings));
    assert.match(text, /Findings \(1 blocking, 1 warning\):\nBLOCKING {2}DrainRefused {2}node\/node01\n {2}drain would refuse node01\n {2}fix: add --force\nWARNING {2}ImageNotPinned/);
    assert.match(text, /Verdict: blocked — 1 blocking finding to resolve before upgrading \(and 1 warning\)\n$/);
  });
});

describe('the runbook', () => {
  it('Debian: the first control-plane node applies, the others and the workers run upgrade node, one node at a time', () => {
    const text = renderRunbook(plan([hop()]), NODES, 'debian');
    assert.deepEqual(
      [...text.matchAll(/^### (\d+)\. (\S+) \(([^)]*)\)/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`),
      ['1 cp1 first control-plane node: kubeadm upgrade apply', '2 cp2 control-plane node: kubeadm upgrade node', '3 node01 worker: kubeadm upgrade node', '4 node02 worker: kubeadm upgrade node'],
    );
    const cp1 = section(text, 'cp1');
    const expected = [
      '# on cp1:',
      'sudo mkdir -p -m 755 /etc/apt/keyrings',
      'curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.32/deb/Release.key | sudo gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg',
      "echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /' | sudo tee /etc/apt/sources.list.d/kubernetes.list",
      'sudo apt-mark unhold kubeadm && \\',
      "sudo apt-get update && sudo apt-get install -y kubeadm='1.32.9-*' && \\",
      'sudo apt-mark hold kubeadm',
      'kubeadm version',
      'sudo kubeadm upgrade plan',
      'sudo kubeadm upgrade apply v1.32.9',
    ].join('\n');
    assert.ok(cp1.includes(expected), cp1);
    const afterApply = cp1.slice(cp1.indexOf('upgrade apply'));
    const order = ['upkeep drain cp1 --ignore-daemonsets --wait-ready', "kubelet='1.32.9-*' kubectl='1.32.9-*'", 'sudo systemctl daemon-reload', 'sudo systemctl restart kubelet', 'upkeep uncordon cp1'];
    const at = order.map((s) => afterApply.indexOf(s));
    assert.ok(at.every((i) => i > 0) && at.every((i, k) => k === 0 || i > at[k - 1]), `drain, kubelet, restart, uncordon in order:\n${afterApply}`);
    assert.match(section(text, 'cp2'), /sudo kubeadm upgrade node\n/);
    assert.doesNotMatch(section(text, 'cp2'), /upgrade apply|upgrade plan/);
    assert.match(section(text, 'node02'), /kubectl drain node02 --ignore-daemonsets/);
    assert.match(section(text, 'node02'), /kubectl uncordon node02/);
  });

  it('RHEL-like hosts: the whole yum repository file of the new minor, and --disableexcludes', () => {
    const node01 = section(renderRunbook(plan([hop()]), NODES, 'rhel'), 'node01');
    const repo = [
      '# on node01:',
      'cat <<EOF | sudo tee /etc/yum.repos.d/kubernetes.repo',
      '[kubernetes]',
      'name=Kubernetes',
      'baseurl=https://pkgs.k8s.io/core:/stable:/v1.32/rpm/',
      'enabled=1',
      'gpgcheck=1',
      'gpgkey=https://pkgs.k8s.io/core:/stable:/v1.32/rpm/repodata/repomd.xml.key',
      'exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni',
      'EOF',
      "sudo yum install -y kubeadm-'1.32.9-*' --disableexcludes=kubernetes",
    ].join('\n');
    assert.ok(node01.includes(repo), node01);
    assert.doesNotMatch(node01, /sed -i/);
    assert.ok(node01.includes("sudo yum install -y kubeadm-'1.32.9-*' --disableexcludes=kubernetes\nkubeadm version\nsudo kubeadm upgrade node"), node01);
    assert.ok(node01.includes("sudo yum install -y kubelet-'1.32.9-*' kubectl-'1.32.9-*' --disableexcludes=kubernetes"), node01);
    assert.doesNotMatch(node01, /apt-get/);
  });

  it('both: every host step twice, once per package manager', () => {
    const node01 = section(renderRunbook(plan([hop()]), NODES, 'both'), 'node01');
    assert.match(node01, /# on node01, Debian\/Ubuntu \(apt\):\n/);
    assert.match(node01, /# on node01, RHEL-like \(dnf\/yum/);
    assert.equal(node01.match(/^sudo kubeadm upgrade node$/gm)?.length, 2);
  });

  it('an HA control plane where apply already ran on cp1: cp2 upgrades with upgrade node, cp1 only moves its kubelet', () => {
    const h = hop();
    h.controlPlane = h.controlPlane.map((r) => (r.node === 'cp1' ? { ...r, current: r.target } : r));
    const text = renderRunbook(plan([h]), NODES, 'debian');
    assert.match(text, /kubeadm upgrade apply v1\.32\.9 has run on a control-plane node already/);
    assert.doesNotMatch(text, /sudo kubeadm upgrade apply/);
    assert.match(section(text, 'cp1'), /^\d+\. cp1 \(control-plane node: kubelet only\)/);
    assert.doesNotMatch(section(text, 'cp1'), /kubeadm upgrade node/);
    assert.match(section(text, 'cp1'), /kubelet='1\.32\.9-\*'/);
    assert.match(section(text, 'cp2'), /sudo kubeadm upgrade node/);
  });

  it('kubelets that lag are left alone; those the next hop would strand move first, straight to their target', () => {
    const first = hop();
    first.kubelets = first.kubelets.map((r) => (r.node === 'node02' ? { ...r, current: 'v1.29.15', target: 'v1.29.15' } : r));
    const second = hop('v1.32.9', 'v1.33.5', { kubeletsFirst: [{ node: 'node02', from: 'v1.29.15', to: 'v1.32.9', why: 'v1.33 allows kubelets down to v1.30' }] });
    const text = renderRunbook(plan([first, second]), NODES, 'debian');
    const hop1 = text.slice(text.indexOf('## Hop 1 of 2'), text.indexOf('## Hop 2 of 2'));
    assert.doesNotMatch(hop1, /### \d+\. node02/);
    assert.match(hop1, /Kubelets that stay in this hop: node02 \(v1\.29\.15\)/);
    const hop2 = text.slice(text.indexOf('## Hop 2 of 2'));
    const before = hop2.slice(hop2.indexOf('# First, the kubelets the control plane at v1.33.5 would leave out of the skew policy'));
    assert.match(before, /### \d+\. node02 \(worker: kubelet v1\.29\.15 -> v1\.32\.9 before the control plane moves\)\n# why: v1\.33 allows kubelets down to v1\.30\n/);
    assert.ok(before.indexOf("kubeadm='1.32.9-*'") < before.indexOf('sudo kubeadm upgrade apply v1.33.5'), 'node02 moves before the control plane');
  });

  it('says what to resolve first, and puts a node\'s findings in its section', () => {
    const findings: Finding[] = [{ severity: 'blocking', code: 'DrainRefused', object: 'node/node01', message: 'drain would refuse node01', fix: 'add --force' }];
    const text = renderRunbook(plan([hop()], findings), NODES, 'debian');
    assert.match(text, /## Resolve first: 1 blocking finding\n\nBLOCKING {2}DrainRefused {2}node\/node01\n/);
    assert.match(section(text, 'node01'), /^# BLOCKING DrainRefused: drain would refuse node01\n# {3}fix: add --force\n/m);
  });

  it("a node's finding is noted once, in its first section of the hop the finding belongs to", () => {
    const second = hop('v1.32.9', 'v1.33.5', { label: 'v1.32 -> v1.33' });
    const findings: Finding[] = [{ severity: 'warning', code: 'KubeletUpgradeFirst', object: 'node/node01', message: 'move node01 first', fix: 'drain and upgrade', hop: 'v1.32 -> v1.33' }];
    const text = renderRunbook(plan([hop('v1.31.4', 'v1.32.9', { label: 'v1.31 -> v1.32' }), second], findings), NODES, 'debian');
    assert.equal(text.match(/^# WARNING KubeletUpgradeFirst: move node01 first$/gm)?.length, 1);
    assert.ok(text.indexOf('# WARNING KubeletUpgradeFirst') > text.indexOf('## Hop 2 of 2'), 'noted in hop 2, where it applies');
  });

  it('a minor whose patch is unknown: the docs\' placeholder x, to replace with the latest patch', () => {
    const text = renderRunbook(plan([hop('v1.31.4', '1.38')]), NODES, 'debian');
    assert.ok(text.includes("sudo apt-get install -y kubeadm='1.38.x-*'"), text);
    assert.ok(text.includes('sudo kubeadm upgrade apply v1.38.x\n'), text);
  });

  it('external etcd: no etcdctl snapshot on a control-plane node, a note to upgrade it separately', () => {
    const text = renderRunbook(plan([hop()]), NODES, 'debian', { etcdEndpoints: ['https://etcd.test:2379'] });
    assert.match(text, /etcd is external \(https:\/\/etcd\.test:2379\): kubeadm does not upgrade it/);
    assert.doesNotMatch(text, /etcdctl snapshot save/);
    const stacked = renderRunbook(plan([hop()]), NODES, 'debian');
    assert.match(stacked, /# on cp1:\nsudo ETCDCTL_API=3 etcdctl snapshot save .+? --endpoints=https:\/\/127\.0\.0\.1:2379 --cacert=\/etc\/kubernetes\/pki\/etcd\/ca\.crt/);
  });
});
