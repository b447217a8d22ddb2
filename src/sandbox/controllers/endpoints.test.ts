import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from '../../api/types.js';
import { endpointSubsets, podPorts, sliceEndpoints } from './endpoints.js';

const svc: Service = {
  metadata: { name: 'web', namespace: 'shop' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
};

function pod(name: string, ip: string, opts: { ready?: boolean; terminating?: boolean; phase?: string; app?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, labels: { app: opts.app ?? 'web' }, ...(opts.terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'node01', containers: [{ name: 'web', ports: [{ name: 'http', containerPort: 8080 }] }] },
    status: { phase: opts.phase ?? 'Running', podIP: ip || undefined, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

describe('Endpoints follow the pods a Service selects', () => {
  const cases = [
    { story: 'ready pods are addresses, sorted by IP', pods: [pod('b', '10.244.1.9'), pod('a', '10.244.1.10')], addresses: ['10.244.1.10', '10.244.1.9'], notReady: [] },
    { story: 'a not-ready pod is a notReadyAddress', pods: [pod('a', '10.244.1.2'), pod('b', '10.244.1.3', { ready: false })], addresses: ['10.244.1.2'], notReady: ['10.244.1.3'] },
    { story: 'terminating, finished, IP-less and unselected pods are left out', pods: [pod('a', '10.244.1.2', { terminating: true }), pod('b', '10.244.1.3', { phase: 'Succeeded' }), pod('c', ''), pod('d', '10.244.1.5', { app: 'db' })], addresses: [], notReady: [] },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const subsets = endpointSubsets(svc, c.pods);
      assert.deepEqual(subsets.flatMap((s) => s.addresses ?? []).map((a) => a.ip), c.addresses);
      assert.deepEqual(subsets.flatMap((s) => s.notReadyAddresses ?? []).map((a) => a.ip), c.notReady);
      if (c.addresses.length + c.notReady.length) assert.deepEqual(subsets[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }], 'the named targetPort resolved');
      else assert.deepEqual(subsets, []);
    });
  }
  it('names the pod and its node in each address', () => {
    assert.deepEqual(endpointSubsets(svc, [pod('a', '10.244.1.2')])[0].addresses, [{ ip: '10.244.1.2', nodeName: 'node01', targetRef: { kind: 'Pod', namespace: 'shop', name: 'a', uid: 'uid-a' } }]);
  });
  it('a numeric targetPort, or none (the port itself)', () => {
    assert.deepEqual(podPorts({ ...svc, spec: { selector: { app: 'web' }, ports: [{ port: 443, targetPort: 8443 }, { port: 53, protocol: 'UDP' }] } }, pod('a', '1.1.1.1')), [
      { port: 8443, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
    ]);
  });
});

describe('EndpointSlices keep terminating pods with their conditions', () => {
  it('ready, serving and terminating as the endpointslice controller sets them', () => {
    const eps = sliceEndpoints(svc, [pod('a', '10.244.1.2'), pod('b', '10.244.1.3', { ready: false }), pod('c', '10.244.1.4', { terminating: true })]);
    assert.deepEqual(
      eps.map((e) => [e.targetRef?.name, e.conditions]),
      [
        ['a', { ready: true, serving: true, terminating: false }],
        ['b', { ready: false, serving: false, terminating: false }],
        ['c', { ready: false, serving: true, terminating: true }],
      ],
    );
  });
});
