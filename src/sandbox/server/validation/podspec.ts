// Pod spec validation (kube's ValidatePodSpec), the essentials: containers, ports, resources,
// restartPolicy, dnsPolicy, tolerations, nodeSelector.
import type { StatusCause } from '../../../api/types.js';
import { parseQuantity } from '../../controllers/scheduling.js';
import { type JsonObject, jsonObject, jsonObjects } from '../json.js';
import { duplicate, forbidden, invalid, notSupported, required } from './field.js';
import { dns1123Label, each, labelValue, portName, qualifiedName } from './names.js';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
export const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const TOLERATION_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

function validatePorts(ports: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  const names = new Set<string>();
  jsonObjects(ports).forEach((p, i) => {
    const f = `${field}[${i}]`;
    if (typeof p.name === 'string' && p.name !== '') {
      out.push(...each(`${f}.name`, p.name, portName(p.name)));
      if (names.has(p.name)) out.push(duplicate(`${f}.name`, p.name));
      names.add(p.name);
    }
    if (p.containerPort === undefined || p.containerPort === 0) out.push(required(`${f}.containerPort`));
    else out.push(...portNumber(`${f}.containerPort`, p.containerPort));
    if (p.hostPort !== undefined && p.hostPort !== 0) out.push(...portNumber(`${f}.hostPort`, p.hostPort));
    if (p.protocol === undefined || p.protocol === '') out.push(required(`${f}.protocol`));
    else if (!PROTOCOLS.includes(String(p.protocol))) out.push(notSupported(`${f}.protocol`, p.protocol, PROTOCOLS));
  });
  return out;
}

export function portNumber(field: string, v: unknown): StatusCause[] {
  return typeof v === 'number' && (v < 1 || v > 65535) ? [invalid(field, v, 'must be between 1 and 65535, inclusive')] : [];
}

/** Non-negative quantities; requests no larger than limits (ValidateResourceRequirements). */
export function validateResources(resources: unknown, field: string): StatusCause[] {
  const r = jsonObject(resources);
  if (!r) return [];
  const out: StatusCause[] = [];
  const limits = jsonObject(r.limits) ?? {};
  const requests = jsonObject(r.requests) ?? {};
  for (const [which, m] of [['limits', limits], ['requests', requests]] as const) {
    for (const [name, q] of Object.entries(m)) {
      if (parseQuantity(q) < 0) out.push(invalid(`${field}.${which}.${name}`, String(q), 'must be greater than or equal to 0'));
    }
  }
  for (const [name, q] of Object.entries(requests)) {
    const limit = limits[name];
    if (limit !== undefined && parseQuantity(q) > parseQuantity(limit)) {
      out.push(invalid(`${field}.requests`, String(q), `must be less than or equal to ${name} limit of ${String(limit)}`));
    }
  }
  return out;
}

function validateContainers(list: unknown, field: string, seen: Set<string>): StatusCause[] {
  const out: StatusCause[] = [];
  jsonObjects(list).forEach((c, i) => {
    const f = `${field}[${i}]`;
    if (typeof c.name !== 'string' || c.name === '') out.push(required(`${f}.name`));
    else {
      out.push(...each(`${f}.name`, c.name, dns1123Label(c.name)));
      if (seen.has(c.name)) out.push(duplicate(`${f}.name`, c.name));
      seen.add(c.name);
    }
    if (typeof c.image !== 'string' || c.image.trim() === '') out.push(required(`${f}.image`));
    if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(String(c.imagePullPolicy))) out.push(notSupported(`${f}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
    out.push(...validatePorts(c.ports, `${f}.ports`));
    out.push(...validateResources(c.resources, `${f}.resources`));
  });
  return out;
}

/** ValidateTolerations. */
export function validateTolerations(list: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  jsonObjects(list).forEach((t, i) => {
    const f = `${field}[${i}]`;
    if (typeof t.key === 'string' && t.key !== '') out.push(...each(`${f}.key`, t.key, qualifiedName(t.key)));
    const op = t.operator ?? 'Equal';
    if ((t.key === undefined || t.key === '') && op !== 'Exists') {
      out.push(invalid(`${f}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      out.push(invalid(`${f}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op === 'Equal' || op === '') {
      if (typeof t.value === 'string') out.push(...each(`${f}.operator`, t.value, labelValue(t.value)));
    } else if (op === 'Exists') {
      if (typeof t.value === 'string' && t.value !== '') out.push(invalid(`${f}.operator`, t, "value must be empty when `operator` is 'Exists'"));
    } else out.push(notSupported(`${f}.operator`, op, ['Equal', 'Exists']));
    if (t.effect !== undefined && t.effect !== '' && !TOLERATION_EFFECTS.includes(String(t.effect))) out.push(notSupported(`${f}.effect`, t.effect, TOLERATION_EFFECTS));
  });
  return out;
}

/** ValidatePodSpec's essentials, at `field` ("spec" or "spec.template.spec"). */
export function validatePodSpec(spec: JsonObject | undefined, field: string): StatusCause[] {
  if (!spec) return [required(field)];
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) out.push(required(`${field}.containers`));
  else out.push(...validateContainers(spec.containers, `${field}.containers`, seen));
  out.push(...validateContainers(spec.initContainers, `${field}.initContainers`, seen));
  if (spec.restartPolicy !== undefined && !(RESTART_POLICIES as readonly string[]).includes(String(spec.restartPolicy))) {
    out.push(notSupported(`${field}.restartPolicy`, spec.restartPolicy, RESTART_POLICIES));
  }
  if (spec.dnsPolicy !== undefined && !DNS_POLICIES.includes(String(spec.dnsPolicy))) out.push(notSupported(`${field}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  out.push(...validateTolerations(spec.tolerations, `${field}.tolerations`));
  const nodeSelector = jsonObject(spec.nodeSelector);
  for (const [k, v] of Object.entries(nodeSelector ?? {})) {
    out.push(...each(`${field}.nodeSelector`, k, qualifiedName(k)));
    if (typeof v === 'string') out.push(...each(`${field}.nodeSelector`, v, labelValue(v)));
  }
  if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) {
    out.push(invalid(`${field}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  if (typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds <= 0) {
    out.push(invalid(`${field}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  if (spec.hostNetwork === true) {
    jsonObjects(spec.containers).forEach((c, i) =>
      jsonObjects(c.ports).forEach((p, j) => {
        if (p.hostPort !== undefined && p.hostPort !== p.containerPort) {
          out.push(invalid(`${field}.containers[${i}].ports[${j}].hostPort`, p.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
        }
      }),
    );
  }
  if (spec.nodeName !== undefined && typeof spec.nodeName === 'string' && spec.nodeName !== '' && spec.nodeName.length > 253) {
    out.push(forbidden(`${field}.nodeName`, 'must be no more than 253 characters'));
  }
  return out;
}
