// APIServices and ClusterRole aggregation in the sandbox, through real kubectl (1.33 and 1.30):
// the local APIServices kube-apiserver registers for every served group version and for CRDs,
// an aggregated APIService whose Service is missing (Available False with the aggregator's reason,
// and its group not in discovery), and the clusterrole-aggregation controller writing admin, edit,
// view and any role with an aggregationRule, which a scenario user bound to edit then holds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/sandbox/index.js';
import type { ClusterRole } from '../src/api/types.js';
import { type TestSandbox, eventually, testSandbox } from './helpers/sandbox.js';
import { kubectlAt } from './helpers/kubectl-versions.js';
import { rawRequest } from './helpers/raw-http.js';
import { decodeProtobuf } from '../src/sandbox/server/protobuf/codec.js';

const SCENARIO = `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: apiservices}
spec:
  nodes:
  - {name: controlplane, role: control-plane}
  - {name: node01}
  users:
  - {name: erin, groups: [devs], token: erin-token-1234}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: erin-edit, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: erin}]
`;

const METRICS = `apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
  service: {namespace: kube-system, name: metrics-server}
`;

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  - {name: v1beta1, served: false, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
`;

interface APIServiceView {
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }> };
}

describe('APIServices and ClusterRole aggregation in the sandbox', () => {
  let sb: TestSandbox;
  const k133 = (args: string[], input?: string) => kubectlAt(sb, '1.33', args, input === undefined ? {} : { input });
  const k130 = (args: string[]) => kubectlAt(sb, '1.30', args);
  const apiService = async (name: string): Promise<APIServiceView | undefined> => {
    const r = await k133(['get', 'apiservice', name, '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as APIServiceView) : undefined;
  };
  const clusterRole = async (name: string): Promise<ClusterRole> => JSON.parse((await k133(['get', 'clusterrole', name, '-o', 'json'])).stdout) as ClusterRole;

  before(async () => {
    sb = await testSandbox({ scenario: parseScenario(SCENARIO, 'apiservices.yaml'), name: 'upkeep-apis' });
    await eventually('the local APIServices registered', () => sb.get('apiservices.apiregistration.k8s.io', '', 'v2.autoscaling'));
  });
  after(async () => sb?.stop());

  it('kubectl get apiservices lists a Local, available APIService per served group version', async () => {
    for (const get of [k133, k130]) {
      const r = await get(['get', 'apiservices']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.match(lines[0], /^NAME\s+SERVICE\s+AVAILABLE\s+AGE$/);
      for (const name of ['v1.', 'v1.apps', 'v1.autoscaling', 'v2.autoscaling', 'v1.rbac.authorization.k8s.io', 'v1.storage.k8s.io']) {
        assert.ok(lines.some((l) => new RegExp(`^${name.replace(/\./g, '\\.')}\\s+Local\\s+True\\s+\\d+[sm]`).test(l)), `${name} in\n${r.stdout}`);
      }
      assert.ok(!lines.some((l) => l.startsWith('v1.apiregistration.k8s.io ')), 'the aggregator\'s own group has none');
    }
  });

  it('answers a protobuf-only client with the APIService in kube-aggregator\'s protobuf', async () => {
    const r = await rawRequest(sb.sandbox, 'GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1.apps', { headers: { Accept: 'application/vnd.kubernetes.protobuf' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.kubernetes.protobuf');
    const a = decodeProtobuf(r.body) as { kind: string; apiVersion: string; metadata: { name: string }; spec: { group: string; version: string; groupPriorityMinimum: number; versionPriority: number } };
    assert.deepEqual([a.kind, a.apiVersion, a.metadata.name, a.spec.group, a.spec.version, a.spec.groupPriorityMinimum, a.spec.versionPriority], ['APIService', 'apiregistration.k8s.io/v1', 'v1.apps', 'apps', 'v1', 17800, 15]);
  });

  it('kubectl api-resources lists apiservices as kube-apiserver does, in the api-extensions category', async () => {
    const r = await k133(['api-resources', '-o', 'wide', '--api-group=apiregistration.k8s.io']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^apiservices\s+apiregistration\.k8s\.io\/v1\s+false\s+APIService\s+create,delete,deletecollection,get,list,patch,update,watch\s+api-extensions$/m);
  });

  it('v1.apps carries kube-apiserver\'s priorities, the autoregister label and the Local condition', async () => {
    const a = await apiService('v1.apps');
    assert.deepEqual(a?.spec, { group: 'apps', version: 'v1', groupPriorityMinimum: 17800, versionPriority: 15 });
    assert.deepEqual(a?.metadata.labels, { 'kube-aggregator.kubernetes.io/automanaged': 'onstart' });
    const c = a?.status?.conditions ?? [];
    assert.deepEqual(c.map(({ type, status, reason, message }) => ({ type, status, reason, message })), [
      { type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available' },
    ]);
    assert.match(c[0]?.lastTransitionTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual((await apiService('v1.'))?.spec, { version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 });
  });

  it('a CRD\'s served version gets its APIService, which goes with the CRD', async () => {
    assert.equal((await k133(['apply', '-f', '-'], CRD)).code, 0);
    const a = await eventually('v1.example.com registered', () => apiService('v1.example.com'));
    assert.deepEqual(a.spec, { group: 'example.com', version: 'v1', groupPriorityMinimum: 1000, versionPriority: 100 });
    assert.deepEqual(a.metadata.labels, { 'kube-aggregator.kubernetes.io/automanaged': 'true' });
    assert.equal(await apiService('v1beta1.example.com'), undefined, 'a version that is not served has none');
    assert.match((await k130(['get', 'apiservices'])).stdout, /^v1\.example\.com\s+Local\s+True\s/m);
    assert.equal((await k133(['delete', 'crd', 'widgets.example.com'])).code, 0);
    await eventually('v1.example.com removed', async () => (await sb.get('apiservices.apiregistration.k8s.io', '', 'v1.example.com')) === undefined);
  });

  it('an aggregated APIService without its Service is stored unavailable, and discovery does not claim its group', async () => {
    const created = await k133(['apply', '-f', '-'], METRICS);
    assert.equal(created.stdout, 'apiservice.apiregistration.k8s.io/v1beta1.metrics.k8s.io created\n', created.stderr);
    await eventually('ServiceNotFound', async () => /^v1beta1\.metrics\.k8s\.io\s+kube-system\/metrics-server\s+False \(ServiceNotFound\)\s/m.test((await k133(['get', 'apiservices'])).stdout));
    const a = await apiService('v1beta1.metrics.k8s.io');
    assert.deepEqual(a?.status?.conditions?.map(({ status, reason, message }) => ({ status, reason, message })), [
      { status: 'False', reason: 'ServiceNotFound', message: 'service/metrics-server in "kube-system" is not present' },
    ]);
    assert.deepEqual((a?.spec.service as Record<string, unknown>) ?? {}, { namespace: 'kube-system', name: 'metrics-server', port: 443 });
    // A Service whose selector matches no pod: the endpoints controller's Endpoints have no addresses.
    const svc = await k133(['create', 'service', 'clusterip', 'metrics-server', '-n', 'kube-system', '--tcp=443:10250']);
    assert.equal(svc.code, 0, svc.stderr);
    await eventually('MissingEndpoints', async () => /^v1beta1\.metrics\.k8s\.io\s+kube-system\/metrics-server\s+False \(MissingEndpoints\)\s/m.test((await k130(['get', 'apiservices'])).stdout));
    assert.equal((await apiService('v1beta1.metrics.k8s.io'))?.status?.conditions?.[0]?.message, 'endpoints for service/metrics-server in "kube-system" have no addresses with port name "443-10250"');
    const groups = JSON.parse((await k133(['get', '--raw', '/apis'])).stdout) as { groups: Array<{ name: string }> };
    assert.ok(!groups.groups.some((g) => g.name === 'metrics.k8s.io'));
    const resources = await k133(['api-resources']);
    assert.equal(resources.code, 0, resources.stderr);
    assert.doesNotMatch(resources.stdout + resources.stderr, /metrics\.k8s\.io/);
    assert.equal((await k133(['delete', 'apiservice', 'v1beta1.metrics.k8s.io'])).code, 0);
  });

  it('refuses an APIService whose name is not version.group, as kube-aggregator does', async () => {
    const r = await k133(['apply', '-f', '-'], METRICS.replace('name: v1beta1.metrics.k8s.io', 'name: metrics'));
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'The APIService "metrics" is invalid: metadata.name: Invalid value: "metrics": must be `spec.version+"."+spec.group`: "v1beta1.metrics.k8s.io"\n');
  });

  it('kubectl get clusterrole admin -o json: the aggregated rules are stored (admin has edit\'s, edit has view\'s)', async () => {
    const admin = await clusterRole('admin');
    assert.deepEqual(admin.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }] });
    const has = (r: ClusterRole, resource: string, verb: string) => (r.rules ?? []).some((x) => x.resources?.includes(resource) && x.verbs.includes(verb));
    assert.ok(has(admin, 'rolebindings', 'create'), 'from system:aggregate-to-admin');
    assert.ok(has(admin, 'pods/eviction', 'create'), 'from edit');
    assert.ok(has(admin, 'deployments', 'list'), 'from view, through edit');
    const edit = await clusterRole('edit');
    assert.ok(has(edit, 'deployments', 'create') && has(edit, 'pods/log', 'get'));
    assert.ok(!has(edit, 'rolebindings', 'create'));
  });

  it('a user bound to edit can do what edit allows, and gains what a new aggregate-to-edit role adds', async () => {
    const erin = (args: string[]) => k133(['--context', 'upkeep-apis-erin', ...args]);
    assert.equal((await erin(['auth', 'can-i', 'create', 'deployments', '-n', 'default'])).stdout, 'yes\n');
    assert.equal((await erin(['auth', 'can-i', 'create', 'rolebindings', '-n', 'default'])).stdout, 'no\n');
    const made = await erin(['create', 'deployment', 'shop', '--image=nginx:1.27.3', '-n', 'default']);
    assert.equal(made.stdout, 'deployment.apps/shop created\n', made.stderr);
    const refused = await erin(['create', 'quota', 'small', '--hard=pods=4', '-n', 'default']);
    assert.equal(refused.stderr, 'error: failed to create quota: resourcequotas is forbidden: User "erin" cannot create resource "resourcequotas" in API group "" in the namespace "default"\n');

    const role = await k133(['create', 'clusterrole', 'quota-editor', '--verb=create,delete', '--resource=resourcequotas']);
    assert.equal(role.code, 0, role.stderr);
    assert.equal((await k133(['label', 'clusterrole', 'quota-editor', 'rbac.authorization.k8s.io/aggregate-to-edit=true'])).code, 0);
    // edit takes the new rule, and admin takes it from edit.
    await eventually('admin aggregates the new rule', async () => ((await clusterRole('admin')).rules ?? []).some((r) => r.resources?.includes('resourcequotas') && r.verbs.includes('create')));
    assert.equal((await erin(['create', 'quota', 'small', '--hard=pods=4', '-n', 'default'])).stdout, 'resourcequota/small created\n');

    assert.equal((await k133(['delete', 'clusterrole', 'quota-editor'])).code, 0);
    await eventually('edit drops the rule with its role', async () => !((await clusterRole('edit')).rules ?? []).some((r) => r.resources?.includes('resourcequotas') && r.verbs.includes('create')));
    assert.equal((await erin(['auth', 'can-i', 'create', 'resourcequotas', '-n', 'default'])).stdout, 'no\n');
  });
});
