// Node affinity as kube-scheduler's NodeAffinity filter decides it: a pod's nodeSelector (every
// label equal) AND its required node affinity (nodeSelectorTerms ORed; inside a term every
// matchExpressions requirement on the node's labels and every matchFields requirement on
// metadata.name ANDed). Semantics from k8s.io/component-helpers/scheduling/corev1/nodeaffinity
// and the NodeSelectorRequirement API reference: In/NotIn need values, Exists/DoesNotExist none,
// Gt/Lt exactly one integer compared with the label's value as an integer; NotIn and DoesNotExist
// match a node without the label; an empty term, or a term with an invalid requirement, matches
// no node. Pure: the sandbox's scheduler and the audit's pinned-pod check share it.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, PodSpec } from './types.js';

/** Go's strconv.ParseInt(s, 10, 64) on the strings labels carry (an optional sign, then digits). */
function parseInteger(s: string | undefined): number | undefined {
  return s !== undefined && /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

/** One requirement against the value of a label or field (undefined: the node has none). */
export function matchesRequirement(value: string | undefined, r: NodeSelectorRequirement): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return values.length > 0 && value !== undefined && values.includes(value);
    case 'NotIn':
      return values.length > 0 && (value === undefined || !values.includes(value));
    case 'Exists':
      return values.length === 0 && value !== undefined;
    case 'DoesNotExist':
      return values.length === 0 && value === undefined;
    case 'Gt':
    case 'Lt': {
      const bound = values.length === 1 ? parseInteger(values[0]) : undefined;
      const n = parseInteger(value);
      if (bound === undefined || n === undefined) return false;
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
    default:
      return false;
  }
}

/** The only field a node selector term may match on (the API accepts metadata.name alone). */
function fieldValue(node: Node, key: string): string | undefined {
  return key === 'metadata.name' ? node.metadata.name : undefined;
}

/** One nodeSelectorTerm: every expression on labels and every field requirement; an empty term matches nothing. */
export function matchesNodeSelectorTerm(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = node.metadata.labels ?? {};
  return exprs.every((e) => matchesRequirement(labels[e.key], e)) && fields.every((f) => (f.operator === 'In' || f.operator === 'NotIn') && matchesRequirement(fieldValue(node, f.key), f));
}

/** The terms of requiredDuringSchedulingIgnoredDuringExecution (none: any node). */
export function requiredNodeSelectorTerms(spec: Pick<PodSpec, 'affinity'> | undefined): NodeSelectorTerm[] {
  return spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
}

/** Whether a pod spec constrains nodes at all (nodeSelector or required node affinity). */
export function hasNodeConstraints(spec: Pick<PodSpec, 'nodeSelector' | 'affinity'> | undefined): boolean {
  return Object.keys(spec?.nodeSelector ?? {}).length > 0 || spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution !== undefined;
}

/** nodeSelector and required node affinity of a pod spec against a node: the NodeAffinity filter. */
export function matchesNodeAffinity(spec: Pick<PodSpec, 'nodeSelector' | 'affinity'> | undefined, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  if (!Object.entries(spec?.nodeSelector ?? {}).every(([k, v]) => labels[k] === v)) return false;
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  // A required node affinity with no terms matches no node (the API rejects it; the filter agrees).
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((t) => matchesNodeSelectorTerm(t, node));
}
