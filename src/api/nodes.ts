// The facts about a node that drain, upgrade planning, the demo and the sandbox all ask.
import type { Node, NodeCondition } from './types.js';

type NodeLike = Pick<Node, 'metadata' | 'spec' | 'status'>;

export function nodeCondition(node: NodeLike, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

/** The Ready condition is True. */
export function isNodeReady(node: NodeLike): boolean {
  return nodeCondition(node, 'Ready')?.status === 'True';
}

/** Cordoned: spec.unschedulable. */
export function isNodeUnschedulable(node: NodeLike): boolean {
  return node.spec?.unschedulable === true;
}

/** status.nodeInfo.kubeletVersion ("v1.31.4"), if reported. */
export function kubeletVersion(node: NodeLike): string | undefined {
  return node.status?.nodeInfo?.kubeletVersion || undefined;
}
