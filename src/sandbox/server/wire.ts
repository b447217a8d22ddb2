// Response bodies as kube-apiserver writes them: Go's encoding/json (struct field order, a trailing
// newline from json.Encoder) and the media type a client's Accept header picks.
import { StatusError, failure } from '../../api/status.js';
import type { Status, StatusDetails } from '../../api/types.js';
import { PROTOBUF_TYPE } from './protobuf/codec.js';

/** A Status in metav1.Status field order: kind, apiVersion, metadata, status, message, reason, details, code. */
export function statusJson(s: Status): string {
  const ordered: Record<string, unknown> = { kind: s.kind ?? 'Status', apiVersion: s.apiVersion ?? 'v1', metadata: s.metadata ?? {} };
  if (s.status) ordered.status = s.status;
  if (s.message) ordered.message = s.message;
  if (s.reason) ordered.reason = s.reason;
  if (s.details) ordered.details = detailsInOrder(s.details);
  if (s.code !== undefined) ordered.code = s.code;
  return JSON.stringify(ordered) + '\n';
}

function detailsInOrder(d: StatusDetails): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // metav1.StatusDetails: name, group, kind, uid, causes, retryAfterSeconds (all omitempty).
  for (const k of ['name', 'group', 'kind', 'uid'] as const) if (d[k]) out[k] = d[k];
  if (d.causes?.length) {
    out.causes = d.causes.map((c) => {
      const cause: Record<string, unknown> = {};
      if (c.reason) cause.reason = c.reason;
      if (c.message) cause.message = c.message;
      if (c.field) cause.field = c.field;
      return cause;
    });
  }
  if (d.retryAfterSeconds) out.retryAfterSeconds = d.retryAfterSeconds;
  return out;
}

/**
 * Whether the client accepts protobuf and not JSON (then only protobuf will do). A client that
 * lists both (kubectl 1.32+: "application/vnd.kubernetes.protobuf,application/json") gets JSON,
 * which its fallback takes.
 */
export function wantsProtobufOnly(accept: string | undefined): boolean {
  if (!accept || !accept.includes(PROTOBUF_TYPE)) return false;
  return !accept.split(',').some((a) => {
    const t = a.split(';')[0].trim();
    return t === 'application/json' || t === '*/*' || t === 'application/*' || t === 'application/yaml';
  });
}

/** kube's 406 when no serializer matches the Accept header. */
export function notAcceptable(): StatusError {
  return new StatusError(failure(406, 'NotAcceptable', 'the server was unable to respond with a content type that the client supports'));
}

/**
 * A boolean query parameter the way kube-apiserver converts it (runtime.Convert_Slice_string_To_bool):
 * absent is undefined; "0" and "false" (any case) are false; anything else, "True" included, is true.
 */
export function queryBool(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  return !(v === '0' || v.toLowerCase() === 'false');
}
