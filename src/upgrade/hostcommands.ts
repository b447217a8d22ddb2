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

/** The keyring apt checks the pkgs.k8s.io repository's packages with (the docs' name for it). */
export const APT_KEYRING = '/etc/apt/keyrings/kubernetes-apt-keyring.gpg';

/** The per-minor repository (https://pkgs.k8s.io/core:/stable:/v1.32/deb/, .../rpm/). */
export function repositoryURL(os: PackageManager, to: Pick<Version, 'major' | 'minor'>): string {
  return `https://pkgs.k8s.io/core:/stable:/v${to.major}.${to.minor}/${os === 'debian' ? 'deb' : 'rpm'}/`;
}

/**
 * The repository of the new minor, written whole as the docs' "Installing kubeadm" does: the
 * key and the one-line list on apt, the whole .repo file on dnf/yum. Not a sed on the file
 * there: it may still point at the retired apt.kubernetes.io/yum.kubernetes.io repositories.
 * gpg gets --batch --yes so it replaces the keyring an earlier install left (it asks otherwise).
 */
export function repositorySteps(os: PackageManager, to: Version): HostStep[] {
  const url = repositoryURL(os, to);
  if (os === 'debian') {
    return [
      ['sudo mkdir -p -m 755 /etc/apt/keyrings'],
      [`curl -fsSL ${url}Release.key | sudo gpg --batch --yes --dearmor -o ${APT_KEYRING}`],
      [`echo 'deb [signed-by=${APT_KEYRING}] ${url} /' | sudo tee ${APT_LIST}`],
    ];
  }
  const repo = ['[kubernetes]', 'name=Kubernetes', `baseurl=${url}`, 'enabled=1', 'gpgcheck=1', `gpgkey=${url}repodata/repomd.xml.key`, 'exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni'];
  return [[`cat <<EOF | sudo tee ${YUM_REPO}\n${repo.join('\n')}\nEOF`]];
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

/** --os values: the package manager's name, or a distribution that uses it. */
const OS_ALIASES: Readonly<Record<string, PackageManager | 'both'>> = {
  debian: 'debian',
  ubuntu: 'debian',
  apt: 'debian',
  rhel: 'rhel',
  centos: 'rhel',
  rocky: 'rhel',
  alma: 'rhel',
  fedora: 'rhel',
  dnf: 'rhel',
  yum: 'rhel',
  both: 'both',
};

/** The hosts' package manager an --os value names (case-insensitive), or undefined for an unknown one. */
export function parseHostOS(s: string): PackageManager | 'both' | undefined {
  return Object.hasOwn(OS_ALIASES, s.toLowerCase()) ? OS_ALIASES[s.toLowerCase()] : undefined;
}

/** For --os's usage line. */
export const HOST_OS_VALUES = 'debian, ubuntu, apt (apt); rhel, centos, rocky, alma, fedora, dnf, yum (dnf/yum); or both';
