// What validation needs from the published OpenAPI spec (server/openapi/data, the one copy of
// Kubernetes' schema facts): per definition, its fields and their types in a compact notation,
// and per group/version/kind the definition of its objects. Derived from the swagger's
// definitions; the build writes the result beside the swagger (fields-1.3x.json, by
// scripts/copy-sandbox-data.mjs) so a starting sandbox reads ~60 KB instead of parsing 3 MB.
//
// Type notation: string | integer | number | boolean | quantity | int-or-string | any (free-form),
// #<definition>, [<type>]<list-map keys> for arrays, {<type>} for maps of string to <type>.

type Json = Record<string, unknown>;

export interface FieldIndex {
  /** "apps/v1/Deployment" (core: "v1/Pod") -> "#<definition>". */
  kinds: Record<string, string>;
  definitions: Record<string, Record<string, string>>;
}

/** Definitions whose JSON form is not what their swagger type says (custom marshalling). */
const SPECIAL: Record<string, string> = {
  'io.k8s.apimachinery.pkg.api.resource.Quantity': 'quantity',
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': 'int-or-string',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': 'string',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': 'string',
  'io.k8s.apimachinery.pkg.runtime.RawExtension': 'any',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': 'any',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON': 'any',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray': 'any',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool': 'any',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray': 'any',
};

/** Definition names without the "io.k8s." every Kubernetes definition starts with. */
function shortName(name: string): string {
  return name.startsWith('io.k8s.') ? name.slice('io.k8s.'.length) : name;
}

function isJson(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown): Json | undefined {
  return isJson(v) ? v : undefined;
}

/** A definition that is a plain scalar, as its scalar notation. */
function scalarOf(def: Json | undefined): string | undefined {
  if (!def || def.properties) return undefined;
  if (typeof def.type === 'string' && def.type !== 'object' && def.type !== 'array') return def.type;
  return undefined;
}

function typeOf(s: Json, defs: Record<string, Json>): string {
  const ref = typeof s.$ref === 'string' ? s.$ref.replace('#/definitions/', '') : undefined;
  const allOf = Array.isArray(s.allOf) ? obj(s.allOf[0]) : undefined;
  if (!ref && allOf?.$ref) return typeOf(allOf, defs);
  if (ref) return SPECIAL[ref] ?? scalarOf(obj(defs[ref])) ?? `#${shortName(ref)}`;
  if (s.type === 'array') {
    const keys = Array.isArray(s['x-kubernetes-list-map-keys']) ? s['x-kubernetes-list-map-keys'].map(String).join(',') : '';
    return `[${typeOf(obj(s.items) ?? {}, defs)}]${keys}`;
  }
  if (s.type === 'object') {
    const values = obj(s.additionalProperties);
    return values ? `{${typeOf(values, defs)}}` : 'any';
  }
  if (s['x-kubernetes-int-or-string']) return 'int-or-string';
  return typeof s.type === 'string' ? s.type : 'any';
}

/** The field index of a swagger document's definitions (every definition with properties). */
export function fieldIndex(definitions: Record<string, Json>): FieldIndex {
  const kinds: Record<string, string> = {};
  const out: Record<string, Record<string, string>> = {};
  for (const name of Object.keys(definitions).sort()) {
    const def = definitions[name];
    // A definition of type object without properties is an empty Go struct (every field unknown).
    const props = obj(def.properties) ?? (def.type === 'object' ? {} : undefined);
    if (!props || SPECIAL[name]) continue;
    const fields: Record<string, string> = {};
    for (const field of Object.keys(props).sort()) fields[field] = typeOf(obj(props[field]) ?? {}, definitions);
    out[shortName(name)] = fields;
    const gvks = Array.isArray(def['x-kubernetes-group-version-kind']) ? def['x-kubernetes-group-version-kind'] : [];
    // Only the definition of a kind's own objects: DeleteOptions and WatchEvent claim every group.
    if (gvks.length !== 1) continue;
    const g = obj(gvks[0]);
    if (!g) continue;
    const gv = g.group ? `${String(g.group)}/${String(g.version)}` : String(g.version);
    kinds[`${gv}/${String(g.kind)}`] = `#${shortName(name)}`;
  }
  return { kinds, definitions: out };
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return isJson(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Whether a parsed file is a field index (the build's output, checked before use). */
export function isFieldIndex(v: unknown): v is FieldIndex {
  return isJson(v) && isStringRecord(v.kinds) && isJson(v.definitions) && Object.values(v.definitions).every(isStringRecord);
}
