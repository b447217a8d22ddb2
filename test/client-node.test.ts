// The official JavaScript client (@kubernetes/client-node 1.4) against the sandbox, unmodified:
// typed list with pagination, Watch, patches with explicit content types, and eviction.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { type TestSandbox, eventually, podReady, testSandbox } from './helpers/sandbox.js';

describe('@kubernetes/client-node against the sandbox', () => {
  let sb: TestSandbox;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let policy: k8s.PolicyV1Api;
  before(async () => {
    sb = await testSandbox();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(sb.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    policy = kc.makeApiClient(k8s.PolicyV1Api);
    await core.createNamespace({ body: { metadata: { name: 'paging' } } });
    for (let i = 0; i < 25; i++) {
      await core.createNamespacedConfigMap({ namespace: 'paging', body: { metadata: { name: `cm-${String(i).padStart(2, '0')}` }, data: { i: String(i) } } });
    }
  });
  after(async () => sb?.stop());

  it('verifies the sandbox over TLS with the kubeconfig CA and lists nodes', async () => {
    const nodes = await core.listNode();
    assert.deepEqual(nodes.items.map((n) => n.metadata?.name).sort(), ['controlplane', 'node01', 'node02', 'node03']);
    assert.equal(nodes.items.find((n) => n.metadata?.name === 'node01')?.status?.nodeInfo?.kubeletVersion, 'v1.31.4');
  });

  it('pages through a list with limit and continue', async () => {
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedConfigMap({ namespace: 'paging', limit: 10, _continue: token });
      names.push(...page.items.map((c) => c.metadata!.name!));
      token = page.metadata?._continue || undefined;
      pages++;
    } while (token);
    assert.equal(pages, 3);
    // 25 of ours plus kube-root-ca.crt, which every namespace gets.
    assert.equal(names.length, 26);
    assert.ok(names.includes('kube-root-ca.crt'));
    assert.deepEqual(names, [...names].sort(), 'in key order');
    assert.equal(new Set(names).size, 26, 'no duplicates');
  });

  it('watches changes from a list resourceVersion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'paging' });
    const seen: Array<[string, string]> = [];
    const watch = new k8s.Watch(kc);
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const req = await watch.watch('/api/v1/namespaces/paging/configmaps', { resourceVersion: list.metadata?.resourceVersion }, (type, obj: k8s.V1ConfigMap) => {
      seen.push([type, obj.metadata!.name!]);
      if (type === 'DELETED') done();
    }, () => undefined);
    await core.createNamespacedConfigMap({ namespace: 'paging', body: { metadata: { name: 'watched' } } });
    await core.patchNamespacedConfigMap({ namespace: 'paging', name: 'watched', body: { data: { a: 'b' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ namespace: 'paging', name: 'watched' });
    await finished;
    req.abort();
    assert.deepEqual(seen, [['ADDED', 'watched'], ['MODIFIED', 'watched'], ['DELETED', 'watched']]);
  });

  it('patches a node with strategic merge, JSON merge and JSON patch', async () => {
    await core.patchNode({ name: 'node02', body: { spec: { unschedulable: true } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
    assert.equal((await core.readNode({ name: 'node02' })).spec?.unschedulable, true);
    await core.patchNode({ name: 'node02', body: { spec: { unschedulable: null } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    assert.equal((await core.readNode({ name: 'node02' })).spec?.unschedulable, undefined);
    await core.patchNode({ name: 'node02', body: [{ op: 'add', path: '/metadata/labels/patched', value: 'yes' }] });
    assert.equal((await core.readNode({ name: 'node02' })).metadata?.labels?.patched, 'yes');
  });

  it('evicts a pod, and is refused with 429 while a PodDisruptionBudget allows no disruption', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'guarded', labels: { app: 'guarded' } }, spec: { nodeName: 'node03', containers: [{ name: 'c', image: 'nginx:1.27.3' }] } } });
    await eventually('guarded ready', async () => podReady((await core.readNamespacedPod({ namespace: 'default', name: 'guarded' })) as never));
    await policy.createNamespacedPodDisruptionBudget({ namespace: 'default', body: { metadata: { name: 'guarded' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } } } });
    await eventually('budget observed', async () => (await policy.readNamespacedPodDisruptionBudget({ namespace: 'default', name: 'guarded' })).status?.observedGeneration === 1);
    const eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'guarded', namespace: 'default' } };
    await assert.rejects(core.createNamespacedPodEviction({ namespace: 'default', name: 'guarded', body: eviction }), (e: k8s.ApiException<string>) => {
      assert.equal(e.code, 429);
      const status = JSON.parse(e.body) as k8s.V1Status;
      assert.equal(status.message, "Cannot evict pod as it would violate the pod's disruption budget.");
      assert.equal(status.details?.causes?.[0]?.reason, 'DisruptionBudget');
      assert.equal(status.details?.causes?.[0]?.message, 'The disruption budget guarded needs 1 healthy pods and has 1 currently');
      return true;
    });
    await policy.deleteNamespacedPodDisruptionBudget({ namespace: 'default', name: 'guarded' });
    await core.createNamespacedPodEviction({ namespace: 'default', name: 'guarded', body: eviction });
    await eventually('guarded gone', async () => (await sb.get('pods', 'default', 'guarded')) === undefined);
  });
});
