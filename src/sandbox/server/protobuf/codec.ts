// Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf): the 4-byte magic "k8s\0",
// then a runtime.Unknown {typeMeta, raw, contentEncoding, contentType} whose raw is the typed
// message. Decoding yields exactly the JSON Go's encoding/json would write for the same object
// (so the registry sees what a JSON client would have sent); encoding is the reverse.
import protobuf from 'protobufjs';
import { formatGoDuration, parseGoDuration } from '../../../api/duration.js';
import { errors } from '../../../api/status.js';
import { protoSchema, type GoField } from './load.js';

export const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';
export const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Json = Record<string, unknown>;

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const TIME = `.${META}.Time`;
const MICRO_TIME = `.${META}.MicroTime`;
const DURATION = `.${META}.Duration`;
const FIELDS_V1 = `.${META}.FieldsV1`;
const QUANTITY = '.k8s.io.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = '.k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const RAW_EXTENSION = '.k8s.io.apimachinery.pkg.runtime.RawExtension';
const SPECIAL = new Set([TIME, MICRO_TIME, DURATION, FIELDS_V1, QUANTITY, INT_OR_STRING, RAW_EXTENSION]);

/** The protobuf message of a kind: k8s.io.api.<group's first label>.<version>.<Kind> (APIServices: kube-aggregator's package). */
export function messageName(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (group === 'meta.k8s.io' || (group === '' && ['Status', 'DeleteOptions', 'WatchEvent'].includes(kind))) return `${META}.${kind}`;
  if (group === 'apiregistration.k8s.io') return `k8s.io.kube_aggregator.pkg.apis.apiregistration.${version}.${kind}`;
  return `k8s.io.api.${group ? group.split('.')[0] : 'core'}.${version}.${kind}`;
}

export function lookupMessage(name: string): protobuf.Type | undefined {
  try {
    return protoSchema().root.lookupType(name);
  } catch {
    return undefined;
  }
}

/** Whether the sandbox can write this kind in protobuf (built-in kinds only, as kube). */
export function hasMessage(apiVersion: string, kind: string): boolean {
  return lookupMessage(messageName(apiVersion, kind)) !== undefined;
}

// ---- decoding ----

/** A request body in Kubernetes' protobuf encoding, as the JSON object a JSON client would send. */
export function decodeProtobuf(body: Buffer): Json {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw errors.badRequest('provided input did not contain the expected protobuf prefix "k8s\\x00"');
  }
  const unknownType = protoSchema().root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  let envelope: protobuf.Message;
  try {
    envelope = unknownType.decode(body.subarray(4));
  } catch (e) {
    throw errors.badRequest(`the protobuf body could not be decoded: ${String(e instanceof Error ? e.message : e)}`);
  }
  const unknown = unknownType.toObject(envelope, { bytes: Buffer });
  const typeMeta: Json = unknown.typeMeta ?? {};
  const apiVersion = String(typeMeta.apiVersion ?? '');
  const kind = String(typeMeta.kind ?? '');
  const type = lookupMessage(messageName(apiVersion, kind));
  if (!type) throw errors.badRequest(`no kind "${kind}" is registered for version "${apiVersion}" in protobuf`);
  const raw: Buffer = unknown.raw ?? Buffer.alloc(0);
  let message: protobuf.Message;
  try {
    message = type.decode(raw);
  } catch (e) {
    throw errors.badRequest(`the ${kind} in the protobuf body could not be decoded: ${String(e instanceof Error ? e.message : e)}`);
  }
  return { kind, apiVersion, ...messageToJson(type, message) };
}

function goFieldsOf(type: protobuf.Type): GoField[] {
  const known = protoSchema().goFields.get(type.fullName.slice(1));
  // A message without Go facts: every field omitempty, by its proto name.
  return known ?? type.fieldsArray.map((f): GoField => [f.id, f.name, 'o']);
}

function messageToJson(type: protobuf.Type, msg: protobuf.Message): Json {
  const out: Json = {};
  for (const [id, jsonName, flags] of goFieldsOf(type)) {
    const field = type.fieldsById[id];
    if (!field) continue;
    const present = Object.prototype.hasOwnProperty.call(msg, field.name);
    const value: unknown = Reflect.get(msg, field.name);
    const omitEmpty = flags.includes('o');
    const pointer = flags.includes('p');
    if (field.map) {
      const entries = value && typeof value === 'object' ? Object.entries(value) : [];
      if (entries.length > 0) out[jsonName] = Object.fromEntries(entries.map(([k, v]) => [k, fieldValue(field, v)]));
      else if (!omitEmpty) out[jsonName] = null;
    } else if (field.repeated) {
      const items = Array.isArray(value) ? value : [];
      if (items.length > 0) out[jsonName] = items.map((v) => fieldValue(field, v));
      else if (!omitEmpty) out[jsonName] = null;
    } else if (field.resolvedType instanceof protobuf.Type) {
      // Go never omits a struct (omitempty or not); a nil pointer it does.
      if (!present && pointer) continue;
      const v = fieldValue(field, present ? value : field.resolvedType.create());
      if (flags.includes('i') && v && typeof v === 'object') Object.assign(out, v);
      else out[jsonName] = v;
    } else {
      if (!present && pointer) continue;
      const v = fieldValue(field, present ? value : field.defaultValue);
      if (!pointer && omitEmpty && isZero(v)) continue;
      out[jsonName] = v;
    }
  }
  return out;
}

function isZero(v: unknown): boolean {
  return v === 0 || v === '' || v === false || v === null || v === undefined;
}

function fieldValue(field: protobuf.Field, v: unknown): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return SPECIAL.has(t.fullName) ? specialToJson(t, v as protobuf.Message) : messageToJson(t, v as protobuf.Message);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return scalar(v);
}

function scalar(v: unknown): unknown {
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) return protobuf.util.LongBits.from(v as protobuf.Long).toNumber(false);
  return v;
}

function num(v: unknown): number {
  const n = scalar(v);
  return typeof n === 'number' ? n : 0;
}

function bytesOf(v: unknown): Buffer {
  return v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.alloc(0);
}

/** The well-known apimachinery types that Go marshals as JSON scalars or raw JSON. */
function specialToJson(t: protobuf.Type, m: protobuf.Message): unknown {
  const f = m as unknown as Record<string, unknown>;
  switch (t.fullName) {
    case TIME:
    case MICRO_TIME: {
      const seconds = num(f.seconds);
      const nanos = num(f.nanos);
      if (seconds === 0 && nanos === 0) return null;
      const base = new Date(seconds * 1000).toISOString().slice(0, 19);
      return t.fullName === TIME ? `${base}Z` : `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
    }
    case DURATION:
      return formatGoDuration(num(f.duration) / 1e6);
    case QUANTITY:
      return typeof f.string === 'string' && f.string !== '' ? f.string : '0';
    case INT_OR_STRING:
      return num(f.type) === 1 ? String(f.strVal ?? '') : num(f.intVal);
    case RAW_EXTENSION:
    case FIELDS_V1: {
      const raw = bytesOf(t.fullName === FIELDS_V1 ? f.Raw : f.raw);
      return raw.length ? JSON.parse(raw.toString('utf8')) : null;
    }
    default:
      return undefined;
  }
}

// ---- encoding ----

/** An object (with kind and apiVersion) in Kubernetes' protobuf encoding, or undefined if no message fits. */
export function encodeProtobuf(obj: Json): Buffer | undefined {
  const apiVersion = String(obj.apiVersion ?? '');
  const kind = String(obj.kind ?? '');
  const type = lookupMessage(messageName(apiVersion, kind));
  if (!type) return undefined;
  const raw = type.encode(type.fromObject(jsonToMessage(type, obj))).finish();
  return envelope(apiVersion, kind, raw);
}

export function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const unknownType = protoSchema().root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  const body = unknownType.encode(unknownType.fromObject({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' })).finish();
  return Buffer.concat([MAGIC, body]);
}

function jsonToMessage(type: protobuf.Type, obj: Json): Json {
  const out: Json = {};
  for (const [id, jsonName, flags] of goFieldsOf(type)) {
    const field = type.fieldsById[id];
    if (!field) continue;
    const value = flags.includes('i') ? obj : obj[jsonName];
    if (value === undefined || value === null) continue;
    if (field.map && value && typeof value === 'object') {
      out[field.name] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, valueToMessage(field, v)]));
    } else if (field.repeated && Array.isArray(value)) {
      out[field.name] = value.map((v) => valueToMessage(field, v));
    } else if (!field.repeated && !field.map) {
      out[field.name] = valueToMessage(field, value);
    }
  }
  return out;
}

function valueToMessage(field: protobuf.Field, v: unknown): unknown {
  const t = field.resolvedType;
  if (!(t instanceof protobuf.Type)) return field.type === 'bytes' && typeof v === 'string' ? Buffer.from(v, 'base64') : v;
  switch (t.fullName) {
    case TIME:
    case MICRO_TIME: {
      const ms = Date.parse(String(v));
      if (Number.isNaN(ms)) return {};
      const frac = /\.(\d+)/.exec(String(v))?.[1] ?? '';
      return { seconds: Math.floor(ms / 1000), nanos: Number(frac.padEnd(9, '0').slice(0, 9)) };
    }
    case DURATION:
      return { duration: Math.round(parseGoDuration(String(v)) * 1e6) };
    case QUANTITY:
      return { string: String(v) };
    case INT_OR_STRING:
      return typeof v === 'number' ? { type: 0, intVal: v } : { type: 1, strVal: String(v) };
    case RAW_EXTENSION:
      return { raw: Buffer.from(JSON.stringify(v)) };
    case FIELDS_V1:
      return { Raw: Buffer.from(JSON.stringify(v)) };
    default:
      return v && typeof v === 'object' && !Array.isArray(v) ? jsonToMessage(t, v as Json) : {};
  }
}

export const PROTOBUF_WATCH_TYPE = `${PROTOBUF_TYPE};stream=watch`;

/**
 * One frame of a protobuf watch stream: a 4-byte big-endian length, then a metav1.WatchEvent in
 * the raw encoding (no magic, no envelope) whose object holds the fully encoded object, as
 * kube-apiserver's watch handler writes with protobuf's stream serializer.
 */
export function watchEventFrame(type: string, obj: Json): Buffer | undefined {
  const object = encodeProtobuf(obj);
  if (!object) return undefined;
  const eventType = protoSchema().root.lookupType(`${META}.WatchEvent`);
  const event = eventType.encode(eventType.fromObject({ type, object: { raw: object } })).finish();
  const length = Buffer.alloc(4);
  length.writeUInt32BE(event.length);
  return Buffer.concat([length, event]);
}

/** The complete frames of a protobuf watch stream, each event's object decoded to JSON. */
export function decodeWatchFrames(stream: Buffer): Array<{ type: string; object: Json }> {
  const eventType = protoSchema().root.lookupType(`${META}.WatchEvent`);
  const events: Array<{ type: string; object: Json }> = [];
  let at = 0;
  while (at + 4 <= stream.length) {
    const length = stream.readUInt32BE(at);
    if (at + 4 + length > stream.length) break;
    const event = eventType.toObject(eventType.decode(stream.subarray(at + 4, at + 4 + length)), { bytes: Buffer });
    events.push({ type: String(event.type ?? ''), object: decodeProtobuf(event.object?.raw ?? Buffer.alloc(0)) });
    at += 4 + length;
  }
  return events;
}
