// Story 2 on the sandbox: `upkeep plan` reads a kubeadm cluster as `kubeadm upgrade plan` does
// (static pod images per node, kubelets, kube-proxy, CoreDNS, stacked or external etcd), plans one
// control-plane minor per hop within the skew policy, runs the preflight checks, prints kubeadm's
// tables, the findings or a runbook per node, and exits 3 when something blocks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/sandbox/index.js';
import type { KubeObject } from '../src/api/types.js';
import type { Finding, UpgradePlan } from '../src/upgrade/plan.js';
import { formatVersion } from '../src/upgrade/version.js';
import { upkeep } from './helpers/cli.js';
import { type TestSandbox, eventually, podReady, testSandbox } from './helpers/sandbox.js';

// The latest patches upkeep's release table knows (as of 2026-09-28), written out: `--to 1.32`
// resolves to v1.32.13, which pins etcd 3.5.24-0 and CoreDNS v1.11.3.
const V1_32 = 'v1.32.13';
const V1_33 = 'v1.33.13';

/** The sandbox is up when every control-plane node shows its static pods and the apps run. */
async function settled(sb: TestSandbox, controlPlanes: number, apps: string[] = []): Promise<void> {
  await eventually(
    'static pods on every control-plane node and the apps ready',
    async () => {
      const system = await sb.list('pods', 'kube-system');
      const apiservers = system.filter((p) => p.metadata.labels?.component === 'kube-apiserver' && podReady(p));
      const pods = await sb.list('pods', 'default');
      return apiservers.length === controlPlanes && apps.every((a) => pods.some((p) => p.metadata.labels?.app === a && podReady(p)));
    },
    30_000,
  );
}

function codes(plan: UpgradePlan, severity?: Finding['severity']): string[] {
  return plan.findings.filter((f) => !severity || f.severity === severity).map((f) => (f.object ? `${f.code} ${f.object}` : f.code));
}

describe('upkeep plan on the seed cluster (story 2)', () => {
  let sb: TestSandbox;
  const to = V1_32;
  before(async () => {
    sb = await testSandbox({ timeScale: 60 });
    await settled(sb, 1, ['blue', 'green']);
  });
  after(async () => sb?.stop());

  it("prints kubeadm's tables for v1.31.4 -> v1.32, and exits 3 because node01's drain would be refused (green)", async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'plan', '--to', '1.32']);
    assert.equal(r.code, 3, r.err);
    assert.equal(r.err, 'error: the plan has 1 blocking finding: DrainRefused node/node01\n');
    assert.match(r.out, new RegExp(`^\\[upgrade/versions\\] Cluster version: v1\\.31\\.4\\n\\[upgrade/versions\\] Target version: ${to.replace(/\./g, '\\.')}\\n`));
    // kubeadm: one kubelet row per node, to be upgraded by hand after `kubeadm upgrade apply`.
    const kubelets = [
      'COMPONENT   NODE           CURRENT   TARGET',
      'kubelet     controlplane   v1.31.4   v1.32.13',
      'kubelet     node01         v1.31.4   v1.32.13',
      'kubelet     node02         v1.31.4   v1.32.13',
      'kubelet     node03         v1.31.4   v1.32.13',
      '',
    ].join('\n');
    assert.ok(r.out.includes(`Components that must be upgraded manually after you have upgraded the control plane with 'kubeadm upgrade apply':\n${kubelets}`), r.out);
    // The control plane per node, kube-proxy and CoreDNS without a node, stacked etcd per member;
    // kubeadm only moves etcd and CoreDNS forward, to the versions v1.32 pins.
    const controlPlane = [
      'COMPONENT                 NODE           CURRENT    TARGET',
      'kube-apiserver            controlplane   v1.31.4    v1.32.13',
      'kube-controller-manager   controlplane   v1.31.4    v1.32.13',
      'kube-scheduler            controlplane   v1.31.4    v1.32.13',
      'kube-proxy                               v1.31.4    v1.32.13',
      'CoreDNS                                  v1.11.3    v1.11.3',
      'etcd                      controlplane   3.5.15-0   3.5.24-0',
      '',
    ].join('\n');
    assert.ok(r.out.includes(`Upgrade to v1.32.13:\n\n${controlPlane}\nYou can now apply the upgrade by executing the following command:\n\n\tkubeadm upgrade apply v1.32.13\n`), r.out);
    assert.match(r.out, /BLOCKING {2}DrainRefused {2}node\/node01\n {2}kubectl drain node01 --ignore-daemonsets \(the runbook's drain\) would refuse node01, evict nothing and leave it cordoned: .*default\/green\n {2}fix: .*--force/);
    assert.match(r.out, /WARNING {2}BarePod {2}pod default\/green\n/);
    assert.match(r.out, /Verdict: blocked — 1 blocking finding to resolve before upgrading/);
  });

  it('-o json: the same plan as data, with the nodes', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'plan', '--to', '1.32']);
    assert.equal(r.code, 3);
    const plan = JSON.parse(r.out) as UpgradePlan & { nodes: Array<{ name: string; controlPlane: boolean; osImage: string }> };
    assert.equal(plan.hops.length, 1);
    assert.equal(formatVersion(plan.target!), to);
    assert.deepEqual(
      plan.hops[0].controlPlane.filter((c) => c.node === 'controlplane').map((c) => c.component),
      ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'],
    );
    assert.deepEqual(codes(plan, 'blocking'), ['DrainRefused node/node01']);
    assert.ok(codes(plan, 'warning').includes('BarePod pod default/green'));
    assert.deepEqual(plan.nodes.map((n) => `${n.name}${n.controlPlane ? ' (control plane)' : ''}`), ['controlplane (control plane)', 'node01', 'node02', 'node03']);
  });

  it('-o runbook: the kubeadm procedure per node with real names and versions, apt on these Debian nodes', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'runbook', 'plan', '--to', '1.32']);
    assert.equal(r.code, 3);
    const pkg = `${to.slice(1)}-*`;
    const minor = to.split('.').slice(0, 2).join('.');
    assert.match(r.out, /^# Upgrade runbook: v1\.31\.4 -> v1\.32\.\d+ \(kubeadm, Debian\/Ubuntu hosts with apt\)\n/);
    assert.deepEqual(
      [...r.out.matchAll(/^### \d+\. (\S+) \(([^)]*)\)/gm)].map((m) => `${m[1]}: ${m[2]}`),
      ['controlplane: first control-plane node: kubeadm upgrade apply', 'node01: worker: kubeadm upgrade node', 'node02: worker: kubeadm upgrade node', 'node03: worker: kubeadm upgrade node'],
    );
    const cp = r.out.slice(r.out.indexOf('### 1. controlplane'), r.out.indexOf('### 2. node01'));
    const steps = [
      `curl -fsSL https://pkgs.k8s.io/core:/stable:/${minor}/deb/Release.key | sudo gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg`,
      `echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/${minor}/deb/ /' | sudo tee /etc/apt/sources.list.d/kubernetes.list`,
      `sudo apt-get update && sudo apt-get install -y kubeadm='${pkg}'`,
      'sudo kubeadm upgrade plan',
      `sudo kubeadm upgrade apply ${to}`,
      'upkeep drain controlplane --ignore-daemonsets --wait-ready',
      `sudo apt-get install -y kubelet='${pkg}' kubectl='${pkg}'`,
      'sudo systemctl daemon-reload',
      'sudo systemctl restart kubelet',
      'upkeep uncordon controlplane',
    ];
    let at = -1;
    for (const s of steps) {
      const i = cp.indexOf(s, at + 1);
      assert.ok(i > at, `"${s}" after the previous step in:\n${cp}`);
      at = i;
    }
    const node01 = r.out.slice(r.out.indexOf('### 2. node01'), r.out.indexOf('### 3. node02'));
    assert.match(node01, /^# BLOCKING DrainRefused: /m);
    assert.match(node01, /\nsudo kubeadm upgrade node\n/);
    assert.doesNotMatch(node01, /upgrade apply/);
    assert.match(r.out, /etcdctl snapshot save .* --cacert=\/etc\/kubernetes\/pki\/etcd\/ca\.crt/);
  });

  it('--os rocky (a RHEL-like distribution): yum with --disableexcludes=kubernetes and the yum repository file', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'runbook', 'plan', '--to', '1.32', '--os', 'rocky']);
    assert.ok(r.out.includes(`sudo yum install -y kubeadm-'${to.slice(1)}-*' --disableexcludes=kubernetes`), r.out);
    assert.match(r.out, /\/etc\/yum\.repos\.d\/kubernetes\.repo/);
    assert.doesNotMatch(r.out, /apt-get/);
  });

  it('without --to it plans the next minor', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'plan']);
    assert.match(r.out, /^No --to given: planning to v1\.32 \(its latest known patch\)\.\n/);
    assert.ok(r.out.includes(`\tkubeadm upgrade apply ${to}\n`));
  });

  it('bad input is a usage error (exit 2)', async () => {
    const bad = await upkeep(['--kubeconfig', sb.kubeconfig, 'plan', '--to', 'latest']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^error: invalid value "latest" for --to: invalid version "latest"/);
    const os = await upkeep(['--kubeconfig', sb.kubeconfig, 'plan', '--os', 'windows']);
    assert.equal(os.code, 2);
    assert.equal(os.err, 'error: invalid value "windows" for --os: must be one of debian, ubuntu, apt (apt); rhel, centos, rocky, alma, fedora, dnf, yum (dnf/yum); or both\n');
    const out = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'wide', 'plan']);
    assert.equal(out.code, 2);
  });

  it('a downgrade target, or one beyond the release table, is refused in one line (exit 2), never planned', async () => {
    const down = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'plan', '--to', 'v1.30.6']);
    assert.equal(down.code, 2);
    assert.equal(down.out, '');
    assert.match(down.err, /^error: invalid value "v1\.30\.6" for --to: Specified version to upgrade to "v1\.30\.6" is lower than the cluster version "v1\.31\.\d+": downgrades are not supported[^\n]*\n$/);
    const beyond = await upkeep(['--kubeconfig', sb.kubeconfig, 'plan', '--to', 'v1.99.0']);
    assert.equal(beyond.code, 2);
    assert.equal(beyond.out, '');
    assert.match(beyond.err, /^error: invalid value "v1\.99\.0" for --to: Specified version to upgrade to "v1\.99\.0" is beyond upkeep's release table \(newest known v1\.\d+, as of [\d-]+\): choose a target up to v1\.\d+, or update upkeep\n$/);
    const huge = await upkeep(['--kubeconfig', sb.kubeconfig, 'plan', '--to', 'v1.10000000']);
    assert.equal(huge.code, 2);
    assert.equal(huge.err, 'error: invalid value "v1.10000000" for --to: invalid version "v1.10000000": minor version 10000000 is out of range (at most 99999)\n');
  });

  it('once green is gone, nothing blocks: exit 0', async () => {
    const del = await sb.kubectl(['delete', 'pod', 'green', '--grace-period=0', '--force']);
    assert.equal(del.code, 0, del.stderr);
    await eventually('green gone', async () => (await sb.get('pods', 'default', 'green')) === undefined);
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'plan', '--to', '1.32']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.doesNotMatch(r.out, /BLOCKING/);
    assert.match(r.out, /Verdict: ready/);
  });
});

// An HA control plane mid-upgrade (cp1's static pods already at v1.32.2), external etcd, and
// workers at three minors: kubeadm's discovery and rules, hop by hop.
const HA = `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: ha-mixed}
spec:
  controlPlane: {version: v1.31.4, etcd: {version: 3.5.15-0, topology: external}}
  nodes:
    - {name: cp1, role: control-plane, controlPlaneVersion: v1.32.2}
    - {name: cp2, role: control-plane}
    - {name: cp3, role: control-plane}
    - {name: node01, version: v1.29.10}
    - {name: node02, version: v1.30.6}
    - {name: node03}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: default}
      spec:
        replicas: 3
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: nginx, image: "nginx:1.27.3"}]}
`;

describe('upkeep plan on an HA control plane at two versions, external etcd and mixed kubelets', () => {
  let sb: TestSandbox;
  const v32 = V1_32;
  const v33 = V1_33;
  before(async () => {
    sb = await testSandbox({ timeScale: 60, scenario: parseScenario(HA, 'ha-mixed') });
    await settled(sb, 3, ['web']);
  });
  after(async () => sb?.stop());

  it('reads one apiserver per node as kubeadm does: the highest is the cluster version, with its warning; no etcd rows', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'plan', '--to', '1.32']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^\[upgrade\/versions\] Cluster version: v1\.32\.2\n/);
    for (const [node, version] of [['cp1', 'v1.32.2'], ['cp2', 'v1.31.4'], ['cp3', 'v1.31.4']]) {
      assert.match(r.out, new RegExp(`\\nkube-apiserver +${node} +${version.replace(/\./g, '\\.')} +${v32.replace(/\./g, '\\.')}\\n`));
    }
    assert.doesNotMatch(r.out, /\netcd {2,}/, 'external etcd has no rows (kubeadm omits them)');
    assert.match(r.out, /WARNING {2}ApiserverVersionsDiffer\n {2}Different API server versions in the cluster were discovered: v1\.32\.2 on \[cp1\], v1\.31\.4 on \[cp2 cp3\]\./);
    assert.match(r.out, /INFO {2}ExternalEtcd/);
    // kubeadm's manual-upgrade table: every kubelet, to the target (skipping minors is allowed: v1.29 -> v1.32).
    assert.match(r.out, new RegExp(`\\nkubelet +node01 +v1\\.29\\.10 +${v32.replace(/\./g, '\\.')}\\n`));
    assert.match(r.out, /INFO {2}KubeletSkipsMinors/);
  });

  it('chains v1.31 -> v1.32 -> v1.33 and moves the v1.29 kubelet before the control plane reaches v1.33', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'plan', '--to', '1.33']);
    assert.equal(r.code, 0, r.err);
    const plan = JSON.parse(r.out) as UpgradePlan;
    assert.deepEqual(plan.hops.map((h) => `${formatVersion(h.from)} -> ${formatVersion(h.to)}`), [`v1.31.4 -> ${v32}`, `${v32} -> ${v33}`]);
    assert.deepEqual(plan.hops[0].kubeletsFirst, []);
    // Kubelets may lag 3 minors: at v1.33, v1.29 is out (n-4), v1.30 is in (n-3).
    assert.deepEqual(
      plan.hops[1].kubeletsFirst.map((k) => `${k.node} ${k.from} -> ${k.to}`),
      [`node01 v1.29.10 -> ${v32}`],
    );
    assert.ok(codes(plan).includes('KubeletUpgradeFirst node/node01'));
    // After the last hop every kubelet is at the target.
    assert.ok(plan.hops[1].kubelets.every((k) => k.target === v33));
  });

  it('the runbook: kubeadm upgrade apply on cp1 only, upgrade node on cp2 and cp3, node01 first in hop 2, external etcd noted', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'runbook', 'plan', '--to', '1.33', '--os', 'both']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /# etcd is external \(https:\/\/10\.0\.0\.100:2379\): kubeadm does not upgrade it/);
    const hop2 = r.out.slice(r.out.indexOf('## Hop 2 of 2'));
    const sections = [...hop2.matchAll(/^### \d+\. (\S+) \(([^)]*)\)/gm)].map((m) => `${m[1]}: ${m[2]}`);
    assert.deepEqual(sections, [
      `node01: worker: kubelet v1.29.10 -> ${v32} before the control plane moves`,
      'cp1: first control-plane node: kubeadm upgrade apply',
      'cp2: control-plane node: kubeadm upgrade node',
      'cp3: control-plane node: kubeadm upgrade node',
      'node01: worker: kubeadm upgrade node',
      'node02: worker: kubeadm upgrade node',
      'node03: worker: kubeadm upgrade node',
    ]);
    assert.equal(hop2.match(new RegExp(`^sudo kubeadm upgrade apply ${v33.replace(/\./g, '\\.')}$`, 'gm'))?.length, 2, 'once per OS variant, on cp1 only');
    assert.match(hop2, /# on node01, Debian\/Ubuntu \(apt\):\n/);
    assert.match(hop2, /# on node01, RHEL-like \(dnf\/yum/);
  });
});

// Out of policy today: apiservers two minors apart and a kubelet four minors behind.
const SKEWED = `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: skewed}
spec:
  controlPlane: {version: v1.30.10, etcd: {version: 3.5.15-0, topology: stacked}}
  nodes:
    - {name: cp1, role: control-plane, controlPlaneVersion: v1.32.2}
    - {name: cp2, role: control-plane}
    - {name: node01, version: v1.28.15}
    - {name: node02}
`;

describe('upkeep plan on a cluster already out of the skew policy', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await testSandbox({ timeScale: 60, scenario: parseScenario(SKEWED, 'skewed') });
    await settled(sb, 2);
  });
  after(async () => sb?.stop());

  it('reports the HA apiserver skew and the too-old kubelet as blocking, with stacked etcd per member', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'plan', '--to', '1.32']);
    assert.equal(r.code, 3, r.err);
    const plan = JSON.parse(r.out) as UpgradePlan;
    const blocking = codes(plan, 'blocking');
    assert.ok(blocking.includes('SkewKubeApiserverHA pod kube-system/kube-apiserver-cp2'), blocking.join(', '));
    assert.ok(blocking.includes('SkewKubeletTooOld node/node01'), blocking.join(', '));
    assert.deepEqual(
      plan.hops[0].controlPlane.filter((c) => c.component === 'etcd').map((c) => `${c.node} ${c.current}`),
      ['cp1 3.5.15-0', 'cp2 3.5.15-0'],
    );
    assert.match(r.err, /^error: the plan has \d+ blocking findings: .*SkewKubeletTooOld node\/node01/);
  });
});

// Workloads that make node drains stall or hurt, and a manifest applied with an API that the
// next minor removes (batch/v1beta1 CronJob, gone in v1.25).
const WORKLOADS = `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: workloads}
spec:
  controlPlane: {version: v1.24.17, etcd: {version: 3.5.6-0, topology: stacked}}
  nodes:
    - {name: controlplane, role: control-plane}
    - {name: node01}
    - {name: node02}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: default}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: nginx, image: "nginx:latest", imagePullPolicy: IfNotPresent}]}
    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: web, namespace: default}
      spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: solo, namespace: default}
      spec:
        replicas: 1
        selector: {matchLabels: {app: solo}}
        template:
          metadata: {labels: {app: solo}}
          spec: {nodeSelector: {kubernetes.io/hostname: node02}, containers: [{name: app, image: "registry.k8s.io/pause:3.10"}]}
    - apiVersion: batch/v1
      kind: CronJob
      metadata:
        name: report
        namespace: default
        annotations:
          kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"batch/v1beta1","kind":"CronJob","metadata":{"name":"report","namespace":"default"}}'
      spec:
        schedule: "0 3 * * *"
        jobTemplate:
          spec:
            template:
              spec:
                restartPolicy: OnFailure
                containers: [{name: report, image: "busybox:1.36"}]
`;

describe('upkeep plan preflight: budgets, single replicas, unpinned images, removed APIs', () => {
  let sb: TestSandbox;
  let plan: UpgradePlan;
  let code: number;
  before(async () => {
    sb = await testSandbox({ timeScale: 60, scenario: parseScenario(WORKLOADS, 'workloads') });
    await settled(sb, 1, ['web', 'solo']);
    await eventually('web 2 ready', async () => (await sb.list('pods', 'default')).filter((p: KubeObject) => p.metadata.labels?.app === 'web' && podReady(p)).length === 2);
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, '-o', 'json', 'plan', '--to', '1.25']);
    code = r.code;
    plan = JSON.parse(r.out) as UpgradePlan;
  });
  after(async () => sb?.stop());

  it('blocks: a budget that never allows an eviction, and a CronJob applied as batch/v1beta1', () => {
    assert.equal(code, 3);
    const blocking = codes(plan, 'blocking');
    assert.ok(blocking.includes('PDBAllowsNoDisruption poddisruptionbudget.policy default/web'), blocking.join(', '));
    assert.ok(blocking.includes('RemovedApi cronjob.batch default/report'), blocking.join(', '));
    const removed = plan.findings.find((f) => f.code === 'RemovedApi');
    assert.match(removed?.message ?? '', /batch\/v1beta1 CronJob \(its kubectl\.kubernetes\.io\/last-applied-configuration annotation\)/);
    assert.equal(removed?.hop, 'v1.24 -> v1.25');
  });

  it("warns: the single replica that goes down during its drain, pinned to node02, and the image on :latest kept IfNotPresent (the audit's pod rules)", () => {
    const warnings = codes(plan, 'warning');
    assert.ok(warnings.includes('SingleReplicaWorkload deployment.apps default/solo'), warnings.join(', '));
    assert.ok(warnings.includes('ImageNotPinned deployment.apps default/web'), warnings.join(', '));
    assert.ok(warnings.includes('ImagePullPolicyMovingTag deployment.apps default/web'), warnings.join(', '));
    assert.ok(warnings.includes('PodPinnedToNode deployment.apps default/solo'), warnings.join(', '));
    assert.match(plan.findings.find((f) => f.code === 'PodPinnedToNode')?.message ?? '', /^deployment\.apps default\/solo can only run on node02 .*until node02 is upgraded$/);
    assert.ok(!warnings.some((w) => w.includes('default/solo') && w.startsWith('ImageNotPinned')), 'pause:3.10 is pinned');
  });

  it('the budget finding names the nodes whose drains would wait forever', () => {
    const pdb = plan.findings.find((f) => f.code === 'PDBAllowsNoDisruption');
    const nodes = [...new Set(((pdb?.message ?? '').match(/draining ([\w, ]+) waits/)?.[1] ?? '').split(', '))];
    assert.ok(nodes.length >= 1 && nodes.every((n) => /^node0[12]$/.test(n)), pdb?.message);
    assert.match(pdb?.fix ?? '', /maxUnavailable: 1/);
  });
});

describe('upkeep demo', () => {
  it("ends with story 2: the plan from the seed cluster's v1.31.4 to the next minor", async () => {
    const r = await upkeep(['demo']);
    assert.equal(r.code, 0, r.err);
    const part = r.out.slice(r.out.indexOf('Next, story 2'));
    assert.match(part, /\$ upkeep plan --to v1\.32\n\[upgrade\/versions\] Cluster version: v1\.31\.4\n/);
    assert.ok(part.includes('\tkubeadm upgrade apply v1.32.13\n'), part);
    assert.match(part, /\nkubelet +controlplane +v1\.31\.4 /);
    // The safe way drained green away: nothing blocks the upgrade any more.
    assert.match(part, /Verdict: ready/);
  });
});
