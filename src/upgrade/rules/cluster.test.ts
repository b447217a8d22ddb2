import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterVersions, Finding } from '../plan.js';
import { parseVersion as v } from '../version.js';
import { type ClusterRule, apiserverVersionsDiffer, clusterEndOfLife, kubeletsLagging, releaseTableStale, skewViolations } from './cluster.js';

// Each rule about the cluster as it stands, alone: control-plane nodes and kubelets in, findings out.

const TODAY = new Date('2026-11-21T12:00:00Z');

interface Spec {
  /** Control-plane node -> its apiserver, controller-manager and scheduler. */
  cp: Record<string, string>;
  kubelets?: Record<string, string>;
  kubeProxy?: string;
  today?: string;
}

function run(rule: ClusterRule, s: Spec): Finding[] {
  const cp = Object.entries(s.cp).map(([node, ver]) => ({ node, version: v(ver) }));
  const cluster: ClusterVersions = {
    apiservers: cp,
    controllerManagers: cp,
    schedulers: cp,
    etcd: { topology: 'stacked', members: [] },
    kubelets: Object.entries(s.kubelets ?? {}).map(([node, ver]) => ({ node, version: v(ver), controlPlane: false })),
    ...(s.kubeProxy ? { kubeProxy: v(s.kubeProxy) } : {}),
    serverVersion: cp[0].version,
  };
  return rule({ cluster, apiservers: cp, today: s.today ? new Date(s.today) : TODAY });
}

const line = (f: Finding) => `${f.severity} ${f.code}${f.object ? ` ${f.object}` : ''}`;

function table(rule: ClusterRule, cases: Array<{ name: string; spec: Spec; expect: string[] }>): void {
  for (const c of cases) it(c.name, () => assert.deepEqual(run(rule, c.spec).map(line), c.expect));
}

describe('cluster rule skewViolations: the version skew policy now', () => {
  table(skewViolations, [
    { name: 'within the policy', spec: { cp: { cp: 'v1.36.5' }, kubelets: { w1: 'v1.33.1' }, kubeProxy: 'v1.36.5' }, expect: [] },
    {
      name: 'a kubelet four minors behind, one newer, and kube-proxy four minors from a kubelet',
      spec: { cp: { cp: 'v1.36.5' }, kubelets: { w1: 'v1.32.13', w2: 'v1.37.1' }, kubeProxy: 'v1.36.5' },
      expect: ['blocking SkewKubeletTooOld node/w1', 'blocking SkewKubeletTooNew node/w2', 'blocking SkewKubeProxyKubelet daemonset.apps kube-system/kube-proxy'],
    },
    {
      name: 'HA apiservers two minors apart: the old static pod is named',
      spec: { cp: { cp1: 'v1.29.15', cp2: 'v1.31.14' } },
      expect: ['blocking SkewKubeApiserverHA pod kube-system/kube-apiserver-cp1'],
    },
  ]);
  it('says what the policy allows, and how to get there', () => {
    const [old] = run(skewViolations, { cp: { cp: 'v1.36.5' }, kubelets: { w1: 'v1.32.13' } });
    assert.equal(
      old.message,
      'kubelet v1.32.13 on node/w1 is outside the supported version skew: allowed v1.33 to v1.36. kubelet may be up to three minor versions older than kube-apiserver (kubelet < 1.25 may only be up to two minor versions older).',
    );
    assert.equal(old.fix, "Drain node/w1, upgrade its kubelet to a version in v1.33 to v1.36 (the control plane's minor is the usual choice), restart the kubelet and uncordon.");
  });
});

describe('cluster rule apiserverVersionsDiffer: kubeadm\'s half-upgraded control plane', () => {
  table(apiserverVersionsDiffer, [
    { name: 'one version', spec: { cp: { cp1: 'v1.31.4', cp2: 'v1.31.4' } }, expect: [] },
    { name: 'two versions', spec: { cp: { cp1: 'v1.32.2', cp2: 'v1.31.4', cp3: 'v1.31.4' } }, expect: ['warning ApiserverVersionsDiffer'] },
  ]);
  it("in kubeadm's words", () =>
    assert.equal(
      run(apiserverVersionsDiffer, { cp: { cp1: 'v1.32.2', cp2: 'v1.31.4', cp3: 'v1.31.4' } })[0].message,
      'Different API server versions in the cluster were discovered: v1.32.2 on [cp1], v1.31.4 on [cp2 cp3].',
    ));
});

describe('cluster rule kubeletsLagging: kubelets at the oldest minor the policy allows', () => {
  table(kubeletsLagging, [
    { name: 'three behind at v1.29 (n-3): blocks the next upgrade', spec: { cp: { cp: 'v1.29.4' }, kubelets: { node01: 'v1.26.3', node02: 'v1.28.1' } }, expect: ['warning KubeletLagging node/node01'] },
    { name: 'two behind at v1.29: fine', spec: { cp: { cp: 'v1.29.4' }, kubelets: { node01: 'v1.27.3' } }, expect: [] },
    { name: 'two behind at v1.27 (n-2 era)', spec: { cp: { cp: 'v1.27.16' }, kubelets: { w1: 'v1.25.16' } }, expect: ['warning KubeletLagging node/w1'] },
    { name: 'level with the control plane', spec: { cp: { cp: 'v1.29.4' }, kubelets: { w1: 'v1.29.4' } }, expect: [] },
  ]);
  it('says how far behind, and up to which version to move', () => {
    const [f] = run(kubeletsLagging, { cp: { cp: 'v1.29.4' }, kubelets: { node01: 'v1.26.3' } });
    assert.equal(
      f.message,
      'kubelet v1.26.3 on node/node01 is 3 minor versions behind kube-apiserver v1.29.4, the most the policy allows: running kubelets persistently 3 minor versions behind means they must be upgraded before the control plane can be upgraded.',
    );
    assert.equal(f.fix, 'Drain node/node01, upgrade its kubelet (up to v1.29), restart it and uncordon, before the next control-plane upgrade.');
  });
});

describe('cluster rule clusterEndOfLife (on 2026-11-21)', () => {
  table(clusterEndOfLife, [
    { name: 'v1.34 ended on 2026-10-27', spec: { cp: { cp: 'v1.34.12' } }, expect: ['warning ClusterEndOfLife'] },
    { name: 'v1.35 is supported', spec: { cp: { cp: 'v1.35.9' } }, expect: [] },
    { name: 'an HA control plane is as old as its oldest apiserver', spec: { cp: { cp1: 'v1.35.9', cp2: 'v1.34.12' } }, expect: ['warning ClusterEndOfLife'] },
    { name: 'a minor the table does not know', spec: { cp: { cp: 'v1.40.0' } }, expect: [] },
  ]);
  it('names the date and the supported minors', () => {
    const [f] = run(clusterEndOfLife, { cp: { cp: 'v1.34.12' } });
    assert.equal(f.message, 'Kubernetes v1.34 reached end of life on 2026-10-27: it gets no more patches, not even security fixes.');
    assert.equal(f.fix, 'Upgrade, one minor at a time, to a supported minor (v1.37, v1.36, v1.35).');
  });
});

describe("cluster rule releaseTableStale: upkeep's table of 2026-09-28, stale after 120 days", () => {
  table(releaseTableStale, [
    { name: '2027-01-26 (120 days)', spec: { cp: { cp: 'v1.36.5' }, today: '2027-01-26T12:00:00Z' }, expect: [] },
    { name: '2027-01-27 (121 days)', spec: { cp: { cp: 'v1.36.5' }, today: '2027-01-27T12:00:00Z' }, expect: ['info ReleaseTableStale'] },
  ]);
});
