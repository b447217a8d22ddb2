// The audit: rules over a snapshot, each returning findings, run in a fixed order. What a drain
// of each node would do is worked out once (drain's impact analysis) and shared by the rules
// that read it. Used by the upgrade plan's preflight; `upkeep audit` and the drain report to come.
import { podNodeName } from '../api/pods.js';
import type { Pod } from '../api/types.js';
import type { DrainImpact, DrainOptions } from '../drain/types.js';
import { analyzeDrain } from '../drain/impact.js';
import { blockingBudgets, overlappingBudgets, refusedDrains, workloadsAtRisk } from './drains.js';
import type { Finding } from './finding.js';
import { pinnedPods } from './availability.js';
import { imageDrift, pullPolicyTraps, unpinnedImages } from './images.js';
import type { Snapshot } from './snapshot.js';

/** The maintenance about to happen: the findings are about what it would run into. */
export interface Maintenance {
  /** What it is, as the fixes say "before ...": "the upgrade". */
  operation: string;
  /** What a node is once its part is done, as the fixes say "after node01 is ...": "upgraded". */
  nodeDone: string;
  /** The drain every node gets. */
  drain: {
    options: DrainOptions;
    /** The same options as a user types them ("--ignore-daemonsets"), for the commands findings print. */
    flags: string[];
    /** Whose drain it is, in the messages: "the runbook's drain". */
    name: string;
  };
}

export interface AuditInput {
  snapshot: Snapshot;
  maintenance: Maintenance;
  /** Each node's drain, one node at a time as a rolling maintenance does them, by node name; nodes without pods left out. */
  drains: DrainImpact[];
}

export type AuditRule = (input: AuditInput) => Finding[];

/** What draining each node on its own would do (the pods of its pods' namespaces are what counts for budgets and replicas). */
export function drainEachNode(snapshot: Snapshot, options: DrainOptions): DrainImpact[] {
  const byNamespace = new Map<string, Pod[]>();
  for (const p of snapshot.pods) {
    const ns = p.metadata.namespace ?? '';
    const list = byNamespace.get(ns);
    if (list) list.push(p);
    else byNamespace.set(ns, [p]);
  }
  const out: DrainImpact[] = [];
  for (const node of [...snapshot.nodes].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    const namespaces = new Set(snapshot.pods.filter((p) => (podNodeName(p) ?? '') === (node.metadata.name ?? '')).map((p) => p.metadata.namespace ?? ''));
    if (!namespaces.size) continue;
    const pods = [...namespaces].flatMap((ns) => byNamespace.get(ns) ?? []);
    out.push(analyzeDrain({ nodes: [node], pods, pdbs: snapshot.pdbs, workloads: snapshot.workloads, options, now: snapshot.now }));
  }
  return out;
}

/** The input every rule reads. */
export function auditInput(snapshot: Snapshot, maintenance: Maintenance): AuditInput {
  return { snapshot, maintenance, drains: drainEachNode(snapshot, maintenance.drain.options) };
}

/**
 * The upgrade preflight's rules (`upkeep plan`), in the order findings are listed within a
 * severity: the drains, then the audit's pod rules that need nothing beyond the snapshot (pull
 * secrets are read only by `upkeep audit images` and the drain report).
 */
export const AUDIT_RULES: readonly AuditRule[] = [refusedDrains, blockingBudgets, overlappingBudgets, workloadsAtRisk, unpinnedImages, pullPolicyTraps, imageDrift, pinnedPods];

/** Run the rules over a snapshot for this maintenance, in their order. */
export function audit(snapshot: Snapshot, maintenance: Maintenance, rules: readonly AuditRule[] = AUDIT_RULES): Finding[] {
  const input = auditInput(snapshot, maintenance);
  return rules.flatMap((rule) => rule(input));
}
