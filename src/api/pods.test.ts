import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { controllerOf, hasLocalStorage, isDaemonSetPod, isMirrorPod, isPodActive, isPodFinished, isPodReady, isPodServing, isPodTerminating, podKey, podNodeName, podPhase } from './pods.js';
import { isNodeReady, isNodeUnschedulable, kubeletVersion } from './nodes.js';
import type { KubeObject, Node, Pod } from './types.js';

const ready = { conditions: [{ type: 'Ready', status: 'True' }] };
const pods: Record<string, Pod> = {
  running: { metadata: { name: 'a', namespace: 'default' }, spec: { nodeName: 'node01', containers: [] }, status: { phase: 'Running', ...ready } },
  pending: { metadata: { name: 'b', namespace: 'default' }, spec: { containers: [] }, status: { phase: 'Pending' } },
  terminating: { metadata: { name: 'c', namespace: 'default', deletionTimestamp: '2026-01-01T00:00:00Z' }, spec: { nodeName: 'node01', containers: [] }, status: { phase: 'Running', ...ready } },
  succeeded: { metadata: { name: 'd', namespace: 'default' }, spec: { containers: [] }, status: { phase: 'Succeeded' } },
  failed: { metadata: { name: 'e', namespace: 'default' }, spec: { containers: [] }, status: { phase: 'Failed' } },
  mirror: { metadata: { name: 'f', namespace: 'kube-system', annotations: { 'kubernetes.io/config.mirror': 'abc' } }, spec: { containers: [] } },
  daemon: {
    metadata: { name: 'g', namespace: 'kube-system', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'proxy', uid: 'u1', controller: true }] },
    spec: { containers: [], volumes: [{ name: 'scratch', emptyDir: {} }] },
  },
  notController: { metadata: { name: 'h', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'x', uid: 'u2' }] }, spec: { containers: [], volumes: [{ name: 'h', hostPath: { path: '/x' } }] } },
};

describe('pod facts', () => {
  const table: Array<[string, { ready: boolean; serving: boolean; terminating: boolean; finished: boolean; active: boolean; mirror: boolean; daemon: boolean; local: boolean; node?: string; phase?: string }]> = [
    ['running', { ready: true, serving: true, terminating: false, finished: false, active: true, mirror: false, daemon: false, local: false, node: 'node01', phase: 'Running' }],
    ['pending', { ready: false, serving: false, terminating: false, finished: false, active: true, mirror: false, daemon: false, local: false, phase: 'Pending' }],
    ['terminating', { ready: true, serving: false, terminating: true, finished: false, active: false, mirror: false, daemon: false, local: false, node: 'node01', phase: 'Running' }],
    ['succeeded', { ready: false, serving: false, terminating: false, finished: true, active: false, mirror: false, daemon: false, local: false, phase: 'Succeeded' }],
    ['failed', { ready: false, serving: false, terminating: false, finished: true, active: false, mirror: false, daemon: false, local: false, phase: 'Failed' }],
    ['mirror', { ready: false, serving: false, terminating: false, finished: false, active: true, mirror: true, daemon: false, local: false }],
    ['daemon', { ready: false, serving: false, terminating: false, finished: false, active: true, mirror: false, daemon: true, local: true }],
    ['notController', { ready: false, serving: false, terminating: false, finished: false, active: true, mirror: false, daemon: false, local: false }],
  ];
  for (const [name, want] of table) {
    it(name, () => {
      const p = pods[name];
      assert.deepEqual(
        {
          ready: isPodReady(p),
          serving: isPodServing(p),
          terminating: isPodTerminating(p),
          finished: isPodFinished(p),
          active: isPodActive(p),
          mirror: isMirrorPod(p),
          daemon: isDaemonSetPod(p),
          local: hasLocalStorage(p),
          ...(podNodeName(p) ? { node: podNodeName(p) } : {}),
          ...(podPhase(p) ? { phase: podPhase(p) } : {}),
        },
        want,
      );
    });
  }
  it('names pods ns/name and finds the controller', () => {
    assert.equal(podKey(pods.running), 'default/a');
    assert.equal(controllerOf(pods.daemon)?.name, 'proxy');
    assert.equal(controllerOf(pods.notController), undefined);
  });
  it('reads an untyped object the same way', () => {
    const o: KubeObject = { metadata: { name: 'x' }, spec: { nodeName: 'n1' }, status: ready };
    assert.equal(podNodeName(o), 'n1');
    assert.equal(isPodReady(o), true);
  });
});

describe('node facts', () => {
  it('ready, cordoned and kubelet version', () => {
    const n: Node = { metadata: { name: 'n' }, spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.31.4' } as NonNullable<Node['status']>['nodeInfo'] } };
    assert.deepEqual([isNodeReady(n), isNodeUnschedulable(n), kubeletVersion(n)], [true, true, 'v1.31.4']);
    const down: Node = { metadata: { name: 'm' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
    assert.deepEqual([isNodeReady(down), isNodeUnschedulable(down), kubeletVersion(down)], [false, false, undefined]);
  });
});
