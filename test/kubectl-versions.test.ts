// kubectl 1.30, 1.31, 1.32 and 1.33, each called directly, against one sandbox: the commands
// administrators run. 1.32 and 1.33 send protobuf bodies for built-in kinds; all four must work.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type TestSandbox, testSandbox } from './helpers/sandbox.js';
import { KUBECTL_MINORS, type KubectlMinor, haveKubectl, kubectlAt } from './helpers/kubectl-versions.js';
import type { KubectlResult } from './helpers/sandbox.js';

type Step = [name: string, run: (k: (args: string[], input?: string) => Promise<KubectlResult>, ns: string) => Promise<void>];

function ok(r: KubectlResult, what: string): string {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  return r.stdout;
}

const manifest = (ns: string, replicas: number, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: ${ns}, labels: {app: api}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "${image}", ports: [{containerPort: 8080}]}]
`;

const crd = (ns: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${ns}widgets.${ns}.example.com}
spec:
  group: ${ns}.example.com
  scope: Namespaced
  names: {plural: ${ns}widgets, singular: ${ns}widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, description: "How big the widget is, in centimetres."}
`;

const STEPS: Step[] = [
  ['create namespace', async (k, ns) => assert.match(ok(await k(['create', 'namespace', ns]), 'create ns'), new RegExp(`namespace/${ns} created`))],
  ['create configmap', async (k, ns) => {
    ok(await k(['create', 'configmap', 'settings', '-n', ns, '--from-literal=mode=fast', '--from-literal=level=3']), 'create cm');
    assert.equal(ok(await k(['get', 'cm', 'settings', '-n', ns, '-o', 'jsonpath={.data.mode}/{.data.level}']), 'get cm'), 'fast/3');
  }],
  ['create secret', async (k, ns) => {
    ok(await k(['create', 'secret', 'generic', 'creds', '-n', ns, '--from-literal=password=hunter2']), 'create secret');
    assert.equal(ok(await k(['get', 'secret', 'creds', '-n', ns, '-o', 'jsonpath={.type} {.data.password}']), 'get secret'), 'Opaque aHVudGVyMg==');
  }],
  ['create serviceaccount', async (k, ns) => assert.match(ok(await k(['create', 'serviceaccount', 'robot', '-n', ns]), 'create sa'), /serviceaccount\/robot created/)],
  ['create role', async (k, ns) => {
    ok(await k(['create', 'role', 'reader', '-n', ns, '--verb=get,list', '--resource=pods']), 'create role');
    assert.equal(ok(await k(['get', 'role', 'reader', '-n', ns, '-o', 'jsonpath={.rules[0].verbs}']), 'get role'), '["get","list"]');
  }],
  ['create quota', async (k, ns) => {
    ok(await k(['create', 'quota', 'small', '-n', ns, '--hard=cpu=4,memory=8Gi,pods=50']), 'create quota');
    assert.equal(ok(await k(['get', 'quota', 'small', '-n', ns, '-o', 'jsonpath={.spec.hard.cpu} {.spec.hard.memory} {.spec.hard.pods}']), 'get quota'), '4 8Gi 50');
    // As on a real cluster, a quota on cpu and memory refuses pods that request neither, and the
    // deployments below request nothing: the quota goes before they are created.
    ok(await k(['delete', 'quota', 'small', '-n', ns]), 'delete quota');
  }],
  ['create pdb', async (k, ns) => {
    ok(await k(['create', 'pdb', 'web', '-n', ns, '--selector=app=web', '--min-available=50%']), 'create pdb');
    assert.equal(ok(await k(['get', 'pdb', 'web', '-n', ns, '-o', 'jsonpath={.spec.minAvailable}']), 'get pdb'), '50%');
  }],
  ['create deployment', async (k, ns) => {
    ok(await k(['create', 'deployment', 'web', '-n', ns, '--image=nginx:1.27.3', '--replicas=2', '--port=80']), 'create deploy');
    assert.equal(ok(await k(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].ports[0].containerPort}']), 'get deploy'), '2 80');
  }],
  ['create cronjob and job --from', async (k, ns) => {
    ok(await k(['create', 'cronjob', 'tick', '-n', ns, '--image=busybox:1.36', '--schedule=*/5 * * * *', '--', 'true']), 'create cronjob');
    ok(await k(['create', 'job', 'tick-now', '-n', ns, '--from=cronjob/tick']), 'create job');
    assert.equal(ok(await k(['get', 'job', 'tick-now', '-n', ns, '-o', 'jsonpath={.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate}']), 'get job'), 'manual');
  }],
  ['apply (client-side)', async (k, ns) => {
    assert.match(ok(await k(['apply', '-f', '-'], manifest(ns, 1, 'registry.test/api:1')), 'apply'), /deployment.apps\/api created/);
    assert.match(ok(await k(['apply', '-f', '-'], manifest(ns, 2, 'registry.test/api:1')), 'apply again'), /deployment.apps\/api configured/);
  }],
  ['apply --server-side', async (k, ns) => {
    ok(await k(['apply', '--server-side', '--force-conflicts', '-f', '-'], manifest(ns, 3, 'registry.test/api:1')), 'server-side apply');
    assert.equal(ok(await k(['get', 'deploy', 'api', '-n', ns, '-o', 'jsonpath={.spec.replicas}']), 'get'), '3');
  }],
  ['diff', async (k, ns) => {
    const same = await k(['diff', '-f', '-'], manifest(ns, 3, 'registry.test/api:1'));
    assert.equal(same.code, 0, `diff of an unchanged manifest: ${same.stderr}`);
    const changed = await k(['diff', '-f', '-'], manifest(ns, 3, 'registry.test/api:2'));
    assert.equal(changed.code, 1, `diff of a changed manifest exits 1: ${changed.stderr}`);
    assert.match(changed.stdout, /^\+\s+- image: registry\.test\/api:2$/m);
  }],
  ['patch', async (k, ns) => {
    ok(await k(['patch', 'deploy', 'api', '-n', ns, '-p', '{"metadata":{"labels":{"tier":"backend"}}}']), 'strategic patch');
    ok(await k(['patch', 'deploy', 'api', '-n', ns, '--type=merge', '-p', '{"spec":{"minReadySeconds":5}}']), 'merge patch');
    ok(await k(['patch', 'deploy', 'api', '-n', ns, '--type=json', '-p', '[{"op":"replace","path":"/spec/revisionHistoryLimit","value":4}]']), 'json patch');
    assert.equal(ok(await k(['get', 'deploy', 'api', '-n', ns, '-o', 'jsonpath={.metadata.labels.tier} {.spec.minReadySeconds} {.spec.revisionHistoryLimit}']), 'get'), 'backend 5 4');
  }],
  ['scale', async (k, ns) => {
    assert.match(ok(await k(['scale', 'deploy', 'web', '-n', ns, '--replicas=3']), 'scale'), /deployment.apps\/web scaled/);
    assert.equal(ok(await k(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}']), 'get'), '3');
  }],
  ['rollout status and restart', async (k, ns) => {
    assert.match(ok(await k(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=60s']), 'rollout status'), /successfully rolled out/);
    assert.match(ok(await k(['rollout', 'restart', 'deploy/web', '-n', ns]), 'rollout restart'), /deployment.apps\/web restarted/);
    assert.match(ok(await k(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.template.metadata.annotations}']), 'get'), /kubectl.kubernetes.io\/restartedAt/);
    assert.match(ok(await k(['rollout', 'status', 'deploy/web', '-n', ns, '--timeout=60s']), 'rollout status after restart'), /successfully rolled out/);
  }],
  ['debug node', async (k) => {
    const r = ok(await k(['debug', 'node/node02', '--image=busybox:1.36', '--', 'true']), 'debug node');
    const pod = /Creating debugging pod (\S+) with container debugger on node node02/.exec(r)?.[1];
    assert.ok(pod, r);
    assert.equal(ok(await k(['get', 'pod', pod, '-n', 'default', '-o', 'jsonpath={.spec.nodeName} {.spec.hostPID}']), 'get debug pod'), 'node02 true');
    ok(await k(['delete', 'pod', pod, '-n', 'default', '--wait=false']), 'delete debug pod');
  }],
  ['drain and uncordon', async (k) => {
    const r = ok(await k(['drain', 'node03', '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=90s'], undefined), 'drain');
    assert.match(r, /node\/node03 drained/);
    assert.match(ok(await k(['uncordon', 'node03']), 'uncordon'), /node\/node03 uncordoned/);
  }],
  ['explain', async (k) => {
    const r = ok(await k(['explain', 'deployment.spec.strategy']), 'explain');
    assert.match(r, /^KIND:\s+Deployment$/m);
    assert.match(r, /FIELD: strategy <DeploymentStrategy>/);
    assert.match(r, /DeploymentStrategy describes how to replace existing pods with new ones\./);
    assert.match(r, /^\s+rollingUpdate\s+<RollingUpdateDeployment>$/m);
  }],
  // A plural of its own per version: kubectl resolves names from its (stale) discovery cache.
  ['explain a custom resource', async (k, ns) => {
    ok(await k(['apply', '-f', '-'], crd(ns)), 'apply CRD');
    const r = ok(await k(['explain', `${ns}widgets.spec.size`]), 'explain');
    assert.match(r, /^KIND:\s+Widget$/m);
    assert.match(r, /FIELD: size <integer>/);
    assert.match(r, /How big the widget is, in centimetres\./);
  }],
  ['delete', async (k, ns) => {
    assert.match(ok(await k(['delete', 'configmap', 'settings', '-n', ns]), 'delete cm'), /configmap "settings" deleted/);
  }],
];

describe('kubectl 1.30 to 1.33 against the sandbox', () => {
  let sb: TestSandbox;
  const results = new Map<string, Map<KubectlMinor, string>>();
  before(async () => {
    sb = await testSandbox();
  });
  after(async () => {
    await sb?.stop();
  });

  for (const minor of KUBECTL_MINORS) {
    describe(`kubectl ${minor}`, { skip: !haveKubectl(minor) && `kubectl ${minor} is not installed` }, () => {
      const ns = `v${minor.replace('.', '')}`;
      const k = (args: string[], input?: string) => kubectlAt(sb, minor, args, { input, timeoutMs: 120_000 });
      for (const [name, run] of STEPS) {
        it(name, async () => {
          const row = results.get(name) ?? new Map<KubectlMinor, string>();
          results.set(name, row);
          row.set(minor, 'fail');
          await run(k, ns);
          row.set(minor, 'ok');
        });
      }
    });
  }

  it('summary: every command works with every version', (t) => {
    const lines = [`| command | ${KUBECTL_MINORS.join(' | ')} |`, `| --- |${KUBECTL_MINORS.map(() => ' --- |').join('')}`];
    for (const [name] of STEPS) lines.push(`| ${name} | ${KUBECTL_MINORS.map((m) => results.get(name)?.get(m) ?? 'skipped').join(' | ')} |`);
    for (const line of lines) t.diagnostic(line);
    const failed = [...results].flatMap(([name, row]) => [...row].filter(([, r]) => r !== 'ok').map(([m]) => `${m} ${name}`));
    assert.deepEqual(failed, []);
  });
});
