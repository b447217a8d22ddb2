// The pod printer: kube's READY / STATUS / RESTARTS logic, which kubectl users read more than
// any other table.
import type { KubeObject } from '../../../api/types.js';
import {
  AGE_COLUMN,
  NAME_COLUMN,
  age,
  column,
  humanDuration,
  int,
  list,
  nameOf,
  rec,
  text,
  timeMs,
  type Fields,
  type Printer,
  type TableRowCondition,
} from './format.js';

const SUCCEEDED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const FAILED: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

/** A sidecar: an init container with restartPolicy Always keeps running and counts as a container. */
function isRestartable(container: Fields | undefined): boolean {
  return container !== undefined && container.restartPolicy === 'Always';
}

function conditionTrue(conditions: unknown[], type: string): boolean {
  for (const c of conditions) {
    const cond = rec(c);
    if (cond.type === type) return cond.status === 'True';
  }
  return false;
}

function hasPodReadyCondition(conditions: unknown[]): boolean {
  for (const c of conditions) {
    const cond = rec(c);
    if (cond.type === 'Ready' && cond.status === 'True') return true;
  }
  return false;
}

/** finishedAt of the container's last termination, NaN if it has none. */
function lastTerminated(status: Fields): number {
  const terminated = rec(rec(status.lastState).terminated);
  return timeMs(terminated.finishedAt);
}

/** The later of two instants, treating NaN as Go's zero time. */
function later(a: number, b: number): number {
  if (Number.isNaN(b)) return a;
  if (Number.isNaN(a)) return b;
  return b > a ? b : a;
}

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

/** READY, STATUS and RESTARTS of a pod, as kube's printPod computes them. */
export function podSummary(pod: KubeObject, now: number): PodSummary {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const conditions = list(status.conditions);
  const specInit = list(spec.initContainers);

  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = list(spec.containers).length;
  let readyContainers = 0;
  let lastRestart = NaN;
  let lastRestartableInitRestart = NaN;

  const phase = text(status.phase);
  let reason = text(status.reason) || phase;

  for (const c of conditions) {
    const cond = rec(c);
    if (cond.type === 'PodScheduled' && cond.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initContainers = new Map<string, Fields>();
  for (const c of specInit) {
    const container = rec(c);
    initContainers.set(text(container.name), container);
    if (isRestartable(container)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = list(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = rec(initStatuses[i]);
    const state = rec(cs.state);
    const terminated = state.terminated === undefined || state.terminated === null ? undefined : rec(state.terminated);
    const waiting = state.waiting === undefined || state.waiting === null ? undefined : rec(state.waiting);
    const restartable = isRestartable(initContainers.get(text(cs.name)));
    restarts += int(cs.restartCount);
    lastRestart = later(lastRestart, lastTerminated(cs));
    if (restartable) {
      restartableInitRestarts += int(cs.restartCount);
      lastRestartableInitRestart = later(lastRestartableInitRestart, lastTerminated(cs));
    }
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready === true) readyContainers++;
      continue;
    }
    if (terminated) {
      // An init container failed.
      const why = text(terminated.reason);
      if (why) reason = `Init:${why}`;
      else if (int(terminated.signal) !== 0) reason = `Init:Signal:${int(terminated.signal)}`;
      else reason = `Init:ExitCode:${int(terminated.exitCode)}`;
    } else if (waiting && text(waiting.reason) && waiting.reason !== 'PodInitializing') {
      reason = `Init:${text(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${specInit.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(conditions, 'Initialized')) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = list(status.containerStatuses);
    // Kube walks the statuses backwards, so the first container's state wins the STATUS column.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = rec(statuses[i]);
      const state = rec(cs.state);
      restarts += int(cs.restartCount);
      lastRestart = later(lastRestart, lastTerminated(cs));
      const waiting = rec(state.waiting);
      const hasTerminated = state.terminated !== undefined && state.terminated !== null;
      const terminated = rec(state.terminated);
      if (text(waiting.reason)) {
        reason = text(waiting.reason);
      } else if (hasTerminated && text(terminated.reason)) {
        reason = text(terminated.reason);
      } else if (hasTerminated) {
        reason =
          int(terminated.signal) !== 0 ? `Signal:${int(terminated.signal)}` : `ExitCode:${int(terminated.exitCode)}`;
      } else if (cs.ready === true && state.running !== undefined && state.running !== null) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A container that completed while another still runs: the pod as a whole is not Completed.
    if (reason === 'Completed' && hasRunning) reason = hasPodReadyCondition(conditions) ? 'Running' : 'NotReady';
  }

  const deleting = pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Failed' && phase !== 'Succeeded') reason = 'Terminating';

  let restartsCell = String(restarts);
  if (restarts !== 0 && !Number.isNaN(lastRestart)) restartsCell = `${restarts} (${humanDuration(now - lastRestart)} ago)`;

  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsCell };
}

function readinessGates(spec: Fields, status: Fields): string {
  const gates = list(spec.readinessGates);
  if (gates.length === 0) return '<none>';
  const conditions = list(status.conditions);
  let trueConditions = 0;
  for (const g of gates) {
    const type = rec(g).conditionType;
    for (const c of conditions) {
      const cond = rec(c);
      if (cond.type === type) {
        if (cond.status === 'True') trueConditions++;
        break;
      }
    }
  }
  return `${trueConditions}/${gates.length}`;
}

function podIP(status: Fields): string {
  const ips = list(status.podIPs);
  // The API server keeps podIP and podIPs[0] in step; accept either.
  const ip = ips.length > 0 ? text(rec(ips[0]).ip) : text(status.podIP);
  return ip || '<none>';
}

export const podPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    AGE_COLUMN,
    column('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster.', 1),
    column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
    column('Nominated Node', 'string', 'nominatedNodeName is set when this pod preempts other pods on the node.', 1),
    column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
  ],
  cells(pod, now) {
    const spec = rec(pod.spec);
    const status = rec(pod.status);
    const s = podSummary(pod, now);
    return [
      nameOf(pod),
      s.ready,
      s.status,
      s.restarts,
      age(pod, now),
      podIP(status),
      text(spec.nodeName) || '<none>',
      text(status.nominatedNodeName) || '<none>',
      readinessGates(spec, status),
    ];
  },
  conditions(pod) {
    const phase = rec(pod.status).phase;
    if (phase === 'Succeeded') return SUCCEEDED;
    if (phase === 'Failed') return FAILED;
    return undefined;
  },
};
