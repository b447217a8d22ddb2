import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding, KubeletMove } from '../plan.js';
import type { ApiUsage } from '../removedapis.js';
import { formatVersion, parseVersion as v } from '../version.js';
import {
  type HopContext,
  type HopMoves,
  type HopRule,
  type PlanState,
  type RuleResult,
  addonVersionsUnknown,
  controlPlaneStep,
  externalEtcd,
  hopLabel,
  kubeadmKubeletCheck,
  kubeletsAfter,
  kubeletsFirst,
  kubeletsSkipMinors,
  minorsBetween,
  newerTag,
  packageRepository,
  removedApis,
} from './hop.js';

// Each rule alone: the versions it starts from, the hop, and what it decides, written out.

interface StateSpec {
  /** Control-plane node -> apiserver, controller-manager and scheduler version. */
  cp: Record<string, string>;
  /** Node -> kubelet version; a trailing '*' marks a control-plane node. */
  kubelets?: Record<string, string>;
  kubeProxy?: string;
  coreDNS?: string;
  etcd?: Record<string, string>;
}

function state(s: StateSpec): PlanState {
  const cp = Object.entries(s.cp).map(([node, ver]) => ({ node, version: v(ver) }));
  return {
    apiservers: cp,
    controllerManagers: cp,
    schedulers: cp,
    kubelets: Object.entries(s.kubelets ?? {}).map(([node, ver]) => ({ node, version: v(ver.replace('*', '')), controlPlane: ver.endsWith('*') })),
    ...(s.kubeProxy ? { kubeProxy: v(s.kubeProxy) } : {}),
    ...(s.coreDNS ? { coreDNS: s.coreDNS } : {}),
    etcd: Object.entries(s.etcd ?? {}).map(([node, version]) => ({ node, version })),
  };
}

const NO_MOVES: HopMoves = { kubeletsFirst: [], controlPlane: [], kubelets: [], kubeletsAfter: [] };

function hop(from: string, to: string, o: Partial<Omit<HopContext, 'from' | 'to'>> = {}): HopContext {
  return { from: v(from), to: v(to), label: hopLabel(v(from), v(to)), last: false, etcdTopology: 'stacked', usages: [], moves: NO_MOVES, ...o };
}

const move = (m: KubeletMove) => `${m.node} ${m.from} -> ${m.to}${m.skips?.length ? ` (skips ${m.skips.join(', ')})` : ''}`;
const finding = (f: Finding) => `${f.severity} ${f.code}${f.object ? ` ${f.object}` : ''}${f.hop ? ` (${f.hop})` : ''}`;

/** A rule's result as lines: moves, rows, the versions it changed, findings. */
function lines(r: RuleResult): string[] {
  const out: string[] = [];
  for (const m of r.moves?.kubeletsFirst ?? []) out.push(`first ${move(m)}`);
  for (const row of r.moves?.controlPlane ?? []) out.push(`row ${row.component} ${row.node || '-'} ${row.current} -> ${row.target}`);
  for (const row of r.moves?.kubelets ?? []) out.push(`row ${row.component} ${row.node} ${row.current} -> ${row.target}`);
  for (const m of r.moves?.kubeletsAfter ?? []) out.push(`after ${move(m)}`);
  const s = r.state ?? {};
  for (const k of s.kubelets ?? []) out.push(`kubelet ${k.node} now ${formatVersion(k.version)}`);
  for (const a of s.apiservers ?? []) out.push(`kube-apiserver ${a.node} now ${formatVersion(a.version)}`);
  if (s.kubeProxy) out.push(`kube-proxy now ${formatVersion(s.kubeProxy)}`);
  if (s.coreDNS) out.push(`CoreDNS now ${s.coreDNS}`);
  for (const m of s.etcd ?? []) out.push(`etcd ${m.node} now ${m.version}`);
  for (const f of r.findings ?? []) out.push(finding(f));
  return out;
}

interface Case {
  name: string;
  state: StateSpec;
  hop: HopContext;
  expect: string[];
}

function table(rule: HopRule, cases: Case[]): void {
  for (const c of cases) it(c.name, () => assert.deepEqual(lines(rule(state(c.state), c.hop)), c.expect));
}

describe('hop rule 1, kubeletsFirst: kubelets the new apiserver would leave out of policy move first, to the control plane now', () => {
  table(kubeletsFirst, [
    {
      name: 'n-3 at v1.30: a v1.26 kubelet moves to v1.29.4 first, skipping two minors; the v1.29 one stays',
      state: { cp: { cp: 'v1.29.4' }, kubelets: { cp: 'v1.29.4*', w1: 'v1.26.3', w2: 'v1.29.4' } },
      hop: hop('v1.29.4', 'v1.30.14'),
      expect: [
        'first w1 v1.26.3 -> v1.29.4 (skips 1.27, 1.28)',
        'kubelet cp now v1.29.4',
        'kubelet w1 now v1.29.4',
        'kubelet w2 now v1.29.4',
        'warning KubeletUpgradeFirst node/w1 (v1.29 -> v1.30)',
      ],
    },
    {
      name: 'the n-3 boundary: v1.25 kubelets may stay when the control plane reaches v1.28',
      state: { cp: { cp: 'v1.27.16' }, kubelets: { w1: 'v1.25.16' } },
      hop: hop('v1.27.16', 'v1.28.15'),
      expect: ['kubelet w1 now v1.25.16'],
    },
    {
      name: 'the n-2 era: a v1.24 kubelet cannot stay under a v1.27 apiserver',
      state: { cp: { cp: 'v1.26.15' }, kubelets: { w1: 'v1.24.17' } },
      hop: hop('v1.26.15', 'v1.27.16'),
      expect: ['first w1 v1.24.17 -> v1.26.15 (skips 1.25)', 'kubelet w1 now v1.26.15', 'warning KubeletUpgradeFirst node/w1 (v1.26 -> v1.27)'],
    },
    {
      name: 'an HA control plane: the range follows the newest apiserver after the hop',
      state: { cp: { cp1: 'v1.31.14', cp2: 'v1.29.15' }, kubelets: { w1: 'v1.28.15', w2: 'v1.27.16' } },
      hop: hop('v1.29.15', 'v1.30.14'),
      expect: ['first w2 v1.27.16 -> v1.29.15 (skips 1.28)', 'kubelet w1 now v1.28.15', 'kubelet w2 now v1.29.15', 'warning KubeletUpgradeFirst node/w2 (v1.29 -> v1.30)'],
    },
  ]);

  it('says why, and what to run', () => {
    const [f] = kubeletsFirst(state({ cp: { cp: 'v1.29.4' }, kubelets: { node01: 'v1.26.3' } }), hop('v1.29.4', 'v1.30.14')).findings ?? [];
    assert.equal(
      f.message,
      'kubelet v1.26.3 on node/node01 must be upgraded before the control plane moves to v1.30: kubelet v1.26.3 would be 4 minor versions older than kube-apiserver v1.30, which allows v1.27 to v1.30; skipping v1.27, v1.28 is allowed: kubelet upgrades may skip minors as long as skew holds.',
    );
    assert.equal(f.fix, 'Drain node/node01, upgrade kubelet and kubectl to v1.29.4 (pkgs.k8s.io repository v1.29), restart the kubelet, uncordon; then upgrade the control plane.');
  });
});

describe('hop rule 2, kubeadmKubeletCheck: kubeadm up to 1.28 refuses kubelets more than one minor behind', () => {
  table(kubeadmKubeletCheck, [
    {
      name: 'to v1.28 with a v1.26 kubelet: a warning naming it',
      state: { cp: { cp: 'v1.27.16' }, kubelets: { cp: 'v1.27.16*', w1: 'v1.26.15' } },
      hop: hop('v1.27.16', 'v1.28.15'),
      expect: ['warning KubeadmKubeletSkewCheck (v1.27 -> v1.28)'],
    },
    {
      name: 'to v1.28 with kubelets one minor behind: nothing',
      state: { cp: { cp: 'v1.27.16' }, kubelets: { w1: 'v1.27.1' } },
      hop: hop('v1.27.16', 'v1.28.15'),
      expect: [],
    },
    {
      name: 'to v1.29: kubeadm no longer checks',
      state: { cp: { cp: 'v1.28.15' }, kubelets: { w1: 'v1.26.15' } },
      hop: hop('v1.28.15', 'v1.29.15'),
      expect: [],
    },
    {
      name: 'a patch hop crosses no minor',
      state: { cp: { cp: 'v1.27.10' }, kubelets: { w1: 'v1.25.16' } },
      hop: hop('v1.27.10', 'v1.27.16'),
      expect: [],
    },
  ]);

  it('quotes kubeadm', () => {
    const [f] = kubeadmKubeletCheck(state({ cp: { cp: 'v1.26.15' }, kubelets: { w1: 'v1.25.16' } }), hop('v1.26.15', 'v1.27.16')).findings ?? [];
    assert.equal(
      f.message,
      'kubeadm v1.27 allows kubelets only one minor behind the target: upgrade apply will report "There are kubelets in this cluster that are too old" for node/w1 (v1.25.16).',
    );
  });
});

describe('hop rule 3, controlPlaneStep: the control plane in kubeadm\'s table order, nothing backwards', () => {
  table(controlPlaneStep, [
    {
      name: 'one stacked control-plane node with kube-proxy and CoreDNS: the release table pins etcd and CoreDNS',
      state: { cp: { cp: 'v1.34.3' }, kubeProxy: 'v1.34.3', coreDNS: 'v1.12.1', etcd: { cp: '3.6.5-0' } },
      hop: hop('v1.34.3', 'v1.35.9'),
      expect: [
        'row kube-apiserver cp v1.34.3 -> v1.35.9',
        'row kube-controller-manager cp v1.34.3 -> v1.35.9',
        'row kube-scheduler cp v1.34.3 -> v1.35.9',
        'row kube-proxy - v1.34.3 -> v1.35.9',
        'row CoreDNS - v1.12.1 -> v1.13.1',
        'row etcd cp 3.6.5-0 -> 3.6.6-0',
        'kube-apiserver cp now v1.35.9',
        'kube-proxy now v1.35.9',
        'CoreDNS now v1.13.1',
        'etcd cp now 3.6.6-0',
      ],
    },
    {
      name: 'etcd and CoreDNS newer than kubeadm would install stay',
      state: { cp: { cp: 'v1.34.12' }, coreDNS: 'v1.14.2', etcd: { cp: '3.6.9-0' } },
      hop: hop('v1.34.12', 'v1.35.9'),
      expect: [
        'row kube-apiserver cp v1.34.12 -> v1.35.9',
        'row kube-controller-manager cp v1.34.12 -> v1.35.9',
        'row kube-scheduler cp v1.34.12 -> v1.35.9',
        'row CoreDNS - v1.14.2 -> v1.14.2',
        'row etcd cp 3.6.9-0 -> 3.6.9-0',
        'kube-apiserver cp now v1.35.9',
        'CoreDNS now v1.14.2',
        'etcd cp now 3.6.9-0',
      ],
    },
    {
      name: 'an HA control plane half-way: the upgraded node keeps its version; external etcd has no rows',
      state: { cp: { cp1: 'v1.32.2', cp2: 'v1.31.4' } },
      hop: hop('v1.31.4', 'v1.32.13', { etcdTopology: 'external' }),
      expect: [
        'row kube-apiserver cp1 v1.32.2 -> v1.32.13',
        'row kube-apiserver cp2 v1.31.4 -> v1.32.13',
        'row kube-controller-manager cp1 v1.32.2 -> v1.32.13',
        'row kube-controller-manager cp2 v1.31.4 -> v1.32.13',
        'row kube-scheduler cp1 v1.32.2 -> v1.32.13',
        'row kube-scheduler cp2 v1.31.4 -> v1.32.13',
        'kube-apiserver cp1 now v1.32.13',
        'kube-apiserver cp2 now v1.32.13',
      ],
    },
    {
      name: 'a minor the release table does not know: add-ons keep their versions',
      state: { cp: { cp: 'v1.37.1' }, coreDNS: 'v1.14.2', etcd: { cp: '3.6.9-0' } },
      hop: hop('v1.37.1', '1.38'),
      expect: [
        'row kube-apiserver cp v1.37.1 -> v1.38',
        'row kube-controller-manager cp v1.37.1 -> v1.38',
        'row kube-scheduler cp v1.37.1 -> v1.38',
        'row CoreDNS - v1.14.2 -> v1.14.2',
        'row etcd cp 3.6.9-0 -> 3.6.9-0',
        'kube-apiserver cp now v1.38',
        'CoreDNS now v1.14.2',
        'etcd cp now 3.6.9-0',
      ],
    },
  ]);
});

describe('hop rules 4 to 6: what kubeadm and the package repositories mean for the hop', () => {
  const cp = { cp: { cp: 'v1.36.5' } };
  describe('addonVersionsUnknown', () =>
    table(addonVersionsUnknown, [
      { name: 'v1.37: the table has no etcd or CoreDNS pin', state: cp, hop: hop('v1.36.5', 'v1.37.1'), expect: ['info AddonVersionUnknown (v1.36 -> v1.37)'] },
      { name: 'v1.36: both pinned', state: { cp: { cp: 'v1.35.9' } }, hop: hop('v1.35.9', 'v1.36.5'), expect: [] },
      { name: 'v1.38: not in the table at all (UnknownVersion says so)', state: { cp: { cp: 'v1.37.1' } }, hop: hop('v1.37.1', '1.38'), expect: [] },
    ]));
  describe('externalEtcd', () =>
    table(externalEtcd, [
      { name: 'external etcd, crossing a minor', state: cp, hop: hop('v1.32.13', 'v1.33.13', { etcdTopology: 'external' }), expect: ['info ExternalEtcd (v1.32 -> v1.33)'] },
      { name: 'external etcd, a patch hop', state: cp, hop: hop('v1.33.1', 'v1.33.13', { etcdTopology: 'external' }), expect: [] },
      { name: 'stacked etcd: kubeadm upgrades it', state: cp, hop: hop('v1.32.13', 'v1.33.13'), expect: [] },
    ]));
  it('externalEtcd names the etcd kubeadm would run, when the table knows it', () => {
    const [f] = externalEtcd(state(cp), hop('v1.32.13', 'v1.33.13', { etcdTopology: 'external' })).findings ?? [];
    assert.equal(f.message, 'etcd is external: kubeadm does not upgrade it; kubeadm v1.33 itself would run etcd 3.5.24-0.');
  });
  describe('packageRepository', () =>
    table(packageRepository, [
      { name: 'a minor hop switches the repository', state: cp, hop: hop('v1.34.12', 'v1.35.9'), expect: ['info PackageRepository (v1.34 -> v1.35)'] },
      { name: 'a patch hop does not', state: cp, hop: hop('v1.36.1', 'v1.36.5'), expect: [] },
    ]));
});

describe('hop rule 7, removedApis: what the hop stops serving that the cluster still uses', () => {
  const usages: ApiUsage[] = [
    { apiVersion: 'batch/v1beta1', kind: 'CronJob', namespace: 'default', name: 'backup', source: 'last-applied' },
    { apiVersion: 'policy/v1beta1', kind: 'PodSecurityPolicy', name: 'restricted', source: 'managedFields' },
    { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kind: '', name: 'flowcontrol.apiserver.k8s.io/v1beta1', source: 'served' },
    { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web', source: 'last-applied' },
  ];
  const cp = { cp: { cp: 'v1.24.17' } };
  table(removedApis, [
    {
      name: 'v1.24 -> v1.25: the objects written with batch/v1beta1 and policy/v1beta1 block',
      state: cp,
      hop: hop('v1.24.17', 'v1.25.16', { usages }),
      expect: ['blocking RemovedApi cronjob.batch default/backup (v1.24 -> v1.25)', 'blocking RemovedApi podsecuritypolicy.policy restricted (v1.24 -> v1.25)'],
    },
    {
      name: 'v1.25 -> v1.26: a served flowcontrol v1beta1 warns, once per kind',
      state: cp,
      hop: hop('v1.25.16', 'v1.26.15', { usages }),
      expect: [
        'warning RemovedApiServed flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema (v1.25 -> v1.26)',
        'warning RemovedApiServed flowcontrol.apiserver.k8s.io/v1beta1 PriorityLevelConfiguration (v1.25 -> v1.26)',
      ],
    },
    { name: 'a patch hop removes nothing', state: cp, hop: hop('v1.25.1', 'v1.25.16', { usages }), expect: [] },
  ]);

  it('says what to change, by the evidence', () => {
    const [cron, psp] = removedApis(state(cp), hop('v1.24.17', 'v1.25.16', { usages })).findings ?? [];
    assert.equal(cron.message, 'cronjob.batch default/backup uses batch/v1beta1 CronJob (its kubectl.kubernetes.io/last-applied-configuration annotation), which v1.25 no longer serves; use batch/v1.');
    assert.equal(cron.fix, 'Change the manifest to apiVersion batch/v1 and re-apply it, so the annotation records the new version (the stored object is already readable as batch/v1).');
    assert.equal(
      psp.fix,
      'PodSecurityPolicy is removed without a replacement API: migrate to Pod Security Admission or a third-party admission webhook before upgrading. Then delete the object and the manifests that create it before upgrading to v1.25.',
    );
  });
});

describe('hop rule 8, kubeletsAfter: control-plane kubelets follow every hop, all kubelets the last', () => {
  table(kubeletsAfter, [
    {
      name: 'a middle hop: the control-plane kubelet follows, the worker stays',
      state: { cp: { cp: 'v1.30.14' }, kubelets: { cp: 'v1.29.15*', w1: 'v1.29.15' } },
      hop: hop('v1.29.15', 'v1.30.14'),
      expect: [
        'row kubelet cp v1.29.15 -> v1.30.14',
        'row kubelet w1 v1.29.15 -> v1.29.15',
        'after cp v1.29.15 -> v1.30.14',
        'kubelet cp now v1.30.14',
        'kubelet w1 now v1.29.15',
      ],
    },
    {
      name: 'the last hop: every kubelet to the target, skipping minors where it must',
      state: { cp: { cp: 'v1.32.13' }, kubelets: { cp: 'v1.31.14*', w1: 'v1.29.15', w2: 'v1.32.13' } },
      hop: hop('v1.31.14', 'v1.32.13', { last: true }),
      expect: [
        'row kubelet cp v1.31.14 -> v1.32.13',
        'row kubelet w1 v1.29.15 -> v1.32.13',
        'row kubelet w2 v1.32.13 -> v1.32.13',
        'after cp v1.31.14 -> v1.32.13',
        'after w1 v1.29.15 -> v1.32.13 (skips 1.30, 1.31)',
        'kubelet cp now v1.32.13',
        'kubelet w1 now v1.32.13',
        'kubelet w2 now v1.32.13',
      ],
    },
  ]);

  it('says why each one moves', () => {
    const r = kubeletsAfter(state({ cp: { cp: 'v1.30.14' }, kubelets: { cp: 'v1.29.15*' } }), hop('v1.29.15', 'v1.30.14'));
    assert.deepEqual(r.moves?.kubeletsAfter?.map((m) => m.why), ['control-plane node: its kubelet follows the control plane']);
    const last = kubeletsAfter(state({ cp: { cp: 'v1.30.14' }, kubelets: { w1: 'v1.29.15' } }), hop('v1.29.15', 'v1.30.14', { last: true }));
    assert.deepEqual(last.moves?.kubeletsAfter?.map((m) => m.why), ['the target is v1.30.14']);
  });
});

describe('hop rule 9, kubeletsSkipMinors: reads the moves of the rules before it', () => {
  const skipping: KubeletMove = { node: 'w1', from: 'v1.26.3', to: 'v1.29.4', why: '', skips: ['1.27', '1.28'] };
  const plain: KubeletMove = { node: 'cp', from: 'v1.29.4', to: 'v1.30.14', why: '', skips: [] };
  table(kubeletsSkipMinors, [
    {
      name: 'a kubelet that skips two minors before the hop',
      state: { cp: { cp: 'v1.29.4' } },
      hop: hop('v1.29.4', 'v1.30.14', { moves: { ...NO_MOVES, kubeletsFirst: [skipping], kubeletsAfter: [plain] } }),
      expect: ['info KubeletSkipsMinors (v1.29 -> v1.30)'],
    },
    { name: 'one minor at a time', state: { cp: { cp: 'v1.29.4' } }, hop: hop('v1.29.4', 'v1.30.14', { moves: { ...NO_MOVES, kubeletsAfter: [plain] } }), expect: [] },
  ]);
});

describe('hop helpers', () => {
  it('labels a hop by minors, a patch hop by patches', () => {
    assert.equal(hopLabel(v('v1.31.4'), v('v1.32.13')), 'v1.31 -> v1.32');
    assert.equal(hopLabel(v('v1.36.1'), v('v1.36.5')), 'v1.36.1 -> v1.36.5');
  });
  it('lists the minors a kubelet skips', () => {
    assert.deepEqual(minorsBetween(v('v1.26.3'), v('v1.29.4')), ['1.27', '1.28']);
    assert.deepEqual(minorsBetween(v('v1.29.4'), v('v1.30.1')), []);
  });
  const tags: Array<[string, string, string]> = [
    ['3.5.15-0', '3.5.24-0', '3.5.24-0'],
    ['3.6.9-0', '3.6.6-0', '3.6.9-0'],
    ['v1.11.3', '', 'v1.11.3'],
    ['custom', 'v1.12.0', 'custom'],
  ];
  for (const [current, candidate, newer] of tags) it(`newerTag(${current}, ${candidate || '""'}) = ${newer}`, () => assert.equal(newerTag(current, candidate), newer));
});
