// The pod printer: kube's READY / STATUS / RESTARTS logic, which kubectl users read more than
// any other table.
import type { Container, ContainerStatus, Pod, PodCondition, PodSpec, PodStatus } from '../../../api/types.js';
import { isPodReady, isPodTerminating, podCondition, podPhase } from '../../../api/pods.js';
import {
  AGE_COLUMN,
  NAME_COLUMN,
  age,
  column,
  humanDuration,
  int,
  list,
  nameOf,
  text,
  timeMs,
  type Printer,
  type TableRowCondition,
} from './format.js';

const SUCCEEDED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const FAILED: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

/** A sidecar: an init container with restartPolicy Always keeps running and counts as a container. */
function isRestartable(container: Container | undefined): boolean {
  return container !== undefined && container.restartPolicy === 'Always';
}

/** finishedAt of the container's last termination, NaN if it has none. */
function lastTerminated(status: ContainerStatus): number {
  return timeMs(status.lastState?.terminated?.finishedAt);
}

/** The later of two instants; NaN stands for Go's zero time. */
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
export function podSummary(pod: Pod, now: number): PodSummary {
  const spec: PodSpec | undefined = pod.spec;
  const status: PodStatus = pod.status ?? {};
  const conditions: readonly PodCondition[] = list(status.conditions);
  const specInit = list(spec?.initContainers);

  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = list(spec?.containers).length;
  let readyContainers = 0;
  let lastRestart = NaN;
  let lastRestartableInitRestart = NaN;

  const phase = text(status.phase);
  let reason = text(status.reason) || phase;

  for (const c of conditions) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initContainers = new Map<string, Container>();
  for (const container of specInit) {
    initContainers.set(text(container.name), container);
    if (isRestartable(container)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = list(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const terminated = cs.state?.terminated ?? undefined;
    const waiting = cs.state?.waiting ?? undefined;
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

  if (!initializing || podCondition(pod, 'Initialized')?.status === 'True') {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = list(status.containerStatuses);
    // Kube walks the statuses backwards, so the first container's state wins the STATUS column.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      const state = cs.state;
      restarts += int(cs.restartCount);
      lastRestart = later(lastRestart, lastTerminated(cs));
      const terminated = state?.terminated;
      if (text(state?.waiting?.reason)) {
        reason = text(state?.waiting?.reason);
      } else if (terminated && text(terminated.reason)) {
        reason = text(terminated.reason);
      } else if (terminated) {
        reason =
          int(terminated.signal) !== 0 ? `Signal:${int(terminated.signal)}` : `ExitCode:${int(terminated.exitCode)}`;
      } else if (cs.ready === true && state?.running !== undefined && state?.running !== null) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A container that completed while another still runs: the pod as a whole is not Completed.
    if (reason === 'Completed' && hasRunning) reason = isPodReady(pod) ? 'Running' : 'NotReady';
  }

  const deleting = isPodTerminating(pod);
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Failed' && phase !== 'Succeeded') reason = 'Terminating';

  let restartsCell = String(restarts);
  if (restarts !== 0 && !Number.isNaN(lastRestart)) restartsCell = `${restarts} (${humanDuration(now - lastRestart)} ago)`;

  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsCell };
}

function readinessGates(pod: Pod): string {
  const gates = list(pod.spec?.readinessGates);
  if (gates.length === 0) return '<none>';
  let trueConditions = 0;
  for (const g of gates) if (podCondition(pod, g.conditionType)?.status === 'True') trueConditions++;
  return `${trueConditions}/${gates.length}`;
}

function podIP(status: PodStatus | undefined): string {
  const ips = list(status?.podIPs);
  // The API server keeps podIP and podIPs[0] in step; accept either.
  const ip = ips.length > 0 ? text(ips[0].ip) : text(status?.podIP);
  return ip || '<none>';
}

export const podPrinter: Printer<Pod> = {
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
    const s = podSummary(pod, now);
    return [
      nameOf(pod),
      s.ready,
      s.status,
      s.restarts,
      age(pod, now),
      podIP(pod.status),
      text(pod.spec?.nodeName) || '<none>',
      text(pod.status?.nominatedNodeName) || '<none>',
      readinessGates(pod),
    ];
  },
  conditions(pod) {
    const phase = podPhase(pod);
    if (phase === 'Succeeded') return SUCCEEDED;
    if (phase === 'Failed') return FAILED;
    return undefined;
  },
};
