// The end of a claim's life in the sandbox, through real kubectl (1.33 and 1.30): the protection
// finalizers (a claim deleted while a pod uses it stays Terminating until the pod goes, then its
// volume is released and deleted) and a StatefulSet's persistentVolumeClaimRetentionPolicy
// (whenScaled=Delete removes the claim of a scaled-away pod, whenDeleted=Delete the rest with the
// set; Retain, the default, keeps them).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/sandbox/index.js';
import type { KubeObject } from '../src/api/types.js';
import { type TestSandbox, eventually, podPhase, testSandbox } from './helpers/sandbox.js';
import { kubectlAt } from './helpers/kubectl-versions.js';

const SCENARIO = `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: pvc-lifecycle}
spec:
  nodes:
  - {name: controlplane, role: control-plane}
  - {namePrefix: node0, count: 2}
`;

const POD_WITH_CLAIM = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: default}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer, namespace: default}
spec:
  terminationGracePeriodSeconds: 30
  containers: [{name: app, image: "busybox:1.36", volumeMounts: [{name: data, mountPath: /data}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
`;

const statefulSet = (name: string, policy: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${name}, namespace: default}
spec:
  replicas: 2
  serviceName: ${name}
  selector: {matchLabels: {app: ${name}}}
  ${policy}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 5
      containers: [{name: db, image: "postgres:16.4", volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;

interface Meta {
  metadata: { finalizers?: string[]; ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; controller?: boolean; blockOwnerDeletion?: boolean }>; deletionTimestamp?: string };
  spec?: { volumeName?: string };
  status?: { phase?: string };
}

describe('a claim\'s life: protection finalizers and StatefulSet retention', () => {
  let sb: TestSandbox;
  const k133 = (args: string[], input?: string) => kubectlAt(sb, '1.33', args, input === undefined ? {} : { input });
  const k130 = (args: string[]) => kubectlAt(sb, '1.30', args);
  const claim = (name: string) => sb.get('persistentvolumeclaims', 'default', name);
  const owners = (o: KubeObject | undefined) => ((o as Meta | undefined)?.metadata.ownerReferences ?? []).map((r) => `${r.kind}/${r.name} controller=${r.controller} block=${r.blockOwnerDeletion}`);

  before(async () => {
    sb = await testSandbox({ scenario: parseScenario(SCENARIO, 'pvc-lifecycle.yaml') });
  });
  after(async () => sb?.stop());

  it('a claim in use stays Terminating until its pod goes; then its volume is released and deleted', async () => {
    assert.equal((await k133(['apply', '-f', '-'], POD_WITH_CLAIM)).code, 0);
    const pod = await eventually('writer Running', async () => {
      const p = await sb.get('pods', 'default', 'writer');
      return p && podPhase(p) === 'Running' ? p : undefined;
    });
    assert.ok(pod);
    const bound = JSON.parse((await k133(['get', 'pvc', 'data', '-o', 'json'])).stdout) as Meta;
    assert.deepEqual(bound.metadata.finalizers, ['kubernetes.io/pvc-protection']);
    const volume = bound.spec?.volumeName ?? '';
    assert.deepEqual((JSON.parse((await k133(['get', 'pv', volume, '-o', 'json'])).stdout) as Meta).metadata.finalizers, ['kubernetes.io/pv-protection']);

    const del = await k133(['delete', 'pvc', 'data', '--wait=false']);
    assert.equal(del.stdout, 'persistentvolumeclaim "data" deleted\n', del.stderr);
    for (const get of [k133, k130]) {
      const r = await get(['get', 'pvc', 'data']);
      assert.match(r.stdout, /^data\s+Terminating\s+pvc-[0-9a-f-]+\s+1Gi\s+RWO\s+standard\s/m, r.stderr);
    }
    // The pod keeps running on it, and the claim stays (the protection controller has had its chance).
    await eventually('the claim seen by a resync', async () => (await claim('data'))?.metadata.deletionTimestamp !== undefined);
    const pvBound = await sb.get('persistentvolumes', '', volume);
    assert.equal((pvBound as Meta | undefined)?.status?.phase, 'Bound');
    assert.equal((await k133(['get', 'pod', 'writer', '-o', 'jsonpath={.status.phase}'])).stdout, 'Running');
    assert.ok(await claim('data'), 'still there while writer uses it');

    assert.equal((await k133(['delete', 'pod', 'writer', '--wait=false'])).code, 0);
    await eventually('the claim gone after its pod', async () => (await sb.get('pods', 'default', 'writer')) === undefined && (await claim('data')) === undefined);
    await eventually('its volume released and deleted (reclaim policy Delete)', async () => (await sb.get('persistentvolumes', '', volume)) === undefined);
  });

  it('a volume deleted while Bound stays Terminating until its claim goes', async () => {
    assert.equal((await k133(['apply', '-f', '-'], POD_WITH_CLAIM.replace(/name: data\b/g, 'name: logs').replace('claimName: data', 'claimName: logs').replace('name: writer', 'name: logger'))).code, 0);
    const c = await eventually('logs Bound', async () => {
      const x = (await claim('logs')) as Meta | undefined;
      return x?.status?.phase === 'Bound' ? x : undefined;
    });
    const volume = c.spec?.volumeName ?? '';
    assert.equal((await k133(['delete', 'pv', volume, '--wait=false'])).code, 0);
    assert.match((await k133(['get', 'pv', volume])).stdout, new RegExp(`^${volume}\\s+1Gi\\s+RWO\\s+Delete\\s+Terminating\\s+default/logs\\s`, 'm'));
    assert.equal((await k133(['delete', 'pod', 'logger', '--grace-period=0', '--force'])).code, 0);
    assert.equal((await k133(['delete', 'pvc', 'logs', '--wait=false'])).code, 0);
    await eventually('claim and volume gone', async () => (await claim('logs')) === undefined && (await sb.get('persistentvolumes', '', volume)) === undefined);
  });

  it('whenScaled=Delete: scaling down removes the scaled-away pod\'s claim; whenDeleted=Delete: the rest go with the set', async () => {
    const policy = 'persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Delete}';
    assert.equal((await k133(['apply', '-f', '-'], statefulSet('db', policy))).code, 0);
    await eventually('db-1 Running', async () => {
      const p = await sb.get('pods', 'default', 'db-1');
      return p && podPhase(p) === 'Running';
    });
    assert.deepEqual(owners(await claim('data-db-0')), ['StatefulSet/db controller=true block=true']);
    await eventually('data-db-1 owned by the set', async () => owners(await claim('data-db-1')).join() === 'StatefulSet/db controller=true block=true');

    assert.equal((await k133(['scale', 'statefulset', 'db', '--replicas=1'])).stdout, 'statefulset.apps/db scaled\n');
    await eventually('data-db-1 gone with db-1', async () => (await sb.get('pods', 'default', 'db-1')) === undefined && (await claim('data-db-1')) === undefined);
    assert.deepEqual(owners(await claim('data-db-0')), ['StatefulSet/db controller=true block=true'], 'the claim of a pod within the replicas stays');
    assert.match((await k130(['get', 'pvc'])).stdout, /^data-db-0\s+Bound\s/m);

    // Down and straight back up: the new db-1 waits until its old claim is gone, then gets a new one.
    const settled = async () => {
      const p = await sb.get('pods', 'default', 'db-1');
      const c = await claim('data-db-1');
      return p && podPhase(p) === 'Running' && c && !c.metadata.deletionTimestamp && (c as Meta).status?.phase === 'Bound' && owners(c).join() === 'StatefulSet/db controller=true block=true' ? c : undefined;
    };
    assert.equal((await k133(['scale', 'statefulset', 'db', '--replicas=2'])).code, 0);
    const first = await eventually('db-1 back with a new claim', settled, 30_000);
    assert.equal((await k133(['scale', 'statefulset', 'db', '--replicas=1'])).code, 0);
    await eventually('data-db-1 owned by db-1 before it goes', async () => (await sb.get('pods', 'default', 'db-1')) === undefined || owners(await claim('data-db-1')).some((o) => o.startsWith('Pod/db-1')));
    assert.equal((await k133(['scale', 'statefulset', 'db', '--replicas=2'])).code, 0);
    const second = await eventually('db-1 back again on a claim of its own', settled, 30_000);
    assert.notEqual(second.metadata.uid, first.metadata.uid, 'the scaled-away claim was deleted, not reused');
    assert.equal((await k133(['scale', 'statefulset', 'db', '--replicas=1'])).code, 0);
    await eventually('data-db-1 gone again', async () => (await sb.get('pods', 'default', 'db-1')) === undefined && (await claim('data-db-1')) === undefined, 30_000);

    assert.equal((await k133(['delete', 'statefulset', 'db', '--wait=false'])).code, 0);
    await eventually('data-db-0 deleted with the set', async () => (await claim('data-db-0')) === undefined, 30_000);
  });

  it('Retain (the default): claims carry no owner and outlive scale-down and the set', async () => {
    assert.equal((await k133(['apply', '-f', '-'], statefulSet('cache', ''))).code, 0);
    const set = JSON.parse((await k133(['get', 'statefulset', 'cache', '-o', 'json'])).stdout) as { spec: { persistentVolumeClaimRetentionPolicy: unknown } };
    assert.deepEqual(set.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    await eventually('cache-1 Running', async () => {
      const p = await sb.get('pods', 'default', 'cache-1');
      return p && podPhase(p) === 'Running';
    });
    assert.equal((await k133(['scale', 'statefulset', 'cache', '--replicas=1'])).code, 0);
    await eventually('cache-1 gone', async () => (await sb.get('pods', 'default', 'cache-1')) === undefined);
    assert.deepEqual(owners(await claim('data-cache-1')), []);
    assert.equal((await k133(['delete', 'statefulset', 'cache'])).code, 0);
    await eventually('cache-0 gone', async () => (await sb.get('pods', 'default', 'cache-0')) === undefined, 30_000);
    assert.match((await k133(['get', 'pvc'])).stdout, /^data-cache-0\s+Bound\s[\s\S]*^data-cache-1\s+Bound\s/m);
  });
});
