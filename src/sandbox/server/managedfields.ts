// Server-side apply field ownership (kube's fieldmanager over structured-merge-diff, the parts
// clients notice): each manager's fields as FieldsV1, conflicts when an applier changes a field
// another manager owns (409 listing them), --force-conflicts taking them over, and fields an
// applier owned alone removed when its next apply leaves them out.
import { StatusError } from '../../api/status.js';
import type { KubeObject, ObjectMeta, StatusCause } from '../../api/types.js';
import { type JsonObject, isJsonObject, jsonObject } from './json.js';
import { type FieldType, type SchemaLookup, builtinSchema } from './validation/schema.js';

export type ManagedFieldsEntry = NonNullable<ObjectMeta['managedFields']>[number];
/** A field path in FieldsV1 keys: "f:spec", "k:{\"name\":\"app\"}", "." (the list item itself). */
type Path = string[];

const SEP = '\u0001';
const IGNORED_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink']);

function childType(t: FieldType | undefined, key: string, schema: SchemaLookup): FieldType | undefined {
  if (t?.type === 'object') return schema.fields(t.name)?.get(key);
  if (t?.type === 'map') return t.values;
  return undefined;
}

function itemKey(item: JsonObject, keys: string[]): string {
  const k: JsonObject = {};
  for (const name of [...keys].sort()) if (item[name] !== undefined) k[name] = item[name];
  return `k:${JSON.stringify(k)}`;
}

function collect(v: unknown, t: FieldType | undefined, schema: SchemaLookup, prefix: Path, out: Path[]): void {
  if (isJsonObject(v) && t?.type !== 'any' && t?.type !== 'quantity') {
    const entries = Object.entries(v);
    if (!entries.length && prefix.length) out.push(prefix);
    for (const [k, x] of entries) collect(x, childType(t, k, schema), schema, [...prefix, `f:${k}`], out);
    return;
  }
  if (Array.isArray(v) && t?.type === 'array' && t.keys.length && v.every(isJsonObject)) {
    for (const item of v) {
      const key = [...prefix, itemKey(item, t.keys)];
      out.push([...key, '.']);
      for (const [k, x] of Object.entries(item)) collect(x, childType(t.items, k, schema), schema, [...key, `f:${k}`], out);
    }
    return;
  }
  out.push(prefix);
}

/** The fields an object sets, as paths (apiVersion, kind, status and server-owned metadata left out). */
export function fieldPaths(o: JsonObject, schema: SchemaLookup = builtinSchema(), subresource?: string): Path[] {
  const root = schema.kind(String(o.apiVersion), String(o.kind));
  const out: Path[] = [];
  for (const [k, x] of Object.entries(o)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if ((k === 'status') !== (subresource === 'status')) continue;
    if (k === 'metadata') {
      for (const [mk, mx] of Object.entries(jsonObject(x) ?? {})) {
        if (!IGNORED_METADATA.has(mk)) collect(mx, childType(childType(root, 'metadata', schema), mk, schema), schema, ['f:metadata', `f:${mk}`], out);
      }
      continue;
    }
    collect(x, childType(root, k, schema), schema, [`f:${k}`], out);
  }
  return out;
}

/** Paths to FieldsV1 and back. */
export function toFieldsV1(paths: Iterable<Path>): JsonObject {
  const root: JsonObject = {};
  for (const p of paths) {
    let node = root;
    for (const seg of p) {
      const next = jsonObject(node[seg]) ?? {};
      node[seg] = next;
      node = next;
    }
  }
  return root;
}

export function fromFieldsV1(f: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  const o = jsonObject(f);
  if (!o) return out;
  const keys = Object.keys(o);
  if (!keys.length && prefix.length) out.push(prefix);
  for (const k of keys) fromFieldsV1(o[k], [...prefix, k], out);
  return out;
}

/** The value at a path, or undefined. */
function valueAt(v: unknown, path: Path): unknown {
  let cur = v;
  for (const seg of path) {
    if (seg === '.') return cur;
    if (seg.startsWith('f:')) cur = jsonObject(cur)?.[seg.slice(2)];
    else if (seg.startsWith('k:')) {
      const key = jsonObject(JSON.parse(seg.slice(2))) ?? {};
      cur = Array.isArray(cur) ? cur.find((item) => isJsonObject(item) && Object.entries(key).every(([k, x]) => JSON.stringify(item[k]) === JSON.stringify(x))) : undefined;
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Removes the field (or list item, for a path ending in ".") at a path, in place. */
function removeAt(v: unknown, path: Path): void {
  const last = path[path.length - 1];
  if (last === '.') {
    const list = valueAt(v, path.slice(0, -2));
    const item = valueAt(v, path.slice(0, -1));
    if (Array.isArray(list)) {
      const i = list.indexOf(item);
      if (i >= 0) list.splice(i, 1);
    }
    return;
  }
  const parent = jsonObject(valueAt(v, path.slice(0, -1)));
  if (parent && last.startsWith('f:')) delete parent[last.slice(2)];
}

/** ".spec.template.spec.containers[name=\"app\"].image", as kube prints a conflicting field. */
export function printPath(path: Path): string {
  return path
    .filter((s) => s !== '.')
    .map((s) => {
      if (s.startsWith('f:')) return `.${s.slice(2)}`;
      const key = jsonObject(JSON.parse(s.slice(2))) ?? {};
      return `[${Object.entries(key).map(([k, x]) => `${k}=${JSON.stringify(x)}`).join(',')}]`;
    })
    .join('');
}

const str = (p: Path) => p.join(SEP);
const unstr = (s: string): Path => s.split(SEP);

function entry(manager: string, operation: 'Apply' | 'Update', apiVersion: string, time: string, paths: Iterable<Path>, subresource?: string): ManagedFieldsEntry {
  const e: ManagedFieldsEntry = { manager, operation, apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(paths) };
  if (subresource) e.subresource = subresource;
  return e;
}

export interface ApplyInput {
  manager: string;
  apiVersion: string;
  time: string;
  force: boolean;
  /** The applied configuration as sent. */
  applied: JsonObject;
  live: KubeObject;
  /** live with the applied configuration merged in. */
  merged: KubeObject;
  schema?: SchemaLookup;
}

/**
 * Server-side apply's ownership step: refuses conflicts (409) unless forced, removes fields the
 * manager alone owned and no longer applies, and returns the object with its new managedFields.
 */
export function applyOwnership(a: ApplyInput): KubeObject {
  const schema = a.schema ?? builtinSchema();
  const applied = fieldPaths({ ...a.applied, apiVersion: a.live.apiVersion, kind: a.live.kind }, schema);
  const appliedSet = new Set(applied.map(str));
  const entries = a.live.metadata.managedFields ?? [];
  const conflicts: Array<{ manager: string; apiVersion: string; path: Path }> = [];
  const others = entries.filter((e) => !(e.manager === a.manager && e.operation === 'Apply') && !e.subresource);
  const next: ManagedFieldsEntry[] = [];
  for (const e of others) {
    const theirs = fromFieldsV1(e.fieldsV1);
    const lost = new Set<string>();
    for (const p of theirs) {
      if (!appliedSet.has(str(p)) || p[p.length - 1] === '.') continue;
      if (JSON.stringify(valueAt(a.applied, p)) !== JSON.stringify(valueAt(a.live, p))) {
        conflicts.push({ manager: e.manager ?? '', apiVersion: e.apiVersion ?? '', path: p });
        lost.add(str(p));
      }
    }
    const kept = theirs.filter((p) => !lost.has(str(p)));
    if (kept.length) next.push(lost.size ? { ...e, fieldsV1: toFieldsV1(kept) } : e);
  }
  if (conflicts.length && !a.force) throw conflictError(conflicts);
  const previous = entries.find((e) => e.manager === a.manager && e.operation === 'Apply' && !e.subresource);
  const ownedByOthers = new Set(next.flatMap((e) => fromFieldsV1(e.fieldsV1).map(str)));
  const result: KubeObject = structuredClone(a.merged);
  for (const p of fromFieldsV1(previous?.fieldsV1)) {
    const s = str(p);
    if (!appliedSet.has(s) && !ownedByOthers.has(s)) removeAt(result, p);
  }
  result.metadata.managedFields = [...next, entry(a.manager, 'Apply', a.apiVersion, a.time, applied)];
  return result;
}

/**
 * An update's ownership step (create, PUT, non-apply patches): the manager takes the fields
 * whose values it changed (all it set, on create); other managers lose them.
 */
export function updateOwnership(manager: string, apiVersion: string, time: string, old: KubeObject | undefined, next: KubeObject, subresource?: string, schema: SchemaLookup = builtinSchema()): ManagedFieldsEntry[] {
  const paths = fieldPaths(next, schema, subresource);
  const changed = old ? paths.filter((p) => JSON.stringify(valueAt(old, p)) !== JSON.stringify(valueAt(next, p))) : paths;
  const changedSet = new Set(changed.map(str));
  const entries = old?.metadata.managedFields ?? [];
  const out: ManagedFieldsEntry[] = [];
  let mine: string[] = [];
  for (const e of entries) {
    const theirs = fromFieldsV1(e.fieldsV1).map(str);
    if (e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === (subresource ?? '')) {
      mine = theirs;
      continue;
    }
    if ((e.subresource ?? '') !== (subresource ?? '')) {
      out.push(e);
      continue;
    }
    const kept = theirs.filter((s) => !changedSet.has(s));
    if (kept.length === theirs.length) out.push(e);
    else if (kept.length) out.push({ ...e, fieldsV1: toFieldsV1(kept.map(unstr)) });
  }
  const all = new Set([...mine, ...changedSet]);
  if (all.size || !old) out.push(entry(manager, 'Update', apiVersion, time, [...all].map(unstr), subresource));
  return out;
}

function conflictError(conflicts: Array<{ manager: string; apiVersion: string; path: Path }>): StatusError {
  const groups = new Map<string, { manager: string; apiVersion: string; paths: Path[] }>();
  for (const c of conflicts) {
    const k = JSON.stringify([c.manager, c.apiVersion]);
    const g = groups.get(k) ?? { manager: c.manager, apiVersion: c.apiVersion, paths: [] };
    g.paths.push(c.path);
    groups.set(k, g);
  }
  const parts: string[] = [];
  for (const { manager, apiVersion, paths } of groups.values()) {
    const who = `${JSON.stringify(manager)} using ${apiVersion}`;
    parts.push(paths.length === 1 ? `conflict with ${who}: ${printPath(paths[0])}` : `conflicts with ${who}:\n${paths.map((p) => `- ${printPath(p)}`).join('\n')}`);
  }
  const n = conflicts.length;
  const causes: StatusCause[] = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${JSON.stringify(c.manager)} using ${c.apiVersion}`, field: printPath(c.path) }));
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${parts.join('\n')}`,
    reason: 'Conflict',
    details: { causes },
    code: 409,
  });
}

/** The managedFields of a new object: the creator owns what it set (Update) or applied (Apply). */
export function createOwnership(manager: string, operation: 'Apply' | 'Update', apiVersion: string, time: string, fields: JsonObject, schema: SchemaLookup = builtinSchema()): ManagedFieldsEntry[] {
  return [entry(manager, operation, apiVersion, time, fieldPaths(fields, schema))];
}
