// `upkeep audit permissions` end to end: a scenario user who may cordon, read and watch what a
// drain reads, and evict in default and kube-system, but not create pods/eviction in shop. The
// audit asks the sandbox's SelfSubjectAccessReview API what is missing for each maintenance.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/sandbox/index.js';
import { type TestSandbox, eventually, podReady, testSandbox } from './helpers/sandbox.js';
import { upkeep } from './helpers/cli.js';

function deployment(name: string, namespace: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: ${name}, image: "nginx:1.27.3"}]
`;
}

function evictorBinding(namespace: string): string {
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dora-evict, namespace: ${namespace}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: evictor}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: dora}]
`;
}

const SCENARIO = [
  `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: audit}
spec:
  nodes:
  - {name: controlplane, role: control-plane}
  - {namePrefix: node0, count: 2}
  users:
  - {name: dora, token: dora-token-1234}
`,
  'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n',
  `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: drainer}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get, list, watch, patch]}
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch, delete]}
- {apiGroups: [""], resources: [replicationcontrollers], verbs: [list]}
- {apiGroups: [apps], resources: [daemonsets, replicasets, deployments, statefulsets], verbs: [get, list]}
- {apiGroups: [batch], resources: [jobs], verbs: [list]}
- {apiGroups: [policy], resources: [poddisruptionbudgets], verbs: [list]}
`,
  `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: dora-drainer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: drainer}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: dora}]
`,
  `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: evictor}
rules:
- {apiGroups: [""], resources: [pods/eviction], verbs: [create]}
`,
  evictorBinding('default'),
  evictorBinding('kube-system'),
  deployment('web', 'default'),
  deployment('cart', 'shop'),
].join('---\n');

interface Finding {
  severity: string;
  code: string;
  object?: string;
  message: string;
  fix: string;
}

describe('upkeep audit permissions against the sandbox RBAC', () => {
  let sb: TestSandbox;
  const audit = async (context: string[], args: string[]) => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, ...context, 'audit', 'permissions', ...args]);
    return { code: r.code, err: r.err, findings: r.code === 0 || r.code === 3 ? (JSON.parse(r.out).findings as Finding[]) : [] };
  };
  const dora = ['--context', 'upkeep-audit-dora'];

  before(async () => {
    // Named, so that dora's context is upkeep-audit-dora.
    sb = await testSandbox({ scenario: parseScenario(SCENARIO, 'audit.yaml'), name: 'upkeep-audit' });
    await eventually('web and cart ready', async () => {
      const pods = [...(await sb.list('pods', 'default')), ...(await sb.list('pods', 'shop'))];
      return pods.filter(podReady).length === 4;
    });
  });
  after(async () => sb?.stop());

  it('--for drain: exactly the missing create pods/eviction in shop, blocking, with the rule to add; exit 3', async () => {
    const r = await audit(dora, ['--for', 'drain', '-o', 'json']);
    assert.equal(r.code, 3, r.err);
    assert.deepEqual(r.findings, [
      {
        severity: 'blocking',
        code: 'PermissionMissing',
        object: 'namespace/shop',
        message: 'you cannot create pods/eviction in shop: drain evicts the pods (POST pods/<name>/eviction), so the drain stops there',
        fix: 'add the rule {apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"]} to a Role in shop bound to you (kubectl create role upkeep-drain -n shop --verb=create --resource=pods/eviction; kubectl create rolebinding upkeep-drain -n shop --role=upkeep-drain --user=YOU), then check with kubectl auth can-i create pods --subresource=eviction -n shop',
      },
    ]);
    assert.equal(r.err, 'error: 1 finding at or above --fail-on blocking: PermissionMissing namespace/shop\n');
    // What kubectl says about the same permission.
    assert.deepEqual(await sb.kubectl([...dora, 'auth', 'can-i', 'create', 'pods', '--subresource=eviction', '-n', 'shop']), { code: 1, stdout: 'no\n', stderr: '' });
    assert.deepEqual(await sb.kubectl([...dora, 'auth', 'can-i', 'create', 'pods', '--subresource=eviction', '-n', 'default']), { code: 0, stdout: 'yes\n', stderr: '' });
  });

  it('-n default: the namespace dora may evict in, nothing missing; exit 0', async () => {
    assert.deepEqual(await audit(dora, ['--for', 'drain', '-n', 'default', '-o', 'json']), { code: 0, err: '', findings: [] });
  });

  it('the admin: no permission finding for any maintenance', async () => {
    for (const op of ['drain', 'upgrade', 'backup', 'restore']) {
      const r = await audit([], ['--for', op, '-o', 'json']);
      assert.deepEqual({ op, code: r.code, findings: r.findings }, { op, code: 0, findings: [] }, r.err);
    }
  });

  it("--for upgrade: the drain's eviction, and the journal ConfigMap and the Lease in kube-system", async () => {
    const r = await audit(dora, ['--for', 'upgrade', '-o', 'json']);
    assert.equal(r.code, 3);
    assert.deepEqual(
      r.findings.map((f) => f.message.replace(/:.*/, '')),
      ['you cannot create pods/eviction in shop', 'you cannot get configmaps in kube-system', 'you cannot create configmaps in kube-system', 'you cannot update configmaps in kube-system', 'you cannot get leases.coordination.k8s.io in kube-system', 'you cannot create leases.coordination.k8s.io in kube-system', 'you cannot update leases.coordination.k8s.io in kube-system', 'you cannot delete leases.coordination.k8s.io in kube-system', 'you cannot delete nodes'],
    );
    assert.deepEqual([...new Set(r.findings.map((f) => f.severity))], ['blocking', 'info']);
  });

  it('--for backup: list what it collects (secrets among them), nothing of a drain', async () => {
    const r = await audit(dora, ['--for', 'backup', '-o', 'json']);
    assert.equal(r.code, 3);
    assert.ok(r.findings.every((f) => f.severity === 'blocking' && f.message.startsWith('you cannot list ') && f.message.endsWith('the backup lists every resource it collects, so the backup stops there')), JSON.stringify(r.findings, null, 1));
    assert.ok(r.findings.some((f) => /^you cannot list [^:]*\bsecrets\b[^:]* in all namespaces:/.test(f.message)));
    assert.ok(!r.findings.some((f) => /\bpods\b|\bnodes\b/.test(f.message.replace(/:.*/, ''))), 'dora may list pods and nodes');
  });

  it('--for restore: namespaces, then create and get (blocking) and patch (warning) of what it restores, never nodes', async () => {
    const r = await audit(dora, ['--for', 'restore', '-o', 'json']);
    assert.equal(r.code, 3);
    const heads = r.findings.map((f) => `${f.severity} ${f.message.replace(/:.*/, '')}`);
    assert.equal(heads[0], 'blocking you cannot list namespaces');
    assert.equal(heads[1], 'blocking you cannot create namespaces');
    assert.ok(heads.some((h) => /^blocking you cannot create .*\bsecrets\b.* in all namespaces$/.test(h)), heads.join('\n'));
    assert.ok(heads.some((h) => /^warning you cannot patch .*\bdeployments\.apps\b/.test(h)), heads.join('\n'));
    assert.ok(!heads.some((h) => /\bnodes\b/.test(h)), heads.join('\n'));
  });
});
