import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from './plan.js';
import { preflightFindings } from './preflight.js';
import { deployment, healthy, node, pdb, pod, replica, staticPod } from '../audit/testing/cluster.js';

// A kubeadm cluster as in the user stories (audit/testing/cluster.ts): a control-plane node with
// its static pods and three workers; "blue" has 3 replicas spread over the workers. Each case
// changes one thing.

function summary(findings: Finding[]): string[] {
  return findings.map((f) => `${f.severity} ${f.code} ${f.object ?? '-'}`);
}

interface Case {
  story: string;
  change: (s: ReturnType<typeof healthy>) => void;
  expect: string[];
  /** Words the message or fix of the first finding must contain. */
  says?: RegExp[];
}

const cases: Case[] = [
  {
    story: 'a healthy cluster with blue spread over three workers has nothing to report',
    change: () => undefined,
    expect: [],
  },
  {
    story: 'a NotReady control-plane node blocks (kubeadm ControlPlaneNodesReady), a NotReady worker warns',
    change: (s) => {
      s.nodes[0] = node('controlplane', { cp: true, ready: 'Unknown' });
      s.nodes[2] = node('node02', { ready: 'False' });
    },
    expect: ['blocking NodeNotReady node/controlplane', 'warning NodeNotReady node/node02'],
    says: [/there are NotReady control-planes in the cluster: \[controlplane\]/],
  },
  {
    story: 'an already cordoned node is noted: the runbook would uncordon it',
    change: (s) => {
      s.nodes[3] = node('node03', { cordoned: true });
    },
    expect: ['info NodeCordoned node/node03'],
  },
  {
    story: 'a control-plane static pod that is not Running and Ready blocks',
    change: (s) => {
      s.pods[2] = staticPod('kube-scheduler', 'controlplane', { phase: 'Pending', ready: false });
    },
    expect: ['blocking ControlPlanePodNotReady pod kube-system/kube-scheduler-controlplane'],
    says: [/kube-scheduler on controlplane is Pending/],
  },
  {
    story: 'a control-plane node without a scheduler static pod warns (kubeadm StaticPodManifest)',
    change: (s) => {
      s.pods.splice(2, 1);
    },
    expect: ['warning ControlPlanePodMissing node/controlplane'],
    says: [/no kube-scheduler static pod/],
  },
  {
    story: 'no apiserver static pods at all: a managed control plane, said once',
    change: (s) => {
      s.pods = s.pods.filter((p) => p.metadata.namespace !== 'kube-system');
    },
    expect: ['info NoStaticPodControlPlane -'],
  },
  {
    story: 'a bare pod refuses its node\'s drain (blocking) and is lost with --force (warning)',
    change: (s) => {
      s.pods.push(pod('green', 'node01', { labels: { app: 'green' } }));
    },
    expect: ['blocking DrainRefused node/node01', 'warning BarePod pod default/green'],
    says: [/cannot delete Pods that declare no controller \(use --force to override\): default\/green/, /--force/],
  },
  {
    story: 'a single-replica Deployment goes down while its node drains',
    change: (s) => {
      s.workloads.push(...deployment('solo', 1));
      s.pods.push(replica('solo', 'a', 'node02'));
    },
    expect: ['warning SingleReplicaWorkload deployment.apps default/solo'],
    says: [/single replica, on node02/, /--surge/],
  },
  {
    story: 'all replicas on one node: the workload goes down with that node',
    change: (s) => {
      s.workloads.push(...deployment('red', 2));
      s.pods.push(replica('red', 'a', 'node03'), replica('red', 'b', 'node03'));
    },
    expect: ['warning WorkloadGoesDown deployment.apps default/red'],
  },
  {
    story: 'a budget that allows no disruption even at full strength blocks every drain of its pods',
    change: (s) => {
      s.pdbs.push(pdb('blue', 'blue', { minAvailable: 3 }, { disruptionsAllowed: 0, currentHealthy: 3, desiredHealthy: 3, expectedPods: 3 }));
    },
    expect: ['blocking PDBAllowsNoDisruption poddisruptionbudget.policy default/blue'],
    says: [/draining node01, node02, node03 waits for it forever/],
  },
  {
    story: 'a budget that is short only now (a replica unhealthy) makes the drain wait: a warning',
    change: (s) => {
      s.pods[6] = replica('blue', 'c', 'node03', { ready: false });
      s.pdbs.push(pdb('blue', 'blue', { maxUnavailable: 1 }, { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 3 }));
    },
    expect: ['warning PDBBlocksDrain poddisruptionbudget.policy default/blue'],
  },
  {
    story: 'a pod under two budgets makes its eviction fail (500)',
    change: (s) => {
      s.pdbs.push(
        pdb('blue-a', 'blue', { maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 }),
        pdb('blue-b', 'blue', { maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 }),
      );
    },
    expect: ['blocking OverlappingPDBs pod default/blue-rs-a', 'blocking OverlappingPDBs pod default/blue-rs-b', 'blocking OverlappingPDBs pod default/blue-rs-c'],
  },
  {
    story: 'images on :latest or without a tag are reported once per workload; digests and versions are fine; replicas on different images drift',
    change: (s) => {
      s.pods = s.pods.map((p) => (p.metadata.labels?.app === 'blue' ? replica('blue', String(p.metadata.name).slice(-1), p.spec?.nodeName ?? '', { image: 'nginx:latest' }) : p));
      s.workloads.push(...deployment('pinned', 2));
      s.pods.push(replica('pinned', 'a', 'node01', { image: 'nginx@sha256:0123' }), replica('pinned', 'b', 'node02', { image: 'registry.local:5000/nginx' }));
    },
    expect: ['warning ImageNotPinned deployment.apps default/blue', 'warning ImageNotPinned deployment.apps default/pinned', 'warning ImageDrift deployment.apps default/pinned'],
    says: [/nginx:latest \(container app\)/],
  },
];

describe('preflight findings', () => {
  for (const c of cases) {
    it(c.story, () => {
      const s = healthy();
      c.change(s);
      const findings = preflightFindings(s);
      assert.deepEqual(summary(findings), c.expect);
      for (const re of c.says ?? []) assert.match(`${findings[0].message}\n${findings[0].fix}`, re);
    });
  }

  it('puts blocking findings first', () => {
    const s = healthy();
    s.nodes[3] = node('node03', { cordoned: true });
    s.pods.push(pod('green', 'node01'));
    assert.deepEqual(
      preflightFindings(s).map((f) => f.severity),
      ['blocking', 'warning', 'info'],
    );
  });
});
