// Comparing an archived object with one in a cluster, for verify, diff and restore's existing
// objects: both sides are brought to the same comparable form (what restore would send: server
// fields, status where the API ignores it, allocations and controller bookkeeping dropped), then
// compared field by field. Pure.
import type { KubeObject } from '../api/types.js';
import { prepareForRestore } from './restore/prepare.js';
import { isJsonObject } from '../util/json.js';

/** Annotations controllers write on objects they manage: state, not the user's intent. */
export const CONTROLLER_ANNOTATIONS = [
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'pv.kubernetes.io/provisioned-by',
  'volume.kubernetes.io/selected-node',
  'volume.kubernetes.io/storage-provisioner',
  'volume.beta.kubernetes.io/storage-provisioner',
  'endpoints.kubernetes.io/last-change-trigger-time',
  'control-plane.alpha.kubernetes.io/leader',
];

export interface ComparableOptions {
  groupResource: string;
  hasStatusSubresource: boolean;
}

export function comparable(o: KubeObject, options: ComparableOptions): KubeObject {
  const c = prepareForRestore(o, { ...options, preserveNodePorts: false, volumeRestored: () => false });
  const annotations = c.metadata.annotations;
  if (annotations) {
    for (const a of CONTROLLER_ANNOTATIONS) delete annotations[a];
    if (!Object.keys(annotations).length) delete c.metadata.annotations;
  }
  if (c.metadata.labels && !Object.keys(c.metadata.labels).length) delete c.metadata.labels;
  return c;
}

/** Deep equality of JSON values (key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (!isJsonObject(a) || !isJsonObject(b)) return false;
  const [ao, bo] = [a, b];
  const keys = Object.keys(ao).filter((k) => ao[k] !== undefined);
  if (keys.length !== Object.keys(bo).filter((k) => bo[k] !== undefined).length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]));
}

/**
 * The paths where two JSON values differ ("spec.replicas", "data.key", "spec.ports[0]"), in
 * key order, at most `limit` of them.
 */
export function diffPaths(a: unknown, b: unknown, limit = 20): string[] {
  const out: string[] = [];
  walk(a, b, '', out, limit);
  return out;
}

function walk(a: unknown, b: unknown, path: string, out: string[], limit: number): void {
  if (out.length >= limit || jsonEqual(a, b)) return;
  if (isJsonObject(a) && isJsonObject(b)) {
    const [ao, bo] = [a, b];
    for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) {
      walk(ao[k], bo[k], path ? `${path}.${k}` : k, out, limit);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) walk(a[i], b[i], `${path}[${i}]`, out, limit);
    return;
  }
  out.push(path || '(object)');
}

/**
 * A JSON merge patch (RFC 7386) that turns `from` into `to`, or undefined when they are equal.
 * Arrays are replaced whole (merge patch cannot edit them); a field `to` lacks is set to null.
 */
export function mergePatch(from: unknown, to: unknown): unknown {
  if (jsonEqual(from, to)) return undefined;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(from) || !isObject(to)) return to === undefined ? null : to;
  const patch: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(from), ...Object.keys(to)])) {
    if (to[k] === undefined) {
      if (from[k] !== undefined) patch[k] = null;
      continue;
    }
    const p = mergePatch(from[k], to[k]);
    if (p !== undefined) patch[k] = p;
  }
  return patch;
}
