import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { MemoryStore } from '../store/memory.js';
import { ServiceAllocations, heldBy, patchUpdate } from './nodeports.js';

function svc(name: string, spec: Record<string, unknown>, uid = `uid-${name}`): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', uid }, spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 80 }], ...spec } };
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof StatusError);
    return `${e.status.code}: ${e.message}`;
  }
}

const first = () => 0;

describe('Service allocations on create', () => {
  const cases: Array<{ story: string; stored: KubeObject[]; create: KubeObject; want: string }> = [
    {
      story: 'a clusterIP another Service holds is refused in kube-apiserver\'s words',
      stored: [svc('a', { clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'] })],
      create: svc('b', { clusterIP: '10.96.0.5' }),
      want: '422: Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated',
    },
    {
      story: 'a clusterIP outside the service CIDR is refused',
      stored: [],
      create: svc('b', { clusterIP: '192.168.0.1' }),
      want: '422: Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"192.168.0.1"}: failed to allocate IP 192.168.0.1: the provided IP (192.168.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    },
    {
      story: 'a clusterIP that is no address is refused before allocation',
      stored: [],
      create: svc('b', { clusterIP: '10.96.0.500' }),
      want: '422: Service "b" is invalid: spec.clusterIPs[0]: Invalid value: "10.96.0.500": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    },
    {
      story: 'a nodePort another Service holds is refused',
      stored: [svc('a', { type: 'NodePort', clusterIP: '10.96.0.5', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })],
      create: svc('b', { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443, nodePort: 30080 }] }),
      want: '422: Service "b" is invalid: spec.ports[1].nodePort: Invalid value: 30080: provided port is already allocated',
    },
    {
      story: 'a nodePort outside the range is refused',
      stored: [],
      create: svc('b', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 8080 }] }),
      want: '422: Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
    },
    {
      story: 'an address held by a Service that no longer exists is repaired and given',
      stored: [],
      create: svc('b', { clusterIP: '10.96.0.20' }),
      want: 'ok',
    },
  ];
  it('from 1.33 (ServiceCIDR objects), an address outside the range is a network mismatch', async () => {
    const alloc = new ServiceAllocations(new MemoryStore(), first);
    alloc.serverVersion = () => 'v1.33.1';
    assert.equal(
      await failure(alloc.allocateCreate(svc('b', { clusterIP: '192.168.0.1' }), false)),
      '422: Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"192.168.0.1"}: failed to allocate IP 192.168.0.1: the provided network does not match the current range',
    );
  });
  for (const c of cases) {
    it(c.story, async () => {
      const store = new MemoryStore();
      for (const o of c.stored) await store.create('services', o);
      const alloc = new ServiceAllocations(store, first);
      if (c.story.includes('repaired')) {
        await alloc.allocateCreate(svc('gone', { clusterIP: '10.96.0.20' }), false);
      }
      assert.equal(await failure(alloc.allocateCreate(c.create, false)), c.want);
    });
  }

  it('fills in what was not asked for: an address from the dynamic band, one nodePort per port number', async () => {
    const alloc = new ServiceAllocations(new MemoryStore(), first);
    const dns = svc('dns', { type: 'NodePort', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'metrics', port: 9153 }] });
    const { object } = await alloc.allocateCreate(dns, false);
    assert.deepEqual(heldBy(object), { ips: ['10.96.1.1'], ports: [30086, 30087] });
    assert.deepEqual(
      (object.spec as { ports: Array<{ nodePort: number }> }).ports.map((p) => p.nodePort),
      [30086, 30086, 30087],
    );
  });

  it('headless stays headless, ExternalName gets no address, a LoadBalancer may opt out of nodePorts', async () => {
    const alloc = new ServiceAllocations(new MemoryStore(), first);
    assert.deepEqual(heldBy((await alloc.allocateCreate(svc('h', { clusterIP: 'None' }), false)).object), { ips: [], ports: [] });
    const h = (await alloc.allocateCreate(svc('h2', { clusterIP: 'None' }), false)).object;
    assert.deepEqual((h.spec as { clusterIPs: string[] }).clusterIPs, ['None']);
    assert.deepEqual(heldBy((await alloc.allocateCreate(svc('e', { type: 'ExternalName', externalName: 'example.com', ports: [] }), false)).object), { ips: [], ports: [] });
    const lb = (await alloc.allocateCreate(svc('lb', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false }), false)).object;
    assert.deepEqual(heldBy(lb).ports, []);
    assert.equal(alloc.ipAllocator.count(), 1);
  });

  it('a dry run keeps nothing; an undo gives back what a failed write took; a delete frees', async () => {
    const alloc = new ServiceAllocations(new MemoryStore(), first);
    await alloc.allocateCreate(svc('a', { clusterIP: '10.96.0.5' }), true);
    assert.equal(alloc.ipAllocator.has('10.96.0.5'), false);
    const failed = await alloc.allocateCreate(svc('a', { clusterIP: '10.96.0.5' }), false);
    failed.undo();
    assert.equal(alloc.ipAllocator.has('10.96.0.5'), false);
    const kept = await alloc.allocateCreate(svc('a', { type: 'NodePort', clusterIP: '10.96.0.5', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), false);
    assert.equal(alloc.portAllocator.has(30080), true);
    alloc.release(kept.object);
    assert.equal(alloc.ipAllocator.has('10.96.0.5'), false);
    assert.equal(alloc.portAllocator.has(30080), false);
  });

  it('a restarted sandbox rebuilds the bitmaps from the stored Services', async () => {
    const store = new MemoryStore();
    await store.create('services', svc('a', { type: 'NodePort', clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'], ports: [{ name: 'http', port: 80, nodePort: 30080 }] }));
    const alloc = new ServiceAllocations(store, first);
    assert.match(await failure(alloc.allocateCreate(svc('b', { clusterIP: '10.96.0.5' }), false)), /provided IP is already allocated$/);
    assert.match(await failure(alloc.allocateCreate(svc('c', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), false)), /provided port is already allocated$/);
  });
});

describe('Service allocations on update', () => {
  it('keeps nodePorts a replace leaves out, takes added ones, frees dropped ones on commit', async () => {
    const alloc = new ServiceAllocations(new MemoryStore(), first);
    const old = (await alloc.allocateCreate(svc('a', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }, { name: 'https', port: 443, nodePort: 30443 }] }), false)).object;
    const next = patchUpdate(old, svc('a', { type: 'NodePort', clusterIP: heldBy(old).ips[0], ports: [{ name: 'http', port: 80 }, { name: 'admin', port: 8080, nodePort: 31000 }] }));
    const u = await alloc.allocateUpdate(old, next, false);
    u.commit();
    assert.deepEqual(heldBy(u.object).ports, [30080, 31000]);
    assert.equal(alloc.portAllocator.has(30443), false);
    assert.equal(alloc.portAllocator.has(31000), true);
  });

  it('NodePort to ClusterIP drops the nodePorts; ClusterIP to ExternalName drops the address', async () => {
    const alloc = new ServiceAllocations(new MemoryStore(), first);
    const old = (await alloc.allocateCreate(svc('a', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), false)).object;
    const toClusterIP = patchUpdate(old, { ...old, spec: { ...(old.spec as object), type: 'ClusterIP' } });
    const u = await alloc.allocateUpdate(old, toClusterIP, false);
    u.commit();
    assert.deepEqual(heldBy(u.object).ports, []);
    assert.equal(alloc.portAllocator.count(), 0);
    const toExternal = patchUpdate(u.object, { ...u.object, spec: { ...(u.object.spec as object), type: 'ExternalName', externalName: 'example.com' } });
    const v = await alloc.allocateUpdate(u.object, toExternal, false);
    v.commit();
    assert.deepEqual(heldBy(v.object), { ips: [], ports: [] });
    assert.equal(alloc.ipAllocator.count(), 0);
    const back = patchUpdate(v.object, { ...v.object, spec: { ...(v.object.spec as object), type: 'ClusterIP', externalName: undefined } });
    const w = await alloc.allocateUpdate(v.object, back, false);
    w.commit();
    assert.deepEqual(heldBy(w.object), { ips: ['10.96.1.1'], ports: [] });
    assert.deepEqual([(w.object.spec as { ipFamilies: string[] }).ipFamilies, (w.object.spec as { ipFamilyPolicy: string }).ipFamilyPolicy], [['IPv4'], 'SingleStack']);
  });
});
