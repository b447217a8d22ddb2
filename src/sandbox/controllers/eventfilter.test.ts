import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventSpamFilter, spamKey } from './eventfilter.js';

describe("the event spam filter (client-go's EventSourceObjectSpamFilter)", () => {
  it('lets 25 events about one object through, then one per 5 simulated minutes', () => {
    // [simulated ms, events sent at that time, how many pass]
    const table: Array<[number, number, number]> = [
      [0, 30, 25],
      [299_999, 1, 0],
      [300_000, 2, 1],
      [600_000, 1, 1],
      [600_001, 1, 0],
      [600_000 + 10 * 300_000, 12, 10],
      [600_000 + 1000 * 300_000, 40, 25],
    ];
    const f = new EventSpamFilter();
    const key = spamKey({ component: 'replicaset-controller' }, { kind: 'ReplicaSet', namespace: 'default', name: 'web', uid: 'u1', apiVersion: 'apps/v1' });
    for (const [at, sent, passed] of table) {
      let n = 0;
      for (let i = 0; i < sent; i++) if (f.allow(key, at)) n++;
      assert.equal(n, passed, `at ${at} ms`);
    }
  });

  it('keys on the source and the involved object only', () => {
    const rs = { kind: 'ReplicaSet', namespace: 'default', name: 'web', uid: 'u1', apiVersion: 'apps/v1' };
    const table: Array<[string, string, string, boolean]> = [
      ['same source and object', spamKey({ component: 'c' }, rs), spamKey({ component: 'c' }, { ...rs }), true],
      ['another component', spamKey({ component: 'c' }, rs), spamKey({ component: 'd' }, rs), false],
      ['another host', spamKey({ component: 'kubelet', host: 'n1' }, rs), spamKey({ component: 'kubelet', host: 'n2' }, rs), false],
      ['another object name', spamKey({ component: 'c' }, rs), spamKey({ component: 'c' }, { ...rs, name: 'api' }), false],
      ['another uid (a re-created object)', spamKey({ component: 'c' }, rs), spamKey({ component: 'c' }, { ...rs, uid: 'u2' }), false],
      ['fields do not run together', spamKey({ component: 'ab' }, { name: 'c' }), spamKey({ component: 'a' }, { kind: 'bc' }), false],
    ];
    for (const [what, a, b, same] of table) assert.equal(a === b, same, what);
  });

  it('forgets the least recently used keys beyond its size, which start with a full burst again', () => {
    const f = new EventSpamFilter(2, 300_000, 3);
    for (const k of ['a', 'b', 'c']) assert.deepEqual([f.allow(k, 0), f.allow(k, 0), f.allow(k, 0)], [true, true, false], k);
    f.allow('a', 0); // a is the most recent again; b is the oldest
    f.allow('d', 0); // evicts b
    assert.equal(f.allow('a', 0), false, 'a is remembered');
    assert.equal(f.allow('b', 0), true, 'b was forgotten');
  });
});
