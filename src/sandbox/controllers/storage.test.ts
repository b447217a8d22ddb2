import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../api/types.js';
import { claimProtectionRemovable, findMatchingVolume, pickDefaultClass, podUsesClaim, podVolumes, preFilterMessage, provisionedVolume, volumeMismatch, volumeProtectionRemovable, volumesFitNode, withProtectionFinalizer } from './storage.js';

function pv(name: string, o: { size?: string; modes?: string[]; cls?: string; labels?: Record<string, string>; claim?: string; phase?: string; node?: string } = {}): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, labels: o.labels },
    spec: {
      capacity: { storage: o.size ?? '1Gi' },
      accessModes: o.modes ?? ['ReadWriteOnce'],
      storageClassName: o.cls ?? '',
      ...(o.claim ? { claimRef: { namespace: 'default', name: o.claim, uid: `uid-${o.claim}` } } : {}),
      ...(o.node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [o.node] }] }] } } } : {}),
    },
    status: { phase: o.phase ?? 'Available' },
  };
}

function pvc(name: string, o: { size?: string; modes?: string[]; cls?: string; selector?: Record<string, string>; phase?: string; volume?: string } = {}): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { accessModes: o.modes ?? ['ReadWriteOnce'], resources: { requests: { storage: o.size ?? '1Gi' } }, storageClassName: o.cls, ...(o.selector ? { selector: { matchLabels: o.selector } } : {}), ...(o.volume ? { volumeName: o.volume } : {}) },
    status: { phase: o.phase ?? 'Pending' },
  };
}

const node = (name: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });

describe('which volume a claim may bind', () => {
  const cases: Array<[string, PersistentVolume, PersistentVolumeClaim, string | undefined]> = [
    ['a match', pv('a'), pvc('c'), undefined],
    ['another class', pv('a', { cls: 'fast' }), pvc('c'), 'storage class'],
    ['too small', pv('a', { size: '500Mi' }), pvc('c', { size: '1Gi' }), 'capacity'],
    ['a missing access mode', pv('a'), pvc('c', { modes: ['ReadWriteMany'] }), 'access modes'],
    ['a selector that does not match', pv('a', { labels: { tier: 'hot' } }), pvc('c', { selector: { tier: 'archive' } }), 'selector'],
    ['bound to another claim', pv('a', { claim: 'other' }), pvc('c'), 'bound to another claim'],
    ['pinned to another node', pv('a', { node: 'node02' }), pvc('c'), 'node affinity'],
  ];
  for (const [what, volume, claim, want] of cases) {
    it(what, () => assert.equal(volumeMismatch(volume, claim, node('node01')), want));
  }

  it('the smallest fitting volume wins, and one already naming the claim before it', () => {
    const volumes = [pv('big', { size: '10Gi' }), pv('small', { size: '2Gi' }), pv('tiny', { size: '1Mi' })];
    assert.equal(findMatchingVolume(pvc('c', { size: '1Gi' }), volumes)?.metadata.name, 'small');
    assert.equal(findMatchingVolume(pvc('c'), [...volumes, pv('mine', { size: '50Gi', claim: 'c', phase: 'Released' })])?.metadata.name, 'mine');
    assert.equal(findMatchingVolume(pvc('c', { size: '20Gi' }), volumes), undefined);
  });
});

describe('the default StorageClass', () => {
  const sc = (name: string, isDefault: boolean, created: string): StorageClass => ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name, creationTimestamp: created, annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
    provisioner: 'x',
  });
  it('is the newest class annotated default, none without one', () => {
    assert.equal(pickDefaultClass([sc('a', true, '2026-01-01T00:00:00Z'), sc('b', true, '2026-02-01T00:00:00Z'), sc('c', false, '2026-03-01T00:00:00Z')])?.metadata.name, 'b');
    assert.equal(pickDefaultClass([sc('c', false, '2026-03-01T00:00:00Z')]), undefined);
  });

  it('provisions pvc-<uid> with the class\'s policy, pinned to the selected node', () => {
    const v = provisionedVolume(pvc('data', { size: '3Gi', cls: 'standard' }), { ...sc('standard', true, ''), reclaimPolicy: 'Retain' }, 'node02');
    assert.equal(v.metadata.name, 'pvc-uid-data');
    assert.deepEqual(v.spec?.capacity, { storage: '3Gi' });
    assert.equal(v.spec?.persistentVolumeReclaimPolicy, 'Retain');
    assert.equal(v.spec?.claimRef?.uid, 'uid-data');
    assert.equal(volumesFitNode({ kind: 'ok', bound: [v], waiting: [] }, node('node02')), true);
    assert.equal(volumesFitNode({ kind: 'ok', bound: [v], waiting: [] }, node('node01')), false);
  });
});

describe('what the scheduler makes of a pod\'s claims', () => {
  const pod = (claims: string[]): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [], volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) } });
  const wffc: StorageClass = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'standard' }, provisioner: 'x', volumeBindingMode: 'WaitForFirstConsumer' };
  const claims = new Map([
    ['bound', pvc('bound', { phase: 'Bound', volume: 'v1' })],
    ['immediate', pvc('immediate', { cls: '' })],
    ['late', pvc('late', { cls: 'standard' })],
  ]);
  const lookup = { claim: (_ns: string, n: string) => claims.get(n), volume: (n: string) => (n === 'v1' ? pv('v1', { node: 'node01' }) : undefined), storageClass: (n: string) => (n === 'standard' ? wffc : undefined) };
  const cases: Array<[string, string[], string]> = [
    ['no claims', [], 'ok:0:0'],
    ['a bound claim', ['bound'], 'ok:1:0'],
    ['a claim that waits for its first consumer', ['late', 'bound'], 'ok:1:1'],
    ['an unbound immediate claim', ['late', 'immediate'], 'blocked:pod has unbound immediate PersistentVolumeClaims'],
    ['a missing claim', ['gone'], 'blocked:persistentvolumeclaim "gone" not found'],
  ];
  for (const [what, names, want] of cases) {
    it(what, () => {
      const r = podVolumes(pod(names), lookup);
      assert.equal(r.kind === 'blocked' ? `blocked:${r.reason}` : `ok:${r.bound.length}:${r.waiting.length}`, want);
    });
  }
  it('words the pod-level failure as kube-scheduler does', () => {
    assert.equal(preFilterMessage(3, 'pod has unbound immediate PersistentVolumeClaims'), '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
  });
});

describe('storage object in-use protection', () => {
  it('admission adds kubernetes.io/pvc-protection to claims and kubernetes.io/pv-protection to volumes, once', () => {
    const claim: PersistentVolumeClaim = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', finalizers: ['example.com/keep'] } };
    assert.deepEqual(withProtectionFinalizer(claim).metadata.finalizers, ['example.com/keep', 'kubernetes.io/pvc-protection']);
    assert.deepEqual(withProtectionFinalizer(withProtectionFinalizer(claim)).metadata.finalizers, ['example.com/keep', 'kubernetes.io/pvc-protection']);
    assert.deepEqual(withProtectionFinalizer(pv('vol')).metadata.finalizers, ['kubernetes.io/pv-protection']);
    assert.equal(withProtectionFinalizer({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }).metadata.finalizers, undefined);
  });

  const T = '2026-03-01T10:00:00Z';
  const user = (o: { node?: string; deleting?: number; claim?: string; ephemeral?: string } = {}): Pod => ({
    metadata: { name: 'app-0', namespace: 'default', ...(o.deleting !== undefined ? { deletionTimestamp: T, deletionGracePeriodSeconds: o.deleting } : {}) },
    spec: {
      containers: [],
      ...(o.node ? { nodeName: o.node } : {}),
      volumes: [o.ephemeral ? { name: o.ephemeral, ephemeral: { volumeClaimTemplate: { spec: {} } } } : { name: 'data', persistentVolumeClaim: { claimName: o.claim ?? 'data' } }],
    },
  });
  const usage: Array<[string, Pod, string, boolean]> = [
    ['a running pod uses its claim', user({ node: 'node01' }), 'data', true],
    ['an unscheduled pod does not (the kubelet will not start it on a deleted claim)', user(), 'data', false],
    ['a pod terminating gracefully still does', user({ node: 'node01', deleting: 30 }), 'data', true],
    ['a pod shut down (grace 0) no longer does', user({ node: 'node01', deleting: 0 }), 'data', false],
    ['another claim is not used', user({ node: 'node01', claim: 'other' }), 'data', false],
    ['a generic ephemeral volume uses <pod>-<volume>', user({ node: 'node01', ephemeral: 'scratch' }), 'app-0-scratch', true],
  ];
  for (const [story, pod, claim, want] of usage) it(story, () => assert.equal(podUsesClaim(pod, claim), want));

  const deleted = (finalizers = ['kubernetes.io/pvc-protection']): PersistentVolumeClaim => ({ metadata: { name: 'data', namespace: 'default', deletionTimestamp: T, finalizers } });
  const claimCases: Array<[string, PersistentVolumeClaim, Pod[], boolean]> = [
    ['a deleted claim in use keeps its finalizer (Terminating)', deleted(), [user({ node: 'node01' })], false],
    ['a deleted claim nobody uses loses it', deleted(), [user({ node: 'node01', claim: 'other' })], true],
    ['a claim not being deleted keeps it', { metadata: { name: 'data', namespace: 'default', finalizers: ['kubernetes.io/pvc-protection'] } }, [], false],
    ['a claim without the finalizer has nothing to remove', deleted(['example.com/keep']), [], false],
  ];
  for (const [story, claim, pods, want] of claimCases) it(story, () => assert.equal(claimProtectionRemovable(claim, pods), want));

  const volume = (phase: string, deleting = true): PersistentVolume => ({ ...pv('vol', { phase }), metadata: { name: 'vol', finalizers: ['kubernetes.io/pv-protection'], ...(deleting ? { deletionTimestamp: T } : {}) } });
  const volumeCases: Array<[string, PersistentVolume, boolean]> = [
    ['a deleted Bound volume keeps its finalizer', volume('Bound'), false],
    ['a deleted Released volume loses it', volume('Released'), true],
    ['a deleted Available volume loses it', volume('Available'), true],
    ['a volume not being deleted keeps it', volume('Released', false), false],
  ];
  for (const [story, v, want] of volumeCases) it(story, () => assert.equal(volumeProtectionRemovable(v), want));
});
