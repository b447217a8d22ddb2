// --wait-ready: after a node's pods are gone, wait until every controller that lost a pod is
// back at its desired availability, so the next node is not drained while the cluster is still
// short (kubectl never waits for replacements: kubernetes#31487, eksctl#1699). Each workload is
// followed through a watch on its own object; the node's --timeout bounds the wait.
import { controllerOf } from '../api/pods.js';
import type { Deployment, Pod, ReplicaSet, ReplicationController, StatefulSet } from '../api/types.js';
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
  const line = `${name}: ${last ? last.text : 'availability unknown'}`;
  say(`${name} not back in time: ${last ? last.text : 'availability unknown'}`);
  return line;
}
