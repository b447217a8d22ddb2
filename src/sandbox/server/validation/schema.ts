// The seam between validation and the OpenAPI schema of the built-in kinds: what fields a kind
// has and of which type. Backed today by schema-data.ts (Kubernetes' published swagger.json as
// data); the OpenAPI document served under server/openapi/ can implement the same interface.
import { SCHEMA_DATA } from './schema-data.js';

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

/** Reads the data file's type notation: #Def, [T]key1,key2, {T}, or a scalar. */
export function parseFieldType(s: string): FieldType {
  if (s.startsWith('#')) return { type: 'object', name: s.slice(1) };
  if (s.startsWith('{') && s.endsWith('}')) return { type: 'map', values: parseFieldType(s.slice(1, -1)) };
  if (s.startsWith('[')) {
    const close = s.lastIndexOf(']');
    const keys = s.slice(close + 1);
    return { type: 'array', items: parseFieldType(s.slice(1, close)), keys: keys ? keys.split(',') : [] };
  }
  if (isScalar(s)) return { type: s };
  throw new Error(`unknown field type ${JSON.stringify(s)} in the schema data`);
}

interface SchemaData {
  kinds: Record<string, string>;
  definitions: Record<string, Record<string, string>>;
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

function decodeSchemaData(text: string): SchemaData {
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== 'object' || raw === null || !('kinds' in raw) || !('definitions' in raw)) throw new Error('malformed schema data');
  const { kinds, definitions } = raw;
  if (!isStringRecord(kinds) || typeof definitions !== 'object' || definitions === null) throw new Error('malformed schema data');
  const defs: Record<string, Record<string, string>> = {};
  for (const [name, fields] of Object.entries(definitions)) {
    if (!isStringRecord(fields)) throw new Error(`malformed schema data for ${name}`);
    defs[name] = fields;
  }
  return { kinds, definitions: defs };
}

class DataSchema implements SchemaLookup {
  private readonly data: SchemaData;
  private readonly parsed = new Map<string, ReadonlyMap<string, FieldType>>();

  constructor(text: string) {
    this.data = decodeSchemaData(text);
  }

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

let builtin: SchemaLookup | undefined;

/** The schema of the built-in kinds (Kubernetes 1.31), parsed once on first use. */
export function builtinSchema(): SchemaLookup {
  builtin ??= new DataSchema(SCHEMA_DATA);
  return builtin;
}
