// A finding: what will bite during maintenance, said the way an admin acts on it. One shape for
// every producer (the upgrade plan and its preflight, the drain report, `upkeep audit`), so that
// they can be listed, sorted by severity, rendered and gated (`--fail-on`) the same way.

/**
 * blocking: the operation cannot go through as planned (exit 3). warning: it goes through but
 * hurts (an outage, a wait, a lost pod). info: worth knowing, nothing to fix.
 */
export type Severity = 'blocking' | 'warning' | 'info';

/** Most severe first: the order findings are listed in. */
export const SEVERITIES: readonly Severity[] = ['blocking', 'warning', 'info'];

export interface Finding {
  severity: Severity;
  /** A stable PascalCase name for the rule that found it ("DrainRefused"), for scripts and filters. */
  code: string;
  /** The object, as kubectl names it: "node/node01", "deployment.apps default/blue". */
  object?: string;
  /** What is wrong and why it matters for the maintenance about to happen. */
  message: string;
  /** What to do about it, with the command where there is one. */
  fix: string;
}

/** Blocking first, then warnings, then notes; the producers' order within each. */
export function bySeverity<F extends Finding>(findings: readonly F[]): F[] {
  return SEVERITIES.flatMap((s) => findings.filter((f) => f.severity === s));
}

const RESOURCE_OF_KIND: Readonly<Record<string, string>> = {
  Pod: 'pod',
  Deployment: 'deployment.apps',
  ReplicaSet: 'replicaset.apps',
  StatefulSet: 'statefulset.apps',
  DaemonSet: 'daemonset.apps',
  Job: 'job.batch',
  CronJob: 'cronjob.batch',
  ReplicationController: 'replicationcontroller',
  PodDisruptionBudget: 'poddisruptionbudget.policy',
};

/** "deployment.apps default/blue", as kubectl names objects (resource.group namespace/name). */
export function objectName(kind: string, namespace: string | undefined, name: string): string {
  const resource = RESOURCE_OF_KIND[kind] ?? kind.toLowerCase();
  return namespace ? `${resource} ${namespace}/${name}` : `${resource}/${name}`;
}
