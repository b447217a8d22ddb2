// kubectl drain's pod filter chain (kubectl pkg/drain filters.go) as pure decisions: each pod
// goes through skipDeleted, daemonSet, mirror, localStorage and unreplicated, in that order, and
// comes out with {delete, status, message}. The grouped error and warning lines are kubectl
// v1.32's, word for word, so a drain by upkeep refuses the same nodes with the same text.
import type { KubeObject, OwnerReference } from '../api/types.js';
import type { DaemonSetLookup, DrainOptions, PodDelete, PodDeleteStatusType, PodFilterName } from './types.js';

type Obj = Record<string, unknown>;

// kubectl's messages. unmanagedFatal carries its own "cannot delete " since kubectl's 2023
// rewording (kubectl#1467), and errors() prefixes another one: kubectl v1.32 really prints
// "cannot delete cannot delete Pods that declare no controller ..." (kubernetes#135817).
export const DAEMONSET_FATAL = 'DaemonSet-managed Pods (use --ignore-daemonsets to ignore)';
export const DAEMONSET_WARNING = 'ignoring DaemonSet-managed Pods';
export const LOCAL_STORAGE_FATAL = 'Pods with local storage (use --delete-emptydir-data to override)';
export const LOCAL_STORAGE_WARNING = 'deleting Pods with local storage';
export const UNMANAGED_FATAL = 'cannot delete Pods that declare no controller (use --force to override)';
export const UNMANAGED_WARNING = 'deleting Pods that declare no controller';
/** The annotation the kubelet puts on the API copy of a static pod. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** The flags the filters read. */
export type FilterOptions = Pick<DrainOptions, 'force' | 'ignoreDaemonSets' | 'deleteEmptyDirData' | 'skipWaitForDeleteTimeoutSeconds'>;

// ---------------------------------------------------------------------------------------------
// Pod facts
// ---------------------------------------------------------------------------------------------

/** "ns/name", as kubectl lists pods in its drain messages. */
export function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** metav1.GetControllerOf: the owner reference with controller: true. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function podPhase(pod: KubeObject): string | undefined {
  const phase = (pod.status as Obj | undefined)?.phase;
  return typeof phase === 'string' ? phase : undefined;
}

/** Succeeded or Failed: nothing runs any more, so every filter lets the pod be deleted. */
export function isFinished(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Only emptyDir counts as local storage for drain; hostPath and local PVs do not. */
export function hasLocalStorage(pod: KubeObject): boolean {
  const volumes = ((pod.spec as Obj | undefined)?.volumes as Obj[] | undefined) ?? [];
  return volumes.some((v) => v.emptyDir !== undefined && v.emptyDir !== null);
}

export function isMirrorPod(pod: KubeObject): boolean {
  const annotations = pod.metadata.annotations ?? {};
  return Object.prototype.hasOwnProperty.call(annotations, MIRROR_POD_ANNOTATION);
}

/** The error text of a NotFound GET of a DaemonSet, as kubectl shows it. */
export function daemonSetNotFound(name: string): string {
  return `daemonsets.apps "${name}" not found`;
}

// ---------------------------------------------------------------------------------------------
// The filters
// ---------------------------------------------------------------------------------------------

interface Status {
  delete: boolean;
  status: PodDeleteStatusType;
  message: string;
}

const OKAY: Status = { delete: true, status: 'Okay', message: '' };
const SKIP: Status = { delete: false, status: 'Skip', message: '' };
const warning = (del: boolean, message: string): Status => ({ delete: del, status: 'Warning', message });
const error = (message: string): Status => ({ delete: false, status: 'Error', message });

type Filter = (pod: KubeObject) => Status;

function makeFilters(options: FilterOptions, daemonSetExists: DaemonSetLookup, now: number): [PodFilterName, Filter][] {
  return [
    [
      'skipDeleted',
      (pod) => {
        // Whole seconds since the deletion, compared strictly, as kubectl's shouldSkipPod.
        const limit = options.skipWaitForDeleteTimeoutSeconds;
        const ts = pod.metadata.deletionTimestamp;
        if (limit <= 0 || !ts) return OKAY;
        const since = Date.parse(ts);
        if (Number.isNaN(since)) return OKAY;
        return Math.trunc((now - since) / 1000) > limit ? SKIP : OKAY;
      },
    ],
    [
      'daemonSet',
      (pod) => {
        // Only the kind is compared, not the apiVersion.
        const ref = controllerOf(pod);
        if (!ref || ref.kind !== 'DaemonSet') return OKAY;
        if (isFinished(pod)) return OKAY;
        const found = daemonSetExists(pod.metadata.namespace ?? '', ref.name);
        if (typeof found === 'string') return error(found);
        // An orphaned DaemonSet pod: nothing recreates it, so only --force deletes it.
        if (!found) return options.force ? warning(true, daemonSetNotFound(ref.name)) : error(daemonSetNotFound(ref.name));
        if (!options.ignoreDaemonSets) return error(DAEMONSET_FATAL);
        return warning(false, DAEMONSET_WARNING);
      },
    ],
    // Static pods belong to the kubelet: deleting the API copy would not stop them.
    ['mirror', (pod) => (isMirrorPod(pod) ? SKIP : OKAY)],
    [
      'localStorage',
      (pod) => {
        if (!hasLocalStorage(pod) || isFinished(pod)) return OKAY;
        return options.deleteEmptyDirData ? warning(true, LOCAL_STORAGE_WARNING) : error(LOCAL_STORAGE_FATAL);
      },
    ],
    [
      'unreplicated',
      (pod) => {
        // Any controller counts, custom ones included.
        if (isFinished(pod) || controllerOf(pod)) return OKAY;
        return options.force ? warning(true, UNMANAGED_WARNING) : error(UNMANAGED_FATAL);
      },
    ],
  ];
}

/** Go's utilerrors.NewAggregate(...).Error(): one message bare, several as "[a, b]" without repeats. */
export function aggregateErrors(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

/** The line kubectl prints when a node's pods cannot all be deleted (the node stays cordoned). */
export function unableToDrainLine(nodeName: string, errors: readonly string[]): string {
  return `error: unable to drain node "${nodeName}" due to error: ${aggregateErrors(errors)}, continuing command...`;
}

/**
 * Groups pods by message, in order of first appearance. (kubectl ranges over a Go map, so its
 * order among several groups varies from run to run; within a group pods keep list order.)
 */
function groupByMessage(items: readonly PodDelete[], status: PodDeleteStatusType): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const item of items) {
    if (item.status !== status) continue;
    const msg = item.message === '' && status === 'Error' ? 'unexpected error' : item.message;
    const pods = groups.get(msg) ?? [];
    pods.push(podKey(item.pod));
    groups.set(msg, pods);
  }
  return [...groups];
}

/** The filter chain's result for one node: kubectl's PodDeleteList. */
export class PodDeleteList {
  constructor(readonly items: PodDelete[]) {}

  /** The pods to evict or delete, in list order (kubectl's Pods()). */
  pods(): KubeObject[] {
    return this.items.filter((i) => i.delete).map((i) => i.pod);
  }

  /** One line per error message: "cannot delete <message>: ns/a, ns/b". Any error refuses the node. */
  errors(): string[] {
    return groupByMessage(this.items, 'Error').map(([msg, pods]) => `cannot delete ${msg}: ${pods.join(', ')}`);
  }

  /** One group per warning message: "<message>: ns/a, ns/b". */
  warnings(): string[] {
    return groupByMessage(this.items, 'Warning').map(([msg, pods]) => `${msg}: ${pods.join(', ')}`);
  }

  /** The single line kubectl drain prints for all warnings ("Warning: a: x; b: y"), or null. */
  warningLine(): string | null {
    const groups = this.warnings();
    return groups.length === 0 ? null : `Warning: ${groups.join('; ')}`;
  }

  /** The error text kubectl reports for the node (what follows "due to error: "), or null. */
  errorMessage(): string | null {
    const errs = this.errors();
    return errs.length === 0 ? null : aggregateErrors(errs);
  }
}

/** Runs one pod through the chain: the first filter that says "do not delete" ends it. */
export function filterPod(pod: KubeObject, options: FilterOptions, daemonSetExists: DaemonSetLookup, now: number = Date.now()): PodDelete {
  return runChain(pod, makeFilters(options, daemonSetExists, now));
}

function runChain(pod: KubeObject, filters: [PodFilterName, Filter][]): PodDelete {
  let kept: Status = OKAY;
  let decidedBy: PodFilterName | null = null;
  const warnings: string[] = [];
  for (const [name, filter] of filters) {
    kept = filter(pod);
    decidedBy = kept.status === 'Okay' ? null : name;
    if (kept.status === 'Warning') warnings.push(kept.message);
    if (!kept.delete) break;
  }
  // kubectl keeps only the last status, so a Warning followed by an Okay is lost.
  const droppedWarnings = kept.status === 'Warning' ? warnings.slice(0, -1) : warnings;
  return { pod, delete: kept.delete, status: kept.status, message: kept.message, decidedBy, droppedWarnings };
}

/**
 * kubectl drain's filter chain over the pods of one node, in the order given (the API's list
 * order, namespace/name). `daemonSetExists` answers kubectl's per-pod DaemonSet GET; `now`
 * (ms since the epoch) is compared with deletionTimestamps for --skip-wait-for-delete-timeout.
 */
export function filterPods(
  pods: readonly KubeObject[],
  options: FilterOptions,
  daemonSetExists: DaemonSetLookup,
  now: number = Date.now(),
): PodDeleteList {
  const filters = makeFilters(options, daemonSetExists, now);
  return new PodDeleteList(pods.map((pod) => runChain(pod, filters)));
}
