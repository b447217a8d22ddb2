// The disruption controller, the garbage collectors and the namespace defaults, seen through
// real kubectl and the store: PDB status as kube computes it, evictions refused and then allowed
// by that status, cascading deletion in the background, foreground and orphan modes, pods of a
// deleted node, and the default ServiceAccount and CA ConfigMap of a new namespace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, KubeList } from '../src/api/types.js';
import { type TestSandbox, eventually, nodeOf, podReady, testSandbox } from './helpers/sandbox.js';

type Obj = Record<string, unknown>;

function deployment(ns: string, name: string, replicas: number, grace = 30): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: ${grace}
      containers: [{name: app, image: "nginx:1.27.3"}]
`;
}

function pdb(ns: string, name: string, selectApp: string, budget: string): string {
  return `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: ${name}, namespace: ${ns}}
spec:
  ${budget}
  selector: {matchLabels: {app: ${selectApp}}}
`;
}

const status = (o: KubeObject | undefined) => (o?.status as Obj | undefined) ?? {};

describe('disruption controller, garbage collector and namespace defaults', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await testSandbox();
  });
  after(async () => sb?.stop());

  async function apply(manifest: string): Promise<void> {
    const r = await sb.kubectl(['apply', '-f', '-'], { input: manifest });
    assert.equal(r.code, 0, r.stderr);
  }

  async function readyPods(ns: string, app: string, n: number): Promise<KubeObject[]> {
    return eventually(`${n} ready ${app} pods`, async () => {
      const pods = (await sb.list('pods', ns)).filter((p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp);
      return pods.length === n && pods.every(podReady) ? pods : undefined;
    });
  }

  async function pdbStatus(ns: string, name: string, want: Obj): Promise<Obj> {
    return eventually(`PDB ${name} status ${JSON.stringify(want)}`, async () => {
      const s = status(await sb.get('poddisruptionbudgets.policy', ns, name));
      return Object.entries(want).every(([k, v]) => s[k] === v) ? s : undefined;
    });
  }

  it('computes PDB status like Kubernetes for minAvailable and maxUnavailable, int and percent', async () => {
    await sb.kubectl(['create', 'namespace', 'budgets']);
    await apply(deployment('budgets', 'web', 5));
    await readyPods('budgets', 'web', 5);
    await apply(
      [
        pdb('budgets', 'min-int', 'web', 'minAvailable: 2'),
        pdb('budgets', 'min-pct', 'web', 'minAvailable: "50%"'),
        pdb('budgets', 'max-int', 'web', 'maxUnavailable: 1'),
        pdb('budgets', 'max-pct', 'web', 'maxUnavailable: "30%"'),
      ].join('---\n'),
    );
    // expectedPods: the matching pods for an int minAvailable, the Deployment's scale otherwise;
    // percentages round up (50% of 5 -> 3 available, 30% of 5 -> 2 unavailable).
    const want: Record<string, Obj> = {
      'min-int': { expectedPods: 5, currentHealthy: 5, desiredHealthy: 2, disruptionsAllowed: 3, observedGeneration: 1 },
      'min-pct': { expectedPods: 5, currentHealthy: 5, desiredHealthy: 3, disruptionsAllowed: 2, observedGeneration: 1 },
      'max-int': { expectedPods: 5, currentHealthy: 5, desiredHealthy: 4, disruptionsAllowed: 1, observedGeneration: 1 },
      'max-pct': { expectedPods: 5, currentHealthy: 5, desiredHealthy: 3, disruptionsAllowed: 2, observedGeneration: 1 },
    };
    for (const [name, w] of Object.entries(want)) await pdbStatus('budgets', name, w);

    // What kubectl shows: the same numbers and the DisruptionAllowed condition.
    const list = await sb.kubectlJson<KubeList>(['get', 'pdb', '-n', 'budgets']);
    for (const item of list.items) {
      const s = status(item);
      assert.deepEqual(
        Object.fromEntries(Object.keys(want[item.metadata.name ?? '']).map((k) => [k, s[k]])),
        want[item.metadata.name ?? ''],
        item.metadata.name,
      );
      const cond = (s.conditions as Obj[]).find((c) => c.type === 'DisruptionAllowed');
      assert.deepEqual([cond?.status, cond?.reason, cond?.message, cond?.observedGeneration], ['True', 'SufficientPods', '', 1]);
      assert.match(String(cond?.lastTransitionTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }

    // Scaling the Deployment moves expectedPods of the percentage budgets (6 replicas: 30% -> 2).
    assert.equal((await sb.kubectl(['scale', 'deployment', 'web', '-n', 'budgets', '--replicas=6'])).code, 0);
    await readyPods('budgets', 'web', 6);
    await pdbStatus('budgets', 'max-pct', { expectedPods: 6, currentHealthy: 6, desiredHealthy: 4, disruptionsAllowed: 2 });
    await pdbStatus('budgets', 'min-int', { expectedPods: 6, desiredHealthy: 2, disruptionsAllowed: 4 });

    // A budget nothing can satisfy: DisruptionAllowed False, InsufficientPods.
    await apply(pdb('budgets', 'all', 'web', 'minAvailable: "100%"'));
    const all = await pdbStatus('budgets', 'all', { expectedPods: 6, desiredHealthy: 6, disruptionsAllowed: 0 });
    const cond = (all.conditions as Obj[]).find((c) => c.type === 'DisruptionAllowed');
    assert.deepEqual([cond?.status, cond?.reason], ['False', 'InsufficientPods']);

    // Changing the spec bumps the generation; the controller observes it.
    assert.equal((await sb.kubectl(['patch', 'pdb', 'min-int', '-n', 'budgets', '--type=merge', '-p', '{"spec":{"minAvailable":5}}'])).code, 0);
    await pdbStatus('budgets', 'min-int', { observedGeneration: 2, desiredHealthy: 5, disruptionsAllowed: 1 });
  });

  it('reports a bare pod under a percentage budget as unmanaged and keeps the budget shut', async () => {
    await sb.kubectl(['create', 'namespace', 'bare']);
    const r = await sb.kubectl(['run', 'solo', '-n', 'bare', '--image=nginx:1.27.3', '--labels=app=solo']);
    assert.equal(r.code, 0, r.stderr);
    await readyPods('bare', 'solo', 1);
    await apply(pdb('bare', 'solo', 'solo', 'maxUnavailable: 1'));
    await pdbStatus('bare', 'solo', { expectedPods: 0, currentHealthy: 1, desiredHealthy: 0, disruptionsAllowed: 0, observedGeneration: 1 });
    const events = await eventually('UnmanagedPods event', async () => {
      const list = await sb.kubectlJson<KubeList>(['get', 'events', '-n', 'bare', '--field-selector', 'involvedObject.kind=PodDisruptionBudget']);
      return list.items.some((e) => e.reason === 'UnmanagedPods') ? list.items : undefined;
    });
    const ev = events.find((e) => e.reason === 'UnmanagedPods')!;
    assert.equal(ev.type, 'Warning');
    assert.match(String(ev.message), /were found to be unmanaged/);
  });

  it('blocks an eviction (429) while disruptionsAllowed is 0 and lets kubectl drain through after a scale-up', async () => {
    await sb.kubectl(['create', 'namespace', 'drain']);
    await apply(deployment('drain', 'api', 2));
    const pods = await readyPods('drain', 'api', 2);
    await apply(pdb('drain', 'api', 'api', 'minAvailable: 2'));
    await pdbStatus('drain', 'api', { expectedPods: 2, currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0, observedGeneration: 1 });

    // The eviction API answers 429 with the budget's numbers.
    const victim = pods[0];
    const node = nodeOf(victim)!;
    const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: victim.metadata.name, namespace: 'drain' } });
    const refused = await sb.kubectl(['create', '--raw', `/api/v1/namespaces/drain/pods/${victim.metadata.name}/eviction`, '-f', '-'], { input: eviction });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /TooManyRequests|Cannot evict pod as it would violate the pod's disruption budget/);

    // kubectl drain retries on 429 and gives up at its timeout, the pod still running.
    const blocked = await sb.kubectl(['drain', node, '--pod-selector=app=api', '--timeout=3s']);
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.stderr, /Cannot evict pod as it would violate the pod's disruption budget/);
    assert.ok(await sb.get('pods', 'drain', victim.metadata.name ?? ''), 'the pod was not evicted');

    // One more replica (on another node: this one is cordoned) gives the budget room.
    assert.equal((await sb.kubectl(['scale', 'deployment', 'api', '-n', 'drain', '--replicas=3'])).code, 0);
    await pdbStatus('drain', 'api', { expectedPods: 3, currentHealthy: 3, disruptionsAllowed: 1 });
    const drained = await sb.kubectl(['drain', node, '--pod-selector=app=api', '--timeout=60s']);
    assert.equal(drained.code, 0, drained.stderr);
    assert.match(drained.stdout, /evicted/);
    assert.match(drained.stdout, new RegExp(`node/${node} drained`));
    await eventually('the evicted pod gone', async () => !(await sb.get('pods', 'drain', victim.metadata.name ?? '')));
    // The Deployment replaces it on another node and the budget recovers.
    const after = await readyPods('drain', 'api', 3);
    assert.ok(after.every((p) => nodeOf(p) !== node));
    await pdbStatus('drain', 'api', { currentHealthy: 3, disruptionsAllowed: 1 });
    assert.equal((await sb.kubectl(['uncordon', node])).code, 0);
  });

  it('deletes a Deployment in the background: its ReplicaSet and pods follow', async () => {
    await sb.kubectl(['create', 'namespace', 'cascade']);
    await apply(deployment('cascade', 'bg', 2, 5));
    await readyPods('cascade', 'bg', 2);
    const rs = await eventually('the ReplicaSet', async () => (await sb.list('replicasets.apps', 'cascade')).find((r) => r.metadata.labels?.app === 'bg'));
    const r = await sb.kubectl(['delete', 'deployment', 'bg', '-n', 'cascade']);
    assert.equal(r.code, 0, r.stderr);
    await eventually('ReplicaSet gone', async () => !(await sb.get('replicasets.apps', 'cascade', rs.metadata.name ?? '')));
    await eventually('pods gone', async () => (await sb.list('pods', 'cascade')).filter((p) => p.metadata.labels?.app === 'bg').length === 0);
  });

  it('deletes a Deployment in the foreground: kubectl returns once its ReplicaSet and pods are gone', async () => {
    await apply(deployment('cascade', 'fg', 2, 5));
    await readyPods('cascade', 'fg', 2);
    const r = await sb.kubectl(['delete', 'deployment', 'fg', '-n', 'cascade', '--cascade=foreground', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await sb.list('replicasets.apps', 'cascade')).filter((x) => x.metadata.labels?.app === 'fg').length, 0);
    assert.equal((await sb.list('pods', 'cascade')).filter((p) => p.metadata.labels?.app === 'fg').length, 0);
  });

  it('deletes a Deployment with --cascade=orphan: its ReplicaSet and pods stay', async () => {
    await apply(deployment('cascade', 'keep', 2, 5));
    const pods = await readyPods('cascade', 'keep', 2);
    const rs = await eventually('the ReplicaSet', async () => (await sb.list('replicasets.apps', 'cascade')).find((x) => x.metadata.labels?.app === 'keep'));
    const r = await sb.kubectl(['delete', 'deployment', 'keep', '-n', 'cascade', '--cascade=orphan']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await sb.get('deployments.apps', 'cascade', 'keep'), undefined);
    const orphan = (await sb.get('replicasets.apps', 'cascade', rs.metadata.name ?? ''))!;
    assert.equal(orphan.metadata.uid, rs.metadata.uid);
    assert.equal(orphan.metadata.ownerReferences, undefined);
    const still = await readyPods('cascade', 'keep', 2);
    assert.deepEqual(still.map((p) => p.metadata.uid).sort(), pods.map((p) => p.metadata.uid).sort());
    assert.ok(still.every((p) => p.metadata.ownerReferences?.[0].uid === rs.metadata.uid));
  });

  /**
   * owner ConfigMap <- child Secret <- grandchild Pod, every reference blocking its owner. The pod
   * may carry a finalizer of the test's, which holds it (terminating) until the test removes it.
   */
  async function chain(ns: string, podFinalizers?: string[]): Promise<{ owner: KubeObject; child: KubeObject; pod: KubeObject }> {
    await sb.kubectl(['create', 'namespace', ns]);
    const owner = await sb.kubectlJson(['create', 'configmap', 'owner', '-n', ns, '--from-literal=k=v']);
    const ref = (o: KubeObject, kind: string) => ({ apiVersion: 'v1', kind, name: o.metadata.name, uid: o.metadata.uid, blockOwnerDeletion: true });
    await apply(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'child', namespace: ns, ownerReferences: [ref(owner, 'ConfigMap')] }, stringData: { a: 'b' } }));
    const child = (await sb.get('secrets', ns, 'child'))!;
    await apply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'grandchild', namespace: ns, labels: { app: 'grandchild' }, finalizers: podFinalizers, ownerReferences: [{ ...ref(child, 'Secret'), controller: true }] },
        spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'app', image: 'nginx:1.27.3' }] },
      }),
    );
    const [pod] = await readyPods(ns, 'grandchild', 1);
    return { owner, child, pod };
  }

  it('background deletion removes dependents whose every owner is gone, and only the dangling reference of the others', async () => {
    const { owner } = await chain('gc-bg');
    // A second dependent with another, live owner.
    const other = await sb.kubectlJson(['create', 'configmap', 'other', '-n', 'gc-bg']);
    const refs = [owner, other].map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name, uid: o.metadata.uid }));
    await apply(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'gc-bg', ownerReferences: refs } }));

    const r = await sb.kubectl(['delete', 'configmap', 'owner', '-n', 'gc-bg']);
    assert.equal(r.code, 0, r.stderr);
    await eventually('child secret gone', async () => !(await sb.get('secrets', 'gc-bg', 'child')));
    await eventually('grandchild pod gone', async () => !(await sb.get('pods', 'gc-bg', 'grandchild')));
    const shared = await eventually('shared keeps only its live owner', async () => {
      const o = await sb.get('configmaps', 'gc-bg', 'shared');
      return o && o.metadata.ownerReferences?.length === 1 ? o : undefined;
    });
    assert.equal(shared.metadata.ownerReferences?.[0].uid, other.metadata.uid);
  });

  it('foreground deletion (--cascade=foreground) keeps the owner until its blocking dependents are gone', async () => {
    const { owner } = await chain('gc-fg', ['upkeep.dev/hold']);
    const r = await sb.kubectl(['delete', 'configmap', 'owner', '-n', 'gc-fg', '--cascade=foreground', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    // The grandchild is deleted first; the test's finalizer keeps it there, terminating.
    await eventually('grandchild terminating', async () => (await sb.get('pods', 'gc-fg', 'grandchild'))?.metadata.deletionTimestamp);
    // Meanwhile its owners wait with the foregroundDeletion finalizer.
    const child = await sb.kubectlJson(['get', 'secret', 'child', '-n', 'gc-fg']);
    assert.ok(child.metadata.deletionTimestamp);
    assert.deepEqual(child.metadata.finalizers, ['foregroundDeletion']);
    const waiting = await sb.kubectlJson(['get', 'configmap', 'owner', '-n', 'gc-fg']);
    assert.equal(waiting.metadata.uid, owner.metadata.uid);
    assert.ok(waiting.metadata.deletionTimestamp);
    assert.deepEqual(waiting.metadata.finalizers, ['foregroundDeletion']);

    // Once the grandchild goes, the child and then the owner complete their deletion.
    const released = await sb.kubectl(['patch', 'pod', 'grandchild', '-n', 'gc-fg', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    assert.equal(released.code, 0, released.stderr);
    const waited = await sb.kubectl(['wait', '--for=delete', 'configmap/owner', '-n', 'gc-fg', '--timeout=30s']);
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(await sb.get('pods', 'gc-fg', 'grandchild'), undefined);
    assert.equal(await sb.get('secrets', 'gc-fg', 'child'), undefined);
  });

  it('orphan deletion (--cascade=orphan) removes the owner and leaves its dependents without the reference', async () => {
    const { pod, child } = await chain('gc-orphan');
    const r = await sb.kubectl(['delete', 'configmap', 'owner', '-n', 'gc-orphan', '--cascade=orphan']);
    assert.equal(r.code, 0, r.stderr);
    await eventually('owner gone', async () => !(await sb.get('configmaps', 'gc-orphan', 'owner')));
    const orphan = await sb.kubectlJson(['get', 'secret', 'child', '-n', 'gc-orphan']);
    assert.equal(orphan.metadata.uid, child.metadata.uid);
    assert.equal(orphan.metadata.ownerReferences, undefined);
    // The grandchild still belongs to the child and keeps running.
    const still = (await sb.get('pods', 'gc-orphan', 'grandchild'))!;
    assert.equal(still.metadata.uid, pod.metadata.uid);
    assert.equal(still.metadata.deletionTimestamp, undefined);
    assert.equal(still.metadata.ownerReferences?.[0].uid, child.metadata.uid);
  });

  it('deletes an object created with an owner that does not exist', async () => {
    await sb.kubectl(['create', 'namespace', 'gc-dangling']);
    const ghost = { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-0000-0000-000000000000' };
    await apply(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stray', namespace: 'gc-dangling', ownerReferences: [ghost] } }));
    await eventually('stray collected', async () => !(await sb.get('configmaps', 'gc-dangling', 'stray')));
  });

  it('gives every new namespace its default ServiceAccount and kube-root-ca.crt, and puts them back', async () => {
    assert.equal((await sb.kubectl(['create', 'namespace', 'team-a'])).code, 0);
    const sa = await eventually('default ServiceAccount', async () => {
      const r = await sb.kubectl(['get', 'serviceaccount', 'default', '-n', 'team-a', '-o', 'json']);
      return r.code === 0 ? (JSON.parse(r.stdout) as KubeObject) : undefined;
    });
    const cm = await eventually('kube-root-ca.crt', async () => sb.get('configmaps', 'team-a', 'kube-root-ca.crt'));
    assert.deepEqual(cm.data, { 'ca.crt': sb.sandbox.caCertPem });
    assert.match(String(cm.metadata.annotations?.['kubernetes.io/description']), /^Contains a CA bundle/);
    // The built-in namespaces have them too.
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await eventually(`default SA in ${ns}`, async () => sb.get('serviceaccounts', ns, 'default'));
    }
    // Deleted or edited, they come back.
    assert.equal((await sb.kubectl(['delete', 'serviceaccount', 'default', '-n', 'team-a'])).code, 0);
    await eventually('default SA recreated', async () => {
      const o = await sb.get('serviceaccounts', 'team-a', 'default');
      return o && o.metadata.uid !== sa.metadata.uid;
    });
    assert.equal((await sb.kubectl(['patch', 'configmap', 'kube-root-ca.crt', '-n', 'team-a', '--type=merge', '-p', '{"data":{"ca.crt":"tampered"}}'])).code, 0);
    await eventually('CA restored', async () => ((await sb.get('configmaps', 'team-a', 'kube-root-ca.crt'))?.data as Obj | undefined)?.['ca.crt'] === sb.sandbox.caCertPem);
  });

  it('force deletes the pods of a deleted node (PodGC) and collects what the node owned', async () => {
    await sb.kubectl(['create', 'namespace', 'podgc']);
    await apply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'pinned', namespace: 'podgc', labels: { app: 'pinned' } },
        spec: { nodeName: 'node03', containers: [{ name: 'app', image: 'nginx:1.27.3' }] },
      }),
    );
    await readyPods('podgc', 'pinned', 1);
    await eventually('node03 lease', async () => sb.get('leases.coordination.k8s.io', 'kube-node-lease', 'node03'));
    const r = await sb.kubectl(['delete', 'node', 'node03']);
    assert.equal(r.code, 0, r.stderr);
    await eventually('pinned pod deleted', async () => !(await sb.get('pods', 'podgc', 'pinned')));
    // Nothing is left bound to the node, and its Lease (owned by the Node) is collected.
    await eventually('no pods on node03', async () => (await sb.list('pods')).every((p) => nodeOf(p) !== 'node03'));
    await eventually('node03 lease collected', async () => !(await sb.get('leases.coordination.k8s.io', 'kube-node-lease', 'node03')));
  });
});
