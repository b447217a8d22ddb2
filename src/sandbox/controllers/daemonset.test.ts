import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, PodSpec, Taint } from '../../api/types.js';
import { affinityForNode, daemonPodTolerations, daemonSetCounts, nodeShouldRunDaemonPod, rollingUpdateDeletions, targetNodeName } from './daemonset.js';

const T0 = Date.parse('2025-06-01T12:00:00Z');

function node(name: string, opts: { labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean } = {}): Node {
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(opts.labels ?? {}) } }, spec: { ...(opts.taints ? { taints: opts.taints } : {}), ...(opts.unschedulable ? { unschedulable: true } : {}) } };
}

function dsPod(name: string, nodeName: string, hash: string, ready = true): Pod {
  return {
    metadata: { name, uid: `uid-${name}`, creationTimestamp: new Date(T0).toISOString(), labels: { 'controller-revision-hash': hash } },
    spec: { nodeName, containers: [] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(T0).toISOString() }] },
  };
}

describe('nodeShouldRunDaemonPod', () => {
  const plain: PodSpec = { containers: [{ name: 'c', image: 'i' }] };
  const cases: Array<[string, PodSpec, Node, [boolean, boolean]]> = [
    ['an ordinary node', plain, node('n1'), [true, true]],
    ['a cordoned node (unschedulable taint is tolerated)', plain, node('n1', { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }), [true, true]],
    ['an unreachable node (NoExecute tolerated forever)', plain, node('n1', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }), [true, true]],
    ['a NotReady node: no new pod (not-ready:NoSchedule), the old one stays', plain, node('n1', { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }), [false, true]],
    ['the control plane taint without a toleration', plain, node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }), [false, true]],
    [
      'the control plane taint with a toleration',
      { ...plain, tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] },
      node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
      [true, true],
    ],
    ['an untolerated NoExecute taint evicts the pod too', plain, node('n1', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] }), [false, false]],
    ['a nodeSelector the node does not match', { ...plain, nodeSelector: { disk: 'ssd' } }, node('n1'), [false, false]],
    ['a nodeSelector the node matches', { ...plain, nodeSelector: { disk: 'ssd' } }, node('n1', { labels: { disk: 'ssd' } }), [true, true]],
    [
      'required node affinity not matched',
      { ...plain, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } },
      node('n1', { labels: { zone: 'b' } }),
      [false, false],
    ],
    ['a network-unavailable node for a hostNetwork pod', { ...plain, hostNetwork: true }, node('n1', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }), [true, true]],
    ['a network-unavailable node for an ordinary pod', plain, node('n1', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }), [false, true]],
    ['a template pinned to another node', { ...plain, nodeName: 'n2' }, node('n1'), [false, false]],
  ];
  for (const [story, spec, n, [run, cont]] of cases) {
    it(story, () => assert.deepEqual(nodeShouldRunDaemonPod(spec, n), { shouldRun: run, shouldContinueRunning: cont }));
  }
});

describe('daemonPodTolerations', () => {
  it('adds the automatic tolerations and replaces a bounded not-ready toleration with an unbounded one', () => {
    const out = daemonPodTolerations({ tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'x', operator: 'Exists' }] });
    assert.deepEqual(
      out.map((t) => `${t.key}:${t.effect ?? ''}${t.tolerationSeconds === undefined ? '' : `/${t.tolerationSeconds}`}`),
      [
        'node.kubernetes.io/not-ready:NoExecute',
        'x:',
        'node.kubernetes.io/unreachable:NoExecute',
        'node.kubernetes.io/disk-pressure:NoSchedule',
        'node.kubernetes.io/memory-pressure:NoSchedule',
        'node.kubernetes.io/pid-pressure:NoSchedule',
        'node.kubernetes.io/unschedulable:NoSchedule',
      ],
    );
  });
});

describe('pinning a pod to its node', () => {
  it('replaces required node affinity with matchFields on the node name and keeps the rest', () => {
    const a = affinityForNode({ nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: {} }], requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [] }] } }, podAntiAffinity: {} }, 'n7');
    assert.deepEqual(a, {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: {} }],
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }] },
      },
      podAntiAffinity: {},
    });
    assert.equal(targetNodeName({ spec: { affinity: a } }), 'n7', 'an unscheduled pod still counts for its node');
    assert.equal(targetNodeName({ spec: { nodeName: 'n3', affinity: a } }), 'n3');
  });
});

describe('daemonSetCounts', () => {
  it('counts desired, current, misscheduled, ready, available and updated per node', () => {
    const nodes = [node('n1'), node('n2'), node('n3'), node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] })];
    const pods = new Map([
      ['n1', [dsPod('a', 'n1', 'new')]],
      ['n2', [dsPod('b', 'n2', 'old', false)]],
      ['cp', [dsPod('c', 'cp', 'new')]],
    ]);
    const placements = new Map(nodes.map((n) => [n.metadata.name ?? '', nodeShouldRunDaemonPod({}, n)]));
    assert.deepEqual(daemonSetCounts(placements, pods, 'new', 2, 0, T0), {
      desiredNumberScheduled: 3,
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      numberReady: 1,
      numberAvailable: 1,
      numberUnavailable: 2,
      updatedNumberScheduled: 1,
    });
  });
});

describe('rollingUpdateDeletions (maxSurge 0)', () => {
  const cases: Array<{ story: string; pods: Array<[string, string, boolean]>; maxUnavailable: number; want: string[] }> = [
    { story: 'one old pod at a time with maxUnavailable 1', pods: [['n1', 'old', true], ['n2', 'old', true], ['n3', 'old', true]], maxUnavailable: 1, want: ['n1'] },
    { story: 'two at a time with maxUnavailable 2', pods: [['n1', 'old', true], ['n2', 'old', true], ['n3', 'old', true]], maxUnavailable: 2, want: ['n1', 'n2'] },
    { story: 'wait while an updated pod is not yet available', pods: [['n1', 'new', false], ['n2', 'old', true], ['n3', 'old', true]], maxUnavailable: 1, want: [] },
    { story: 'an unavailable old pod is always replaced', pods: [['n1', 'new', false], ['n2', 'old', false], ['n3', 'old', true]], maxUnavailable: 1, want: ['n2'] },
    { story: 'nothing left to update', pods: [['n1', 'new', true], ['n2', 'new', true]], maxUnavailable: 1, want: [] },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const byNode = new Map(c.pods.map(([n, hash, ready]) => [n, [dsPod(`p-${n}`, n, hash, ready)]]));
      assert.deepEqual(rollingUpdateDeletions(byNode, 'new', undefined, c.maxUnavailable, 0, T0).map((p) => p.spec?.nodeName), c.want);
    });
  }
});
