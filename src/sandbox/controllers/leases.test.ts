import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from './context.js';
import { firstRenewalRealMs, leaseRenewRealMs, nodeMonitorGraceRealMs } from './leases.js';

describe('node Lease renewal and the node monitor grace period', () => {
  it('renews every 10 s of cluster time, at most every second per kubelet and 500 a second in all', () => {
    // [time scale, nodes, renewal period (real ms), grace period (real ms)]
    const table: Array<[number, number, number, number]> = [
      [1, 1, 10_000, 40_000],
      [1, 3, 10_000, 40_000],
      [1, 5000, 10_000, 40_000],
      [1, 10_000, 20_000, 60_000],
      [10, 3, 1000, 4000],
      [60, 3, 1000, 3000],
      [60, 500, 1000, 3000],
      [60, 1000, 2000, 6000],
      [60, 5000, 10_000, 30_000],
      [600, 5000, 10_000, 30_000],
    ];
    for (const [scale, nodes, renew, grace] of table) {
      const realOf = (ms: number) => ms / scale;
      assert.equal(leaseRenewRealMs(DEFAULT_SETTINGS, realOf, nodes), renew, `renewal at scale ${scale}, ${nodes} nodes`);
      assert.equal(nodeMonitorGraceRealMs(DEFAULT_SETTINGS, realOf, nodes), grace, `grace at scale ${scale}, ${nodes} nodes`);
    }
  });

  it('places the first periodic renewal at the kubelet’s phase of the period', () => {
    const table: Array<[number, number, number]> = [
      [10_000, 0, 1],
      [10_000, 0.25, 2500],
      [10_000, 0.9999, 9999],
      [10_000, 1, 10_000],
      [10_000, -1, 1],
      [10_000, 7, 10_000],
    ];
    for (const [period, phase, ms] of table) assert.equal(firstRenewalRealMs(period, phase), ms, `period ${period}, phase ${phase}`);
  });
});
