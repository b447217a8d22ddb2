import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../api/status.js';
import { ConnectionError } from './errors.js';
import {
  backoffDelay,
  decideRetry,
  defaultRetryOptions,
  isIdempotent,
  isTransientError,
  parseRetryAfter,
  retryOptions,
  type AttemptOutcome,
  type HttpVerb,
} from './retry.js';

describe('decideRetry', () => {
  const options = retryOptions({ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 30_000 });
  const cases: {
    story: string;
    attempt?: number;
    idempotent: boolean;
    outcome: AttemptOutcome;
    retry: boolean;
    delayMs?: number;
    why?: RegExp;
    retryNonIdempotentOn5xx?: boolean;
  }[] = [
    { story: 'GET throttled with 429 is retried after backoff', idempotent: true, outcome: { kind: 'status', code: 429 }, retry: true },
    { story: 'POST throttled with 429 is retried: the server did nothing', idempotent: false, outcome: { kind: 'status', code: 429 }, retry: true },
    { story: '429 with Retry-After waits exactly that long', idempotent: true, outcome: { kind: 'status', code: 429, retryAfterSeconds: 3 }, retry: true, delayMs: 3000 },
    { story: 'Retry-After 0 falls back to backoff', idempotent: true, outcome: { kind: 'status', code: 429, retryAfterSeconds: 0 }, retry: true },
    { story: 'a Retry-After beyond the limit is not waited for', idempotent: true, outcome: { kind: 'status', code: 429, retryAfterSeconds: 120 }, retry: false, why: /retry after 120s/ },
    { story: 'an eviction blocked by a PodDisruptionBudget is left to the caller', idempotent: false, outcome: { kind: 'status', code: 429, causeTypes: ['DisruptionBudget'] }, retry: false, why: /PodDisruptionBudget/ },
    { story: 'GET after 500 is retried', idempotent: true, outcome: { kind: 'status', code: 500 }, retry: true },
    { story: 'POST after 500 is not: it may have been acted on', idempotent: false, outcome: { kind: 'status', code: 500 }, retry: false, why: /not safe to repeat/ },
    { story: 'POST after 500 is retried when the caller allows it', idempotent: false, outcome: { kind: 'status', code: 500 }, retry: true, retryNonIdempotentOn5xx: true },
    { story: 'POST after 504 is not', idempotent: false, outcome: { kind: 'status', code: 504 }, retry: false },
    { story: 'POST after 503 is: the server did not take it', idempotent: false, outcome: { kind: 'status', code: 503 }, retry: true },
    { story: 'PUT after 502 is retried', idempotent: true, outcome: { kind: 'status', code: 502 }, retry: true },
    { story: '501 Not Implemented is final', idempotent: true, outcome: { kind: 'status', code: 501 }, retry: false },
    { story: '404 is final', idempotent: true, outcome: { kind: 'status', code: 404 }, retry: false },
    { story: '409 is final', idempotent: true, outcome: { kind: 'status', code: 409 }, retry: false },
    { story: '410 is final (the caller relists)', idempotent: true, outcome: { kind: 'status', code: 410 }, retry: false },
    { story: 'GET after a connection reset is retried', idempotent: true, outcome: { kind: 'connection', code: 'ECONNRESET' }, retry: true },
    { story: 'POST after a connection reset is not', idempotent: false, outcome: { kind: 'connection', code: 'ECONNRESET' }, retry: false, why: /not safe to repeat/ },
    { story: 'POST on a kept-alive connection the server had closed is retried', idempotent: false, outcome: { kind: 'connection', code: 'ECONNRESET', staleConnection: true }, retry: true },
    { story: 'POST after a refused connection is: nothing was sent', idempotent: false, outcome: { kind: 'connection', code: 'ECONNREFUSED' }, retry: true },
    { story: 'an unknown host is final', idempotent: true, outcome: { kind: 'connection', code: 'ENOTFOUND' }, retry: false },
    { story: 'a TLS verification failure is final', idempotent: true, outcome: { kind: 'connection', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, retry: false },
    { story: 'our own request timeout is final', idempotent: true, outcome: { kind: 'timeout' }, retry: false, why: /timed out/ },
    { story: 'the last allowed attempt gives up', attempt: 5, idempotent: true, outcome: { kind: 'status', code: 503 }, retry: false, why: /giving up after 5 attempts/ },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const decision = decideRetry({
        attempt: c.attempt ?? 1,
        idempotent: c.idempotent,
        outcome: c.outcome,
        options: { ...options, retryNonIdempotentOn5xx: c.retryNonIdempotentOn5xx ?? false },
        random: () => 0.5,
      });
      assert.equal(decision.retry, c.retry, decision.why);
      if (c.delayMs !== undefined && decision.retry) assert.equal(decision.delayMs, c.delayMs);
      if (c.why) assert.match(decision.why, c.why);
    });
  }

  it('a client with maxAttempts 1 never retries', () => {
    const decision = decideRetry({ attempt: 1, idempotent: true, outcome: { kind: 'status', code: 503 }, options: retryOptions({ maxAttempts: 1 }) });
    assert.equal(decision.retry, false);
  });
});

describe('backoffDelay', () => {
  const options = { ...defaultRetryOptions, baseDelayMs: 100, maxDelayMs: 1000 };
  const cases: { retry: number; min: number; max: number }[] = [
    { retry: 1, min: 50, max: 100 },
    { retry: 2, min: 100, max: 200 },
    { retry: 3, min: 200, max: 400 },
    { retry: 4, min: 400, max: 800 },
    { retry: 5, min: 500, max: 1000 }, // capped at maxDelayMs
    { retry: 60, min: 500, max: 1000 }, // no overflow on absurd counts
  ];
  for (const c of cases) {
    it(`retry ${c.retry} waits between ${c.min} and ${c.max} ms`, () => {
      assert.equal(backoffDelay(c.retry, options, () => 0), c.min);
      assert.equal(backoffDelay(c.retry, options, () => 0.999999), c.max);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(c.retry, options);
        assert.ok(d >= c.min && d <= c.max, `${d} outside [${c.min}, ${c.max}]`);
      }
    });
  }
});

describe('isIdempotent', () => {
  const cases: [HttpVerb, string | undefined, boolean][] = [
    ['GET', undefined, true],
    ['PUT', 'application/json', true],
    ['DELETE', undefined, true],
    ['POST', 'application/json', false],
    ['PATCH', 'application/strategic-merge-patch+json', true],
    ['PATCH', 'application/merge-patch+json', true],
    ['PATCH', 'application/apply-patch+yaml', true],
    ['PATCH', 'application/json-patch+json', false],
  ];
  for (const [method, type, expected] of cases) {
    it(`${method} ${type ?? ''} -> ${expected}`, () => assert.equal(isIdempotent(method, type), expected));
  }
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  const cases: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ['5', 5],
    [' 1 ', 1],
    ['Wed, 01 Jan 2025 00:00:10 GMT', 10],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 0],
    ['soon', undefined],
  ];
  for (const [header, seconds] of cases) {
    it(`${String(header)} -> ${String(seconds)}`, () => assert.equal(parseRetryAfter(header, now), seconds));
  }
});

describe('isTransientError', () => {
  const status = (code: number, message: string, causes: Array<{ reason: string; message: string }> = []) =>
    new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, message, details: { causes } });
  const cases: Array<[string, unknown, boolean]> = [
    ['a refused connection', new ConnectionError('connect ECONNREFUSED 127.0.0.1:1', 'https://127.0.0.1:1', 'ECONNREFUSED', 'refused'), true],
    ['a 503', status(503, 'the server is shutting down'), true],
    ['a 500', status(500, 'etcdserver: request timed out'), true],
    ['throttling: a 429 without a cause', status(429, 'too many requests'), true],
    ['a PodDisruptionBudget refusal', status(429, 'Cannot evict pod as it would violate the pod\'s disruption budget.', [{ reason: 'DisruptionBudget', message: 'The disruption budget blue needs 2 healthy pods and has 2 currently' }]), false],
    ['a pod under two budgets', status(500, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'), false],
    ['a 404', status(404, 'pods "x" not found'), false],
    ['a 409', status(409, 'the object has been modified'), false],
    ['a plain Error', new Error('boom'), false],
  ];
  for (const [name, err, want] of cases) it(`${name}: ${want ? 'transient' : 'not transient'}`, () => assert.equal(isTransientError(err), want));
});
