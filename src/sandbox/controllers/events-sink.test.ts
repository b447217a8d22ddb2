import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_TTL_MS, EventExpiry, lastWriteOf } from './events-sink.js';

describe('--event-ttl: events expire an hour after their last write', () => {
  it('finds the expired events oldest first, a rewrite resetting the hour', () => {
    const x = new EventExpiry();
    x.touch('default/a', 0);
    x.touch('default/b', 1000);
    x.touch('default/c', 2000);
    x.touch('default/a', 3000);
    assert.equal(EVENT_TTL_MS, 3_600_000);
    const cases: Array<[number, string[]]> = [
      [EVENT_TTL_MS, []],
      [EVENT_TTL_MS + 1000, ['default/b']],
      [EVENT_TTL_MS + 2500, ['default/b', 'default/c']],
      [EVENT_TTL_MS + 3000, ['default/b', 'default/c', 'default/a']],
    ];
    for (const [now, want] of cases) assert.deepEqual(x.due(now, EVENT_TTL_MS), want, `at ${now}`);
    x.forget('default/b');
    assert.deepEqual(x.due(EVENT_TTL_MS + 3000, EVENT_TTL_MS), ['default/c', 'default/a']);
  });

  it('reads an existing event\'s last write from its newest time field', () => {
    const at = (s: string) => Date.parse(s);
    const meta = { name: 'e', creationTimestamp: '2026-01-01T00:00:00Z' };
    assert.equal(lastWriteOf({ metadata: meta, involvedObject: {}, lastTimestamp: '2026-01-01T00:05:00Z' }), at('2026-01-01T00:05:00Z'));
    assert.equal(lastWriteOf({ metadata: meta, involvedObject: {}, series: { count: 2, lastObservedTime: '2026-01-01T00:09:00.123456Z' } }), at('2026-01-01T00:09:00.123Z'));
    assert.equal(lastWriteOf({ metadata: meta, involvedObject: {} }), at('2026-01-01T00:00:00Z'));
  });
});
