import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/types.js';
import { backOffSeconds, crashOf, nextCrashStep } from './crashes.js';

const pod = (annotations: Record<string, string>, restartPolicy?: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations }, spec: { containers: [], restartPolicy } });

describe('crashing containers', () => {
  it('back off 10 s doubling to 5 min, as the kubelet', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 20].map(backOffSeconds), [10, 20, 40, 80, 160, 300, 300, 300]);
  });

  const cases: Array<[string, Pod, ReturnType<typeof crashOf>]> = [
    ['no annotation', pod({}), undefined],
    ['crash after 30 s, exit 1 by default', pod({ 'sandbox.upkeep.dev/crash-after-seconds': '30' }), { afterSeconds: 30, exitCode: 1 }],
    ['an exit code', pod({ 'sandbox.upkeep.dev/crash-after-seconds': '0', 'sandbox.upkeep.dev/exit-code': '137' }), { afterSeconds: 0, exitCode: 137 }],
    ['a bad exit code is 1', pod({ 'sandbox.upkeep.dev/crash-after-seconds': '5', 'sandbox.upkeep.dev/exit-code': 'x' }), { afterSeconds: 5, exitCode: 1 }],
    ['not a number', pod({ 'sandbox.upkeep.dev/crash-after-seconds': 'soon' }), undefined],
    ['restartPolicy Never (a Job pod): not restarted', pod({ 'sandbox.upkeep.dev/crash-after-seconds': '5' }, 'Never'), undefined],
  ];
  for (const [what, p, want] of cases) it(what, () => assert.deepEqual(crashOf(p), want));

  it('a running container crashes after its time; a waiting one restarts after its back-off', () => {
    const crash = { afterSeconds: 30, exitCode: 1 };
    assert.deepEqual(nextCrashStep({ name: 'a', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }, crash), { since: '2026-01-01T00:00:00Z', seconds: 30, state: 'crash' });
    const waiting = { name: 'a', image: 'x', imageID: '', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2026-01-01T00:01:00Z' } } };
    assert.deepEqual(nextCrashStep(waiting, crash), { since: '2026-01-01T00:01:00Z', seconds: 40, state: 'restart' });
    assert.equal(nextCrashStep({ name: 'a', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }, crash), undefined);
  });
});
