// The checks of `upkeep audit`, each a list of rules over one snapshot: images, availability,
// nodes (and the control plane), certificates, permissions. The same rules feed the upgrade
// preflight (rules.ts's AUDIT_RULES) and the drain report (drainFindings).
import { apiserverVersionsDiffer, skewViolations } from '../upgrade/rules/cluster.js';
import { type PlanState, hopLabel, removedApis } from '../upgrade/rules/hop.js';
import { addMinor, oldestOf } from '../upgrade/version.js';
import { controlPlaneFindings } from '../upgrade/preflight.js';
import { budgetsSelectingNothing, pinnedPods, workloadsInOneZone, workloadsWithoutBudget } from './availability.js';
import { certificateExpiry } from './certs.js';
import { blockingBudgets, overlappingBudgets, refusedDrains, workloadsAtRisk } from './drains.js';
import { type Finding, bySeverity } from './finding.js';
import { imageDrift, pullPolicyTraps, tagsWithoutDigest, unpinnedImages } from './images.js';
import { MAINTENANCES } from './maintenance.js';
import { nodeHealth, pendingCSRs } from './nodes.js';
import { missingPermissions } from './permissions.js';
import { pullSecrets } from './pullsecrets.js';
import { type AuditRule, type Maintenance, auditInput } from './rules.js';
import type { Snapshot } from './snapshot.js';

export const CHECKS = ['images', 'availability', 'nodes', 'certs', 'permissions'] as const;
export type Check = (typeof CHECKS)[number];

export function isCheck(s: string): s is Check {
  return CHECKS.some((c) => c === s);
}

/** The version skew now and kubeadm's half-upgraded control plane: the plan's own rules, over the versions discovery read. */
const versionSkew: AuditRule = ({ snapshot }) => {
  const cluster = snapshot.cluster;
  if (!cluster) return [];
  const context = { cluster, apiservers: cluster.apiservers, today: new Date(snapshot.now ?? Date.now()) };
  return [...skewViolations(context), ...apiserverVersionsDiffer(context)];
};

/** How many minors ahead the audit looks for removed APIs the cluster still uses. */
export const REMOVED_API_MINORS_AHEAD = 2;

/** APIs the next minors stop serving that stored objects or clients still use: the plan's removed-API rule, hop by hop. */
export const removedApisAhead: AuditRule = ({ snapshot }) => {
  const cluster = snapshot.cluster;
  if (!cluster || !snapshot.apiUsages?.length) return [];
  const state: PlanState = { apiservers: cluster.apiservers, controllerManagers: cluster.controllerManagers, schedulers: cluster.schedulers, kubelets: cluster.kubelets, etcd: cluster.etcd.members };
  const oldest = oldestOf(cluster.apiservers.map((a) => a.version));
  const out: Finding[] = [];
  for (let i = 1; i <= REMOVED_API_MINORS_AHEAD; i++) {
    const from = addMinor(oldest, i - 1);
    const to = addMinor(oldest, i);
    const hop = { from, to, label: hopLabel(from, to), last: i === REMOVED_API_MINORS_AHEAD, etcdTopology: cluster.etcd.topology, usages: snapshot.apiUsages, moves: { kubeletsFirst: [], controlPlane: [], kubelets: [], kubeletsAfter: [] } };
    out.push(...(removedApis(state, hop).findings ?? []));
  }
  return out;
};

/** The static-pod control plane's health (the preflight's check), when the snapshot has the kube-system pods. */
const controlPlaneHealth: AuditRule = ({ snapshot }) => (snapshot.cluster ? controlPlaneFindings(snapshot.nodes, snapshot.pods) : []);

export const CHECK_RULES: Readonly<Record<Check, readonly AuditRule[]>> = {
  images: [unpinnedImages, pullPolicyTraps, imageDrift, pullSecrets, tagsWithoutDigest],
  availability: [refusedDrains, blockingBudgets, overlappingBudgets, workloadsAtRisk, pinnedPods, budgetsSelectingNothing, workloadsInOneZone, workloadsWithoutBudget],
  nodes: [nodeHealth, controlPlaneHealth, versionSkew, removedApisAhead, pendingCSRs],
  certs: [certificateExpiry],
  permissions: [missingPermissions],
};

/** Run the checks' rules over the snapshot, most severe first. */
export function runChecks(snapshot: Snapshot, maintenance: Maintenance, checks: readonly Check[] = CHECKS): Finding[] {
  const input = auditInput(snapshot, maintenance);
  return bySeverity(checks.flatMap((c) => CHECK_RULES[c].flatMap((rule) => rule(input))));
}

/** The pod rules a drain report shows for the pods it drains: images, pull secrets, pinning. */
export const DRAIN_POD_RULES: readonly AuditRule[] = [unpinnedImages, pullPolicyTraps, imageDrift, pullSecrets, pinnedPods];

/** What the audit says about the pods a drain removes (the drain report's section): images, pull secrets, pinning. */
export function drainFindings(snapshot: Snapshot): Finding[] {
  const input = auditInput(snapshot, MAINTENANCES.drain);
  return bySeverity(DRAIN_POD_RULES.flatMap((rule) => rule(input)));
}
