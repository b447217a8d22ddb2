import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from '../../api/types.js';
import { holderGone, mayTake } from './lease.js';

const NOW = Date.parse('2026-12-03T13:00:30Z');
const lease = (holder: string | undefined, renewTime: string): Lease => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'upkeep-upgrade', namespace: 'kube-system' },
  spec: { holderIdentity: holder, renewTime, leaseDurationSeconds: 30 },
});

describe('the run lease: who may take it', () => {
  const alive = (): boolean => false;
  const cases: Array<{ story: string; lease: Lease; me: string; gone?: (h: string) => boolean; expect: boolean }> = [
    { story: 'nobody holds it', lease: lease(undefined, '2026-12-03T13:00:20.000000Z'), me: 'a@h pid 1', expect: true },
    { story: 'another live run renewed it 10s ago', lease: lease('b@other pid 9', '2026-12-03T13:00:20.000000Z'), me: 'a@h pid 1', expect: false },
    { story: 'it expired (renewed 31s ago, 30s lease)', lease: lease('b@other pid 9', '2026-12-03T12:59:59.000000Z'), me: 'a@h pid 1', expect: true },
    { story: 'we hold it already', lease: lease('a@h pid 1', '2026-12-03T13:00:20.000000Z'), me: 'a@h pid 1', expect: true },
    { story: 'its holder was a process of this machine that exited (kill -9)', lease: lease('b@h pid 9', '2026-12-03T13:00:20.000000Z'), me: 'a@h pid 1', gone: (h) => holderGone(h, 'h', alive), expect: true },
    { story: 'same pid on another machine is not ours to judge', lease: lease('b@other pid 9', '2026-12-03T13:00:20.000000Z'), me: 'a@h pid 1', gone: (h) => holderGone(h, 'h', alive), expect: false },
  ];
  for (const c of cases) {
    it(c.story, () => assert.equal(mayTake(c.lease, c.me, NOW, c.gone ?? (() => false)), c.expect));
  }
});
