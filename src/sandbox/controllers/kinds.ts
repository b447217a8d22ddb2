// The resources the controllers read and write, as store resource keys ("pods",
// "deployments.apps") that carry their typed view from src/api/types.ts. The cache and the
// controller context take these keys and hand out objects of that type, so a controller reads
// `rs.spec?.replicas` instead of casting; a plain string key (a custom resource, say) reads as
// KubeObject.
import type {
  CertificateSigningRequest,
  ClusterRole,
  ConfigMap,
  ControllerRevision,
  CronJob,
  DaemonSet,
  Deployment,
  Endpoints,
  EndpointSlice,
  Event,
  HorizontalPodAutoscaler,
  Job,
  KubeObject,
  Lease,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
  ReplicaSet,
  ReplicationController,
  Service,
  ServiceAccount,
  StatefulSet,
  StorageClass,
} from '../../api/types.js';
import type { StoreEvent } from '../store/store.js';
import type { APIService } from '../server/apiservices.js';

declare const objectType: unique symbol;

/** A store resource key whose objects are T (type-only: at run time it is the plain key). */
export type ResourceKey<T extends KubeObject> = string & { readonly [objectType]?: T };

export const NAMESPACES: ResourceKey<Namespace> = 'namespaces';
export const NODES: ResourceKey<Node> = 'nodes';
export const PODS: ResourceKey<Pod> = 'pods';
export const SERVICE_ACCOUNTS: ResourceKey<ServiceAccount> = 'serviceaccounts';
export const CONFIG_MAPS: ResourceKey<ConfigMap> = 'configmaps';
export const EVENTS: ResourceKey<Event> = 'events';
export const PERSISTENT_VOLUME_CLAIMS: ResourceKey<PersistentVolumeClaim> = 'persistentvolumeclaims';
export const PERSISTENT_VOLUMES: ResourceKey<PersistentVolume> = 'persistentvolumes';
export const STORAGE_CLASSES: ResourceKey<StorageClass> = 'storageclasses.storage.k8s.io';
export const REPLICATION_CONTROLLERS: ResourceKey<ReplicationController> = 'replicationcontrollers';
export const LEASES: ResourceKey<Lease> = 'leases.coordination.k8s.io';
export const DEPLOYMENTS: ResourceKey<Deployment> = 'deployments.apps';
export const REPLICA_SETS: ResourceKey<ReplicaSet> = 'replicasets.apps';
export const DAEMON_SETS: ResourceKey<DaemonSet> = 'daemonsets.apps';
export const STATEFUL_SETS: ResourceKey<StatefulSet> = 'statefulsets.apps';
export const CONTROLLER_REVISIONS: ResourceKey<ControllerRevision> = 'controllerrevisions.apps';
export const JOBS: ResourceKey<Job> = 'jobs.batch';
export const CRON_JOBS: ResourceKey<CronJob> = 'cronjobs.batch';
export const POD_DISRUPTION_BUDGETS: ResourceKey<PodDisruptionBudget> = 'poddisruptionbudgets.policy';
export const SERVICES: ResourceKey<Service> = 'services';
export const ENDPOINTS: ResourceKey<Endpoints> = 'endpoints';
export const ENDPOINT_SLICES: ResourceKey<EndpointSlice> = 'endpointslices.discovery.k8s.io';
export const HORIZONTAL_POD_AUTOSCALERS: ResourceKey<HorizontalPodAutoscaler> = 'horizontalpodautoscalers.autoscaling';
export const CLUSTER_ROLES: ResourceKey<ClusterRole> = 'clusterroles.rbac.authorization.k8s.io';
export const API_SERVICES: ResourceKey<APIService> = 'apiservices.apiregistration.k8s.io';
export const CERTIFICATE_SIGNING_REQUESTS: ResourceKey<CertificateSigningRequest> = 'certificatesigningrequests.certificates.k8s.io';

/** A store event about one resource, its objects typed. */
export type EventOf<T extends KubeObject> = StoreEvent & { object: T; prev?: T };

/** Narrows a store event to one resource (the store keeps each object under its resource's key). */
export function isEventOf<T extends KubeObject>(e: StoreEvent, resource: ResourceKey<T>): e is EventOf<T> {
  return e.resource === resource;
}

/** The API group and plural of a resource key ("deployments.apps" -> apps, deployments). */
export function groupResource(resource: string): { group: string; resource: string } {
  const dot = resource.indexOf('.');
  return dot < 0 ? { group: '', resource } : { group: resource.slice(dot + 1), resource: resource.slice(0, dot) };
}
