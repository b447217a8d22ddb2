// Cordon and uncordon, as kubectl does them (one strategic merge patch of spec.unschedulable),
// plus ownership: a node upkeep cordons carries an annotation saying so, and upkeep refuses to
// uncordon a node someone else cordoned unless told to (--force): their reason may still hold.
import { isNodeUnschedulable } from '../api/nodes.js';
import type { Node } from '../api/types.js';
import type { KubeClient } from '../kube/index.js';
import type { DryRunStrategy } from './types.js';

export const CORDON_ANNOTATION = 'upkeep.dev/cordoned';

export interface CordonRecord {
  by: string;
  at: string;
  reason?: string;
}

/** The strategic merge patch of a (un)cordon: the ownership record, and spec.unschedulable unless only a stale record goes. */
export interface CordonPatch {
  metadata: { annotations: Record<string, string | null> };
  spec?: { unschedulable: true | null };
}

export type CordonAction =
  | { kind: 'patch'; patch: CordonPatch }
  | { kind: 'noop'; message: string }
  | { kind: 'refuse'; message: string };

function isCordonRecord(v: unknown): v is CordonRecord {
  return typeof v === 'object' && v !== null && 'by' in v && typeof v.by === 'string';
}

export function cordonedByUpkeep(node: Node): CordonRecord | undefined {
  const raw = node.metadata.annotations?.[CORDON_ANNOTATION];
  if (!raw) return undefined;
  try {
    const r: unknown = JSON.parse(raw);
    return isCordonRecord(r) ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What to send to (un)cordon a node. Pure. kubectl sends nothing when spec.unschedulable
 * already has the wanted value ("already cordoned"); so do we.
 */
export function decideCordon(node: Node, desired: boolean, opts: { force?: boolean; now: string; by?: string; reason?: string }): CordonAction {
  const name = node.metadata.name ?? '';
  const unschedulable = isNodeUnschedulable(node);
  const record = cordonedByUpkeep(node);
  if (desired) {
    if (unschedulable) return { kind: 'noop', message: `node/${name} already cordoned` };
    const value: CordonRecord = { by: opts.by ?? 'upkeep', at: opts.now, ...(opts.reason ? { reason: opts.reason } : {}) };
    return { kind: 'patch', patch: { metadata: { annotations: { [CORDON_ANNOTATION]: JSON.stringify(value) } }, spec: { unschedulable: true } } };
  }
  if (!unschedulable) {
    // A stale record (someone uncordoned by hand) is cleaned up on the way.
    if (record) return { kind: 'patch', patch: { metadata: { annotations: { [CORDON_ANNOTATION]: null } } } };
    return { kind: 'noop', message: `node/${name} already uncordoned` };
  }
  if (!record && !opts.force) {
    return {
      kind: 'refuse',
      message: `node/${name} was cordoned by someone else, not by upkeep; it stays cordoned (use --force to uncordon it anyway)`,
    };
  }
  return { kind: 'patch', patch: { metadata: { annotations: { [CORDON_ANNOTATION]: null } }, spec: { unschedulable: null } } };
}

/** kubectl's --dry-run: none, client (print only) or server (sent with dryRun=All). */
export type DryRun = DryRunStrategy;

export interface CordonResult {
  node: string;
  /** The line kubectl would print: "node/x cordoned (dry run)". */
  line: string;
  changed: boolean;
  refused?: string;
}

const NODES = { version: 'v1', resource: 'nodes' };

export function dryRunSuffix(dryRun: DryRun): string {
  return dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
}

/** Apply a cordon decision to one node. */
export async function setCordon(client: KubeClient, node: Node, desired: boolean, opts: { force?: boolean; dryRun?: DryRun; reason?: string; by?: string } = {}): Promise<CordonResult> {
  const name = node.metadata.name ?? '';
  const dryRun = opts.dryRun ?? 'none';
  const action = decideCordon(node, desired, { force: opts.force, now: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), reason: opts.reason, by: opts.by });
  if (action.kind === 'noop') return { node: name, line: action.message + dryRunSuffix(dryRun), changed: false };
  if (action.kind === 'refuse') return { node: name, line: action.message, changed: false, refused: action.message };
  if (dryRun !== 'client') {
    await client.patch({ ...NODES, name }, action.patch, 'strategic', dryRun === 'server' ? { dryRun: 'All' } : undefined);
  }
  const changedUnschedulable = action.patch.spec !== undefined;
  const verb = desired ? 'cordoned' : changedUnschedulable ? 'uncordoned' : 'already uncordoned';
  return { node: name, line: `node/${name} ${verb}${dryRunSuffix(dryRun)}`, changed: changedUnschedulable };
}

/** Which nodes a command acts on: named, or selected by labels (kubectl takes one or the other). */
export type NodeSelection = { names: string[] } | { selector: string };

/** Node names together with a selector, or neither: kubectl's usage errors for cordon and drain. */
export class NodeSelectionError extends Error {
  constructor(readonly problem: 'both' | 'none') {
    super(problem === 'both' ? 'cannot specify both a node name and a --selector option' : 'name a node or give a --selector');
    this.name = 'NodeSelectionError';
  }
}

/** The one check of node names against -l/--selector. Throws NodeSelectionError. */
export function nodeSelection(names: readonly string[], selector: string | undefined): NodeSelection {
  if (names.length > 0 && selector) throw new NodeSelectionError('both');
  if (selector) return { selector };
  if (names.length === 0) throw new NodeSelectionError('none');
  return { names: [...names] };
}

/**
 * The nodes named (a GET each, in order; a missing one throws its NotFound), or selected by a
 * label selector, as kubectl resolves them. Throws NodeSelectionError for both or neither.
 */
export async function resolveNodes(client: KubeClient, names: readonly string[], selector: string | undefined): Promise<Node[]> {
  const selection = nodeSelection(names, selector);
  const out: Node[] = [];
  if ('selector' in selection) {
    for await (const n of client.listAll<Node>(NODES, { labelSelector: selection.selector })) out.push(n);
    return out;
  }
  for (const name of selection.names) out.push(await client.get<Node>({ ...NODES, name }));
  return out;
}
