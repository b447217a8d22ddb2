import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSnapshotFile, parseSnapshotFlag, snapshotDecision } from './etcdsnapshot.js';
import type { Step } from './steps.js';

const step = (role: Step['role']): Step => ({ id: 1, wave: 1, hop: 'v1.31 -> v1.32', kind: 'upgrade', node: 'n', role, from: 'v1.31.4', to: 'v1.32.13', drain: true });

describe('--etcd-snapshot', () => {
  it('reads the flag: absent is the default, none skips, anything else is a path', () => {
    assert.deepEqual(parseSnapshotFlag(undefined), { kind: 'default' });
    assert.deepEqual(parseSnapshotFlag('none'), { kind: 'none' });
    assert.deepEqual(parseSnapshotFlag('/backups/etcd.db'), { kind: 'path', path: '/backups/etcd.db' });
  });

  const cases: Array<[string, Parameters<typeof snapshotDecision>[0], Step[], ReturnType<typeof snapshotDecision>]> = [
    ['default, control plane upgraded', { kind: 'default' }, [step('first-control-plane'), step('worker')], { take: true }],
    ['default, workers only', { kind: 'default' }, [step('worker')], { take: false, skipped: 'the run changes no control-plane node' }],
    ['a path, workers only (asked for: taken)', { kind: 'path', path: 'x.db' }, [step('worker')], { take: true }],
    ['none', { kind: 'none' }, [step('first-control-plane')], { take: false, skipped: '--etcd-snapshot none' }],
  ];
  for (const [name, request, steps, want] of cases) {
    it(name, () => assert.deepEqual(snapshotDecision(request, steps), want));
  }

  it('the default file: under XDG_STATE_HOME, named after the run', () => {
    assert.equal(defaultSnapshotFile('upgrade-2026-12-03T14:37:19Z', { XDG_STATE_HOME: '/state' }), '/state/upkeep/etcd/upgrade-2026-12-03T143719Z.db');
  });
});
