// Real kubectl (v1.32) against the sandbox: the commands administrators run, with the output
// a real cluster gives.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type TestSandbox, eventually, nodeOf, podReady, testSandbox } from './helpers/sandbox.js';
import type { KubeObject, KubeList } from '../src/api/types.js';

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {mode: fast}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: shop}
stringData: {password: hunter2}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27.3"}]
`;

describe('kubectl against the sandbox', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await testSandbox();
  });
  after(async () => sb?.stop());

  it('lists nodes with the columns of a real cluster', async () => {
    const r = await sb.kubectl(['get', 'nodes']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    assert.match(r.stdout, /controlplane\s+Ready\s+control-plane\s+\S+\s+v1\.31\.4/);
    assert.equal(lines.length, 5, 'control plane and three workers');
    const wide = await sb.kubectl(['get', 'nodes', '-o', 'wide']);
    assert.match(wide.stdout.split('\n')[0], /INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME/);
  });

  it('shows pods in all namespaces, wide, as YAML, and by label', async () => {
    await eventually('green running', async () => (await sb.get('pods', 'default', 'green')) && podReady((await sb.get('pods', 'default', 'green'))!));
    const all = await sb.kubectl(['get', 'pods', '-A', '-o', 'wide']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout.split('\n')[0], /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
    assert.match(all.stdout, /kube-system\s+kube-apiserver-controlplane\s+1\/1\s+Running/);
    assert.match(all.stdout, /default\s+green\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+node01/);
    const yaml = await sb.kubectl(['get', 'pod', 'green', '-o', 'yaml']);
    assert.match(yaml.stdout, /^kind: Pod$/m);
    assert.match(yaml.stdout, /tolerationSeconds: 300/, 'the default not-ready/unreachable tolerations');
    const byLabel = await sb.kubectl(['get', 'pods', '-A', '-l', 'component=etcd', '-o', 'name']);
    assert.equal(byLabel.stdout.trim(), 'pod/etcd-controlplane');
  });

  it('describes a node and a pod', async () => {
    const node = await sb.kubectl(['describe', 'node', 'node01']);
    assert.equal(node.code, 0, node.stderr);
    assert.match(node.stdout, /Kubelet Version:\s+v1\.31\.4/);
    assert.match(node.stdout, /HolderIdentity:\s+node01/, 'the node lease');
    const pod = await sb.kubectl(['describe', 'pod', '-n', 'kube-system', 'etcd-controlplane']);
    assert.equal(pod.code, 0, pod.stderr);
    assert.match(pod.stdout, /--data-dir=\/var\/lib\/etcd/);
  });

  it('applies a multi-document manifest, then finds nothing to change', async () => {
    const first = await sb.kubectl(['apply', '-f', '-'], { input: MANIFEST });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.stdout.trim().split('\n'), ['namespace/shop created', 'configmap/settings created', 'secret/creds created', 'deployment.apps/web created']);
    const again = await sb.kubectl(['apply', '-f', '-'], { input: MANIFEST });
    assert.equal(again.code, 0, again.stderr);
    // As on a real cluster, a Secret applied with stringData is "configured" every time: the
    // server folds stringData into data and never stores it, so kubectl's patch always sets it.
    assert.deepEqual(again.stdout.trim().split('\n'), ['namespace/shop unchanged', 'configmap/settings unchanged', 'secret/creds configured', 'deployment.apps/web unchanged']);
    const cm = await sb.kubectlJson<KubeObject>(['get', 'configmap', 'settings', '-n', 'shop']);
    assert.ok(cm.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);
    const changed = await sb.kubectl(['apply', '-f', '-'], { input: MANIFEST.replace('mode: fast', 'mode: safe') });
    assert.match(changed.stdout, /configmap\/settings configured/);
    assert.equal((await sb.kubectlJson<{ data: Record<string, string> }>(['get', 'configmap', 'settings', '-n', 'shop'])).data.mode, 'safe');
  });

  it('labels, annotates and patches with each patch type', async () => {
    assert.equal((await sb.kubectl(['label', 'node', 'node02', 'disk=ssd'])).stdout.trim(), 'node/node02 labeled');
    assert.equal((await sb.kubectl(['annotate', 'node', 'node02', 'owner=team-a'])).stdout.trim(), 'node/node02 annotated');
    const strategic = await sb.kubectl(['patch', 'node', 'node02', '-p', '{"metadata":{"labels":{"zone":"a"}}}']);
    assert.equal(strategic.stdout.trim(), 'node/node02 patched', strategic.stderr);
    await sb.kubectl(['patch', 'node', 'node02', '--type', 'merge', '-p', '{"metadata":{"labels":{"disk":null}}}']);
    await sb.kubectl(['patch', 'node', 'node02', '--type', 'json', '-p', '[{"op":"add","path":"/metadata/labels/rack","value":"r7"}]']);
    const node = await sb.kubectlJson<KubeObject>(['get', 'node', 'node02']);
    assert.equal(node.metadata.labels?.zone, 'a');
    assert.equal(node.metadata.labels?.rack, 'r7');
    assert.equal(node.metadata.labels?.disk, undefined, 'merge patch null removes the label');
    assert.equal(node.metadata.annotations?.owner, 'team-a');
    const bad = await sb.kubectl(['patch', 'node', 'node02', '--type', 'json', '-p', '[{"op":"test","path":"/metadata/name","value":"other"}]']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /The request is invalid: the server rejected our request/);
  });

  it('changes a container image with a strategic merge patch that merges containers by name', async () => {
    const r = await sb.kubectl(['patch', 'deployment', 'web', '-n', 'shop', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27.4"}]}}}}']);
    assert.equal(r.code, 0, r.stderr);
    const d = await sb.kubectlJson<{ metadata: { generation: number }; spec: { template: { spec: { containers: Array<{ name: string; image: string; imagePullPolicy: string }> } } } }>(['get', 'deployment', 'web', '-n', 'shop']);
    assert.equal(d.spec.template.spec.containers.length, 1);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.27.4');
    assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent', 'defaults kept by the merge');
    assert.equal(d.metadata.generation, 2);
  });

  it('scales a deployment through the scale subresource', async () => {
    const r = await sb.kubectl(['scale', 'deployment', 'web', '-n', 'shop', '--replicas=4']);
    assert.equal(r.stdout.trim(), 'deployment.apps/web scaled', r.stderr);
    const d = await sb.kubectlJson<{ spec: { replicas: number } }>(['get', 'deployment', 'web', '-n', 'shop']);
    assert.equal(d.spec.replicas, 4);
  });

  it('sees a change with get -w', async () => {
    const watch = sb.kubectl(['get', 'configmaps', '-n', 'shop', '-w', '--request-timeout=8s'], { timeoutMs: 8000 });
    await new Promise((r) => setTimeout(r, 700));
    await sb.kubectl(['create', 'configmap', 'late', '-n', 'shop', '--from-literal=k=v']);
    const r = await watch;
    assert.match(r.stdout, /^settings\s+1\s+/m, 'the initial list');
    assert.match(r.stdout, /^late\s+1\s+/m, 'the watch event for the new configmap');
  });

  it('lists every API resource kubectl needs, with eviction available', async () => {
    const r = await sb.kubectl(['api-resources']);
    assert.equal(r.code, 0, r.stderr);
    for (const re of [/^pods\s+po\s+v1\s+true\s+Pod$/m, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m, /^poddisruptionbudgets\s+pdb\s+policy\/v1\s+true\s+PodDisruptionBudget$/m, /^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false/m]) {
      assert.match(r.stdout, re);
    }
    const core = await sb.kubectl(['get', '--raw', '/api/v1']);
    const list = JSON.parse(core.stdout) as { resources: Array<{ name: string; kind: string; group?: string; version?: string }> };
    assert.deepEqual(list.resources.find((x) => x.name === 'pods/eviction'), { name: 'pods/eviction', singularName: '', namespaced: true, kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
  });

  it('cordons and uncordons, showing SchedulingDisabled', async () => {
    assert.equal((await sb.kubectl(['cordon', 'node03'])).stdout.trim(), 'node/node03 cordoned');
    assert.equal((await sb.kubectl(['cordon', 'node03'])).stdout.trim(), 'node/node03 already cordoned');
    assert.match((await sb.kubectl(['get', 'nodes'])).stdout, /node03\s+Ready,SchedulingDisabled/);
    assert.equal((await sb.kubectl(['uncordon', 'node03'])).stdout.trim(), 'node/node03 uncordoned');
    assert.match((await sb.kubectl(['get', 'node', 'node03'])).stdout, /node03\s+Ready\s/);
  });

  it('deletes objects, gracefully for pods that run on a node', async () => {
    const r = await sb.kubectl(['delete', 'configmap', 'late', '-n', 'shop']);
    assert.equal(r.stdout.trim(), 'configmap "late" deleted');
    const gone = await sb.kubectl(['get', 'configmap', 'late', '-n', 'shop']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Error from server \(NotFound\): configmaps "late" not found/);
  });

  it('refuses to drain a node with a bare pod, then evicts through the eviction API with --force', async () => {
    const refused = await sb.kubectl(['drain', 'node01', '--ignore-daemonsets']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Pods that declare no controller \(use --force to override\): default\/green/);
    const r = await sb.kubectl(['drain', 'node01', '--ignore-daemonsets', '--force', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /evicting pod default\/green/);
    assert.match(r.stdout, /pod\/green evicted/);
    assert.match(r.stdout, /node\/node01 drained/);
    const pods = await sb.kubectlJson<KubeList>(['get', 'pods', '-A', '--field-selector', 'spec.nodeName=node01']);
    const left = pods.items.filter((p) => !p.metadata.annotations?.['kubernetes.io/config.mirror'] && p.metadata.ownerReferences?.[0]?.kind !== 'DaemonSet');
    assert.deepEqual(left.map((p) => p.metadata.name), [], 'only DaemonSet pods remain');
    assert.equal(nodeOf((await sb.get('pods', 'default', 'green')) ?? { metadata: {} }), undefined, 'green is gone');
  });
});
