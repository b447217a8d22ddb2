// --wait-ready: after a node's pods are gone, wait until every controller that lost a pod is
// back at its desired availability, so the next node is not drained while the cluster is still
// short (kubectl never waits for replacements: kubernetes#31487, eksctl#1699). Each workload is
// followed through a watch on its own object; the node's --timeout bounds the wait.
import { labelSelectorFromObject, type Selector } from '../api/labels.js';
import { controllerOf, isPodReady, isPodTerminating, podCondition, podKey } from '../api/pods.js';
import type { Deployment, Event, Pod, ReplicaSet, ReplicationController, StatefulSet } from '../api/types.js';
import { isNotFound, type KubeClient, type ResourceRef } from '../kube/index.js';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'ReplicaSet' | 'ReplicationController';

/** An object of one of those kinds: each has spec.replicas and the status counts availability reads. */
export type ReplicatedWorkload = Deployment | StatefulSet | ReplicaSet | ReplicationController;

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

const RESOURCES: Record<WorkloadKind, Omit<ResourceRef, 'namespace' | 'name'>> = {
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments' },
  StatefulSet: { group: 'apps', version: 'v1', resource: 'statefulsets' },
  ReplicaSet: { group: 'apps', version: 'v1', resource: 'replicasets' },
  ReplicationController: { version: 'v1', resource: 'replicationcontrollers' },
};

export function workloadResource(ref: WorkloadRef): ResourceRef {
  return { ...RESOURCES[ref.kind], namespace: ref.namespace, name: ref.name };
}

/** "Deployment default/blue", as the drain's lines name workloads. */
export function workloadName(ref: WorkloadRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/**
 * Which workload a pod counts for: its ReplicaSet's Deployment (looked up once per
 * ReplicaSet), else the ReplicaSet, StatefulSet or ReplicationController controlling it.
 * undefined for pods of other controllers (Jobs, DaemonSets, custom ones) and bare pods.
 */
export class WorkloadResolver {
  private readonly replicaSets = new Map<string, Promise<WorkloadRef | undefined>>();

  constructor(private readonly client: KubeClient) {}

  async workloadOf(pod: Pod, signal?: AbortSignal): Promise<WorkloadRef | undefined> {
    const ref = controllerOf(pod);
    const namespace = pod.metadata.namespace ?? '';
    if (!ref) return undefined;
    switch (ref.kind) {
      case 'StatefulSet':
      case 'ReplicationController':
        return { kind: ref.kind, namespace, name: ref.name };
      case 'ReplicaSet': {
        const key = `${namespace}/${ref.name}`;
        let found = this.replicaSets.get(key);
        if (!found) {
          found = this.ownerOfReplicaSet(namespace, ref.name, signal);
          this.replicaSets.set(key, found);
          // A failed lookup is not remembered: the next pod asks again.
          found.catch(() => this.replicaSets.delete(key));
        }
        return found;
      }
      default:
        return undefined;
    }
  }

  private async ownerOfReplicaSet(namespace: string, name: string, signal?: AbortSignal): Promise<WorkloadRef | undefined> {
    let rs: ReplicaSet;
    try {
      rs = await this.client.get<ReplicaSet>({ ...RESOURCES.ReplicaSet, namespace, name }, undefined, { signal });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const owner = controllerOf(rs);
    if (owner?.kind === 'Deployment') return { kind: 'Deployment', namespace, name: owner.name };
    return { kind: 'ReplicaSet', namespace, name };
  }
}

export interface Availability {
  /** Back at the desired availability. */
  ready: boolean;
  have: number;
  want: number;
  /** "3/3 available" (StatefulSets: "ready"). */
  text: string;
}

/**
 * Whether a workload object is back at its desired availability. Pure. Deployments, ReplicaSets
 * and ReplicationControllers count status.availableReplicas (ready for minReadySeconds),
 * StatefulSets status.readyReplicas; the status must describe the current spec
 * (observedGeneration >= generation), or the numbers may be about an older one.
 */
export function availability(kind: WorkloadKind, obj: ReplicatedWorkload): Availability {
  const status = obj.status;
  const want = obj.spec?.replicas ?? 1;
  const word = kind === 'StatefulSet' ? 'ready' : 'available';
  const have = (kind === 'StatefulSet' ? status?.readyReplicas : status?.availableReplicas) ?? 0;
  const observed = (status?.observedGeneration ?? 0) >= (obj.metadata.generation ?? 0);
  const text = `${have}/${want} ${word}${observed ? '' : ' (status not yet updated for the latest change)'}`;
  return { ready: observed && have >= want, have, want, text };
}

export interface WaitReadyCallbacks {
  onWaitReady?(workload: string, line: string): void;
}

/**
 * Wait until every workload is back at its desired availability, or the signal aborts.
 * Returns one line per workload that is not ("Deployment default/blue: 2/3 available").
 */
export async function waitForWorkloads(client: KubeClient, refs: WorkloadRef[], signal: AbortSignal, callbacks: WaitReadyCallbacks = {}): Promise<string[]> {
  const results = await Promise.all(refs.map((ref) => waitForWorkload(client, ref, signal, callbacks)));
  return results.filter((r): r is string => r !== undefined);
}

async function waitForWorkload(client: KubeClient, ref: WorkloadRef, signal: AbortSignal, callbacks: WaitReadyCallbacks): Promise<string | undefined> {
  const name = workloadName(ref);
  const say = (line: string): void => callbacks.onWaitReady?.(name, line);
  const resource = workloadResource(ref);
  let last: Availability | undefined;
  let lastText = '';
  const informer = client.listAndWatch<ReplicatedWorkload>({ ...resource, name: undefined }, { fieldSelector: `metadata.name=${ref.name}`, signal });
  try {
    for await (const event of informer) {
      if (!informer.hasSynced) continue;
      const obj = informer.cache.get(`${ref.namespace}/${ref.name}`);
      if (!obj) {
        say(`${name} no longer exists: nothing to wait for`);
        return undefined;
      }
      if (event.type === 'DELETED') continue;
      last = availability(ref.kind, obj);
      if (last.ready) {
        say(`${name} is back: ${last.text}`);
        return undefined;
      }
      if (last.text !== lastText) say(`waiting for ${name}: ${last.text}`);
      lastText = last.text;
    }
  } catch (err) {
    if (!signal.aborted) return `${name}: ${last ? `${last.text}; ` : ''}could not watch it: ${err instanceof Error ? err.message : String(err)}`;
  }
  const have = last ? last.text : 'availability unknown';
  say(`${name} not back in time: ${have}`);
  const obj = informer.cache.get(`${ref.namespace}/${ref.name}`);
  const why = obj ? await replacementsWhy(client, obj) : undefined;
  return `${name}: ${have}${why ? `; ${why}` : ''}`;
}

/** The workload's pod selector (a ReplicationController's is a plain map). */
function podSelectorOf(obj: ReplicatedWorkload): Selector | undefined {
  const sel = obj.spec?.selector;
  if (!sel) return undefined;
  const isLabelSelector = 'matchLabels' in sel || 'matchExpressions' in sel;
  return isLabelSelector ? labelSelectorFromObject(sel) : labelSelectorFromObject({ matchLabels: Object.fromEntries(Object.entries(sel).filter((e): e is [string, string] => typeof e[1] === 'string')) });
}

/** Why the workload's replacements are not Ready, read from its pods and their events after the wait (best effort: undefined when unreadable). */
async function replacementsWhy(client: KubeClient, obj: ReplicatedWorkload): Promise<string | undefined> {
  const selector = podSelectorOf(obj);
  const namespace = obj.metadata.namespace ?? '';
  if (!selector) return undefined;
  try {
    const pods = (await client.list<Pod>({ version: 'v1', resource: 'pods', namespace })).items.filter((p) => selector.matches(p.metadata.labels ?? {}));
    const events = (await client.list<Event>({ version: 'v1', resource: 'events', namespace })).items;
    return whyNotReady(pods, events);
  } catch {
    return undefined;
  }
}

/**
 * Why pods are not Ready, in the scheduler's and the kubelet's words: the PodScheduled=False
 * condition's message (kube-scheduler writes it with each FailedScheduling event), else the
 * pod's latest FailedScheduling event, else a container's waiting reason. Pods with the same
 * reason are counted together: "pod default/a Pending: 0/4 nodes are available: ...". Pure.
 */
export function whyNotReady(pods: readonly Pod[], events: readonly Event[]): string | undefined {
  const byReason = new Map<string, string[]>();
  for (const pod of pods) {
    if (isPodReady(pod) || isPodTerminating(pod)) continue;
    const reason = podNotReadyReason(pod, events);
    if (!reason) continue;
    byReason.set(reason, [...(byReason.get(reason) ?? []), podKey(pod)]);
  }
  const parts = [...byReason].map(([reason, keys]) => `${keys.length === 1 ? `pod ${keys[0]}` : `${keys.length} pods (${keys.join(', ')})`} ${reason}`);
  return parts.length ? parts.join('; ') : undefined;
}

function podNotReadyReason(pod: Pod, events: readonly Event[]): string | undefined {
  const phase = pod.status?.phase ?? 'Pending';
  const scheduled = podCondition(pod, 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.message) return `${phase}: ${scheduled.message}`;
  const failed = events
    .filter((e) => e.reason === 'FailedScheduling' && e.involvedObject.uid === pod.metadata.uid)
    .sort((a, b) => eventTime(a).localeCompare(eventTime(b)))
    .at(-1);
  if (failed?.message && !pod.spec?.nodeName) return `${phase}: ${failed.message}`;
  const waiting = (pod.status?.containerStatuses ?? []).find((c) => c.state?.waiting?.reason)?.state?.waiting;
  if (waiting) return `${phase} on ${pod.spec?.nodeName ?? 'no node'}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`;
  return pod.spec?.nodeName ? `${phase} on ${pod.spec.nodeName}, not Ready` : `${phase}: not scheduled yet`;
}

function eventTime(e: Event): string {
  return e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '';
}
