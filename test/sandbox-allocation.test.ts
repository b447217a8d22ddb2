// Service ClusterIPs and NodePorts come from allocators, as in kube-apiserver: with real kubectl
// 1.33, a second Service asking for a taken address or nodePort is refused in kube-apiserver's
// words, one outside the range too; deleting the holder frees it; a sandbox restarted on the
// same stored objects knows what is taken.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSandbox } from '../src/sandbox/index.js';
import { MemoryStore } from '../src/sandbox/store/memory.js';
import { testSandbox, type TestSandbox } from './helpers/sandbox.js';
import { pinnedKubectl } from './helpers/raw.js';

function service(name: string, spec: string): string {
  return `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n${spec}`;
}

const clusterIP = (name: string, ip: string) => service(name, `  clusterIP: ${ip}\n  ports:\n  - port: 80\n`);
const nodePort = (name: string, port: number) => service(name, `  type: NodePort\n  ports:\n  - port: 80\n    nodePort: ${port}\n`);

describe('Service ClusterIP and NodePort allocation (kubectl 1.33)', () => {
  let env: TestSandbox;
  before(async () => {
    env = await testSandbox({ controllers: false });
  });
  after(async () => env.stop());
  const kubectl = (args: string[], input?: string) => pinnedKubectl('1.33', env.kubeconfig, env.dir, args, input);

  it('refuses a second Service asking for a clusterIP that is taken, and gives it once the first is deleted', async () => {
    const first = await kubectl(['create', '-f', '-'], clusterIP('first', '10.96.0.5'));
    assert.equal(first.code, 0, first.stderr);
    const second = await kubectl(['create', '-f', '-'], clusterIP('second', '10.96.0.5'));
    assert.equal(second.code, 1);
    assert.equal(second.stderr.trim(), 'The Service "second" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated');
    const deleted = await kubectl(['delete', 'service', 'first']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const again = await kubectl(['create', '-f', '-'], clusterIP('second', '10.96.0.5'));
    assert.equal(again.code, 0, again.stderr);
    const got = await kubectl(['get', 'service', 'second', '-o', 'jsonpath={.spec.clusterIP} {.spec.clusterIPs}']);
    assert.equal(got.stdout, '10.96.0.5 ["10.96.0.5"]');
  });

  it("refuses the kubernetes and kube-dns Services' addresses and one outside 10.96.0.0/12", async () => {
    const own = await kubectl(['create', '-f', '-'], clusterIP('own', '10.96.0.1'));
    assert.equal(own.stderr.trim(), 'The Service "own" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated');
    const dns = await kubectl(['-n', 'kube-system', 'get', 'service', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.equal(dns.stdout, '10.96.0.10');
    const taken = await kubectl(['create', '-f', '-'], clusterIP('dns', '10.96.0.10'));
    assert.equal(taken.stderr.trim(), 'The Service "dns" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated');
    const outside = await kubectl(['create', '-f', '-'], clusterIP('outside', '10.112.0.1'));
    assert.equal(outside.stderr.trim(), 'The Service "outside" is invalid: spec.clusterIPs: Invalid value: []string{"10.112.0.1"}: failed to allocate IP 10.112.0.1: the provided IP (10.112.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12');
  });

  it('refuses a nodePort that is taken or outside 30000-32767, and frees it on delete', async () => {
    const first = await kubectl(['create', '-f', '-'], nodePort('np-first', 30080));
    assert.equal(first.code, 0, first.stderr);
    const second = await kubectl(['create', '-f', '-'], nodePort('np-second', 30080));
    assert.equal(second.code, 1);
    assert.equal(second.stderr.trim(), 'The Service "np-second" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    const outside = await kubectl(['create', '-f', '-'], nodePort('np-outside', 8080));
    assert.equal(outside.stderr.trim(), 'The Service "np-outside" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767');
    assert.equal((await kubectl(['delete', 'service', 'np-first'])).code, 0);
    const again = await kubectl(['create', '-f', '-'], nodePort('np-second', 30080));
    assert.equal(again.code, 0, again.stderr);
  });

  it('gives every Service without a request its own address and nodePort; headless gets None', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await kubectl(['create', 'service', 'nodeport', `auto-${i}`, '--tcp=80:8080']);
      assert.equal(r.code, 0, r.stderr);
    }
    const headless = await kubectl(['create', 'service', 'clusterip', 'headless', '--clusterip=None']);
    assert.equal(headless.code, 0, headless.stderr);
    const list = await kubectl(['get', 'services', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.clusterIP} {.spec.ports[*].nodePort}{"\\n"}{end}']);
    const rows = list.stdout.trim().split('\n').map((l) => l.split(' '));
    const auto = rows.filter(([name]) => name.startsWith('auto-'));
    assert.equal(auto.length, 20, list.stdout + list.stderr);
    assert.equal(new Set(auto.map((r) => r[1])).size, 20, 'addresses are unique');
    assert.equal(new Set(auto.map((r) => r[2])).size, 20, 'nodePorts are unique');
    for (const [, ip, port] of auto) {
      // Picked from above the static bands: 10.96.1.1 and up, 30086 and up (KEP-3668).
      assert.match(ip, /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
      assert.ok(!ip.startsWith('10.96.0.'), ip);
      assert.ok(Number(port) >= 30086 && Number(port) <= 32767, port);
    }
    assert.deepEqual(rows.find(([name]) => name === 'headless')?.slice(0, 2), ['headless', 'None']);
  });

  it('a dry run takes nothing', async () => {
    const dry = await kubectl(['create', '--dry-run=server', '-f', '-'], clusterIP('dry', '10.96.0.77'));
    assert.equal(dry.code, 0, dry.stderr);
    const real = await kubectl(['create', '-f', '-'], clusterIP('real', '10.96.0.77'));
    assert.equal(real.code, 0, real.stderr);
  });
});

describe('allocation across a sandbox restart on the same stored objects', () => {
  const store = new MemoryStore();
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-alloc-'));
  });
  after(async () => fs.rm(dir, { recursive: true, force: true }));

  it('knows the addresses and nodePorts the stored Services hold', async () => {
    const kubeconfig = path.join(dir, 'kubeconfig');
    const kubectl = (args: string[], input?: string) => pinnedKubectl('1.33', kubeconfig, dir, args, input);
    const one = await startSandbox({ store, controllers: false, kubeconfigOut: kubeconfig });
    try {
      const r = await kubectl(['create', '-f', '-'], service('kept', '  type: NodePort\n  clusterIP: 10.96.0.50\n  ports:\n  - port: 80\n    nodePort: 30050\n'));
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await one.stop();
    }
    const two = await startSandbox({ store, controllers: false, kubeconfigOut: kubeconfig });
    try {
      const ip = await kubectl(['create', '-f', '-'], clusterIP('other', '10.96.0.50'));
      assert.equal(ip.stderr.trim(), 'The Service "other" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.50"}: failed to allocate IP 10.96.0.50: provided IP is already allocated');
      const port = await kubectl(['create', '-f', '-'], nodePort('other', 30050));
      assert.equal(port.stderr.trim(), 'The Service "other" is invalid: spec.ports[0].nodePort: Invalid value: 30050: provided port is already allocated');
    } finally {
      await two.stop();
    }
  });
});
