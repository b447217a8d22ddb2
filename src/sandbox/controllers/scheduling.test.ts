import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, PodSpec, Taint } from '../../api/types.js';
import { beatsBest, failedSchedulingMessage, feasibleNodesToFind, fitFailure, parseQuantity, pickNode, pinnedNodeNames, tolerates } from './scheduling.js';

function node(name: string, extra: { unschedulable?: boolean; taints?: Taint[]; labels?: Record<string, string>; ready?: boolean; cpu?: string; pods?: string } = {}): Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extra.labels } },
    spec: { unschedulable: extra.unschedulable, taints: extra.taints },
    status: { allocatable: { cpu: extra.cpu ?? '4', memory: '8Gi', pods: extra.pods ?? '110' }, conditions: [{ type: 'Ready', status: extra.ready === false ? 'False' : 'True' }] },
  };
}

function pod(spec: Partial<PodSpec> = {}, owner?: string): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true }] : undefined },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec },
  };
}

const dsTolerations = [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }];

describe('fitFailure: why a pod cannot go to a node', () => {
  const cases: Array<[string, Pod, Node, ReturnType<typeof fitFailure>, Pod[]?]> = [
    ['a plain pod fits a Ready node', pod(), node('n1'), undefined],
    ['a cordoned node takes no new pods', pod(), node('n1', { unschedulable: true }), 'unschedulable'],
    ['but DaemonSet pods tolerate unschedulable', pod({ tolerations: dsTolerations }), node('n1', { unschedulable: true }), undefined],
    ['the control-plane taint keeps workloads off', pod(), node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }), 'taint'],
    ['unless tolerated', pod({ tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] }), node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }), undefined],
    ['a PreferNoSchedule taint does not filter', pod(), node('n1', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), undefined],
    ['nodeSelector must match labels', pod({ nodeSelector: { disk: 'ssd' } }), node('n1'), 'affinity'],
    ['nodeSelector matching', pod({ nodeSelector: { disk: 'ssd' } }), node('n1', { labels: { disk: 'ssd' } }), undefined],
    ['required node affinity NotIn', pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['n1'] }] }] } } } }), node('n1'), 'affinity'],
    ['required node affinity Gt on an integer label (api/affinity.ts)', pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }] } } } }), node('n1', { labels: { cores: '16' } }), undefined],
    ['Gt against a label that is not an integer', pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }] } } } }), node('n1', { labels: { cores: 'many' } }), 'affinity'],
    ['terms ORed: matchFields metadata.name of another node, or a label this one has', pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }, { matchExpressions: [{ key: 'disk', operator: 'Exists' }] }] } } } }), node('n1', { labels: { disk: 'ssd' } }), undefined],
    ['an empty term matches no node', pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } }), node('n1'), 'affinity'],
    ['cpu requests beyond allocatable', pod({ containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '3' } } }] }), node('n1', { cpu: '4' }), 'cpu', [pod({ containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '1500m' } } }] })]],
    ['the pods capacity', pod(), node('n1', { pods: '1' }), 'pods', [pod()]],
    ['a NotReady node', pod(), node('n1', { ready: false }), 'notReady'],
  ];
  for (const [story, p, n, want, existing] of cases) {
    it(story, () => assert.equal(fitFailure(p, { node: n, pods: existing ?? [] }), want));
  }
});

describe('pickNode spreads replicas of one owner', () => {
  it('prefers the node with fewest pods of the same owner, then fewest pods', () => {
    const mine = pod({}, 'rs1');
    const chosen = pickNode(mine, [
      { node: node('a'), pods: [pod({}, 'rs1')] },
      { node: node('b'), pods: [pod({}, 'other'), pod({}, 'other')] },
      { node: node('c'), pods: [pod({}, 'other'), pod({}, 'other'), pod({}, 'other')] },
    ]);
    assert.equal(chosen?.node.metadata.name, 'b');
  });
  it('returns nothing when no node fits', () => assert.equal(pickNode(pod(), []), undefined));
});

describe('pinnedNodeNames', () => {
  const cases: Array<[string, Partial<PodSpec>, string[] | undefined]> = [
    ['unpinned', {}, undefined],
    ['a DaemonSet pod names its node', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }] } } } }, ['n7']],
    ['a hostname nodeSelector', { nodeSelector: { 'kubernetes.io/hostname': 'node01' } }, ['node01']],
    ['a label expression term is not a pin', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } }, undefined],
  ];
  for (const [story, spec, want] of cases) it(story, () => assert.deepEqual(pinnedNodeNames(pod(spec)), want));
});

describe('feasibleNodesToFind (kube-scheduler percentageOfNodesToScore)', () => {
  for (const [total, want] of [[3, 3], [100, 100], [500, 230], [5000, 500], [6000, 300]] as const) {
    it(`${total} nodes -> ${want}`, () => assert.equal(feasibleNodesToFind(total), want));
  }
});

describe('small helpers', () => {
  it('parses quantities', () => {
    assert.deepEqual(['500m', '2', '1Gi', '128Mi', '1k', '1e3'].map(parseQuantity), [0.5, 2, 2 ** 30, 128 * 2 ** 20, 1000, 1000]);
  });
  it('matches tolerations like Kubernetes', () => {
    assert.equal(tolerates([{ operator: 'Exists' }], { key: 'anything', effect: 'NoExecute' }), true);
    assert.equal(tolerates([{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }], { key: 'k', value: 'w', effect: 'NoSchedule' }), false);
    assert.equal(tolerates([{ key: 'k', operator: 'Exists' }], { key: 'k', value: 'w', effect: 'NoExecute' }), true);
  });
  it('words FailedScheduling like kube-scheduler', () => {
    assert.equal(failedSchedulingMessage(4, ['unschedulable', 'cpu', 'cpu', 'cpu']), '0/4 nodes are available: 1 node(s) were unschedulable, 3 Insufficient cpu. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.');
  });
});

describe('beatsBest: the order the scheduler scores nodes in', () => {
  // [siblings, pods, nameOrder, bestSiblings, bestPods, beats]
  const table: Array<[number, number, number, number, number, boolean]> = [
    [0, 9, 1, 1, 0, true], // fewer of the owner's pods wins over fewer pods and a later name
    [2, 0, -1, 1, 9, false],
    [1, 3, 1, 1, 4, true], // same owner count: fewer pods
    [1, 5, -1, 1, 4, false],
    [1, 4, -1, 1, 4, true], // all equal: the earlier name
    [1, 4, 1, 1, 4, false],
    [1, 4, 0, 1, 4, false], // the same node does not beat itself
  ];
  for (const [siblings, pods, nameOrder, bestSiblings, bestPods, want] of table) {
    it(`(${siblings}, ${pods}, ${nameOrder}) vs (${bestSiblings}, ${bestPods}) -> ${want}`, () => assert.equal(beatsBest(siblings, pods, nameOrder, bestSiblings, bestPods), want));
  }
});
