// List and watch options as kube-apiserver reads and validates them (apimachinery's
// ValidateListOptions), and the errors it gives for resource versions it cannot serve.
import { StatusError, errors, failure } from '../../api/status.js';
import type { StatusCause } from '../../api/types.js';
import { queryBool } from './wire.js';

export interface ListWatchOptions {
  resourceVersion?: string;
  resourceVersionMatch?: string;
  sendInitialEvents?: boolean;
  allowWatchBookmarks: boolean;
  continue?: string;
}

/**
 * The WatchList feature (sendInitialEvents) by server version: alpha and off through 1.31, beta and
 * on in 1.32, off again in 1.33, on from 1.34.
 */
export function watchListEnabled(gitVersion: string): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  const minor = m ? Number(m[2]) : 0;
  return minor === 32 || minor >= 34;
}

export function listWatchOptions(q: URLSearchParams, watch: boolean, gitVersion: string): ListWatchOptions {
  const opts: ListWatchOptions = {
    resourceVersion: q.get('resourceVersion') || undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') || undefined,
    sendInitialEvents: queryBool(q, 'sendInitialEvents'),
    allowWatchBookmarks: queryBool(q, 'allowWatchBookmarks') === true,
    continue: q.get('continue') || undefined,
  };
  const causes = watch ? watchProblems(opts, watchListEnabled(gitVersion)) : listProblems(opts);
  if (causes.length) throw errors.invalid('ListOptions', 'meta.k8s.io', '', causes);
  return opts;
}

function forbidden(field: string, message: string): StatusCause {
  return { reason: 'FieldValueForbidden', field, message: `Forbidden: ${message}` };
}

function notSupported(field: string, value: string, supported: string[]): StatusCause {
  return { reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` };
}

function listProblems(o: ListWatchOptions): StatusCause[] {
  const causes: StatusCause[] = [];
  const match = o.resourceVersionMatch;
  if (match) {
    if (!o.resourceVersion) causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (o.continue) causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') causes.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && o.resourceVersion === '0') causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (o.sendInitialEvents !== undefined) causes.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return causes;
}

function watchProblems(o: ListWatchOptions, watchList: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const match = o.resourceVersionMatch;
  if (o.sendInitialEvents !== undefined) {
    if (match !== 'NotOlderThan') causes.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    if (!watchList) causes.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'));
  }
  if (match) {
    if (o.sendInitialEvents === undefined) causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    if (match !== 'NotOlderThan') causes.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']));
    if (o.continue) causes.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
  }
  return causes;
}

/** A resourceVersion the store has not reached yet: kube waits a moment, then answers 504. */
export function tooLargeResourceVersion(wanted: number, current: number): StatusError {
  return new StatusError(
    failure(504, 'Timeout', `Timeout: Too large resource version: ${wanted}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    }),
  );
}

/** A list at a compacted resourceVersion (etcd's ErrCompacted through kube's interpretListError). */
export function listTooOld(): StatusError {
  return errors.gone('The resourceVersion for the provided list is too old.');
}

/** A resourceVersion parameter as a revision number, or a 400 naming it. */
export function revisionOf(rv: string): number {
  const n = Number(rv);
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(n)) throw errors.badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`);
  return n;
}
