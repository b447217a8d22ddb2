// `backup create`: every resource discovery finds (as planCollection decides), listed in pages of
// 500 and streamed into the archive page by page, so memory stays flat whatever the cluster's
// size. A group whose discovery or list fails is named and fails the backup (no archive is left)
// unless allowPartial, when the manifest records it.
import type { KubeObject, PersistentVolumeClaim } from '../api/types.js';
import { asKind } from './kinds.js';
import { StatusError } from '../api/status.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { UPKEEP_VERSION } from '../util/version.js';
import { ArchiveWriter } from './archive.js';
import { BackupIncompleteError, errorMessage } from './errors.js';
import { METADATA_VERSION_ENTRY, SECRETS_KEY_ENTRY, VELERO_FORMAT_VERSION, groupResource, objectEntries } from './layout.js';
import { MANIFEST_API_VERSION, MANIFEST_FORMAT, MANIFEST_KIND, type BackupFailure, type BackupManifest, type ResourceCount } from './manifest.js';
import {
  CRD_RESOURCE,
  NAMESPACES_RESOURCE,
  discoveryRecord,
  excludedByLabel,
  listScopes,
  namespaceSelected,
  planCollection,
  type BackupSelection,
  type CollectionPlan,
  type PlannedResource,
} from './plan.js';
import { SecretSealer, type SecretKeyOptions } from './secrets.js';
import { formatLocation, openSink, parseLocation, type S3Options } from './storage.js';

export interface CreateOptions extends BackupSelection {
  /** Keep a backup without the groups that failed (recorded in the manifest). */
  allowPartial?: boolean;
  /** Encrypt Secret entries to these keys; undefined: Secrets are stored as the API returns them. */
  encryptSecrets?: SecretKeyOptions;
  s3?: S3Options;
  /** Page size of every list (kubectl's and Velero's 500). */
  pageSize?: number;
  signal?: AbortSignal;
}

export interface CreateProgress {
  resource: string;
  resourcesDone: number;
  resourcesTotal: number;
  objects: number;
  /** Compressed bytes written. */
  bytes: number;
}

export interface CreateCallbacks {
  onProgress?: (p: CreateProgress) => void;
  /** A group or resource that could not be read (before the decision to fail or go on). */
  onFailure?: (f: BackupFailure) => void;
}

export interface CreateResult {
  location: string;
  manifest: BackupManifest;
  /** Size of the archive. */
  compressedBytes: number;
  elapsedMs: number;
  plan: CollectionPlan;
}

const SECRETS = 'secrets';

export async function createBackup(client: KubeClient, target: string, options: CreateOptions = {}, callbacks: CreateCallbacks = {}): Promise<CreateResult> {
  const started = performance.now();
  const startedAt = new Date();
  const location = parseLocation(target);
  const version = await client.serverVersion({ signal: options.signal });
  const discovery = await client.discover({ refresh: true });
  const plan = planCollection(discovery, options);
  for (const f of plan.failed) callbacks.onFailure?.(f);
  if (plan.failed.length && !options.allowPartial) throw new BackupIncompleteError(plan.failed);
  const sealer = options.encryptSecrets ? await SecretSealer.create(options.encryptSecrets) : undefined;

  const writer = await ArchiveWriter.open(await openSink(location, options.s3), startedAt);
  const collector = new Collector(client, writer, plan, options, callbacks, sealer);
  try {
    await writer.add(METADATA_VERSION_ENTRY, Buffer.from(`${VELERO_FORMAT_VERSION}\n`));
    if (sealer) await writer.add(SECRETS_KEY_ENTRY, sealer.keyEntry);
    await collector.collect();
    const manifest = (checksums: { sha256: string; entries: number }): BackupManifest => ({
      apiVersion: MANIFEST_API_VERSION,
      kind: MANIFEST_KIND,
      format: MANIFEST_FORMAT,
      veleroFormat: VELERO_FORMAT_VERSION,
      upkeepVersion: UPKEEP_VERSION,
      startedAt: startedAt.toISOString(),
      completedAt: new Date().toISOString(),
      cluster: { server: client.server, version: version.gitVersion, platform: version.platform, discovery: discoveryRecord(discovery) },
      filters: plan.filters,
      resources: collector.counts(),
      totals: { objects: collector.objects, entries: checksums.entries, bytes: writer.bytes },
      failed: collector.failed,
      partial: collector.failed.length > 0,
      secrets: sealer
        ? { protection: 'age', recipients: sealer.recipients, passphrase: sealer.passphrase, keyEntry: SECRETS_KEY_ENTRY, encryptedEntries: collector.encrypted }
        : { protection: 'none', encryptedEntries: 0 },
      checksums: { entry: 'upkeep/checksums.sha256', algorithm: 'sha256', sha256: checksums.sha256 },
    });
    let built: BackupManifest | undefined;
    await writer.finish((c) => (built = manifest(c)));
    return { location: formatLocation(location), manifest: built!, compressedBytes: writer.written, elapsedMs: performance.now() - started, plan };
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** Lists, filters and writes; keeps the counts (bounded by resources x namespaces). */
class Collector {
  objects = 0;
  encrypted = 0;
  readonly failed: BackupFailure[];
  private readonly perResource = new Map<string, ResourceCount>();
  private readonly crdsWanted = new Set<string>();
  private readonly pvsWanted = new Set<string>();
  private done = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly writer: ArchiveWriter,
    private readonly plan: CollectionPlan,
    private readonly options: CreateOptions,
    private readonly callbacks: CreateCallbacks,
    private readonly sealer: SecretSealer | undefined,
  ) {
    this.failed = [...plan.failed];
  }

  async collect(): Promise<void> {
    for (const r of this.plan.resources) {
      await this.collectResource(r);
      this.done++;
      this.progress(r.groupResource);
    }
    await this.pullIns();
  }

  counts(): ResourceCount[] {
    return [...this.perResource.values()];
  }

  private async collectResource(r: PlannedResource): Promise<void> {
    const filters = this.plan.filters;
    const scopes = r.namespaced ? listScopes(filters) : [undefined];
    // Namespace objects are kept for every namespace backed up, whatever the label selector.
    const labelSelector = r.groupResource === NAMESPACES_RESOURCE ? undefined : filters.labelSelector;
    for (const namespace of scopes) {
      try {
        const target = { group: r.group, version: r.version, resource: r.resource, namespace };
        for await (const page of this.client.listPages(target, { limit: this.options.pageSize ?? 500, labelSelector, restartOnExpired: true, signal: this.options.signal })) {
          for (const item of page.items) {
            if (r.namespaced && !namespaceSelected(item.metadata.namespace ?? '', filters)) continue;
            if (r.groupResource === NAMESPACES_RESOURCE && !namespaceSelected(item.metadata.name ?? '', filters)) continue;
            if (excludedByLabel(item.metadata.labels)) continue;
            await this.write(r, item);
          }
          this.progress(r.groupResource);
        }
      } catch (e) {
        // A server's refusal (403, 404 of a vanished group, 5xx after retries) is this
        // resource's failure; a connection that is gone fails the whole backup.
        if (!(e instanceof StatusError)) throw e;
        const failure: BackupFailure = { what: r.groupResource, kind: 'list', message: `${e.reason || e.code}: ${e.message}` };
        this.failed.push(failure);
        this.callbacks.onFailure?.(failure);
        if (!this.options.allowPartial) throw new BackupIncompleteError([failure]);
        return;
      }
    }
  }

  private async write(r: PlannedResource, item: KubeObject): Promise<void> {
    const name = item.metadata.name ?? '';
    const namespace = r.namespaced ? (item.metadata.namespace ?? '') : undefined;
    let data: Buffer = Buffer.from(JSON.stringify(item));
    if (r.groupResource === SECRETS && this.sealer) {
      data = await this.sealer.seal(data);
      this.encrypted += 2;
    }
    for (const entry of objectEntries({ groupResource: r.groupResource, namespace, name }, r.version)) await this.writer.add(entry, data);
    this.objects++;
    let count = this.perResource.get(r.groupResource);
    if (!count) {
      count = { groupResource: r.groupResource, group: r.group, version: r.version, kind: r.kind, namespaced: r.namespaced, count: 0 };
      if (r.namespaced) count.namespaces = {};
      this.perResource.set(r.groupResource, count);
    }
    count.count++;
    if (namespace !== undefined && count.namespaces) count.namespaces[namespace] = (count.namespaces[namespace] ?? 0) + 1;
    if (this.plan.pullCRDs && r.group && r.groupResource !== CRD_RESOURCE) this.crdsWanted.add(groupResource(r.resource, r.group));
    const volumeName = r.groupResource === 'persistentvolumeclaims' ? asKind<PersistentVolumeClaim>(item).spec?.volumeName : undefined;
    if (this.plan.pullPVs && volumeName) this.pvsWanted.add(volumeName);
  }

  /**
   * Cluster-scoped objects the namespaced ones need, when their resource is not collected whole:
   * the CRD of each custom resource backed up, the PV of each PVC (as Velero adds them).
   */
  private async pullIns(): Promise<void> {
    const crd: PlannedResource = { groupResource: CRD_RESOURCE, group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };
    const pv: PlannedResource = { groupResource: 'persistentvolumes', group: '', version: 'v1', resource: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false };
    for (const [resource, names] of [
      [crd, this.crdsWanted],
      [pv, this.pvsWanted],
    ] as const) {
      for (const name of [...names].sort()) {
        let item: KubeObject;
        try {
          item = await this.client.get<KubeObject>({ group: resource.group, version: resource.version, resource: resource.resource, name }, undefined, { signal: this.options.signal });
        } catch (e) {
          // Built-in groups have no CRD; a PV may be gone: neither is a failure.
          if (isNotFound(e)) continue;
          const failure: BackupFailure = { what: `${resource.groupResource}/${name}`, kind: 'list', message: errorMessage(e) };
          this.failed.push(failure);
          this.callbacks.onFailure?.(failure);
          if (!this.options.allowPartial) throw new BackupIncompleteError([failure]);
          continue;
        }
        item.apiVersion ??= resource.group ? `${resource.group}/${resource.version}` : resource.version;
        item.kind ??= resource.kind;
        await this.write(resource, item);
      }
    }
  }

  private progress(resource: string): void {
    this.callbacks.onProgress?.({ resource, resourcesDone: this.done, resourcesTotal: this.plan.resources.length, objects: this.objects, bytes: this.writer.written });
  }
}
