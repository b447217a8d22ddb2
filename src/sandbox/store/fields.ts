// Field selectors (`?fieldSelector=`): parsed as k8s.io/apimachinery/pkg/fields parses them, and
// checked against the field labels each kind registers with the apiserver's scheme
// (AddFieldLabelConversionFunc), which is where "field label not supported" comes from.
import { errors } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { type JsonObject, jsonObject } from '../server/json.js';

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Reads one selectable field of an object as the string the apiserver compares. */
export type FieldGetter = (obj: KubeObject) => string;

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** Splits on commas that are not escaped with a backslash (the backslash stays in the term). */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

// "!=" and "==" are tried before "=" at each position so "a==b" does not leave "=b" as the value.
const TERM_OPERATORS = ['!=', '==', '='] as const;

/** The first operator in the term splits it; the field part has no escaping. */
function splitTerm(term: string): [string, (typeof TERM_OPERATORS)[number], string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/** fields.UnescapeValue: `\\`, `\,` and `\=` are escapes; a bare ',' or '=' is an error. */
function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw errors.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // Go prints the rune with %v: its code point.
      throw errors.badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw errors.badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/**
 * Parses a field selector such as `spec.nodeName=n1,status.phase!=Succeeded`. Operators are `=`,
 * `==` and `!=`; values may escape `\`, `,` and `=` with a backslash. Terms come back sorted, as
 * the apiserver sorts them. A malformed selector is a 400 BadRequest.
 */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const terms = splitTerms(text).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const reqs: FieldRequirement[] = [];
  for (const term of terms) {
    if (term === '') continue;
    const split = splitTerm(term);
    if (!split) throw errors.badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [field, op, rhs] = split;
    reqs.push({ field, op: op === '!=' ? '!=' : '=', value: unescapeValue(rhs) });
  }
  return reqs;
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

/** Groups whose kinds are compiled into kube-apiserver (anything else is a custom resource). */
const BUILT_IN_GROUPS = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
]);

/** Core kinds whose conversion func answers "field label not supported: <label>". */
const CORE_WITH_FIELD_LABELS = new Set(['pods', 'nodes', 'replicationcontrollers', 'events', 'namespaces', 'secrets', 'services']);

/**
 * The apiserver's message for a field it cannot select on. Each kind words it its own way: core
 * kinds with extra fields, events.k8s.io and custom resources say "field label not supported: x";
 * Jobs name the kind; kinds with only metadata fields list the two they have.
 */
function unsupportedFieldMessage(resourceName: string, label: string): string {
  const dot = resourceName.indexOf('.');
  const resource = dot < 0 ? resourceName : resourceName.slice(0, dot);
  const group = dot < 0 ? '' : resourceName.slice(dot + 1);
  if ((group === '' && CORE_WITH_FIELD_LABELS.has(resource)) || (group === 'events.k8s.io' && resource === 'events') || !BUILT_IN_GROUPS.has(group)) {
    return `field label not supported: ${label}`;
  }
  if (group === 'batch' && resource === 'jobs') return `field label ${JSON.stringify(label)} not supported for Job`;
  return `${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`;
}

/**
 * A predicate for the requirements over the fields a resource supports. `resourceName` is the
 * resource as the apiserver names it in messages, `<resource>.<group>` ("pods",
 * "deployments.apps"); it picks the wording of the 400 BadRequest for an unsupported field.
 * A field that an object lacks reads as "" (so `spec.nodeName=` selects unscheduled pods).
 */
export function fieldSelectorMatcher(
  reqs: FieldRequirement[],
  supported: Record<string, FieldGetter>,
  resourceName: string,
): (obj: KubeObject) => boolean {
  const getters: FieldGetter[] = [];
  for (const r of reqs) {
    if (!Object.prototype.hasOwnProperty.call(supported, r.field)) {
      throw errors.badRequest(unsupportedFieldMessage(resourceName, r.field));
    }
    getters.push(supported[r.field]);
  }
  if (reqs.length === 0) return () => true;
  if (reqs.length === 1) {
    // The common case (drain's spec.nodeName=<node>): no loop per object.
    const get = getters[0];
    const { value } = reqs[0];
    return reqs[0].op === '=' ? (obj) => get(obj) === value : (obj) => get(obj) !== value;
  }
  return (obj) => {
    for (let i = 0; i < reqs.length; i++) {
      const equal = getters[i](obj) === reqs[i].value;
      if (equal !== (reqs[i].op === '=')) return false;
    }
    return true;
  };
}

// ---------------------------------------------------------------------------------------------
// Selectable fields per kind
// ---------------------------------------------------------------------------------------------

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function sub(obj: KubeObject, key: string): JsonObject | undefined {
  return jsonObject(obj[key]);
}
/** strconv.Itoa of an int field that is 0 when absent. */
function int(v: unknown): string {
  return typeof v === 'number' ? String(v) : '0';
}

const metaName: FieldGetter = (o) => str(o.metadata?.name);
const metaNamespace: FieldGetter = (o) => str(o.metadata?.namespace);

/** Every kind can be selected by name and namespace (cluster-scoped objects have namespace ""). */
export const metadataFieldSelectors: Record<string, FieldGetter> = Object.freeze({
  'metadata.name': metaName,
  'metadata.namespace': metaNamespace,
});

const specField = (key: string): FieldGetter => (o) => str(sub(o, 'spec')?.[key]);
const statusField = (key: string): FieldGetter => (o) => str(sub(o, 'status')?.[key]);

/** Pod field labels (pkg/apis/core/v1 conversion) read as the pod registry's selectable fields. */
export const podFieldSelectors: Record<string, FieldGetter> = Object.freeze({
  ...metadataFieldSelectors,
  'spec.nodeName': specField('nodeName'),
  // Old v1 clients send spec.host; the apiserver reads it as spec.nodeName.
  'spec.host': specField('nodeName'),
  'spec.restartPolicy': specField('restartPolicy'),
  'spec.schedulerName': specField('schedulerName'),
  'spec.serviceAccountName': specField('serviceAccountName'),
  'spec.hostNetwork': (o: KubeObject) => (sub(o, 'spec')?.hostNetwork === true ? 'true' : 'false'),
  'status.phase': statusField('phase'),
  // The registry takes the first of status.podIPs.
  'status.podIP': (o: KubeObject) => {
    const status = sub(o, 'status');
    const ips = status?.podIPs;
    if (Array.isArray(ips) && ips.length > 0) return str(jsonObject(ips[0])?.ip);
    return str(status?.podIP);
  },
  // Accepted by the conversion func but absent from the selectable set: only "" matches.
  'status.podIPs': () => '',
  'status.nominatedNodeName': statusField('nominatedNodeName'),
});

/** Nodes: name and spec.unschedulable only; nodes are cluster-scoped, so no metadata.namespace. */
export const nodeFieldSelectors: Record<string, FieldGetter> = Object.freeze({
  'metadata.name': metaName,
  'spec.unschedulable': (o: KubeObject) => (sub(o, 'spec')?.unschedulable === true ? 'true' : 'false'),
});

export const namespaceFieldSelectors: Record<string, FieldGetter> = Object.freeze({
  'metadata.name': metaName,
  'status.phase': statusField('phase'),
});

const involved = (key: string): FieldGetter => (o) => str(sub(o, 'involvedObject')?.[key]);

/** core/v1 Events, as `kubectl get events --field-selector involvedObject.name=web-0` uses them. */
export const eventFieldSelectors: Record<string, FieldGetter> = Object.freeze({
  ...metadataFieldSelectors,
  'involvedObject.kind': involved('kind'),
  'involvedObject.namespace': involved('namespace'),
  'involvedObject.name': involved('name'),
  'involvedObject.uid': involved('uid'),
  'involvedObject.apiVersion': involved('apiVersion'),
  'involvedObject.resourceVersion': involved('resourceVersion'),
  'involvedObject.fieldPath': involved('fieldPath'),
  reason: (o: KubeObject) => str(o.reason),
  reportingComponent: (o: KubeObject) => str(o.reportingComponent),
  // source.component, or the reporting component for events that only set that.
  source: (o: KubeObject) => str(sub(o, 'source')?.component) || str(o.reportingComponent),
  type: (o: KubeObject) => str(o.type),
});

const regarding = (key: string): FieldGetter => (o) => str(sub(o, 'regarding')?.[key]);

/** events.k8s.io/v1 Events name the same fields after their own shape (regarding.*, reportingController). */
export const eventsV1FieldSelectors: Record<string, FieldGetter> = Object.freeze({
  ...metadataFieldSelectors,
  'regarding.kind': regarding('kind'),
  'regarding.namespace': regarding('namespace'),
  'regarding.name': regarding('name'),
  'regarding.uid': regarding('uid'),
  'regarding.apiVersion': regarding('apiVersion'),
  'regarding.resourceVersion': regarding('resourceVersion'),
  'regarding.fieldPath': regarding('fieldPath'),
  reason: (o: KubeObject) => str(o.reason),
  reportingController: (o: KubeObject) => str(o.reportingController),
  // Kept from core/v1: the deprecated source's component, or the reporting controller.
  source: (o: KubeObject) => str(sub(o, 'deprecatedSource')?.component) || str(o.reportingController),
  type: (o: KubeObject) => str(o.type),
});

const FIELDS_BY_RESOURCE: Record<string, Record<string, FieldGetter>> = {
  '/pods': podFieldSelectors,
  '/nodes': nodeFieldSelectors,
  '/namespaces': namespaceFieldSelectors,
  '/events': eventFieldSelectors,
  'events.k8s.io/events': eventsV1FieldSelectors,
  '/secrets': Object.freeze({ ...metadataFieldSelectors, type: (o: KubeObject) => str(o.type) }),
  '/services': Object.freeze({ ...metadataFieldSelectors, 'spec.clusterIP': specField('clusterIP'), 'spec.type': specField('type') }),
  '/replicationcontrollers': Object.freeze({ ...metadataFieldSelectors, 'status.replicas': (o: KubeObject) => int(sub(o, 'status')?.replicas) }),
  'batch/jobs': Object.freeze({ ...metadataFieldSelectors, 'status.successful': (o: KubeObject) => int(sub(o, 'status')?.succeeded) }),
};

/**
 * The field selectors a resource supports, by API group ("" for core) and resource (plural).
 * Resources without their own field labels, custom resources included, support the metadata
 * fields. Pass the result with `qualifiedResource(resource, group)` to {@link fieldSelectorMatcher}.
 */
export function fieldSelectorsFor(group: string, resource: string): Record<string, FieldGetter> {
  const key = `${group === 'core' ? '' : group}/${resource}`;
  return Object.prototype.hasOwnProperty.call(FIELDS_BY_RESOURCE, key) ? FIELDS_BY_RESOURCE[key] : metadataFieldSelectors;
}
