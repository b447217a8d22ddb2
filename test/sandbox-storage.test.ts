// Persistent volumes in the sandbox, through real kubectl: the default StorageClass, claims bound
// to provisioned or existing volumes (WaitForFirstConsumer and Immediate), StatefulSet claims on
// local volumes pinned to their node, the classic drain surprise (the evicted pod cannot follow
// its volume), reclaim policies Delete and Retain, and pods waiting for unbound claims.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/sandbox/index.js';
import type { KubeObject, PersistentVolume, PersistentVolumeClaim } from '../src/api/types.js';
import { type TestSandbox, eventually, nodeOf, podPhase, testSandbox } from './helpers/sandbox.js';
import { upkeep } from './helpers/cli.js';

const SCENARIO = `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: storage}
spec:
  nodes:
  - {name: controlplane, role: control-plane}
  - {namePrefix: node0, count: 2}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: sandbox.upkeep.dev/local
reclaimPolicy: Delete
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: archive, labels: {tier: archive}}
spec: {capacity: {storage: 5Gi}, accessModes: [ReadWriteOnce], persistentVolumeReclaimPolicy: Retain, storageClassName: "", hostPath: {path: /srv/archive}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: postgres, image: "postgres:16.4", volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;

function isClaim(o: KubeObject | undefined): o is PersistentVolumeClaim {
  return o?.kind === 'PersistentVolumeClaim';
}
function isVolume(o: KubeObject | undefined): o is PersistentVolume {
  return o?.kind === 'PersistentVolume';
}

describe('persistent volumes in the sandbox', () => {
  let sb: TestSandbox;
  const boundClaim = (name: string) =>
    eventually(`claim ${name} Bound`, async () => {
      const c = await sb.get('persistentvolumeclaims', 'default', name);
      return isClaim(c) && c.status?.phase === 'Bound' ? c : undefined;
    });
  const volume = async (name: string) => {
    const v = await sb.get('persistentvolumes', '', name);
    return isVolume(v) ? v : undefined;
  };
  const apply = async (manifest: string) => {
    const r = await sb.kubectl(['apply', '-f', '-'], { input: manifest });
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    sb = await testSandbox({ scenario: parseScenario(SCENARIO, 'storage.yaml') });
  });
  after(async () => sb?.stop());

  it('starts with the default StorageClass standard, as kubectl shows it', async () => {
    const r = await sb.kubectl(['get', 'storageclass']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$/);
    assert.match(r.stdout, /^fast\s+sandbox\.upkeep\.dev\/local\s+Delete\s+Immediate\s+false\s+/m);
    assert.match(r.stdout, /^standard \(default\)\s+sandbox\.upkeep\.dev\/local\s+Delete\s+WaitForFirstConsumer\s+false\s+/m);
  });

  it('a StatefulSet\'s claims get the default class, bind to provisioned volumes pinned to their pods\' nodes', async () => {
    for (const ordinal of [0, 1]) {
      const claim = await boundClaim(`data-db-${ordinal}`);
      assert.equal(claim.spec?.storageClassName, 'standard');
      const pod = await eventually(`db-${ordinal} Running`, async () => {
        const p = await sb.get('pods', 'default', `db-${ordinal}`);
        return p && podPhase(p) === 'Running' ? p : undefined;
      });
      assert.equal(claim.metadata.annotations?.['volume.kubernetes.io/selected-node'], nodeOf(pod));
      const pv = await volume(claim.spec?.volumeName ?? '');
      assert.equal(pv?.metadata.name, `pvc-${claim.metadata.uid}`);
      assert.equal(pv?.status?.phase, 'Bound');
      assert.deepEqual(pv?.spec?.claimRef?.name, `data-db-${ordinal}`);
      assert.deepEqual(pv?.spec?.nodeAffinity?.required?.nodeSelectorTerms, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeOf(pod)] }] }]);
    }
    const r = await sb.kubectl(['get', 'pvc', 'data-db-0', '--no-headers']);
    const claim = await boundClaim('data-db-0');
    assert.match(r.stdout, new RegExp(`^data-db-0\\s+Bound\\s+${claim.spec?.volumeName}\\s+1Gi\\s+RWO\\s+standard\\s+<unset>\\s+`));
    const pv = await sb.kubectl(['get', 'pv', claim.spec?.volumeName ?? '', '--no-headers']);
    assert.match(pv.stdout, new RegExp(`^${claim.spec?.volumeName}\\s+1Gi\\s+RWO\\s+Delete\\s+Bound\\s+default/data-db-0\\s+standard\\s+<unset>\\s+`));
  });

  it('a drained node keeps its local volume: the StatefulSet pod cannot follow and stays Pending', async () => {
    const pod = await sb.get('pods', 'default', 'db-0');
    const node = nodeOf(pod!) ?? '';
    const other = node === 'node01' ? 'node02' : 'node01';
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'drain', node, '--ignore-daemonsets', '--timeout=60s']);
    assert.equal(r.code, 0, r.err);
    const message = '0/3 nodes are available: 1 node(s) had untolerated taint(s), 1 node(s) had volume node affinity conflict, 1 node(s) were unschedulable. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    const replacement = await eventually('db-0 back and unschedulable', async () => {
      const p = await sb.get('pods', 'default', 'db-0');
      return p && p.metadata.uid !== pod!.metadata.uid && !nodeOf(p) ? p : undefined;
    });
    assert.equal(podPhase(replacement), 'Pending');
    const why = await eventually('FailedScheduling for db-0', async () => {
      const e = await sb.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=db-0,reason=FailedScheduling', '-o', 'jsonpath={.items[-1:].message}']);
      return e.stdout.includes('volume node affinity conflict') ? e.stdout : undefined;
    });
    assert.equal(why, message);
    const cond = await sb.kubectl(['get', 'pod', 'db-0', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}']);
    assert.equal(cond.stdout, message);
    assert.ok(other, 'the other worker had room but not the volume');
    // Uncordoned, the node takes its pod back.
    assert.equal((await sb.kubectl(['uncordon', node])).code, 0);
    const back = await eventually('db-0 scheduled again', async () => {
      const p = await sb.get('pods', 'default', 'db-0');
      return p && nodeOf(p) ? p : undefined;
    });
    assert.equal(nodeOf(back), node);
  });

  it('an Immediate claim binds without a pod; with reclaim policy Delete its volume goes with it', async () => {
    await apply('{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"scratch","namespace":"default"},"spec":{"storageClassName":"fast","accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"2Gi"}}}}');
    const claim = await boundClaim('scratch');
    const pvName = claim.spec?.volumeName ?? '';
    assert.equal(pvName, `pvc-${claim.metadata.uid}`);
    assert.deepEqual(claim.status?.capacity, { storage: '2Gi' });
    const events = await sb.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=scratch,reason=ProvisioningSucceeded', '-o', 'jsonpath={.items[0].message}']);
    assert.equal(events.stdout, `Successfully provisioned volume ${pvName}`);
    assert.equal((await sb.kubectl(['delete', 'pvc', 'scratch'])).code, 0);
    await eventually(`volume ${pvName} deleted`, async () => ((await volume(pvName)) ? undefined : true));
  });

  it('a claim binds an existing volume by selector; with reclaim policy Retain the volume is Released', async () => {
    await apply('{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"old-data","namespace":"default"},"spec":{"storageClassName":"","selector":{"matchLabels":{"tier":"archive"}},"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}');
    const claim = await boundClaim('old-data');
    assert.equal(claim.spec?.volumeName, 'archive');
    assert.deepEqual(claim.status?.capacity, { storage: '5Gi' }, 'a bound claim has the volume\'s capacity');
    assert.equal((await sb.kubectl(['delete', 'pvc', 'old-data'])).code, 0);
    const released = await eventually('archive Released', async () => {
      const v = await volume('archive');
      return v?.status?.phase === 'Released' ? v : undefined;
    });
    assert.equal(released.spec?.claimRef?.name, 'old-data', 'a released volume keeps its claimRef until an admin clears it');
    const row = await sb.kubectl(['get', 'pv', 'archive', '--no-headers']);
    assert.match(row.stdout, /^archive\s+5Gi\s+RWO\s+Retain\s+Released\s+default\/old-data\s+<unset>\s+/);
  });

  it('a pod whose claim cannot bind stays Pending with kube-scheduler\'s message', async () => {
    await apply('{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"huge","namespace":"default"},"spec":{"storageClassName":"","accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"100Gi"}}}}');
    await apply('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"reader","namespace":"default"},"spec":{"containers":[{"name":"r","image":"busybox:1.36"}],"volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"huge"}}]}}');
    const message = '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    const why = await eventually('reader unschedulable', async () => {
      const e = await sb.kubectl(['get', 'pod', 'reader', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}']);
      return e.stdout || undefined;
    });
    assert.equal(why, message);
    const claim = await sb.kubectl(['get', 'pvc', 'huge', '--no-headers']);
    assert.match(claim.stdout, /^huge\s+Pending\s+<unset>\s+/);
    // A volume that fits appears: the claim binds and the pod is scheduled.
    await apply('{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"big"},"spec":{"capacity":{"storage":"200Gi"},"accessModes":["ReadWriteOnce"],"storageClassName":"","hostPath":{"path":"/srv/big"}}}');
    await boundClaim('huge');
    await eventually('reader scheduled', async () => {
      const p = await sb.get('pods', 'default', 'reader');
      return p && nodeOf(p) ? true : undefined;
    });
  });
});
