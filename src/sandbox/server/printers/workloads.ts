// Printers for the apps and batch groups.
import type { KubeObject } from '../../../api/types.js';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  age,
  column,
  containerCells,
  formatLabelSelector,
  formatLabels,
  humanDuration,
  int,
  labelSelectorString,
  list,
  nameOf,
  optInt,
  rec,
  since,
  templateSpec,
  text,
  timeMs,
  type Printer,
} from './format.js';

/** spec.replicas, which the API server defaults to 1 for deployments, replica sets and stateful sets. */
function desiredReplicas(obj: KubeObject): number {
  return optInt(rec(obj.spec).replicas) ?? 1;
}

export const deploymentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'Label selector for pods.', 1),
  ],
  cells(d, now) {
    const status = rec(d.status);
    const [names, images] = containerCells(templateSpec(d).containers);
    return [
      nameOf(d),
      `${int(status.readyReplicas)}/${desiredReplicas(d)}`,
      int(status.updatedReplicas),
      int(status.availableReplicas),
      age(d, now),
      names,
      images,
      labelSelectorString(rec(d.spec).selector) ?? '<invalid>',
    ];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'Selector is a label query over pods that should match the replica count.', 1),
  ],
  cells(rs, now) {
    const status = rec(rs.status);
    const [names, images] = containerCells(templateSpec(rs).containers);
    return [
      nameOf(rs),
      desiredReplicas(rs),
      int(status.replicas),
      int(status.readyReplicas),
      age(rs, now),
      names,
      images,
      formatLabelSelector(rec(rs.spec).selector),
    ];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    column('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    column('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    column('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.'),
    column('Node Selector', 'string', "NodeSelector is a selector which must be true for the pod to fit on a node."),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'A label query over pods that are managed by the daemon set.', 1),
  ],
  cells(ds, now) {
    const status = rec(ds.status);
    const pod = templateSpec(ds);
    const [names, images] = containerCells(pod.containers);
    return [
      nameOf(ds),
      int(status.desiredNumberScheduled),
      int(status.currentNumberScheduled),
      int(status.numberReady),
      int(status.updatedNumberScheduled),
      int(status.numberAvailable),
      formatLabels(pod.nodeSelector),
      age(ds, now),
      names,
      images,
      formatLabelSelector(rec(ds.spec).selector),
    ];
  },
};

export const statefulSetPrinter: Printer = {
  columns: [NAME_COLUMN, column('Ready', 'string', 'Number of the pod with ready state'), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  cells(sts, now) {
    const [names, images] = containerCells(templateSpec(sts).containers);
    return [nameOf(sts), `${int(rec(sts.status).readyReplicas)}/${desiredReplicas(sts)}`, age(sts, now), names, images];
  },
};

/** "<kind>.<group>/<name>" of the controlling owner, lower-cased like kube's formatResourceName. */
function controllerName(obj: KubeObject): string {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!ref) return '<none>';
  const apiVersion = ref.apiVersion ?? '';
  const slash = apiVersion.indexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  const kind = ref.kind ?? '';
  if (!kind && !group) return ref.name;
  const groupKind = group ? `${kind}.${group}` : kind;
  return `${groupKind.toLowerCase()}/${ref.name}`;
}

export const controllerRevisionPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
    AGE_COLUMN,
  ],
  cells(cr, now) {
    return [nameOf(cr), controllerName(cr), int(cr.revision), age(cr, now)];
  },
};

function jobConditionTrue(conditions: unknown[], type: string): boolean {
  for (const c of conditions) {
    const cond = rec(c);
    if (cond.type === type) return cond.status === 'True';
  }
  return false;
}

/** The STATUS of a Job (kubectl 1.30+): terminal conditions first, then deletion, suspension. */
export function jobStatus(job: KubeObject): string {
  const conditions = list(rec(job.status).conditions);
  if (jobConditionTrue(conditions, 'Complete')) return 'Complete';
  if (jobConditionTrue(conditions, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (jobConditionTrue(conditions, 'Suspended')) return 'Suspended';
  if (jobConditionTrue(conditions, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export const jobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    column('Duration', 'string', 'Time required to complete the job.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'A label query over pods that should match the pod count.', 1),
  ],
  cells(job, now) {
    const spec = rec(job.spec);
    const status = rec(job.status);
    const succeeded = int(status.succeeded);
    const completions = optInt(spec.completions);
    const parallelism = optInt(spec.parallelism) ?? 0;
    let completionsCell: string;
    if (completions !== undefined) completionsCell = `${succeeded}/${completions}`;
    else if (parallelism > 1) completionsCell = `${succeeded}/1 of ${parallelism}`;
    else completionsCell = `${succeeded}/1`;

    const start = timeMs(status.startTime);
    const completion = timeMs(status.completionTime);
    let duration = '';
    if (!Number.isNaN(start)) duration = humanDuration((Number.isNaN(completion) ? now : completion) - start);

    const [names, images] = containerCells(templateSpec(job).containers);
    return [
      nameOf(job),
      jobStatus(job),
      completionsCell,
      duration,
      age(job, now),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Schedule', 'string', 'The schedule in Cron format.'),
    column('Timezone', 'string', 'The time zone name for the given schedule.'),
    column('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions.'),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'A label query over pods that should match the pod count.', 1),
  ],
  cells(cj, now) {
    const spec = rec(cj.spec);
    const status = rec(cj.status);
    const jobSpec = rec(rec(spec.jobTemplate).spec);
    const [names, images] = containerCells(rec(rec(jobSpec.template).spec).containers);
    const lastSchedule =
      status.lastScheduleTime === undefined || status.lastScheduleTime === null
        ? '<none>'
        : since(status.lastScheduleTime, now);
    // The API server defaults suspend to false; kube prints the pointer as True/False.
    const suspend = spec.suspend === true ? 'True' : 'False';
    return [
      nameOf(cj),
      text(spec.schedule),
      typeof spec.timeZone === 'string' ? spec.timeZone : '<none>',
      suspend,
      list(status.active).length,
      lastSchedule,
      age(cj, now),
      names,
      images,
      formatLabelSelector(jobSpec.selector),
    ];
  },
};
