import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimitedLog, componentOf, leveledLog } from './log.js';

describe('the sandbox log', () => {
  it('writes lines at or above the level, klog-style', () => {
    const out: string[] = [];
    const log = leveledLog('warn', (t) => out.push(t), () => new Date(Date.UTC(2026, 11, 3, 13, 8, 0, 5)));
    log('kubelet node01: lease: etcd unavailable', 'warn');
    log('node-lifecycle: node01: gone', 'error');
    log('started', 'info');
    log('a watch opened', 'debug');
    assert.deepEqual(out, ['W1203 13:08:00.005 kubelet node01: lease: etcd unavailable\n', 'E1203 13:08:00.005 node-lifecycle: node01: gone\n']);
  });

  it('names the component of a failure line', () => {
    assert.equal(componentOf('node-lifecycle: node01: StoreError: unavailable'), 'node-lifecycle');
    assert.equal(componentOf('kubelet node01: lease: x'), 'kubelet node01');
    assert.equal(componentOf('plain'), 'plain');
  });

  it('writes one line per failing component per interval, with the count it left out', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new RateLimitedLog((l) => lines.push(l), 10_000, () => now);
    for (let i = 0; i < 50; i++) log.warn(`node-lifecycle: node0${i % 4}: unavailable`);
    log.warn('scheduler: default/web: unavailable');
    now = 10_000;
    log.warn('node-lifecycle: node01: unavailable');
    assert.deepEqual(lines, [
      'node-lifecycle: node00: unavailable',
      'scheduler: default/web: unavailable',
      'node-lifecycle: node01: unavailable (and 49 more failures of node-lifecycle since the last line)',
    ]);
  });
});
