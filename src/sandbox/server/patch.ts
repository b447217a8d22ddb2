// The three patch types of PATCH requests, applied the way kube-apiserver applies them:
// RFC 6902 JSON patch (kube-apiserver uses evanphx/json-patch v4), RFC 7386 JSON merge patch,
// and strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch) driven by the
// patchStrategy/patchMergeKey struct tags of k8s.io/api, kept here as a table.
//
// Every function is pure: inputs are never mutated and results share no structure with them.
import { StatusError, errors, failure } from '../../api/status.js';
import type { Status } from '../../api/types.js';
import { type JsonObject, isJsonObject as isObject, jsonObject } from './json.js';
import { type FieldValidation, MAX_STORED_DEPTH, jsonNestingExceeds } from './validation/index.js';

export type PatchType = 'json' | 'merge' | 'strategic';

/** The field validation directive of a PATCH (`?fieldValidation=`); the apiserver defaults to Warn. */
export type { FieldValidation };

const CONTENT_TYPES: Record<string, PatchType | 'apply'> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/**
 * The patch type named by a PATCH request's Content-Type. Like the apiserver, parameters after
 * the first ';' are dropped and the rest must match exactly; anything else is undefined (415).
 */
export function patchTypeFromContentType(contentType: string | undefined): PatchType | 'apply' | undefined {
  if (contentType === undefined) return undefined;
  const semi = contentType.indexOf(';');
  const mediaType = semi > 0 ? contentType.slice(0, semi) : contentType;
  return Object.prototype.hasOwnProperty.call(CONTENT_TYPES, mediaType) ? CONTENT_TYPES[mediaType] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds and their strategic merge schema
// ---------------------------------------------------------------------------------------------

/**
 * Patch metadata of one field: `merge` lists merge (by `key` for lists of objects, by value for
 * lists of scalars); every other list is atomic. `fields` describes the object (or the list
 * element object) below it. Maps are always merged key by key.
 */
interface FieldSchema {
  merge?: true;
  key?: string;
  fields?: Record<string, FieldSchema>;
}

const byKey = (key: string, fields?: Record<string, FieldSchema>): FieldSchema => ({ merge: true, key, fields });
const conditions = byKey('type');

const objectMeta: FieldSchema = {
  fields: { ownerReferences: byKey('uid'), finalizers: { merge: true } },
};

const containerFields: Record<string, FieldSchema> = {
  ports: byKey('containerPort'),
  env: byKey('name'),
  volumeMounts: byKey('mountPath'),
  volumeDevices: byKey('devicePath'),
};

// Tolerations, readinessGates, and the like carry no patchStrategy in k8s.io/api: atomic.
const podSpec: FieldSchema = {
  fields: {
    containers: byKey('name', containerFields),
    initContainers: byKey('name', containerFields),
    ephemeralContainers: byKey('name', containerFields),
    volumes: byKey('name'),
    imagePullSecrets: byKey('name'),
    hostAliases: byKey('ip'),
    topologySpreadConstraints: byKey('topologyKey'),
    schedulingGates: byKey('name'),
    resourceClaims: byKey('name'),
  },
};

const podTemplateSpec: FieldSchema = { fields: { metadata: objectMeta, spec: podSpec } };

function kindSchema(spec?: Record<string, FieldSchema>, status?: Record<string, FieldSchema>, extra?: Record<string, FieldSchema>): FieldSchema {
  const fields: Record<string, FieldSchema> = { metadata: objectMeta, ...extra };
  if (spec) fields.spec = { fields: spec };
  if (status) fields.status = { fields: status };
  return { fields };
}

const metadataOnly = kindSchema();
const workload = kindSchema({ template: podTemplateSpec }, { conditions });

/** Built-in kinds that accept strategic merge patch, keyed `<group>/<Kind>` ("" for core). */
const STRATEGIC_KINDS: Record<string, FieldSchema> = {
  '/Pod': kindSchema(podSpec.fields, {
    conditions,
    podIPs: byKey('ip'),
    hostIPs: byKey('ip'),
    resourceClaimStatuses: byKey('name'),
  }),
  // Node spec.taints is atomic in k8s.io/api (the merge tags sit on Taint.key, not the list).
  '/Node': kindSchema({ podCIDRs: { merge: true } }, { conditions, addresses: byKey('type') }),
  '/Namespace': kindSchema(undefined, { conditions }),
  '/Service': kindSchema({ ports: byKey('port') }, { conditions }),
  '/Endpoints': metadataOnly,
  '/ConfigMap': metadataOnly,
  '/Secret': metadataOnly,
  '/ServiceAccount': kindSchema(undefined, undefined, { secrets: byKey('name') }),
  '/Event': metadataOnly,
  '/PersistentVolume': metadataOnly,
  '/PersistentVolumeClaim': kindSchema(undefined, { conditions }),
  '/ReplicationController': workload,
  '/PodTemplate': kindSchema(undefined, undefined, { template: podTemplateSpec }),
  '/Binding': metadataOnly,
  'apps/Deployment': workload,
  'apps/ReplicaSet': workload,
  'apps/DaemonSet': workload,
  'apps/StatefulSet': workload,
  'apps/ControllerRevision': metadataOnly,
  'batch/Job': workload,
  'batch/CronJob': kindSchema({ jobTemplate: { fields: { metadata: objectMeta, spec: { fields: { template: podTemplateSpec } } } } }),
  'policy/PodDisruptionBudget': kindSchema(undefined, { conditions }),
  'policy/Eviction': metadataOnly,
  'events.k8s.io/Event': metadataOnly,
  'coordination.k8s.io/Lease': metadataOnly,
  'rbac.authorization.k8s.io/Role': metadataOnly,
  'rbac.authorization.k8s.io/RoleBinding': metadataOnly,
  'rbac.authorization.k8s.io/ClusterRole': metadataOnly,
  'rbac.authorization.k8s.io/ClusterRoleBinding': metadataOnly,
  'storage.k8s.io/StorageClass': metadataOnly,
  'scheduling.k8s.io/PriorityClass': metadataOnly,
  // CRD status.conditions is a listType=map without patch tags: atomic under SMP.
  'apiextensions.k8s.io/CustomResourceDefinition': metadataOnly,
  'autoscaling/Scale': metadataOnly,
};

function kindKey(kind: string, apiGroup: string): string {
  return `${apiGroup === 'core' ? '' : apiGroup}/${kind}`;
}

/**
 * Whether kube-apiserver accepts a strategic merge patch for this kind. Only kinds compiled into
 * the apiserver have the Go struct tags SMP needs; custom resources get 415.
 */
export function supportsStrategicMerge(kind: string, apiGroup: string): boolean {
  return Object.prototype.hasOwnProperty.call(STRATEGIC_KINDS, kindKey(kind, apiGroup));
}

/** The PATCH media types the apiserver accepts for a kind, in the order it lists them. */
export function acceptedPatchContentTypes(kind: string, apiGroup: string): string[] {
  return supportsStrategicMerge(kind, apiGroup)
    ? ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']
    : ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
}

/** The apiserver's 415 for a PATCH whose Content-Type the resource does not accept. */
export function unsupportedPatchTypeError(kind: string, apiGroup: string): StatusError {
  return errors.unsupportedMediaType(
    `the body of the request was in an unknown format - accepted media types include: ${acceptedPatchContentTypes(kind, apiGroup).join(', ')}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/**
 * A JSON patch that decoded but could not be applied. The apiserver answers 422 Invalid with a
 * fixed message and drops the json-patch library's text (NewGenericServerResponse without
 * causes); the text is kept in `detail` for logs and tests.
 */
export class PatchApplyError extends StatusError {
  readonly detail: string;
  constructor(detail: string) {
    super(failure(422, 'Invalid', 'the server rejected our request due to an error in our request', {}));
    this.detail = detail;
  }
}

/** An error that is not a Status inside the apiserver: it answers 500 with no reason. */
function unknownError(message: string): StatusError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code: 500 };
  return new StatusError(status);
}

// ---------------------------------------------------------------------------------------------
// Decoding a PATCH body with the apiserver's error messages
// ---------------------------------------------------------------------------------------------

/**
 * Parses a PATCH body as the apiserver decodes it, throwing its 400 BadRequest messages: Go's
 * encoding/json syntax errors and type errors, prefixed "error decoding patch: " for JSON and merge
 * patches under the default Warn (or Strict) field validation.
 */
export function decodePatchBody(body: string, patchType: PatchType, fieldValidation: FieldValidation = 'Warn'): unknown {
  const strict = fieldValidation !== 'Ignore';
  // Bounded before the recursive syntax check and patching (see validation/decode.ts).
  if (jsonNestingExceeds(body, MAX_STORED_DEPTH)) throw errors.badRequest(`error decoding patch: the patch nests deeper than the ${MAX_STORED_DEPTH} levels the sandbox stores`);
  const syntax = goJsonSyntaxError(body);
  if (syntax !== undefined) {
    if (patchType === 'strategic') throw errors.badRequest(syntax);
    if (patchType === 'merge' && !strict) throw errors.badRequest('Invalid JSON Patch');
    throw errors.badRequest(strict ? `error decoding patch: ${syntax}` : syntax);
  }
  const value: unknown = JSON.parse(body);
  if (patchType === 'json') {
    const shape = jsonPatchShapeError(value, strict);
    if (shape !== undefined) throw errors.badRequest(shape);
  } else if (value !== null && !isObject(value)) {
    const msg = `json: cannot unmarshal ${goJsonKind(value)} into Go value of type map[string]interface {}`;
    throw errors.badRequest(patchType === 'strategic' ? msg : `error decoding patch: ${msg}`);
  }
  return value;
}

function jsonPatchShapeError(ops: unknown, strict: boolean): string | undefined {
  if (ops === null) return undefined; // decodes to an empty patch
  if (!Array.isArray(ops)) {
    return strict
      ? `error decoding patch: json: cannot unmarshal ${goJsonKind(ops)} into Go value of type []handlers.jsonPatchOp`
      : `json: cannot unmarshal ${goJsonKind(ops)} into Go value of type jsonpatch.Patch`;
  }
  for (const op of ops) {
    if (op === null) continue;
    if (!isObject(op)) {
      return strict
        ? `error decoding patch: json: cannot unmarshal ${goJsonKind(op)} into Go value of type handlers.jsonPatchOp`
        : `json: cannot unmarshal ${goJsonKind(op)} into Go value of type jsonpatch.Operation`;
    }
    if (!strict) continue;
    for (const field of ['op', 'path', 'from']) {
      const v = op[field];
      if (hasOwn(op, field) && v !== null && typeof v !== 'string') {
        return `error decoding patch: json: cannot unmarshal ${goJsonKind(v)} into Go struct field jsonPatchOp.${field} of type string`;
      }
    }
  }
  return undefined;
}

function goJsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string, number
}

/** Go's strconv-style quoting of one character in encoding/json syntax errors. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const escapes: Record<string, string> = { '\\': '\\\\', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
  if (escapes[c] !== undefined) return `'${escapes[c]}'`;
  const code = c.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${c}'`;
}

/** The message Go's encoding/json gives for the first syntax error in `s`, or undefined. */
export function goJsonSyntaxError(s: string): string | undefined {
  let i = 0;
  const END = 'unexpected end of JSON input';
  class Syntax extends Error {}
  const fail = (context: string): never => {
    throw new Syntax(i >= s.length ? END : `invalid character ${quoteChar(s[i])} ${context}`);
  };
  const ws = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  const literal = (word: string): void => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (s[i] !== word[k]) fail(`in literal ${word} (expecting ${quoteChar(word[k])})`);
    }
    i++;
  };
  const str = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= s.length) fail('');
      const c = s[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        i++;
        if (i >= s.length) fail('');
        const e = s[i];
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= s.length) fail('');
            if (!/[0-9a-fA-F]/.test(s[i])) fail('in \\u hexadecimal character escape');
          }
        } else if (!'"\\/bfnrt'.includes(e)) {
          fail('in string escape code');
        }
        i++;
        continue;
      }
      if (c.charCodeAt(0) < 0x20) fail('in string literal');
      i++;
    }
  };
  const num = (): void => {
    if (s[i] === '-') {
      i++;
      if (!isDigit(s[i])) fail('in numeric literal');
    }
    if (s[i] === '0') i++;
    else while (isDigit(s[i])) i++;
    if (s[i] === '.') {
      i++;
      if (!isDigit(s[i])) fail('in numeric literal');
      while (isDigit(s[i])) i++;
    }
    if (s[i] === 'e' || s[i] === 'E') {
      i++;
      if (s[i] === '+' || s[i] === '-') i++;
      if (!isDigit(s[i])) fail('in numeric literal');
      while (isDigit(s[i])) i++;
    }
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        if (s[i] !== '"') fail('looking for beginning of object key string');
        str();
        ws();
        if (s[i] !== ':') fail('after object key');
        i++;
        value();
        ws();
        if (s[i] === ',') {
          i++;
          ws();
          continue;
        }
        if (s[i] === '}') {
          i++;
          return;
        }
        fail('after object key:value pair');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === ']') {
          i++;
          return;
        }
        fail('after array element');
      }
    }
    if (c === '"') return str();
    if (c === '-' || isDigit(c)) return num();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    fail('looking for beginning of value');
  };
  try {
    value();
    ws();
    if (i < s.length) fail('after top-level value');
    return undefined;
  } catch (e) {
    if (e instanceof Syntax) return e.message;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON helpers
// ---------------------------------------------------------------------------------------------

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Sets an own property, including "__proto__", which plain assignment would not. */
function setKey(o: JsonObject, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

function cloneJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneJson);
  return isObject(v) ? cloneObject(v) : v;
}

function cloneObject(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(o)) setKey(out, k, cloneJson(o[k]));
  return out;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// RFC 6902 JSON patch
// ---------------------------------------------------------------------------------------------

/** kube-apiserver refuses JSON patches with more operations than this (413). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

type Container = JsonObject | unknown[];

function decodePointerToken(t: string): string {
  return t.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Go's strconv.Atoi: optional sign, decimal digits. */
function atoi(key: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(key)) return `strconv.Atoi: parsing "${key}": invalid syntax`;
  return Number(key);
}

function invalidIndex(idx: number): string {
  return `Unable to access invalid index: ${idx}: invalid index referenced`;
}

/**
 * The container holding the last token of `path`, and that token. Like evanphx/json-patch, the
 * text before the first '/' is ignored, and a missing, null or scalar parent yields undefined.
 */
function findObject(root: Container, path: string): { con: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let cur: Container = root;
  for (let p = 1; p < split.length - 1; p++) {
    const r = containerGet(cur, decodePointerToken(split[p]));
    if (typeof r === 'string') return undefined;
    const next = r.value;
    if (Array.isArray(next) || isObject(next)) cur = next;
    else return undefined;
  }
  return { con: cur, key: decodePointerToken(split[split.length - 1]) };
}

/** A value in a container; a string is the library's error text. Missing map keys are undefined. */
function containerGet(con: Container, key: string): { value: unknown } | string {
  if (!Array.isArray(con)) return { value: hasOwn(con, key) ? con[key] : undefined };
  const idx = atoi(key);
  if (typeof idx === 'string') return idx;
  if (idx >= con.length || idx < 0) return invalidIndex(idx);
  return { value: con[idx] };
}

function containerAdd(con: Container, key: string, value: unknown): string | undefined {
  if (!Array.isArray(con)) {
    setKey(con, key, value);
    return undefined;
  }
  if (key === '-') {
    con.push(value);
    return undefined;
  }
  let idx = atoi(key);
  if (typeof idx === 'string') return `value was not a proper array index: '${key}': ${idx}`;
  const size = con.length + 1;
  if (idx >= size || idx < -size) return invalidIndex(idx);
  if (idx < 0) idx += size; // the library accepts negative indices from the end
  con.splice(idx, 0, value);
  return undefined;
}

function containerRemove(con: Container, key: string): string | undefined {
  if (!Array.isArray(con)) {
    if (!hasOwn(con, key)) return `Unable to remove nonexistent key: ${key}: missing value`;
    delete con[key];
    return undefined;
  }
  let idx = atoi(key);
  if (typeof idx === 'string') return idx;
  if (idx >= con.length || idx < -con.length) return invalidIndex(idx);
  if (idx < 0) idx += con.length;
  con.splice(idx, 1);
  return undefined;
}

/**
 * Applies an RFC 6902 JSON patch the way kube-apiserver does (evanphx/json-patch v4). A body that
 * is not a list of operations is 400; more than 10000 operations is 413; an operation that fails
 * (a failed `test`, a missing path) is 422 {@link PatchApplyError}. Quirks of the library are kept:
 * `replace` of a missing object key adds it, and `copy` from a missing object key copies null.
 */
export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  const shape = jsonPatchShapeError(ops, true);
  if (shape !== undefined) throw errors.badRequest(shape);
  // The shape check above let through only a list of objects (or nulls), or nothing.
  const list: unknown[] = Array.isArray(ops) ? ops : [];
  if (list.length > MAX_JSON_PATCH_OPERATIONS) {
    throw errors.requestEntityTooLarge(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${list.length}`,
    );
  }
  const doc = cloneJson(target);
  if (!Array.isArray(doc) && !isObject(doc)) throw new PatchApplyError('invalid JSON document');
  for (const op of list) {
    const failure = applyOperation(doc, jsonObject(op) ?? {});
    if (failure !== undefined) throw new PatchApplyError(failure);
  }
  return doc;
}

function applyOperation(doc: Container, op: JsonObject): string | undefined {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  const path = typeof op.path === 'string' ? op.path : undefined;
  const from = typeof op.from === 'string' ? op.from : undefined;
  const hasValue = hasOwn(op, 'value');
  const value = hasValue ? cloneJson(op.value) : null;
  switch (kind) {
    case 'add': {
      if (path === undefined) return 'add operation failed to decode path: missing value';
      const at = findObject(doc, path);
      if (!at) return `add operation does not apply: doc is missing path: "${path}": missing value`;
      const err = containerAdd(at.con, at.key, value);
      return err && `error in add for path: '${path}': ${err}`;
    }
    case 'remove': {
      if (path === undefined) return 'remove operation failed to decode path: missing value';
      const at = findObject(doc, path);
      if (!at) return `remove operation does not apply: doc is missing path: "${path}": missing value`;
      const err = containerRemove(at.con, at.key);
      return err && `error in remove for path: '${path}': ${err}`;
    }
    case 'replace': {
      if (path === undefined) return 'replace operation failed to decode path: operation missing path field: missing value';
      const at = findObject(doc, path);
      if (!at) return `replace operation does not apply: doc is missing path: ${path}: missing value`;
      if (typeof containerGet(at.con, at.key) === 'string') {
        return `replace operation does not apply: doc is missing key: ${path}: missing value`;
      }
      if (Array.isArray(at.con)) at.con[Number(at.key)] = value;
      else setKey(at.con, at.key, value);
      return undefined;
    }
    case 'move': {
      if (from === undefined) return 'move operation failed to decode from: operation, missing from field: missing value';
      const src = findObject(doc, from);
      if (!src) return `move operation does not apply: doc is missing from path: ${from}: missing value`;
      const got = containerGet(src.con, src.key);
      if (typeof got === 'string') return `error in move for path: '${src.key}': ${got}`;
      const removed = containerRemove(src.con, src.key);
      if (removed) return `error in move for path: '${src.key}': ${removed}`;
      if (path === undefined) return 'move operation failed to decode path: operation missing path field: missing value';
      const dst = findObject(doc, path);
      if (!dst) return `move operation does not apply: doc is missing destination path: ${path}: missing value`;
      const err = containerAdd(dst.con, dst.key, got.value ?? null);
      return err && `error in move for path: '${path}': ${err}`;
    }
    case 'copy': {
      if (from === undefined) return 'copy operation failed to decode from: operation, missing from field: missing value';
      const src = findObject(doc, from);
      if (!src) return `copy operation does not apply: doc is missing from path: ${from}: missing value`;
      const got = containerGet(src.con, src.key);
      if (typeof got === 'string') return `error in copy for from: '${from}': ${got}`;
      if (path === undefined) return 'copy operation failed to decode path: missing value';
      const dst = findObject(doc, path);
      if (!dst) return `copy operation does not apply: doc is missing destination path: ${path}: missing value`;
      const err = containerAdd(dst.con, dst.key, cloneJson(got.value ?? null));
      return err && `error while adding value during copy: ${err}`;
    }
    case 'test': {
      if (path === undefined) return 'test operation failed to decode path: operation missing path field: missing value';
      const failed = `testing value ${path} failed: test failed`;
      if (path === '') return hasValue && jsonEqual(doc, op.value) ? undefined : failed;
      const at = findObject(doc, path);
      if (!at) return `test operation does not apply: is missing path: ${path}: missing value`;
      const got = containerGet(at.con, at.key);
      if (typeof got === 'string') return `error in test for path: '${path}': ${got}`;
      // A missing key and a null value are the same to the library; both pass only a null test.
      if (got.value === undefined || got.value === null) return hasValue && op.value === null ? undefined : failed;
      return hasValue && jsonEqual(got.value, op.value) ? undefined : failed;
    }
    default:
      return `Unexpected kind: ${kind}`;
  }
}

// ---------------------------------------------------------------------------------------------
// RFC 7386 JSON merge patch
// ---------------------------------------------------------------------------------------------

/**
 * Applies an RFC 7386 JSON merge patch: objects merge key by key, `null` deletes a key, anything
 * else replaces. As in kube-apiserver, a top-level `null` patch changes nothing, and nulls inside
 * newly added objects are dropped.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || patch === undefined) return cloneJson(target);
  if (!isObject(patch)) return cloneJson(patch);
  return mergeObjects(isObject(target) ? target : {}, patch);
}

function mergeObjects(target: JsonObject, patch: JsonObject): JsonObject {
  const out = cloneObject(target);
  for (const k of Object.keys(patch)) {
    const pv = patch[k];
    if (pv === null) {
      delete out[k];
      continue;
    }
    const cur = hasOwn(out, k) ? out[k] : undefined;
    if (isObject(cur) && isObject(pv)) setKey(out, k, mergeObjects(cur, pv));
    else if (isObject(cur)) setKey(out, k, cloneJson(pv)); // the library keeps a list patched over an object as sent
    else setKey(out, k, pruneNulls(cloneJson(pv)));
  }
  return out;
}

/** Drops null-valued keys of objects, also of objects nested in lists (evanphx pruneNulls). */
function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) {
    for (const x of v) pruneNulls(x);
  } else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else pruneNulls(v[k]);
    }
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch
// ---------------------------------------------------------------------------------------------

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

const badPrimitiveList = (): StatusError => errors.badRequest('invalid patch format of primitive list');
const badRetainKeys = (): StatusError => errors.badRequest('invalid patch format of retainKeys');
const badSetElementOrder = (): StatusError => errors.badRequest('invalid patch format of setElementOrder list');
/** mergepatch.ErrNoListOfLists: a 422 whose text the apiserver drops, like a failed JSON patch. */
const noListOfLists = (): StatusError => new PatchApplyError('lists of lists are not supported');

/** Go's %v of a decoded JSON value, as it appears in strategic merge patch errors. */
function goV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  if (isObject(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goV(v[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

/** Go's %s: strings as they are, other scalars in Go's "%!s(type=value)" form. */
function goS(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '%!s(<nil>)';
  if (typeof v === 'boolean' || typeof v === 'number') return `%!s(${goTypeName(v)}=${String(v)})`;
  return goV(v);
}

function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (isObject(v)) return 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

const badArgType = (expected: string, actual: unknown): StatusError =>
  unknownError(`expected a ${expected}, but received a ${goTypeName(actual)}`);
const noMergeKey = (m: unknown, key: string): StatusError =>
  unknownError(`map: ${goV(m)} does not contain declared merge key: ${key}`);

/**
 * Applies a strategic merge patch to an object of a built-in kind: lists tagged
 * `patchStrategy:"merge"` merge (objects by their merge key, scalars by value), all others are
 * replaced whole; `null` deletes a key; the directives `$patch` (replace, delete), `$retainKeys`,
 * `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>` are honoured. Element order
 * follows the library: `$setElementOrder`, then the patch's order, then the live order, so items
 * new to a list come before the live items that follow no patched item.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown, kind: string, apiGroup: string): unknown {
  if (patch === null || patch === undefined) return cloneJson(target);
  if (!isObject(patch)) {
    throw errors.badRequest(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`);
  }
  const schema = supportsStrategicMerge(kind, apiGroup) ? STRATEGIC_KINDS[kindKey(kind, apiGroup)] : metadataOnly;
  const original = isObject(target) ? cloneObject(target) : {};
  return mergeMap(original, cloneObject(patch), schema);
}

/**
 * Removes directives and null map values from a patch value stored as is (the apiserver's typed
 * decode drops both), in place; returns the value.
 */
function sanitize<T>(v: T): T {
  sanitizeValue(v);
  return v;
}

function sanitizeValue(v: unknown): void {
  if (Array.isArray(v)) {
    for (const x of v) sanitizeValue(x);
  } else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null || k === DIRECTIVE || k === RETAIN_KEYS || k.startsWith(`${SET_ELEMENT_ORDER}/`) || k.startsWith(`${DELETE_FROM_PRIMITIVE_LIST}/`)) {
        delete v[k];
      } else {
        sanitizeValue(v[k]);
      }
    }
  }
}

/** The schema of field `k` of an object described by `schema`, if the table has one. */
function fieldOf(schema: FieldSchema | undefined, k: string): FieldSchema | undefined {
  return schema?.fields && hasOwn(schema.fields, k) ? schema.fields[k] : undefined;
}

function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash < 0 || s.slice(0, slash) !== prefix) {
    throw prefix === DELETE_FROM_PRIMITIVE_LIST ? badPrimitiveList() : badSetElementOrder();
  }
  return s.slice(slash + 1);
}

// The functions below mirror strategicpatch's algorithm and mutate `original` and `patch`, which
// are private copies made by applyStrategicMergePatch.

function mergeMap(original: JsonObject, patch: JsonObject, schema: FieldSchema | undefined): JsonObject {
  if (hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return sanitize(patch);
    }
    if (directive === 'delete') return {};
    throw unknownError(`unknown patch type: ${goS(directive)} in map: ${goV(patch)}`);
  }
  applyRetainKeys(original, patch);
  mergeSetElementOrder(original, patch, schema);
  for (const patchKey of Object.keys(patch)) {
    const patchV = patch[patchKey];
    let k = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      k = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete original[k];
      continue;
    }
    // Absent in the original (even for a deletion list, as the library does): take the patch value.
    if (!hasOwn(original, k) || goTypeName(original[k]) !== goTypeName(patchV)) {
      setKey(original, k, sanitize(patchV));
      continue;
    }
    const origV = original[k];
    const field = fieldOf(schema, k);
    // Both values have the same Go type here (checked just above).
    if (isObject(origV) && isObject(patchV)) setKey(original, k, mergeMap(origV, patchV, field));
    else if (Array.isArray(origV) && Array.isArray(patchV)) setKey(original, k, mergeSliceHandler(origV, patchV, field, isDeleteList));
    else setKey(original, k, patchV);
  }
  return original;
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw badRetainKeys();
  const keep = new Set<unknown>(retain);
  for (const k of Object.keys(patch)) {
    if (patch[k] === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    // Every field the patch sets must be among the retained keys.
    if (!keep.has(k)) throw badRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** Merges each `$setElementOrder/<field>` with its list and orders the result by it. */
function mergeSetElementOrder(original: JsonObject, patch: JsonObject, schema: FieldSchema | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw badArgType('[]interface {}', order);
    const field = extractKey(key, SET_ELEMENT_ORDER);
    const foundOriginal = hasOwn(original, field);
    const foundPatch = hasOwn(patch, field);
    const originalList = foundOriginal ? original[field] : [];
    const patchList = foundPatch ? patch[field] : [];
    if (!Array.isArray(originalList)) throw badArgType('[]interface {}', originalList);
    if (!Array.isArray(patchList)) throw badArgType('[]interface {}', patchList);
    const meta = fieldOf(schema, field);
    const mergeKey = meta?.merge ? (meta.key ?? '') : '';
    validatePatchWithSetOrderList(patchList, order, mergeKey);
    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalList;
    else if (!foundOriginal && foundPatch) merged = sanitize(patchList);
    else if (foundOriginal && foundPatch) merged = mergeSliceHandler(originalList, patchList, meta, false);
    else continue;
    const [patchItems, serverOnly] = partition(merged, order, mergeKey);
    const kind = sliceElementType([originalList, patchList]);
    setKey(original, field, normalizeElementOrder(patchItems, serverOnly, order, originalList, mergeKey, kind));
    delete patch[field];
  }
}

function validatePatchWithSetOrderList(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  let nonDelete = patchList;
  if (mergeKey) {
    nonDelete = [];
    for (const v of patchList) {
      if (!isObject(v)) throw badArgType('map[string]interface {}', v);
      if (v[DIRECTIVE] !== 'delete') nonDelete.push(v);
    }
  }
  const keyOf = (v: unknown): unknown => {
    if (!mergeKey) return v;
    if (!isObject(v)) throw badArgType('map[string]interface {}', v);
    if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    return v[mergeKey];
  };
  let p = 0;
  let o = 0;
  while (p < nonDelete.length && o < order.length) {
    const item = nonDelete[p];
    if (isObject(item) && hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (keyOf(nonDelete[p]) === keyOf(order[o])) p++;
    o++;
  }
  if (p < nonDelete.length && o >= order.length) {
    throw unknownError(`The order in patch list:\n${goV(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goV(order)}\n`);
  }
}

function mergeSliceHandler(original: unknown[], patch: unknown[], field: FieldSchema | undefined, isDeleteList: boolean): unknown[] {
  if (!field?.merge) return sanitize(patch);
  return mergeSlice(original, patch, field, isDeleteList);
}

/** The common element type of the lists, in Go reflect terms: lists of lists are refused. */
function sliceElementType(lists: unknown[][]): string {
  let prev: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = goTypeName(v);
      if (prev === undefined) {
        if (t === '[]interface {}') throw noListOfLists();
        prev = t;
      } else if (prev !== t) {
        throw unknownError(`list element types are not identical: ${goV(lists)}`);
      }
    }
  }
  if (prev === undefined) throw unknownError('no elements in any of the given slices');
  return prev;
}

const MAP = 'map[string]interface {}';

/** The elements of a list of maps (its element type was found to be MAP). */
function maps(list: unknown[]): JsonObject[] {
  return list.map((v) => {
    if (!isObject(v)) throw badArgType(MAP, v);
    return v;
  });
}

function mergeSlice(original: unknown[], patch: unknown[], field: FieldSchema, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementType([original, patch]);
  const mergeKey = field.key ?? '';
  let merged: unknown[];
  let serverOrder = original;
  let patchOrder = patch;
  if (kind !== MAP) {
    if (isDeleteList) {
      const drop = new Set(patch);
      return original.filter((v) => !drop.has(v));
    }
    merged = [...new Set([...original, ...patch])];
  } else {
    if (!mergeKey) throw unknownError('cannot merge lists without merge key for type struct');
    const [server, rest] = mergeSliceWithSpecialElements(original, maps(patch), mergeKey);
    serverOrder = server;
    patchOrder = rest;
    merged = mergeSliceWithoutSpecialElements(server, rest, mergeKey, field);
  }
  const [patchItems, serverOnly] = partition(merged, patchOrder, mergeKey);
  return normalizeElementOrder(patchItems, serverOnly, patchOrder, serverOrder, mergeKey, kind);
}

/** Applies `$patch: delete` and `$patch: replace` list elements; returns the new original and the rest of the patch. */
function mergeSliceWithSpecialElements(original: unknown[], patch: JsonObject[], mergeKey: string): [unknown[], JsonObject[]] {
  const rest: JsonObject[] = [];
  let replace = false;
  for (const v of patch) {
    if (!hasOwn(v, DIRECTIVE)) {
      rest.push(v);
      continue;
    }
    const directive = v[DIRECTIVE];
    if (directive === 'delete') {
      if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
      original = original.filter((o) => !(isObject(o) && hasOwn(o, mergeKey) && o[mergeKey] === v[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw unknownError('merging lists cannot yet be specified in the patch');
    } else {
      throw unknownError(`unknown patch type: ${goS(directive)} in map: ${goV(v)}`);
    }
  }
  if (replace) return [sanitize(rest), []];
  return [original, rest];
}

function findByKey(list: unknown[], mergeKey: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (!isObject(v)) throw unknownError(`value for key ${i} is not a map.`);
    if (hasOwn(v, mergeKey) && v[mergeKey] === value) return i;
  }
  return -1;
}

function mergeSliceWithoutSpecialElements(original: unknown[], patch: JsonObject[], mergeKey: string, field: FieldSchema): unknown[] {
  // A copy: items appended here must not count as live items when ordering (the library's
  // append leaves the caller's slice as it was).
  const merged = original.slice();
  for (const v of patch) {
    if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    const at = findByKey(original, mergeKey, v[mergeKey]);
    const live = at >= 0 ? original[at] : undefined;
    // findByKey only finds maps.
    if (isObject(live)) merged[at] = mergeMap(live, v, field.fields ? { fields: field.fields } : undefined);
    else merged.push(sanitize(v));
  }
  return merged;
}

/** Splits items into those present in `by` (by merge key, or by value for scalars) and the rest. */
function partition(items: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  if (!mergeKey) {
    const set = new Set(by);
    for (const v of items) (set.has(v) ? inPatch : serverOnly).push(v);
    return [inPatch, serverOnly];
  }
  for (const v of items) {
    if (!isObject(v)) throw badArgType(MAP, v);
    if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    (findByKey(by, mergeKey, v[mergeKey]) >= 0 ? inPatch : serverOnly).push(v);
  }
  return [inPatch, serverOnly];
}

function indexIn(list: unknown[], item: unknown, mergeKey: string, kind: string): number {
  const val = (x: unknown): unknown => (kind === MAP ? (isObject(x) ? x[mergeKey] : undefined) : x);
  const want = val(item);
  for (let i = 0; i < list.length; i++) if (val(list[i]) === want) return i;
  return -1;
}

function normalizeSliceOrder(toSort: unknown[], order: unknown[], mergeKey: string, kind: string): unknown[] {
  let toDelete: unknown[] = [];
  if (kind === MAP) {
    for (const list of [toSort, order]) {
      for (const v of list) {
        if (!isObject(v)) throw badArgType(MAP, v);
        if (!hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
      }
    }
    const isDelete = (v: unknown): boolean => isObject(v) && v[DIRECTIVE] === 'delete';
    toDelete = toSort.filter(isDelete);
    toSort = toSort.filter((v) => !isDelete(v));
  }
  const keyed = toSort.map((v, i) => ({ v, i, at: indexIn(order, v, mergeKey, kind) }));
  keyed.sort((a, b) => a.at - b.at || a.i - b.i);
  return [...keyed.map((x) => x.v), ...toDelete];
}

/**
 * Orders patch items by `patchOrder` and live-only items by `serverOrder`, then interleaves
 * them: a live item goes first only while it precedes the next patch item in the live list.
 */
function normalizeElementOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string, kind: string): unknown[] {
  const right = normalizeSliceOrder(patchItems, patchOrder, mergeKey, kind);
  const left = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}
