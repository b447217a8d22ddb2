// What kube-apiserver's validation refuses, per kind, as a table of small rules: each takes the
// object about to be stored and returns 422 causes in the apiserver's words (empty when valid).
import type { KubeObject, StatusCause } from '../../../api/types.js';
import { labelSelectorFromObject } from '../../../api/labels.js';
import { parseQuantity } from '../../controllers/scheduling.js';
import { type JsonObject, jsonObject, jsonObjects } from '../json.js';
import { forbidden, goStringMap, invalid, notSupported, required } from './field.js';
import { configMapKey, each, qualifiedName, validateAnnotations, validateLabels } from './names.js';
import { TAINT_EFFECTS, portNumber, validatePodSpec } from './podspec.js';
import { isAPIService, validateAPIService } from '../apiservices.js';

export type Rule = (o: KubeObject) => StatusCause[];

const spec = (o: KubeObject): JsonObject => jsonObject(o.spec) ?? {};
const templateSpec = (o: KubeObject): JsonObject | undefined => jsonObject(jsonObject(spec(o).template)?.spec);

/** metadata.labels and metadata.annotations (every kind). */
const metadataRule: Rule = (o) => [...validateLabels('metadata.labels', o.metadata.labels), ...validateAnnotations('metadata.annotations', o.metadata.annotations)];

function nonNegative(field: string, v: unknown): StatusCause[] {
  return typeof v === 'number' && v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}

const replicasRule: Rule = (o) => nonNegative('spec.replicas', spec(o).replicas);

/** A workload's selector is required, valid, and selects its own pod template. */
const selectorRule: Rule = (o) => {
  const s = jsonObject(spec(o).selector);
  if (!s) return [required('spec.selector')];
  if (!jsonObject(s.matchLabels) && !jsonObjects(s.matchExpressions).length) {
    return [invalid('spec.selector', s, `empty selector is invalid for ${String(o.kind).toLowerCase()}`)];
  }
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(jsonObject(jsonObject(jsonObject(spec(o).template)?.metadata)?.labels) ?? {})) if (typeof v === 'string') labels[k] = v;
  try {
    if (!labelSelectorFromObject(s).matches(labels)) {
      return [invalid('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`')];
    }
  } catch (e) {
    return [invalid('spec.selector', s, e instanceof Error ? e.message : String(e))];
  }
  return [];
};

const templateRule = (allowed: readonly string[]): Rule => (o) => {
  const ts = templateSpec(o);
  const out = validatePodSpec(ts, 'spec.template.spec');
  const policy = ts?.restartPolicy;
  if (policy !== undefined && !allowed.includes(String(policy))) out.push(notSupported('spec.template.spec.restartPolicy', policy, allowed));
  return out;
};

const podRule: Rule = (o) => validatePodSpec(jsonObject(o.spec), 'spec');

const nodeRule: Rule = (o) => {
  const out: StatusCause[] = [];
  jsonObjects(spec(o).taints).forEach((t, i) => {
    const f = `spec.taints[${i}]`;
    if (typeof t.key !== 'string' || t.key === '') out.push(required(`${f}.key`));
    else out.push(...each(`${f}.key`, t.key, qualifiedName(t.key)));
    if (t.effect === undefined || t.effect === '') out.push(required(`${f}.effect`));
    else if (!TAINT_EFFECTS.includes(String(t.effect))) out.push(notSupported(`${f}.effect`, t.effect, TAINT_EFFECTS));
  });
  const status = jsonObject(o.status) ?? {};
  for (const which of ['capacity', 'allocatable']) {
    for (const [name, q] of Object.entries(jsonObject(status[which]) ?? {})) {
      if (parseQuantity(q) < 0) out.push(invalid(`status.${which}.${name}`, String(q), 'must be greater than or equal to 0'));
    }
  }
  return out;
};

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const serviceRule: Rule = (o) => {
  const s = spec(o);
  const out: StatusCause[] = [];
  const type = s.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(String(type))) out.push(notSupported('spec.type', type, SERVICE_TYPES));
  const ports = jsonObjects(s.ports);
  if (type !== 'ExternalName' && s.clusterIP !== 'None' && ports.length === 0) out.push(required('spec.ports'));
  if (type === 'ExternalName' && (typeof s.externalName !== 'string' || s.externalName === '')) out.push(required('spec.externalName'));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const f = `spec.ports[${i}]`;
    if (ports.length > 1 && (typeof p.name !== 'string' || p.name === '')) out.push(required(`${f}.name`));
    if (typeof p.name === 'string' && p.name !== '') {
      if (names.has(p.name)) out.push({ reason: 'FieldValueDuplicate', field: `${f}.name`, message: `Duplicate value: ${JSON.stringify(p.name)}` });
      names.add(p.name);
    }
    if (p.port === undefined) out.push(required(`${f}.port`));
    else out.push(...portNumber(`${f}.port`, p.port));
    if (p.protocol !== undefined && !['SCTP', 'TCP', 'UDP'].includes(String(p.protocol))) out.push(notSupported(`${f}.protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
    if (typeof p.targetPort === 'number') out.push(...portNumber(`${f}.targetPort`, p.targetPort));
    if (typeof p.nodePort === 'number' && p.nodePort !== 0 && type === 'ClusterIP') out.push(forbidden(`${f}.nodePort`, 'may not be used when `type` is \'ClusterIP\''));
  });
  if (s.sessionAffinity !== undefined && !['ClientIP', 'None'].includes(String(s.sessionAffinity))) out.push(notSupported('spec.sessionAffinity', s.sessionAffinity, ['ClientIP', 'None']));
  return out;
};

/** An int-or-string budget field: a non-negative integer or a percentage. */
function intOrPercent(field: string, v: unknown): StatusCause[] {
  if (typeof v === 'number') return nonNegative(field, v);
  if (typeof v === 'string') {
    const m = /^(\d+)%$/.exec(v);
    if (!m) return [invalid(field, v, 'a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')')];
    if (Number(m[1]) > 100) return [invalid(field, v, 'must not be greater than 100%')];
  }
  return [];
}

const pdbRule: Rule = (o) => {
  const s = spec(o);
  const out = [...intOrPercent('spec.minAvailable', s.minAvailable), ...intOrPercent('spec.maxUnavailable', s.maxUnavailable)];
  if (s.minAvailable !== undefined && s.maxUnavailable !== undefined) out.push(invalid('spec', s, 'minAvailable and maxUnavailable cannot be both set'));
  if (s.unhealthyPodEvictionPolicy !== undefined && !['IfHealthyBudget', 'AlwaysAllow'].includes(String(s.unhealthyPodEvictionPolicy))) {
    out.push(notSupported('spec.unhealthyPodEvictionPolicy', s.unhealthyPodEvictionPolicy, ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return out;
};

function dataKeys(o: KubeObject, fields: string[]): StatusCause[] {
  const out: StatusCause[] = [];
  const seen = new Map<string, string>();
  for (const field of fields) {
    for (const k of Object.keys(jsonObject(o[field]) ?? {})) {
      out.push(...each(`${field}[${k}]`, k, configMapKey(k)));
      const other = seen.get(k);
      if (other) out.push(invalid(`${field}[${k}]`, k, `duplicate of key present in ${other}`));
      seen.set(k, field);
    }
  }
  return out;
}

const configMapRule: Rule = (o) => dataKeys(o, ['data', 'binaryData']);
const secretRule: Rule = (o) => {
  const out = dataKeys(o, ['data']);
  if (o.type === 'kubernetes.io/service-account-token' && !o.metadata.annotations?.['kubernetes.io/service-account.name']) {
    out.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
  }
  if (o.type === 'kubernetes.io/dockerconfigjson' && !jsonObject(o.data)?.['.dockerconfigjson']) out.push(required('data[.dockerconfigjson]'));
  if (o.type === 'kubernetes.io/tls') {
    for (const k of ['tls.crt', 'tls.key']) if (jsonObject(o.data)?.[k] === undefined) out.push(required(`data[${k}]`));
  }
  return out;
};

const CONCURRENCY = ['Allow', 'Forbid', 'Replace'];
const cronJobRule: Rule = (o) => {
  const s = spec(o);
  const out: StatusCause[] = [];
  if (typeof s.schedule !== 'string' || s.schedule === '') out.push(required('spec.schedule'));
  else if (s.schedule.trim().split(/\s+/).length !== 5 && !s.schedule.startsWith('@')) {
    out.push(invalid('spec.schedule', s.schedule, `expected exactly 5 fields, found ${s.schedule.trim().split(/\s+/).length}: ${s.schedule}`));
  }
  if (s.concurrencyPolicy !== undefined && !CONCURRENCY.includes(String(s.concurrencyPolicy))) out.push(notSupported('spec.concurrencyPolicy', s.concurrencyPolicy, CONCURRENCY));
  out.push(...nonNegative('spec.successfulJobsHistoryLimit', s.successfulJobsHistoryLimit), ...nonNegative('spec.failedJobsHistoryLimit', s.failedJobsHistoryLimit));
  const jt = jsonObject(jsonObject(s.jobTemplate)?.spec);
  const ts = jsonObject(jsonObject(jt?.template)?.spec);
  out.push(...validatePodSpec(ts, 'spec.jobTemplate.spec.template.spec'));
  if (ts && !['OnFailure', 'Never'].includes(String(ts.restartPolicy))) {
    out.push(required('spec.jobTemplate.spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"'));
  }
  return out;
};

const jobRule: Rule = (o) => {
  const s = spec(o);
  const ts = templateSpec(o);
  const out = [...validatePodSpec(ts, 'spec.template.spec')];
  if (ts && !['OnFailure', 'Never'].includes(String(ts.restartPolicy))) out.push(required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"'));
  for (const f of ['parallelism', 'completions', 'backoffLimit']) out.push(...nonNegative(`spec.${f}`, s[f]));
  return out;
};

const PVC_ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const pvcRule: Rule = (o) => {
  const s = spec(o);
  const out: StatusCause[] = [];
  const modes = Array.isArray(s.accessModes) ? s.accessModes : [];
  if (modes.length === 0) out.push(required('spec.accessModes', 'at least 1 access mode is required'));
  for (const m of modes) if (!PVC_ACCESS_MODES.includes(String(m))) out.push(notSupported('spec.accessModes', m, PVC_ACCESS_MODES));
  const storage = jsonObject(jsonObject(s.resources)?.requests)?.storage;
  if (storage === undefined && !s.dataSourceRef) out.push(required('spec.resources[storage]'));
  else if (storage !== undefined && parseQuantity(storage) <= 0) out.push(invalid('spec.resources[storage]', String(storage), 'must be greater than zero'));
  return out;
};

const namespaceRule: Rule = (o) => {
  const finalizers = jsonObject(o.spec)?.finalizers;
  return Array.isArray(finalizers) ? finalizers.flatMap((f, i) => (typeof f === 'string' ? each(`spec.finalizers[${i}]`, f, qualifiedName(f)) : [])) : [];
};

const STATEFULSET_POLICIES = ['OrderedReady', 'Parallel'];
const statefulSetRule: Rule = (o) => {
  const s = spec(o);
  return s.podManagementPolicy !== undefined && !STATEFULSET_POLICIES.includes(String(s.podManagementPolicy))
    ? [notSupported('spec.podManagementPolicy', s.podManagementPolicy, STATEFULSET_POLICIES)]
    : [];
};

const priorityClassRule: Rule = (o) => (typeof o.value === 'number' && o.value > 1_000_000_000 && !String(o.metadata.name).startsWith('system-') ? [forbidden('value', 'maximum allowed value of a user defined priority is 1000000000')] : []);

const workload = (restart: readonly string[]): Rule[] => [replicasRule, selectorRule, templateRule(restart)];

/** The rules of each kind (metadata rules apply to all). */
export const RULES: Readonly<Record<string, readonly Rule[]>> = {
  Pod: [podRule],
  Node: [nodeRule],
  Namespace: [namespaceRule],
  Service: [serviceRule],
  ConfigMap: [configMapRule],
  Secret: [secretRule],
  Deployment: workload(['Always']),
  ReplicaSet: workload(['Always']),
  DaemonSet: [selectorRule, templateRule(['Always'])],
  StatefulSet: [...workload(['Always']), statefulSetRule],
  Job: [jobRule],
  CronJob: [cronJobRule],
  PodDisruptionBudget: [pdbRule],
  PersistentVolumeClaim: [pvcRule],
  PriorityClass: [priorityClassRule],
  APIService: [(o) => (isAPIService(o) ? validateAPIService(o) : [])],
};

/** Validation of an object about to be stored (create or update): 422 causes, empty when valid. */
export function validateObject(o: KubeObject): StatusCause[] {
  const out = metadataRule(o);
  for (const rule of RULES[String(o.kind)] ?? []) out.push(...rule(o));
  return out;
}

