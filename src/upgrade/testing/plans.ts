// Plans as the renderers and the runbook read them, for their tests: an HA kubeadm cluster (cp1,
// cp2, stacked etcd) with two workers, node02 and node01 listed out of order.
import type { ComponentRow, Finding, Hop, UpgradePlan } from '../plan.js';
import { parseVersion as V } from '../version.js';

export function row(component: string, node: string, current: string, target: string): ComponentRow {
  return { component, node, current, target };
}

/** One hop of the HA cluster, from v1.31.4 to v1.32.9 unless told. */
export function hop(from = 'v1.31.4', to = 'v1.32.9', over: Partial<Hop> = {}): Hop {
  return {
    from: V(from),
    to: V(to),
    kubeletsFirst: [],
    kubelets: ['cp1', 'cp2', 'node01', 'node02'].map((n) => row('kubelet', n, from, to)),
    controlPlane: [
      ...['cp1', 'cp2'].flatMap((n) => ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) => row(c, n, from, to))),
      row('kube-proxy', '', from.slice(1), to),
      row('CoreDNS', '', 'v1.11.3', 'v1.11.3'),
      row('etcd', 'cp1', '3.5.15-0', '3.5.24-0'),
      row('etcd', 'cp2', '3.5.15-0', '3.5.24-0'),
    ],
    findings: [],
    ...over,
  };
}

/** A plan of these hops, to the last one's target (v1.31.4 when there is none). */
export function plan(hops: Hop[], findings: Finding[] = []): UpgradePlan {
  return {
    current: hops[0]?.from ?? V('v1.31.4'),
    target: hops.length ? hops[hops.length - 1].to : V('v1.31.4'),
    hops,
    findings,
    blocking: findings.some((f) => f.severity === 'blocking'),
    releasesAsOf: '2026-09-28',
  };
}

export const NODES = [
  { name: 'node02', controlPlane: false },
  { name: 'cp2', controlPlane: true },
  { name: 'node01', controlPlane: false },
  { name: 'cp1', controlPlane: true },
];
