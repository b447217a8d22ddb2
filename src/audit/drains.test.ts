import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { drainOptions } from '../drain/types.js';
import { blockingBudgets, overlappingBudgets, refusedDrains, workloadsAtRisk } from './drains.js';
import type { Finding } from './finding.js';
import { type AuditRule, type Maintenance, AUDIT_RULES, audit, auditInput, drainEachNode } from './rules.js';
import type { Snapshot } from './snapshot.js';
import { deployment, healthy, node, pdb, pod, replica } from './testing/cluster.js';

// The availability rules over the story cluster (testing/cluster.ts: blue's 3 replicas on
// node01..03), each node drained on its own as an upgrade runbook does it.

const UPGRADE: Maintenance = {
  operation: 'the upgrade',
  nodeDone: 'upgraded',
  drain: { options: drainOptions({ ignoreDaemonSets: true }), flags: ['--ignore-daemonsets'], name: "the runbook's drain" },
};

/** kubectl drain with no flags at all. */
const PLAIN: Maintenance = { operation: 'maintenance', nodeDone: 'back', drain: { options: drainOptions(), flags: [], name: 'a plain drain' } };

interface Case {
  story: string;
  change: (s: Snapshot) => void;
  maintenance?: Maintenance;
  expect: string[];
}

const line = (f: Finding) => `${f.severity} ${f.code} ${f.object ?? '-'}`;

function table(rule: AuditRule, cases: Case[]): void {
  for (const c of cases) {
    it(c.story, () => {
      const s = healthy();
      c.change(s);
      assert.deepEqual(rule(auditInput(s, c.maintenance ?? UPGRADE)).map(line), c.expect);
    });
  }
}

function findings(rule: AuditRule, change: (s: Snapshot) => void, maintenance = UPGRADE): Finding[] {
  const s = healthy();
  change(s);
  return rule(auditInput(s, maintenance));
}

const bare = (s: Snapshot) => void s.pods.push(pod('green', 'node01', { labels: { app: 'green' } }));

describe('drainEachNode: one drain per node that has pods, by name', () => {
  it('the control-plane node (its static pods) and the workers; an empty node is left out', () => {
    const s = healthy();
    s.nodes.unshift(node('node04'));
    assert.deepEqual(
      drainEachNode(s, UPGRADE.drain.options).map((d) => d.nodes.map((n) => `${n.name}: ${n.pods.map((p) => `${p.name} ${p.fate}`).join(', ')}`)),
      [
        ['controlplane: kube-apiserver-controlplane skip, kube-controller-manager-controlplane skip, kube-scheduler-controlplane skip, etcd-controlplane skip'],
        ['node01: blue-rs-a evict'],
        ['node02: blue-rs-b evict'],
        ['node03: blue-rs-c evict'],
      ],
    );
  });
});

describe('audit rule refusedDrains: nodes whose drain evicts nothing', () => {
  table(refusedDrains, [
    { story: 'blue spread over three workers: every drain goes through', change: () => undefined, expect: [] },
    { story: 'a bare pod refuses its node', change: bare, expect: ['blocking DrainRefused node/node01'] },
    {
      story: 'emptyDir data refuses its node',
      change: (s) => {
        s.workloads.push(...deployment('cache', 2));
        s.pods.push(replica('cache', 'a', 'node02', { emptyDir: true }), replica('cache', 'b', 'node03'));
      },
      expect: ['blocking DrainRefused node/node02'],
    },
    {
      story: 'without --ignore-daemonsets, a DaemonSet pod refuses its node',
      maintenance: PLAIN,
      change: (s) => {
        s.workloads.push({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'logs', namespace: 'default', uid: 'uid-logs' }, spec: { selector: {}, template: {} }, status: { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberMisscheduled: 0, numberReady: 1 } });
        s.pods.push(pod('logs-x', 'node03', { owner: ['DaemonSet', 'logs'] }));
      },
      expect: ['blocking DrainRefused node/node03'],
    },
  ]);

  // kubectl's own words, doubled "cannot delete" included (its error list prefixes the filter's message).
  it('says what kubectl would print, the flags that get past it and what they lose', () => {
    assert.deepEqual(findings(refusedDrains, bare), [
      {
        severity: 'blocking',
        code: 'DrainRefused',
        object: 'node/node01',
        message:
          "kubectl drain node01 --ignore-daemonsets (the runbook's drain) would refuse node01, evict nothing and leave it cordoned: cannot delete cannot delete Pods that declare no controller (use --force to override): default/green",
        fix: "move or delete those pods first, or drain with --force; with them, default/green is lost (upkeep drain node01 --ignore-daemonsets --force --dry-run shows every pod's fate)",
      },
    ]);
  });

  it("names the drain the maintenance runs, with that drain's flags", () => {
    const [f] = findings(refusedDrains, bare, PLAIN);
    assert.match(f.message, /^kubectl drain node01 \(a plain drain\) would refuse node01/);
    assert.match(f.fix, /\(upkeep drain node01 --force --dry-run shows every pod's fate\)$/);
  });
});

describe('audit rule blockingBudgets: PodDisruptionBudgets that stop or stall a drain', () => {
  const atFullStrength = (s: Snapshot) => void s.pdbs.push(pdb('blue', 'blue', { minAvailable: 3 }, { disruptionsAllowed: 0, currentHealthy: 3, desiredHealthy: 3, expectedPods: 3 }));
  table(blockingBudgets, [
    { story: 'no budget', change: () => undefined, expect: [] },
    {
      story: 'maxUnavailable 1 with every replica healthy allows each drain',
      change: (s) => void s.pdbs.push(pdb('blue', 'blue', { maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 })),
      expect: [],
    },
    { story: 'minAvailable equal to the replicas allows no disruption ever: blocking', change: atFullStrength, expect: ['blocking PDBAllowsNoDisruption poddisruptionbudget.policy default/blue'] },
    {
      story: 'a budget short only now (a replica unhealthy): the drains wait, a warning',
      change: (s) => {
        s.pods[6] = replica('blue', 'c', 'node03', { ready: false });
        s.pdbs.push(pdb('blue', 'blue', { maxUnavailable: 1 }, { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 3 }));
      },
      expect: ['warning PDBBlocksDrain poddisruptionbudget.policy default/blue'],
    },
  ]);

  it('names every node whose drain it stops, and how to relax it', () => {
    assert.deepEqual(findings(blockingBudgets, atFullStrength), [
      {
        severity: 'blocking',
        code: 'PDBAllowsNoDisruption',
        object: 'poddisruptionbudget.policy default/blue',
        message: 'PodDisruptionBudget default/blue allows no disruption even at full strength (3 healthy of 3 required): draining node01, node02, node03 waits for it forever',
        fix: 'relax it (maxUnavailable: 1), or scale its workload above 3; or drain with --disable-eviction, accepting the outage the budget exists to prevent',
      },
    ]);
  });
});

describe('audit rule overlappingBudgets: pods under more than one budget', () => {
  const twoBudgets = (s: Snapshot) =>
    void s.pdbs.push(
      pdb('blue-a', 'blue', { maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 }),
      pdb('blue-b', 'blue', { maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 }),
    );
  table(overlappingBudgets, [
    { story: 'one budget', change: (s) => void s.pdbs.push(pdb('blue', 'blue', { maxUnavailable: 1 })), expect: [] },
    {
      story: 'two budgets select blue: each of its pods',
      change: twoBudgets,
      expect: ['blocking OverlappingPDBs pod default/blue-rs-a', 'blocking OverlappingPDBs pod default/blue-rs-b', 'blocking OverlappingPDBs pod default/blue-rs-c'],
    },
  ]);
  it('says what the eviction API answers', () => {
    const [f] = findings(overlappingBudgets, twoBudgets);
    assert.equal(
      f.message,
      'pod default/blue-rs-a on node01 is selected by more than one PodDisruptionBudget (default/blue-a, default/blue-b): the eviction API answers 500 and the drain of node01 fails',
    );
  });
});

describe('audit rule workloadsAtRisk: what a drain takes down or loses', () => {
  table(workloadsAtRisk, [
    { story: 'blue keeps two of three replicas through each drain', change: () => undefined, expect: [] },
    {
      story: 'a single-replica Deployment goes down while its node drains',
      change: (s) => {
        s.workloads.push(...deployment('solo', 1));
        s.pods.push(replica('solo', 'a', 'node02'));
      },
      expect: ['warning SingleReplicaWorkload deployment.apps default/solo'],
    },
    {
      story: 'every replica on one node: the workload goes down with it',
      change: (s) => {
        s.workloads.push(...deployment('red', 2));
        s.pods.push(replica('red', 'a', 'node03'), replica('red', 'b', 'node03'));
      },
      expect: ['warning WorkloadGoesDown deployment.apps default/red'],
    },
    { story: 'a bare pod is lost', change: bare, expect: ['warning BarePod pod default/green'] },
    {
      story: 'pods of a DaemonSet that is gone are lost, named one by one',
      change: (s) => void s.pods.push(pod('ds-x', 'node02', { owner: ['DaemonSet', 'gone'] }), pod('ds-y', 'node02', { owner: ['DaemonSet', 'gone'] })),
      expect: ['warning OrphanedPod pod default/ds-x, pod default/ds-y'],
    },
  ]);

  it('suggests --surge for a single replica, on the drain the maintenance runs', () => {
    const [f] = findings(workloadsAtRisk, (s) => {
      s.workloads.push(...deployment('solo', 1));
      s.pods.push(replica('solo', 'a', 'node02'));
    });
    assert.equal(f.message, 'deployment.apps default/solo has a single replica, on node02: draining node02 takes it down until its replacement is ready elsewhere');
    assert.equal(f.fix, 'run 2 or more replicas spread over nodes (with a PodDisruptionBudget), or drain with upkeep drain node02 --ignore-daemonsets --surge (starts a replacement elsewhere first)');
  });

  it('tells how to bring a bare pod back after the node is done', () => {
    assert.equal(findings(workloadsAtRisk, bare)[0].fix, 'run it under a Deployment (or StatefulSet), or recreate it by hand after node01 is upgraded');
    assert.equal(findings(workloadsAtRisk, bare, PLAIN)[0].fix, 'run it under a Deployment (or StatefulSet), or recreate it by hand after node01 is back');
  });
});

describe('the audit', () => {
  it('runs refused drains, budgets, overlaps, workloads, images and pinned pods, in that order', () => {
    assert.deepEqual(AUDIT_RULES.map((r) => r.name), ['refusedDrains', 'blockingBudgets', 'overlappingBudgets', 'workloadsAtRisk', 'unpinnedImages', 'pullPolicyTraps', 'imageDrift', 'pinnedPods']);
    const s = healthy();
    bare(s);
    s.pods.push(pod('tool', 'node03', { image: 'busybox' }));
    s.pods.push({ ...pod('pinned', 'node02', { image: 'busybox:1.36' }), spec: { nodeName: 'node02', nodeSelector: { 'kubernetes.io/hostname': 'node02' }, containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    assert.deepEqual(audit(s, UPGRADE).map(line), [
      'blocking DrainRefused node/node01',
      'blocking DrainRefused node/node02',
      'blocking DrainRefused node/node03',
      'warning BarePod pod default/green',
      'warning BarePod pod default/pinned',
      'warning BarePod pod default/tool',
      'warning ImageNotPinned pod default/tool',
      'warning PodPinnedToNode pod default/pinned',
    ]);
  });
});
