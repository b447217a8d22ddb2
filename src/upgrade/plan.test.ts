import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ClusterVersions, type Finding, type Hop, type UpgradePlan, planUpgrade } from './plan.js';
import type { ApiUsage } from './removedapis.js';
import { formatVersion, parseVersion } from './version.js';

const v = parseVersion;
const TODAY = new Date('2026-11-21T12:00:00Z');

interface Spec {
  /** Control-plane node -> version of its apiserver, controller-manager, scheduler and kubelet. */
  controlPlane: Record<string, string>;
  workers?: Record<string, string>;
  /** Control-plane kubelets that differ from their node's control plane. */
  controlPlaneKubelets?: Record<string, string>;
  etcd?: 'stacked' | 'external';
  etcdVersion?: string;
  kubeProxy?: string | null;
  coreDNS?: string | null;
}

/** A kubeadm cluster as discovery would report it. */
function cluster(s: Spec): ClusterVersions {
  const cp = Object.entries(s.controlPlane);
  const lowest = cp.map(([, ver]) => v(ver)).sort((a, b) => a.minor - b.minor || a.patch - b.patch)[0];
  const c: ClusterVersions = {
    apiservers: cp.map(([node, ver]) => ({ node, version: v(ver) })),
    controllerManagers: cp.map(([node, ver]) => ({ node, version: v(ver) })),
    schedulers: cp.map(([node, ver]) => ({ node, version: v(ver) })),
    etcd: {
      topology: s.etcd ?? 'stacked',
      members: (s.etcd ?? 'stacked') === 'stacked' ? cp.map(([node]) => ({ node, version: s.etcdVersion ?? '3.5.16-0' })) : [{ version: s.etcdVersion ?? '3.5.16-0' }],
    },
    kubelets: [
      ...cp.map(([node, ver]) => ({ node, version: v(s.controlPlaneKubelets?.[node] ?? ver), controlPlane: true })),
      ...Object.entries(s.workers ?? {}).map(([node, ver]) => ({ node, version: v(ver), controlPlane: false })),
    ],
    serverVersion: cp.map(([, ver]) => v(ver)).sort((a, b) => b.minor - a.minor || b.patch - a.patch)[0],
  };
  if (s.kubeProxy !== null) c.kubeProxy = v(s.kubeProxy ?? formatVersion(lowest));
  if (s.coreDNS !== null) c.coreDNS = s.coreDNS ?? 'v1.11.1';
  return c;
}

function plan(s: Spec, target: string | null, extra: { findings?: Finding[]; removedApiUsages?: ApiUsage[]; today?: Date } = {}): UpgradePlan {
  return planUpgrade(cluster(s), target === null ? null : v(target), { today: TODAY, ...extra });
}

const moves = (list: Hop['kubeletsFirst'] | undefined) =>
  (list ?? []).map((m) => `${m.node} ${m.from} -> ${m.to}${m.skips && m.skips.length > 0 ? ` (skips ${m.skips.join(', ')})` : ''}`);
const codes = (p: UpgradePlan, severity?: string) => p.findings.filter((f) => !severity || f.severity === severity).map((f) => f.code);
const find = (p: UpgradePlan, code: string) => p.findings.filter((f) => f.code === code);

describe('planUpgrade: the chain of hops', () => {
  const cases: Array<{
    name: string;
    spec: Spec;
    target: string;
    hops: string[];
    first: string[][];
    after: string[][];
  }> = [
    {
      name: 'reference example: 1.29 with 1.29 workers -> 1.33: CP 1.30, 1.31, 1.32; workers -> 1.32; CP 1.33; workers 1.33',
      spec: { controlPlane: { controlplane: 'v1.29.15' }, workers: { node01: 'v1.29.15', node02: 'v1.29.15' } },
      target: 'v1.33',
      hops: ['v1.30.14', 'v1.31.14', 'v1.32.13', 'v1.33.13'],
      first: [[], [], [], ['node01 v1.29.15 -> v1.32.13 (skips 1.30, 1.31)', 'node02 v1.29.15 -> v1.32.13 (skips 1.30, 1.31)']],
      after: [
        ['controlplane v1.29.15 -> v1.30.14'],
        ['controlplane v1.30.14 -> v1.31.14'],
        ['controlplane v1.31.14 -> v1.32.13'],
        ['controlplane v1.32.13 -> v1.33.13', 'node01 v1.32.13 -> v1.33.13', 'node02 v1.32.13 -> v1.33.13'],
      ],
    },
    {
      name: 'the issue: control plane 1.29 with kubelets 1.26 -> 1.33',
      spec: { controlPlane: { controlplane: 'v1.29.4' }, workers: { node01: 'v1.26.3', node02: 'v1.29.4' } },
      target: 'v1.33',
      hops: ['v1.30.14', 'v1.31.14', 'v1.32.13', 'v1.33.13'],
      first: [['node01 v1.26.3 -> v1.29.4 (skips 1.27, 1.28)'], [], [], ['node01 v1.29.4 -> v1.32.13 (skips 1.30, 1.31)', 'node02 v1.29.4 -> v1.32.13 (skips 1.30, 1.31)']],
      after: [
        ['controlplane v1.29.4 -> v1.30.14'],
        ['controlplane v1.30.14 -> v1.31.14'],
        ['controlplane v1.31.14 -> v1.32.13'],
        ['controlplane v1.32.13 -> v1.33.13', 'node01 v1.32.13 -> v1.33.13', 'node02 v1.32.13 -> v1.33.13'],
      ],
    },
    {
      name: 'the n-2 era: control plane 1.24 with kubelets 1.22 -> 1.27',
      spec: { controlPlane: { cp: 'v1.24.17' }, workers: { w1: 'v1.22.17' } },
      target: 'v1.27',
      hops: ['v1.25.16', 'v1.26.15', 'v1.27.16'],
      first: [['w1 v1.22.17 -> v1.24.17 (skips 1.23)'], [], ['w1 v1.24.17 -> v1.26.15 (skips 1.25)']],
      after: [['cp v1.24.17 -> v1.25.16'], ['cp v1.25.16 -> v1.26.15'], ['cp v1.26.15 -> v1.27.16', 'w1 v1.26.15 -> v1.27.16']],
    },
    {
      name: 'the n-3 boundary: control plane 1.27 with 1.25 kubelets -> 1.28 moves nobody first',
      spec: { controlPlane: { cp: 'v1.27.16' }, workers: { w1: 'v1.25.16' } },
      target: 'v1.28.15',
      hops: ['v1.28.15'],
      first: [[]],
      after: [['cp v1.27.16 -> v1.28.15', 'w1 v1.25.16 -> v1.28.15 (skips 1.26, 1.27)']],
    },
    {
      name: 'just before it: control plane 1.26 with 1.24 kubelets -> 1.27 still needs n-2',
      spec: { controlPlane: { cp: 'v1.26.15' }, workers: { w1: 'v1.24.17' } },
      target: 'v1.27',
      hops: ['v1.27.16'],
      first: [['w1 v1.24.17 -> v1.26.15 (skips 1.25)']],
      after: [['cp v1.26.15 -> v1.27.16', 'w1 v1.26.15 -> v1.27.16']],
    },
    {
      name: 'one hop with workers two minors behind: they stay until the end, then skip',
      spec: { controlPlane: { cp: 'v1.31.14' }, workers: { w1: 'v1.29.15' } },
      target: 'v1.32',
      hops: ['v1.32.13'],
      first: [[]],
      after: [['cp v1.31.14 -> v1.32.13', 'w1 v1.29.15 -> v1.32.13 (skips 1.30, 1.31)']],
    },
    {
      name: 'a lagging control-plane kubelet follows the control plane in every hop',
      spec: { controlPlane: { cp: 'v1.34.12' }, controlPlaneKubelets: { cp: 'v1.33.13' }, workers: { w1: 'v1.34.12' } },
      target: 'v1.36',
      hops: ['v1.35.9', 'v1.36.5'],
      first: [[], []],
      after: [['cp v1.33.13 -> v1.35.9 (skips 1.34)'], ['cp v1.35.9 -> v1.36.5', 'w1 v1.34.12 -> v1.36.5 (skips 1.35)']],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = plan(c.spec, c.target);
      assert.deepEqual(p.hops.map((h) => formatVersion(h.to)), c.hops);
      assert.deepEqual(p.hops.map((h) => moves(h.kubeletsFirst)), c.first);
      assert.deepEqual(p.hops.map((h) => moves(h.kubeletsAfter)), c.after);
      // Each hop starts where the previous one ended, one minor at a time.
      p.hops.forEach((h, i) => {
        if (i > 0) assert.equal(formatVersion(h.from), formatVersion(p.hops[i - 1].to));
        assert.ok(h.to.minor - h.from.minor <= 1);
      });
      // No kubelet is ever newer than the control plane it joins, nor out of skew once a hop is done.
      for (const h of p.hops) {
        for (const m of h.kubeletsFirst) assert.ok(v(m.to).minor <= h.from.minor, `${m.node} before ${h.label}`);
        for (const row of h.kubelets) assert.ok(h.to.minor - v(row.target).minor <= 3 && v(row.target).minor <= h.to.minor, `${row.node} after ${h.label}`);
      }
    });
  }
});

describe('planUpgrade: tables in kubeadm layout', () => {
  it("lists the control plane in kubeadm's order, and one kubelet row per node", () => {
    const p = plan({ controlPlane: { controlplane: 'v1.34.3' }, workers: { node01: 'v1.34.3' }, etcdVersion: '3.6.5-0', coreDNS: 'v1.12.1' }, 'v1.35');
    const [h] = p.hops;
    assert.deepEqual(
      h.controlPlane.map((r) => [r.component, r.node, r.current, r.target]),
      [
        ['kube-apiserver', 'controlplane', 'v1.34.3', 'v1.35.9'],
        ['kube-controller-manager', 'controlplane', 'v1.34.3', 'v1.35.9'],
        ['kube-scheduler', 'controlplane', 'v1.34.3', 'v1.35.9'],
        ['kube-proxy', '', 'v1.34.3', 'v1.35.9'],
        ['CoreDNS', '', 'v1.12.1', 'v1.13.1'],
        ['etcd', 'controlplane', '3.6.5-0', '3.6.6-0'],
      ],
    );
    assert.deepEqual(
      h.kubelets.map((r) => [r.component, r.node, r.current, r.target]),
      [
        ['kubelet', 'controlplane', 'v1.34.3', 'v1.35.9'],
        ['kubelet', 'node01', 'v1.34.3', 'v1.35.9'],
      ],
    );
    assert.equal(h.label, 'v1.34 -> v1.35');
  });

  it('never downgrades etcd or CoreDNS that are newer than what kubeadm would install', () => {
    const p = plan({ controlPlane: { cp: 'v1.34.12' }, etcdVersion: '3.6.9-0', coreDNS: 'v1.14.2' }, 'v1.35');
    const rows = p.hops[0].controlPlane.filter((r) => r.component === 'etcd' || r.component === 'CoreDNS');
    assert.deepEqual(rows.map((r) => `${r.component} ${r.current} -> ${r.target}`), ['CoreDNS v1.14.2 -> v1.14.2', 'etcd 3.6.9-0 -> 3.6.9-0']);
  });

  it('leaves out etcd rows for external etcd, and says kubeadm will not upgrade it', () => {
    const p = plan({ controlPlane: { cp: 'v1.32.13' }, etcd: 'external' }, 'v1.33');
    assert.equal(p.hops[0].controlPlane.filter((r) => r.component === 'etcd').length, 0);
    assert.deepEqual(find(p, 'ExternalEtcd').map((f) => f.hop), ['v1.32 -> v1.33']);
  });

  it('has one etcd row per stacked member in an HA control plane', () => {
    const p = plan({ controlPlane: { cp1: 'v1.32.13', cp2: 'v1.32.13', cp3: 'v1.32.13' } }, 'v1.33');
    assert.deepEqual(p.hops[0].controlPlane.filter((r) => r.component === 'etcd').map((r) => r.node), ['cp1', 'cp2', 'cp3']);
    assert.deepEqual(p.hops[0].controlPlane.filter((r) => r.component === 'kube-apiserver').map((r) => r.node), ['cp1', 'cp2', 'cp3']);
  });

  it('plans from /version when no control-plane pods were found (managed control plane)', () => {
    const c: ClusterVersions = {
      apiservers: [],
      controllerManagers: [],
      schedulers: [],
      etcd: { topology: 'external', members: [] },
      kubelets: [{ node: 'ip-10-0-1-5', version: v('v1.33.5-eks-113cf36'), controlPlane: false }],
      serverVersion: v('v1.33.5-eks-3025e55'),
    };
    const p = planUpgrade(c, v('v1.34'), { today: TODAY });
    assert.equal(formatVersion(p.current), 'v1.33.5-eks-3025e55');
    assert.deepEqual(p.hops[0].controlPlane.map((r) => [r.component, r.node, r.target]), [['kube-apiserver', '', 'v1.34.12']]);
    assert.deepEqual(moves(p.hops[0].kubeletsAfter), ['ip-10-0-1-5 v1.33.5-eks-113cf36 -> v1.34.12']);
  });
});

describe('planUpgrade: findings', () => {
  it('with no target, reports only how the cluster stands now', () => {
    const healthy = plan({ controlPlane: { cp: 'v1.36.5' }, workers: { w1: 'v1.35.9' } }, null);
    assert.equal(healthy.target, null);
    assert.deepEqual(healthy.hops, []);
    assert.deepEqual(codes(healthy), []);
    assert.equal(healthy.blocking, false);

    const broken = plan({ controlPlane: { cp: 'v1.36.5' }, workers: { w1: 'v1.32.13', w2: 'v1.37.1' } }, null);
    // kube-proxy runs the control plane's 1.36 next to w1's 1.32 kubelet: four apart, also out of skew.
    assert.deepEqual(codes(broken, 'blocking'), ['SkewKubeletTooOld', 'SkewKubeletTooNew', 'SkewKubeProxyKubelet']);
    assert.equal(broken.blocking, true);
    const [old] = find(broken, 'SkewKubeletTooOld');
    assert.equal(old.object, 'node/w1');
    assert.match(old.message, /kubelet v1\.32\.13 on node\/w1 .*allowed v1\.33 to v1\.36/);
    assert.match(old.fix, /Drain node\/w1/);
  });

  it('warns about kubelets at the oldest allowed minor: they block the next control-plane upgrade', () => {
    const p = plan({ controlPlane: { cp: 'v1.29.4' }, workers: { node01: 'v1.26.3', node02: 'v1.28.1' } }, null);
    assert.deepEqual(find(p, 'KubeletLagging').map((f) => [f.severity, f.object]), [['warning', 'node/node01']]);
    assert.equal(p.blocking, false);
  });

  it('blocks on HA apiservers two minors apart, and still lets the old one catch up hop by hop', () => {
    const p = plan({ controlPlane: { cp1: 'v1.29.15', cp2: 'v1.31.14' }, workers: { w1: 'v1.29.15' } }, 'v1.32');
    assert.equal(p.blocking, true);
    assert.deepEqual(find(p, 'SkewKubeApiserverHA').map((f) => f.object), ['pod kube-system/kube-apiserver-cp1']);
    assert.equal(find(p, 'ApiserverVersionsDiffer').length, 1);
    assert.equal(formatVersion(p.current), 'v1.31.14'); // kubeadm's cluster version: the highest apiserver
    assert.deepEqual(p.hops.map((h) => formatVersion(h.to)), ['v1.30.14', 'v1.31.14', 'v1.32.13']);
    assert.deepEqual(
      p.hops[0].controlPlane.filter((r) => r.component === 'kube-apiserver').map((r) => `${r.node} ${r.current} -> ${r.target}`),
      ['cp1 v1.29.15 -> v1.30.14', 'cp2 v1.31.14 -> v1.31.14'],
    );
  });

  it('says so when everything is already at the target', () => {
    for (const target of ['v1.35', 'v1.35.9', 'v1.35.2']) {
      const p = plan({ controlPlane: { cp: 'v1.35.9' }, workers: { w1: 'v1.35.9' } }, target);
      if (target === 'v1.35.2') {
        assert.deepEqual(codes(p, 'blocking'), ['Downgrade']);
        continue;
      }
      assert.deepEqual(p.hops, [], target);
      assert.deepEqual(codes(p), ['AlreadyAtTarget'], target);
      assert.equal(p.blocking, false);
    }
  });

  it('finishes kubelets left behind at an older patch, without touching the control plane', () => {
    const p = plan({ controlPlane: { cp: 'v1.35.9' }, workers: { w1: 'v1.35.4' } }, 'v1.35');
    assert.equal(p.hops.length, 1);
    assert.equal(p.hops[0].label, 'v1.35.9 -> v1.35.9');
    assert.ok(p.hops[0].controlPlane.filter((r) => r.component.startsWith('kube-')).every((r) => r.current === r.target));
    assert.deepEqual(moves(p.hops[0].kubeletsAfter), ['w1 v1.35.4 -> v1.35.9']);
    assert.equal(find(p, 'PackageRepository').length, 0);
  });

  it('plans a patch upgrade as one hop to the latest known patch, with no repository switch', () => {
    const p = plan({ controlPlane: { cp: 'v1.36.1' }, workers: { w1: 'v1.36.1' } }, 'v1.36');
    assert.equal(formatVersion(p.target ?? v('0.0.0')), 'v1.36.5');
    assert.deepEqual(p.hops.map((h) => h.label), ['v1.36.1 -> v1.36.5']);
    assert.deepEqual(codes(p, 'warning'), []);
    assert.equal(find(p, 'PackageRepository').length, 0);
    assert.equal(find(p, 'OneMinorAtATime').length, 0);
  });

  const targetCases: Array<{ name: string; cp: string; target: string; blocking: string[]; warnings: string[]; hops: number }> = [
    { name: 'a downgrade to an older minor', cp: 'v1.31.4', target: 'v1.30', blocking: ['Downgrade'], warnings: ['ClusterEndOfLife'], hops: 0 },
    { name: 'a downgrade to an older patch', cp: 'v1.36.4', target: 'v1.36.2', blocking: ['Downgrade'], warnings: [], hops: 0 },
    { name: 'a jump to a minor upkeep does not know', cp: 'v1.36.5', target: 'v1.40', blocking: ['UnknownVersion'], warnings: [], hops: 0 },
    { name: 'a patch newer than upkeep knows', cp: 'v1.36.5', target: 'v1.36.9', blocking: [], warnings: ['UnknownPatch'], hops: 1 },
    { name: 'a target past end of life', cp: 'v1.32.13', target: 'v1.33', blocking: [], warnings: ['ClusterEndOfLife', 'TargetEndOfLife'], hops: 1 },
    { name: 'a supported target', cp: 'v1.34.12', target: 'v1.35', blocking: [], warnings: ['ClusterEndOfLife'], hops: 1 },
    { name: 'a release candidate', cp: 'v1.36.5', target: 'v1.37.0-rc.1', blocking: [], warnings: ['PreReleaseTarget'], hops: 1 },
    { name: 'a different major', cp: 'v1.36.5', target: 'v2.0.0', blocking: ['UnsupportedTarget'], warnings: [], hops: 0 },
  ];
  for (const c of targetCases) {
    it(`target checks: ${c.name}`, () => {
      const p = plan({ controlPlane: { cp: c.cp } }, c.target);
      assert.deepEqual(codes(p, 'blocking'), c.blocking);
      assert.deepEqual(codes(p, 'warning'), c.warnings);
      assert.equal(p.hops.length, c.hops);
      assert.equal(p.blocking, c.blocking.length > 0);
    });
  }

  it('explains a downgrade and how to go back', () => {
    const [f] = find(plan({ controlPlane: { cp: 'v1.31.4' } }, 'v1.30'), 'Downgrade');
    assert.match(f.message, /"v1\.30" is lower than the cluster version v1\.31\.4/);
    assert.match(f.fix, /restore the etcd snapshot/);
  });

  it('stops at a minor the release table does not know instead of inventing the hops to it', () => {
    const p = plan({ controlPlane: { cp: 'v1.36.5' } }, 'v1.40');
    assert.deepEqual(p.hops.map((h) => formatVersion(h.to)), []);
    assert.match(find(p, 'UnknownVersion')[0].message, /v1\.40 is not in upkeep's release table \(as of 2026-09-28; newest known v1\.37\)/);
  });

  it('names the kubeadm flag a pre-release target needs', () => {
    const [f] = find(plan({ controlPlane: { cp: 'v1.36.5' } }, 'v1.37.0-rc.1'), 'PreReleaseTarget');
    assert.match(f.fix, /--allow-release-candidate-upgrades/);
  });

  it('turns every kubelet that must move first into a warning naming the node, the hop and the fix', () => {
    const p = plan({ controlPlane: { controlplane: 'v1.29.4' }, workers: { node01: 'v1.26.3' } }, 'v1.30');
    const [f] = find(p, 'KubeletUpgradeFirst');
    assert.equal(f.severity, 'warning');
    assert.equal(f.object, 'node/node01');
    assert.equal(f.hop, 'v1.29 -> v1.30');
    assert.match(f.fix, /Drain node\/node01, upgrade kubelet and kubectl to v1\.29\.4 \(pkgs\.k8s\.io repository v1\.29\)/);
    const [skip] = find(p, 'KubeletSkipsMinors');
    assert.equal(skip.severity, 'info');
    assert.match(skip.message, /node\/node01 \(v1\.26\.3 -> v1\.29\.4\)/);
    assert.match(skip.message, /KEP-3935/);
  });

  it('adds kubeadm notes: one minor at a time, the repository per minor, kubelets not upgraded, kubectl get nodes', () => {
    const p = plan({ controlPlane: { cp: 'v1.34.12' }, workers: { w1: 'v1.34.12' } }, 'v1.36');
    assert.deepEqual(find(p, 'PackageRepository').map((f) => f.hop), ['v1.34 -> v1.35', 'v1.35 -> v1.36']);
    assert.match(find(p, 'PackageRepository')[0].fix, /from v1\.34 to v1\.35/);
    assert.equal(find(p, 'OneMinorAtATime').length, 1);
    assert.equal(find(p, 'KubeadmDoesNotUpgradeKubelet').length, 1);
    assert.equal(find(p, 'KubectlGetNodesShowsKubelet').length, 1);
    assert.ok(p.findings.filter((f) => f.severity === 'info').every((f) => f.fix.length > 0));
  });

  it('recommends the latest patch of the current minor before a minor upgrade', () => {
    const p = plan({ controlPlane: { cp: 'v1.35.2' } }, 'v1.36');
    assert.match(find(p, 'LatestPatchFirst')[0].fix, /kubeadm upgrade apply v1\.35\.9/);
    assert.equal(find(plan({ controlPlane: { cp: 'v1.35.9' } }, 'v1.36'), 'LatestPatchFirst').length, 0);
  });

  it("warns that kubeadm 1.28 and older refuse kubelets more than one minor behind (a skippable check)", () => {
    const p = plan({ controlPlane: { cp: 'v1.26.15' }, workers: { w1: 'v1.25.16' } }, 'v1.28');
    assert.deepEqual(find(p, 'KubeadmKubeletSkewCheck').map((f) => f.hop), ['v1.26 -> v1.27', 'v1.27 -> v1.28']);
    assert.match(find(p, 'KubeadmKubeletSkewCheck')[0].message, /There are kubelets in this cluster that are too old.*node\/w1 \(v1\.25\.16\)/);
    assert.equal(find(plan({ controlPlane: { cp: 'v1.29.15' }, workers: { w1: 'v1.27.16' } }, 'v1.30'), 'KubeadmKubeletSkewCheck').length, 0);
  });

  it('blocks on removed APIs a hop takes away, naming the object, the hop and the replacement', () => {
    const usages: ApiUsage[] = [
      { apiVersion: 'batch/v1beta1', kind: 'CronJob', namespace: 'default', name: 'backup', source: 'last-applied' },
      { apiVersion: 'policy/v1beta1', kind: 'PodSecurityPolicy', name: 'restricted', source: 'managedFields' },
      { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kind: '', name: 'flowcontrol.apiserver.k8s.io/v1beta1', source: 'served' },
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web', source: 'last-applied' },
    ];
    const p = plan({ controlPlane: { cp: 'v1.24.17' }, workers: { w1: 'v1.24.17' } }, 'v1.26', { removedApiUsages: usages });
    assert.equal(p.blocking, true);
    assert.deepEqual(
      [...find(p, 'RemovedApi'), ...find(p, 'RemovedApiServed')].map((f) => [f.severity, f.hop, f.object]),
      [
        ['blocking', 'v1.24 -> v1.25', 'cronjob.batch default/backup'],
        ['blocking', 'v1.24 -> v1.25', 'podsecuritypolicy.policy restricted'],
        ['warning', 'v1.25 -> v1.26', 'flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema'],
        ['warning', 'v1.25 -> v1.26', 'flowcontrol.apiserver.k8s.io/v1beta1 PriorityLevelConfiguration'],
      ],
    );
    const [cron] = find(p, 'RemovedApi');
    assert.match(cron.message, /uses batch\/v1beta1 CronJob \(its kubectl\.kubernetes\.io\/last-applied-configuration annotation\), which v1\.25 no longer serves; use batch\/v1/);
    assert.match(cron.fix, /apiVersion batch\/v1 and re-apply/);
    const [, psp] = find(p, 'RemovedApi');
    assert.match(psp.fix, /Pod Security Admission/);
    // Removed-API findings also sit on their hop.
    assert.deepEqual(p.hops[0].findings.filter((f) => f.code === 'RemovedApi').length, 2);
  });

  it('does not re-report APIs removed before the cluster version (stale annotations)', () => {
    const usages: ApiUsage[] = [{ apiVersion: 'extensions/v1beta1', kind: 'Ingress', namespace: 'web', name: 'shop', source: 'last-applied' }];
    const p = plan({ controlPlane: { cp: 'v1.30.14' } }, 'v1.31', { removedApiUsages: usages });
    assert.equal(find(p, 'RemovedApi').length, 0);
  });

  it('carries preflight findings through and blocks on them', () => {
    const nodeNotReady: Finding = { severity: 'blocking', code: 'NodeNotReady', object: 'node/w1', message: 'node/w1 is NotReady', fix: 'Fix the node first.' };
    const p = plan({ controlPlane: { cp: 'v1.36.5' }, workers: { w1: 'v1.36.5' } }, 'v1.37', { findings: [nodeNotReady] });
    assert.ok(p.findings.includes(nodeNotReady));
    assert.equal(p.blocking, true);
  });

  it('notes when the release table is old for the date of the plan', () => {
    assert.equal(find(plan({ controlPlane: { cp: 'v1.36.5' } }, null), 'ReleaseTableStale').length, 0);
    const later = plan({ controlPlane: { cp: 'v1.36.5' } }, null, { today: new Date('2027-06-01T00:00:00Z') });
    assert.match(find(later, 'ReleaseTableStale')[0].message, /from 2026-09-28/);
    assert.equal(plan({ controlPlane: { cp: 'v1.36.5' } }, null).releasesAsOf, '2026-09-28');
  });
});
