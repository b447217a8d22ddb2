// How a plan reads for people: the plan table in kubeadm's layout (`kubeadm upgrade plan`'s
// COMPONENT NODE CURRENT TARGET tables, written with its tabwriter settings), and the runbook:
// the Kubernetes docs' kubeadm upgrade procedure per hop and per node, with the cluster's real
// node names and versions, for Debian/Ubuntu (apt) and RHEL-like (dnf/yum) hosts using the
// pkgs.k8s.io per-minor package repositories. Pure functions of an UpgradePlan.
import type { ComponentRow, Finding, Hop, UpgradePlan } from './plan.js';
import { formatVersion, type Version } from './version.js';

export type HostOS = 'debian' | 'rhel' | 'both';

export interface RunbookNode {
  name: string;
  controlPlane: boolean;
}

export interface RunbookOptions {
  /** External etcd's endpoints (the apiserver's --etcd-servers): kubeadm does not upgrade it. */
  etcdEndpoints?: string[];
}

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------

/**
 * Go's text/tabwriter as kubeadm configures it for `upgrade plan` (minwidth 10, tabwidth 4,
 * padding 3, padded with spaces): every column but the last is as wide as its widest cell plus
 * 3, and at least 10.
 */
export function tabwrite(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(Math.max(10, widths[i] + 3)))).join('').trimEnd() + '\n').join('');
}

const RULE = '_____________________________________________________________________';

/** v1.32.9; a minor whose patch the release table does not know prints as the docs write it, v1.32.x. */
function v(x: Version): string {
  return x.minorOnly ? `${formatVersion(x)}.x` : formatVersion(x);
}

function minorOf(x: Version): string {
  return `${x.major}.${x.minor}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const SEVERITY_LABEL: Record<Finding['severity'], string> = { blocking: 'BLOCKING', warning: 'WARNING', info: 'INFO' };

/** One finding: a headline, then the message and the fix indented under it. */
export function renderFinding(f: Finding): string {
  const head = [SEVERITY_LABEL[f.severity], f.code, f.object, f.hop ? `(${f.hop})` : ''].filter(Boolean).join('  ');
  return `${head}\n  ${f.message}\n  fix: ${f.fix}\n`;
}

/** Blocking first, then warnings, then notes; in the plan's order within each. */
export function renderFindings(findings: readonly Finding[]): string {
  if (!findings.length) return 'Findings: none\n';
  const bySeverity = (['blocking', 'warning', 'info'] as const).map((s) => [s, findings.filter((f) => f.severity === s)] as const).filter(([, fs]) => fs.length > 0);
  return `Findings (${bySeverity.map(([s, fs]) => `${fs.length} ${s}`).join(', ')}):\n` + bySeverity.flatMap(([, fs]) => fs.map(renderFinding)).join('');
}

// ---------------------------------------------------------------------------------------------
// The plan table (kubeadm upgrade plan's layout)
// ---------------------------------------------------------------------------------------------

function componentTable(rows: readonly ComponentRow[]): string {
  return tabwrite([['COMPONENT', 'NODE', 'CURRENT', 'TARGET'], ...rows.map((r) => [r.component, r.node, r.current, r.target])]);
}

function renderHop(hop: Hop, index: number, count: number): string {
  let out = `${count > 1 ? `Hop ${index + 1} of ${count}: ` : ''}${v(hop.from)} -> ${v(hop.to)}\n\n`;
  if (hop.kubeletsFirst.length) {
    out += `Kubelets to upgrade before the control plane moves to ${v(hop.to)}:\n`;
    out += tabwrite([['NODE', 'CURRENT', 'TARGET', 'WHY'], ...hop.kubeletsFirst.map((k) => [k.node, k.from, k.to, k.why])]);
    out += '\n';
  }
  if (hop.kubelets.length) {
    out += "Components that must be upgraded manually after you have upgraded the control plane with 'kubeadm upgrade apply':\n";
    out += componentTable(hop.kubelets);
    out += '\n';
  }
  if (hop.controlPlane.length) {
    out += `Upgrade to ${v(hop.to)}:\n\n`;
    out += componentTable(hop.controlPlane);
    out += '\n';
  }
  out += `You can now apply the upgrade by executing the following command:\n\n\tkubeadm upgrade apply ${v(hop.to)}\n\n${RULE}\n\n`;
  return out;
}

/** The plan as `kubeadm upgrade plan` lays it out, one block per hop, with upkeep's findings. */
export function renderPlanTable(plan: UpgradePlan): string {
  let out = `[upgrade/versions] Cluster version: ${v(plan.current)}\n`;
  if (plan.target) out += `[upgrade/versions] Target version: ${v(plan.target)}\n`;
  else out += '[upgrade/versions] Target version: none (checking the current version skew only)\n';
  if (plan.hops.length > 1) {
    out += `[upgrade/versions] Path: ${[v(plan.hops[0].from), ...plan.hops.map((h) => v(h.to))].join(' -> ')} (one minor version per kubeadm upgrade apply)\n`;
  }
  out += `[upgrade/versions] Release data as of ${plan.releasesAsOf}\n\n`;
  if (plan.target && !plan.hops.length) out += `The cluster is at ${v(plan.target)} already: nothing to upgrade.\n\n`;
  plan.hops.forEach((hop, i) => (out += renderHop(hop, i, plan.hops.length)));
  out += renderFindings(plan.findings);
  out += '\n' + verdictLine(plan);
  return out;
}

export function verdictLine(plan: UpgradePlan): string {
  const blocking = plan.findings.filter((f) => f.severity === 'blocking').length;
  const warnings = plan.findings.filter((f) => f.severity === 'warning').length;
  if (plan.blocking) return `Verdict: blocked — ${plural(blocking, 'blocking finding')} to resolve before upgrading${warnings ? ` (and ${plural(warnings, 'warning')})` : ''}\n`;
  if (!plan.target) return `Verdict: ${warnings ? `${plural(warnings, 'warning')}, nothing blocking` : 'the current versions are within the skew policy'}\n`;
  return `Verdict: ready${warnings ? `, with ${plural(warnings, 'warning')} to read first` : ''}\n`;
}

// ---------------------------------------------------------------------------------------------
// The runbook
// ---------------------------------------------------------------------------------------------

const APT_LIST = '/etc/apt/sources.list.d/kubernetes.list';
const YUM_REPO = '/etc/yum.repos.d/kubernetes.repo';

/** The package version glob the pkgs.k8s.io repositories use: 1.32.9-* (any package revision); 1.32.x-* when the patch is unknown (replace x). */
function pkg(x: Version): string {
  return `${x.major}.${x.minor}.${x.minorOnly ? 'x' : x.patch}-*`;
}

/**
 * The repository is per minor (https://pkgs.k8s.io/core:/stable:/v1.32/deb/): point it at the
 * new one, whatever minor it names now. RHEL's file names it twice (baseurl and gpgkey).
 */
function switchRepo(os: 'debian' | 'rhel', to: Version): string {
  const file = os === 'debian' ? APT_LIST : YUM_REPO;
  return `sudo sed -i -E 's|core:/stable:/v[0-9]+\\.[0-9]+/|core:/stable:/v${minorOf(to)}/|g' ${file}`;
}

function installKubeadm(os: 'debian' | 'rhel', to: Version): string[] {
  if (os === 'debian') {
    return ['sudo apt-mark unhold kubeadm && \\', `sudo apt-get update && sudo apt-get install -y kubeadm='${pkg(to)}' && \\`, 'sudo apt-mark hold kubeadm'];
  }
  return [`sudo yum install -y kubeadm-'${pkg(to)}' --disableexcludes=kubernetes`];
}

function installKubelet(os: 'debian' | 'rhel', to: Version): string[] {
  if (os === 'debian') {
    return [
      'sudo apt-mark unhold kubelet kubectl && \\',
      `sudo apt-get update && sudo apt-get install -y kubelet='${pkg(to)}' kubectl='${pkg(to)}' && \\`,
      'sudo apt-mark hold kubelet kubectl',
    ];
  }
  return [`sudo yum install -y kubelet-'${pkg(to)}' kubectl-'${pkg(to)}' --disableexcludes=kubernetes`];
}

function osVariants(os: HostOS): Array<'debian' | 'rhel'> {
  return os === 'both' ? ['debian', 'rhel'] : [os];
}

const OS_TITLE: Record<'debian' | 'rhel', string> = {
  debian: 'Debian/Ubuntu (apt)',
  rhel: 'RHEL-like (dnf/yum; with DNF5 use --setopt=disable_excludes=kubernetes instead of --disableexcludes=kubernetes)',
};

/** Host commands, per OS when both are asked for. */
function hostBlock(os: HostOS, node: string, lines: (os: 'debian' | 'rhel') => string[]): string {
  const variants = osVariants(os);
  return variants
    .map((o) => `# on ${node}${variants.length > 1 ? `, ${OS_TITLE[o]}` : ''}:\n${lines(o).join('\n')}\n`)
    .join(variants.length > 1 ? '\n' : '');
}

function drainBlock(node: string): string {
  return (
    '# from a machine with kubectl access to the cluster:\n' +
    `upkeep drain ${node} --ignore-daemonsets --dry-run      # first: what goes down, what blocks\n` +
    `upkeep drain ${node} --ignore-daemonsets --wait-ready   # or: kubectl drain ${node} --ignore-daemonsets\n`
  );
}

function uncordonBlock(node: string, to: Version): string {
  return (
    '# from a machine with kubectl access to the cluster:\n' +
    `upkeep uncordon ${node}   # or: kubectl uncordon ${node}\n` +
    `kubectl get node ${node}   # STATUS Ready, VERSION ${v(to)}\n`
  );
}

/** Drain, new kubelet and kubectl, restart, uncordon: a kubelet minor upgrade needs the node drained first. */
function kubeletSteps(os: HostOS, node: string, to: Version): string {
  return (
    drainBlock(node) +
    '\n' +
    hostBlock(os, node, (o) => [...installKubelet(o, to), 'sudo systemctl daemon-reload', 'sudo systemctl restart kubelet']) +
    '\n' +
    uncordonBlock(node, to)
  );
}

/**
 * A node's findings as comments, in the first section of the node they concern: those of this hop
 * (Finding.hop) or of none. Each is printed once (`shown` remembers them).
 */
function findingNotes(findings: readonly Finding[], node: string, hop: Hop, shown: Set<Finding>): string {
  const mine = findings.filter((f) => f.object === `node/${node}` && f.severity !== 'info' && !shown.has(f) && (f.hop === undefined || f.hop === hop.label));
  for (const f of mine) shown.add(f);
  return mine.map((f) => `# ${f.severity === 'blocking' ? 'BLOCKING' : 'WARNING'} ${f.code}: ${f.message}\n#   fix: ${f.fix}\n`).join('');
}

interface NodeWork {
  name: string;
  controlPlane: boolean;
  /** Its static pods move in this hop (control-plane rows not yet at the target). */
  staticPods: boolean;
  /** Its kubelet moves in this hop, and to which version. */
  kubelet?: { from: string; to: Version };
}

function rowsFor(rows: readonly ComponentRow[], node: string): ComponentRow[] {
  return rows.filter((r) => r.node === node);
}

function sameVersion(a: string, b: string): boolean {
  return a.replace(/^v/, '') === b.replace(/^v/, '');
}

function hopWork(hop: Hop, nodes: readonly RunbookNode[]): NodeWork[] {
  const work: NodeWork[] = [];
  for (const n of nodes) {
    const cp = rowsFor(hop.controlPlane, n.name);
    const staticPods = n.controlPlane && cp.some((r) => !sameVersion(r.current, r.target));
    const row = hop.kubelets.find((r) => r.node === n.name);
    const kubelet = row && !sameVersion(row.current, row.target) ? { from: row.current, to: hop.to } : undefined;
    if (staticPods || kubelet) work.push({ name: n.name, controlPlane: n.controlPlane, staticPods, kubelet });
  }
  return work;
}

/** The section of one node in one hop: the docs' order for a control-plane or a worker node. */
function nodeSection(w: NodeWork, hop: Hop, os: HostOS, first: boolean, step: number, findings: readonly Finding[], shown: Set<Finding>): string {
  const to = hop.to;
  const role = !w.controlPlane
    ? 'worker: kubeadm upgrade node'
    : !w.staticPods
      ? 'control-plane node: kubelet only'
      : first
        ? 'first control-plane node: kubeadm upgrade apply'
        : 'control-plane node: kubeadm upgrade node';
  let out = `### ${step}. ${w.name} (${role})\n`;
  out += findingNotes(findings, w.name, hop, shown);
  const kubeadmCommands = (o: 'debian' | 'rhel'): string[] => {
    const lines = [switchRepo(o, to), ...installKubeadm(o, to), 'kubeadm version'];
    if (w.controlPlane && first) lines.push('sudo kubeadm upgrade plan', `sudo kubeadm upgrade apply ${v(to)}`);
    else lines.push('sudo kubeadm upgrade node');
    return lines;
  };
  if (w.controlPlane && w.staticPods) {
    out += hostBlock(os, w.name, kubeadmCommands);
    if (first) out += '# then upgrade the CNI plugin if its own instructions say so (not needed on other nodes when it runs as a DaemonSet)\n';
  } else if (!w.controlPlane) {
    out += hostBlock(os, w.name, kubeadmCommands);
  } else {
    // A control-plane node whose static pods are at the target already: only its kubelet moves.
    out += hostBlock(os, w.name, (o) => [switchRepo(o, to), ...installKubeadm(o, to)]);
  }
  out += '\n';
  if (w.kubelet) out += kubeletSteps(os, w.name, w.kubelet.to);
  else out += `# the kubelet on ${w.name} stays as it is in this hop (the skew policy allows it)\n`;
  return out + '\n';
}

function kubeletsFirstSection(hop: Hop, nodes: readonly RunbookNode[], os: HostOS, stepStart: number, findings: readonly Finding[], shown: Set<Finding>): { text: string; steps: number } {
  let text = `# First, the kubelets the control plane at ${v(hop.to)} would leave out of the skew policy:\n\n`;
  let step = stepStart;
  for (const k of hop.kubeletsFirst) {
    const isCp = nodes.find((n) => n.name === k.node)?.controlPlane ?? false;
    // k.to is a version string ('v1.32.9'); parse the numbers out for the package globs.
    const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(k.to);
    const to: Version = m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), raw: k.to } : hop.from;
    text += `### ${step++}. ${k.node} (${isCp ? 'control-plane node' : 'worker'}: kubelet ${k.from} -> ${v(to)} before the control plane moves)\n# why: ${k.why}\n`;
    text += findingNotes(findings, k.node, hop, shown);
    text += hostBlock(os, k.node, (o) => [switchRepo(o, to), ...installKubeadm(o, to), 'kubeadm version', 'sudo kubeadm upgrade node']);
    text += '\n' + kubeletSteps(os, k.node, to) + '\n';
  }
  text += `# Then the control plane to ${v(hop.to)}, node by node:\n\n`;
  return { text, steps: step - stepStart };
}

function preamble(plan: UpgradePlan, nodes: readonly RunbookNode[], os: HostOS, options: RunbookOptions): string {
  const target = plan.target ? v(plan.target) : v(plan.current);
  const hosts = os === 'both' ? 'Debian/Ubuntu hosts with apt and RHEL-like hosts with dnf/yum' : os === 'debian' ? 'Debian/Ubuntu hosts with apt' : 'RHEL-like hosts with dnf/yum';
  const cps = nodes.filter((n) => n.controlPlane).map((n) => n.name);
  const workers = nodes.filter((n) => !n.controlPlane).map((n) => n.name);
  let out = `# Upgrade runbook: ${v(plan.current)} -> ${target} (kubeadm, ${hosts})\n`;
  if (plan.hops.length > 1) out += `# Path: ${[v(plan.hops[0].from), ...plan.hops.map((h) => v(h.to))].join(' -> ')}: kubeadm upgrades the control plane one minor version at a time\n`;
  out += `# Control plane: ${cps.join(', ') || 'none found'}; workers: ${workers.join(', ') || 'none'}\n`;
  out += '# Nodes go one at a time; check each is Ready before the next.\n\n';
  const blocking = plan.findings.filter((f) => f.severity === 'blocking');
  if (blocking.length) {
    out += `## Resolve first: ${plural(blocking.length, 'blocking finding')}\n\n` + blocking.map(renderFinding).join('') + '\n';
  }
  out += '## Before you start\n\n';
  out += '# Read the release notes of every minor version on the path, and check that swap is disabled on every node.\n';
  if (options.etcdEndpoints?.length) {
    out += `# etcd is external (${options.etcdEndpoints.join(', ')}): kubeadm does not upgrade it. Snapshot it, and upgrade it separately to a version the new control plane supports.\n`;
  } else if (cps.length) {
    out += `# Snapshot etcd (kubeadm keeps a copy of the local member under /etc/kubernetes/tmp, but have your own):\n`;
    out += `# on ${cps[0]}:\n`;
    out += `sudo ETCDCTL_API=3 etcdctl snapshot save /var/lib/etcd-backup-$(date +%Y%m%d%H%M).db --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key\n`;
  }
  return out + '\n';
}

/**
 * The runbook: for each hop, the first control-plane node (`kubeadm upgrade apply`), the other
 * control-plane nodes (`kubeadm upgrade node`), then each worker, one at a time — each switching
 * its pkgs.k8s.io repository to the hop's minor, upgrading kubeadm, draining, upgrading the
 * kubelet and kubectl, restarting the kubelet and uncordoning. Kubelets the skew policy lets lag
 * stay; kubelets it would leave behind move first.
 */
export function renderRunbook(plan: UpgradePlan, nodes: Array<{ name: string; controlPlane: boolean }>, os: HostOS, options: RunbookOptions = {}): string {
  const ordered = [...nodes].sort((a, b) => Number(b.controlPlane) - Number(a.controlPlane) || a.name.localeCompare(b.name));
  let out = preamble(plan, ordered, os, options);
  if (!plan.target) return out + '# No target version: nothing to run. Give one with upkeep plan --to VERSION -o runbook.\n';
  if (!plan.hops.length) return out + `# The cluster is at ${v(plan.target)} already: nothing to run.\n`;
  let step = 1;
  const shown = new Set<Finding>();
  plan.hops.forEach((hop, i) => {
    out += `## ${plan.hops.length > 1 ? `Hop ${i + 1} of ${plan.hops.length}: ` : ''}${v(hop.from)} -> ${v(hop.to)}\n\n`;
    if (hop.kubeletsFirst.length) {
      const first = kubeletsFirstSection(hop, ordered, os, step, plan.findings, shown);
      out += first.text;
      step += first.steps;
    }
    const work = hopWork(hop, ordered);
    const cpWork = work.filter((w) => w.controlPlane);
    // A control plane already partly at the target (kubeadm upgrade apply ran on one node): the rest use upgrade node.
    const applied = ordered.some((n) => n.controlPlane && rowsFor(hop.controlPlane, n.name).some((r) => r.component === 'kube-apiserver' && sameVersion(r.current, r.target)));
    const firstCp = applied ? undefined : cpWork.find((w) => w.staticPods)?.name;
    if (applied) out += `# kubeadm upgrade apply ${v(hop.to)} has run on a control-plane node already: the others use kubeadm upgrade node\n\n`;
    for (const w of work) out += nodeSection(w, hop, os, w.name === firstCp, step++, plan.findings, shown);
    const staying = hop.kubelets.filter((r) => sameVersion(r.current, r.target) && !work.some((w) => w.name === r.node));
    if (staying.length) out += `# Kubelets that stay in this hop: ${staying.map((r) => `${r.node} (${r.current})`).join(', ')}\n\n`;
    out += `# Check: kubectl get nodes   (every node Ready; VERSION shows each kubelet's version)\n\n`;
  });
  return out;
}
