// upkeep as a library: everything the CLI does is callable from TypeScript.
//   import { KubeClient, drainNodes, analyzeDrain } from 'upkeep';

// Cluster access
export * from './kube/index.js';
export type * from './api/types.js';
export { isKubeObject, isStatus, objectKey } from './api/types.js';
export { parseLabelSelector, labelSelectorFromObject } from './api/labels.js';
export * from './api/pods.js';
export * from './api/nodes.js';
export { parseGoDuration, formatGoDuration, parseDurationFlag, DurationError } from './api/duration.js';

// Node maintenance
export { decideCordon, setCordon, resolveNodes, nodeSelection, NodeSelectionError, cordonedByUpkeep, CORDON_ANNOTATION, type CordonResult, type NodeSelection } from './drain/cordon.js';
export { filterPods, PodDeleteList } from './drain/filters.js';
export { analyzeDrain, type DrainImpactInput } from './drain/impact.js';
export { renderImpact } from './cli/output/drain.js';
export { gatherDrainInput } from './drain/gather.js';
export { drainNodes, restoreSurges, type DrainRunOptions, type DrainCallbacks, type DrainResult, type NodeDrainResult } from './drain/drain.js';
export { drainOptions, DEFAULT_DRAIN_OPTIONS, type DrainOptions, type DrainImpact } from './drain/types.js';

// Upgrade planning
export { parseVersion, compareVersions, formatVersion, type Version } from './upgrade/version.js';
export { checkSkew, allowedRange, type SkewViolation, type Component, type ComponentVersion } from './upgrade/skew.js';
export { planUpgrade, type UpgradePlan, type Hop, type Finding, type ClusterVersions } from './upgrade/plan.js';
export { REMOVED_APIS, findRemovedApis, type RemovedApi, type ApiUsage } from './upgrade/removedapis.js';
export { discoverClusterVersions, collectApiUsages } from './upgrade/discover.js';
export { preflight } from './upgrade/preflight.js';
export { renderPlanTable, renderRunbook } from './cli/output/plan.js';

// etcd
export { createEtcdClient, connectionFromFlags, type EtcdConnectionOptions } from './etcd/connection.js';
export { saveSnapshot, saveVerifiedSnapshot } from './etcd/snapshot.js';
export { snapshotStatus } from './etcd/status.js';
export { restoreSnapshot } from './etcd/restore.js';
export { clusterReport, healthReport } from './etcd/members.js';
export { discoverEtcd } from './etcd/discover.js';
export { openBolt } from './etcd/bolt/reader.js';

// Resource backups through the API server (Velero's archive layout, upkeep's manifest)
export { createBackup, type CreateOptions, type CreateResult, type CreateProgress, type CreateCallbacks } from './backup/create.js';
export { describeBackup, type BackupDescription } from './backup/describe.js';
export { verifyBackup, type VerifyOptions, type VerifyResult, type ObjectDifference } from './backup/verify.js';
export { diffBackup, type DiffOptions, type DiffResult, type ObjectChange } from './backup/diff.js';
export {
  restoreBackup,
  RestoreInterruptedError,
  type RestoreOptions,
  type RestoreResult,
  type RestoreCallbacks,
  type ResourceSummary,
  type ObjectOutcome,
  type ExistingResourcePolicy,
} from './backup/restore/restore.js';
export { restoreOrder, HIGH_PRIORITY, LOW_PRIORITY } from './backup/restore/order.js';
export { decideRestore, type RestoreDecision } from './backup/restore/decide.js';
export { prepareForRestore } from './backup/restore/prepare.js';
export { parseNamespaceMappings, applyNamespaceMappings } from './backup/restore/mapping.js';
export { planCollection, type BackupSelection, type CollectionPlan } from './backup/plan.js';
export { readKeyFile, readPassphraseFile, type SecretKeyOptions } from './backup/secrets.js';
export { BadArchiveError, BackupIncompleteError, BackupOptionError, StorageError } from './backup/errors.js';
export type { BackupManifest, BackupFilters, BackupFailure } from './backup/manifest.js';
export type { S3Options } from './backup/storage.js';

// The command line, for embedding
export { main } from './cli/main.js';
