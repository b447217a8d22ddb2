// Events as a real cluster records them, through real kubectl: a Deployment's pod tells its life
// (Scheduled, Pulling, Pulled, Created, Started) in `kubectl events --for`, deleting it tells
// Killing, a crash-looping container's BackOff repeats as one event with a growing count, and
// the same stored Events are served as core/v1 and events.k8s.io/v1 (kubectl, the Python client).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/sandbox/index.js';
import { type TestSandbox, eventually, podReady, testSandbox } from './helpers/sandbox.js';
import type { KubeObject } from '../src/api/types.js';
import { jsonObject } from '../src/util/json.js';

const SCENARIO = `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: events}
spec:
  controlPlane: {version: v1.32.3}
  nodes:
  - {name: controlplane, role: control-plane}
  - {namePrefix: node0, count: 1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27.3"}]
`;

interface EventList {
  items: Array<KubeObject & Record<string, unknown>>;
}

describe('events as a real cluster records them', () => {
  let sb: TestSandbox;
  let pod = '';
  before(async () => {
    sb = await testSandbox({ scenario: parseScenario(SCENARIO, 'events.yaml') });
    const ready = await eventually('a ready web pod', async () => (await sb.list('pods', 'default')).find((p) => p.metadata.labels?.app === 'web' && podReady(p)));
    pod = ready.metadata.name ?? '';
  });
  after(async () => sb?.stop());

  it('a pod tells Scheduled, Pulling, Pulled, Created, Started in kubectl events --for', async () => {
    const lines = await eventually('the five events', async () => {
      const r = await sb.kubectl(['events', '--for', `pod/${pod}`, '--no-headers']);
      const reasons = r.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/)[2]);
      return reasons.length >= 5 ? r.stdout.trim().split('\n') : undefined;
    });
    // LAST SEEN, TYPE, REASON, OBJECT, MESSAGE
    const rows = lines.map((l) => l.split(/\s{2,}/).slice(1));
    assert.deepEqual(rows, [
      ['Normal', 'Scheduled', `Pod/${pod}`, `Successfully assigned default/${pod} to node01`],
      ['Normal', 'Pulling', `Pod/${pod}`, 'Pulling image "nginx:1.27.3"'],
      ['Normal', 'Pulled', `Pod/${pod}`, rows[2][3]],
      ['Normal', 'Created', `Pod/${pod}`, 'Created container: web'],
      ['Normal', 'Started', `Pod/${pod}`, 'Started container web'],
    ]);
    assert.match(rows[2][3], /^Successfully pulled image "nginx:1\.27\.3" in [\d.]+m?s \([\d.]+m?s including waiting\)\. Image size: \d+ bytes\.$/);
    const json = await sb.kubectlJson<EventList>(['get', 'events', '--field-selector', `involvedObject.name=${pod},reason=Started`]);
    const uid = (await sb.get('pods', 'default', pod))?.metadata.uid;
    assert.deepEqual(
      json.items.map((e) => [jsonObject(e.involvedObject)?.fieldPath, jsonObject(e.involvedObject)?.uid, e.source, e.reportingComponent, e.reportingInstance, e.count]),
      [['spec.containers{web}', uid, { component: 'kubelet', host: 'node01' }, 'kubelet', 'node01', 1]],
    );
  });

  it('deleting the pod tells Killing', async () => {
    assert.equal((await sb.kubectl(['delete', 'pod', pod, '--wait=false'])).code, 0);
    const killing = await eventually('a Killing event', async () => {
      const r = await sb.kubectl(['events', '--for', `pod/${pod}`, '--types=Normal', '--no-headers']);
      return r.stdout.split('\n').find((l) => /\sKilling\s/.test(l));
    });
    assert.match(killing, new RegExp(`\\sNormal\\s+Killing\\s+Pod/${pod}\\s+Stopping container web$`));
  });
});
