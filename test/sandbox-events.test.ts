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
import { execFile } from 'node:child_process';
import { pinnedKubectl } from './helpers/raw.js';

function python(kubeconfig: string, home: string, script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', ['-c', script, kubeconfig], { timeout: 60_000, env: { ...process.env, HOME: home } }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
}

const CRASHING = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'crash', annotations: { 'sandbox.upkeep.dev/crash-after-seconds': '1' } },
  spec: { containers: [{ name: 'app', image: 'busybox:1.37' }] },
});

/** A core/v1 Event as an old-style client (client-go's record package) writes it. */
const CORE_EVENT = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'core-made', namespace: 'default' },
  involvedObject: { kind: 'ConfigMap', namespace: 'default', name: 'settings', apiVersion: 'v1' },
  reason: 'Drifted',
  message: 'settings drifted from git',
  source: { component: 'gitops-agent', host: 'ci-1' },
  firstTimestamp: '2026-01-01T00:00:00Z',
  lastTimestamp: '2026-01-01T00:01:00Z',
  count: 2,
  type: 'Warning',
});

/** An events.k8s.io/v1 Event as client-go's events package writes it. */
const EVENTS_V1_EVENT = JSON.stringify({
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'v1-made', namespace: 'default' },
  eventTime: '2026-01-01T00:02:00.123456Z',
  reportingController: 'example.com/backup-operator',
  reportingInstance: 'backup-operator-7d4f',
  action: 'Snapshot',
  reason: 'SnapshotTaken',
  regarding: { kind: 'ConfigMap', namespace: 'default', name: 'settings', apiVersion: 'v1' },
  note: 'snapshot s-42 taken',
  type: 'Normal',
});

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

  it('kubectl 1.30 to 1.33 tell the same story, through core/v1 and events.k8s.io/v1', async () => {
    for (const release of ['1.30', '1.31', '1.32', '1.33']) {
      const r = await pinnedKubectl(release, sb.kubeconfig, sb.dir, ['events', '--for', `pod/${pod}`, '--no-headers']);
      assert.equal(r.code, 0, `${release}: ${r.stderr}`);
      assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/)[2]), ['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started'], release);
      const v1 = await pinnedKubectl(release, sb.kubeconfig, sb.dir, ['get', 'events.v1.events.k8s.io', '--field-selector', `regarding.name=${pod}`, '-o', 'jsonpath={range .items[*]}{.reason}/{.reportingController}/{.deprecatedCount}{"\\n"}{end}']);
      assert.equal(v1.stdout, 'Scheduled/default-scheduler/1\nPulling/kubelet/1\nPulled/kubelet/1\nCreated/kubelet/1\nStarted/kubelet/1\n', release);
    }
  });

  it('deleting the pod tells Killing', async () => {
    assert.equal((await sb.kubectl(['delete', 'pod', pod, '--wait=false'])).code, 0);
    const killing = await eventually('a Killing event', async () => {
      const r = await sb.kubectl(['events', '--for', `pod/${pod}`, '--types=Normal', '--no-headers']);
      return r.stdout.split('\n').find((l) => /\sKilling\s/.test(l));
    });
    assert.match(killing, new RegExp(`\\sNormal\\s+Killing\\s+Pod/${pod}\\s+Stopping container web$`));
  });

  it('a crash-looping container repeats BackOff as one event with a growing count', async () => {
    assert.equal((await sb.kubectl(['create', '-f', '-'], { input: CRASHING })).code, 0);
    const backOff = await eventually(
      'a BackOff event counted 3 times',
      async () => {
        const list = await sb.kubectlJson<EventList>(['get', 'events', '--field-selector', 'involvedObject.name=crash,reason=BackOff']);
        return list.items.length === 1 && Number(list.items[0].count) >= 3 ? list.items : undefined;
      },
      60_000,
    );
    assert.equal(backOff.length, 1, 'one object, not one per occurrence');
    assert.match(String(backOff[0].message), /^Back-off restarting failed container app in pod crash_default\(/);
    assert.notEqual(backOff[0].firstTimestamp, undefined);
    const started = await sb.kubectlJson<EventList>(['get', 'events', '--field-selector', 'involvedObject.name=crash,reason=Started']);
    assert.equal(started.items.length, 1, 'each restart counts on the one Started event');
    assert.ok(Number(started.items[0].count) >= 2, `Started counted ${String(started.items[0].count)}`);
    const table = await sb.kubectl(['events', '--for', 'pod/crash', '--types=Warning', '--no-headers']);
    assert.match(table.stdout, /\(x\d+ over \d+s\)\s+Warning\s+BackOff\s+Pod\/crash\s+Back-off restarting failed container app/);
    assert.equal((await sb.kubectl(['delete', 'pod', 'crash', '--wait=false'])).code, 0);
  });

  it('serves the same stored events as core/v1 and events.k8s.io/v1, converted both ways', async () => {
    assert.equal((await sb.kubectl(['create', '-f', '-'], { input: CORE_EVENT })).code, 0);
    const created = await sb.kubectl(['create', '-f', '-'], { input: EVENTS_V1_EVENT });
    assert.equal(created.code, 0, created.stderr);
    const asV1 = await sb.kubectlJson<KubeObject & Record<string, unknown>>(['get', 'events.v1.events.k8s.io', 'core-made']);
    assert.deepEqual(
      [asV1.apiVersion, asV1.note, asV1.regarding, asV1.reason, asV1.type, asV1.deprecatedSource, asV1.deprecatedCount, asV1.deprecatedFirstTimestamp, asV1.deprecatedLastTimestamp, asV1.reportingController, asV1.eventTime],
      ['events.k8s.io/v1', 'settings drifted from git', { kind: 'ConfigMap', namespace: 'default', name: 'settings', apiVersion: 'v1' }, 'Drifted', 'Warning', { component: 'gitops-agent', host: 'ci-1' }, 2, '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', undefined, null],
    );
    const asCore = await sb.kubectlJson<KubeObject & Record<string, unknown>>(['get', 'events', 'v1-made']);
    assert.deepEqual(
      [asCore.apiVersion, asCore.message, asCore.involvedObject, asCore.reason, asCore.action, asCore.reportingComponent, asCore.reportingInstance, asCore.eventTime, asCore.source, asCore.count, asCore.firstTimestamp],
      ['v1', 'snapshot s-42 taken', { kind: 'ConfigMap', namespace: 'default', name: 'settings', apiVersion: 'v1' }, 'SnapshotTaken', 'Snapshot', 'example.com/backup-operator', 'backup-operator-7d4f', '2026-01-01T00:02:00.123456Z', {}, undefined, null],
    );
    // Field selectors in each version's own words.
    const byRegarding = await sb.kubectl(['get', 'events.v1.events.k8s.io', '--field-selector', 'regarding.name=settings,reportingController=example.com/backup-operator', '-o', 'name']);
    assert.equal(byRegarding.stdout, 'event.events.k8s.io/v1-made\n');
    const byInvolved = await sb.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=settings', '-o', 'name', '--sort-by=.metadata.name']);
    assert.equal(byInvolved.stdout, 'event/core-made\nevent/v1-made\n');
    const wrong = await sb.kubectl(['get', 'events.v1.events.k8s.io', '--field-selector', 'involvedObject.name=settings']);
    assert.equal(wrong.stderr, 'Error from server (BadRequest): Unable to find "events.k8s.io/v1, Resource=events" that match label selector "", field selector "involvedObject.name=settings": field label not supported: involvedObject.name\n');
  });

  it('names events.k8s.io/v1 in its errors', async () => {
    const missing = await sb.kubectl(['get', 'events.v1.events.k8s.io', 'nope']);
    assert.equal(missing.stderr, 'Error from server (NotFound): events.events.k8s.io "nope" not found\n');
    const again = await sb.kubectl(['create', '-f', '-'], { input: EVENTS_V1_EVENT });
    assert.equal(again.stderr, 'Error from server (AlreadyExists): error when creating "STDIN": events.events.k8s.io "v1-made" already exists\n');
  });

  it('refuses an events.k8s.io/v1 event without the fields that version requires', async () => {
    const bad = JSON.stringify({ apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'bad' }, reason: 'X', type: 'Normal' });
    const r = await sb.kubectl(['create', '-f', '-'], { input: bad });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'The Event "bad" is invalid: \n* reportingController: Required value\n* reportingInstance: Required value\n* action: Required value\n* eventTime: Required value\n');
  });

  it('patches an event through events.k8s.io/v1 in that version\'s field names', async () => {
    const r = await sb.kubectl(['patch', 'events.v1.events.k8s.io', 'core-made', '--type=merge', '-p', '{"note":"settings drifted again"}']);
    assert.equal(r.code, 0, r.stderr);
    const asCore = await sb.kubectlJson<KubeObject & Record<string, unknown>>(['get', 'events', 'core-made']);
    assert.deepEqual([asCore.message, asCore.count], ['settings drifted again', 2]);
  });

  it('the Python client lists them with EventsV1Api and CoreV1Api', async () => {
    const r = await python(sb.kubeconfig, sb.dir, `
import json, sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
# Events recorded through core/v1 have eventTime null, which this client's EventsV1Event model
# refuses (as against a real cluster): read the answer as JSON.
raw = client.EventsV1Api().list_namespaced_event('default', field_selector='regarding.name=settings', _preload_content=False)
v1 = json.loads(raw.data)
core = client.CoreV1Api().list_namespaced_event('default', field_selector='involvedObject.name=settings')
print(json.dumps({
  'v1': sorted([e['metadata']['name'], e['note'], e['regarding']['name'], e.get('reportingController', '')] for e in v1['items']),
  'core': sorted([e.metadata.name, e.message, e.involved_object.name] for e in core.items),
}))`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}'), {
      v1: [
        ['core-made', 'settings drifted again', 'settings', ''],
        ['v1-made', 'snapshot s-42 taken', 'settings', 'example.com/backup-operator'],
      ],
      core: [
        ['core-made', 'settings drifted again', 'settings'],
        ['v1-made', 'snapshot s-42 taken', 'settings'],
      ],
    });
  });
});

describe('--event-ttl', () => {
  let sb: TestSandbox;
  // An hour takes one real second at this scale.
  before(async () => {
    sb = await testSandbox({ timeScale: 3600 });
  });
  after(async () => sb?.stop());

  it('deletes an event an hour after its last write', async () => {
    const created = await sb.kubectl(['create', '-f', '-'], { input: CORE_EVENT });
    assert.equal(created.stdout, 'event/core-made created\n');
    await eventually('the event expired', async () => ((await sb.get('events', 'default', 'core-made')) ? undefined : true), 30_000);
    const r = await sb.kubectl(['get', 'events', 'core-made']);
    assert.equal(r.stderr, 'Error from server (NotFound): events "core-made" not found\n');
  });
});
