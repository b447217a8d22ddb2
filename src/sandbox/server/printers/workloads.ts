// Printers for the apps and batch groups.
import type { ControllerRevision, CronJob, DaemonSet, Deployment, Job, KubeObject, ReplicaSet, StatefulSet } from '../../../api/types.js';
import { labelSelectorFromObject, labelSelectorToString } from '../../../api/labels.js';
import { controllerOf } from '../../../api/pods.js';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  age,
  column,
  containerCells,
  formatLabels,
  humanDuration,
  int,
  list,
  nameOf,
  optInt,
  since,
  templateContainers,
  text,
  timeMs,
  type Printer,
} from './format.js';

/** spec.replicas, which the API server defaults to 1 for deployments, replica sets and stateful sets. */
function desiredReplicas(obj: { spec?: { replicas?: number } }): number {
  return optInt(obj.spec?.replicas) ?? 1;
}

/** A deployment's selector as metav1.LabelSelectorAsSelector prints it ("" when it selects everything). */
function deploymentSelector(d: Deployment): string {
  try {
    return labelSelectorFromObject(d.spec?.selector).toString();
  } catch {
    return '<invalid>';
  }
}

export const deploymentPrinter: Printer<Deployment> = {
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
    const status = d.status;
    const [names, images] = containerCells(templateContainers(d));
    return [
      nameOf(d),
      `${int(status?.readyReplicas)}/${desiredReplicas(d)}`,
      int(status?.updatedReplicas),
      int(status?.availableReplicas),
      age(d, now),
      names,
      images,
      deploymentSelector(d),
    ];
  },
};

export const replicaSetPrinter: Printer<ReplicaSet> = {
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
    const [names, images] = containerCells(templateContainers(rs));
    return [
      nameOf(rs),
      desiredReplicas(rs),
      int(rs.status?.replicas),
      int(rs.status?.readyReplicas),
      age(rs, now),
      names,
      images,
      labelSelectorToString(rs.spec?.selector),
    ];
  },
};

export const daemonSetPrinter: Printer<DaemonSet> = {
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
    const status = ds.status;
    const [names, images] = containerCells(templateContainers(ds));
    return [
      nameOf(ds),
      int(status?.desiredNumberScheduled),
      int(status?.currentNumberScheduled),
      int(status?.numberReady),
      int(status?.updatedNumberScheduled),
      int(status?.numberAvailable),
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      age(ds, now),
      names,
      images,
      labelSelectorToString(ds.spec?.selector),
    ];
  },
};

export const statefulSetPrinter: Printer<StatefulSet> = {
  columns: [NAME_COLUMN, column('Ready', 'string', 'Number of the pod with ready state'), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  cells(sts, now) {
    const [names, images] = containerCells(templateContainers(sts));
    return [nameOf(sts), `${int(sts.status?.readyReplicas)}/${desiredReplicas(sts)}`, age(sts, now), names, images];
  },
};

/** "<kind>.<group>/<name>" of the controlling owner, lower-cased like kube's formatResourceName. */
function controllerName(obj: KubeObject): string {
  const ref = controllerOf(obj);
  if (!ref) return '<none>';
  const apiVersion = ref.apiVersion ?? '';
  const slash = apiVersion.indexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  const kind = ref.kind ?? '';
  if (!kind && !group) return ref.name;
  const groupKind = group ? `${kind}.${group}` : kind;
  return `${groupKind.toLowerCase()}/${ref.name}`;
}

export const controllerRevisionPrinter: Printer<ControllerRevision> = {
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

function jobConditionTrue(job: Job, type: string): boolean {
  return list(job.status?.conditions).find((c) => c.type === type)?.status === 'True';
}

/** The STATUS of a Job (kubectl 1.30+): terminal conditions first, then deletion, suspension. */
export function jobStatus(job: Job): string {
  if (jobConditionTrue(job, 'Complete')) return 'Complete';
  if (jobConditionTrue(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (jobConditionTrue(job, 'Suspended')) return 'Suspended';
  if (jobConditionTrue(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export const jobPrinter: Printer<Job> = {
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
    const spec = job.spec;
    const status = job.status;
    const succeeded = int(status?.succeeded);
    const completions = optInt(spec?.completions);
    const parallelism = optInt(spec?.parallelism) ?? 0;
    let completionsCell: string;
    if (completions !== undefined) completionsCell = `${succeeded}/${completions}`;
    else if (parallelism > 1) completionsCell = `${succeeded}/1 of ${parallelism}`;
    else completionsCell = `${succeeded}/1`;

    const start = timeMs(status?.startTime);
    const completion = timeMs(status?.completionTime);
    let duration = '';
    if (!Number.isNaN(start)) duration = humanDuration((Number.isNaN(completion) ? now : completion) - start);

    const [names, images] = containerCells(templateContainers(job));
    return [
      nameOf(job),
      jobStatus(job),
      completionsCell,
      duration,
      age(job, now),
      names,
      images,
      labelSelectorToString(spec?.selector),
    ];
  },
};

export const cronJobPrinter: Printer<CronJob> = {
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
    const spec = cj.spec;
    const status = cj.status;
    const jobSpec = spec?.jobTemplate?.spec;
    const [names, images] = containerCells(jobSpec?.template?.spec?.containers);
    const lastSchedule =
      status?.lastScheduleTime === undefined || status?.lastScheduleTime === null
        ? '<none>'
        : since(status.lastScheduleTime, now);
    // The API server defaults suspend to false; kube prints the pointer as True/False.
    const suspend = spec?.suspend === true ? 'True' : 'False';
    return [
      nameOf(cj),
      text(spec?.schedule),
      typeof spec?.timeZone === 'string' ? spec.timeZone : '<none>',
      suspend,
      list(status?.active).length,
      lastSchedule,
      age(cj, now),
      names,
      images,
      labelSelectorToString(jobSpec?.selector),
    ];
  },
};
