// Validating a scenario file as a whole before a sandbox starts from it: every problem gets a
// path the way kube-apiserver names fields (`spec.nodes[3].capacity.cpu: Invalid value: "lots":
// ...`), counts are bounded with the limit in the message (a count of 10^9 must not be expanded
// before it is refused), names are what Kubernetes accepts, and an object's namespace exists
// (a built-in one or a Namespace the file declares). Pure; parseScenario throws the first error
// with the number of the others.
import { labelKeyErrors, labelValueErrors } from '../../api/labels.js';
import { isJsonObject } from '../server/json.js';

/** Limits a sandbox can hold in one process (the built-in "large" scenario has 1,001 nodes, bench/apiserver.ts 5,001). */
export const SCENARIO_LIMITS = { nodes: 10_000, objects: 100_000, replicas: 100_000 } as const;

// Kubernetes' name formats (apimachinery validation: IsDNS1123Subdomain, IsDNS1123Label).
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// resource.Quantity's grammar: a signed decimal with an optional binary or decimal suffix.
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
/** Namespaces every cluster has before the scenario's objects are created. */
export const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** Kinds the sandbox serves without a namespace (others are namespaced). */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'StorageClass',
  'CustomResourceDefinition', 'APIService', 'RuntimeClass', 'IngressClass', 'CSIDriver', 'CSINode', 'VolumeAttachment',
  'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
]);

type Errors = string[];

function invalid(errs: Errors, path: string, value: unknown, detail: string): void {
  errs.push(`${path}: Invalid value: ${shown(value)}: ${detail}`);
}

/** A value as an error shows it: short, on one line (a name with a newline stays one line). */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : isJsonObject(value) ? 'a mapping' : Array.isArray(value) ? 'a list' : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function nameErrors(errs: Errors, path: string, value: unknown, format: 'subdomain' | 'label'): void {
  if (typeof value !== 'string') return invalid(errs, path, value, 'must be a string');
  const [re, max, what] = format === 'subdomain' ? [DNS1123_SUBDOMAIN, 253, 'a lowercase RFC 1123 subdomain'] : [DNS1123_LABEL, 63, 'a lowercase RFC 1123 label'];
  if (value.length > max) return invalid(errs, path, value, `must be no more than ${max} characters`);
  if (!re.test(value)) invalid(errs, path, value, `must be ${what}: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character (e.g. 'example.com')`);
}

function quantityErrors(errs: Errors, path: string, value: unknown, resource: string): void {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !QUANTITY.test(text)) return invalid(errs, path, value, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  if (text.startsWith('-')) return invalid(errs, path, value, 'must be greater than or equal to 0');
  if (resource === 'pods' && !/^\+?\d+$/.test(text)) invalid(errs, path, value, 'must be a whole number of pods');
}

function mapErrors(errs: Errors, path: string, value: unknown, check: (key: string, v: unknown) => void): void {
  if (value === undefined) return;
  if (!isJsonObject(value)) return invalid(errs, path, value, 'must be a mapping');
  for (const [k, v] of Object.entries(value)) check(k, v);
}

function taintErrors(errs: Errors, path: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) return invalid(errs, path, value, 'must be a list of taints ({key, value, effect})');
  value.forEach((t, i) => {
    const p = `${path}[${i}]`;
    if (!isJsonObject(t)) return invalid(errs, p, t, 'must be a taint ({key, value, effect})');
    if (typeof t.key !== 'string' || labelKeyErrors(t.key).length) invalid(errs, `${p}.key`, t.key, 'must be a qualified name (e.g. example.com/dedicated)');
    if (t.value !== undefined && (typeof t.value !== 'string' || labelValueErrors(t.value).length)) invalid(errs, `${p}.value`, t.value, 'must be a valid label value');
    if (!TAINT_EFFECTS.includes(String(t.effect))) errs.push(`${p}.effect: Unsupported value: ${shown(t.effect)}: supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`);
  });
}

/** One entry of spec.nodes; returns how many nodes it makes (0 when its count is unusable). */
function nodeEntryErrors(errs: Errors, path: string, n: unknown): number {
  if (!isJsonObject(n)) {
    invalid(errs, path, n, 'must be a mapping');
    return 0;
  }
  if (n.name === undefined && n.namePrefix === undefined) errs.push(`${path}: Required value: name or namePrefix`);
  if (n.name !== undefined) nameErrors(errs, `${path}.name`, n.name, 'subdomain');
  let count = n.name !== undefined ? 1 : 0;
  if (n.namePrefix !== undefined) {
    if (typeof n.namePrefix !== 'string') invalid(errs, `${path}.namePrefix`, n.namePrefix, 'must be a string');
    else nameErrors(errs, `${path}.namePrefix`, `${n.namePrefix}1`, 'subdomain');
    if (!Number.isSafeInteger(n.count) || Number(n.count) < 1) invalid(errs, `${path}.count`, n.count, 'must be a positive whole number');
    else if (Number(n.count) > SCENARIO_LIMITS.nodes) invalid(errs, `${path}.count`, n.count, `must be at most ${SCENARIO_LIMITS.nodes} (the sandbox's node limit)`);
    else count = Number(n.count);
  }
  if (n.role !== undefined && n.role !== 'control-plane' && n.role !== 'worker') errs.push(`${path}.role: Unsupported value: ${shown(n.role)}: supported values: "control-plane", "worker"`);
  for (const f of ['version', 'controlPlaneVersion']) {
    if (n[f] !== undefined && !VERSION.test(String(n[f]))) invalid(errs, `${path}.${f}`, n[f], 'must be a version like v1.31.4');
  }
  mapErrors(errs, `${path}.capacity`, n.capacity, (k, v) => quantityErrors(errs, `${path}.capacity.${k}`, v, k));
  mapErrors(errs, `${path}.labels`, n.labels, (k, v) => {
    if (labelKeyErrors(k).length) invalid(errs, `${path}.labels`, k, 'must be a qualified name (e.g. example.com/zone)');
    if (typeof v !== 'string' || labelValueErrors(v).length) invalid(errs, `${path}.labels.${k}`, v, 'must be a valid label value (a string of at most 63 characters)');
  });
  taintErrors(errs, `${path}.taints`, n.taints);
  return count;
}

function nodesErrors(errs: Errors, nodes: unknown): void {
  if (nodes === undefined) return;
  if (!Array.isArray(nodes)) return invalid(errs, 'spec.nodes', nodes, 'must be a list');
  let total = 0;
  nodes.forEach((n, i) => (total += nodeEntryErrors(errs, `spec.nodes[${i}]`, n)));
  if (total > SCENARIO_LIMITS.nodes) errs.push(`spec.nodes: Too many: ${total}: must have at most ${SCENARIO_LIMITS.nodes} nodes`);
}

/** The objects: apiVersion, kind, names, namespaces that exist, replica counts within bounds. */
function objectsErrors(errs: Errors, objects: Array<{ path: string; value: unknown }>): void {
  if (objects.length > SCENARIO_LIMITS.objects) errs.push(`spec.objects: Too many: ${objects.length}: must have at most ${SCENARIO_LIMITS.objects} objects`);
  const declared = new Set(BUILTIN_NAMESPACES);
  for (const { value: o } of objects) if (isJsonObject(o) && o.kind === 'Namespace' && isJsonObject(o.metadata) && typeof o.metadata.name === 'string') declared.add(o.metadata.name);
  for (const { path, value: o } of objects.slice(0, SCENARIO_LIMITS.objects)) {
    if (!isJsonObject(o)) {
      invalid(errs, path, o, 'must be a Kubernetes object (apiVersion, kind, metadata)');
      continue;
    }
    if (typeof o.apiVersion !== 'string' || !o.apiVersion) errs.push(`${path}.apiVersion: Required value`);
    if (typeof o.kind !== 'string' || !o.kind) errs.push(`${path}.kind: Required value`);
    if (!isJsonObject(o.metadata)) {
      errs.push(`${path}.metadata: Required value`);
      continue;
    }
    const m = o.metadata;
    if (m.name === undefined && m.generateName === undefined) errs.push(`${path}.metadata.name: Required value: name or generateName is required`);
    else if (m.name !== undefined) nameErrors(errs, `${path}.metadata.name`, m.name, 'subdomain');
    if (m.namespace !== undefined && !CLUSTER_SCOPED.has(String(o.kind))) {
      nameErrors(errs, `${path}.metadata.namespace`, m.namespace, 'label');
      if (typeof m.namespace === 'string' && !declared.has(m.namespace)) {
        errs.push(`${path}.metadata.namespace: Not found: ${JSON.stringify(m.namespace)}: declare it (kind: Namespace) in the scenario or use one of ${BUILTIN_NAMESPACES.join(', ')}`);
      }
    }
    const spec = isJsonObject(o.spec) ? o.spec : undefined;
    if (spec?.replicas !== undefined && (!Number.isSafeInteger(spec.replicas) || Number(spec.replicas) < 0 || Number(spec.replicas) > SCENARIO_LIMITS.replicas)) {
      invalid(errs, `${path}.spec.replicas`, spec.replicas, `must be a whole number from 0 to ${SCENARIO_LIMITS.replicas}`);
    }
  }
}

/**
 * Every problem of a scenario: its first document (`head`) and the objects (inline in
 * spec.objects, then the further documents). Empty when it is valid.
 */
export function scenarioErrors(head: unknown, extraDocuments: unknown[]): string[] {
  const errs: Errors = [];
  if (!isJsonObject(head)) return ['the first document must be a Scenario (apiVersion: upkeep.dev/v1alpha1, kind: Scenario)'];
  if (head.metadata !== undefined) {
    if (!isJsonObject(head.metadata)) invalid(errs, 'metadata', head.metadata, 'must be a mapping');
    else if (head.metadata.name !== undefined) nameErrors(errs, 'metadata.name', head.metadata.name, 'subdomain');
  }
  if (head.spec !== undefined && !isJsonObject(head.spec)) invalid(errs, 'spec', head.spec, 'must be a mapping');
  const spec = isJsonObject(head.spec) ? head.spec : {};
  nodesErrors(errs, spec.nodes);
  const inline = spec.objects ?? [];
  if (!Array.isArray(inline)) invalid(errs, 'spec.objects', inline, 'must be a list');
  const objects = [
    ...(Array.isArray(inline) ? inline.map((value, i) => ({ path: `spec.objects[${i}]`, value })) : []),
    ...extraDocuments.map((value, i) => ({ path: `document ${i + 2}`, value })),
  ];
  objectsErrors(errs, objects);
  return errs;
}

/** One line for all of them: the first error and how many more there are. */
export function summarizeErrors(errs: string[]): string {
  return errs.length > 1 ? `${errs[0]} (and ${errs.length - 1} more error${errs.length === 2 ? '' : 's'})` : errs[0];
}
