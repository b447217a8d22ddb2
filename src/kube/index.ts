// src/kube: cluster access for upkeep. Everything talks to clusters through KubeClient:
//
//   const kube = await KubeClient.create({ kubeconfig, context, namespace, requestTimeoutMs });
//   const node = await kube.get({ version: 'v1', resource: 'nodes', name: 'node01' });
//   await kube.patch({ version: 'v1', resource: 'nodes', name: 'node01' }, { spec: { unschedulable: true } }, 'strategic');
//   for await (const pod of kube.listAll({ version: 'v1', resource: 'pods' }, { fieldSelector: 'spec.nodeName=node01' })) ...
//   for await (const ev of kube.watch({ version: 'v1', resource: 'pods', namespace: 'ns' }, { resourceVersion, signal })) ...
//   const deploy = await kube.resolveResource('deploy'); // apps/v1 deployments
//
// Failures: StatusError (server answered non-2xx), ConnectionError (no answer),
// KubeConfigError (unusable kubeconfig), UnknownResourceError (name not in discovery).
export {
  KubeClient,
  PATCH_CONTENT_TYPES,
  DEFAULT_FIELD_MANAGER,
  type KubeClientOptions,
  type RequestOptions,
  type Target,
  type PatchType,
  type JsonPatchOperation,
  type DeleteOptions,
  type VersionInfo,
} from './client.js';
export { loadKubeConfig, type KubeConfigOptions, type LoadedConfig, type ConfigEnvironment } from './config.js';
export {
  ConnectionError,
  KubeConfigError,
  UnknownResourceError,
  REQUEST_TIMEOUT_CODE,
  statusFromResponse,
  isNotFound,
  isAlreadyExists,
  isConflict,
  isExpired,
  isTooManyRequests,
  isForbidden,
  isUnauthorized,
  type ConnectionFailure,
} from './errors.js';
export {
  resourcePath,
  groupVersionPath,
  buildQuery,
  parseApiVersion,
  parseResourcePath,
  type ResourceRef,
  type Query,
} from './paths.js';
export {
  decideRetry,
  backoffDelay,
  isIdempotent,
  defaultRetryOptions,
  type RetryOptions,
  type RetryDecision,
  type AttemptOutcome,
  type HttpVerb,
} from './retry.js';
export { DEFAULT_PAGE_SIZE, type ListOptions, type ListPage } from './pager.js';
export {
  Informer,
  type WatchOptions,
  type WatchStreamEvent,
  type ObjectEvent,
  type RelistEvent,
  type InformerEvent,
} from './watch.js';
export {
  resolveResource,
  isAggregatedDiscovery,
  type DiscoveryResult,
  type APIGroupInfo,
  type APIVersionInfo,
  type APIResourceInfo,
  type SubresourceInfo,
  type ResolvedResource,
  type DiscoveryFailure,
} from './discovery.js';
export type { RawResponse, RequestSpec } from './transport.js';
export { StatusError } from '../api/status.js';
