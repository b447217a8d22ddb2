// The seam between validation and the OpenAPI schema of the built-in kinds: what fields a kind
// has and of which type, read from the published spec the sandbox serves (server/openapi/data,
// through the field index openapi/fields.ts derives from it).
import type { FieldIndex } from '../openapi/fields.js';
import { fieldIndexFor, nearestMinor } from '../openapi/spec.js';

export type ScalarType = 'string' | 'integer' | 'number' | 'boolean' | 'quantity' | 'int-or-string' | 'any';

export type FieldType =
  | { type: ScalarType }
  | { type: 'object'; name: string }
  | { type: 'array'; items: FieldType; keys: string[] }
  | { type: 'map'; values: FieldType };

export interface SchemaLookup {
  /** The type of a kind's object, or undefined for kinds it does not describe (custom resources). */
  kind(apiVersion: string, kind: string): FieldType | undefined;
  /** The fields of an object definition by name. */
  fields(name: string): ReadonlyMap<string, FieldType> | undefined;
}

const SCALARS = new Set<string>(['string', 'integer', 'number', 'boolean', 'quantity', 'int-or-string', 'any']);

function isScalar(s: string): s is ScalarType {
  return SCALARS.has(s);
}

/** Reads the field index's type notation: #Def, [T]key1,key2, {T}, or a scalar. */
export function parseFieldType(s: string): FieldType {
  if (s.startsWith('#')) return { type: 'object', name: s.slice(1) };
  if (s.startsWith('{') && s.endsWith('}')) return { type: 'map', values: parseFieldType(s.slice(1, -1)) };
  if (s.startsWith('[')) {
    const close = s.lastIndexOf(']');
    const keys = s.slice(close + 1);
    return { type: 'array', items: parseFieldType(s.slice(1, close)), keys: keys ? keys.split(',') : [] };
  }
  if (isScalar(s)) return { type: s };
  throw new Error(`unknown field type ${JSON.stringify(s)} in the OpenAPI field index`);
}

class DataSchema implements SchemaLookup {
  private readonly parsed = new Map<string, ReadonlyMap<string, FieldType>>();

  constructor(private readonly data: FieldIndex) {}

  kind(apiVersion: string, kind: string): FieldType | undefined {
    const ref = this.data.kinds[`${apiVersion}/${kind}`];
    return ref ? parseFieldType(ref) : undefined;
  }

  fields(name: string): ReadonlyMap<string, FieldType> | undefined {
    let m = this.parsed.get(name);
    if (m) return m;
    const raw = this.data.definitions[name];
    if (!raw) return undefined;
    m = new Map(Object.entries(raw).map(([k, v]) => [k, parseFieldType(v)]));
    this.parsed.set(name, m);
    return m;
  }
}

const builtin = new Map<string, SchemaLookup>();

/**
 * The schema of the built-in kinds at a server version's minor (by default 1.31, the version
 * validation has always used), loaded once on first use.
 */
export function builtinSchema(gitVersion = 'v1.31'): SchemaLookup {
  // Asked on every write: the version's own answer first, without parsing it again.
  const known = byVersion.get(gitVersion);
  if (known) return known;
  const minor = nearestMinor(gitVersion);
  let s = builtin.get(minor);
  if (!s) {
    s = new DataSchema(fieldIndexFor(minor));
    builtin.set(minor, s);
  }
  byVersion.set(gitVersion, s);
  return s;
}

const byVersion = new Map<string, SchemaLookup>();
