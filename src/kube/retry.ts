// When to try a request again, and how long to wait first. Pure: the transport describes what
// went wrong and this module decides; the table in retry.test.ts is the specification.
import { StatusError } from '../api/status.js';
import { ConnectionError } from './errors.js';

export interface RetryOptions {
  /** Attempts in total, the first one included; 1 turns retries off. */
  maxAttempts: number;
  /** First backoff step; it doubles on every retry. */
  baseDelayMs: number;
  /** Upper bound of one exponential backoff step. */
  maxDelayMs: number;
  /** A server asking to wait longer than this (Retry-After) is not retried: the error surfaces. */
  maxRetryAfterMs: number;
  /**
   * Also retry a non-idempotent request (POST, JSON patch) after 500/502/504. Off by default:
   * the server may have acted on it (a create that did happen, an eviction that did start).
   */
  retryNonIdempotentOn5xx: boolean;
}

export const defaultRetryOptions: Readonly<RetryOptions> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
  retryNonIdempotentOn5xx: false,
});

export function retryOptions(overrides?: Partial<RetryOptions>): RetryOptions {
  const merged = { ...defaultRetryOptions, ...stripUndefined(overrides ?? {}) };
  merged.maxAttempts = Math.max(1, Math.floor(merged.maxAttempts));
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type HttpVerb = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Whether sending the request twice has the same effect as sending it once. A JSON patch can
 * append to a list, so it is not; merge, strategic and apply patches set fields, so they are.
 */
export function isIdempotent(method: HttpVerb, contentType?: string): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'PUT':
    case 'DELETE':
      return true;
    case 'PATCH':
      return !(contentType ?? '').startsWith('application/json-patch+json');
    case 'POST':
      return false;
  }
}

/** What happened to the attempt that just failed. */
export type AttemptOutcome =
  /** The server answered with a non-2xx status. */
  | { kind: 'status'; code: number; retryAfterSeconds?: number; causeTypes?: readonly string[] }
  /**
   * The connection failed; `code` is Node's error code (ECONNREFUSED, ECONNRESET, ...).
   * `staleConnection`: it was a reused keep-alive connection that broke before any answer,
   * the usual sign of the server having closed it while idle.
   */
  | { kind: 'connection'; code: string; staleConnection?: boolean }
  /** The client-side request timeout (--request-timeout) fired. */
  | { kind: 'timeout' };

export interface RetryInput {
  /** 1-based number of the attempt that failed. */
  attempt: number;
  idempotent: boolean;
  outcome: AttemptOutcome;
  options: RetryOptions;
  /** Source of jitter in [0, 1); injectable for tests. */
  random?: () => number;
}

export type RetryDecision = { retry: true; delayMs: number; why: string } | { retry: false; why: string };

// Failures before any byte of the request reached the server: safe to repeat for any verb.
const NOT_SENT = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
// Failures after the request may have been sent: the server may have acted on it.
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

export function decideRetry(input: RetryInput): RetryDecision {
  const { attempt, idempotent, outcome, options } = input;
  const random = input.random ?? Math.random;
  const verdict = classify(outcome, idempotent, options);
  if (!verdict.retry) return verdict;
  if (attempt >= options.maxAttempts) {
    return { retry: false, why: `${verdict.why}; giving up after ${attempt} attempt${attempt === 1 ? '' : 's'}` };
  }
  if (outcome.kind === 'status' && outcome.retryAfterSeconds !== undefined && outcome.retryAfterSeconds > 0) {
    const delayMs = outcome.retryAfterSeconds * 1000;
    if (delayMs > options.maxRetryAfterMs) {
      return {
        retry: false,
        why: `the server asked to retry after ${outcome.retryAfterSeconds}s, longer than the ${options.maxRetryAfterMs / 1000}s upkeep waits`,
      };
    }
    return { retry: true, delayMs, why: `${verdict.why}; the server asked to retry after ${outcome.retryAfterSeconds}s` };
  }
  return { retry: true, delayMs: backoffDelay(attempt, options, random), why: verdict.why };
}

function classify(
  outcome: AttemptOutcome,
  idempotent: boolean,
  options: RetryOptions,
): { retry: true; why: string } | { retry: false; why: string } {
  switch (outcome.kind) {
    case 'timeout':
      // The user's --request-timeout bounds the request; repeating it would overrun the bound.
      return { retry: false, why: 'the request timed out' };
    case 'connection': {
      if (NOT_SENT.has(outcome.code)) return { retry: true, why: `connection failed (${outcome.code})` };
      if (outcome.staleConnection && outcome.code === 'ECONNRESET') {
        // Node's documented keep-alive race: the server closed the idle connection just as we
        // reused it. The request never reached it, so any verb may be repeated.
        return { retry: true, why: 'a kept-alive connection was closed by the server' };
      }
      if (MAYBE_SENT.has(outcome.code)) {
        return idempotent
          ? { retry: true, why: `connection lost (${outcome.code})` }
          : { retry: false, why: `connection lost (${outcome.code}) and the request is not safe to repeat` };
      }
      return { retry: false, why: `connection failed (${outcome.code})` };
    }
    case 'status': {
      const { code } = outcome;
      if (code === 429) {
        // An eviction refused by a PodDisruptionBudget is a policy answer, not load shedding:
        // the caller (drain) decides when to ask again.
        if (outcome.causeTypes?.includes('DisruptionBudget')) {
          return { retry: false, why: 'refused by a PodDisruptionBudget' };
        }
        return { retry: true, why: 'the server is throttling requests (429)' };
      }
      if (code === 503) {
        // The API server answers 503 before acting on a request (shutting down, aggregated API
        // unavailable), so even a POST is safe to repeat.
        return { retry: true, why: 'the server is unavailable (503)' };
      }
      if (code === 500 || code === 502 || code === 504) {
        if (idempotent || options.retryNonIdempotentOn5xx) return { retry: true, why: `server error (${code})` };
        return { retry: false, why: `server error (${code}) and the request is not safe to repeat` };
      }
      return { retry: false, why: `the server answered ${code}` };
    }
  }
}

/**
 * Exponential backoff with jitter: step n waits between half and all of
 * min(maxDelayMs, baseDelayMs * 2^(n-1)), so clients that failed together spread out.
 */
export function backoffDelay(retryNumber: number, options: RetryOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, retryNumber - 1);
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(exponent, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

export { parseRetryAfter } from './errors.js';

/** Resolve after `ms`, or reject with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The one answer to "may this failure pass if I ask again?": a dropped connection, a 5xx, or a
 * 429 that is throttling. Not transient: an eviction refused by a PodDisruptionBudget (429 with a
 * DisruptionBudget cause: a policy answer, the caller decides when to ask again) and the 500 of a
 * pod under more than one budget (it can never succeed).
 */
export function isTransientError(err: unknown): boolean {
  if (err instanceof ConnectionError) return true;
  if (!(err instanceof StatusError)) return false;
  if (err.code === 429) return !err.causes.some((c) => c.reason === 'DisruptionBudget');
  return err.code >= 500 && !isOverlappingBudgetsError(err);
}

/** kube-apiserver's 500 for an eviction of a pod that two PodDisruptionBudgets select. */
export function isOverlappingBudgetsError(err: unknown): boolean {
  return err instanceof StatusError && err.code === 500 && /more than one PodDisruptionBudget/.test(err.message);
}
