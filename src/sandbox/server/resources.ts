// The resource types the sandbox serves: the same names, kinds, short names, categories, verbs
// and subresources kube-apiserver v1.32 reports in discovery, so kubectl resolves them the same.

export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  resource: string; // plural, as in the URL
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources: Subresource[];
  /** Has a status subresource: writes to the main resource keep status, /status keeps the rest. */
  statusSubresource: boolean;
  /** metadata.generation follows changes outside metadata and status. */
  generation: boolean;
  /** Verbs discovery lists (default: ALL_VERBS); create-only review APIs say ['create']. */
  verbs?: string[];
  /** Set for custom resources of a CRD. */
  crd?: { name: string; additionalPrinterColumns?: PrinterColumn[]; storage: boolean; /** The version's openAPIV3Schema. */ schema?: Record<string, unknown> };
}

export interface Subresource {
  name: string; // 'status', 'scale', 'eviction', 'binding', 'log'
  kind: string;
  group?: string; // set when the subresource's kind lives in another group (pods/eviction -> policy/v1)
  version?: string;
  verbs: string[];
}

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS: Subresource = { name: 'status', kind: '', verbs: ['get', 'patch', 'update'] };

function status(kind: string): Subresource {
  return { ...STATUS, kind };
}
function scale(): Subresource {
  return { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };
}

function rt(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  const subresources = extra.subresources ?? [];
  return {
    group,
    version,
    resource,
    kind,
    namespaced,
    singular: kind.toLowerCase(),
    subresources,
    statusSubresource: subresources.some((s) => s.name === 'status'),
    generation: extra.generation ?? subresources.some((s) => s.name === 'status'),
    ...extra,
  };
}

export const BUILTIN_RESOURCES: ResourceType[] = [
  rt('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], subresources: [status('Namespace')], generation: false }),
  rt('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], subresources: [status('Node')], generation: false }),
  rt('', 'v1', 'pods', 'Pod', true, {
    shortNames: ['po'],
    categories: ['all'],
    generation: false,
    subresources: [
      status('Pod'),
      { name: 'binding', kind: 'Binding', verbs: ['create'] },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      // Streams: answered with a 400 (src/sandbox/kubelet/streams.ts), kinds as kube's discovery lists them.
      { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      { name: 'proxy', kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'head', 'options', 'patch', 'update'] },
    ],
  }),
  rt('', 'v1', 'services', 'Service', true, {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: [status('Service')],
    generation: false,
  }),
  rt('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'], singular: 'endpoints' }),
  rt('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  rt('', 'v1', 'secrets', 'Secret', true),
  rt('', 'v1', 'serviceaccounts', 'ServiceAccount', true, {
    shortNames: ['sa'],
    subresources: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }],
  }),
  rt('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  // The same stored Events in the newer shape (server/eventsv1.ts converts).
  rt('events.k8s.io', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  rt('', 'v1', 'persistentvolumes', 'PersistentVolume', false, { shortNames: ['pv'], subresources: [status('PersistentVolume')], generation: false }),
  rt('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, {
    shortNames: ['pvc'],
    subresources: [status('PersistentVolumeClaim')],
    generation: false,
  }),
  rt('', 'v1', 'replicationcontrollers', 'ReplicationController', true, {
    shortNames: ['rc'],
    categories: ['all'],
    subresources: [status('ReplicationController'), scale()],
  }),
  rt('', 'v1', 'limitranges', 'LimitRange', true, { shortNames: ['limits'] }),
  rt('', 'v1', 'resourcequotas', 'ResourceQuota', true, { shortNames: ['quota'], subresources: [status('ResourceQuota')], generation: false }),
  rt('apps', 'v1', 'deployments', 'Deployment', true, {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [status('Deployment'), scale()],
  }),
  rt('apps', 'v1', 'replicasets', 'ReplicaSet', true, {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [status('ReplicaSet'), scale()],
  }),
  rt('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], categories: ['all'], subresources: [status('DaemonSet')] }),
  rt('apps', 'v1', 'statefulsets', 'StatefulSet', true, {
    shortNames: ['sts'],
    categories: ['all'],
    subresources: [status('StatefulSet'), scale()],
  }),
  rt('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  rt('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, {
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: [status('HorizontalPodAutoscaler')],
  }),
  // kubectl autoscale still creates through v1; the fields the sandbox reads are the same in both.
  rt('autoscaling', 'v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, {
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: [status('HorizontalPodAutoscaler')],
  }),
  rt('batch', 'v1', 'jobs', 'Job', true, { categories: ['all'], subresources: [status('Job')] }),
  rt('batch', 'v1', 'cronjobs', 'CronJob', true, { shortNames: ['cj'], categories: ['all'], subresources: [status('CronJob')] }),
  rt('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, {
    shortNames: ['pdb'],
    subresources: [status('PodDisruptionBudget')],
  }),
  rt('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  rt('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  rt('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  rt('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  rt('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  // Create-only review APIs, answered by src/sandbox/auth/reviews.ts and never stored.
  rt('authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', false, { verbs: ['create'] }),
  rt('authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false, { verbs: ['create'] }),
  rt('authorization.k8s.io', 'v1', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', true, { verbs: ['create'] }),
  rt('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, { verbs: ['create'] }),
  rt('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, { verbs: ['create'] }),
  rt('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false, { verbs: ['create'] }),
  rt('certificates.k8s.io', 'v1', 'certificatesigningrequests', 'CertificateSigningRequest', false, {
    shortNames: ['csr'],
    subresources: [status('CertificateSigningRequest'), { name: 'approval', kind: 'CertificateSigningRequest', verbs: ['get', 'patch', 'update'] }],
    generation: true,
  }),
  rt('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, { shortNames: ['sc'] }),
  rt('scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false, { shortNames: ['pc'] }),
  rt('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, {
    shortNames: ['crd', 'crds'],
    subresources: [status('CustomResourceDefinition')],
  }),
  rt('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, { shortNames: ['ing'], subresources: [status('Ingress')] }),
  rt('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, { shortNames: ['netpol'] }),
  rt('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  // Kept by the aggregator's controllers (src/sandbox/controllers/apiservices.ts).
  rt('apiregistration.k8s.io', 'v1', 'apiservices', 'APIService', false, { categories: ['api-extensions'], subresources: [status('APIService')], generation: false }),
];

/** Groups in the order kube-apiserver lists them in /apis (the first is most preferred). */
export const GROUP_ORDER = [
  'apiregistration.k8s.io',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
  'flowcontrol.apiserver.k8s.io',
];

export function groupVersion(t: { group: string; version: string }): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** The key a resource type is stored under: "pods", "deployments.apps". */
export function resourceKey(t: { group: string; resource: string }): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}
