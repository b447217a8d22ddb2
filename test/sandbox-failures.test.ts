// Workloads that can fail in the sandbox, through real kubectl: a Deployment rolled to an image
// the scenario's registry does not have stalls in ImagePullBackOff while the old ReplicaSet keeps
// serving; a private image needs its pull secret; logs, --previous and exec answer as a cluster
// without a container runtime would.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/sandbox/index.js';
import { type TestSandbox, eventually, podReady, testSandbox } from './helpers/sandbox.js';
import { isPod } from '../src/sandbox/server/kinds.js';
import type { KubeObject } from '../src/api/types.js';

const SCENARIO = `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: failures}
spec:
  nodes:
  - {name: controlplane, role: control-plane}
  - {namePrefix: node0, count: 2}
  registry:
    images: ["nginx:1.27.3", "registry.example.com/shop/app:1"]
    private: {host: registry.example.com, secret: regcred}
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
      containers: [{name: web, image: "nginx:1.27.3"}]
`;

function waiting(p: KubeObject): string | undefined {
  return isPod(p) ? p.status?.containerStatuses?.[0]?.state?.waiting?.reason : undefined;
}

describe('workloads that can fail in the sandbox', () => {
  let sb: TestSandbox;
  const webPods = async () => (await sb.list('pods', 'default')).filter((p) => p.metadata.labels?.app === 'web' && !p.metadata.deletionTimestamp);
  before(async () => {
    sb = await testSandbox({ scenario: parseScenario(SCENARIO, 'failures.yaml') });
    await eventually('2 ready web pods', async () => ((await webPods()).filter(podReady).length === 2 ? true : undefined));
  });
  after(async () => sb?.stop());

  it('a rollout to a missing image stalls in ImagePullBackOff while the old ReplicaSet serves', async () => {
    const old = (await webPods()).map((p) => p.metadata.name).sort();
    assert.equal((await sb.kubectl(['set', 'image', 'deployment/web', 'web=nginx:9.9.9'])).code, 0);
    const stuck = await eventually('a new pod in ImagePullBackOff', async () => (await webPods()).find((p) => waiting(p) === 'ImagePullBackOff'));
    const table = await sb.kubectl(['get', 'pod', stuck.metadata.name ?? '', '--no-headers']);
    assert.match(table.stdout, /^\S+\s+0\/1\s+(ImagePullBackOff|ErrImagePull)\s+0\s+/);
    const ready = (await webPods()).filter(podReady).map((p) => p.metadata.name).sort();
    assert.deepEqual(ready, old, 'the old pods keep serving');
    const events = await sb.kubectl(['get', 'events', '--field-selector', `involvedObject.name=${stuck.metadata.name}`, '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.match(events.stdout, /^Pulling: Pulling image "nginx:9\.9\.9"$/m);
    assert.match(events.stdout, /^Failed: Failed to pull image "nginx:9\.9\.9": rpc error: code = NotFound desc = failed to pull and unpack image "docker\.io\/library\/nginx:9\.9\.9": failed to resolve reference "docker\.io\/library\/nginx:9\.9\.9": docker\.io\/library\/nginx:9\.9\.9: not found$/m);
    assert.match(events.stdout, /^Failed: Error: ErrImagePull$/m);
    assert.match(events.stdout, /^BackOff: Back-off pulling image "nginx:9\.9\.9"$/m);
    const status = await sb.kubectl(['rollout', 'status', 'deployment/web', '--timeout=3s']);
    assert.notEqual(status.code, 0);
    assert.match(status.stdout, /Waiting for deployment "web" rollout to finish: 1 out of 2 new replicas have been updated\.\.\./);
    const logs = await sb.kubectl(['logs', stuck.metadata.name ?? '']);
    assert.equal(logs.stderr, `Error from server (BadRequest): container "web" in pod "${stuck.metadata.name}" is waiting to start: trying and failing to pull image\n`);
    assert.equal((await sb.kubectl(['rollout', 'undo', 'deployment/web'])).code, 0);
  });

  it('a private image needs the pull secret the scenario names', async () => {
    const pod = (name: string, secrets: string) => `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"${name}"},"spec":{${secrets}"containers":[{"name":"app","image":"registry.example.com/shop/app:1"}]}}`;
    assert.equal((await sb.kubectl(['create', '-f', '-'], { input: pod('nosecret', '') })).code, 0);
    assert.equal((await sb.kubectl(['create', '-f', '-'], { input: pod('withsecret', '"imagePullSecrets":[{"name":"regcred"}],') })).code, 0);
    const denied = await eventually('nosecret in ErrImagePull', async () => {
      const p = await sb.get('pods', 'default', 'nosecret');
      return p && isPod(p) && p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull' ? p.status.containerStatuses[0].state.waiting.message : undefined;
    });
    assert.equal(denied, 'failed to pull and unpack image "registry.example.com/shop/app:1": failed to resolve reference "registry.example.com/shop/app:1": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials');
    await eventually('withsecret running', async () => {
      const p = await sb.get('pods', 'default', 'withsecret');
      return p && podReady(p) ? true : undefined;
    });
  });

  it('an HPA (autoscaling/v2) keeps its Deployment at minReplicas when there are no metrics', async () => {
    const r = await sb.kubectl(['autoscale', 'deployment', 'web', '--min=3', '--max=5']);
    assert.equal(r.code, 0, r.stderr);
    await eventually('web scaled to 3 by the HPA', async () => {
      const d = await sb.kubectlJson<{ spec: { replicas: number } }>(['get', 'deployment', 'web']);
      return d.spec.replicas === 3 ? true : undefined;
    });
    const events = await sb.kubectl(['get', 'events', '--field-selector', 'reason=SuccessfulRescale', '-o', 'jsonpath={.items[0].message}']);
    assert.equal(events.stdout, 'New size: 3; reason: Current number of replicas below Spec.MinReplicas');
    assert.equal((await sb.kubectl(['scale', 'deployment', 'web', '--replicas=6'])).code, 0);
    await eventually('web back at 3', async () => {
      const d = await sb.kubectlJson<{ spec: { replicas: number } }>(['get', 'deployment', 'web']);
      return d.spec.replicas === 3 ? true : undefined;
    });
    const hpa = await sb.kubectl(['get', 'hpa', 'web', '-o', 'jsonpath={.status.currentReplicas} {.status.desiredReplicas}']);
    assert.match(hpa.stdout, /^[36] 3$/);
    assert.equal((await sb.kubectl(['delete', 'hpa', 'web'])).code, 0);
  });

  it('logs from the simulated life; --previous and exec as a cluster without a runtime answers', async () => {
    const pod = (await webPods()).find(podReady);
    assert.ok(pod);
    const name = pod.metadata.name ?? '';
    const logs = await sb.kubectl(['logs', name]);
    assert.equal(logs.stdout, 'sandbox: container web started (image nginx:1.27.3)\nsandbox: web is ready to serve\n');
    const previous = await sb.kubectl(['logs', name, '--previous']);
    assert.equal(previous.stderr, `Error from server (BadRequest): previous terminated container "web" in pod "${name}" not found\n`);
    const exec = await sb.kubectl(['exec', name, '--', 'ls']);
    assert.notEqual(exec.code, 0);
    assert.match(exec.stderr, /the sandbox has no container runtime/);
  });
});
