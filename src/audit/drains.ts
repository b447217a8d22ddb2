// Availability during maintenance, from what draining each node would do (drain's impact
// analysis): nodes whose drain would be refused, PodDisruptionBudgets that stop or stall a drain,
// pods under more than one budget, and workloads a drain takes down or loses (single replicas,
// all replicas on one node, bare pods, orphaned DaemonSet pods). Each rule reads AuditInput.drains.
import type { BudgetImpact } from '../drain/types.js';
import { type Finding, objectName } from './finding.js';
import type { AuditInput, AuditRule } from './rules.js';

/** "ns/name" into objectName's parts. */
function podName(key: string): string {
  const [namespace, name] = key.split('/');
  return objectName('Pod', namespace, name);
}

function command(...words: string[]): string {
  return words.join(' ');
}

/** Nodes whose drain evicts nothing: a pod no filter lets go (kubectl refuses the node, yet leaves it cordoned). */
export const refusedDrains: AuditRule = ({ drains, maintenance: { drain } }) => {
  const out: Finding[] = [];
  for (const n of drains.flatMap((d) => d.nodes).filter((n) => n.refused)) {
    const needs = [...new Set(n.pods.flatMap((p) => p.needs))];
    const lost = n.pods.filter((p) => p.fate === 'blocked' && p.lost);
    const losing = lost.length ? `; with them, ${lost.map((p) => `${p.namespace}/${p.name} ${p.lost === 'pod' ? 'is lost' : 'loses its emptyDir data'}`).join(', ')}` : '';
    out.push({
      severity: 'blocking',
      code: 'DrainRefused',
      object: `node/${n.name}`,
      message: `${command('kubectl drain', n.name, ...drain.flags)} (${drain.name}) would refuse ${n.name}, evict nothing and leave it cordoned: ${n.errors.join('; ')}`,
      fix: needs.length
        ? `move or delete those pods first, or drain with ${needs.join(' ')}${losing} (${command('upkeep drain', n.name, ...drain.flags, ...needs, '--dry-run')} shows every pod's fate)`
        : `look at the pods named above (${command('upkeep drain', n.name, ...drain.flags, '--dry-run')}): no drain flag gets past them`,
    });
  }
  return out;
};

/** Budgets that make some drain wait, with the nodes whose drains they stop; the worst case of each. */
function budgetsBlocking(drains: AuditInput['drains']): Array<{ budget: BudgetImpact; nodes: string[] }> {
  const budgets = new Map<string, { budget: BudgetImpact; nodes: string[] }>();
  for (const d of drains) {
    for (const b of d.podDisruptionBudgets.filter((b) => b.blocks)) {
      const key = `${b.namespace}/${b.name}`;
      const entry = budgets.get(key) ?? { budget: b, nodes: [] };
      entry.nodes.push(...d.nodes.map((n) => n.name));
      if (b.waitsForever && !entry.budget.waitsForever) entry.budget = b;
      budgets.set(key, entry);
    }
  }
  return [...budgets.values()];
}

/** PodDisruptionBudgets that allow no disruption even at full strength (blocking), or not now (the drain waits). */
export const blockingBudgets: AuditRule = ({ drains }) =>
  budgetsBlocking(drains).map(({ budget: b, nodes }): Finding => {
    const object = objectName('PodDisruptionBudget', b.namespace, b.name);
    const key = `${b.namespace}/${b.name}`;
    const on = nodes.join(', ');
    if (b.waitsForever) {
      return {
        severity: 'blocking',
        code: 'PDBAllowsNoDisruption',
        object,
        message: `PodDisruptionBudget ${key} allows no disruption even at full strength (${b.desiredHealthy} healthy of ${b.expectedPods} required): draining ${on} waits for it forever`,
        fix: `relax it (maxUnavailable: 1), or scale its workload above ${b.desiredHealthy}; or drain with --disable-eviction, accepting the outage the budget exists to prevent`,
      };
    }
    return {
      severity: 'warning',
      code: 'PDBBlocksDrain',
      object,
      message: `PodDisruptionBudget ${key} allows ${b.disruptionsAllowed} disruption(s) now but draining ${on} needs ${b.evictions}: the drain waits until its pods are healthy again (${b.currentHealthy} healthy, ${b.desiredHealthy} required)`,
      fix: `let its workload recover first (kubectl get pdb -n ${b.namespace} ${b.name}), then drain`,
    };
  });

/** Pods selected by more than one budget: the eviction API answers 500 and the drain fails. */
export const overlappingBudgets: AuditRule = ({ drains }) => {
  const overlaps = new Map<string, { budgets: string[]; node: string }>();
  for (const o of drains.flatMap((d) => d.overlappingBudgets)) overlaps.set(o.pod, { budgets: o.podDisruptionBudgets, node: o.node });
  return [...overlaps].map(([pod, o]): Finding => ({
    severity: 'blocking',
    code: 'OverlappingPDBs',
    object: podName(pod),
    message: `pod ${pod} on ${o.node} is selected by more than one PodDisruptionBudget (${o.budgets.join(', ')}): the eviction API answers 500 and the drain of ${o.node} fails`,
    fix: `make the budgets' selectors disjoint so each pod has at most one`,
  }));
};

/** Workloads a drain takes down (a single replica, every ready replica on the node) or loses (bare pods, orphaned DaemonSet pods); each once, at its first node. */
export const workloadsAtRisk: AuditRule = ({ drains, maintenance: { drain, nodeDone } }) => {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const d of drains) {
    const on = d.nodes.map((n) => n.name).join(', ');
    for (const w of d.workloads) {
      const key = `${w.kind}/${w.namespace}/${w.name}`;
      if (seen.has(key) || (w.verdict !== 'goes down' && w.verdict !== 'lost')) continue;
      seen.add(key);
      const object = objectName(w.kind, w.namespace, w.name);
      if (w.verdict === 'goes down') {
        const single = w.replicas === 1;
        out.push({
          severity: 'warning',
          code: single ? 'SingleReplicaWorkload' : 'WorkloadGoesDown',
          object,
          message: single
            ? `${object} has a single replica, on ${on}: draining ${on} takes it down until its replacement is ready elsewhere`
            : `${object}: all ${w.readyOnDrainedNodes} ready replicas run on ${on}: draining ${on} takes it down until replacements are ready elsewhere`,
          fix: `run 2 or more replicas spread over nodes (with a PodDisruptionBudget), or drain with ${command('upkeep drain', on, ...drain.flags, '--surge')} (starts a replacement elsewhere first)`,
        });
      } else {
        const bare = w.kind === 'Pod';
        out.push({
          severity: 'warning',
          code: bare ? 'BarePod' : 'OrphanedPod',
          object: bare ? object : w.pods.map(podName).join(', '),
          message: bare
            ? `pod ${w.namespace}/${w.name} on ${on} declares no controller: draining ${on} needs --force and deletes it, and nothing recreates it`
            : `${w.pods.join(', ')} on ${on} belong to DaemonSet ${w.namespace}/${w.name}, which is gone: draining ${on} needs --force and nothing recreates them`,
          fix: bare ? `run it under a Deployment (or StatefulSet), or recreate it by hand after ${on} is ${nodeDone}` : `delete the orphaned pods, or recreate the DaemonSet`,
        });
      }
    }
  }
  return out;
};
