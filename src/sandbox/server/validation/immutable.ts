// Fields kube-apiserver refuses to change on update (each kind's ValidateXUpdate), as a table of
// rules (old, new) -> 422 causes in the apiserver's words.
import type { KubeObject, StatusCause } from '../../../api/types.js';
import { type JsonObject, jsonObject, jsonObjects } from '../json.js';
import { GoValue, forbidden, goStringMap, immutable, invalid } from './field.js';

export type UpdateRule = (old: KubeObject, next: KubeObject) => StatusCause[];

const spec = (o: KubeObject): JsonObject => jsonObject(o.spec) ?? {};
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(jsonObject(v) ?? {})) if (typeof x === 'string') out[k] = x;
  return out;
}

/** A metav1.LabelSelector the way Go's %#v prints it in field.Invalid. */
export function goLabelSelector(selector: unknown): GoValue {
  const s = jsonObject(selector) ?? {};
  const labels = jsonObject(s.matchLabels) ? goStringMap(stringMap(s.matchLabels)).text : 'map[string]string(nil)';
  const exprs = jsonObjects(s.matchExpressions);
  const expressions = exprs.length
    ? `[]v1.LabelSelectorRequirement{${exprs
        .map((e) => {
          const values = Array.isArray(e.values) ? `[]string{${e.values.map((v) => JSON.stringify(String(v))).join(', ')}}` : '[]string(nil)';
          return `v1.LabelSelectorRequirement{Key:${JSON.stringify(String(e.key ?? ''))}, Operator:${JSON.stringify(String(e.operator ?? ''))}, Values:${values}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoValue(`v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${expressions}}`);
}

const selectorImmutable: UpdateRule = (old, next) => (same(spec(old).selector, spec(next).selector) ? [] : [immutable('spec.selector', goLabelSelector(spec(next).selector))]);

const STATEFULSET_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];
const statefulSetSpec: UpdateRule = (old, next) => {
  const strip = (o: KubeObject) => Object.fromEntries(Object.entries(spec(o)).filter(([k]) => !STATEFULSET_MUTABLE.includes(k)));
  return same(strip(old), strip(next))
    ? []
    : [forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")];
};

const jobTemplate: UpdateRule = (old, next) => {
  const out: StatusCause[] = [];
  if (!same(spec(old).selector, spec(next).selector)) out.push(immutable('spec.selector', goLabelSelector(spec(next).selector)));
  if (!same(spec(old).template, spec(next).template)) out.push(immutable('spec.template', new GoValue('core.PodTemplateSpec{...}')));
  if (!same(spec(old).completions, spec(next).completions)) out.push(immutable('spec.completions', spec(next).completions ?? null));
  return out;
};

const serviceClusterIP: UpdateRule = (old, next) => {
  const before = spec(old).clusterIP;
  const after = spec(next).clusterIP;
  if (typeof before !== 'string' || before === '' || after === undefined || after === before) return [];
  return [invalid('spec.clusterIPs[0]', new GoValue(`[]string{${JSON.stringify(String(after))}}`), 'may not change once set')];
};

const IMMUTABLE_SET = 'field is immutable when `immutable` is set';
function immutableData(fields: string[]): UpdateRule {
  return (old, next) => {
    if (old.immutable !== true) return [];
    const out: StatusCause[] = [];
    if (next.immutable !== true) out.push(forbidden('immutable', IMMUTABLE_SET));
    for (const f of fields) if (!same(old[f], next[f])) out.push(forbidden(f, IMMUTABLE_SET));
    return out;
  };
}

const secretType: UpdateRule = (old, next) => (same(old.type ?? 'Opaque', next.type ?? 'Opaque') ? [] : [immutable('type', String(next.type ?? ''))]);

const pvcSpec: UpdateRule = (old, next) => {
  const before = spec(old);
  const strip = (o: KubeObject) => {
    const s = { ...spec(o) };
    delete s.volumeAttributesClassName;
    // The binder sets volumeName once, and a class-less claim may get its class once (kube's ValidatePersistentVolumeClaimUpdate).
    if (!before.volumeName) delete s.volumeName;
    if (before.storageClassName === undefined) delete s.storageClassName;
    return { ...s, resources: { ...jsonObject(s.resources), requests: undefined } };
  };
  return same(strip(old), strip(next)) ? [] : [forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims')];
};

/** The update rules of each kind. */
export const UPDATE_RULES: Readonly<Record<string, readonly UpdateRule[]>> = {
  Deployment: [selectorImmutable],
  ReplicaSet: [],
  DaemonSet: [selectorImmutable],
  StatefulSet: [statefulSetSpec],
  Job: [jobTemplate],
  Service: [serviceClusterIP],
  Secret: [secretType, immutableData(['data'])],
  ConfigMap: [immutableData(['data', 'binaryData'])],
  PersistentVolumeClaim: [pvcSpec],
};

/** What an update (not a status write) may not change: 422 causes, empty when allowed. */
export function validateUpdate(old: KubeObject, next: KubeObject): StatusCause[] {
  return (UPDATE_RULES[String(next.kind)] ?? []).flatMap((rule) => rule(old, next));
}
