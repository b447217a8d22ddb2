// Typed API errors carrying the Kubernetes Status, used on both sides: the sandbox throws them
// to answer a request, and upkeep's client raises them from a server's Failure response.
import type { Status, StatusCause, StatusDetails, StatusReason } from './types.js';

export class StatusError extends Error {
  readonly status: Status;

  constructor(status: Status) {
    super(status.message ?? `${status.reason ?? 'Unknown'} (${status.code})`);
    this.name = 'StatusError';
    this.status = status;
  }

  get code(): number {
    return this.status.code;
  }
  get reason(): string {
    return this.status.reason ?? '';
  }
  get causes(): StatusCause[] {
    return this.status.details?.causes ?? [];
  }
}

export function failure(code: number, reason: StatusReason, message: string, details?: StatusDetails): Status {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = details;
  return status;
}

/** Kubernetes spells a resource in messages as `<resource>.<group>` ("deployments.apps"), or bare for core. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const errors = {
  notFound(resource: string, group: string, name: string): StatusError {
    return new StatusError(
      failure(404, 'NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, {
        name,
        group: group || undefined,
        kind: resource,
      }),
    );
  },
  alreadyExists(resource: string, group: string, name: string): StatusError {
    return new StatusError(
      failure(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists`, {
        name,
        group: group || undefined,
        kind: resource,
      }),
    );
  },
  /** NewGenerateNameConflict: a generated name that was taken (every attempt of the server's). */
  generateNameConflict(resource: string, group: string, name: string): StatusError {
    return new StatusError(
      failure(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists, the server was not able to generate a unique name for the object`, {
        name,
        group: group || undefined,
        kind: resource,
        retryAfterSeconds: 1,
      }),
    );
  },
  conflict(resource: string, group: string, name: string, why: string): StatusError {
    return new StatusError(
      failure(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`,
        { name, group: group || undefined, kind: resource },
      ),
    );
  },
  invalid(kind: string, group: string, name: string, causes: StatusCause[]): StatusError {
    const detail = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : `${c.message}`)).join(', ');
    const what = group ? `${kind}.${group}` : kind;
    return new StatusError(
      failure(422, 'Invalid', `${what} "${name}" is invalid: ${causes.length > 1 ? `[${detail}]` : detail}`, {
        name,
        group: group || undefined,
        kind,
        causes,
      }),
    );
  },
  badRequest(message: string, causes?: StatusCause[]): StatusError {
    return new StatusError(failure(400, 'BadRequest', message, causes ? { causes } : undefined));
  },
  unauthorized(): StatusError {
    return new StatusError(failure(401, 'Unauthorized', 'Unauthorized'));
  },
  forbidden(message: string, details?: StatusDetails): StatusError {
    return new StatusError(failure(403, 'Forbidden', message, details));
  },
  methodNotAllowed(message: string): StatusError {
    return new StatusError(failure(405, 'MethodNotAllowed', message));
  },
  gone(message: string): StatusError {
    return new StatusError(failure(410, 'Expired', message));
  },
  unsupportedMediaType(message: string): StatusError {
    return new StatusError(failure(415, 'UnsupportedMediaType', message));
  },
  tooManyRequests(message: string, details?: StatusDetails): StatusError {
    return new StatusError(failure(429, 'TooManyRequests', message, details));
  },
  internal(message: string, details?: StatusDetails): StatusError {
    return new StatusError(failure(500, 'InternalError', message, details));
  },
  requestEntityTooLarge(message: string): StatusError {
    return new StatusError(failure(413, 'RequestEntityTooLarge', message));
  },
};
