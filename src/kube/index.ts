// src/kube: cluster access for upkeep. Everything talks to clusters through KubeClient.
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
