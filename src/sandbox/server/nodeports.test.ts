import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withNodePorts } from './nodeports.js';

describe('NodePort allocation', () => {
  it('gives each port of a NodePort Service a port in 30000-32767, stable per uid', () => {
    const ports = withNodePorts('NodePort', 'uid-1', [{ port: 80 }, { port: 443 }]);
    const nodePorts = ports.map((p) => (typeof p === 'object' && p !== null && 'nodePort' in p ? Number(p.nodePort) : NaN));
    assert.equal(nodePorts.length, 2);
    for (const n of nodePorts) assert.ok(n >= 30000 && n <= 32767, String(n));
    assert.notEqual(nodePorts[0], nodePorts[1]);
    assert.deepEqual(withNodePorts('NodePort', 'uid-1', [{ port: 80 }, { port: 443 }]), ports);
  });
  const cases = [
    { story: 'a given nodePort is kept', type: 'LoadBalancer', ports: [{ port: 80, nodePort: 30080 }], want: [{ port: 80, nodePort: 30080 }] },
    { story: 'a ClusterIP Service gets none', type: 'ClusterIP', ports: [{ port: 80 }], want: [{ port: 80 }] },
  ];
  for (const c of cases) it(c.story, () => assert.deepEqual(withNodePorts(c.type, 'u', c.ports), c.want));
});
