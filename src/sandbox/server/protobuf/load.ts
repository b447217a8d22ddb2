// Kubernetes' published protobuf definitions (generated.proto of k8s.io/api, k8s.io/apimachinery
// and k8s.io/kube-aggregator, v0.31.4, kept as data under ./proto) and the Go struct facts beside them
// (fields.json, built by scripts/k8s-proto-fields.mjs). Parsed on the first protobuf request only,
// so the sandbox starts as fast without them.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** One Go struct field: protobuf field number, JSON name ('' when inlined), flags o/p/i. */
export type GoField = [number, string, string];

export interface ProtoSchema {
  root: protobuf.Root;
  /** Go struct fields by protobuf message full name (no leading dot), in Go declaration order. */
  goFields: Map<string, GoField[]>;
}

/** The API packages loaded: each imports what it needs from apimachinery. */
const API_PACKAGES = ['core/v1', 'apps/v1', 'batch/v1', 'policy/v1', 'coordination/v1', 'rbac/v1', 'storage/v1', 'scheduling/v1', 'networking/v1', 'discovery/v1', 'autoscaling/v1', 'autoscaling/v2', 'authentication/v1', 'authorization/v1', 'certificates/v1', 'events/v1'];

/** kube-aggregator's own (k8s.io/kube-aggregator v0.31.4): the APIService kube-apiserver serves. */
const AGGREGATOR_PACKAGES = ['apiregistration/v1'];

let schema: ProtoSchema | undefined;

export function protoSchema(): ProtoSchema {
  if (schema) return schema;
  const dir = protoDir();
  const root = new protobuf.Root();
  // The files import each other by their Go import paths ("k8s.io/api/core/v1/generated.proto").
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target));
  root.loadSync(
    [...API_PACKAGES.map((p) => `k8s.io/api/${p}/generated.proto`), ...AGGREGATOR_PACKAGES.map((p) => `k8s.io/kube-aggregator/pkg/apis/${p}/generated.proto`)],
    { keepCase: true },
  );
  root.resolveAll();
  const facts: unknown = JSON.parse(readFileSync(path.join(dir, 'fields.json'), 'utf8'));
  const goFields = new Map<string, GoField[]>();
  if (facts && typeof facts === 'object' && 'messages' in facts && facts.messages && typeof facts.messages === 'object') {
    for (const [name, fields] of Object.entries(facts.messages)) if (Array.isArray(fields)) goFields.set(name, fields.filter(isGoField));
  }
  schema = { root, goFields };
  return schema;
}

function isGoField(f: unknown): f is GoField {
  return Array.isArray(f) && f.length === 3 && typeof f[0] === 'number' && typeof f[1] === 'string' && typeof f[2] === 'string';
}

/**
 * The proto folder: beside this module when the build copied it (scripts/copy-proto-data.mjs),
 * else the source tree's (running from dist/ in a checkout).
 */
export function protoDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'proto'), path.resolve(here, '../../../../../src/sandbox/server/protobuf/proto')];
  const found = candidates.find((d) => existsSync(path.join(d, 'fields.json')));
  if (!found) throw new Error(`Kubernetes protobuf definitions not found (looked in ${candidates.join(', ')})`);
  return found;
}
