// How a plan reads for people: the plan table in kubeadm's layout (`kubeadm upgrade plan`'s
// COMPONENT NODE CURRENT TARGET tables, through the one table printer with kubeadm's tabwriter
// settings: minwidth 10, padding 3), findings, and the runbook (src/upgrade/runbook.ts) written
// out as commands for Debian/Ubuntu (apt) and RHEL-like (dnf/yum) hosts using the pkgs.k8s.io
// per-minor package repositories.
import type { ComponentRow, Finding, Hop, UpgradePlan } from '../../upgrade/plan.js';
import {
  type HostOS,
  type KubeletFirstStep,
  type NodeGroupStep,
  type NodeStep,
  type Runbook,
  type RunbookHop,
  type RunbookNode,
  type RunbookOptions,
  runbook,
} from '../../upgrade/runbook.js';
import { addMinor, formatVersion, type Version } from '../../upgrade/version.js';
import { type ManagedControlPlane, PROVIDER_NAME, controlPlaneUpgradeCommands } from '../../upgrade/managed.js';
import { NODE_GROUP_LABEL, NODE_GROUP_TITLE, nodeGroupUpgradeCommands, PROVIDER_DRAIN, type NodeGroup } from '../../upgrade/nodegroups.js';
import { type HostStep, type PackageManager, kubeadmSteps, kubeletSteps as kubeletHostSteps, repositorySteps, stepLines } from '../../upgrade/hostcommands.js';
import { tabwrite } from './table.js';

export type { HostOS } from '../../upgrade/runbook.js';

/** kubeadm upgrade plan's tabwriter: columns at least 10 wide, 3 spaces of padding. */
function kubeadmTable(rows: ReadonlyArray<readonly string[]>): string {
  return tabwrite(rows, { minWidth: 10, padding: 3 });
}

const RULE = '_____________________________________________________________________';

/** v1.32.9; a minor whose patch the release table does not know prints as the docs write it, v1.32.x. */
function v(x: Version): string {
  return x.minorOnly ? `${formatVersion(x)}.x` : formatVersion(x);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// ---------------------------------------------------------------------------------------------
// Findings
// ---------------------------------------------------------------------------------------------

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
  return kubeadmTable([['COMPONENT', 'NODE', 'CURRENT', 'TARGET'], ...rows.map((r) => [r.component, r.node, r.current, r.target])]);
}

/** The provider's commands for the control plane's next minor, one per line, indented. */
function providerCommands(m: ManagedControlPlane, current: Version): string {
  return controlPlaneUpgradeCommands(m, addMinor(current, 1)).map((c) => `\t${c}\n`).join('');
}

/** A managed control plane's hop: only the kubelets move; there is no kubeadm step. Node groups (the runbook's) are the provider's to upgrade. */
function renderManagedHop(hop: Hop, m: ManagedControlPlane, groups: readonly NodeGroupStep[]): string {
  let out = `${v(hop.from)} -> ${v(hop.to)}\n\n`;
  out += `Kubelets to upgrade (the control plane is managed by ${PROVIDER_NAME[m.provider]} and stays at ${v(hop.from)}):\n`;
  out += componentTable(hop.kubelets) + '\n';
  if (groups.length) {
    out += `Node groups the provider upgrades (it replaces their nodes; 'upkeep plan -o runbook' says how it drains them):\n\n`;
    out += groups.map(({ group: g }) => `\t${g.name} (${NODE_GROUP_TITLE[g.kind]}, ${plural(g.nodes.length, 'node')}): ${nodeGroupUpgradeCommands(g, m, hop.to)[0]}\n`).join('') + '\n';
  }
  return out + `${RULE}\n\n`;
}

function renderHop(hop: Hop, index: number, count: number): string {
  let out = `${count > 1 ? `Hop ${index + 1} of ${count}: ` : ''}${v(hop.from)} -> ${v(hop.to)}\n\n`;
  if (hop.kubeletsFirst.length) {
    out += `Kubelets to upgrade before the control plane moves to ${v(hop.to)}:\n`;
    out += kubeadmTable([['NODE', 'CURRENT', 'TARGET', 'WHY'], ...hop.kubeletsFirst.map((k) => [k.node, k.from, k.to, k.why])]);
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

/** The plan as `kubeadm upgrade plan` lays it out, one block per hop, with upkeep's findings; `nodes` name a managed cluster's node groups. */
export function renderPlanTable(plan: UpgradePlan, nodes: readonly RunbookNode[] = []): string {
  let out = `[upgrade/versions] Cluster version: ${v(plan.current)}\n`;
  if (plan.target) out += `[upgrade/versions] Target version: ${v(plan.target)}\n`;
  else out += '[upgrade/versions] Target version: none (checking the current version skew only)\n';
  if (plan.hops.length > 1) {
    out += `[upgrade/versions] Path: ${[v(plan.hops[0].from), ...plan.hops.map((h) => v(h.to))].join(' -> ')} (one minor version per kubeadm upgrade apply)\n`;
  }
  out += `[upgrade/versions] Release data as of ${plan.releasesAsOf}\n\n`;
  const { managed } = plan;
  const groupsByHop = managed && nodes.length ? runbook(plan, nodes).hops.map((h) => h.groups) : [];
  if (plan.target && !plan.hops.length && managed && plan.blocking) {
    out += `The control plane is managed by ${PROVIDER_NAME[managed.provider]}: upgrade it with the provider first, one minor at a time:\n\n${providerCommands(managed, plan.current)}\n`;
    // "Already there" only when nothing stopped the plan (a refused target has no hops either).
  } else if (plan.target && !plan.hops.length && !plan.blocking) out += `The cluster is at ${v(plan.target)} already: nothing to upgrade.\n\n`;
  plan.hops.forEach((hop, i) => (out += managed ? renderManagedHop(hop, managed, groupsByHop[i] ?? []) : renderHop(hop, i, plan.hops.length)));
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
// Host commands
// ---------------------------------------------------------------------------------------------

/** A runbook block's lines: each step as the runbook prints it. */
function lines(steps: readonly HostStep[]): string[] {
  return steps.flatMap(stepLines);
}

const OS_TITLE: Record<PackageManager, string> = {
  debian: 'Debian/Ubuntu (apt)',
  rhel: 'RHEL-like (dnf/yum; with DNF5 use --setopt=disable_excludes=kubernetes instead of --disableexcludes=kubernetes)',
};

/** Host commands, per OS when both are asked for. */
function hostBlock(os: HostOS, node: string, lines: (os: PackageManager) => string[]): string {
  const variants: PackageManager[] = os === 'both' ? ['debian', 'rhel'] : [os];
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
    hostBlock(os, node, (o) => lines(kubeletHostSteps(o, to))) +
    '\n' +
    uncordonBlock(node, to)
  );
}

// ---------------------------------------------------------------------------------------------
// The runbook
// ---------------------------------------------------------------------------------------------

/** A node's findings as comments in its section. */
function notes(findings: readonly Finding[]): string {
  return findings.map((f) => `# ${f.severity === 'blocking' ? 'BLOCKING' : 'WARNING'} ${f.code}: ${f.message}\n#   fix: ${f.fix}\n`).join('');
}

const ROLE_TITLE: Record<NodeStep['role'], string> = {
  worker: 'worker: kubeadm upgrade node',
  'control-plane-kubelet': 'control-plane node: kubelet only',
  'first-control-plane': 'first control-plane node: kubeadm upgrade apply',
  'control-plane': 'control-plane node: kubeadm upgrade node',
};

/** The section of one node in one hop: the docs' order for a control-plane or a worker node. */
function nodeSection(s: NodeStep, to: Version, os: HostOS, managed?: ManagedControlPlane): string {
  if (managed) {
    // No kubeadm on a managed cluster's nodes: the kubelet's packages move, from the new minor's repository.
    let text = `### ${s.step}. ${s.node} (worker: kubelet only; the control plane is managed by ${PROVIDER_NAME[managed.provider]})\n` + notes(s.notes);
    text += hostBlock(os, s.node, (o) => lines(repositorySteps(o, to))) + '\n';
    return text + (s.kubelet ? kubeletSteps(os, s.node, s.kubelet.to) : `# the kubelet on ${s.node} stays as it is\n`) + '\n';
  }
  let out = `### ${s.step}. ${s.node} (${ROLE_TITLE[s.role]})\n` + notes(s.notes);
  out += hostBlock(os, s.node, (o) => lines(kubeadmSteps(o, s.role, to)));
  if (s.role === 'first-control-plane') out += '# then upgrade the CNI plugin if its own instructions say so (not needed on other nodes when it runs as a DaemonSet)\n';
  out += '\n';
  if (s.kubelet) out += kubeletSteps(os, s.node, s.kubelet.to);
  else out += `# the kubelet on ${s.node} stays as it is in this hop (the skew policy allows it)\n`;
  return out + '\n';
}

function kubeletFirstSection(k: KubeletFirstStep, os: HostOS): string {
  let text = `### ${k.step}. ${k.node} (${k.controlPlane ? 'control-plane node' : 'worker'}: kubelet ${k.from} -> ${v(k.to)} before the control plane moves)\n# why: ${k.why}\n`;
  text += notes(k.notes);
  text += hostBlock(os, k.node, (o) => lines(kubeadmSteps(o, 'worker', k.to)));
  return text + '\n' + kubeletSteps(os, k.node, k.to) + '\n';
}

/** A node group's section: the provider's command, how it drains, and the check. */
function groupSection(s: NodeGroupStep, managed: ManagedControlPlane | undefined): string {
  const g: NodeGroup = s.group;
  const [run, ...others] = nodeGroupUpgradeCommands(g, managed, s.to);
  let out = `### ${s.step}. node group ${g.name} (${NODE_GROUP_TITLE[g.kind]}: ${g.nodes.join(', ')})\n`;
  out += `# behind: ${s.behind.map((b) => `${b.node} (${b.from})`).join(', ')}; the provider brings every node of the group to ${v(s.to)}\n` + notes(s.notes);
  out += `# how: ${PROVIDER_DRAIN[g.kind]}\n`;
  out += `# first: upkeep drain NODE --dry-run shows what each node's drain evicts and which budget would hold it\n`;
  out += `${run}\n`;
  if (g.kind === 'eksctl') out += others.map((c) => `${c}\n`).join('');
  else out += others.map((c) => `# or: ${c}\n`).join('');
  return out + `# Check: kubectl get nodes -l ${NODE_GROUP_LABEL[g.kind]}=${g.name}   (every node Ready at ${v(s.to)}; the old ones gone)\n\n`;
}

function hopSection(h: RunbookHop, index: number, count: number, os: HostOS, managed?: ManagedControlPlane): string {
  const { hop } = h;
  let out = `## ${count > 1 ? `Hop ${index + 1} of ${count}: ` : ''}${v(hop.from)} -> ${v(hop.to)}\n\n`;
  if (h.kubeletsFirst.length) {
    out += `# First, the kubelets the control plane at ${v(hop.to)} would leave out of the skew policy:\n\n`;
    out += h.kubeletsFirst.map((k) => kubeletFirstSection(k, os)).join('');
    out += `# Then the control plane to ${v(hop.to)}, node by node:\n\n`;
  }
  if (h.applied) out += `# kubeadm upgrade apply ${v(hop.to)} has run on a control-plane node already: the others use kubeadm upgrade node\n\n`;
  out += h.groups.map((g) => groupSection(g, managed)).join('');
  out += h.nodes.map((s) => nodeSection(s, hop.to, os, managed)).join('');
  if (h.staying.length) out += `# Kubelets that stay in this hop: ${h.staying.map((r) => `${r.node} (${r.current})`).join(', ')}\n\n`;
  return out + `# Check: kubectl get nodes   (every node Ready; VERSION shows each kubelet's version)\n\n`;
}

function preamble(r: Runbook, os: HostOS): string {
  const { plan } = r;
  const target = plan.target ? v(plan.target) : v(plan.current);
  const hosts = os === 'both' ? 'Debian/Ubuntu hosts with apt and RHEL-like hosts with dnf/yum' : os === 'debian' ? 'Debian/Ubuntu hosts with apt' : 'RHEL-like hosts with dnf/yum';
  const managed = plan.managed ? PROVIDER_NAME[plan.managed.provider] : undefined;
  let out = `# Upgrade runbook: ${v(plan.current)} -> ${target} (${managed ? `${managed} control plane; workers on ${hosts}` : `kubeadm, ${hosts}`})\n`;
  if (plan.hops.length > 1) out += `# Path: ${[v(plan.hops[0].from), ...plan.hops.map((h) => v(h.to))].join(' -> ')}: kubeadm upgrades the control plane one minor version at a time\n`;
  out += `# Control plane: ${managed ? `managed by ${managed} (upkeep does not upgrade it)` : r.controlPlanes.join(', ') || 'none found'}; workers: ${r.workers.join(', ') || 'none'}\n`;
  out += '# Nodes go one at a time; check each is Ready before the next.\n\n';
  if (r.blocking.length) out += `## Resolve first: ${plural(r.blocking.length, 'blocking finding')}\n\n` + r.blocking.map(renderFinding).join('') + '\n';
  out += '## Before you start\n\n';
  out += '# Read the release notes of every minor version on the path, and check that swap is disabled on every node.\n';
  if (r.etcdEndpoints.length) {
    out += `# etcd is external (${r.etcdEndpoints.join(', ')}): kubeadm does not upgrade it. Snapshot it, and upgrade it separately to a version the new control plane supports.\n`;
  } else if (r.controlPlanes.length) {
    out += `# Snapshot etcd (kubeadm keeps a copy of the local member under /etc/kubernetes/tmp, but have your own):\n`;
    out += `# on ${r.controlPlanes[0]}:\n`;
    out += `sudo ETCDCTL_API=3 etcdctl snapshot save /var/lib/etcd-backup-$(date +%Y%m%d%H%M).db --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key\n`;
  }
  return out + '\n';
}

/** The runbook as text: the preamble, then each hop's steps as host and kubectl commands. */
export function renderRunbook(plan: UpgradePlan, nodes: readonly RunbookNode[], os: HostOS, options: RunbookOptions = {}): string {
  const r = runbook(plan, nodes, options);
  const out = preamble(r, os);
  if (!plan.target) return out + '# No target version: nothing to run. Give one with upkeep plan --to VERSION -o runbook.\n';
  if (!plan.hops.length && plan.managed && plan.blocking) {
    const provider = PROVIDER_NAME[plan.managed.provider];
    return out + `# The control plane is managed by ${provider}: upgrade it with the provider first, one minor at a time:\n${controlPlaneUpgradeCommands(plan.managed, addMinor(plan.current, 1)).join('\n')}\n# then plan again (upkeep plan --to ${v(plan.target)} -o runbook) for the workers.\n`;
  }
  if (!plan.hops.length) return out + `# The cluster is at ${v(plan.target)} already: nothing to run.\n`;
  return out + r.hops.map((h, i) => hopSection(h, i, r.hops.length, os, plan.managed)).join('');
}
