// The host commands of a kubeadm upgrade, per package manager and per node role, as data: the
// one source the runbook (src/cli/output/plan.ts prints them) and the ssh upgrader (runs them)
// share. From the Kubernetes docs' "Upgrading kubeadm clusters" (apt and yum variants, the
// pkgs.k8s.io per-minor repositories). Pure.
import type { NodeRole } from './runbook.js';
import { formatVersion, type Version } from './version.js';

/** Which package manager a host uses: apt (Debian, Ubuntu) or dnf/yum (RHEL-like). */
export type PackageManager = 'debian' | 'rhel';

/**
 * One host step: what the runbook prints as one command (its lines joined by `&& \`
 * continuations) and the ssh upgrader runs as one remote command (lines joined by `&&`).
 */
export type HostStep = readonly string[];

export const APT_LIST = '/etc/apt/sources.list.d/kubernetes.list';
export const YUM_REPO = '/etc/yum.repos.d/kubernetes.repo';

/** v1.32.9; v1.32.x for a minor whose patch is unknown (as the docs write it). */
function v(x: Version): string {
  return x.minorOnly ? `${formatVersion(x)}.x` : formatVersion(x);
}

/** The package version glob the pkgs.k8s.io repositories use: 1.32.9-* (any package revision); 1.32.x-* when the patch is unknown (replace x). */
export function packageGlob(x: Version): string {
  return `${x.major}.${x.minor}.${x.minorOnly ? 'x' : x.patch}-*`;
}

/**
 * The repository is per minor (https://pkgs.k8s.io/core:/stable:/v1.32/deb/): point it at the
 * new one, whatever minor it names now. RHEL's file names it twice (baseurl and gpgkey).
 */
export function repositorySteps(os: PackageManager, to: Version): HostStep[] {
  const file = os === 'debian' ? APT_LIST : YUM_REPO;
  return [[`sudo sed -i -E 's|core:/stable:/v[0-9]+\\.[0-9]+/|core:/stable:/v${to.major}.${to.minor}/|g' ${file}`]];
}

/** kubeadm at the new version (held again afterwards on apt, as the docs do). */
export function installKubeadm(os: PackageManager, to: Version): HostStep {
  if (os === 'debian') {
    return ['sudo apt-mark unhold kubeadm', `sudo apt-get update && sudo apt-get install -y kubeadm='${packageGlob(to)}'`, 'sudo apt-mark hold kubeadm'];
  }
  return [`sudo yum install -y kubeadm-'${packageGlob(to)}' --disableexcludes=kubernetes`];
}

/** kubelet and kubectl at the new version. */
export function installKubelet(os: PackageManager, to: Version): HostStep {
  if (os === 'debian') {
    return ['sudo apt-mark unhold kubelet kubectl', `sudo apt-get update && sudo apt-get install -y kubelet='${packageGlob(to)}' kubectl='${packageGlob(to)}'`, 'sudo apt-mark hold kubelet kubectl'];
  }
  return [`sudo yum install -y kubelet-'${packageGlob(to)}' kubectl-'${packageGlob(to)}' --disableexcludes=kubernetes`];
}

/** The kubelet picks up its new binary and config. */
export const RESTART_KUBELET: readonly HostStep[] = [['sudo systemctl daemon-reload'], ['sudo systemctl restart kubelet']];

export interface HostStepOptions {
  /** Run without a person: `kubeadm upgrade apply` gets --yes (it asks for confirmation otherwise). */
  unattended?: boolean;
}

/** kubeadm's part on the node: the new kubeadm, then `upgrade apply` (first control-plane node) or `upgrade node`. */
export function kubeadmSteps(os: PackageManager, role: NodeRole, to: Version, options: HostStepOptions = {}): HostStep[] {
  const repo = [...repositorySteps(os, to), installKubeadm(os, to)];
  // A control-plane node whose static pods are at the target already: only its kubelet moves.
  if (role === 'control-plane-kubelet') return repo;
  const upgrade = role === 'first-control-plane' ? [['sudo kubeadm upgrade plan'], [`sudo kubeadm upgrade apply ${v(to)}${options.unattended ? ' --yes' : ''}`]] : [['sudo kubeadm upgrade node']];
  return [...repo, ['kubeadm version'], ...upgrade];
}

/** The kubelet's part (the node drained first): new kubelet and kubectl, then a restart. */
export function kubeletSteps(os: PackageManager, to: Version): HostStep[] {
  return [installKubelet(os, to), ...RESTART_KUBELET];
}

/** Everything a machine runs in one upgrade step, in order: kubeadm's part, then the kubelet's. */
export function nodeHostSteps(os: PackageManager, role: NodeRole, to: Version, options: HostStepOptions = {}): HostStep[] {
  return [...kubeadmSteps(os, role, to, options), ...kubeletSteps(os, to)];
}

/** A step as the runbook prints it: its lines joined by `&& \` continuations. */
export function stepLines(step: HostStep): string[] {
  return step.map((line, i) => (i < step.length - 1 ? `${line} && \\` : line));
}

/** A step as one shell command (for ssh): its lines joined by `&&`, so it stops at the first failure. */
export function stepCommand(step: HostStep): string {
  return step.join(' && ');
}
