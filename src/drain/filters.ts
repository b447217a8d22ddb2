// kubectl drain's pod filter chain (kubectl pkg/drain filters.go) as pure decisions: each pod
// goes through skipDeleted, daemonSet, mirror, localStorage and unreplicated, in that order, and
// comes out with {delete, status, message}. The grouped error and warning lines are kubectl
// v1.32's, word for word, so a drain by upkeep refuses the same nodes with the same text.
import { controllerOf, hasLocalStorage, isMirrorPod, isPodFinished, podKey } from '../api/pods.js';
import type { Pod } from '../api/types.js';
import type { DaemonSetLookup, DrainOptions, PodDelete, PodDeleteStatusType, PodFilterName } from './types.js';

// kubectl's messages. unmanagedFatal carries its own "cannot delete " since kubectl's 2023
// rewording (kubectl#1467), and errors() prefixes another one: kubectl v1.32 really prints
// "cannot delete cannot delete Pods that declare no controller ..." (kubernetes#135817).
export const DAEMONSET_FATAL = 'DaemonSet-managed Pods (use --ignore-daemonsets to ignore)';
export const DAEMONSET_WARNING = 'ignoring DaemonSet-managed Pods';
export const LOCAL_STORAGE_FATAL = 'Pods with local storage (use --delete-emptydir-data to override)';
export const LOCAL_STORAGE_WARNING = 'deleting Pods with local storage';
export const UNMANAGED_FATAL = 'cannot delete Pods that declare no controller (use --force to override)';
export const UNMANAGED_WARNING = 'deleting Pods that declare no controller';

/** The flags the filters read. */
export type FilterOptions = Pick<DrainOptions, 'force' | 'ignoreDaemonSets' | 'deleteEmptyDirData' | 'skipWaitForDeleteTimeoutSeconds'>;

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

type Filter = (pod: Pod) => Status;

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
        if (isPodFinished(pod)) return OKAY;
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
        if (!hasLocalStorage(pod) || isPodFinished(pod)) return OKAY;
        return options.deleteEmptyDirData ? warning(true, LOCAL_STORAGE_WARNING) : error(LOCAL_STORAGE_FATAL);
      },
    ],
    [
      'unreplicated',
      (pod) => {
        // Any controller counts, custom ones included.
        if (isPodFinished(pod) || controllerOf(pod)) return OKAY;
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
  /** `chain`: the flags and lookups the items were decided with, so that needs() can ask again. */
  constructor(
    readonly items: PodDelete[],
    private readonly chain?: ChainInput,
  ) {}

  /** The pods to evict or delete, in list order (kubectl's Pods()). */
  pods(): Pod[] {
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

  /** The flags that would let the drain past every error, in order of first need: ["--force", ...]. */
  needs(): string[] {
    const chain = this.chain;
    if (!chain) return [];
    const errors = this.items.filter((i) => i.status === 'Error');
    return [...new Set(errors.flatMap((i) => unblock(i, chain.options, chain.daemonSetExists, chain.now).needs))];
  }
}

interface ChainInput {
  options: FilterOptions;
  daemonSetExists: DaemonSetLookup;
  now: number;
}

/** Runs one pod through the chain: the first filter that says "do not delete" ends it. */
export function filterPod(pod: Pod, options: FilterOptions, daemonSetExists: DaemonSetLookup, now: number = Date.now()): PodDelete {
  return runChain(pod, makeFilters(options, daemonSetExists, now));
}

function runChain(pod: Pod, filters: [PodFilterName, Filter][]): PodDelete {
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
  pods: readonly Pod[],
  options: FilterOptions,
  daemonSetExists: DaemonSetLookup,
  now: number = Date.now(),
): PodDeleteList {
  const filters = makeFilters(options, daemonSetExists, now);
  return new PodDeleteList(
    pods.map((pod) => runChain(pod, filters)),
    { options, daemonSetExists, now },
  );
}

// ---------------------------------------------------------------------------------------------
// What it takes: the flags that override the filters' errors
// ---------------------------------------------------------------------------------------------

/** The flags that override a filter error, in kubectl's spelling. */
const OVERRIDES = { force: '--force', ignoreDaemonSets: '--ignore-daemonsets', deleteEmptyDirData: '--delete-emptydir-data' } as const;

/** The flag that clears a filter error, or null when no flag does (a DaemonSet that cannot be read). */
function overridingFlag(d: PodDelete): keyof typeof OVERRIDES | null {
  switch (d.decidedBy) {
    case 'daemonSet':
      if (d.message === DAEMONSET_FATAL) return 'ignoreDaemonSets';
      // An orphaned DaemonSet pod: only --force deletes it.
      return d.message.endsWith(' not found') ? 'force' : null;
    case 'localStorage':
      return 'deleteEmptyDirData';
    case 'unreplicated':
      return 'force';
    default:
      return null;
  }
}

/**
 * What it would take to get a refused pod past the chain: the chain run again, adding one at a
 * time the flag that clears each error. `result` is the pod's decision with those flags.
 */
export function unblock(d: PodDelete, options: FilterOptions, daemonSetExists: DaemonSetLookup, now: number): { result: PodDelete; needs: string[] } {
  const flags: FilterOptions = { ...options };
  const needs: string[] = [];
  let result = d;
  while (result.status === 'Error') {
    const flag = overridingFlag(result);
    if (!flag || flags[flag]) break;
    flags[flag] = true;
    needs.push(OVERRIDES[flag]);
    result = filterPod(d.pod, flags, daemonSetExists, now);
  }
  return { result, needs };
}
