// API versions Kubernetes stopped serving, from the Deprecated API Migration Guide
// (kubernetes.io/docs/reference/using-api/deprecation-guide/, sections v1.16 to v1.32; no later
// removals were listed when this was written) and, for extensions/v1beta1 PodSecurityPolicy, the
// "Deprecated APIs Removed In 1.16" announcement. `deprecatedIn` is the release whose apiserver
// started returning "<apiVersion> <Kind> is deprecated in v1.X+, unavailable in v1.Y+".
// Every removal here kept existing objects readable through the replacement version: what breaks
// is manifests and clients that still send the old apiVersion.

export interface RemovedApiData {
  group: string;
  version: string;
  kind: string;
  resource: string;
  deprecatedIn: string;
  removedIn: string;
  /** 'apps/v1', or 'none' when nothing replaces the API. */
  replacement: string;
  /** The release that first served the replacement. */
  replacementAvailableIn?: string;
  notes?: string;
}

type Row = [group: string, version: string, kind: string, resource: string, deprecatedIn: string, replacement: string, availableIn: string, notes?: string];

function removedIn(release: string, rows: Row[]): RemovedApiData[] {
  return rows.map(([group, version, kind, resource, deprecatedIn, replacement, availableIn, notes]) => {
    const r: RemovedApiData = { group, version, kind, resource, deprecatedIn, removedIn: release, replacement };
    if (availableIn) r.replacementAvailableIn = availableIn;
    if (notes) r.notes = notes;
    return r;
  });
}

const SELECTOR_NOTE = 'spec.selector is required and immutable in apps/v1; use the existing template labels as the selector.';
const FLOWCONTROL_V1_NOTE =
  'In v1 the PriorityLevelConfiguration spec.limited.nominalConcurrencyShares defaults to 30 only when unspecified; an explicit 0 stays 0.';

export const REMOVED_API_DATA: readonly RemovedApiData[] = [
  ...removedIn('1.16', [
    ['extensions', 'v1beta1', 'NetworkPolicy', 'networkpolicies', '1.9', 'networking.k8s.io/v1', '1.8'],
    ['extensions', 'v1beta1', 'PodSecurityPolicy', 'podsecuritypolicies', '1.11', 'policy/v1beta1', '1.10',
      'policy/v1beta1 PodSecurityPolicy was itself removed in v1.25; plan for Pod Security Admission.'],
    ['extensions', 'v1beta1', 'DaemonSet', 'daemonsets', '1.9', 'apps/v1', '1.9',
      `${SELECTOR_NOTE} spec.updateStrategy.type now defaults to RollingUpdate (was OnDelete).`],
    ['apps', 'v1beta2', 'DaemonSet', 'daemonsets', '1.9', 'apps/v1', '1.9', SELECTOR_NOTE],
    ['extensions', 'v1beta1', 'Deployment', 'deployments', '1.9', 'apps/v1', '1.9',
      `${SELECTOR_NOTE} spec.rollbackTo is removed; progressDeadlineSeconds defaults to 600, revisionHistoryLimit to 10, maxSurge/maxUnavailable to 25%.`],
    ['apps', 'v1beta1', 'Deployment', 'deployments', '1.9', 'apps/v1', '1.9', `${SELECTOR_NOTE} spec.rollbackTo is removed.`],
    ['apps', 'v1beta2', 'Deployment', 'deployments', '1.9', 'apps/v1', '1.9', SELECTOR_NOTE],
    ['apps', 'v1beta1', 'StatefulSet', 'statefulsets', '1.9', 'apps/v1', '1.9',
      `${SELECTOR_NOTE} spec.updateStrategy.type now defaults to RollingUpdate (was OnDelete).`],
    ['apps', 'v1beta2', 'StatefulSet', 'statefulsets', '1.9', 'apps/v1', '1.9', SELECTOR_NOTE],
    ['extensions', 'v1beta1', 'ReplicaSet', 'replicasets', '1.9', 'apps/v1', '1.9', SELECTOR_NOTE],
    ['apps', 'v1beta1', 'ReplicaSet', 'replicasets', '1.9', 'apps/v1', '1.9', SELECTOR_NOTE],
    ['apps', 'v1beta2', 'ReplicaSet', 'replicasets', '1.9', 'apps/v1', '1.9', SELECTOR_NOTE],
  ]),
  ...removedIn('1.22', [
    ['admissionregistration.k8s.io', 'v1beta1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', '1.16', 'admissionregistration.k8s.io/v1', '1.16',
      'In v1 failurePolicy defaults to Fail, matchPolicy to Equivalent, timeoutSeconds to 10s; sideEffects and admissionReviewVersions are required.'],
    ['admissionregistration.k8s.io', 'v1beta1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', '1.16', 'admissionregistration.k8s.io/v1', '1.16',
      'In v1 failurePolicy defaults to Fail, matchPolicy to Equivalent, timeoutSeconds to 10s; sideEffects and admissionReviewVersions are required.'],
    ['apiextensions.k8s.io', 'v1beta1', 'CustomResourceDefinition', 'customresourcedefinitions', '1.16', 'apiextensions.k8s.io/v1', '1.16',
      'v1 requires spec.scope, a structural spec.versions[*].schema.openAPIV3Schema, and moves validation, subresources and printer columns under spec.versions[*].'],
    ['apiregistration.k8s.io', 'v1beta1', 'APIService', 'apiservices', '1.19', 'apiregistration.k8s.io/v1', '1.10'],
    ['authentication.k8s.io', 'v1beta1', 'TokenReview', 'tokenreviews', '1.19', 'authentication.k8s.io/v1', '1.6'],
    ['authorization.k8s.io', 'v1beta1', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', '1.19', 'authorization.k8s.io/v1', '1.6', 'spec.group is renamed spec.groups.'],
    ['authorization.k8s.io', 'v1beta1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', '1.19', 'authorization.k8s.io/v1', '1.6', 'spec.group is renamed spec.groups.'],
    ['authorization.k8s.io', 'v1beta1', 'SubjectAccessReview', 'subjectaccessreviews', '1.19', 'authorization.k8s.io/v1', '1.6', 'spec.group is renamed spec.groups.'],
    ['certificates.k8s.io', 'v1beta1', 'CertificateSigningRequest', 'certificatesigningrequests', '1.19', 'certificates.k8s.io/v1', '1.19',
      'v1 requires spec.signerName and spec.usages.'],
    ['coordination.k8s.io', 'v1beta1', 'Lease', 'leases', '1.19', 'coordination.k8s.io/v1', '1.14'],
    ['extensions', 'v1beta1', 'Ingress', 'ingresses', '1.14', 'networking.k8s.io/v1', '1.19',
      'spec.backend becomes spec.defaultBackend, serviceName/servicePort become service.name/service.port; pathType is required.'],
    ['networking.k8s.io', 'v1beta1', 'Ingress', 'ingresses', '1.19', 'networking.k8s.io/v1', '1.19',
      'spec.backend becomes spec.defaultBackend, serviceName/servicePort become service.name/service.port; pathType is required.'],
    ['networking.k8s.io', 'v1beta1', 'IngressClass', 'ingressclasses', '1.19', 'networking.k8s.io/v1', '1.19'],
    ['rbac.authorization.k8s.io', 'v1beta1', 'ClusterRole', 'clusterroles', '1.17', 'rbac.authorization.k8s.io/v1', '1.8'],
    ['rbac.authorization.k8s.io', 'v1beta1', 'ClusterRoleBinding', 'clusterrolebindings', '1.17', 'rbac.authorization.k8s.io/v1', '1.8'],
    ['rbac.authorization.k8s.io', 'v1beta1', 'Role', 'roles', '1.17', 'rbac.authorization.k8s.io/v1', '1.8'],
    ['rbac.authorization.k8s.io', 'v1beta1', 'RoleBinding', 'rolebindings', '1.17', 'rbac.authorization.k8s.io/v1', '1.8'],
    ['scheduling.k8s.io', 'v1beta1', 'PriorityClass', 'priorityclasses', '1.14', 'scheduling.k8s.io/v1', '1.14'],
    ['storage.k8s.io', 'v1beta1', 'CSIDriver', 'csidrivers', '1.19', 'storage.k8s.io/v1', '1.19'],
    ['storage.k8s.io', 'v1beta1', 'CSINode', 'csinodes', '1.17', 'storage.k8s.io/v1', '1.17'],
    ['storage.k8s.io', 'v1beta1', 'StorageClass', 'storageclasses', '1.19', 'storage.k8s.io/v1', '1.6'],
    ['storage.k8s.io', 'v1beta1', 'VolumeAttachment', 'volumeattachments', '1.19', 'storage.k8s.io/v1', '1.13'],
  ]),
  ...removedIn('1.25', [
    ['batch', 'v1beta1', 'CronJob', 'cronjobs', '1.21', 'batch/v1', '1.21'],
    ['discovery.k8s.io', 'v1beta1', 'EndpointSlice', 'endpointslices', '1.21', 'discovery.k8s.io/v1', '1.21',
      'Use the per-endpoint nodeName and zone fields instead of topology.'],
    ['events.k8s.io', 'v1beta1', 'Event', 'events', '1.22', 'events.k8s.io/v1', '1.19',
      'type is limited to Normal and Warning; involvedObject is renamed regarding.'],
    ['autoscaling', 'v2beta1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', '1.22', 'autoscaling/v2', '1.23',
      'targetAverageUtilization becomes target.averageUtilization with target.type: Utilization.'],
    ['policy', 'v1beta1', 'PodDisruptionBudget', 'poddisruptionbudgets', '1.21', 'policy/v1', '1.21',
      'An empty spec.selector selects every pod in the namespace in policy/v1 (none in v1beta1).'],
    ['policy', 'v1beta1', 'PodSecurityPolicy', 'podsecuritypolicies', '1.21', 'none', '',
      'PodSecurityPolicy is removed without a replacement API: migrate to Pod Security Admission or a third-party admission webhook before upgrading.'],
    ['node.k8s.io', 'v1beta1', 'RuntimeClass', 'runtimeclasses', '1.22', 'node.k8s.io/v1', '1.20'],
  ]),
  ...removedIn('1.26', [
    ['flowcontrol.apiserver.k8s.io', 'v1beta1', 'FlowSchema', 'flowschemas', '1.23', 'flowcontrol.apiserver.k8s.io/v1beta3', '1.26',
      'flowcontrol.apiserver.k8s.io/v1beta2 is served from v1.23 and v1 from v1.29.'],
    ['flowcontrol.apiserver.k8s.io', 'v1beta1', 'PriorityLevelConfiguration', 'prioritylevelconfigurations', '1.23', 'flowcontrol.apiserver.k8s.io/v1beta3', '1.26',
      'flowcontrol.apiserver.k8s.io/v1beta2 is served from v1.23 and v1 from v1.29.'],
    ['autoscaling', 'v2beta2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', '1.23', 'autoscaling/v2', '1.23'],
  ]),
  ...removedIn('1.27', [
    ['storage.k8s.io', 'v1beta1', 'CSIStorageCapacity', 'csistoragecapacities', '1.24', 'storage.k8s.io/v1', '1.24'],
  ]),
  ...removedIn('1.29', [
    ['flowcontrol.apiserver.k8s.io', 'v1beta2', 'FlowSchema', 'flowschemas', '1.26', 'flowcontrol.apiserver.k8s.io/v1', '1.29', FLOWCONTROL_V1_NOTE],
    ['flowcontrol.apiserver.k8s.io', 'v1beta2', 'PriorityLevelConfiguration', 'prioritylevelconfigurations', '1.26', 'flowcontrol.apiserver.k8s.io/v1', '1.29',
      `spec.limited.assuredConcurrencyShares is renamed spec.limited.nominalConcurrencyShares. ${FLOWCONTROL_V1_NOTE}`],
  ]),
  ...removedIn('1.32', [
    ['flowcontrol.apiserver.k8s.io', 'v1beta3', 'FlowSchema', 'flowschemas', '1.29', 'flowcontrol.apiserver.k8s.io/v1', '1.29', FLOWCONTROL_V1_NOTE],
    ['flowcontrol.apiserver.k8s.io', 'v1beta3', 'PriorityLevelConfiguration', 'prioritylevelconfigurations', '1.29', 'flowcontrol.apiserver.k8s.io/v1', '1.29', FLOWCONTROL_V1_NOTE],
  ]),
];
