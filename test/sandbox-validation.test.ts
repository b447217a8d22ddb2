// What the sandbox refuses before anything is stored, answered as kube-apiserver answers it:
// over-deep bodies, wrong types, unknown fields (Strict/Warn/Ignore), and invalid objects (422
// with causes), through raw HTTP and real kubectl 1.31 (which sends JSON and asks for Strict).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testSandbox, type TestSandbox } from './helpers/sandbox.js';
import { parseScenario } from '../src/sandbox/index.js';
import { pinnedKubectl, request } from './helpers/raw.js';

function deep(levels: number): string {
  return '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
}

describe('the sandbox refuses what kube-apiserver refuses, before storing it', () => {
  let env: TestSandbox;
  before(async () => {
    env = await testSandbox({ controllers: false });
  });
  after(async () => env.stop());
  const kubectl = (args: string[], input?: string) => pinnedKubectl('1.31', env.kubeconfig, env.dir, args, input);

  it('drops a 5,000-deep unknown field of a ConfigMap (with a warning) and keeps answering lists', async () => {
    const body = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":{"k":"v"},"extra":${deep(5000)}}`;
    const created = await request(env.sandbox, 'POST', '/api/v1/namespaces/default/configmaps', body);
    assert.equal(created.status, 201);
    assert.equal(created.headers.warning, '299 - "unknown field \\"extra\\""');
    const stored = await env.get('configmaps', 'default', 'deep');
    assert.deepEqual(stored?.data, { k: 'v' });
    assert.equal('extra' in (stored ?? {}), false);
    const list = await request(env.sandbox, 'GET', '/api/v1/namespaces/default/configmaps');
    assert.equal(list.status, 200);
  });

  it('refuses the same field under fieldValidation=Strict, and a body deeper than 10,000 levels', async () => {
    const strict = await request(env.sandbox, 'POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"strict"},"extra":${deep(5000)}}`);
    assert.equal(strict.status, 400);
    assert.equal(JSON.parse(strict.text).message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "extra"');
    const tooDeep = await request(env.sandbox, 'POST', '/api/v1/namespaces/default/configmaps', `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"too-deep"},"extra":${deep(10_001)}}`);
    assert.equal(tooDeep.status, 400);
    assert.equal(JSON.parse(tooDeep.text).message, "couldn't get version/kind; json parse error: exceeded max depth");
    assert.equal(await env.get('configmaps', 'default', 'strict'), undefined);
    assert.equal(await env.get('configmaps', 'default', 'too-deep'), undefined);
  });

  it('answers wrong types with the decoder error: taints as a string, a capacity that is no quantity', async () => {
    const taints = await request(env.sandbox, 'POST', '/api/v1/nodes', '{"apiVersion":"v1","kind":"Node","metadata":{"name":"bad-1"},"spec":{"taints":"oops"}}');
    assert.equal(taints.status, 400);
    assert.equal(JSON.parse(taints.text).message, 'Node in version "v1" cannot be handled as a Node: json: cannot unmarshal string into Go struct field NodeSpec.spec.taints of type []v1.Taint');
    const cpu = await request(env.sandbox, 'POST', '/api/v1/nodes', '{"apiVersion":"v1","kind":"Node","metadata":{"name":"bad-2"},"status":{"capacity":{"cpu":"lots"}}}');
    assert.equal(cpu.status, 400);
    assert.match(JSON.parse(cpu.text).message, /^Node in version "v1" cannot be handled as a Node: quantities must match the regular expression/);
  });

  it('kubectl apply: a taint effect Sometimes is 422 with its cause', async () => {
    const r = await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Node\nmetadata: {name: bad-3}\nspec:\n  taints: [{key: k, effect: Sometimes}]\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The Node "bad-3" is invalid: spec\.taints\[0\]\.effect: Unsupported value: "Sometimes": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"/);
  });

  it('kubectl apply (Strict by default) refuses an unknown field; --validate=false drops it', async () => {
    const manifest = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  foo: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n';
    const r = await kubectl(['apply', '-f', '-'], manifest);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec\.foo"/);
    const ok = await kubectl(['apply', '--validate=false', '-f', '-'], manifest);
    assert.equal(ok.code, 0, ok.stderr);
    const stored = await env.get('deployments.apps', 'default', 'web');
    assert.equal('foo' in ((stored?.spec as object | undefined) ?? {}), false);
  });

  it('kubectl create: a Deployment whose selector does not match its template is 422', async () => {
    const r = await kubectl(['create', '-f', '-'], 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: mismatch}\nspec:\n  replicas: -1\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: b}}\n    spec: {containers: [{name: web, image: nginx}]}\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The Deployment "mismatch" is invalid: \n\* spec\.replicas: Invalid value: -1: must be greater than or equal to 0\n\* spec\.template\.metadata\.labels: Invalid value: map\[string\]string\{"app":"b"\}: `selector` does not match template `labels`/);
  });

  it('kubectl apply: a changed Deployment selector is 422 "field is immutable"; a changed Secret type too', async () => {
    const d = (app: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: fixed}\nspec:\n  selector: {matchLabels: {app: ${app}}}\n  template:\n    metadata: {labels: {app: ${app}}}\n    spec: {containers: [{name: web, image: nginx}]}\n`;
    assert.equal((await kubectl(['apply', '-f', '-'], d('one'))).code, 0);
    const r = await kubectl(['apply', '-f', '-'], d('two'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /spec\.selector: Invalid value: v1\.LabelSelector\{MatchLabels:map\[string\]string\{"app":"two"\}, MatchExpressions:\[\]v1\.LabelSelectorRequirement\(nil\)\}: field is immutable/);
    assert.equal((await kubectl(['create', 'secret', 'generic', 'typed', '--from-literal=a=b'])).code, 0);
    const t = await kubectl(['patch', 'secret', 'typed', '-p', '{"type":"kubernetes.io/basic-auth"}']);
    assert.equal(t.code, 1);
    assert.match(t.stderr, /The Secret "typed" is invalid: type: Invalid value: "kubernetes.io\/basic-auth": field is immutable/);
  });

  it('defaults: Secret stringData lands in data; a CronJob gets its policies; a Service port its targetPort', async () => {
    const s = await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Secret\nmetadata: {name: creds, annotations: {}}\nstringData: {password: hunter2}\n');
    assert.equal(s.code, 0, s.stderr);
    const secret = await env.get('secrets', 'default', 'creds');
    assert.deepEqual(secret?.data, { password: 'aHVudGVyMg==' });
    assert.equal(secret?.stringData, undefined);
    const c = await kubectl(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *']);
    assert.equal(c.code, 0, c.stderr);
    const cron = await env.get('cronjobs.batch', 'default', 'tick');
    const spec = (cron?.spec ?? {}) as Record<string, unknown>;
    assert.deepEqual([spec.concurrencyPolicy, spec.suspend, spec.successfulJobsHistoryLimit, spec.failedJobsHistoryLimit], ['Allow', false, 3, 1]);
    const svc = await kubectl(['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    assert.equal(svc.code, 0, svc.stderr);
    const stored = await env.get('services', 'default', 'web');
    const ss = (stored?.spec ?? {}) as Record<string, unknown>;
    assert.deepEqual([ss.sessionAffinity, ss.ipFamilyPolicy, ss.internalTrafficPolicy, ss.ipFamilies], ['None', 'SingleStack', 'Cluster', ['IPv4']]);
  });

  it('ResourceQuota refuses the pod past its limit (403); a LimitRange defaults resources', async () => {
    assert.equal((await kubectl(['create', 'namespace', 'quota'])).code, 0);
    assert.equal((await kubectl(['create', 'quota', 'compute', '-n', 'quota', '--hard=pods=1'])).code, 0);
    const lr = await kubectl(['apply', '-n', 'quota', '-f', '-'], 'apiVersion: v1\nkind: LimitRange\nmetadata: {name: defaults}\nspec:\n  limits: [{type: Container, default: {cpu: 500m}, defaultRequest: {cpu: 100m}}]\n');
    assert.equal(lr.code, 0, lr.stderr);
    assert.equal((await kubectl(['run', 'one', '-n', 'quota', '--image=nginx'])).code, 0);
    const one = await env.get('pods', 'quota', 'one');
    assert.deepEqual((one?.spec as { containers: Array<{ resources: unknown }> } | undefined)?.containers[0].resources, { limits: { cpu: '500m' }, requests: { cpu: '100m' } });
    const two = await kubectl(['run', 'two', '-n', 'quota', '--image=nginx']);
    assert.equal(two.code, 1);
    assert.match(two.stderr, /Error from server \(Forbidden\): pods "two" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=1, limited: pods=1/);
  });
});

describe('the schema a write is decoded against is the control plane\'s minor', () => {
  let v131: TestSandbox;
  let v133: TestSandbox;
  const scenario = (version: string) => parseScenario(`apiVersion: upkeep.dev/v1alpha1\nkind: Scenario\nmetadata: {name: v}\nspec:\n  controlPlane: {version: ${version}}\n  nodes:\n    - {name: controlplane, role: control-plane}\n`, 'v.yaml');
  // PodSpec.resources (pod-level resources) is in the published 1.32 and 1.33 API, not in 1.31's.
  const pod = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"sized"},"spec":{"resources":{"limits":{"cpu":"1"}},"containers":[{"name":"app","image":"registry.k8s.io/pause:3.10"}]}}';
  before(async () => {
    v131 = await testSandbox({ controllers: false, scenario: scenario('v1.31.4') });
    v133 = await testSandbox({ controllers: false, scenario: scenario('v1.33.1') });
  });
  after(async () => {
    await v131?.stop();
    await v133?.stop();
  });

  it('a 1.33 server keeps a field 1.33 has; a 1.31 server refuses it under Strict', async () => {
    const kept = await request(v133.sandbox, 'POST', '/api/v1/namespaces/default/pods?fieldValidation=Strict', pod);
    assert.equal(kept.status, 201, kept.text);
    assert.deepEqual(Reflect.get((await v133.get('pods', 'default', 'sized'))?.spec ?? {}, 'resources'), { limits: { cpu: '1' } });
    const refused = await request(v131.sandbox, 'POST', '/api/v1/namespaces/default/pods?fieldValidation=Strict', pod);
    assert.equal(refused.status, 400);
    assert.equal(JSON.parse(refused.text).message, 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.resources"');
  });
});
