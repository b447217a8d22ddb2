// Custom resources against their CRD's structural schema (openAPIV3Schema), as kube-apiserver's
// apiextensions does: unknown fields pruned (kept under x-kubernetes-preserve-unknown-fields),
// defaults applied, then type/required/enum/bounds/pattern/items checked, with go-openapi's
// messages ("spec.size in body must be of type integer: \"string\"").
import type { StatusCause } from '../../../api/types.js';
import { type JsonObject, isJsonObject, jsonObject } from '../json.js';
import { invalid, notSupported, required } from './field.js';

export interface SchemaCheck {
  value: unknown;
  causes: StatusCause[];
  unknownFields: string[];
}

/** The JSON type names go-openapi reports for a value. */
function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v: unknown, s: JsonObject): boolean {
  if (s['x-kubernetes-int-or-string'] === true) return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
  const t = s.type;
  if (t === undefined) return true;
  const actual = typeOf(v);
  if (t === 'number') return actual === 'number' || actual === 'integer';
  return actual === t;
}

interface Ctx {
  causes: StatusCause[];
  unknown: string[];
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Prunes, defaults and validates `v` against schema `s` at `path`; returns the pruned value. */
function check(ctx: Ctx, v: unknown, s: JsonObject, path: string): unknown {
  if (v === null) {
    if (s.nullable === true) return v;
    return undefined;
  }
  if (!typeMatches(v, s)) {
    const t = s['x-kubernetes-int-or-string'] === true ? 'integer or string' : String(s.type);
    ctx.causes.push(invalid(path, typeOf(v), `${path} in body must be of type ${t}: ${JSON.stringify(typeOf(v))}`));
    return v;
  }
  scalarChecks(ctx, v, s, path);
  if (Array.isArray(v)) {
    const items = jsonObject(s.items);
    return items ? v.map((x, i) => check(ctx, x, items, `${path}[${i}]`)) : v;
  }
  if (isJsonObject(v)) return checkObject(ctx, v, s, path);
  return v;
}

function checkObject(ctx: Ctx, v: JsonObject, s: JsonObject, path: string): JsonObject {
  const props = jsonObject(s.properties);
  const additional = jsonObject(s.additionalProperties);
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    const ps = jsonObject(props?.[k]) ?? additional;
    if (ps) {
      const y = check(ctx, x, ps, join(path, k));
      if (y !== undefined) out[k] = y;
    } else if (preserve || (!props && s.type !== 'object')) out[k] = x;
    else ctx.unknown.push(join(path, k));
  }
  for (const [k, ps] of Object.entries(props ?? {})) {
    const d = jsonObject(ps)?.default;
    if (out[k] === undefined && d !== undefined) out[k] = structuredClone(d);
  }
  if (Array.isArray(s.required)) for (const r of s.required) if (typeof r === 'string' && out[r] === undefined) ctx.causes.push(required(join(path, r)));
  return out;
}

function scalarChecks(ctx: Ctx, v: unknown, s: JsonObject, path: string): void {
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    ctx.causes.push(notSupported(path, v, s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)))));
  }
  if (typeof v === 'number') {
    const min = s.minimum;
    const max = s.maximum;
    if (typeof min === 'number' && (s.exclusiveMinimum === true ? v <= min : v < min)) {
      ctx.causes.push(invalid(path, v, `${path} in body should be greater than ${s.exclusiveMinimum === true ? '' : 'or equal to '}${min}`));
    }
    if (typeof max === 'number' && (s.exclusiveMaximum === true ? v >= max : v > max)) {
      ctx.causes.push(invalid(path, v, `${path} in body should be less than ${s.exclusiveMaximum === true ? '' : 'or equal to '}${max}`));
    }
  }
  if (typeof v === 'string') {
    const chars = [...v].length;
    if (typeof s.maxLength === 'number' && chars > s.maxLength) ctx.causes.push({ reason: 'FieldValueTooLong', field: path, message: `Too long: may not be longer than ${s.maxLength}` });
    if (typeof s.minLength === 'number' && chars < s.minLength) ctx.causes.push(invalid(path, v, `${path} in body should be at least ${s.minLength} chars long`));
    if (typeof s.pattern === 'string') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(s.pattern, 'u');
      } catch {
        re = undefined;
      }
      if (re && !re.test(v)) ctx.causes.push(invalid(path, v, `${path} in body should match '${s.pattern}'`));
    }
  }
  if (Array.isArray(v)) {
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) ctx.causes.push({ reason: 'FieldValueTooMany', field: path, message: `Too many: ${v.length}: must have at most ${s.maxItems} items` });
    if (typeof s.minItems === 'number' && v.length < s.minItems) ctx.causes.push(invalid(path, v.length, `${path} in body should have at least ${s.minItems} items`));
  }
}

/** A custom resource checked against its version's openAPIV3Schema (apiVersion, kind, metadata kept). */
export function checkCustomResource(o: JsonObject, schema: JsonObject): SchemaCheck {
  const ctx: Ctx = { causes: [], unknown: [] };
  const props = jsonObject(schema.properties) ?? {};
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(o)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') {
      out[k] = x;
      continue;
    }
    const ps = jsonObject(props[k]);
    if (ps) {
      const y = check(ctx, x, ps, k);
      if (y !== undefined) out[k] = y;
    } else if (schema['x-kubernetes-preserve-unknown-fields'] === true) out[k] = x;
    else ctx.unknown.push(k);
  }
  for (const [k, ps] of Object.entries(props)) {
    const d = jsonObject(ps)?.default;
    if (out[k] === undefined && d !== undefined && k !== 'metadata') out[k] = structuredClone(d);
  }
  if (Array.isArray(schema.required)) for (const r of schema.required) if (typeof r === 'string' && out[r] === undefined) ctx.causes.push(required(r));
  return { value: out, causes: ctx.causes, unknownFields: ctx.unknown };
}
