// Test fixtures of the drain impact analysis (impact.test.ts, src/cli/output/drain.test.ts).
import type { DaemonSet, Node, Pod, PodDisruptionBudget } from '../../api/types.js';
import { analyzeDrain } from '../impact.js';
import { drainOptions, type DrainImpact, type DrainOptions, type Workload } from '../types.js';

type PodDisruptionBudgetSpec = NonNullable<PodDisruptionBudget['spec']>;
type PodDisruptionBudgetStatus = NonNullable<PodDisruptionBudget['status']>;

// A small cluster, as in user story 1: "blue" has 3 replicas on different nodes, "green" is a
// bare pod, kube-proxy runs everywhere, "solo" is a single-replica Deployment on node01.

export function node(name: string, unschedulable = false, notReady = false): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: unschedulable ? { unschedulable: true } : {},
    ...(notReady ? { status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] } } : {}),
  };
}

export interface PodOpts {
  owner?: [string, string];
  labels?: Record<string, string>;
  ready?: boolean;
  phase?: string;
  emptyDir?: boolean;
  grace?: number;
  ns?: string;
  mirror?: boolean;
}

export function pod(name: string, nodeName: string, o: PodOpts = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.ns ?? 'default',
      labels: o.labels ?? {},
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: o.owner[0], name: o.owner[1], uid: `uid-${o.owner[1]}`, controller: true }] } : {}),
      ...(o.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'hash' } } : {}),
    },
    spec: {
      nodeName,
      containers: [{ name: 'c', image: 'nginx:1.27' }],
      ...(o.grace !== undefined ? { terminationGracePeriodSeconds: o.grace } : {}),
      volumes: o.emptyDir ? [{ name: 'data', emptyDir: {} }] : [],
    },
    status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

export function deployment(name: string, replicas: number, ns = 'default'): Workload[] {
  const rsName = `${name}-66c9f`;
  const selector = { matchLabels: { app: name } };
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns, uid: `uid-${name}` }, spec: { replicas, selector, template: {} } },
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: rsName, namespace: ns, uid: `uid-${rsName}`, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: `uid-${name}`, controller: true }] },
      spec: { replicas, selector },
    },
  ];
}

export function pdb(name: string, selector: Record<string, string>, spec: Omit<PodDisruptionBudgetSpec, 'selector'>, status?: PodDisruptionBudgetStatus): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: 'default', generation: 1 },
    spec: { selector: { matchLabels: selector }, ...spec },
    ...(status ? { status: { observedGeneration: 1, ...status } } : {}),
  };
}

export const kubeProxy: DaemonSet = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3 } };
export const blue = (n: string, nodeName: string, o: PodOpts = {}) => pod(`blue-66c9f-${n}`, nodeName, { owner: ['ReplicaSet', 'blue-66c9f'], labels: { app: 'blue' }, ...o });

export function cluster(): { nodes: Node[]; pods: Pod[]; workloads: Workload[] } {
  return {
    nodes: [node('node01'), node('node02'), node('node03')],
    pods: [
      blue('a', 'node01', { grace: 30 }),
      blue('b', 'node02'),
      blue('c', 'node03'),
      pod('green', 'node01', { labels: { app: 'green' } }),
      pod('solo-66c9f-x', 'node01', { owner: ['ReplicaSet', 'solo-66c9f'], labels: { app: 'solo' }, grace: 90 }),
      pod('kube-proxy-1', 'node01', { ns: 'kube-system', owner: ['DaemonSet', 'kube-proxy'] }),
      pod('kube-proxy-2', 'node02', { ns: 'kube-system', owner: ['DaemonSet', 'kube-proxy'] }),
      pod('kube-proxy-3', 'node03', { ns: 'kube-system', owner: ['DaemonSet', 'kube-proxy'] }),
    ],
    workloads: [...deployment('blue', 3), ...deployment('solo', 1), kubeProxy],
  };
}

/** The impact of draining `nodes` of that cluster with these flags, and more objects. */
export function drain(nodes: string[], flags: Partial<DrainOptions>, extra: { pods?: Pod[]; pdbs?: PodDisruptionBudget[]; workloads?: Workload[]; cordoned?: string[]; notReady?: string[]; surge?: boolean } = {}): DrainImpact {
  const c = cluster();
  return analyzeDrain({
    nodes: nodes.map((n) => node(n, extra.cordoned?.includes(n), extra.notReady?.includes(n))),
    pods: [...c.pods, ...(extra.pods ?? [])],
    pdbs: extra.pdbs ?? [],
    workloads: [...c.workloads, ...(extra.workloads ?? [])],
    options: drainOptions(flags),
    surge: extra.surge,
  });
}
