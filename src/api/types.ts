// The shapes of the Kubernetes API shared by upkeep's client (src/kube), its domains and the
// sandbox (src/sandbox): typed views of every kind upkeep reads (from kubernetes-types), the
// generic KubeObject for kinds it does not know, lists, Status and watch events.

import type * as k8sApiextensions from 'kubernetes-types/apiextensions/v1.js';
import type * as k8sApps from 'kubernetes-types/apps/v1.js';
import type * as k8sAuthorization from 'kubernetes-types/authorization/v1.js';
import type * as k8sAutoscaling from 'kubernetes-types/autoscaling/v1.js';
import type * as k8sAutoscalingV2 from 'kubernetes-types/autoscaling/v2.js';
import type * as k8sBatch from 'kubernetes-types/batch/v1.js';
import type * as k8sCertificates from 'kubernetes-types/certificates/v1.js';
import type * as k8sCoordination from 'kubernetes-types/coordination/v1.js';
import type * as k8sDiscovery from 'kubernetes-types/discovery/v1.js';
import type * as k8sCore from 'kubernetes-types/core/v1.js';
import type * as k8sMeta from 'kubernetes-types/meta/v1.js';
import type * as k8sPolicy from 'kubernetes-types/policy/v1.js';
import type * as k8sRbac from 'kubernetes-types/rbac/v1.js';
import type * as k8sStorage from 'kubernetes-types/storage/v1.js';

// Object shapes come from kubernetes-types (Kubernetes' OpenAPI as TypeScript, type-only). Two
// adjustments fit them to the JSON an API server really sends and the sandbox really writes:
// `metadata` is always present on a served object, and nothing is readonly (the sandbox is the
// server, so it sets status, uid, resourceVersion and timestamps).

/** A type with its top-level readonly modifiers removed. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };

export type ObjectMeta = Writable<k8sMeta.ObjectMeta>;
export type OwnerReference = k8sMeta.OwnerReference;
export type Condition = k8sMeta.Condition;

/** A served object of a known kind: kubernetes-types' shape, metadata required, writable. */
export type Typed<T extends { metadata?: k8sMeta.ObjectMeta }> = { -readonly [K in keyof T as K extends 'metadata' ? never : K]: T[K] } & {
  metadata: ObjectMeta;
};

/** Any Kubernetes object: apiVersion, kind, metadata and whatever else it carries. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

// Typed views of the kinds upkeep reads. Names are Kubernetes' own.
export type Pod = Typed<k8sCore.Pod>;
export type PodSpec = k8sCore.PodSpec;
export type PodStatus = k8sCore.PodStatus;
export type PodCondition = k8sCore.PodCondition;
export type PodTemplateSpec = k8sCore.PodTemplateSpec;
export type Container = k8sCore.Container;
export type ContainerStatus = k8sCore.ContainerStatus;
export type Toleration = k8sCore.Toleration;
export type Taint = k8sCore.Taint;
export type Affinity = k8sCore.Affinity;
export type NodeSelectorTerm = k8sCore.NodeSelectorTerm;
export type NodeSelectorRequirement = k8sCore.NodeSelectorRequirement;
export type Volume = k8sCore.Volume;
export type Node = Typed<k8sCore.Node>;
export type NodeSpec = k8sCore.NodeSpec;
export type NodeStatus = k8sCore.NodeStatus;
export type NodeCondition = k8sCore.NodeCondition;
export type Namespace = Typed<k8sCore.Namespace>;
export type Service = Typed<k8sCore.Service>;
export type Endpoints = Typed<k8sCore.Endpoints>;
export type ConfigMap = Typed<k8sCore.ConfigMap>;
export type Secret = Typed<k8sCore.Secret>;
export type ServiceAccount = Typed<k8sCore.ServiceAccount>;
export type Event = Typed<k8sCore.Event>;
export type PersistentVolumeClaim = Typed<k8sCore.PersistentVolumeClaim>;
export type PersistentVolume = Typed<k8sCore.PersistentVolume>;
export type ReplicationController = Typed<k8sCore.ReplicationController>;
export type Deployment = Typed<k8sApps.Deployment>;
export type DeploymentSpec = k8sApps.DeploymentSpec;
export type DeploymentStatus = k8sApps.DeploymentStatus;
export type DeploymentCondition = k8sApps.DeploymentCondition;
export type ReplicaSet = Typed<k8sApps.ReplicaSet>;
export type StatefulSet = Typed<k8sApps.StatefulSet>;
export type DaemonSet = Typed<k8sApps.DaemonSet>;
export type ControllerRevision = Typed<k8sApps.ControllerRevision>;
/** A workload's scale subresource (deployments/scale, ...). */
export type Scale = Typed<k8sAutoscaling.Scale>;
export type Job = Typed<k8sBatch.Job>;
export type JobCondition = k8sBatch.JobCondition;
export type CronJob = Typed<k8sBatch.CronJob>;
export type PodDisruptionBudget = Typed<k8sPolicy.PodDisruptionBudget>;
export type CertificateSigningRequest = Typed<k8sCertificates.CertificateSigningRequest>;
export type SelfSubjectAccessReview = Typed<k8sAuthorization.SelfSubjectAccessReview>;
export type ResourceAttributes = k8sAuthorization.ResourceAttributes;
export type Eviction = Typed<k8sPolicy.Eviction>;
export type Lease = Typed<k8sCoordination.Lease>;
export type CustomResourceDefinition = Typed<k8sApiextensions.CustomResourceDefinition>;
export type Role = Typed<k8sRbac.Role>;
export type ClusterRole = Typed<k8sRbac.ClusterRole>;
export type RoleBinding = Typed<k8sRbac.RoleBinding>;
export type ClusterRoleBinding = Typed<k8sRbac.ClusterRoleBinding>;
export type PolicyRule = k8sRbac.PolicyRule;
export type RbacSubject = k8sRbac.Subject;
export type EndpointSlice = Typed<k8sDiscovery.EndpointSlice>;
export type HorizontalPodAutoscaler = Typed<k8sAutoscalingV2.HorizontalPodAutoscaler>;
export type StorageClass = Typed<k8sStorage.StorageClass>;

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

export interface StatusCause {
  /** The cause's kind (metav1.CauseType), serialised as "reason" by Kubernetes. */
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** metav1.Status: what an API server answers on failure (and on some deletes). */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: ListMeta;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason | string;
  details?: StatusDetails;
  code: number;
}

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'Timeout'
  | 'TooManyRequests'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'InternalError'
  | 'ServiceUnavailable';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = KubeObject> {
  type: WatchEventType;
  object: T;
}

export function isStatus(value: unknown): value is Status {
  return typeof value === 'object' && value !== null && 'kind' in value && value.kind === 'Status';
}

/** "ns/name" for namespaced objects, "name" otherwise: how kubectl names objects in messages. */
export function objectKey(obj: { metadata: ObjectMeta }): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name}` : `${name}`;
}

/** A decoded JSON value that has the one thing every served object has: a metadata object. */
export function isKubeObject(value: unknown): value is KubeObject {
  return typeof value === 'object' && value !== null && 'metadata' in value && typeof value.metadata === 'object' && value.metadata !== null;
}
