// What `upgrade apply` decides before touching anything: discovery, the plan (upgrade/plan.ts's
// chain of hops), its runbook (upgrade/runbook.ts: who does what), the steps for the strategy
// (steps.ts), the preflight findings for the drain this run really does (its flags, not the
// runbook's), and each node's drain impact for --dry-run. Reuses the plan, never re-decides it.
import { bySeverity } from '../../audit/finding.js';
import { audit, type Maintenance } from '../../audit/rules.js';
import type { Snapshot } from '../../audit/snapshot.js';
import { analyzeDrain } from '../../drain/impact.js';
import type { DrainImpact, DrainOptions } from '../../drain/types.js';
import type { KubeClient } from '../../kube/index.js';
import { collectApiUsages, discoverClusterVersions, type DiscoveredCluster } from '../discover.js';
import { planUpgrade, type Finding, type UpgradePlan } from '../plan.js';
import { controlPlaneFindings, gatherPreflight, nodeFindings } from '../preflight.js';
import { runbook, type NodeGroupStep, type Runbook } from '../runbook.js';
import { minVersion, minorKey, type Version } from '../version.js';
import { planSteps, type Step, type StepOptions } from './steps.js';

export interface Prepared {
  cluster: DiscoveredCluster;
  plan: UpgradePlan;
  book: Runbook;
  steps: Step[];
  /** Blocking findings about the nodes this run touches: the run refuses to start. */
  blocking: Finding[];
  /** What preflight read: nodes, pods, budgets and workloads (for each wave's drain impact). */
  snapshot: Snapshot;
  /** A managed cluster's node groups with kubelets behind: the provider's to upgrade (its command), never a step of this run. */
  nodeGroups: NodeGroupStep[];
}

/** The drain flags as a user types them, for the commands findings print. */
export function drainFlags(o: DrainOptions): string[] {
  return [o.ignoreDaemonSets ? '--ignore-daemonsets' : '', o.force ? '--force' : '', o.deleteEmptyDirData ? '--delete-emptydir-data' : ''].filter(Boolean);
}

/** Plan the upgrade to `to` (the default target comes from the caller) and lay out its steps. */
export async function prepareUpgrade(client: KubeClient, to: (oldest: Version) => Version | null, options: StepOptions, drain: DrainOptions): Promise<Prepared> {
  const cluster = await discoverClusterVersions(client);
  const oldest = minVersion(cluster.apiservers.map((a) => a.version)) ?? cluster.serverVersion;
  const target = to(oldest);
  const [snapshot, usages] = await Promise.all([gatherPreflight(client), target ? collectApiUsages(client, minorKey(oldest), minorKey(target)) : Promise.resolve([])]);
  const maintenance: Maintenance = { operation: 'the upgrade', nodeDone: 'upgraded', drain: { options: drain, flags: drainFlags(drain), name: "upkeep upgrade's drain" } };
  const checks = bySeverity([...nodeFindings(snapshot.nodes), ...controlPlaneFindings(snapshot.nodes, snapshot.pods), ...audit(snapshot, maintenance)]);
  const plan = planUpgrade(cluster, target, { findings: checks, removedApiUsages: usages });
  const book = runbook(plan, cluster.nodes, { etcdEndpoints: cluster.etcdEndpoints });
  const steps = planSteps(book, options);
  const touched = new Set(steps.map((s) => s.node));
  // A finding about a node this run leaves alone (--nodes, -l) does not stop it.
  const blocking = plan.findings.filter((f) => f.severity === 'blocking' && !(f.object?.startsWith('node/') && !touched.has(f.object.slice(5))));
  const nodeGroups = book.hops.flatMap((h) => h.groups).filter((g) => !options.workers || g.group.nodes.some((n) => options.workers?.has(n)));
  return { cluster, plan, book, steps, blocking, snapshot, nodeGroups };
}

/** What draining each wave's nodes together does (--dry-run: what goes down when), by wave; waves that drain nothing left out. Pure. */
export function waveImpacts(snapshot: Snapshot, steps: readonly Step[], drain: DrainOptions): Map<number, DrainImpact> {
  const out = new Map<number, DrainImpact>();
  const waves = new Map<number, string[]>();
  for (const s of steps) if (s.drain && s.node) waves.set(s.wave, [...(waves.get(s.wave) ?? []), s.node]);
  for (const [wave, names] of waves) {
    const nodes = snapshot.nodes.filter((n) => names.includes(n.metadata.name ?? ''));
    out.set(wave, analyzeDrain({ nodes, pods: snapshot.pods, pdbs: snapshot.pdbs, workloads: snapshot.workloads, options: drain, now: snapshot.now }));
  }
  return out;
}
