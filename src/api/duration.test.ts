import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DurationError, formatGoDuration, parseDurationFlag, parseGoDuration } from './duration.js';

describe('parseGoDuration: time.ParseDuration', () => {
  const cases: Array<[string, number]> = [
    ['0', 0],
    ['1m30s', 90_000],
    ['1h2m3.5s', 3_723_500],
    ['500ms', 500],
    ['2s', 2000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['1h', 3_600_000],
    ['90s', 90_000],
    ['-1m', -60_000],
    ['+3s', 3000],
    ['1000us', 1],
    ['1000µs', 1],
    ['2000000ns', 2],
  ];
  for (const [text, ms] of cases) it(`${text} is ${ms} ms`, () => assert.equal(parseGoDuration(text), ms));

  const bad: Array<[string, string]> = [
    ['', 'time: invalid duration ""'],
    ['30', 'time: missing unit in duration "30"'],
    ['1 hour', 'time: unknown unit " hour" in duration "1 hour"'],
    ['2d', 'time: unknown unit "d" in duration "2d"'],
    ['h', 'time: invalid duration "h"'],
    ['1m30', 'time: missing unit in duration "1m30"'],
    ['.s', 'time: invalid duration ".s"'],
  ];
  for (const [text, message] of bad) it(`refuses ${JSON.stringify(text)}`, () => assert.throws(() => parseGoDuration(text), (e: Error) => e instanceof DurationError && e.message === message));
});

describe('formatGoDuration: Duration.String()', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [500, '500ms'],
    [1.5, '1.5ms'],
    [0.0015, '1.5µs'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [3_723_500, '1h2m3.5s'],
    [3_725_000, '1h2m5s'],
    [-90_000, '-1m30s'],
  ];
  for (const [ms, text] of cases) it(`${ms} ms prints ${text}`, () => assert.equal(formatGoDuration(ms), text));
});

describe('parseDurationFlag', () => {
  it('reads Go durations and, when asked, bare seconds', () => {
    assert.equal(parseDurationFlag('1m30s', '--timeout'), 90_000);
    assert.equal(parseDurationFlag('30', '--request-timeout', { bareSeconds: true }), 30_000);
  });
  it('names the flag and the fix', () => {
    assert.throws(
      () => parseDurationFlag('30', '--timeout'),
      (e: Error) => e.message === 'invalid argument "30" for "--timeout" flag: time: missing unit in duration "30" (use a duration like 30s, 1m30s or 1h)',
    );
    assert.throws(() => parseDurationFlag('-5s', '--timeout'), /invalid argument "-5s" for "--timeout" flag: a negative duration is not allowed/);
  });
});
