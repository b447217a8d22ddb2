// --surge: keep a Deployment available while its node is drained when all its ready replicas
// are on that node (a single-replica Deployment is the usual case: kubernetes#48307, #114877).
// Before evicting, scale it up by the number of its ready replicas there; the node is cordoned,
// so the new replicas start elsewhere; once they are Ready, evict the old pods (a budget on the
// Deployment now allows it), then scale back. The Deployment carries a journal annotation for
// the whole time, so an interrupted run is put back by restoreSurges (drainNodes calls it on
// start and on abort). StatefulSets cannot surge: a second pod with the same name cannot exist.
import { labelSelectorFromObject } from '../api/labels.js';
import { controllerOf, isPodServing, podCondition, podKey, podNodeName } from '../api/pods.js';
import type { Deployment, Pod, ReplicaSet, Scale, StatefulSet } from '../api/types.js';
import { isConflict, isNotFound, type KubeClient, type ResourceRef } from '../kube/index.js';
import { isTransientError, sleep } from '../kube/retry.js';
import type { DryRunStrategy } from './types.js';
import { workloadName, type WorkloadRef, type WorkloadResolver } from './waitready.js';

export const SURGE_ANNOTATION = 'upkeep.dev/surge';

/** What the annotation records: enough to put the Deployment back after any interruption. */
export interface SurgeJournal {
  originalReplicas: number;
  /** The replicas upkeep scaled it to; if the Deployment no longer has them, someone else changed it. */
  replicas: number;
  node: string;
  at: string;
}

const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' } as const;
const REPLICASETS = { group: 'apps', version: 'v1', resource: 'replicasets' } as const;
const STATEFULSETS = { group: 'apps', version: 'v1', resource: 'statefulsets' } as const;
const PODS = { version: 'v1', resource: 'pods' } as const;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function readJournal(deployment: Deployment): SurgeJournal | undefined {
  const raw = deployment.metadata.annotations?.[SURGE_ANNOTATION];
  if (!raw) return undefined;
  try {
    const j: unknown = JSON.parse(raw);
    if (typeof j !== 'object' || j === null) return undefined;
    if (!('originalReplicas' in j && typeof j.originalReplicas === 'number' && 'replicas' in j && typeof j.replicas === 'number')) return undefined;
    return { originalReplicas: j.originalReplicas, replicas: j.replicas, node: 'node' in j ? String(j.node ?? '') : '', at: 'at' in j ? String(j.at ?? '') : '' };
  } catch {
    return undefined;
  }
}

export type SurgeDecision =
  | { kind: 'surge'; from: number; to: number; count: number }
  /** Nothing to do: it keeps ready replicas elsewhere, or has none to keep. */
  | { kind: 'none'; reason: string }
  /** It would go down, but surging it is not safe: the reason says why. */
  | { kind: 'skip'; reason: string };

/**
 * Whether to surge a Deployment before draining `node`. Pure. `pods` are the Deployment's pods
 * (owned by its ReplicaSets). It surges by the number of its ready pods on the node when none
 * is ready anywhere else, and not in the middle of a rollout (scaling then splits the new
 * replicas between old and new ReplicaSets), nor when another drain already surged it.
 */
export function decideSurge(deployment: Deployment, pods: Pod[], node: string): SurgeDecision {
  const replicas = deployment.spec?.replicas ?? 1;
  const readyOnNode = pods.filter((p) => isPodServing(p) && podNodeName(p) === node).length;
  const readyElsewhere = pods.filter((p) => isPodServing(p) && podNodeName(p) !== node).length;
  if (readyOnNode === 0) return { kind: 'none', reason: `no ready replica on ${node}` };
  if (readyElsewhere > 0) return { kind: 'none', reason: `${plural(readyElsewhere, 'ready replica')} elsewhere keep it available` };
  if (readJournal(deployment)) return { kind: 'skip', reason: `it already carries ${SURGE_ANNOTATION} (another drain is surging it)` };
  const observed = (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0);
  const replicaSets = new Set(pods.map((p) => controllerOf(p)?.uid ?? ''));
  if (!observed || replicaSets.size > 1) return { kind: 'skip', reason: 'a rollout is in progress' };
  return { kind: 'surge', from: replicas, to: replicas + readyOnNode, count: readyOnNode };
}

export interface SurgeContext {
  client: KubeClient;
  node: string;
  /** The node's deadline or the user's interrupt: waiting stops, and the Deployment is put back. */
  signal: AbortSignal;
  dryRun: DryRunStrategy;
  resolver: WorkloadResolver;
  onSurge?(workload: string, line: string): void;
}

/** One Deployment being surged. */
export interface SurgeHandle {
  workload: string;
  /** Its pods on the node (uids): they are evicted once `ready` settles. */
  podUids: Set<string>;
  /** True once the new replicas are Ready elsewhere; false when the surge gave up or was stopped. */
  ready: Promise<boolean>;
  /** Scale back and drop the journal. Never throws: a problem comes back as a line. */
  restore(): Promise<string | undefined>;
}

/**
 * Decide and start the surges for the pods about to be removed from the node. Returns a handle
 * per surging Deployment; the caller evicts a handle's pods after `ready` settles and calls
 * `restore()` once they are gone (or the drain stops).
 */
export async function startSurges(ctx: SurgeContext, podsToRemove: Pod[]): Promise<SurgeHandle[]> {
  const groups = new Map<string, { ref: WorkloadRef; pods: Pod[] }>();
  for (const pod of podsToRemove) {
    const ref = await ctx.resolver.workloadOf(pod, ctx.signal).catch(() => undefined);
    if (!ref || (ref.kind !== 'Deployment' && ref.kind !== 'StatefulSet')) continue;
    const key = workloadName(ref);
    const g = groups.get(key) ?? { ref, pods: [] };
    g.pods.push(pod);
    groups.set(key, g);
  }

  const candidates: { deployment: Deployment; ref: WorkloadRef; pods: Pod[]; decision: Extract<SurgeDecision, { kind: 'surge' }> }[] = [];
  for (const [name, { ref, pods }] of groups) {
    const say = (line: string): void => ctx.onSurge?.(name, line);
    if (ref.kind === 'StatefulSet') {
      // Only worth saying when the StatefulSet goes down with this node.
      const sts = await ctx.client.get<StatefulSet>({ ...STATEFULSETS, namespace: ref.namespace, name: ref.name }, undefined, { signal: ctx.signal }).catch(() => undefined);
      const readyOnNode = pods.filter(isPodServing).length;
      if (sts && readyOnNode > 0 && (sts.status?.readyReplicas ?? 0) <= readyOnNode) {
        say(`${name}: cannot surge (its pods keep their names, so a replacement cannot start before the old pod is gone); evicting normally`);
      }
      continue;
    }
    let deployment: Deployment;
    let members: Pod[];
    try {
      deployment = await ctx.client.get<Deployment>({ ...DEPLOYMENTS, namespace: ref.namespace, name: ref.name }, undefined, { signal: ctx.signal });
      members = await deploymentPods(ctx.client, deployment, ctx.signal);
    } catch (err) {
      if (ctx.signal.aborted) break;
      say(`${name}: cannot surge: ${err instanceof Error ? err.message : String(err)}; evicting normally`);
      continue;
    }
    const decision = decideSurge(deployment, members, ctx.node);
    if (decision.kind === 'skip') say(`${name}: cannot surge: ${decision.reason}; evicting normally`);
    if (decision.kind !== 'surge') continue;
    candidates.push({ deployment, ref, pods, decision });
  }

  // Single-replica Deployments first: they are the ones that go down entirely.
  candidates.sort((a, b) => a.decision.from - b.decision.from);
  const handles: SurgeHandle[] = [];
  for (const c of candidates) {
    const name = workloadName(c.ref);
    const say = (line: string): void => ctx.onSurge?.(name, line);
    const { from, to, count } = c.decision;
    const what = from === count ? (count === 1 ? 'its only ready replica is' : `all ${count} ready replicas are`) : `all ${count} ready replicas are`;
    const plan = `${what} on ${ctx.node}: scaling from ${from} to ${to} replicas to bring ${count === 1 ? 'one' : count} up elsewhere before evicting`;
    if (ctx.dryRun !== 'none') {
      say(`${name}: ${plan} (${ctx.dryRun === 'client' ? 'dry run' : 'server dry run'}; nothing scaled)`);
      continue;
    }
    say(`${name}: ${plan}`);
    const started = runSurge(ctx, c.deployment, c.pods, c.decision, say);
    handles.push({
      workload: name,
      podUids: new Set(c.pods.map((p) => p.metadata.uid ?? '')),
      ready: started,
      restore: async () => {
        // Let the scale-up finish (or fail) first, so the restore sees what it did.
        await started.catch(() => false);
        return restoreDeployment(ctx.client, c.ref.namespace, c.ref.name, (line) => say(line));
      },
    });
  }
  return handles;
}

/** The Deployment's pods: those matching its selector and owned by one of its ReplicaSets. */
async function deploymentPods(client: KubeClient, deployment: Deployment, signal?: AbortSignal): Promise<Pod[]> {
  const ns = deployment.metadata.namespace ?? '';
  const labelSelector = deploymentSelector(deployment);
  const replicaSets = await client.list<ReplicaSet>({ ...REPLICASETS, namespace: ns }, { labelSelector }, { signal });
  const owned = new Set(replicaSets.items.filter((rs) => controllerOf(rs)?.uid === deployment.metadata.uid).map((rs) => rs.metadata.uid ?? ''));
  const pods = await client.list<Pod>({ ...PODS, namespace: ns }, { labelSelector }, { signal });
  return pods.items.filter((p) => owned.has(controllerOf(p)?.uid ?? ''));
}

function deploymentSelector(deployment: Deployment): string {
  return labelSelectorFromObject(deployment.spec?.selector).toString();
}

function scaleRef(namespace: string, name: string): ResourceRef {
  return { ...DEPLOYMENTS, namespace, name, subresource: 'scale' };
}

/**
 * Set spec.replicas from `from` to `to` through the scale subresource, only if it still is
 * `from` (resourceVersion precondition, retried on conflicts). 'changed' with the current
 * value when someone else changed it.
 */
async function scaleFromTo(client: KubeClient, namespace: string, name: string, from: number, to: number): Promise<{ ok: true } | { ok: false; current: number }> {
  for (let attempt = 1; ; attempt++) {
    const scale = await client.get<Scale>(scaleRef(namespace, name));
    const current = scale.spec?.replicas ?? 0;
    if (current !== from) return { ok: false, current };
    try {
      await client.patch(scaleRef(namespace, name), { metadata: { resourceVersion: scale.metadata.resourceVersion }, spec: { replicas: to } }, 'merge');
      return { ok: true };
    } catch (err) {
      if (isConflict(err) && attempt < 10) continue;
      throw err;
    }
  }
}

async function setJournal(client: KubeClient, namespace: string, name: string, journal: SurgeJournal | null): Promise<void> {
  await client.patch({ ...DEPLOYMENTS, namespace, name }, { metadata: { annotations: { [SURGE_ANNOTATION]: journal ? JSON.stringify(journal) : null } } }, 'merge');
}

/** Journal, scale up, and wait until `count` new replicas are Ready off the node. */
async function runSurge(
  ctx: SurgeContext,
  deployment: Deployment,
  podsOnNode: Pod[],
  decision: Extract<SurgeDecision, { kind: 'surge' }>,
  say: (line: string) => void,
): Promise<boolean> {
  const ns = deployment.metadata.namespace ?? '';
  const name = deployment.metadata.name ?? '';
  const { from, to, count } = decision;
  try {
    await setJournal(ctx.client, ns, name, { originalReplicas: from, replicas: to, node: ctx.node, at: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
    const scaled = await scaleFromTo(ctx.client, ns, name, from, to);
    if (!scaled.ok) {
      say(`${workloadLabel(ns, name)}: cannot surge: its replicas changed to ${scaled.current} meanwhile; evicting normally`);
      return false;
    }
  } catch (err) {
    say(`${workloadLabel(ns, name)}: cannot surge: ${err instanceof Error ? err.message : String(err)}; evicting normally`);
    return false;
  }
  const old = new Set(podsOnNode.map((p) => p.metadata.uid ?? ''));
  const replicaSets = new Set(podsOnNode.map((p) => controllerOf(p)?.uid ?? ''));
  const unschedulableSaid = new Set<string>();
  const informer = ctx.client.listAndWatch<Pod>({ ...PODS, namespace: ns }, { labelSelector: deploymentSelector(deployment), signal: ctx.signal });
  try {
    for await (const event of informer) {
      if (!informer.hasSynced) continue;
      void event;
      const fresh = [...informer.cache.values()].filter((p) => !old.has(p.metadata.uid ?? '') && replicaSets.has(controllerOf(p)?.uid ?? ''));
      const ready = fresh.filter((p) => isPodServing(p) && podNodeName(p) !== undefined && podNodeName(p) !== ctx.node);
      if (ready.length >= count) {
        say(`${workloadLabel(ns, name)}: ${plural(ready.length, 'new replica')} Ready elsewhere (${ready.map((p) => `${podKey(p)} on ${podNodeName(p) ?? ''}`).join(', ')})`);
        return true;
      }
      for (const p of fresh) {
        const why = unschedulable(p);
        if (why !== undefined && !unschedulableSaid.has(p.metadata.uid ?? '')) {
          unschedulableSaid.add(p.metadata.uid ?? '');
          say(`${workloadLabel(ns, name)}: the new pod ${podKey(p)} cannot be scheduled: ${why}; still waiting`);
        }
      }
    }
  } catch (err) {
    if (!ctx.signal.aborted) say(`${workloadLabel(ns, name)}: cannot follow its pods: ${err instanceof Error ? err.message : String(err)}; evicting normally`);
  }
  return false;
}

function workloadLabel(namespace: string, name: string): string {
  return `Deployment ${namespace}/${name}`;
}

/** The scheduler's message when it marked the pod Unschedulable. */
function unschedulable(pod: Pod): string | undefined {
  const c = podCondition(pod, 'PodScheduled');
  return c?.status === 'False' && c.reason === 'Unschedulable' ? (c.message ?? 'Unschedulable') : undefined;
}

/**
 * Put one Deployment back from its journal: scale to originalReplicas (only if it still has the
 * replicas upkeep gave it) and remove the annotation. Returns a line when it could not.
 */
export async function restoreDeployment(client: KubeClient, namespace: string, name: string, say: (line: string) => void = () => undefined): Promise<string | undefined> {
  const label = workloadLabel(namespace, name);
  for (let attempt = 1; ; attempt++) {
    try {
      let deployment: Deployment;
      try {
        deployment = await client.get<Deployment>({ ...DEPLOYMENTS, namespace, name });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      const journal = readJournal(deployment);
      if (!journal) {
        // Unreadable journal: drop it, touching nothing else.
        if (deployment.metadata.annotations?.[SURGE_ANNOTATION] !== undefined) await setJournal(client, namespace, name, null);
        return undefined;
      }
      const scaled = await scaleFromTo(client, namespace, name, journal.replicas, journal.originalReplicas);
      let problem: string | undefined;
      if (scaled.ok) {
        say(`${label}: scaled back to ${plural(journal.originalReplicas, 'replica')}`);
      } else if (scaled.current !== journal.originalReplicas) {
        problem = `${label}: left at ${plural(scaled.current, 'replica')}: someone changed it after upkeep scaled it from ${journal.originalReplicas} to ${journal.replicas}`;
        say(problem);
      }
      await setJournal(client, namespace, name, null);
      return problem;
    } catch (err) {
      if (isTransientError(err) && attempt < 5) {
        await sleep(500 * attempt);
        continue;
      }
      const problem = `${label}: could not be put back (${err instanceof Error ? err.message : String(err)}); it still carries ${SURGE_ANNOTATION}: run the drain again (or restoreSurges) to put it back`;
      say(problem);
      return problem;
    }
  }
}

/**
 * Put back every Deployment a drain surged and did not restore (an interrupted run): those
 * carrying the journal annotation, for the given node(s) or all. Returns the workloads found.
 */
export async function restoreSurges(
  client: KubeClient,
  node?: string | string[],
  onSurge?: (workload: string, line: string) => void,
): Promise<string[]> {
  const nodes = node === undefined ? undefined : new Set(Array.isArray(node) ? node : [node]);
  const found: string[] = [];
  const pending: Promise<string | undefined>[] = [];
  for await (const d of client.listAll<Deployment>(DEPLOYMENTS)) {
    if (d.metadata.annotations?.[SURGE_ANNOTATION] === undefined) continue;
    const journal = readJournal(d);
    if (nodes && journal && !nodes.has(journal.node)) continue;
    const ns = d.metadata.namespace ?? '';
    const name = d.metadata.name ?? '';
    const label = workloadLabel(ns, name);
    found.push(label);
    onSurge?.(label, `${label}: surged by an earlier drain${journal ? ` of ${journal.node}` : ''} that did not finish; putting it back`);
    pending.push(restoreDeployment(client, ns, name, (line) => onSurge?.(label, line)));
  }
  await Promise.all(pending);
  return found;
}

/** A Deployment an interrupted drain left surged. */
export interface OutstandingSurge {
  workload: string;
  namespace: string;
  name: string;
  journal: SurgeJournal;
}

/**
 * Pure: what a command that touches a surged Deployment or its node says about it: what was
 * surged, by which drain, and the command that puts it back.
 */
export function surgeNotice(s: OutstandingSurge): string {
  const since = s.journal.at ? ` since ${s.journal.at}` : '';
  const by = s.journal.node ? ` by an interrupted drain of ${s.journal.node}` : ' by an interrupted drain';
  const fix = s.journal.node ? `upkeep uncordon ${s.journal.node} (or upkeep drain ${s.journal.node} --surge)` : `upkeep drain NODE --surge`;
  return `${s.workload}: still surged from ${plural(s.journal.originalReplicas, 'replica')} to ${s.journal.replicas}${by}${since}; to put it back run: ${fix}`;
}

/** Every Deployment carrying a readable surge journal (from any drain, of any node). */
export async function outstandingSurges(client: KubeClient): Promise<OutstandingSurge[]> {
  const out: OutstandingSurge[] = [];
  for await (const d of client.listAll<Deployment>(DEPLOYMENTS)) {
    const journal = readJournal(d);
    if (!journal) continue;
    const namespace = d.metadata.namespace ?? '';
    const name = d.metadata.name ?? '';
    out.push({ workload: workloadLabel(namespace, name), namespace, name, journal });
  }
  return out;
}
