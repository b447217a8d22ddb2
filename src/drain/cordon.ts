// Cordon and uncordon, as kubectl does them (one strategic merge patch of spec.unschedulable),
// plus ownership: a node upkeep cordons carries an annotation saying so, and upkeep refuses to
// uncordon a node someone else cordoned unless told to (--force): their reason may still hold.
import type { KubeObject } from '../api/types.js';
import type { KubeClient } from '../kube/index.js';

export const CORDON_ANNOTATION = 'upkeep.dev/cordoned';

export interface CordonRecord {
  by: string;
  at: string;
  reason?: string;
}

export type CordonAction =
  | { kind: 'patch'; patch: Record<string, unknown> }
  | { kind: 'noop'; message: string }
  | { kind: 'refuse'; message: string };

export function cordonedByUpkeep(node: KubeObject): CordonRecord | undefined {
  const raw = node.metadata.annotations?.[CORDON_ANNOTATION];
  if (!raw) return undefined;
  try {
    const r = JSON.parse(raw) as CordonRecord;
    return typeof r?.by === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What to send to (un)cordon a node. Pure. kubectl sends nothing when spec.unschedulable
 * already has the wanted value ("already cordoned"); so do we.
 */
export function decideCordon(node: KubeObject, desired: boolean, opts: { force?: boolean; now: string; by?: string; reason?: string }): CordonAction {
  const name = node.metadata.name ?? '';
  const unschedulable = (node.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true;
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

export type DryRun = 'none' | 'client' | 'server';

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
export async function setCordon(client: KubeClient, node: KubeObject, desired: boolean, opts: { force?: boolean; dryRun?: DryRun; reason?: string; by?: string } = {}): Promise<CordonResult> {
  const name = node.metadata.name ?? '';
  const dryRun = opts.dryRun ?? 'none';
  const action = decideCordon(node, desired, { force: opts.force, now: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), reason: opts.reason, by: opts.by });
  if (action.kind === 'noop') return { node: name, line: action.message + dryRunSuffix(dryRun), changed: false };
  if (action.kind === 'refuse') return { node: name, line: action.message, changed: false, refused: action.message };
  if (dryRun !== 'client') {
    await client.patch({ ...NODES, name }, action.patch, 'strategic', dryRun === 'server' ? { dryRun: 'All' } : undefined);
  }
  const changedUnschedulable = (action.patch.spec as { unschedulable?: unknown } | undefined) !== undefined;
  const verb = desired ? 'cordoned' : changedUnschedulable ? 'uncordoned' : 'already uncordoned';
  return { node: name, line: `node/${name} ${verb}${dryRunSuffix(dryRun)}`, changed: changedUnschedulable };
}

/** The nodes named, or selected by a label selector, as kubectl resolves them. */
export async function resolveNodes(client: KubeClient, names: string[], selector: string | undefined): Promise<KubeObject[]> {
  if (names.length && selector) throw new Error('cannot specify both a node name and a --selector option');
  if (!names.length && !selector) throw new Error('USAGE');
  if (selector) {
    const out: KubeObject[] = [];
    for await (const n of client.listAll(NODES, { labelSelector: selector })) out.push(n);
    return out;
  }
  const out: KubeObject[] = [];
  for (const name of names) out.push(await client.get<KubeObject>({ ...NODES, name }));
  return out;
}
