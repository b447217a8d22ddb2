import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket, WorkQueue, itemBackoffMs } from './queue.js';

describe("the work queue's rate limiter (client-go's DefaultControllerRateLimiter)", () => {
  it('backs an item off exponentially from 5 ms up to 1000 s', () => {
    const table: Array<[number, number]> = [
      [1, 5],
      [2, 10],
      [3, 20],
      [10, 2560],
      [15, 81_920],
      [18, 655_360],
      [19, 1_000_000],
      [100, 1_000_000],
      [5000, 1_000_000],
    ];
    for (const [failures, ms] of table) assert.equal(itemBackoffMs(failures), ms, `after ${failures} failures`);
  });

  it('lets a burst of 100 through, then 10 per second', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 100, () => now);
    const delays = Array.from({ length: 103 }, () => bucket.reserve());
    assert.deepEqual(delays.slice(0, 100), Array(100).fill(0));
    assert.deepEqual(delays.slice(100), [100, 200, 300]);
    now = 10_000; // ten seconds refill the bucket
    assert.equal(bucket.reserve(), 0);
  });
});

describe('the work queue', () => {
  it('keeps retrying a failing key after 15 failures and runs it once it succeeds', async () => {
    const alive = setInterval(() => undefined, 1000); // the queue's timers do not hold the process
    let calls = 0;
    let errors = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const q = new WorkQueue(
      async () => {
        calls++;
        if (calls <= 20) throw new Error('etcd is unavailable');
        done();
      },
      () => errors++,
      1,
      { baseDelayMs: 1, maxDelayMs: 4, qps: 1000, burst: 1000 },
    );
    q.add('default/web');
    await finished;
    await new Promise((r) => setImmediate(r)); // the queue records the success after the handler returns
    clearInterval(alive);
    q.stop();
    assert.equal(calls, 21);
    assert.equal(errors, 20);
    assert.equal(q.numRequeues('default/web'), 0);
  });

  it('runs a plain add at once while a retry waits its backoff', async () => {
    const alive = setInterval(() => undefined, 1000);
    let calls = 0;
    let done!: () => void;
    const second = new Promise<void>((r) => (done = r));
    const q = new WorkQueue(
      async () => {
        calls++;
        if (calls === 1) throw new Error('unavailable');
        done();
      },
      () => undefined,
      1,
      { baseDelayMs: 3_600_000, maxDelayMs: 3_600_000, qps: 1000, burst: 1000 },
    );
    q.add('n1');
    while (q.numRequeues('n1') === 0) await new Promise((r) => setImmediate(r));
    q.add('n1'); // an event (or a resync) for the key
    await second;
    clearInterval(alive);
    q.stop();
    assert.equal(calls, 2);
  });
});

describe('the work queue keeps keys in the order they came', () => {
  it('runs 5,000 keys once each, first come first served; a key added again while waiting keeps its place', async () => {
    const seen: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const q = new WorkQueue(async (k) => {
      seen.push(k);
      if (seen.length === 5000) done();
    }, undefined, 1);
    for (let i = 0; i < 5000; i++) q.add(`k${i}`);
    q.add('k0');
    q.add('k2500');
    await finished;
    q.stop();
    assert.equal(seen.length, 5000);
    assert.deepEqual(seen.slice(0, 3), ['k0', 'k1', 'k2']);
    assert.deepEqual(seen.slice(2499, 2502), ['k2499', 'k2500', 'k2501']);
    assert.equal(seen[4999], 'k4999');
  });
});
