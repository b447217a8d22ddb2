// Endpoints and EndpointSlices in the sandbox, through real kubectl: a Service's endpoints are
// its ready pods, they follow the pods through a drain, and the `kubernetes` Service points at
// the control plane.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/sandbox/index.js';
import type { Endpoints, KubeObject } from '../src/api/types.js';
import { isPod } from '../src/sandbox/server/kinds.js';
import { type TestSandbox, eventually, nodeOf, podReady, testSandbox } from './helpers/sandbox.js';

const SCENARIO = `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: endpoints}
spec:
  nodes:
  - {name: controlplane, role: control-plane}
  - {namePrefix: node0, count: 2}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27.3", ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: canary, namespace: default, labels: {app: web, track: canary}, annotations: {sandbox.upkeep.dev/ready: never}}
spec:
  nodeName: node02
  containers: [{name: web, image: "nginx:1.27.3", ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;

function isEndpoints(o: KubeObject): o is Endpoints {
  return o.kind === 'Endpoints';
}

function addresses(ep: KubeObject | undefined) {
  return ep && isEndpoints(ep) ? (ep.subsets ?? []).flatMap((s) => s.addresses ?? []) : [];
}

describe('Endpoints in the sandbox', () => {
  let sb: TestSandbox;
  const readyWeb = async () => (await sb.list('pods', 'default')).filter((p) => p.metadata.labels?.app === 'web' && !p.metadata.labels.track && podReady(p) && !p.metadata.deletionTimestamp);
  const ips = (pods: KubeObject[]) => pods.map((p) => (isPod(p) ? (p.status?.podIP ?? '') : '')).sort();
  before(async () => {
    sb = await testSandbox({ scenario: parseScenario(SCENARIO, 'endpoints.yaml') });
    await eventually('2 ready web pods', async () => ((await readyWeb()).length === 2 ? true : undefined));
  });
  after(async () => sb?.stop());

  it('the kubernetes Service\'s endpoints are the control plane on 6443', async () => {
    const ip = (await sb.kubectl(['get', 'node', 'controlplane', '-o', 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}'])).stdout;
    const r = await eventually('kubernetes endpoints', async () => {
      const out = await sb.kubectl(['get', 'endpoints', 'kubernetes', '--no-headers']);
      return out.code === 0 && out.stdout.includes(':6443') ? out.stdout : undefined;
    });
    assert.match(r, new RegExp(`^kubernetes\\s+${ip.replace(/\./g, '\\.')}:6443\\s+`));
  });

  it('a Service\'s endpoints are its ready pods on the resolved targetPort, with one EndpointSlice', async () => {
    const want = ips(await readyWeb());
    await eventually('web endpoints = ready pods', async () => (JSON.stringify(addresses(await sb.get('endpoints', 'default', 'web')).map((a) => a.ip).sort()) === JSON.stringify(want) ? true : undefined));
    const ep = await sb.kubectl(['get', 'endpoints', 'web', '--no-headers']);
    assert.match(ep.stdout, new RegExp(`^web\\s+${want.map((i) => `${i.replace(/\./g, '\\.')}:8080`).join(',')}\\s+`));
    const slices = await sb.kubectlJson<{ items: KubeObject[] }>(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
    assert.equal(slices.items.length, 1);
    assert.deepEqual(slices.items[0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('a pod that is never ready is a notReadyAddress, with the kubelet\'s Unhealthy event', async () => {
    const notReady = await eventually('canary in notReadyAddresses', async () => {
      const ep = await sb.get('endpoints', 'default', 'web');
      const all = ep && isEndpoints(ep) ? (ep.subsets ?? []).flatMap((s) => s.notReadyAddresses ?? []) : [];
      return all.length ? all : undefined;
    });
    assert.deepEqual(notReady.map((a) => a.targetRef?.name), ['canary']);
    const row = await sb.kubectl(['get', 'pod', 'canary', '--no-headers']);
    assert.match(row.stdout, /^canary\s+0\/1\s+Running\s+0\s+/);
    const events = await sb.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=canary,reason=Unhealthy', '-o', 'jsonpath={.items[0].message}']);
    assert.equal(events.stdout, 'Readiness probe failed: HTTP probe failed with statuscode: 503');
  });

  it('a slow pod runs unready first, then becomes ready', async () => {
    const manifest = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"slow","annotations":{"sandbox.upkeep.dev/ready-after-seconds":"120"}},"spec":{"nodeName":"node02","containers":[{"name":"slow","image":"nginx:1.27.3"}]}}';
    assert.equal((await sb.kubectl(['create', '-f', '-'], { input: manifest })).code, 0);
    const running = await eventually('slow running', async () => {
      const p = await sb.get('pods', 'default', 'slow');
      return p && isPod(p) && p.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(podReady(running), false, 'not ready when it starts running');
    await eventually('slow ready', async () => {
      const p = await sb.get('pods', 'default', 'slow');
      return p && podReady(p) ? true : undefined;
    });
    assert.equal((await sb.kubectl(['delete', 'pod', 'slow', '--grace-period=0', '--force'])).code, 0);
  });

  it('during a drain the endpoints follow the pods: the evicted go, the replacements join once ready', async () => {
    const onNode01 = (await readyWeb()).filter((p) => nodeOf(p) === 'node01');
    const r = await sb.kubectl(['drain', 'node01', '--ignore-daemonsets', '--force', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    const after = await eventually('2 ready web pods on node02 in the endpoints', async () => {
      const pods = await readyWeb();
      const eps = addresses(await sb.get('endpoints', 'default', 'web'));
      return pods.length === 2 && eps.length === 2 && JSON.stringify(eps.map((a) => a.ip).sort()) === JSON.stringify(ips(pods)) ? eps : undefined;
    });
    assert.deepEqual(after.map((a) => a.nodeName), ['node02', 'node02']);
    for (const gone of onNode01) assert.ok(!after.some((a) => a.targetRef?.name === gone.metadata.name), `${gone.metadata.name} left the endpoints`);
    assert.equal((await sb.kubectl(['uncordon', 'node01'])).code, 0);
  });
});
