// Validation of what clients send, before anything is stored: decoding into the kind's schema
// (unknown fields, wrong types, nesting), then the kind's rules (422 with causes).
import { errors } from '../../../api/status.js';
import { type KubeObject, isKubeObject } from '../../../api/types.js';
import { decodeTyped, decodedDepth, valueDepth } from './decode.js';
import { type SchemaLookup, builtinSchema } from './schema.js';

export { validateObject } from './rules.js';
export { validateUpdate } from './immutable.js';
export { jsonNestingExceeds, valueDepth, MAX_DECODE_DEPTH } from './decode.js';

/** fieldValidation: what to do with fields the kind does not have (kube's default is Warn). */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/**
 * How deep a stored object may nest. kube-apiserver's decoder allows 10,000 levels; Node's
 * JSON and YAML serialisers overflow their stack far earlier, and an object the server cannot
 * serialise would make every later list of its resource fail, so the sandbox refuses it.
 */
export const MAX_STORED_DEPTH = 256;

export function parseFieldValidation(v: string | null): FieldValidation {
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation parameter unsupported: ${v}`);
}

export interface DecodeOptions {
  fieldValidation?: FieldValidation;
  /** Warnings for the response's Warning headers (unknown fields under Warn). */
  warnings?: string[];
  schema?: SchemaLookup;
}

/**
 * A built-in object as kube's serializer decodes it: unknown fields dropped (refused under
 * Strict), a value of the wrong type refused with encoding/json's message. Kinds the schema does
 * not know (custom resources) come back unchanged. Throws a 400 StatusError.
 */
export function decodeBuiltin(o: KubeObject, opts: DecodeOptions = {}): KubeObject {
  const schema = opts.schema ?? builtinSchema();
  const apiVersion = String(o.apiVersion);
  const kind = String(o.kind);
  const type = schema.kind(apiVersion, kind);
  const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
  const cannot = (why: string) => errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${why}`);
  let out: KubeObject = o;
  if (type) {
    const r = decodeTyped(o, type, schema);
    if (r.error) throw cannot(r.error);
    const mode = opts.fieldValidation ?? 'Warn';
    if (r.unknownFields.length && mode === 'Strict') throw cannot(`strict decoding error: ${r.unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`);
    if (mode === 'Warn') for (const f of r.unknownFields) opts.warnings?.push(`unknown field ${JSON.stringify(f)}`);
    if (r.unknownFields.length && isKubeObject(r.value)) out = r.value;
  }
  const depth = type ? decodedDepth(out, type, schema, MAX_STORED_DEPTH + 1) : valueDepth(out, MAX_STORED_DEPTH + 1);
  if (depth > MAX_STORED_DEPTH) {
    throw cannot(`the object nests deeper than the ${MAX_STORED_DEPTH} levels the sandbox stores`);
  }
  return out;
}
