// The upgrade plan: from what discovery found (ClusterVersions) and a target, a chain of
// one-minor control-plane hops, which kubelets must move before each hop, kubeadm's
// COMPONENT NODE CURRENT TARGET rows, and findings. Pure: no I/O, `today` comes in.
//
// The rules it follows (kubernetes.io/releases/version-skew-policy):
// - kube-apiserver never skips a minor, even in a single-instance cluster: one hop per minor.
// - controller-manager and scheduler move with the apiserver in each hop (same minor, may lag one).
// - kubelets must never be newer than the oldest apiserver and may lag 3 minors (2 before 1.25 /
//   control plane 1.28). Before a hop to minor M, kubelets older than what apiserver M allows move
//   first, to the control plane's version at that moment; the rest stay where they are.
// - kubelet upgrades may skip minors as long as skew holds (KEP-3935's own example: control plane
//   v1.40 -> v1.41 -> v1.42 -> v1.43, nodes v1.40 -> v1.43). Every minor kubelet upgrade needs a
//   drain: in-place minor kubelet upgrades are not supported.
// - Control-plane nodes' kubelets follow each hop (kubeadm's procedure upgrades them right after
//   `kubeadm upgrade apply|node`); workers move to the target after the last hop.
//
// Each rule is a small function in rules/: about the cluster as it is (rules/cluster.ts), about
// the target (rules/target.ts, which may stop planning), and per hop (rules/hop.ts,
// `(state, hop) -> {moves, findings}`). This file runs them, in their fixed order.
import type * as audit from '../audit/finding.js';
import type { ManagedControlPlane } from './managed.js';
import type { ApiUsage } from './removedapis.js';
import { RELEASES_AS_OF, latestPatch } from './releases.js';
import { CLUSTER_RULES } from './rules/cluster.js';
import { HOP_RULES, type HopContext, type HopMoves, type PlanState, hopLabel } from './rules/hop.js';
import { TARGET_RULES, kubeadmNotes, oneMinorAtATime, resolveTarget } from './rules/target.js';
import { type Version, addMinor, minorKey, minorOrder, newestOf, oldestOf } from './version.js';

export type { Severity } from '../audit/finding.js';

/** One instance of a component: the node it runs on ('' when unknown) and its version. */
export interface Instance {
  node: string;
  version: Version;
}

export interface ClusterVersions {
  apiservers: Instance[];
  controllerManagers: Instance[];
  schedulers: Instance[];
  etcd: { topology: 'stacked' | 'external'; members: Array<{ node?: string; version: string }> };
  kubelets: Array<Instance & { controlPlane: boolean }>;
  kubeProxy?: Version;
  coreDNS?: string;
  serverVersion: Version;
  /** A provider runs the control plane (EKS, GKE, AKS): upkeep upgrades only the workers. */
  managed?: ManagedControlPlane;
}

/** A finding of the plan: audit's shape, plus the hop it belongs to ('v1.31 -> v1.32'), when it belongs to one. */
export interface Finding extends audit.Finding {
  hop?: string;
}

export interface ComponentRow {
  component: string;
  node: string;
  current: string;
  target: string;
}

/** One kubelet upgrade: before a hop (kubeletsFirst) or after its control-plane step (kubeletsAfter). */
export interface KubeletMove {
  node: string;
  from: string;
  to: string;
  why: string;
  /** Minors jumped over ('1.27', '1.28'), allowed by the skew policy; empty when none. */
  skips?: string[];
}

export interface Hop {
  from: Version;
  to: Version;
  /** Kubelets that must be upgraded before this hop's control-plane step. */
  kubeletsFirst: KubeletMove[];
  /** kubeadm's "Upgrade to ..." table: kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, CoreDNS, etcd. */
  controlPlane: ComponentRow[];
  /** One kubelet row per node (kubeadm's manual-upgrade table): CURRENT when the control-plane step starts, TARGET after the hop. */
  kubelets: ComponentRow[];
  findings: Finding[];
  /** Kubelets upgraded after this hop's control-plane step (control-plane nodes; every node in the last hop). */
  kubeletsAfter?: KubeletMove[];
  /** 'v1.31 -> v1.32' (or 'v1.31.4 -> v1.31.14' for a patch upgrade): the value of Finding.hop. */
  label?: string;
}

export interface UpgradePlan {
  current: Version;
  target: Version | null;
  hops: Hop[];
  findings: Finding[];
  blocking: boolean;
  releasesAsOf: string;
  /** The control plane is the provider's (EKS, GKE, AKS): no kubeadm step; workers never pass its minor. */
  managed?: ManagedControlPlane;
}

/**
 * Plan an upgrade to `target` (null: report the cluster's current skew violations only).
 * `extra.findings` (preflight) are included; `extra.removedApiUsages` are checked for every hop.
 */
export function planUpgrade(
  cluster: ClusterVersions,
  target: Version | null,
  extra?: { findings?: Finding[]; removedApiUsages?: ApiUsage[]; today?: Date },
): UpgradePlan {
  const today = extra?.today ?? new Date();
  const apiservers = cluster.apiservers.length > 0 ? cluster.apiservers : [{ node: '', version: cluster.serverVersion }];
  // kubeadm's "Cluster version" is the highest apiserver; hops start from the lowest.
  const current = newestOf(apiservers.map((a) => a.version));
  const base = oldestOf(apiservers.map((a) => a.version));

  const findings: Finding[] = [...CLUSTER_RULES.flatMap((rule) => rule({ cluster, apiservers, today })), ...(extra?.findings ?? [])];
  const done = (resolved: Version | null, hops: Hop[], notes: Finding[] = []): UpgradePlan => {
    for (const h of hops) findings.push(...h.findings);
    findings.push(...notes);
    return {
      current,
      target: resolved,
      hops,
      findings,
      blocking: findings.some((f) => f.severity === 'blocking'),
      releasesAsOf: RELEASES_AS_OF,
      ...(cluster.managed ? { managed: cluster.managed } : {}),
    };
  };
  if (target === null) return done(null, []);

  // A managed control plane's patches are the provider's: workers of its minor go to exactly its version.
  const resolved = cluster.managed && minorOrder(target) === minorOrder(current) ? current : resolveTarget(target, current);
  for (const rule of TARGET_RULES) {
    const check = rule({ cluster, apiservers, current, base, asked: target, resolved, today });
    findings.push(...check.findings);
    if (check.stop) return done(check.stop, []);
  }
  // A managed control plane is the provider's to move: its hops carry the workers' kubelets only.
  const hops = planHops(cluster, apiservers, base, resolved, extra?.removedApiUsages ?? []).map((h) => (cluster.managed ? { ...h, controlPlane: [] } : h));
  findings.push(...oneMinorAtATime(base, resolved, hops));
  // No kubeadm on a managed cluster: its notes would mislead.
  return done(resolved, hops, cluster.managed ? [] : kubeadmNotes());
}

/** One hop per minor from `base` to `target`, each to its minor's latest known patch, the last to the target itself. */
function planHops(cluster: ClusterVersions, apiservers: Instance[], base: Version, target: Version, usages: readonly ApiUsage[]): Hop[] {
  let state: PlanState = {
    apiservers,
    controllerManagers: cluster.controllerManagers,
    schedulers: cluster.schedulers,
    kubelets: cluster.kubelets,
    kubeProxy: cluster.kubeProxy,
    coreDNS: cluster.coreDNS,
    etcd: cluster.etcd.topology === 'stacked' ? cluster.etcd.members : [],
  };
  const steps: Version[] = [];
  for (let m = base.minor + 1; m < target.minor; m++) {
    const v = addMinor(base, m - base.minor);
    steps.push(latestPatch(minorKey(v)) ?? v);
  }
  steps.push(target);
  return steps.map((to, i) => {
    const planned = planHop(state, { to, last: i === steps.length - 1, etcdTopology: cluster.etcd.topology, usages });
    state = planned.state;
    return planned.hop;
  });
}

function addMoves(into: HopMoves, add: Partial<HopMoves> = {}): void {
  into.kubeletsFirst.push(...(add.kubeletsFirst ?? []));
  into.controlPlane.push(...(add.controlPlane ?? []));
  into.kubelets.push(...(add.kubelets ?? []));
  into.kubeletsAfter.push(...(add.kubeletsAfter ?? []));
}

/** Run the hop rules in order, each on the versions the previous ones left. */
export function planHop(start: PlanState, h: Pick<HopContext, 'to' | 'last' | 'etcdTopology' | 'usages'>): { hop: Hop; state: PlanState } {
  const from = oldestOf(start.apiservers.map((a) => a.version));
  const label = hopLabel(from, h.to);
  let state = start;
  const moves: HopMoves = { kubeletsFirst: [], controlPlane: [], kubelets: [], kubeletsAfter: [] };
  const findings: Finding[] = [];
  for (const rule of HOP_RULES) {
    const r = rule(state, { ...h, from, label, moves });
    state = { ...state, ...r.state };
    addMoves(moves, r.moves);
    findings.push(...(r.findings ?? []));
  }
  const hop: Hop = { from, to: h.to, kubeletsFirst: moves.kubeletsFirst, controlPlane: moves.controlPlane, kubelets: moves.kubelets, findings, kubeletsAfter: moves.kubeletsAfter, label };
  return { hop, state };
}
