// How failures reach upkeep's callers:
// - a server's non-2xx answer: StatusError (src/api/status.ts) carrying the Kubernetes Status,
//   parsed from the body or synthesised from the HTTP code the way client-go does;
// - no answer at all: ConnectionError, one line naming the server and what to check;
// - a kubeconfig that cannot be used: KubeConfigError.
import { StatusError } from '../api/status.js';
import { errnoCode, errorMessage } from '../util/errors.js';
import type { Status, StatusCause, StatusDetails } from '../api/types.js';
import { isStatus } from '../api/types.js';
import { parseResourcePath } from './paths.js';

/** The kubeconfig (or in-cluster config) is missing, unreadable or names things that don't exist. */
export class KubeConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeConfigError';
  }
}

export type ConnectionFailure = 'refused' | 'dns' | 'tls' | 'reset' | 'timeout' | 'unreachable' | 'other';

/** The request got no HTTP answer: the server could not be reached, or the connection broke. */
export class ConnectionError extends Error {
  /** The API server URL from the kubeconfig. */
  readonly server: string;
  /** Node's error code (ECONNREFUSED, ENOTFOUND, DEPTH_ZERO_SELF_SIGNED_CERT, ...), or REQUEST_TIMEOUT_CODE. */
  readonly code: string;
  readonly failure: ConnectionFailure;
  /** Set by the transport: a reused keep-alive connection broke before any answer arrived. */
  staleConnection = false;

  constructor(message: string, server: string, code: string, failure: ConnectionFailure, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionError';
    this.server = server;
    this.code = code;
    this.failure = failure;
  }
}

/** A user-typed resource name (e.g. `upkeep get widgetz`) that discovery does not know. */
export class UnknownResourceError extends Error {
  readonly resource: string;
  constructor(resource: string, suggestion?: string) {
    // kubectl's wording, so users recognise it.
    super(`the server doesn't have a resource type "${resource}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`);
    this.name = 'UnknownResourceError';
    this.resource = resource;
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

function errorCode(err: unknown): string {
  return errnoCode(err) ?? 'UNKNOWN';
}


/** Turn a Node socket/TLS error into a ConnectionError with one line saying what to check. */
export function connectionError(err: unknown, server: string): ConnectionError {
  if (err instanceof ConnectionError) return err;
  const code = errorCode(err);
  const detail = errorMessage(err);
  const prefix = `unable to connect to the server ${server}`;
  let failure: ConnectionFailure = 'other';
  let hint = '';
  if (code === 'ECONNREFUSED') {
    failure = 'refused';
    hint = 'is the API server running, and is the server address in the kubeconfig right?';
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    failure = 'dns';
    hint = 'the host name does not resolve; check the server address in the kubeconfig';
  } else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    failure = 'unreachable';
    hint = 'no network route to the server; check the address and your network or VPN';
  } else if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    failure = 'tls';
    hint = `TLS verification failed: the server's certificate is not valid now (${code}); check the server's certificate and this machine's clock`;
  } else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    failure = 'tls';
    hint = `TLS verification failed: the server's certificate is not valid for this host name; check the server address or set tls-server-name in the kubeconfig`;
  } else if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO') {
    failure = 'tls';
    hint = 'the TLS handshake failed; is the server speaking HTTPS on this port (or plain HTTP)?';
  } else if (TLS_CODES.has(code)) {
    failure = 'tls';
    hint = `TLS verification failed (${code}): the kubeconfig's certificate-authority data may be wrong for this server`;
  } else if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    failure = 'reset';
    // An HTTPS server hangs up on a plain HTTP request (Go's answers "Client sent an HTTP request
    // to an HTTPS server"): with an http:// server that is the likely cause.
    hint = server.startsWith('http://')
      ? 'the server closed the connection without an HTTP answer: the kubeconfig says http://, is it an HTTPS server (use https://)?'
      : 'the connection was closed by the server or a proxy in between';
  } else if (code === 'ETIMEDOUT') {
    failure = 'timeout';
  }
  const message = hint ? `${prefix}: ${detail} - ${hint}` : `${prefix}: ${detail}`;
  return new ConnectionError(message, server, code, failure, { cause: err });
}

/** ConnectionError.code when our own request deadline (--request-timeout) passed. */
export const REQUEST_TIMEOUT_CODE = 'ERR_REQUEST_TIMEOUT';

/** Our own request deadline (--request-timeout) passed. */
export function timeoutError(server: string, method: string, path: string, timeoutMs: number): ConnectionError {
  return new ConnectionError(
    `the request ${method} ${server}${path} timed out after ${formatMs(timeoutMs)} (raise --request-timeout if the server is just slow)`,
    server,
    REQUEST_TIMEOUT_CODE,
    'timeout',
  );
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * The Status for a non-2xx answer. A Status body is used as sent (its code filled from HTTP when
 * missing); anything else gets the generic Status client-go makes for that code, with the body
 * kept as an UnexpectedServerResponse cause and "(get pods x)" naming the request.
 */
export function statusFromResponse(
  code: number,
  body: string,
  context: { method: string; path: string; retryAfter?: string },
): Status {
  const parsed = parseJson(body);
  const retryAfterSeconds = parseRetryAfter(context.retryAfter);
  if (isStatus(parsed)) {
    const status: Status = { ...parsed, metadata: parsed.metadata ?? {}, code: parsed.code || code };
    if (!status.status) status.status = 'Failure';
    if (retryAfterSeconds !== undefined && status.details?.retryAfterSeconds === undefined) {
      status.details = { ...status.details, retryAfterSeconds };
    }
    return status;
  }
  const serverMessage = body.trim().slice(0, 500);
  let { reason, message } = genericReason(code, serverMessage);
  if (code === 409 && context.method === 'POST') reason = 'AlreadyExists';
  const ref = parseResourcePath(context.path);
  const details: StatusDetails = {};
  if (ref) {
    const qualified = ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
    message += ref.name
      ? ` (${context.method.toLowerCase()} ${qualified} ${ref.name})`
      : ` (${context.method.toLowerCase()} ${qualified})`;
    details.kind = ref.resource;
    if (ref.group) details.group = ref.group;
    if (ref.name) details.name = ref.name;
  }
  if (serverMessage) {
    const cause: StatusCause = { reason: 'UnexpectedServerResponse', message: serverMessage };
    details.causes = [cause];
  }
  if (retryAfterSeconds !== undefined) details.retryAfterSeconds = retryAfterSeconds;
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code };
  if (reason) status.reason = reason;
  if (Object.keys(details).length > 0) status.details = details;
  return status;
}

function genericReason(code: number, serverMessage: string): { reason?: string; message: string } {
  switch (code) {
    case 400:
      return { reason: 'BadRequest', message: 'the server rejected our request for an unknown reason' };
    case 401:
      return { reason: 'Unauthorized', message: 'the server has asked for the client to provide credentials' };
    case 403:
      return {
        reason: 'Forbidden',
        message: serverMessage || 'the server does not allow access to the requested resource',
      };
    case 404:
      return { reason: 'NotFound', message: 'the server could not find the requested resource' };
    case 405:
      return { reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource' };
    case 406:
      return {
        reason: 'NotAcceptable',
        message: serverMessage || 'the server was unable to respond with a content type that the client supports',
      };
    case 409:
      return { reason: 'Conflict', message: 'the server reported a conflict' };
    case 410:
      return { reason: 'Gone', message: 'the server responded with the status code 410 but did not return more information' };
    case 415:
      return { reason: 'UnsupportedMediaType', message: serverMessage || 'the server does not support the request content type' };
    case 422:
      return { reason: 'Invalid', message: 'the server rejected our request due to an error in our request' };
    case 429:
      return {
        reason: 'TooManyRequests',
        message: 'the server has received too many requests and has asked us to try again later',
      };
    case 503:
      return { reason: 'ServiceUnavailable', message: 'the server is currently unable to handle the request' };
    case 504:
      return {
        reason: 'Timeout',
        message: 'the server was unable to return a response in the time allotted, but may still be processing the request',
      };
  }
  if (code >= 500) {
    return {
      reason: 'InternalError',
      message: `an error on the server (${JSON.stringify(serverMessage || 'unknown')}) has prevented the request from succeeding`,
    };
  }
  return { message: `the server responded with the status code ${code} but did not return more information` };
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function statusOf(err: unknown): Status | undefined {
  return err instanceof StatusError ? err.status : undefined;
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err)?.code === 404;
}
export function isAlreadyExists(err: unknown): boolean {
  return statusOf(err)?.reason === 'AlreadyExists';
}
export function isConflict(err: unknown): boolean {
  const status = statusOf(err);
  return status?.code === 409 && status.reason !== 'AlreadyExists';
}
/** 410: an expired continue token or a watch resourceVersion too old (reason Expired or Gone). */
export function isExpired(err: unknown): err is StatusError {
  return statusOf(err)?.code === 410;
}
export function isTooManyRequests(err: unknown): boolean {
  return statusOf(err)?.code === 429;
}
export function isForbidden(err: unknown): boolean {
  return statusOf(err)?.code === 403;
}
export function isUnauthorized(err: unknown): boolean {
  return statusOf(err)?.code === 401;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: number = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}
