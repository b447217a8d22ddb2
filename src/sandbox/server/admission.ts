// Defaulting and validation the API server applies before storing, per kind. Only what
// maintenance work observes: pod defaults (phase, QoS, grace period, the not-ready/unreachable
// tolerations that drive the eviction timeout), namespace phase, node basics, and names.
import type { KubeObject, StatusCause } from '../../api/types.js';
import { validateObject } from './validation/index.js';
import { dns1123Label, dns1123Subdomain } from './validation/names.js';
import { type JsonObject, isJsonObject, jsonObject, jsonObjects } from './json.js';

export interface AdmissionOptions {
  /** tolerationSeconds of the default not-ready/unreachable tolerations (kube: 300). */
  defaultTolerationSeconds: number;
}

/** Kinds whose names must be DNS labels (kube's ValidateNameFunc per kind). */
const LABEL_NAMED = new Set(['Namespace', 'Service']);
/** Kinds whose names are path segments only (RBAC allows ":" etc.; the core APIService is "v1."). */
const PATH_SEGMENT_NAMED = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'APIService']);

export function validateName(kind: string, name: string): string | undefined {
  if (PATH_SEGMENT_NAMED.has(kind)) {
    if (name === '.' || name === '..') return `may not be '${name}'`;
    if (name.includes('/') || name.includes('%')) return `may not contain '/' or '%'`;
    return undefined;
  }
  return (LABEL_NAMED.has(kind) ? dns1123Label(name) : dns1123Subdomain(name))[0];
}

/** Validation of an object about to be stored: 422 causes, empty when valid (validation/rules.ts). */
export const validate = validateObject;

function imageTag(image: string): string {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : '';
}

function defaultContainer(container: unknown): unknown {
  // Anything but an object is left for validation to refuse.
  const c = jsonObject(container);
  if (!c) return container;
  const out: JsonObject = { terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {}, ...c };
  if (out.imagePullPolicy === undefined && typeof c.image === 'string') {
    // Fixed at creation: Always for :latest or no tag (unless pinned by digest), else IfNotPresent.
    const tag = imageTag(c.image);
    out.imagePullPolicy = !c.image.includes('@') && (tag === '' || tag === 'latest') ? 'Always' : 'IfNotPresent';
  }
  return out;
}

function qosClass(spec: JsonObject): string {
  const containers = [...jsonObjects(spec.containers), ...jsonObjects(spec.initContainers)];
  let anySet = false;
  let guaranteed = true;
  for (const c of containers) {
    const res = jsonObject(c.resources) ?? {};
    const req = jsonObject(res.requests) ?? {};
    const lim = jsonObject(res.limits) ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) anySet = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l;
      if (l === undefined || q !== l) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function defaultPodSpec(spec: JsonObject, opts: AdmissionOptions, withTolerations: boolean): JsonObject {
  const out: JsonObject = {
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    securityContext: {},
    schedulerName: 'default-scheduler',
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
    ...spec,
  };
  if (out.serviceAccountName === undefined) out.serviceAccountName = spec.serviceAccount ?? 'default';
  if (out.serviceAccount === undefined) out.serviceAccount = out.serviceAccountName;
  out.containers = Array.isArray(spec.containers) ? spec.containers.map(defaultContainer) : [];
  if (Array.isArray(spec.initContainers)) out.initContainers = spec.initContainers.map(defaultContainer);
  if (withTolerations) {
    // DefaultTolerationSeconds admission: every pod tolerates not-ready/unreachable for 300 s,
    // which is the "pod eviction timeout" of taint-based eviction.
    const tolerations: unknown[] = Array.isArray(spec.tolerations) ? [...spec.tolerations] : [];
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      const has = jsonObjects(tolerations).some(
        (t) => (t.key === key || (t.key === undefined && t.operator === 'Exists')) && (t.effect === undefined || t.effect === 'NoExecute'),
      );
      if (!has) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: opts.defaultTolerationSeconds });
    }
    out.tolerations = tolerations;
  }
  return out;
}

/** Defaults and resets applied on create, per kind (kube's strategy PrepareForCreate + defaulting). */
export function prepareForCreate(o: KubeObject, opts: AdmissionOptions): KubeObject {
  const spec = jsonObject(o.spec);
  switch (o.kind) {
    case 'Pod': {
      const podSpec = defaultPodSpec(spec ?? {}, opts, true);
      const status: JsonObject = { phase: 'Pending', qosClass: qosClass(podSpec) };
      // Scheduled at creation (nodeName set): the pod carries PodScheduled like a bound pod.
      return { ...o, spec: podSpec, status };
    }
    case 'Namespace':
      return { ...o, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    case 'Deployment':
      return {
        ...o,
        spec: {
          replicas: 1,
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: 600,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
          ...spec,
          template: defaultTemplate(spec?.template, opts),
        },
        status: {},
      };
    case 'ReplicaSet':
    case 'StatefulSet':
      return {
        ...o,
        spec: {
          replicas: 1,
          ...(o.kind === 'StatefulSet'
            ? { podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, revisionHistoryLimit: 10, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' } }
            : {}),
          ...spec,
          template: defaultTemplate(spec?.template, opts),
        },
        status: o.kind === 'StatefulSet' ? { replicas: 0, availableReplicas: 0 } : { replicas: 0 },
      };
    case 'DaemonSet':
      return {
        ...o,
        spec: {
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
          revisionHistoryLimit: 10,
          ...spec,
          template: defaultTemplate(spec?.template, opts),
        },
        status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
      };
    case 'Job': {
      const manual = spec?.manualSelector === true;
      const template = jsonObject(spec?.template) ?? {};
      const tmeta = jsonObject(template.metadata) ?? {};
      let selector = spec?.selector;
      let labels = jsonObject(tmeta.labels) ?? {};
      if (!manual) {
        // The job controller labels its pods with the job's uid (batch.kubernetes.io/controller-uid).
        const uid = o.metadata.uid ?? '';
        labels = { ...labels, 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': o.metadata.name ?? '', 'controller-uid': uid, 'job-name': o.metadata.name ?? '' };
        selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      }
      return {
        ...o,
        spec: {
          parallelism: 1,
          completions: 1,
          backoffLimit: 6,
          completionMode: 'NonIndexed',
          suspend: false,
          ...spec,
          selector,
          template: defaultTemplate({ ...template, metadata: { ...tmeta, labels } }, opts),
        },
        status: {},
      };
    }
    case 'PodDisruptionBudget':
      return { ...o, status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, observedGeneration: 0 } };
    case 'Service': {
      const s = spec ?? {};
      const type = s.type ?? 'ClusterIP';
      return {
        ...o,
        spec: {
          type,
          sessionAffinity: 'None',
          ipFamilies: ['IPv4'],
          ipFamilyPolicy: 'SingleStack',
          internalTrafficPolicy: 'Cluster',
          ...s,
          // ClusterIPs and NodePorts come from the allocators (nodeports.ts), after validation.
          ports: Array.isArray(s.ports) ? s.ports.map((p) => (isJsonObject(p) ? { protocol: 'TCP', targetPort: p.port, ...p } : p)) : s.ports,
        },
        status: { loadBalancer: {} },
      };
    }
    case 'Secret':
      return { ...o, type: o.type ?? 'Opaque' };
    case 'Node':
      return { ...o, spec: spec ?? {} };
    case 'CustomResourceDefinition':
      return o;
    default:
      return o;
  }
}

function defaultTemplate(template: unknown, opts: AdmissionOptions): JsonObject {
  const t = jsonObject(template) ?? {};
  return { ...t, metadata: { creationTimestamp: null, ...(jsonObject(t.metadata) ?? {}) }, spec: defaultPodSpec(jsonObject(t.spec) ?? {}, opts, false) };
}

/** Pod fields a user may change after creation (kube rejects other spec changes with 422). */
export function podSpecUpdateCauses(oldSpec: unknown, newSpec: unknown): StatusCause[] {
  const strip = (s: unknown): unknown => {
    const o = jsonObject(s);
    if (!o) return s;
    const copy: JsonObject = { ...o };
    const images = (list: unknown) => (Array.isArray(list) ? list.map((c) => (isJsonObject(c) ? { ...c, image: undefined } : c)) : list);
    copy.containers = images(o.containers);
    copy.initContainers = images(o.initContainers);
    delete copy.activeDeadlineSeconds;
    delete copy.tolerations;
    delete copy.terminationGracePeriodSeconds;
    delete copy.schedulingGates;
    return copy;
  };
  if (JSON.stringify(strip(oldSpec)) === JSON.stringify(strip(newSpec))) return [];
  return [
    {
      reason: 'FieldValueForbidden',
      field: 'spec',
      message:
        'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    },
  ];
}
