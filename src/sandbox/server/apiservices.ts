// APIService objects (apiregistration.k8s.io/v1) as kube-apiserver's aggregator keeps them, as
// pure decisions:
// - which local APIServices exist: one per served group version of the priority table
//   (cmd/kube-apiserver/app/aggregator.go apiVersionPriorities, merged over
//   pkg/controlplane/apiserver/aggregator.go DefaultGenericAPIServicePriorities; the values below
//   are copied from there), created by the autoregister controller with the label
//   kube-aggregator.kubernetes.io/automanaged=onstart, and one per served version of a CRD
//   (crdregistration: priorities 1000/100, label value "true", removed with the CRD);
// - the Available condition (kube-aggregator's AvailableConditionController): a local APIService
//   is always available; one that names a Service is checked against the Service and its
//   Endpoints with the controller's reasons and messages. The sandbox runs no aggregated API
//   servers, so a Service with ready endpoints still fails the discovery check, and discovery never
//   lists an aggregated group (kube lists it and answers 503: see docs/sandbox-scenarios.md);
// - kube-aggregator's strategy on create (a local APIService starts Available) and validation.
import type { Endpoints, KubeObject, ObjectMeta, Service, StatusCause } from '../../api/types.js';
import { isJsonObject } from './json.js';
import type { ResourceType } from './resources.js';

export const AUTOMANAGED_LABEL = 'kube-aggregator.kubernetes.io/automanaged';
/** autoregister's values: synced once at start (built-in groups), or kept in sync (CRD groups). */
export const MANAGE_ON_START = 'onstart';
export const MANAGE_CONTINUOUSLY = 'true';

export interface APIServiceSpec {
  service?: { namespace?: string; name?: string; port?: number } | null;
  group?: string;
  version?: string;
  insecureSkipTLSVerify?: boolean;
  caBundle?: string;
  groupPriorityMinimum?: number;
  versionPriority?: number;
}

export interface APIServiceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface APIService extends KubeObject {
  metadata: ObjectMeta;
  spec?: APIServiceSpec;
  status?: { conditions?: APIServiceCondition[] };
}

export function isAPIService(o: KubeObject): o is APIService {
  return o.kind === 'APIService' && (o.spec === undefined || isJsonObject(o.spec));
}

/** [group, version, groupPriorityMinimum, versionPriority]: kube-apiserver's table (see the header). */
const PRIORITIES: ReadonlyArray<readonly [string, string, number, number]> = [
  ['', 'v1', 18000, 1],
  ['apps', 'v1', 17800, 15],
  ['events.k8s.io', 'v1', 17750, 15],
  ['events.k8s.io', 'v1beta1', 17750, 5],
  ['authentication.k8s.io', 'v1', 17700, 15],
  ['authentication.k8s.io', 'v1beta1', 17700, 9],
  ['authentication.k8s.io', 'v1alpha1', 17700, 1],
  ['authorization.k8s.io', 'v1', 17600, 15],
  ['autoscaling', 'v1', 17500, 15],
  ['autoscaling', 'v2', 17500, 30],
  ['autoscaling', 'v2beta1', 17500, 9],
  ['autoscaling', 'v2beta2', 17500, 1],
  ['batch', 'v1', 17400, 15],
  ['batch', 'v1beta1', 17400, 9],
  ['certificates.k8s.io', 'v1', 17300, 15],
  ['certificates.k8s.io', 'v1beta1', 17300, 9],
  ['certificates.k8s.io', 'v1alpha1', 17300, 1],
  ['networking.k8s.io', 'v1', 17200, 15],
  ['networking.k8s.io', 'v1beta1', 17200, 9],
  ['policy', 'v1', 17100, 15],
  ['policy', 'v1beta1', 17100, 9],
  ['rbac.authorization.k8s.io', 'v1', 17000, 15],
  ['storage.k8s.io', 'v1', 16800, 15],
  ['storage.k8s.io', 'v1beta1', 16800, 9],
  ['storage.k8s.io', 'v1alpha1', 16800, 1],
  ['apiextensions.k8s.io', 'v1', 16700, 15],
  ['admissionregistration.k8s.io', 'v1', 16700, 15],
  ['admissionregistration.k8s.io', 'v1beta1', 16700, 12],
  ['admissionregistration.k8s.io', 'v1alpha1', 16700, 9],
  ['scheduling.k8s.io', 'v1', 16600, 15],
  ['coordination.k8s.io', 'v1', 16500, 15],
  ['coordination.k8s.io', 'v1beta1', 16500, 13],
  ['coordination.k8s.io', 'v1alpha2', 16500, 12],
  ['node.k8s.io', 'v1', 16300, 15],
  ['node.k8s.io', 'v1beta1', 16300, 9],
  ['node.k8s.io', 'v1alpha1', 16300, 1],
  ['discovery.k8s.io', 'v1', 16200, 15],
  ['discovery.k8s.io', 'v1beta1', 16200, 12],
  ['resource.k8s.io', 'v1beta2', 16200, 15],
  ['resource.k8s.io', 'v1beta1', 16200, 9],
  ['resource.k8s.io', 'v1alpha3', 16200, 1],
  ['flowcontrol.apiserver.k8s.io', 'v1', 16100, 21],
  ['flowcontrol.apiserver.k8s.io', 'v1beta3', 16100, 18],
  ['flowcontrol.apiserver.k8s.io', 'v1beta2', 16100, 15],
  ['flowcontrol.apiserver.k8s.io', 'v1beta1', 16100, 12],
  ['flowcontrol.apiserver.k8s.io', 'v1alpha1', 16100, 9],
  ['internal.apiserver.k8s.io', 'v1alpha1', 16000, 9],
  ['storagemigration.k8s.io', 'v1beta1', 15800, 9],
];
/** crdregistration: "CRDs should have relatively low priority". */
const CRD_GROUP_PRIORITY = 1000;
const CRD_VERSION_PRIORITY = 100;

/** An APIService's name: `<version>.<group>` ("v1." for the core group). */
export function apiServiceName(group: string, version: string): string {
  return `${version}.${group}`;
}

function localAPIService(group: string, version: string, groupPriorityMinimum: number, versionPriority: number, managed: string): APIService {
  return {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: apiServiceName(group, version), labels: { [AUTOMANAGED_LABEL]: managed } },
    // group is omitempty: the core group's APIService has none.
    spec: { ...(group ? { group } : {}), version, groupPriorityMinimum, versionPriority },
  };
}

/**
 * The local APIServices kube-apiserver registers for what it serves: each built-in group version
 * listed in the priority table (others are skipped, as makeAPIService does), and each served
 * version of a CRD. The aggregator's own group (apiregistration.k8s.io) never has one. Sorted by name.
 */
export function desiredAPIServices(types: readonly ResourceType[]): APIService[] {
  const out = new Map<string, APIService>();
  for (const t of types) {
    const name = apiServiceName(t.group, t.version);
    if (out.has(name)) continue;
    if (t.crd) {
      out.set(name, localAPIService(t.group, t.version, CRD_GROUP_PRIORITY, CRD_VERSION_PRIORITY, MANAGE_CONTINUOUSLY));
      continue;
    }
    const p = PRIORITIES.find(([g, v]) => g === t.group && v === t.version);
    if (p) out.set(name, localAPIService(t.group, t.version, p[2], p[3], MANAGE_ON_START));
  }
  return [...out.values()].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
}

export interface ServiceLookup {
  service(namespace: string, name: string): Service | undefined;
  endpoints(namespace: string, name: string): Endpoints | undefined;
}

type Availability = Omit<APIServiceCondition, 'type' | 'lastTransitionTime'>;

/** The AvailableConditionController's verdict (without its transition time). */
export function apiServiceAvailability(spec: APIServiceSpec | undefined, lookup: ServiceLookup): Availability {
  const ref = spec?.service;
  if (!ref) return { status: 'True', reason: 'Local', message: 'Local APIServices are always available' };
  const ns = ref.namespace ?? '';
  const name = ref.name ?? '';
  const port = ref.port ?? 443;
  const where = `service/${name} in ${JSON.stringify(ns)}`;
  const svc = lookup.service(ns, name);
  if (!svc) return { status: 'False', reason: 'ServiceNotFound', message: `${where} is not present` };
  if (svc.spec?.type === 'ExternalName') return { status: 'True', reason: 'Passed', message: 'service is an ExternalName' };
  const svcPort = (svc.spec?.ports ?? []).find((p) => p.port === port);
  if (!svcPort) return { status: 'False', reason: 'ServicePortError', message: `${where} is not listening on port ${port}` };
  const eps = lookup.endpoints(ns, name);
  if (!eps) return { status: 'False', reason: 'EndpointsNotFound', message: `cannot find endpoints for ${where}` };
  const portName = svcPort.name ?? '';
  const ready = (eps.subsets ?? []).some((s) => (s.addresses ?? []).length > 0 && (s.ports ?? []).some((p) => (p.name ?? '') === portName));
  if (!ready) return { status: 'False', reason: 'MissingEndpoints', message: `endpoints for ${where} have no addresses with port name ${JSON.stringify(portName)}` };
  // The discovery check reaches the Service; nothing in the sandbox listens behind it.
  const host = svc.spec?.clusterIP ?? '';
  const url = `https://${host}:${port}/apis/${spec.group ?? ''}/${spec.version ?? ''}`;
  return { status: 'False', reason: 'FailedDiscoveryCheck', message: `failing or missing response from ${url}: Get "${url}": dial tcp ${host}:${port}: connect: connection refused` };
}

/** The status to store: the condition as it stands, its transition time kept while the status holds. */
export function availableStatus(current: APIService, verdict: Availability, now: string): APIService['status'] {
  const old = current.status?.conditions?.find((c) => c.type === 'Available');
  const lastTransitionTime = old && old.status === verdict.status && old.lastTransitionTime ? old.lastTransitionTime : now;
  const others = (current.status?.conditions ?? []).filter((c) => c.type !== 'Available');
  return { conditions: [...others, { type: 'Available', status: verdict.status, lastTransitionTime, reason: verdict.reason, message: verdict.message }] };
}

/** kube-aggregator's PrepareForCreate: a local APIService is Available at once, one with a Service starts without status. */
export function apiServiceOnCreate(o: APIService, now: string): APIService {
  const { status: _dropped, ...rest } = o;
  // SetDefaults_ServiceReference: the port is 443.
  if (o.spec?.service) return { ...rest, spec: { ...o.spec, service: { ...o.spec.service, port: o.spec.service.port ?? 443 } } };
  return { ...rest, status: availableStatus(rest, apiServiceAvailability(o.spec, { service: () => undefined, endpoints: () => undefined }), now) };
}

/** kube-aggregator's ValidateAPIService (the fields a user gets wrong). */
export function validateAPIService(o: APIService): StatusCause[] {
  const spec = o.spec ?? {};
  const out: StatusCause[] = [];
  const required = `${spec.version ?? ''}.${spec.group ?? ''}`;
  if (o.metadata.name !== required) {
    out.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: ${JSON.stringify(o.metadata.name ?? '')}: must be \`spec.version+"."+spec.group\`: ${JSON.stringify(required)}` });
  }
  if (!spec.version) out.push({ reason: 'FieldValueRequired', field: 'spec.version', message: 'Required value' });
  if (!spec.group && spec.version !== 'v1') out.push({ reason: 'FieldValueRequired', field: 'spec.group', message: 'Required value: only v1 may have an empty group and it better be legacy kube' });
  const gp = spec.groupPriorityMinimum ?? 0;
  if (gp <= 0 || gp > 20000) out.push({ reason: 'FieldValueInvalid', field: 'spec.groupPriorityMinimum', message: `Invalid value: ${gp}: must be positive and less than 20000` });
  const vp = spec.versionPriority ?? 0;
  if (vp <= 0 || vp > 1000) out.push({ reason: 'FieldValueInvalid', field: 'spec.versionPriority', message: `Invalid value: ${vp}: must be positive and less than 1000` });
  if (!spec.service) {
    if (spec.caBundle) out.push({ reason: 'FieldValueInvalid', field: 'spec.caBundle', message: `Invalid value: ${JSON.stringify(spec.caBundle)}: local APIServices may not have a caBundle` });
    if (spec.insecureSkipTLSVerify) out.push({ reason: 'FieldValueInvalid', field: 'spec.insecureSkipTLSVerify', message: 'Invalid value: true: local APIServices may not have insecureSkipTLSVerify' });
  }
  return out;
}
