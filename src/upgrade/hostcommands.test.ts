import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeHostSteps, parseHostOS, repositoryURL, stepCommand, stepLines } from './hostcommands.js';
import { parseVersion } from './version.js';

describe('--os values', () => {
  const cases: Array<[string, string | undefined]> = [
    ['debian', 'debian'],
    ['Ubuntu', 'debian'],
    ['apt', 'debian'],
    ['rhel', 'rhel'],
    ['centos', 'rhel'],
    ['rocky', 'rhel'],
    ['fedora', 'rhel'],
    ['dnf', 'rhel'],
    ['both', 'both'],
    ['windows', undefined],
    ['constructor', undefined],
  ];
  for (const [input, want] of cases) it(`${input} -> ${want ?? 'unknown'}`, () => assert.equal(parseHostOS(input), want));
});

describe('host steps per role and package manager', () => {
  const to = parseVersion('v1.32.9');
  it('the repository URL of the minor', () => {
    assert.equal(repositoryURL('debian', to), 'https://pkgs.k8s.io/core:/stable:/v1.32/deb/');
    assert.equal(repositoryURL('rhel', to), 'https://pkgs.k8s.io/core:/stable:/v1.32/rpm/');
  });

  const table: Array<[string, 'debian' | 'rhel', 'first-control-plane' | 'control-plane' | 'control-plane-kubelet' | 'worker', string[]]> = [
    [
      'apt, first control-plane node, unattended',
      'debian',
      'first-control-plane',
      [
        'sudo mkdir -p -m 755 /etc/apt/keyrings',
        'curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.32/deb/Release.key | sudo gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg',
        "echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /' | sudo tee /etc/apt/sources.list.d/kubernetes.list",
        "sudo apt-mark unhold kubeadm && sudo apt-get update && sudo apt-get install -y kubeadm='1.32.9-*' && sudo apt-mark hold kubeadm",
        'kubeadm version',
        'sudo kubeadm upgrade plan',
        'sudo kubeadm upgrade apply v1.32.9 --yes',
        "sudo apt-mark unhold kubelet kubectl && sudo apt-get update && sudo apt-get install -y kubelet='1.32.9-*' kubectl='1.32.9-*' && sudo apt-mark hold kubelet kubectl",
        'sudo systemctl daemon-reload',
        'sudo systemctl restart kubelet',
      ],
    ],
    [
      'dnf, worker',
      'rhel',
      'worker',
      [
        'cat <<EOF | sudo tee /etc/yum.repos.d/kubernetes.repo\n[kubernetes]\nname=Kubernetes\nbaseurl=https://pkgs.k8s.io/core:/stable:/v1.32/rpm/\nenabled=1\ngpgcheck=1\ngpgkey=https://pkgs.k8s.io/core:/stable:/v1.32/rpm/repodata/repomd.xml.key\nexclude=kubelet kubeadm kubectl cri-tools kubernetes-cni\nEOF',
        "sudo yum install -y kubeadm-'1.32.9-*' --disableexcludes=kubernetes",
        'kubeadm version',
        'sudo kubeadm upgrade node',
        "sudo yum install -y kubelet-'1.32.9-*' kubectl-'1.32.9-*' --disableexcludes=kubernetes",
        'sudo systemctl daemon-reload',
        'sudo systemctl restart kubelet',
      ],
    ],
    [
      'dnf, control-plane node whose static pods moved already: kubeadm installed, no kubeadm upgrade',
      'rhel',
      'control-plane-kubelet',
      [
        'cat <<EOF | sudo tee /etc/yum.repos.d/kubernetes.repo\n[kubernetes]\nname=Kubernetes\nbaseurl=https://pkgs.k8s.io/core:/stable:/v1.32/rpm/\nenabled=1\ngpgcheck=1\ngpgkey=https://pkgs.k8s.io/core:/stable:/v1.32/rpm/repodata/repomd.xml.key\nexclude=kubelet kubeadm kubectl cri-tools kubernetes-cni\nEOF',
        "sudo yum install -y kubeadm-'1.32.9-*' --disableexcludes=kubernetes",
        "sudo yum install -y kubelet-'1.32.9-*' kubectl-'1.32.9-*' --disableexcludes=kubernetes",
        'sudo systemctl daemon-reload',
        'sudo systemctl restart kubelet',
      ],
    ],
  ];
  for (const [name, os, role, want] of table) {
    it(name, () => assert.deepEqual(nodeHostSteps(os, role, to, { unattended: true }).map(stepCommand), want));
  }

  it('the runbook prints a multi-line step with && \\ continuations; without unattended, apply asks as the docs show', () => {
    const steps = nodeHostSteps('debian', 'first-control-plane', to);
    assert.deepEqual(stepLines(steps[3]), ['sudo apt-mark unhold kubeadm && \\', "sudo apt-get update && sudo apt-get install -y kubeadm='1.32.9-*' && \\", 'sudo apt-mark hold kubeadm']);
    assert.equal(stepCommand(steps[6]), 'sudo kubeadm upgrade apply v1.32.9');
  });
});
