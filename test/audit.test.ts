// `upkeep audit` against the sandbox, on a scenario built for it through the API: namespace shop
// with four Deployments pulling from a private registry (pull secret missing, of the wrong type,
// without the registry's host, and good), budgets of each kind (one that allows no disruption,
// one that selects nothing, two that overlap, one that is fine), a kubelet newer than the API
// server (the machine API's node upgrade) and a node cordoned by kubectl; certificates from a
// kubeadm PKI the test generates (29 and 31 days, one expired) and the sandbox's own serving one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isPodReady } from '../src/api/pods.js';
import type { Pod } from '../src/api/types.js';
import { writeKubeadmPki } from '../src/audit/testing/pki.js';
import { KubeClient } from '../src/kube/index.js';
import { upkeep } from './helpers/cli.js';
import { contractProblems } from '../src/cli/output/contract.js';
import { type TestSandbox, eventually, testSandbox } from './helpers/sandbox.js';

const REGISTRY = 'registry.shop.test:5000';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

function deployment(name: string, pullSecret: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      imagePullSecrets: [{name: ${pullSecret}}]
      containers: [{name: app, image: "${REGISTRY}/shop/${name}:1.0"}]
`;
}

function budget(name: string, app: string, spec: string): string {
  return `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: ${name}, namespace: shop}
spec: {selector: {matchLabels: {app: ${app}}}, ${spec}}
`;
}

const SCENARIO = [
  'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n',
  `apiVersion: v1\nkind: Secret\nmetadata: {name: regcred, namespace: shop}\ntype: kubernetes.io/dockerconfigjson\ndata: {.dockerconfigjson: ${b64({ auths: { [REGISTRY]: { auth: 'dTpw' } } })}}\n`,
  `apiVersion: v1\nkind: Secret\nmetadata: {name: ghcr-cred, namespace: shop}\ntype: kubernetes.io/dockerconfigjson\ndata: {.dockerconfigjson: ${b64({ auths: { 'ghcr.io': { auth: 'dTpw' } } })}}\n`,
  'apiVersion: v1\nkind: Secret\nmetadata: {name: opaque-cred, namespace: shop}\ntype: Opaque\ndata: {password: cA==}\n',
  deployment('good', 'regcred'),
  deployment('missing', 'regcred-missing'),
  deployment('wrongtype', 'opaque-cred'),
  deployment('nohost', 'ghcr-cred'),
  budget('good', 'good', 'maxUnavailable: 1'),
  budget('missing', 'missing', 'minAvailable: 2'),
  budget('ghost', 'ghost', 'maxUnavailable: 1'),
  budget('wrongtype-a', 'wrongtype', 'maxUnavailable: 1'),
  budget('wrongtype-b', 'wrongtype', 'maxUnavailable: 1'),
].join('---\n');

interface Report {
  apiVersion: string;
  kind: string;
  findings: Array<{ severity: string; code: string; object?: string; message: string; fix: string }>;
  images?: Array<{ pod: { name: string }; image: string; imageID: string; pullPolicy: string }>;
  certificates?: Array<{ name: string; source: string; notAfter?: string; error?: string }>;
}

/** Findings as "severity code object", sorted; the codes that depend on where the scheduler put replicas left out. */
function lines(r: Report): string[] {
  return r.findings
    .filter((f) => !['WorkloadGoesDown', 'SingleReplicaWorkload'].includes(f.code))
    .map((f) => `${f.severity} ${f.code} ${f.object ?? '-'}`)
    .sort();
}

describe('upkeep audit on a sandbox built for it', () => {
  let sb: TestSandbox;
  let k: string[];
  let root: string;

  before(async () => {
    sb = await testSandbox();
    k = ['--kubeconfig', sb.kubeconfig];
    const applied = await sb.kubectl(['apply', '-f', '-'], { input: SCENARIO });
    assert.equal(applied.code, 0, applied.stderr);
    await eventually('the shop pods to run', async () => {
      const pods = (await sb.list('pods', 'shop')).filter((p): p is Pod => p.kind === 'Pod');
      return pods.length === 8 && pods.every((p) => isPodReady(p) && p.status?.containerStatuses?.[0]?.imageID);
    });
    // A kubelet newer than the API server (v1.31.4), and a node cordoned outside upkeep.
    const client = await KubeClient.create({ kubeconfig: sb.kubeconfig });
    await client.init();
    await client.post('/sandbox/v1/nodes/node03/upgrade', { version: 'v1.32.0', downSeconds: 1 });
    assert.equal((await sb.kubectl(['cordon', 'node02'])).code, 0);
    await eventually('node03 to report kubelet v1.32.0', async () => {
      const n = await sb.get('nodes', '', 'node03');
      return JSON.stringify(n?.status).includes('"kubeletVersion":"v1.32.0"');
    });
    root = path.join(sb.dir, 'etc-kubernetes');
    await writeKubeadmPki(root, { days: { apiserver: 29, 'admin.conf': 31, 'etcd-server': -1 }, others: 365, omit: ['super-admin.conf'] });
  });
  after(() => sb?.stop());

  it('images: each broken pull secret, and the image with no credentials for its host; warnings do not fail the default --fail-on', async () => {
    const r = await upkeep([...k, 'audit', 'images', '-n', 'shop', '-o', 'json']);
    assert.equal(r.code, 0, r.err);
    const report: Report = JSON.parse(r.out);
    assert.equal(`${report.apiVersion} ${report.kind}`, 'upkeep.dev/v1alpha1 AuditReport');
    assert.deepEqual(contractProblems(report), []);
    assert.deepEqual(lines(report), [
      'info ImageTagWithoutDigest deployment.apps shop/good',
      'info ImageTagWithoutDigest deployment.apps shop/missing',
      'info ImageTagWithoutDigest deployment.apps shop/nohost',
      'info ImageTagWithoutDigest deployment.apps shop/wrongtype',
      'warning ImagePullSecretInvalid deployment.apps shop/wrongtype',
      'warning ImagePullSecretMissing deployment.apps shop/missing',
      'warning ImagePullSecretNoCredentials deployment.apps shop/missing',
      'warning ImagePullSecretNoCredentials deployment.apps shop/nohost',
      'warning ImagePullSecretNoCredentials deployment.apps shop/wrongtype',
    ]);
    const invalid = report.findings.find((f) => f.code === 'ImagePullSecretInvalid');
    assert.equal(invalid?.message, 'deployment.apps shop/wrongtype names pull secret opaque-cred, but secret shop/opaque-cred cannot be used for pulls: type Opaque, not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg: a pod moved to a node without its image may fail to pull (ErrImagePull)');
    assert.equal(report.images?.length, 8);
    assert.deepEqual([...new Set(report.images?.map((i) => `${i.image} ${i.pullPolicy} ${i.imageID.includes('@sha256:')}`))].sort(), [
      `${REGISTRY}/shop/good:1.0 IfNotPresent true`,
      `${REGISTRY}/shop/missing:1.0 IfNotPresent true`,
      `${REGISTRY}/shop/nohost:1.0 IfNotPresent true`,
      `${REGISTRY}/shop/wrongtype:1.0 IfNotPresent true`,
    ]);
  });

  it('images as a table: the inventory, then the findings by severity; --fail-on warning exits 3', async () => {
    const r = await upkeep([...k, 'audit', 'images', '-n', 'shop', '-l', 'app=nohost', '--fail-on', 'warning']);
    assert.equal(r.code, 3);
    const out = r.out.split('\n');
    assert.match(out[0], /^POD\s+CONTAINER\s+IMAGE\s+IMAGE ID\s+PULL POLICY$/);
    assert.match(out[1], /^shop\/nohost-\S+\s+app\s+registry\.shop\.test:5000\/shop\/nohost:1\.0\s+\S+@sha256:\S+\s+IfNotPresent$/);
    assert.equal(out.indexOf('WARNING (1)'), 4);
    assert.equal(out[5], '  deployment.apps shop/nohost  ImagePullSecretNoCredentials');
    assert.equal(
      out[7],
      '    fix: kubectl create secret docker-registry regcred -n shop --docker-server=registry.shop.test:5000 --docker-username=USER --docker-password=... and add it to the pod template\'s imagePullSecrets (or the ServiceAccount\'s)',
    );
    assert.equal(out.at(-2), '2 findings: 0 blocking, 1 warning, 1 info');
    assert.equal(r.err, 'error: 1 finding at or above --fail-on warning: ImagePullSecretNoCredentials deployment.apps shop/nohost\n');
  });

  it('availability: the budget at its minimum and the overlapping ones block (exit 3), the one that selects nothing warns, no budget is info', async () => {
    const r = await upkeep([...k, 'audit', 'availability', '-n', 'shop', '--for', 'drain', '-o', 'json']);
    assert.equal(r.code, 3);
    const found = lines(JSON.parse(r.out));
    assert.deepEqual(
      found.filter((l) => !l.includes('OverlappingPDBs')),
      ['blocking PDBAllowsNoDisruption poddisruptionbudget.policy shop/missing', 'info NoPodDisruptionBudget deployment.apps shop/nohost', 'warning PDBSelectsNothing poddisruptionbudget.policy shop/ghost'],
    );
    assert.deepEqual(
      found.filter((l) => l.includes('OverlappingPDBs')).map((l) => l.replace(/wrongtype-\S+$/, 'wrongtype-*')),
      ['blocking OverlappingPDBs pod shop/wrongtype-*', 'blocking OverlappingPDBs pod shop/wrongtype-*'],
    );
  });

  it('nodes: the kubelet newer than the API server blocks; the cordoned node is noted with who cordoned it', async () => {
    const r = await upkeep([...k, 'audit', 'nodes', '-o', 'json']);
    assert.equal(r.code, 3);
    const report: Report = JSON.parse(r.out);
    assert.deepEqual(lines(report), ['blocking SkewKubeletTooNew node/node03', 'info NodeCordoned node/node02']);
    assert.match(report.findings.find((f) => f.code === 'NodeCordoned')?.message ?? '', /already cordoned outside upkeep/);
  });

  it("certs: kubeadm's tables from --pki-dir (29 days warns, 31 does not, expired blocks), the sandbox's serving certificate, an etcd endpoint that does not answer", async () => {
    const r = await upkeep([...k, 'audit', 'certs', '--pki-dir', path.join(root, 'pki'), '--etcd-endpoints', 'https://127.0.0.1:1']);
    assert.equal(r.code, 3);
    const out = r.out.split('\n');
    assert.match(out[0], /^CERTIFICATE\s+EXPIRES\s+RESIDUAL TIME\s+CERTIFICATE AUTHORITY\s+EXTERNALLY MANAGED$/);
    assert.match(r.out, /\nadmin\.conf\s+\w{3} \d\d, \d{4} \d\d:\d\d UTC\s+30d\s+ca\s+no\n/);
    assert.match(r.out, /\napiserver\s+\w{3} \d\d, \d{4} \d\d:\d\d UTC\s+28d\s+ca\s+no\n/);
    assert.match(r.out, /\netcd-server\s+\w{3} \d\d, \d{4} \d\d:\d\d UTC\s+<invalid>\s+etcd-ca\s+no\n/);
    assert.match(r.out, /\nCERTIFICATE AUTHORITY\s+EXPIRES\s+RESIDUAL TIME\s+EXTERNALLY MANAGED\nca\s+.*\s+364d\s+no\n/);
    assert.match(r.out, /\nkube-apiserver serving\s+https:\/\/127\.0\.0\.1:\d+\s+\w{3} \d\d, \d{4} \d\d:\d\d UTC\s+364d\n/);
    const json: Report = JSON.parse((await upkeep([...k, 'audit', 'certs', '--pki-dir', path.join(root, 'pki'), '--etcd-endpoints', 'https://127.0.0.1:1', '-o', 'json'])).out);
    assert.deepEqual(contractProblems(json), []);
    assert.deepEqual(lines(json), [
      `blocking CertificateExpired ${path.join(root, 'pki', 'etcd', 'server.crt')}`,
      'info CertificateUnreadable certificate https://127.0.0.1:1',
      `warning CertificateExpiresSoon ${path.join(root, 'pki', 'apiserver.crt')}`,
    ]);
    assert.deepEqual(json.certificates?.filter((c) => c.source === 'apiserver').map((c) => c.name), ['kube-apiserver serving']);
  });

  it('permissions: the admin may do everything each maintenance needs (the sandbox answers SelfSubjectAccessReviews)', async () => {
    for (const op of ['drain', 'upgrade', 'backup', 'restore']) {
      const r = await upkeep([...k, 'audit', 'permissions', '--for', op, '-o', 'json']);
      assert.deepEqual({ op, code: r.code, found: lines(JSON.parse(r.out)) }, { op, code: 0, found: [] }, r.err);
    }
  });

  it("the drain report shows the audit's findings for the pods it would drain", async () => {
    const pods = (await sb.list('pods', 'shop')).filter((p): p is Pod => p.kind === 'Pod');
    const node = pods.find((p) => p.metadata.name?.startsWith('missing-'))?.spec?.nodeName ?? '';
    const r = await upkeep([...k, 'drain', node, '--ignore-daemonsets', '--dry-run']);
    const section = r.out.slice(r.out.indexOf('Audit of the pods to drain (upkeep audit):'));
    assert.ok(section.startsWith('Audit of the pods to drain (upkeep audit):\nWARNING ('), r.out);
    assert.ok(section.includes('\n  deployment.apps shop/missing  ImagePullSecretMissing\n'), section);
    assert.match(section, /\nVerdict: /);
    const json = JSON.parse((await upkeep([...k, 'drain', node, '--ignore-daemonsets', '--dry-run', '-o', 'json'])).out);
    assert.ok(json.auditFindings.some((f: { code: string; object: string }) => f.code === 'ImagePullSecretNoCredentials' && f.object === 'deployment.apps shop/missing'));
  });

  it('bad input: one line, exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['audit', 'certz'], 'error: unknown check "certz": must be one of images, availability, nodes, certs, permissions\n'],
      [['audit', '--for', 'reboot'], 'error: invalid value "reboot" for --for: must be one of drain, upgrade, backup, restore\n'],
      [['audit', '--fail-on', 'error'], 'error: invalid value "error" for --fail-on: must be info, warning or blocking\n'],
      [['audit', 'certs', '--pki-dir', path.join(root, 'nope')], `error: --pki-dir ${path.join(root, 'nope')} is not a directory (on a kubeadm control-plane node: /etc/kubernetes/pki)\n`],
    ];
    for (const [args, err] of cases) {
      const r = await upkeep([...k, ...args]);
      assert.deepEqual({ code: r.code, err: r.err }, { code: 2, err });
    }
    await fs.access(root);
  });
});
