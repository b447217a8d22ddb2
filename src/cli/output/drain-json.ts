// drain -o json|yaml: the impact report (dry run) and the result (real run) under the same
// names (nodes[].name), with pods and budgets as {kind, namespace, name} (docs/output.md).
import type { DrainImpact } from '../../drain/types.js';
import type { DrainResult, NodeDrainResult } from '../../drain/result.js';
import { outputObject } from './format.js';

export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

/** "namespace/name", as the drain records pods and budgets, as an object reference. */
export function objectRef(kind: string, namespacedName: string): ObjectRef {
  const slash = namespacedName.indexOf('/');
  return slash < 0 ? { kind, namespace: '', name: namespacedName } : { kind, namespace: namespacedName.slice(0, slash), name: namespacedName.slice(slash + 1) };
}

function nodeResult(n: NodeDrainResult) {
  return {
    name: n.node,
    status: n.status,
    state: n.state,
    ...(n.errorLine ? { errorLine: n.errorLine } : {}),
    evicted: (n.evicted ?? []).map((p) => objectRef('Pod', p)),
    pendingPods: n.pendingPods.map((p) => objectRef('Pod', p)),
    blockingBudgets: (n.blockingBudgets ?? []).map((b) => objectRef('PodDisruptionBudget', b)),
    needs: n.needs,
    ...(n.notReady ? { notReady: n.notReady } : {}),
    ...(n.interrupted ? { interrupted: true } : {}),
  };
}

export function drainResultDocument(r: DrainResult) {
  return outputObject('DrainResult', { nodes: r.nodes.map(nodeResult), ok: r.ok, ...(r.continueWith ? { continueWith: r.continueWith } : {}) });
}

export function drainImpactDocument(report: DrainImpact) {
  return outputObject('DrainImpact', report);
}
