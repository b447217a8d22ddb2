// Containers that crash in the sandbox, through real kubectl: a pod annotated
// sandbox.upkeep.dev/crash-after-seconds restarts with the kubelet's back-off, shows
// CrashLoopBackOff with its exit code, and records BackOff events.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/sandbox/index.js';
import type { KubeObject, Pod } from '../src/api/types.js';
import { type TestSandbox, eventually, podReady, testSandbox } from './helpers/sandbox.js';

const SCENARIO = `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: crashes}
spec:
  nodes:
  - {name: controlplane, role: control-plane}
  - {name: node01}
---
apiVersion: v1
kind: Pod
metadata: {name: crash, namespace: default, annotations: {sandbox.upkeep.dev/crash-after-seconds: "1", sandbox.upkeep.dev/exit-code: "3"}}
spec:
  containers: [{name: app, image: "busybox:1.36"}]
`;

function isPodObject(o: KubeObject | undefined): o is Pod {
  return o?.kind === 'Pod';
}

describe('containers that crash', () => {
  let sb: TestSandbox;
  before(async () => {
    // A slower clock than usual (1 s is 6 s): back-offs of 10 and 20 s last long enough to be looked at.
    sb = await testSandbox({ timeScale: 6, scenario: parseScenario(SCENARIO, 'crashes.yaml') });
  });
  after(async () => sb?.stop());

  it('restart with a doubling back-off, in CrashLoopBackOff between runs, with the exit code and BackOff events', async () => {
    const second = await eventually('crash in back-off after its first restart', async () => {
      const p = await sb.get('pods', 'default', 'crash');
      const c = isPodObject(p) ? p.status?.containerStatuses?.[0] : undefined;
      return isPodObject(p) && c?.restartCount === 1 && c.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
    }, 30_000);
    const c = second.status?.containerStatuses?.[0];
    assert.equal(second.status?.phase, 'Running');
    assert.equal(podReady(second), false);
    assert.equal(c?.state?.waiting?.message, `back-off 20s restarting failed container=app pod=crash_default(${second.metadata.uid})`);
    assert.equal(c?.lastState?.terminated?.exitCode, 3);
    assert.equal(c?.lastState?.terminated?.reason, 'Error');
    // kubectl's RESTARTS column counts restarts and says when the last run ended.
    await eventually('kubectl shows CrashLoopBackOff', async () => {
      const row = await sb.kubectl(['get', 'pod', 'crash', '--no-headers']);
      return /^crash\s+0\/1\s+CrashLoopBackOff\s+[1-9]\d* \(\d+s ago\)\s+/.test(row.stdout) ? true : undefined;
    });
    const events = await sb.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=crash,reason=BackOff', '-o', 'jsonpath={.items[0].message}']);
    assert.equal(events.stdout, `Back-off restarting failed container app in pod crash_default(${second.metadata.uid})`);
    await eventually('crash restarted again', async () => {
      const p = await sb.get('pods', 'default', 'crash');
      const s = isPodObject(p) ? p.status?.containerStatuses?.[0] : undefined;
      return (s?.restartCount ?? 0) >= 2 ? true : undefined;
    }, 30_000);
  });
});
