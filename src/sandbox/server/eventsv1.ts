// events.k8s.io/v1 Events: the same stored objects as core/v1 Events (kube-apiserver keeps both
// in /registry/events), converted field by field as pkg/apis/events/v1/conversion.go does:
//   regarding <-> involvedObject, note <-> message, deprecatedSource <-> source,
//   deprecatedFirstTimestamp / deprecatedLastTimestamp / deprecatedCount <-> firstTimestamp /
//   lastTimestamp / count, reportingController <-> reportingComponent,
// with eventTime, series, action, related, reason, type and reportingInstance unchanged. New
// events created through events.k8s.io/v1 are validated as pkg/apis/core/validation/events.go
// does for that version (eventTime, reportingController, reportingInstance, action and reason
// required; the deprecated fields unset). JSON field order follows the Go structs.
import { StatusError, errors } from '../../api/status.js';
import type { KubeObject, StatusCause } from '../../api/types.js';
import { type JsonObject, isJsonObject, jsonObject } from './json.js';
import { type PatchType, applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.js';
import type { Registry, WriteOptions } from './registry.js';
import type { ResourceType } from './resources.js';

export const EVENTS_V1 = 'events.k8s.io/v1';

function present(o: JsonObject, key: string): boolean {
  return o[key] !== undefined && o[key] !== null;
}

/** A stored core/v1 Event as events.k8s.io/v1 serves it. */
export function toEventsV1(core: KubeObject): KubeObject {
  const c: JsonObject = core;
  const out: KubeObject = { kind: 'Event', apiVersion: EVENTS_V1, metadata: core.metadata, eventTime: c.eventTime ?? null };
  if (present(c, 'series')) out.series = c.series;
  if (c.reportingComponent) out.reportingController = c.reportingComponent;
  if (c.reportingInstance) out.reportingInstance = c.reportingInstance;
  if (c.action) out.action = c.action;
  if (c.reason) out.reason = c.reason;
  out.regarding = c.involvedObject ?? {};
  if (present(c, 'related')) out.related = c.related;
  if (c.message) out.note = c.message;
  if (c.type) out.type = c.type;
  out.deprecatedSource = c.source ?? {};
  out.deprecatedFirstTimestamp = c.firstTimestamp ?? null;
  out.deprecatedLastTimestamp = c.lastTimestamp ?? null;
  if (c.count) out.deprecatedCount = c.count;
  return out;
}

/** An events.k8s.io/v1 Event as core/v1 stores it (Go struct order of core/v1 Event). */
export function fromEventsV1(v1: KubeObject): KubeObject {
  const e: JsonObject = v1;
  const out: KubeObject = { kind: 'Event', apiVersion: 'v1', metadata: v1.metadata, involvedObject: e.regarding ?? {} };
  if (e.reason) out.reason = e.reason;
  if (e.note) out.message = e.note;
  out.source = e.deprecatedSource ?? {};
  out.firstTimestamp = e.deprecatedFirstTimestamp ?? null;
  out.lastTimestamp = e.deprecatedLastTimestamp ?? null;
  if (e.deprecatedCount) out.count = e.deprecatedCount;
  if (e.type) out.type = e.type;
  out.eventTime = e.eventTime ?? null;
  if (present(e, 'series')) out.series = e.series;
  if (e.action) out.action = e.action;
  if (present(e, 'related')) out.related = e.related;
  out.reportingComponent = e.reportingController ?? '';
  out.reportingInstance = e.reportingInstance ?? '';
  return out;
}

/** A request body for events.k8s.io/v1: its apiVersion and kind checked and filled in, as kube's decoder does. */
export function decodeEventsV1Body(body: unknown): KubeObject {
  if (!isJsonObject(body)) throw errors.badRequest('the body of the request was in an unknown format - expected a Event object');
  const apiVersion = body.apiVersion === undefined || body.apiVersion === '' ? EVENTS_V1 : String(body.apiVersion);
  const kind = body.kind === undefined || body.kind === '' ? 'Event' : String(body.kind);
  if (apiVersion !== EVENTS_V1) throw errors.badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${EVENTS_V1})`);
  if (kind !== 'Event') {
    const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
    throw errors.badRequest(`${kind} in version "${version}" cannot be handled as a Event: no kind "${kind}" is registered for version "${apiVersion}" in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"`);
  }
  return { ...body, apiVersion, kind, metadata: { ...jsonObject(body.metadata) } };
}

function required(field: string): StatusCause {
  return { reason: 'FieldValueRequired', field, message: 'Required value' };
}

/** ValidateEventCreate for events.k8s.io/v1 (the core/v1 API keeps the legacy, looser rules). */
export function validateEventsV1Create(e: KubeObject): void {
  const o: JsonObject = e;
  const causes: StatusCause[] = [];
  if (!o.reportingController) causes.push(required('reportingController'));
  if (!o.reportingInstance) causes.push(required('reportingInstance'));
  if (!o.action) causes.push(required('action'));
  if (!o.reason) causes.push(required('reason'));
  if (typeof o.note === 'string' && o.note.length > 1024) causes.push({ reason: 'FieldValueTooLong', field: 'note', message: 'Too long: may not be more than 1024 bytes' });
  if (!o.eventTime) causes.push(required('eventTime'));
  if (o.type !== 'Normal' && o.type !== 'Warning') causes.push({ reason: 'FieldValueInvalid', field: 'type', message: `Invalid value: "": has invalid value: ${String(o.type ?? '')}` });
  const unset = (field: string, set: boolean) => set && causes.push({ reason: 'FieldValueInvalid', field, message: 'Invalid value: "": needs to be unset' });
  unset('deprecatedFirstTimestamp', present(o, 'deprecatedFirstTimestamp'));
  unset('deprecatedLastTimestamp', present(o, 'deprecatedLastTimestamp'));
  unset('deprecatedCount', Boolean(o.deprecatedCount));
  const source = jsonObject(o.deprecatedSource);
  unset('deprecatedSource', Boolean(source?.component || source?.host));
  if (causes.length) throw errors.invalid('Event', 'events.k8s.io', e.metadata.name ?? '', causes);
}

/** A version served from another version's storage: the stored type, and the conversions both ways. */
export interface StoredVersion {
  storage: ResourceType;
  /** A request body of this version as stored (checked; validated as new when `create`). */
  incoming(body: unknown, create: boolean): KubeObject;
  /** A stored object as this version serves it. */
  outgoing(o: KubeObject): KubeObject;
  /** An error about the stored resource, naming the served one ("events.events.k8s.io "x" not found"). */
  renamed(e: unknown): unknown;
}

/** events.k8s.io/v1 events are stored as core/v1 events; every other type is stored as itself. */
export function storedVersionOf(registry: Registry, t: ResourceType): StoredVersion | undefined {
  if (t.group !== 'events.k8s.io' || t.resource !== 'events') return undefined;
  const storage = registry.type('', 'v1', 'events');
  if (!storage) return undefined;
  return {
    storage,
    incoming(body, create) {
      const v1 = decodeEventsV1Body(body);
      if (create) validateEventsV1Create(v1);
      return fromEventsV1(v1);
    },
    outgoing: toEventsV1,
    renamed(e) {
      const details = e instanceof StatusError ? e.status.details : undefined;
      if (!(e instanceof StatusError) || !details || details.kind !== 'events' || details.group) return e;
      const message = (e.status.message ?? '').replace(/(^|on )events "/, '$1events.events.k8s.io "');
      return new StatusError({ ...e.status, message, details: { ...details, group: 'events.k8s.io' } });
    },
  };
}

/**
 * PATCH in the served version: the patch applies to the object as this version shows it, and
 * the result is stored through an update (retried on a concurrent write, as kube's
 * GuaranteedUpdate does, unless the patch names a resourceVersion).
 */
export async function patchStoredVersion(registry: Registry, v: StoredVersion, namespace: string, name: string, type: PatchType | 'apply', patch: unknown, opts: WriteOptions): Promise<KubeObject> {
  for (let attempt = 0; ; attempt++) {
    const current = v.outgoing(await registry.get(v.storage, namespace, name));
    const patched =
      type === 'json' ? applyJsonPatch(current, patch) : type === 'merge' ? applyMergePatch(current, patch) : applyStrategicMergePatch(current, patch, 'Event', 'events.k8s.io');
    try {
      return await registry.update(v.storage, namespace, name, v.incoming(patched, false), undefined, opts);
    } catch (e) {
      const pinned = jsonObject(jsonObject(patch)?.metadata)?.resourceVersion !== undefined;
      if (e instanceof StatusError && e.reason === 'Conflict' && !pinned && attempt < 5) continue;
      throw e;
    }
  }
}
