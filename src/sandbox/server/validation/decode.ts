// Decoding a request body into a built-in kind the way kube-apiserver's JSON serializer does:
// fields the kind does not have are dropped (and reported, for fieldValidation Strict/Warn),
// a value of the wrong JSON type is a decode error in encoding/json's words.
import { type FieldType, type SchemaLookup } from './schema.js';

/** Go's encoding/json nesting limit (maxNestingDepth), which kube's decoders inherit. */
export const MAX_DECODE_DEPTH = 10_000;

/** kube-apiserver's resource.Quantity syntax, and its parse error. */
const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
export const QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export interface TypedDecode {
  /** The object without the fields its kind does not have. */
  value: unknown;
  /** Paths of dropped fields, as strict decoding names them ("spec.containers[0].foo"). */
  unknownFields: string[];
  /** The first decode error (Go stops reporting after the first), if any. */
  error?: string;
}

interface Walk {
  schema: SchemaLookup;
  unknown: string[];
  error?: string;
  /** Build a pruned copy (second pass, only when there are unknown fields to drop). */
  prune: boolean;
  /** Build the paths messages name (a second pass, only when there is something to name). */
  paths: boolean;
}

/**
 * The nesting depth of a decoded object (as valueDepth). Only free-form fields (managedFields'
 * fieldsV1, raw extensions) and recursive types are measured: a part whose schema cannot nest
 * deeper counts as its schema's depth (an upper bound).
 */
export function decodedDepth(value: object, type: FieldType, schema: SchemaLookup, cap: number): number {
  return depthOf(value, type, schema, cap);
}

function depthOf(v: object, t: FieldType, schema: SchemaLookup, cap: number): number {
  const bound = schemaDepth(t, schema);
  if (bound !== Infinity) return bound;
  const fields = t.type === 'object' && !Array.isArray(v) ? schema.fields(t.name) : undefined;
  if (!fields && t.type !== 'array' && t.type !== 'map') return valueDepth(v, cap);
  if (t.type === 'array' && !Array.isArray(v)) return valueDepth(v, cap);
  let max = 1;
  for (const k in v) {
    const x: unknown = Reflect.get(v, k);
    if (typeof x !== 'object' || x === null) continue;
    const ft = fields ? fields.get(k) : t.type === 'array' ? t.items : t.type === 'map' ? t.values : undefined;
    max = Math.max(max, (ft ? depthOf(x, ft, schema, cap) : valueDepth(x, cap)) + 1);
    if (max >= cap) return max;
  }
  return max;
}

/** How deep values of a type can nest (objects and arrays), from its schema; Infinity for free-form or recursive types. */
const depths = new WeakMap<SchemaLookup, Map<string, number>>();

export function schemaDepth(t: FieldType, schema: SchemaLookup): number {
  switch (t.type) {
    case 'object': {
      let memo = depths.get(schema);
      if (!memo) depths.set(schema, (memo = new Map()));
      const known = memo.get(t.name);
      if (known !== undefined) return known;
      // A type met again while its own depth is being worked out is recursive.
      memo.set(t.name, Infinity);
      let max = 0;
      for (const ft of schema.fields(t.name)?.values() ?? []) max = Math.max(max, schemaDepth(ft, schema));
      const d = schema.fields(t.name) ? 1 + max : Infinity;
      memo.set(t.name, d);
      return d;
    }
    case 'array':
      return 1 + schemaDepth(t.items, schema);
    case 'map':
      return 1 + schemaDepth(t.values, schema);
    case 'any':
      return Infinity;
    default:
      return 0;
  }
}

/** Decodes a JSON value as the given type: prunes unknown fields, reports the first type error. */
export function decodeTyped(value: unknown, type: FieldType, schema: SchemaLookup): TypedDecode {
  // A first pass checks without allocating (no copies, no paths); most objects have nothing to
  // prune or report. Only then a second pass names what it found, and prunes.
  const first: Walk = { schema, unknown: [], prune: false, paths: false };
  walk(first, value, type, '', '', '', 0);
  if (!first.error && !first.unknown.length) return { value, unknownFields: [] };
  const w: Walk = { schema, unknown: [], prune: false, paths: true };
  walk(w, value, type, '', '', '', 0);
  if (w.error || !w.unknown.length) return { value, unknownFields: w.unknown, error: w.error };
  const out = walk({ schema, unknown: [], prune: true, paths: true }, value, type, '', '', '', 0);
  return { value: out, unknownFields: w.unknown, error: w.error };
}

/** The Go type a field decodes into, as encoding/json's UnmarshalTypeError prints it. */
export function goTypeName(t: FieldType): string {
  switch (t.type) {
    case 'object': {
      const parts = t.name.split('.');
      return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
    }
    case 'array':
      return `[]${goTypeName(t.items)}`;
    case 'map':
      return `map[string]${goTypeName(t.values)}`;
    case 'integer':
      return 'int32';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'quantity':
      return 'resource.Quantity';
    case 'int-or-string':
      return 'intstr.IntOrString';
    default:
      return t.type === 'any' ? 'interface {}' : 'string';
  }
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

function mismatch(w: Walk, v: unknown, t: FieldType, struct: string, goPath: string): void {
  if (w.error) return;
  const what = typeof v === 'number' && !Number.isInteger(v) && t.type === 'integer' ? `number ${v}` : jsonKind(v);
  const target = struct ? `Go struct field ${struct}.${goPath}` : 'Go value';
  w.error = `json: cannot unmarshal ${what} into ${target} of type ${goTypeName(t)}`;
}

function shortStruct(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/**
 * path: the strict-decoding path with indices; goPath: encoding/json's path without them;
 * struct: the innermost Go struct holding the current field.
 */
function walk(w: Walk, v: unknown, t: FieldType, path: string, goPath: string, struct: string, depth: number): unknown {
  if (v === null || t.type === 'any') return v;
  if (depth > MAX_DECODE_DEPTH) {
    w.error ??= 'exceeded max depth';
    return undefined;
  }
  switch (t.type) {
    case 'string':
      if (typeof v !== 'string') mismatch(w, v, t, struct, goPath);
      return v;
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) mismatch(w, v, t, struct, goPath);
      return v;
    case 'number':
      if (typeof v !== 'number') mismatch(w, v, t, struct, goPath);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') mismatch(w, v, t, struct, goPath);
      return v;
    case 'quantity':
      if (!((typeof v === 'string' || typeof v === 'number') && QUANTITY.test(String(v)))) w.error ??= QUANTITY_ERROR;
      return v;
    case 'int-or-string':
      if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) mismatch(w, v, { type: 'integer' }, '', '');
      return v;
    case 'array':
      if (!Array.isArray(v)) {
        mismatch(w, v, t, struct, goPath);
        return v;
      }
      if (!w.prune) {
        for (let i = 0; i < v.length; i++) walk(w, v[i], t.items, w.paths ? `${path}[${i}]` : '', goPath, struct, depth + 1);
        return v;
      }
      return v.map((item, i) => walk(w, item, t.items, `${path}[${i}]`, goPath, struct, depth + 1));
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v)) {
        mismatch(w, v, t, struct, goPath);
        return v;
      }
      if (!w.prune) {
        for (const k in v) walk(w, Reflect.get(v, k), t.values, w.paths ? `${path}.${k}` : '', goPath, struct, depth + 1);
        return v;
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(w, x, t.values, `${path}.${k}`, goPath, struct, depth + 1);
      return out;
    }
    case 'object':
      return walkObject(w, v, t, path, goPath, struct, depth);
  }
}

function walkObject(w: Walk, v: unknown, t: { type: 'object'; name: string }, path: string, goPath: string, struct: string, depth: number): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    mismatch(w, v, t, struct, goPath);
    return v;
  }
  const fields = w.schema.fields(t.name);
  if (!fields) return v;
  const name = w.paths ? shortStruct(t.name) : '';
  const out: Record<string, unknown> | undefined = w.prune ? {} : undefined;
  for (const k in v) {
    const x: unknown = Reflect.get(v, k);
    const ft = fields.get(k);
    if (!ft) {
      w.unknown.push(w.paths ? (path ? `${path}.${k}` : k) : '');
      continue;
    }
    const y = w.paths ? walk(w, x, ft, path ? `${path}.${k}` : k, goPath ? `${goPath}.${k}` : k, name, depth + 1) : walk(w, x, ft, '', '', '', depth + 1);
    if (out) out[k] = y;
  }
  return out ?? v;
}

/**
 * Whether JSON text nests deeper than `max` (objects and arrays), found by a scan of the bytes
 * before parsing, so a hostile body costs one pass and no recursion.
 */
export function jsonNestingExceeds(text: string, max = MAX_DECODE_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** The nesting depth of a decoded value (objects and arrays), measured without recursion, capped. */
export function valueDepth(v: unknown, cap = MAX_DECODE_DEPTH + 1): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (d + 1 > max) max = d + 1;
    if (max >= cap) return max;
    for (const y of Array.isArray(x) ? x : Object.values(x)) if (typeof y === 'object' && y !== null) stack.push([y, d + 1]);
  }
  return max;
}
