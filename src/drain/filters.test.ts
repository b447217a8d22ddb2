import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference, Pod, Volume } from '../api/types.js';
import {
  DAEMONSET_FATAL,
  DAEMONSET_WARNING,
  LOCAL_STORAGE_FATAL,
  LOCAL_STORAGE_WARNING,
  UNMANAGED_FATAL,
  UNMANAGED_WARNING,
  aggregateErrors,
  filterPods,
  unableToDrainLine,
} from './filters.js';
import type { DaemonSetLookup, PodDeleteStatusType } from './types.js';
import { drainOptions } from './types.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');

interface PodSpec {
  ns?: string;
  owner?: { kind: string; name: string; controller?: boolean };
  phase?: string;
  emptyDir?: boolean;
  hostPath?: boolean;
  mirror?: boolean;
  deletedSecondsAgo?: number;
}

function pod(name: string, s: PodSpec = {}): Pod {
  const ownerReferences: OwnerReference[] | undefined = s.owner
    ? [{ apiVersion: 'apps/v1', kind: s.owner.kind, name: s.owner.name, uid: `uid-${s.owner.name}`, controller: s.owner.controller ?? true }]
    : undefined;
  const volumes: Volume[] = [];
  if (s.emptyDir) volumes.push({ name: 'scratch', emptyDir: {} });
  if (s.hostPath) volumes.push({ name: 'logs', hostPath: { path: '/var/log' } });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: s.ns ?? 'default',
      ...(ownerReferences ? { ownerReferences } : {}),
      ...(s.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'abc123' } } : {}),
      ...(s.deletedSecondsAgo !== undefined ? { deletionTimestamp: new Date(NOW - s.deletedSecondsAgo * 1000).toISOString() } : {}),
    },
    spec: { nodeName: 'node01', containers: [{ name: 'c', image: 'nginx:1.27' }], volumes },
    status: { phase: s.phase ?? 'Running' },
  };
}

const rs = { kind: 'ReplicaSet', name: 'blue-66c9f' };
const ds = { kind: 'DaemonSet', name: 'kube-proxy' };
const orphanDs = { kind: 'DaemonSet', name: 'fluentd' };
/** kube-proxy exists, fluentd was deleted, "locked" cannot be read. */
const daemonSets: DaemonSetLookup = (ns, name) => {
  if (name === 'locked') return `daemonsets.apps "locked" is forbidden: User "jane" cannot get resource "daemonsets" in API group "apps" in the namespace "${ns}"`;
  return name === 'kube-proxy';
};

describe('filterPods: one pod through kubectl’s chain', () => {
  const cases: {
    story: string;
    pod: Pod;
    flags?: Parameters<typeof drainOptions>[0];
    delete: boolean;
    status: PodDeleteStatusType;
    message?: string;
    dropped?: string[];
  }[] = [
    { story: 'a ReplicaSet pod is evicted', pod: pod('blue-a', { owner: rs }), delete: true, status: 'Okay' },
    { story: 'a custom controller counts as a controller', pod: pod('etcd-0', { owner: { kind: 'EtcdCluster', name: 'etcd' } }), delete: true, status: 'Okay' },
    { story: 'a bare pod refuses the node without --force', pod: pod('green'), delete: false, status: 'Error', message: UNMANAGED_FATAL },
    { story: 'an owner that is not a controller is no controller', pod: pod('adopted', { owner: { kind: 'ReplicaSet', name: 'x', controller: false } }), delete: false, status: 'Error', message: UNMANAGED_FATAL },
    { story: 'a bare pod is deleted with --force, with a warning', pod: pod('green'), flags: { force: true }, delete: true, status: 'Warning', message: UNMANAGED_WARNING },
    { story: 'a finished bare pod is deleted without --force', pod: pod('migrate', { phase: 'Succeeded' }), delete: true, status: 'Okay' },
    { story: 'a failed bare pod with emptyDir is deleted without any flag', pod: pod('crashed', { phase: 'Failed', emptyDir: true }), delete: true, status: 'Okay' },
    { story: 'a mirror pod is skipped silently, though it declares no controller', pod: pod('etcd-node01', { mirror: true }), delete: false, status: 'Skip', message: '' },
    { story: 'a DaemonSet pod refuses the node without --ignore-daemonsets', pod: pod('kube-proxy-x', { owner: ds }), delete: false, status: 'Error', message: DAEMONSET_FATAL },
    { story: 'a DaemonSet pod is skipped with a warning under --ignore-daemonsets', pod: pod('kube-proxy-x', { owner: ds }), flags: { ignoreDaemonSets: true }, delete: false, status: 'Warning', message: DAEMONSET_WARNING },
    { story: 'a DaemonSet pod with emptyDir is reported as DaemonSet, not local storage', pod: pod('kube-proxy-x', { owner: ds, emptyDir: true }), delete: false, status: 'Error', message: DAEMONSET_FATAL },
    { story: 'a finished DaemonSet pod is deleted even without --ignore-daemonsets', pod: pod('kube-proxy-old', { owner: ds, phase: 'Failed' }), delete: true, status: 'Okay' },
    { story: 'an orphaned DaemonSet pod without --force: the NotFound text is the error', pod: pod('fluentd-x', { owner: orphanDs }), flags: { ignoreDaemonSets: true }, delete: false, status: 'Error', message: 'daemonsets.apps "fluentd" not found' },
    {
      story: 'an orphaned DaemonSet pod with --force is deleted; its warning is dropped by the mirror filter, as in kubectl',
      pod: pod('fluentd-x', { owner: orphanDs }),
      flags: { force: true },
      delete: true,
      status: 'Okay',
      dropped: ['daemonsets.apps "fluentd" not found'],
    },
    { story: 'an orphaned DaemonSet pod with --force but emptyDir still needs --delete-emptydir-data', pod: pod('fluentd-x', { owner: orphanDs, emptyDir: true }), flags: { force: true }, delete: false, status: 'Error', message: LOCAL_STORAGE_FATAL, dropped: ['daemonsets.apps "fluentd" not found'] },
    {
      story: 'a DaemonSet that cannot be read is an error even with --force',
      pod: pod('locked-x', { owner: { kind: 'DaemonSet', name: 'locked' } }),
      flags: { force: true, ignoreDaemonSets: true },
      delete: false,
      status: 'Error',
      message: 'daemonsets.apps "locked" is forbidden: User "jane" cannot get resource "daemonsets" in API group "apps" in the namespace "default"',
    },
    { story: 'an emptyDir pod refuses the node without --delete-emptydir-data', pod: pod('cache-a', { owner: rs, emptyDir: true }), delete: false, status: 'Error', message: LOCAL_STORAGE_FATAL },
    { story: 'an emptyDir pod under --delete-emptydir-data is deleted and kubectl drops the warning', pod: pod('cache-a', { owner: rs, emptyDir: true }), flags: { deleteEmptyDirData: true }, delete: true, status: 'Okay', dropped: [LOCAL_STORAGE_WARNING] },
    { story: 'a bare emptyDir pod with both flags shows the no-controller warning', pod: pod('scratch', { emptyDir: true }), flags: { deleteEmptyDirData: true, force: true }, delete: true, status: 'Warning', message: UNMANAGED_WARNING, dropped: [LOCAL_STORAGE_WARNING] },
    { story: 'a bare emptyDir pod with only --delete-emptydir-data still needs --force', pod: pod('scratch', { emptyDir: true }), flags: { deleteEmptyDirData: true }, delete: false, status: 'Error', message: UNMANAGED_FATAL, dropped: [LOCAL_STORAGE_WARNING] },
    { story: 'a bare emptyDir pod with no flag is reported for local storage first', pod: pod('scratch', { emptyDir: true }), delete: false, status: 'Error', message: LOCAL_STORAGE_FATAL },
    { story: 'hostPath is not local storage', pod: pod('logger', { owner: rs, hostPath: true }), delete: true, status: 'Okay' },
    { story: 'a pod terminating longer than --skip-wait-for-delete-timeout is skipped, even bare', pod: pod('stuck', { deletedSecondsAgo: 61 }), flags: { skipWaitForDeleteTimeoutSeconds: 60 }, delete: false, status: 'Skip' },
    { story: 'exactly the timeout is not "older than": the pod goes through the chain', pod: pod('stuck', { deletedSecondsAgo: 60 }), flags: { skipWaitForDeleteTimeoutSeconds: 60 }, delete: false, status: 'Error', message: UNMANAGED_FATAL },
    { story: 'a timeout of 0 never skips', pod: pod('stuck', { owner: rs, deletedSecondsAgo: 3600 }), delete: true, status: 'Okay' },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const [item] = filterPods([c.pod], drainOptions(c.flags), daemonSets, NOW).items;
      assert.equal(item.delete, c.delete, 'delete');
      assert.equal(item.status, c.status, 'status');
      if (c.message !== undefined) assert.equal(item.message, c.message);
      assert.deepEqual(item.droppedWarnings, c.dropped ?? []);
    });
  }
});

describe('filterPods: kubectl’s grouped lines for a node', () => {
  const pods = [
    pod('blue-a', { owner: rs }),
    pod('green', {}),
    pod('hr-app', {}),
    pod('cache-a', { owner: rs, emptyDir: true }),
    pod('kube-proxy-x', { ns: 'kube-system', owner: ds }),
    pod('kube-proxy-y', { ns: 'kube-system', owner: ds }),
  ];

  it('groups errors by message, in list order, with kubectl v1.32’s doubled prefix for bare pods', () => {
    const list = filterPods(pods, drainOptions(), daemonSets, NOW);
    assert.deepEqual(list.errors(), [
      'cannot delete cannot delete Pods that declare no controller (use --force to override): default/green, default/hr-app',
      'cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache-a',
      'cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): kube-system/kube-proxy-x, kube-system/kube-proxy-y',
    ]);
    assert.equal(list.warningLine(), null);
  });

  it('groups warnings into the one line kubectl prints, and lists what is evicted', () => {
    const list = filterPods(pods, drainOptions({ force: true, ignoreDaemonSets: true, deleteEmptyDirData: true }), daemonSets, NOW);
    assert.deepEqual(list.errors(), []);
    assert.equal(list.errorMessage(), null);
    assert.deepEqual(list.warnings(), ['deleting Pods that declare no controller: default/green, default/hr-app', 'ignoring DaemonSet-managed Pods: kube-system/kube-proxy-x, kube-system/kube-proxy-y']);
    assert.equal(list.warningLine(), 'Warning: deleting Pods that declare no controller: default/green, default/hr-app; ignoring DaemonSet-managed Pods: kube-system/kube-proxy-x, kube-system/kube-proxy-y');
    assert.deepEqual(
      list.pods().map((p) => p.metadata.name),
      ['blue-a', 'green', 'hr-app', 'cache-a'],
    );
  });

  it('prints the refusal exactly as kubectl v1.32 does', () => {
    const list = filterPods([pod('hr-app')], drainOptions({ ignoreDaemonSets: true }), daemonSets, NOW);
    assert.equal(
      unableToDrainLine('node01', list.errors()),
      'error: unable to drain node "node01" due to error: cannot delete cannot delete Pods that declare no controller (use --force to override): default/hr-app, continuing command...',
    );
  });

  it('aggregates several errors as Go does: bracketed, comma-separated, without repeats', () => {
    assert.equal(aggregateErrors(['a']), 'a');
    assert.equal(aggregateErrors(['a', 'b', 'a']), '[a, b]');
    const list = filterPods([pod('green'), pod('cache-a', { owner: rs, emptyDir: true })], drainOptions(), daemonSets, NOW);
    assert.equal(
      list.errorMessage(),
      '[cannot delete cannot delete Pods that declare no controller (use --force to override): default/green, cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache-a]',
    );
  });

  it('keeps every pod in the result, whatever its fate, in the order given', () => {
    const list = filterPods(pods, drainOptions(), daemonSets, NOW);
    assert.deepEqual(
      list.items.map((i) => `${i.status}:${i.decidedBy ?? '-'}`),
      ['Okay:-', 'Error:unreplicated', 'Error:unreplicated', 'Error:localStorage', 'Error:daemonSet', 'Error:daemonSet'],
    );
  });
});

describe('PodDeleteList.needs: the flags that get a refused node through', () => {
  const cases: { story: string; pods: Pod[]; flags?: Parameters<typeof drainOptions>[0]; needs: string[] }[] = [
    { story: 'nothing refused: nothing needed', pods: [pod('blue-a', { owner: rs })], needs: [] },
    { story: 'a bare pod needs --force', pods: [pod('green')], flags: { ignoreDaemonSets: true }, needs: ['--force'] },
    { story: 'in order of first need, each once', pods: [pod('green'), pod('kube-proxy-x', { owner: ds }), pod('hr-app')], needs: ['--force', '--ignore-daemonsets'] },
    { story: 'a bare emptyDir pod needs both, though kubectl names only the first', pods: [pod('scratch', { emptyDir: true })], needs: ['--delete-emptydir-data', '--force'] },
    { story: 'an orphaned DaemonSet pod needs --force, which kubectl’s NotFound text does not say', pods: [pod('fluentd-x', { owner: orphanDs })], needs: ['--force'] },
    { story: 'an unreadable DaemonSet: no flag helps', pods: [pod('locked-x', { owner: { kind: 'DaemonSet', name: 'locked' } })], flags: { force: true }, needs: [] },
  ];
  for (const c of cases) it(c.story, () => assert.deepEqual(filterPods(c.pods, drainOptions(c.flags), daemonSets, NOW).needs(), c.needs));
});
