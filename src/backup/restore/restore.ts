// `backup restore`: the executor. The archive is read whole first (every checksum checked, the
// Secrets opened) so nothing is restored from a damaged archive; then CRDs (waiting until
// Established, then discovery again), then the rest in Velero's order. Per object the decisions
// are pure (decide.ts: skip and why; mapping.ts: namespaces; prepare.ts: strip and fix up;
// compare.ts: an existing object unchanged, different, or patched); this file only carries them
// out and counts. ownerReferences are dropped on create and put back afterwards with the owners'
// new uids, so garbage collection keeps working (Velero drops them for good: #4707, #816).
import { promises as fs } from 'node:fs';
import type { CustomResourceDefinition, KubeObject, OwnerReference, Service, Status } from '../../api/types.js';
import { asKind } from '../kinds.js';
import { StatusError } from '../../api/status.js';
import { parseLabelSelector, type Selector } from '../../api/labels.js';
import type { KubeClient } from '../../kube/client.js';
import type { APIResourceInfo, DiscoveryResult } from '../../kube/discovery.js';
import { isAlreadyExists, isNotFound } from '../../kube/errors.js';
import type { Query, ResourceRef } from '../../kube/paths.js';
import { comparable, mergePatch } from '../compare.js';
import { BackupOptionError, BadArchiveError, errorMessage } from '../errors.js';
import { ExtractedArchive, KindIndex, type ArchivedObjectRef } from '../extracted.js';
import { splitGroupResource } from '../layout.js';
import { namespaceSelected, resolveFilters, selectsAllNamespaces, type BackupSelection } from '../plan.js';
import { extractionDir, scanArchive, type ScanResult } from '../reader.js';
import type { SecretKeyOptions } from '../secrets.js';
import type { S3Options } from '../storage.js';
import { decideRestore } from './decide.js';
import { applyNamespaceMappings, mapNamespace } from './mapping.js';
import { restoreOrder, CRDS } from './order.js';
import { prepareForRestore } from './prepare.js';

export type ExistingResourcePolicy = 'none' | 'update';

export interface RestoreOptions extends BackupSelection {
  namespaceMappings?: ReadonlyMap<string, string>;
  existingResourcePolicy?: ExistingResourcePolicy;
  preserveNodePorts?: boolean;
  /** Send every write with dryRun=All: the server checks it, nothing is stored. */
  dryRun?: boolean;
  keys?: SecretKeyOptions;
  s3?: S3Options;
  /** How long to wait for each CRD to be Established (default 60 s). */
  crdTimeoutMs?: number;
  /** Objects written at once within one resource (default 16). */
  concurrency?: number;
}

export type ObjectAction = 'created' | 'updated' | 'unchanged' | 'skipped' | 'failed';

export interface ObjectOutcome {
  groupResource: string;
  /** In the target cluster (after namespace mapping). */
  namespace?: string;
  name: string;
  action: ObjectAction;
  /** Why skipped, or the API's message when failed. */
  reason?: string;
  /** The API's Status when a write failed. */
  status?: Status;
}

export interface ResourceSummary {
  groupResource: string;
  created: number;
  updated: number;
  unchanged: number;
  /** Skipped objects by reason. */
  skipped: Record<string, number>;
  failed: { object: string; reason: string; message: string }[];
}

export interface RestoreResult {
  location: string;
  dryRun: boolean;
  /** Velero tarball (no upkeep manifest). */
  velero: boolean;
  checksummed: boolean;
  resources: ResourceSummary[];
  totals: { created: number; updated: number; unchanged: number; skipped: number; failed: number };
  /** ownerReferences put back with the owners' new uids, and those whose owner is not there. */
  ownerReferences: { relinked: number; dropped: number };
  elapsedMs: number;
}

export interface RestoreCallbacks {
  onPhase?: (text: string) => void;
  onObject?: (outcome: ObjectOutcome) => void;
}

/** Stopped part way (the cluster went away): `result` says what was and was not restored. */
export class RestoreInterruptedError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly result: RestoreResult,
    cause: unknown,
  ) {
    super(`restore interrupted: ${errorMessage(cause)}`, { cause });
    this.name = 'RestoreInterruptedError';
  }
}

export async function restoreBackup(client: KubeClient, source: string, options: RestoreOptions = {}, callbacks: RestoreCallbacks = {}): Promise<RestoreResult> {
  const dir = await extractionDir();
  try {
    callbacks.onPhase?.(`reading ${source}`);
    const scan = await scanArchive(source, { extractTo: dir, keys: options.keys, s3: options.s3 });
    throwOnProblems(scan, 'nothing was restored');
    return await restoreExtracted(client, new ExtractedArchive(dir, scan.secrets, scan.manifest?.secrets.protection === 'age'), scan, options, callbacks);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Restore an archive already read and checked (verify reads once, restores, then compares). */
export async function restoreExtracted(
  client: KubeClient,
  archive: ExtractedArchive,
  scan: ScanResult,
  options: RestoreOptions = {},
  callbacks: RestoreCallbacks = {},
): Promise<RestoreResult> {
  const started = performance.now();
  const run = new RestoreRun(client, archive, scan, options, callbacks);
  try {
    await run.execute();
  } catch (e) {
    if (e instanceof BadArchiveError || e instanceof BackupOptionError) throw e;
    throw new RestoreInterruptedError(run.result(performance.now() - started), e);
  }
  return run.result(performance.now() - started);
}

/** A scan that found altered or missing entries is refused as a whole. */
export function throwOnProblems(scan: ScanResult, consequence: string): void {
  const first = scan.problems[0];
  if (!first) return;
  const more = scan.problems.length > 1 ? ` (and ${scan.problems.length - 1} more)` : '';
  throw new BadArchiveError(`${scan.location}: entry ${first.entry}: ${first.problem}${more}; ${consequence}`, first.entry);
}

interface PendingOwners {
  target: ResourceRef;
  owners: OwnerReference[];
}

class RestoreRun {
  private discovery!: DiscoveryResult;
  private readonly kinds = new KindIndex();
  private readonly summaries = new Map<string, ResourceSummary>();
  private readonly namespaces = new Set<string>();
  private readonly uids = new Map<string, string>();
  private readonly pendingOwners: PendingOwners[] = [];
  private readonly servicesWithSelector = new Set<string>();
  private readonly volumesRestored = new Set<string>();
  private readonly relinked = { relinked: 0, dropped: 0 };
  private include = new Set<string>();
  private exclude = new Set<string>();
  private selector: Selector | undefined;
  private readonly query: Query;

  constructor(
    private readonly client: KubeClient,
    private readonly archive: ExtractedArchive,
    private readonly scan: ScanResult,
    private readonly options: RestoreOptions,
    private readonly callbacks: RestoreCallbacks,
  ) {
    this.query = options.dryRun ? { dryRun: 'All' } : {};
  }

  async execute(): Promise<void> {
    await this.refreshDiscovery();
    this.resolveSelection();
    const grs = (await this.archive.groupResources()).filter((gr) => this.resourceSelected(gr));
    for (const gr of grs) {
      if (this.archive.needsKey(gr)) {
        throw new BadArchiveError("the archive's Secrets are encrypted: give the key with --key-file or --passphrase-file (or leave Secrets out with --exclude-resources secrets)");
      }
    }
    const order = restoreOrder(grs);
    for (const gr of order.first) await this.restoreResource(gr);
    if (order.first.length) await this.refreshDiscovery();
    await this.prescan(grs);
    const { items } = await this.client.list({ version: 'v1', resource: 'namespaces' });
    for (const ns of items) this.namespaces.add(ns.metadata.name ?? '');
    for (const gr of order.then) await this.restoreResource(gr);
    if (!this.options.dryRun) await this.relinkOwners();
  }

  result(elapsedMs: number): RestoreResult {
    const resources = [...this.summaries.values()];
    const sum = (f: (r: ResourceSummary) => number) => resources.reduce((n, r) => n + f(r), 0);
    return {
      location: this.scan.location,
      dryRun: !!this.options.dryRun,
      velero: !this.scan.manifest,
      checksummed: this.scan.checksummed,
      resources,
      totals: {
        created: sum((r) => r.created),
        updated: sum((r) => r.updated),
        unchanged: sum((r) => r.unchanged),
        skipped: sum((r) => Object.values(r.skipped).reduce((a, b) => a + b, 0)),
        failed: sum((r) => r.failed.length),
      },
      ownerReferences: this.relinked,
      elapsedMs,
    };
  }

  private async refreshDiscovery(): Promise<void> {
    this.discovery = await this.client.discover({ refresh: true });
    for (const g of this.discovery.groups) for (const v of g.versions) for (const r of v.resources) this.kinds.add(r.group, r.kind, r.resource);
  }

  private resolveSelection(): void {
    const o = this.options;
    const filters = resolveFilters(this.discovery, { ...o, includeResources: o.includeResources?.filter((w) => !this.inArchiveAsIs(w)), excludeResources: o.excludeResources?.filter((w) => !this.inArchiveAsIs(w)) });
    this.include = new Set([...filters.includeResources, ...(o.includeResources ?? []).filter((w) => this.inArchiveAsIs(w))]);
    this.exclude = new Set([...filters.excludeResources, ...(o.excludeResources ?? []).filter((w) => this.inArchiveAsIs(w))]);
    this.selector = o.labelSelector ? selectorFlag(o.labelSelector) : undefined;
  }

  /** A word that already is an archive folder name ("widgets.example.com") needs no discovery. */
  private inArchiveAsIs(word: string): boolean {
    return word.includes('.') && word.split('.').length > 2 && /^[a-z0-9.-]+$/.test(word);
  }

  private resourceSelected(gr: string): boolean {
    if (this.exclude.has(gr)) return false;
    return this.include.size === 0 || this.include.has('*') || this.include.has(gr);
  }

  /** What the per-object decisions need from other objects: Services with selectors, restored PVs. */
  private async prescan(grs: string[]): Promise<void> {
    if (grs.includes('services')) {
      for await (const ref of this.archive.refs('services')) {
        const svc = await this.archive.read(ref);
        const selector = asKind<Service>(svc).spec?.selector;
        if (selector && Object.keys(selector).length) this.servicesWithSelector.add(`${ref.namespace}/${ref.name}`);
      }
    }
    if (grs.includes('persistentvolumes')) {
      for await (const ref of this.archive.refs('persistentvolumes')) {
        const pv = await this.archive.read(ref);
        if (this.objectSelected(pv, ref) && this.decide(pv, ref).restore) this.volumesRestored.add(ref.name);
      }
    }
  }

  private decide(o: KubeObject, ref: ArchivedObjectRef) {
    return decideRestore(o, {
      groupResource: ref.groupResource,
      ownerInArchive: (owner) => this.ownerInArchive(owner, ref.namespace),
      serviceHasSelector: (ns, name) => this.servicesWithSelector.has(`${ns}/${name}`),
    });
  }

  private ownerInArchive(owner: OwnerReference, namespace: string | undefined): boolean {
    const gr = this.kinds.groupResourceOf(owner);
    return !!gr && this.resourceSelected(gr) && this.ownerFiles.has(`${gr}|${namespace ?? ''}|${owner.name}`);
  }

  /** Owners named by ownerReferences, found in the archive (filled per resource before use). */
  private readonly ownerFiles = new Set<string>();

  private async noteOwners(objects: { o: KubeObject; ref: ArchivedObjectRef }[]): Promise<void> {
    for (const { o, ref } of objects) {
      for (const owner of o.metadata.ownerReferences ?? []) {
        const gr = this.kinds.groupResourceOf(owner);
        if (!gr) continue;
        const ownerNamespace = await this.ownerNamespace(gr, ref.namespace);
        if (await this.archive.has(gr, ownerNamespace, owner.name)) this.ownerFiles.add(`${gr}|${ref.namespace ?? ''}|${owner.name}`);
      }
    }
  }

  /** Owners are in the dependent's namespace, or cluster-scoped. */
  private async ownerNamespace(gr: string, namespace: string | undefined): Promise<string | undefined> {
    const info = this.resourceInfo(gr);
    return info && !info.namespaced ? undefined : namespace;
  }

  private objectSelected(o: KubeObject, ref: ArchivedObjectRef): boolean {
    const filters = { includeNamespaces: this.options.includeNamespaces ?? [], excludeNamespaces: this.options.excludeNamespaces ?? [] };
    if (ref.namespace !== undefined && !namespaceSelected(ref.namespace, filters)) return false;
    if (ref.groupResource === 'namespaces' && !namespaceSelected(ref.name, filters)) return false;
    if (ref.namespace === undefined && ref.groupResource !== 'namespaces') {
      const icr = this.options.includeClusterResources ?? 'auto';
      if (icr === 'false' || (icr === 'auto' && !selectsAllNamespaces(filters) && !this.include.has(ref.groupResource))) return false;
    }
    if (this.selector && ref.groupResource !== 'namespaces' && !this.selector.matches(o.metadata.labels ?? {})) return false;
    return true;
  }

  /** The target's resource for an archive folder (preferred version). */
  private resourceInfo(gr: string): APIResourceInfo | undefined {
    const { resource, group } = splitGroupResource(gr);
    const g = this.discovery.groups.find((x) => x.name === group);
    const v = g?.versions.find((x) => x.version === g.preferredVersion) ?? g?.versions[0];
    return v?.resources.find((r) => r.resource === resource);
  }

  private servedVersions(gr: string): string[] {
    const { resource, group } = splitGroupResource(gr);
    const g = this.discovery.groups.find((x) => x.name === group);
    return (g?.versions ?? []).filter((v) => v.resources.some((r) => r.resource === resource)).map((v) => v.version);
  }

  private summary(gr: string): ResourceSummary {
    let s = this.summaries.get(gr);
    if (!s) this.summaries.set(gr, (s = { groupResource: gr, created: 0, updated: 0, unchanged: 0, skipped: {}, failed: [] }));
    return s;
  }

  private record(outcome: ObjectOutcome): void {
    const s = this.summary(outcome.groupResource);
    if (outcome.action === 'created') s.created++;
    else if (outcome.action === 'updated') s.updated++;
    else if (outcome.action === 'unchanged') s.unchanged++;
    else if (outcome.action === 'skipped') s.skipped[outcome.reason ?? ''] = (s.skipped[outcome.reason ?? ''] ?? 0) + 1;
    else {
      const object = outcome.namespace ? `${outcome.namespace}/${outcome.name}` : outcome.name;
      s.failed.push({ object, reason: outcome.status?.reason ?? '', message: outcome.reason ?? '' });
    }
    this.callbacks.onObject?.(outcome);
  }

  private async restoreResource(gr: string): Promise<void> {
    this.callbacks.onPhase?.(`restoring ${gr}`);
    this.summary(gr);
    const batch: ArchivedObjectRef[] = [];
    const flush = async () => {
      await this.restoreBatch(gr, batch.splice(0));
    };
    for await (const ref of this.archive.refs(gr)) {
      batch.push(ref);
      if (batch.length >= 500) await flush();
    }
    await flush();
    if (gr === CRDS) await this.waitForCRDs();
  }

  private async restoreBatch(gr: string, refs: ArchivedObjectRef[]): Promise<void> {
    const objects: { o: KubeObject; ref: ArchivedObjectRef }[] = [];
    for (const ref of refs) objects.push({ o: await this.archive.read(ref), ref });
    await this.noteOwners(objects);
    let next = 0;
    const workers = Array.from({ length: Math.min(this.options.concurrency ?? 16, objects.length) }, async () => {
      while (next < objects.length) {
        const { o, ref } = objects[next++];
        await this.restoreObject(o, ref);
      }
    });
    await Promise.all(workers);
  }

  private async restoreObject(o: KubeObject, ref: ArchivedObjectRef): Promise<void> {
    const gr = ref.groupResource;
    const targetNamespace = ref.namespace === undefined ? undefined : mapNamespace(ref.namespace, this.options.namespaceMappings ?? new Map());
    const name = gr === 'namespaces' ? mapNamespace(ref.name, this.options.namespaceMappings ?? new Map()) : ref.name;
    const outcome = (action: ObjectAction, reason?: string, status?: Status) => this.record({ groupResource: gr, namespace: targetNamespace, name, action, reason, status });
    if (!this.objectSelected(o, ref)) return;
    const decision = this.decide(o, ref);
    if (!decision.restore) return outcome('skipped', decision.reason);
    const info = this.resourceInfo(gr);
    const version = o.apiVersion?.includes('/') ? o.apiVersion.slice(o.apiVersion.indexOf('/') + 1) : (o.apiVersion ?? '');
    if (!info) return outcome('failed', `the cluster does not serve ${gr}${gr.includes('.') ? ' (is its CRD or API installed?)' : ''}`);
    if (!this.servedVersions(gr).includes(version)) return outcome('failed', `the cluster does not serve ${gr} at version ${version} (it serves ${this.servedVersions(gr).join(', ')})`);
    const mapped = applyNamespaceMappings(o, gr, this.options.namespaceMappings ?? new Map());
    const body = prepareForRestore(mapped, {
      groupResource: gr,
      hasStatusSubresource: info.subresources.some((s) => s.name === 'status'),
      preserveNodePorts: !!this.options.preserveNodePorts,
      volumeRestored: (pv) => this.volumesRestored.has(pv),
    });
    const target: ResourceRef = { group: info.group, version, resource: info.resource, namespace: info.namespaced ? targetNamespace : undefined };
    try {
      if (target.namespace && !(await this.ensureNamespace(target.namespace))) {
        return outcome('created', `namespace ${target.namespace} is created first (a dry run cannot check objects in it)`);
      }
      const created = await this.client.create(target, body, this.query);
      this.noteRestored(o, created, { ...target, name }, true);
      if (gr === 'namespaces') this.namespaces.add(name);
      return outcome('created');
    } catch (e) {
      if (!(e instanceof StatusError)) throw e;
      if (!isAlreadyExists(e)) return outcome('failed', e.message, e.status);
      return this.handleExisting(gr, { ...target, name }, body, info, o, outcome);
    }
  }

  /** The object is already in the cluster: unchanged, left as it is (none), or patched (update). */
  private async handleExisting(
    gr: string,
    target: ResourceRef,
    body: KubeObject,
    info: APIResourceInfo,
    archived: KubeObject,
    outcome: (action: ObjectAction, reason?: string, status?: Status) => void,
  ): Promise<void> {
    let live: KubeObject;
    try {
      live = await this.client.get<KubeObject>(target);
    } catch (e) {
      if (e instanceof StatusError) return outcome('failed', `exists, but cannot be read: ${e.message}`, e.status);
      throw e;
    }
    this.noteRestored(archived, live, target, false);
    const options = { groupResource: gr, hasStatusSubresource: info.subresources.some((s) => s.name === 'status') };
    const patch = mergePatch(comparable(live, options), comparable(body, options));
    if (patch === undefined) return outcome('unchanged', 'already exists, the same as in the backup');
    if ((this.options.existingResourcePolicy ?? 'none') === 'none') {
      return outcome('skipped', 'already exists and differs from the backup (--existing-resource-policy=update to update it)');
    }
    try {
      await this.client.patch(target, patch, 'merge', this.query);
      return outcome('updated');
    } catch (e) {
      if (e instanceof StatusError) return outcome('failed', `exists and differs; update failed: ${e.message}`, e.status);
      throw e;
    }
  }

  /** Remember the new uid (for owners) and the old ownerReferences (to put back). */
  private noteRestored(archived: KubeObject, written: KubeObject, target: ResourceRef, created: boolean): void {
    const oldUid = archived.metadata.uid;
    if (oldUid && written.metadata?.uid) this.uids.set(oldUid, written.metadata.uid);
    const owners = archived.metadata.ownerReferences;
    if (created && owners?.length && !this.options.dryRun) this.pendingOwners.push({ target, owners });
  }

  /** Create a namespace the objects need (unless the archive's own Namespace came first). False in a dry run. */
  private async ensureNamespace(namespace: string): Promise<boolean> {
    if (this.namespaces.has(namespace)) return true;
    if (this.options.dryRun) return false;
    try {
      await this.client.create({ version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    this.namespaces.add(namespace);
    return true;
  }

  /** Wait until every CRD just restored is Established and its names accepted. */
  private async waitForCRDs(): Promise<void> {
    if (this.options.dryRun) return;
    const summary = this.summary(CRDS);
    if (!summary.created) return;
    this.callbacks.onPhase?.('waiting for CRDs to be Established');
    const deadline = Date.now() + (this.options.crdTimeoutMs ?? 60_000);
    for await (const ref of this.archive.refs(CRDS)) {
      for (;;) {
        let crd: KubeObject | undefined;
        try {
          crd = await this.client.get<KubeObject>({ group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', name: ref.name });
        } catch (e) {
          if (!isNotFound(e)) throw e;
          break;
        }
        const conditions = asKind<CustomResourceDefinition>(crd).status?.conditions ?? [];
        const ok = (t: string) => conditions.some((c) => c.type === t && c.status === 'True');
        if (ok('Established') && ok('NamesAccepted')) break;
        if (Date.now() > deadline) {
          summary.failed.push({ object: ref.name, reason: 'Timeout', message: 'not Established in time: its custom resources may fail' });
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Put ownerReferences back, pointing at the owners' new uids; drop those whose owner is gone. */
  private async relinkOwners(): Promise<void> {
    if (!this.pendingOwners.length) return;
    this.callbacks.onPhase?.('linking restored objects to their owners');
    for (const { target, owners } of this.pendingOwners) {
      const mapped = owners.filter((r) => this.uids.has(r.uid)).map((r) => ({ ...r, uid: this.uids.get(r.uid)! }));
      this.relinked.dropped += owners.length - mapped.length;
      if (!mapped.length) continue;
      try {
        await this.client.patch(target, { metadata: { ownerReferences: mapped } }, 'merge');
        this.relinked.relinked += mapped.length;
      } catch (e) {
        if (!(e instanceof StatusError)) throw e;
        this.relinked.dropped += mapped.length;
      }
    }
  }
}


function selectorFlag(text: string): Selector {
  try {
    return parseLabelSelector(text);
  } catch (e) {
    throw new BackupOptionError(`invalid --selector "${text}": ${errorMessage(e)}`);
  }
}
