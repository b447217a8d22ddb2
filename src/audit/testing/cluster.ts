// A kubeadm cluster as in the user stories, as objects for the audit's and preflight's tests: a
// control-plane node with its static pods and three workers; "blue" has 3 replicas spread over
// the workers. Tests change one thing at a time.
import type { Deployment, Node, Pod, PodDisruptionBudget, ReplicaSet } from '../../api/types.js';
import type { Snapshot } from '../snapshot.js';

export interface NodeOpts {
  cp?: boolean;
  ready?: 'True' | 'False' | 'Unknown';
  cordoned?: boolean;
}

export function node(name: string, o: NodeOpts = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.cp ? { 'node-role.kubernetes.io/control-plane': '' } : {}) } },
    spec: o.cordoned ? { unschedulable: true } : {},
    status: { conditions: [{ type: 'Ready', status: o.ready ?? 'True' }] },
  };
}

export interface PodOpts {
  ns?: string;
  owner?: [string, string];
  labels?: Record<string, string>;
  image?: string;
  phase?: string;
  ready?: boolean;
  mirror?: boolean;
  emptyDir?: boolean;
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
    spec: { nodeName, containers: [{ name: 'app', image: o.image ?? 'nginx:1.27.3' }], ...(o.emptyDir ? { volumes: [{ name: 'data', emptyDir: {} }] } : {}) },
    status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

export function staticPod(component: string, nodeName: string, o: { phase?: string; ready?: boolean } = {}): Pod {
  const p = pod(`${component}-${nodeName}`, nodeName, { ns: 'kube-system', labels: { component, tier: 'control-plane' }, image: `registry.k8s.io/${component}:v1.31.4`, mirror: true, ...o });
  p.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: `uid-${nodeName}`, controller: true }];
  return p;
}

/** A Deployment and its ReplicaSet (`<name>-rs`). */
export function deployment(name: string, replicas: number): [Deployment, ReplicaSet] {
  const selector = { matchLabels: { app: name } };
  const template = { metadata: { labels: { app: name } }, spec: { containers: [] } };
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { replicas, selector, template } },
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `${name}-rs`, namespace: 'default', uid: `uid-${name}-rs`, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: `uid-${name}`, controller: true }] },
      spec: { replicas, selector, template },
    },
  ];
}

/** A pod of deployment(name)'s ReplicaSet. */
export function replica(name: string, i: string, nodeName: string, o: PodOpts = {}): Pod {
  return pod(`${name}-rs-${i}`, nodeName, { owner: ['ReplicaSet', `${name}-rs`], labels: { app: name }, ...o });
}

type BudgetSpec = Pick<NonNullable<PodDisruptionBudget['spec']>, 'minAvailable' | 'maxUnavailable'>;
type BudgetStatus = Omit<NonNullable<PodDisruptionBudget['status']>, 'observedGeneration'>;

export function pdb(name: string, app: string, spec: BudgetSpec, status?: BudgetStatus): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: 'default', generation: 1 },
    spec: { selector: { matchLabels: { app } }, ...spec },
    ...(status ? { status: { observedGeneration: 1, ...status } } : {}),
  };
}

export function healthy(): Snapshot {
  return {
    nodes: [node('controlplane', { cp: true }), node('node01'), node('node02'), node('node03')],
    pods: [
      ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'].map((c) => staticPod(c, 'controlplane')),
      replica('blue', 'a', 'node01'),
      replica('blue', 'b', 'node02'),
      replica('blue', 'c', 'node03'),
    ],
    pdbs: [],
    workloads: deployment('blue', 3),
    now: Date.parse('2025-01-01T00:00:00Z'),
  };
}
