import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CronError, everyInterval, mostRecentSchedule, nextSchedule, parseCron } from './cronjob.js';

const at = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString().replace('.000Z', 'Z'));

describe('nextSchedule (UTC)', () => {
  const cases: Array<[string, string, string, string | undefined]> = [
    ['every minute', '* * * * *', '2025-06-01T12:00:30Z', '2025-06-01T12:01:00Z'],
    ['strictly after: on the minute goes to the next one', '* * * * *', '2025-06-01T12:01:00Z', '2025-06-01T12:02:00Z'],
    ['every 5 minutes', '*/5 * * * *', '2025-06-01T12:03:00Z', '2025-06-01T12:05:00Z'],
    ['a range with a step', '10-20/5 * * * *', '2025-06-01T12:16:00Z', '2025-06-01T12:20:00Z'],
    ['a list', '0 6,18 * * *', '2025-06-01T07:00:00Z', '2025-06-01T18:00:00Z'],
    ['next day', '30 2 * * *', '2025-06-01T03:00:00Z', '2025-06-02T02:30:00Z'],
    ['month names and year wrap', '0 0 1 jan *', '2025-06-01T00:00:00Z', '2026-01-01T00:00:00Z'],
    ['weekday names (2025-06-01 is a Sunday)', '0 9 * * mon-fri', '2025-06-01T10:00:00Z', '2025-06-02T09:00:00Z'],
    ['7 is Sunday too', '0 0 * * 7', '2025-06-02T00:00:00Z', '2025-06-08T00:00:00Z'],
    ['day of month OR day of week when both are restricted', '0 0 13 * 5', '2025-06-01T00:00:00Z', '2025-06-06T00:00:00Z'],
    ['Feb 30 never comes', '0 0 30 2 *', '2025-01-01T00:00:00Z', undefined],
    ['@hourly', '@hourly', '2025-06-01T12:00:00Z', '2025-06-01T13:00:00Z'],
    ['@weekly is Sunday midnight', '@weekly', '2025-06-02T00:00:00Z', '2025-06-08T00:00:00Z'],
    ['@every 90s', '@every 1m30s', '2025-06-01T12:00:00Z', '2025-06-01T12:01:30Z'],
  ];
  for (const [story, expr, after, want] of cases) it(`${story}: ${expr}`, () => assert.equal(iso(nextSchedule(parseCron(expr), at(after))), want));
});

describe('parseCron refuses what kube refuses', () => {
  const cases: Array<[string, RegExp]> = [
    ['* * * *', /expected exactly 5 fields/],
    ['61 * * * *', /above maximum/],
    ['*/0 * * * *', /failed to parse int/],
    ['@fortnightly', /unrecognized descriptor/],
    ['TZ=UTC * * * * *', /use timeZone instead/],
    ['@every 10ms', /at least one second/],
  ];
  for (const [expr, want] of cases) it(expr, () => assert.throws(() => parseCron(expr), (e: unknown) => e instanceof CronError && want.test(e.message)));
});

describe('mostRecentSchedule', () => {
  const s = parseCron('*/10 * * * *');
  const cases: Array<[string, string, string, string | undefined, number]> = [
    ['nothing due yet', '2025-06-01T12:00:00Z', '2025-06-01T12:09:59Z', undefined, 0],
    ['one due', '2025-06-01T12:00:00Z', '2025-06-01T12:10:00Z', '2025-06-01T12:10:00Z', 1],
    ['several missed: the latest runs', '2025-06-01T12:00:00Z', '2025-06-01T12:45:00Z', '2025-06-01T12:40:00Z', 4],
    ['more than 100 missed: still the latest', '2025-06-01T00:00:00Z', '2025-06-02T00:05:00Z', '2025-06-02T00:00:00Z', 101],
  ];
  for (const [story, since, now, want, missed] of cases) {
    it(story, () => {
      const r = mostRecentSchedule(s, at(since), at(now));
      assert.deepEqual([iso(r.time), r.missed], [want, missed]);
    });
  }
});

describe('everyInterval (a Go duration, refused as a CronError)', () => {
  const cases: Array<[string, number | 'throws']> = [
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['5', 'throws'],
    ['', 'throws'],
  ];
  for (const [text, want] of cases) {
    it(text || '(empty)', () => {
      if (want === 'throws') assert.throws(() => everyInterval(text), CronError);
      else assert.equal(everyInterval(text), want);
    });
  }
});
