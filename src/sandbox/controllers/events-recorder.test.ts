import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from '../../api/types.js';
import { COMBINED_PREFIX, CORRELATOR_DEFAULTS, EventCorrelator, EventRecorder, type EventSink, LruMap, type Occurrence, type SeriesPatch } from './events-recorder.js';
import { TokenBucket } from './queue.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const POD = { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u1', apiVersion: 'v1' };

function occ(at: number, reason: string, message: string, extra: Partial<Occurrence> = {}): Occurrence {
  return { involvedObject: POD, type: 'Warning', reason, message, source: { component: 'kubelet', host: 'node01' }, simMs: at, wallMs: T0 + at, ...extra };
}

/** What the correlator decides for each occurrence: skip, create (message) or patch (count, message). */
function decisions(c: EventCorrelator, occurrences: Occurrence[]): string[] {
  return occurrences.map((o) => {
    const r = c.correlate(o);
    if (r.skip) return 'skip';
    return r.patch ? `patch count=${r.patch.count} ${r.patch.message}` : `create ${r.event.message}`;
  });
}

describe('EventCorrelator: repeats, similar events and spam, as client-go decides', () => {
  const cases: Array<{ name: string; occurrences: Occurrence[]; want: string[] }> = [
    {
      name: 'a repeated event patches the first one with a growing count',
      occurrences: [occ(0, 'BackOff', 'Back-off restarting'), occ(10_000, 'BackOff', 'Back-off restarting'), occ(20_000, 'BackOff', 'Back-off restarting')],
      want: ['create Back-off restarting', 'patch count=2 Back-off restarting', 'patch count=3 Back-off restarting'],
    },
    {
      name: 'different messages are different events',
      occurrences: [occ(0, 'Failed', 'Error: ErrImagePull'), occ(1, 'Failed', 'Error: ImagePullBackOff'), occ(2, 'Failed', 'Error: ErrImagePull')],
      want: ['create Error: ErrImagePull', 'create Error: ImagePullBackOff', 'patch count=2 Error: ErrImagePull'],
    },
    {
      name: 'the 10th different message within 10 minutes is combined, and later ones patch the combined event',
      occurrences: Array.from({ length: 12 }, (_, i) => occ(i * 1000, 'SuccessfulDelete', `Deleted pod: p${i}`)),
      want: [
        ...Array.from({ length: 9 }, (_, i) => `create Deleted pod: p${i}`),
        `create ${COMBINED_PREFIX}Deleted pod: p9`,
        `patch count=2 ${COMBINED_PREFIX}Deleted pod: p10`,
        `patch count=3 ${COMBINED_PREFIX}Deleted pod: p11`,
      ],
    },
    {
      name: 'similar events more than 10 minutes apart start a new window',
      occurrences: [...Array.from({ length: 9 }, (_, i) => occ(i, 'SuccessfulDelete', `Deleted pod: p${i}`)), occ(9 + 600_001, 'SuccessfulDelete', 'Deleted pod: p9')],
      want: [...Array.from({ length: 9 }, (_, i) => `create Deleted pod: p${i}`), 'create Deleted pod: p9'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(decisions(new EventCorrelator(), c.occurrences), c.want);
    });
  }

  it('a source and object get 25 events at once, then one per 5 minutes', () => {
    const c = new EventCorrelator();
    const burst = Array.from({ length: 27 }, (_, i) => c.correlate(occ(i, 'BackOff', 'again')).skip);
    assert.deepEqual(burst, [...Array(25).fill(false), true, true]);
    assert.equal(c.correlate(occ(26 + 299_000, 'BackOff', 'again')).skip, true, 'not yet refilled');
    assert.equal(c.correlate(occ(26 + 300_000, 'BackOff', 'again')).skip, false, 'one token after 5 minutes');
    const other = c.correlate(occ(27, 'BackOff', 'again', { involvedObject: { ...POD, name: 'web-2', uid: 'u2' } }));
    assert.equal(other.skip, false, 'another object has its own bucket');
  });

  it('names events <object>.<hex nanoseconds>, never twice', () => {
    const c = new EventCorrelator();
    const a = c.correlate(occ(0, 'Pulling', 'one'));
    const b = c.correlate(occ(0, 'Pulled', 'two'));
    assert.ok(!a.skip && !b.skip);
    assert.match(a.event.metadata.name ?? '', /^web-1\.[0-9a-f]{16}$/);
    assert.notEqual(a.event.metadata.name, b.event.metadata.name);
    assert.ok((a.event.metadata.name ?? '') < (b.event.metadata.name ?? ''), 'later events sort after earlier ones');
    assert.deepEqual([a.event.firstTimestamp, a.event.lastTimestamp, a.event.count, a.event.source, a.event.reportingComponent, a.event.reportingInstance], ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1, { component: 'kubelet', host: 'node01' }, 'kubelet', 'node01']);
  });
});

describe('TokenBucket and LruMap', () => {
  it('takes a token only when there is one, refilled at qps up to burst', () => {
    let now = 0;
    const b = new TokenBucket(50, 100, () => now);
    assert.equal(Array.from({ length: 101 }, () => b.tryAccept()).filter(Boolean).length, 100);
    now = 20;
    assert.equal(b.tryAccept(), true);
    assert.equal(b.tryAccept(), false);
    assert.equal(b.reserve(), 20, 'a reservation waits for the next token');
  });
  it('forgets the least recently written entry', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.set('a', 10);
    m.set('c', 3);
    assert.deepEqual([m.get('a'), m.get('b'), m.get('c'), m.length], [10, undefined, 3, 2]);
  });
  it('has client-go defaults', () => {
    assert.deepEqual(CORRELATOR_DEFAULTS, { lruCacheSize: 4096, aggregateMaxEvents: 10, aggregateIntervalMs: 600_000, spamBurst: 25, spamQps: 1 / 300 });
  });
});

describe('EventRecorder: writes in order, patches repeats, recreates an expired event', () => {
  it('creates, patches, and creates again when the patched event is gone', async () => {
    const calls: string[] = [];
    const stored = new Map<string, Event>();
    const notFound = new Error('404');
    const sink: EventSink = {
      async create(ns, e) {
        calls.push(`create ${ns}/${e.reason} count=${e.count}`);
        stored.set(e.metadata.name ?? '', e);
        return e;
      },
      async patch(ns, name, p: SeriesPatch) {
        calls.push(`patch ${ns} count=${p.count}`);
        const e = stored.get(name);
        if (!e) throw notFound;
        return { ...e, ...p };
      },
    };
    let now = T0;
    const rec = new EventRecorder(sink, { now: () => now, real: (ms) => ms, sim: (ms) => ms }, (e) => e === notFound);
    const settle = () => new Promise((r) => setTimeout(r, 5));
    rec.record({ component: 'kubelet', host: 'node01' }, POD, 'Warning', 'BackOff', 'again');
    now += 10_000;
    rec.record({ component: 'kubelet', host: 'node01' }, POD, 'Warning', 'BackOff', 'again');
    await settle();
    stored.clear();
    now += 10_000;
    rec.record({ component: 'kubelet', host: 'node01' }, POD, 'Warning', 'BackOff', 'again');
    await settle();
    rec.stop();
    assert.deepEqual(calls, ['create default/BackOff count=1', 'patch default count=2', 'patch default count=3', 'create default/BackOff count=3']);
  });
});
