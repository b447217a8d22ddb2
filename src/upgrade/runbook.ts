// The runbook as data: the Kubernetes docs' kubeadm upgrade procedure per hop and per node, with
// the cluster's real node names and versions. Which node does what in each hop (the first
// control-plane node runs `kubeadm upgrade apply`, the others `kubeadm upgrade node`, workers
// follow one at a time; kubelets the next control plane would strand move first), in which
// order, and which findings each node's section notes. Pure; src/cli/output/plan.ts writes it
// out as commands for apt or dnf/yum hosts.
import { groupNodes, type NodeGroup, type NodeGroupRef } from './nodegroups.js';
import type { ComponentRow, Finding, Hop, UpgradePlan } from './plan.js';
import type { Version } from './version.js';

/** Which package manager the runbook's host commands use. */
export type HostOS = 'debian' | 'rhel' | 'both';

export interface RunbookNode {
  name: string;
  controlPlane: boolean;
  /** The provider's node group (a managed cluster's workers): the provider upgrades it as a whole. */
  nodeGroup?: NodeGroupRef;
}

export interface RunbookOptions {
  /** External etcd's endpoints (the apiserver's --etcd-servers): kubeadm does not upgrade it. */
  etcdEndpoints?: string[];
}

/** A kubelet that moves before the hop's control-plane step, and why. */
export interface KubeletFirstStep {
  step: number;
  node: string;
  controlPlane: boolean;
  from: string;
  to: Version;
  why: string;
  notes: Finding[];
}

/**
 * What a node does in a hop: the first control-plane node runs kubeadm upgrade apply, the others
 * kubeadm upgrade node; a control-plane node whose static pods are at the target already only
 * moves its kubelet; a worker runs kubeadm upgrade node.
 */
export type NodeRole = 'first-control-plane' | 'control-plane' | 'control-plane-kubelet' | 'worker';

export interface NodeStep {
  step: number;
  node: string;
  role: NodeRole;
  /** Its kubelet moves in this step (drained first); absent when the skew policy lets it stay. */
  kubelet?: { from: string; to: Version };
  /** The node's findings, noted in its first section of the hop they belong to. */
  notes: Finding[];
}

export interface RunbookHop {
  hop: Hop;
  kubeletsFirst: KubeletFirstStep[];
  /** kubeadm upgrade apply has run on a control-plane node already: every control-plane node uses upgrade node. */
  applied: boolean;
  nodes: NodeStep[];
  /** Kubelets that stay where they are in this hop. */
  staying: ComponentRow[];
  /** A managed cluster's node groups with a kubelet to move: the provider upgrades each as a whole (their nodes have no NodeStep). */
  groups: NodeGroupStep[];
}

/** One provider node group brought to the control plane's version by the provider's command. */
export interface NodeGroupStep {
  step: number;
  group: NodeGroup;
  /** The group's nodes whose kubelet is behind, with their version. */
  behind: Array<{ node: string; from: string }>;
  to: Version;
  /** Its nodes' findings. */
  notes: Finding[];
}

export interface Runbook {
  plan: UpgradePlan;
  /** Control-plane nodes, then workers, each by name: the order nodes go in. */
  controlPlanes: string[];
  workers: string[];
  /** To resolve before anything runs. */
  blocking: Finding[];
  etcdEndpoints: string[];
  hops: RunbookHop[];
}

function sameVersion(a: string, b: string): boolean {
  return a.replace(/^v/, '') === b.replace(/^v/, '');
}

function rowsFor(rows: readonly ComponentRow[], node: string): ComponentRow[] {
  return rows.filter((r) => r.node === node);
}

/**
 * A node's findings (warnings and blocking ones), in the first section of the node they concern:
 * those of this hop (Finding.hop) or of none. Each is noted once (`shown` remembers them).
 */
function notesFor(findings: readonly Finding[], node: string, hop: Hop, shown: Set<Finding>): Finding[] {
  const mine = findings.filter((f) => f.object === `node/${node}` && f.severity !== 'info' && !shown.has(f) && (f.hop === undefined || f.hop === hop.label));
  for (const f of mine) shown.add(f);
  return mine;
}

/** A kubelet move's target: its numbers read back from the version string (the package globs need them). */
function moveTarget(to: string, fallback: Version): Version {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(to);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), raw: to } : fallback;
}

interface Counter {
  step: number;
  /** The control plane is a provider's: its node groups are upgraded by the provider. */
  managed: boolean;
  shown: Set<Finding>;
  findings: readonly Finding[];
}

function kubeletsFirstSteps(hop: Hop, nodes: readonly RunbookNode[], c: Counter): KubeletFirstStep[] {
  return hop.kubeletsFirst.map((k) => ({
    step: c.step++,
    node: k.node,
    controlPlane: nodes.find((n) => n.name === k.node)?.controlPlane ?? false,
    from: k.from,
    to: moveTarget(k.to, hop.from),
    why: k.why,
    notes: notesFor(c.findings, k.node, hop, c.shown),
  }));
}

function roleOf(node: RunbookNode, staticPods: boolean, first: boolean): NodeRole {
  if (!node.controlPlane) return 'worker';
  if (!staticPods) return 'control-plane-kubelet';
  return first ? 'first-control-plane' : 'control-plane';
}

function hopSteps(hop: Hop, nodes: readonly RunbookNode[], c: Counter): RunbookHop {
  const kubeletsFirst = kubeletsFirstSteps(hop, nodes, c);
  const work = nodes.flatMap((n) => {
    const staticPods = n.controlPlane && rowsFor(hop.controlPlane, n.name).some((r) => !sameVersion(r.current, r.target));
    const row = hop.kubelets.find((r) => r.node === n.name);
    const kubelet = row && !sameVersion(row.current, row.target) ? { from: row.current, to: hop.to } : undefined;
    return staticPods || kubelet ? [{ node: n, staticPods, kubelet }] : [];
  });
  // A control plane already partly at the target (kubeadm upgrade apply ran on one node): the rest use upgrade node.
  const applied = nodes.some((n) => n.controlPlane && rowsFor(hop.controlPlane, n.name).some((r) => r.component === 'kube-apiserver' && sameVersion(r.current, r.target)));
  const firstCp = applied ? undefined : work.find((w) => w.node.controlPlane && w.staticPods)?.node.name;
  // A managed cluster's grouped workers go with their group; the others (self-managed hosts) one by one.
  const grouped = c.managed ? work.filter((w) => w.node.nodeGroup && !w.node.controlPlane) : [];
  const groups = groupSteps(hop, nodes, grouped.map((w) => ({ node: w.node.name, from: w.kubelet?.from ?? '' })), c);
  const steps: NodeStep[] = work.filter((w) => !grouped.includes(w)).map((w) => ({
    step: c.step++,
    node: w.node.name,
    role: roleOf(w.node, w.staticPods, w.node.name === firstCp),
    ...(w.kubelet ? { kubelet: w.kubelet } : {}),
    notes: notesFor(c.findings, w.node.name, hop, c.shown),
  }));
  const replaced = new Set(groups.flatMap((g) => g.group.nodes));
  const staying = hop.kubelets.filter((r) => sameVersion(r.current, r.target) && !work.some((w) => w.node.name === r.node) && !replaced.has(r.node));
  return { hop, kubeletsFirst, applied, nodes: steps, staying, groups };
}

/** The groups of the nodes that move, each with all its nodes (the provider replaces them all). */
function groupSteps(hop: Hop, nodes: readonly RunbookNode[], moving: ReadonlyArray<{ node: string; from: string }>, c: Counter): NodeGroupStep[] {
  if (!moving.length) return [];
  const movingNames = new Set(moving.map((m) => m.node));
  const touched = new Set(nodes.filter((n) => movingNames.has(n.name)).map((n) => `${n.nodeGroup?.kind}/${n.nodeGroup?.name}`));
  const { groups } = groupNodes(nodes.filter((n) => !n.controlPlane && touched.has(`${n.nodeGroup?.kind}/${n.nodeGroup?.name}`)));
  return groups.map((group) => ({
    step: c.step++,
    group,
    behind: moving.filter((m) => group.nodes.includes(m.node)),
    to: hop.to,
    notes: group.nodes.flatMap((n) => notesFor(c.findings, n, hop, c.shown)),
  }));
}

/**
 * The runbook of a plan: for each hop, the kubelets that must move first, then the first
 * control-plane node (`kubeadm upgrade apply`), the other control-plane nodes (`kubeadm upgrade
 * node`), then each worker, one at a time, numbered across the whole runbook. Kubelets the skew
 * policy lets lag stay.
 */
export function runbook(plan: UpgradePlan, nodes: readonly RunbookNode[], options: RunbookOptions = {}): Runbook {
  const ordered = [...nodes].sort((a, b) => Number(b.controlPlane) - Number(a.controlPlane) || a.name.localeCompare(b.name));
  const counter: Counter = { step: 1, managed: !!plan.managed, shown: new Set(), findings: plan.findings };
  return {
    plan,
    controlPlanes: ordered.filter((n) => n.controlPlane).map((n) => n.name),
    workers: ordered.filter((n) => !n.controlPlane).map((n) => n.name),
    blocking: plan.findings.filter((f) => f.severity === 'blocking'),
    etcdEndpoints: options.etcdEndpoints ?? [],
    hops: plan.target ? plan.hops.map((hop) => hopSteps(hop, ordered, counter)) : [],
  };
}
