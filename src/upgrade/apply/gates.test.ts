import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../../api/types.js';
import type { ClusterVersions } from '../plan.js';
import { parseVersion as V } from '../version.js';
import { controlPlaneNotBack, nodeNotBack, skewViolations, type Move } from './gates.js';

// A kubeadm cluster at v1.31.4: cp1 and three workers, node03 lagging at v1.29.10.
const cluster: ClusterVersions = {
  apiservers: [{ node: 'cp1', version: V('v1.31.4') }],
  controllerManagers: [{ node: 'cp1', version: V('v1.31.4') }],
  schedulers: [{ node: 'cp1', version: V('v1.31.4') }],
  etcd: { topology: 'stacked', members: [] },
  kubelets: [
    { node: 'cp1', version: V('v1.31.4'), controlPlane: true },
    { node: 'node01', version: V('v1.31.4'), controlPlane: false },
    { node: 'node02', version: V('v1.31.4'), controlPlane: false },
    { node: 'node03', version: V('v1.29.10'), controlPlane: false },
  ],
  serverVersion: V('v1.31.4'),
};

describe('skewViolations: the skew policy on the versions a wave leaves', () => {
  const cases: Array<{ story: string; moves: Move[]; expect: string[]; ha?: boolean }> = [
    { story: 'the control plane moves one minor: kubelets within three minors are fine', moves: [{ node: 'cp1', to: 'v1.32.13', staticPods: true }], expect: [] },
    { story: 'a worker ahead of the apiserver (--skip-control-plane to a newer minor) is refused', moves: [{ node: 'node01', to: 'v1.32.13', staticPods: false }], expect: ['kubelet node01 v1.32.13 too-new'] },
    {
      story: 'two control-plane minors at once would strand the lagging node03 (v1.29 under a v1.33 apiserver)',
      moves: [{ node: 'cp1', to: 'v1.33.5', staticPods: true }],
      expect: ['kubelet node03 v1.29.10 too-old'],
    },
    {
      story: 'HA: cp1 moves its static pods and its kubelet while cp2 still runs v1.31: its kubelet follows its own apiserver',
      moves: [{ node: 'cp1', to: 'v1.32.13', staticPods: true }],
      expect: [],
      ha: true,
    },
    { story: 'a worker moving to the control plane minor is fine', moves: [{ node: 'node03', to: 'v1.31.4', staticPods: false }], expect: [] },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const ha: ClusterVersions = { ...cluster, apiservers: [...cluster.apiservers, { node: 'cp2', version: V('v1.31.4') }] };
      assert.deepEqual(skewViolations(c.ha ? ha : cluster, c.moves).filter((v) => v.component === 'kubelet').map((v) => `${v.component} ${v.node} ${v.version} ${v.direction}`), c.expect);
    });
  }
});

const node = (ready: 'True' | 'False' | 'Unknown', kubelet: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node01' },
  status: { conditions: [{ type: 'Ready', status: ready }], nodeInfo: { kubeletVersion: kubelet, architecture: '', bootID: '', containerRuntimeVersion: '', kernelVersion: '', kubeProxyVersion: '', machineID: '', operatingSystem: '', osImage: '', systemUUID: '' } },
});

describe('nodeNotBack: a node is back when Ready at the target kubelet version', () => {
  const cases: Array<{ node: Node | undefined; version?: string; expect: string | undefined }> = [
    { node: node('True', 'v1.32.13'), version: 'v1.32.13', expect: undefined },
    { node: node('True', 'v1.31.4'), version: 'v1.32.13', expect: 'kubelet at v1.31.4, not v1.32.13' },
    { node: node('Unknown', 'v1.32.13'), version: 'v1.32.13', expect: 'not Ready' },
    { node: node('True', 'v1.31.4'), expect: undefined },
    { node: undefined, version: 'v1.32.13', expect: 'the Node object is gone' },
  ];
  for (const c of cases) it(String(c.expect), () => assert.equal(nodeNotBack(c.node, c.version), c.expect));
});

const staticPod = (component: string, tag: string, ready: boolean): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `${component}-cp1`, namespace: 'kube-system', labels: { tier: 'control-plane', component } },
  spec: { nodeName: 'cp1', containers: [{ name: component, image: `registry.k8s.io/${component}:${tag}` }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

describe('controlPlaneNotBack: the static pods Running and Ready at the target', () => {
  const all = (tag: string, ready = true) => ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) => staticPod(c, tag, ready));
  it('all at the target and Ready', () => assert.equal(controlPlaneNotBack(all('v1.32.13'), 'cp1', 'v1.32.13'), undefined));
  it('the scheduler still at the old image', () =>
    assert.equal(controlPlaneNotBack([...all('v1.32.13').slice(0, 2), staticPod('kube-scheduler', 'v1.31.4', true)], 'cp1', 'v1.32.13'), 'kube-scheduler-cp1 not Running and Ready at v1.32.13'));
  it('none on the node', () => assert.equal(controlPlaneNotBack([], 'cp1', 'v1.32.13'), 'no control-plane static pods on cp1'));
});
