// Kubernetes' published OpenAPI v2 spec for a minor version (data/swagger-1.3x.json.gz, see
// data/SOURCES.md), loaded on first use, and the OpenAPI v3 group-version documents
// kube-apiserver derives from the same definitions.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { type FieldIndex, fieldIndex, isFieldIndex } from './fields.js';

type Json = Record<string, unknown>;

export interface SwaggerSpec {
  minor: string;
  definitions: Record<string, Json>;
  paths: Record<string, Json>;
  parameters: Record<string, Json>;
  /** The spec as served (/openapi/v2). */
  text: string;
}

/** The minors with a spec, oldest first. */
export const SPEC_MINORS = ['1.30', '1.31', '1.32', '1.33'];

const specs = new Map<string, SwaggerSpec>();

/** The spec of the nearest published minor to a server version ("v1.31.4" -> 1.31). */
export function specFor(gitVersion: string): SwaggerSpec {
  const minor = nearestMinor(gitVersion);
  let spec = specs.get(minor);
  if (!spec) {
    const text = gunzipSync(readFileSync(path.join(dataDir(), `swagger-${minor}.json.gz`))).toString('utf8');
    const doc = asJson(JSON.parse(text));
    spec = { minor, definitions: record(doc.definitions), paths: record(doc.paths), parameters: record(doc.parameters), text };
    specs.set(minor, spec);
  }
  return spec;
}

const indexes = new Map<string, FieldIndex>();

/** The file the build derives from swagger-<minor>.json.gz (scripts/copy-sandbox-data.mjs). */
export function fieldIndexFile(minor: string): string {
  return `fields-${minor}.json`;
}

/**
 * Validation's view of the spec of a server version's minor: the file the build derived when
 * present (a starting sandbox reads ~120 KB instead of parsing the 3 MB spec), else derived here.
 */
export function fieldIndexFor(gitVersion: string): FieldIndex {
  const minor = nearestMinor(gitVersion);
  let index = indexes.get(minor);
  if (!index) {
    const file = path.join(dataDir(), fieldIndexFile(minor));
    const built: unknown = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
    index = isFieldIndex(built) ? built : fieldIndex(specFor(minor).definitions);
    indexes.set(minor, index);
  }
  return index;
}

export function nearestMinor(gitVersion: string): string {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  const want = m ? Number(m[1]) * 1000 + Number(m[2]) : 0;
  const value = (s: string) => Number(s.split('.')[0]) * 1000 + Number(s.split('.')[1]);
  let best = SPEC_MINORS[0];
  for (const s of SPEC_MINORS) if (value(s) <= want) best = s;
  return best;
}

function dataDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'data'), path.resolve(here, '../../../../../src/sandbox/server/openapi/data')];
  const found = candidates.find((d) => existsSync(path.join(d, 'SOURCES.md')));
  if (!found) throw new Error(`Kubernetes OpenAPI data not found (looked in ${candidates.join(', ')})`);
  return found;
}

function asJson(v: unknown): Json {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function record(v: unknown): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, x] of Object.entries(asJson(v))) out[k] = asJson(x);
  return out;
}

// ---- v2 -> v3 ----

/** A v2 schema in v3 form: components references, and allOf around a reference with siblings. */
export function toV3Schema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toV3Schema);
  if (!s || typeof s !== 'object') return s;
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref' && typeof v === 'string') out.$ref = v.replace('#/definitions/', '#/components/schemas/');
    else out[k] = toV3Schema(v);
  }
  if (typeof out.$ref === 'string' && Object.keys(out).length > 1) {
    const { $ref, ...rest } = out;
    return { allOf: [{ $ref }], ...rest };
  }
  return out;
}

/** Schema names a value refers to (transitively collected by the caller). */
function refsIn(v: unknown, into: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) refsIn(x, into);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string' && x.startsWith('#/definitions/')) into.add(x.slice('#/definitions/'.length));
      else refsIn(x, into);
    }
  }
}

/** The v2 path prefix of a group-version document path ("apis/apps/v1" -> "/apis/apps/v1"). */
function pathsOf(spec: SwaggerSpec, gvPath: string): Array<[string, Json]> {
  const prefix = `/${gvPath}`;
  return Object.entries(spec.paths).filter(([p]) => p === prefix || p.startsWith(`${prefix}/`));
}

export function hasGroupVersion(spec: SwaggerSpec, gvPath: string): boolean {
  return pathsOf(spec, gvPath).length > 0;
}

/** kube-apiserver's /openapi/v3/<gvPath> document, built from the v2 spec. */
export function v3Document(spec: SwaggerSpec, gvPath: string): Json {
  const refs = new Set<string>();
  const paths: Json = {};
  for (const [p, item] of pathsOf(spec, gvPath)) {
    const converted = v3PathItem(spec, item);
    refsIn(converted.v2refs, refs);
    paths[p] = converted.item;
  }
  const schemas: Json = {};
  const queue = [...refs];
  while (queue.length) {
    const name = queue.pop() ?? '';
    if (name in schemas || !spec.definitions[name]) continue;
    schemas[name] = toV3Schema(spec.definitions[name]);
    const more = new Set<string>();
    refsIn(spec.definitions[name], more);
    for (const m of more) if (!(m in schemas)) queue.push(m);
  }
  const sorted = Object.fromEntries(Object.keys(schemas).sort().map((k) => [k, schemas[k]]));
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    components: { schemas: sorted, securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } } },
  };
}

const VERBS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'];

function v3PathItem(spec: SwaggerSpec, item: Json): { item: Json; v2refs: unknown[] } {
  const v2refs: unknown[] = [];
  const out: Json = {};
  for (const [key, value] of Object.entries(item)) {
    if (key === 'parameters' && Array.isArray(value)) {
      out.parameters = value.map((p) => v3Parameter(spec, p)).filter((p) => p.in !== 'body').map(v3NonBody);
    } else if (VERBS.includes(key)) {
      const op = asJson(value);
      v2refs.push(op.parameters, op.responses);
      out[key] = v3Operation(spec, op, v2refs);
    } else out[key] = value;
  }
  return { item: out, v2refs };
}

function v3Operation(spec: SwaggerSpec, op: Json, v2refs: unknown[]): Json {
  const { consumes, produces, parameters, responses, schemes: _schemes, ...rest } = op;
  const out: Json = { ...rest };
  const params = (Array.isArray(parameters) ? parameters : []).map((p) => v3Parameter(spec, p));
  const body = params.find((p) => p.in === 'body');
  if (body) {
    v2refs.push(body.schema);
    const types = Array.isArray(consumes) ? consumes.map(String) : ['application/json'];
    out.requestBody = { content: Object.fromEntries(types.map((t) => [t, { schema: toV3Schema(body.schema) }])), required: true };
  }
  const rest2 = params.filter((p) => p.in !== 'body').map(v3NonBody);
  if (rest2.length) out.parameters = rest2;
  const types = Array.isArray(produces) ? produces.map(String) : ['application/json'];
  out.responses = Object.fromEntries(
    Object.entries(asJson(responses)).map(([code, r]) => {
      const resp = asJson(r);
      const converted: Json = { description: resp.description };
      if (resp.schema) converted.content = Object.fromEntries(types.map((t) => [t, { schema: toV3Schema(resp.schema) }]));
      return [code, converted];
    }),
  );
  return out;
}

function v3Parameter(spec: SwaggerSpec, p: unknown): Json {
  const param = asJson(p);
  if (typeof param.$ref === 'string') return asJson(spec.parameters[param.$ref.replace('#/parameters/', '')]);
  return param;
}

function v3NonBody(p: Json): Json {
  const { type, uniqueItems, items, ...rest } = p;
  const schema: Json = { type };
  if (uniqueItems !== undefined) schema.uniqueItems = uniqueItems;
  if (items !== undefined) schema.items = items;
  return rest.schema ? rest : { ...rest, schema };
}
