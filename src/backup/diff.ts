// `backup diff`: an archive against a live cluster — which objects were added since the backup,
// which were removed, which changed (ignoring what the server owns: uid, resourceVersion,
// timestamps, managedFields, status where the API ignores it, allocations, controller
// bookkeeping). By default objects a restore leaves to the cluster (Pods of ReplicaSets,
// ReplicaSets of Deployments, kube-root-ca.crt, ...) are left out: they churn without anyone
// changing anything.
import type { KubeObject } from '../api/types.js';
import { StatusError } from '../api/status.js';
import type { KubeClient } from '../kube/client.js';
import type { APIResourceInfo, DiscoveryResult } from '../kube/discovery.js';
import { comparable, diffPaths } from './compare.js';
import { ExtractedArchive, type ArchivedObjectRef } from './extracted.js';
import { splitGroupResource } from './layout.js';
import { namespaceSelected, planCollection, type BackupSelection } from './plan.js';
import { extractionDir, scanArchive } from './reader.js';
import { decideRestore } from './restore/decide.js';
import { throwOnProblems } from './restore/restore.js';
import type { SecretKeyOptions } from './secrets.js';
import type { S3Options } from './storage.js';

export type Change = 'added' | 'removed' | 'changed';

export interface ObjectChange {
  groupResource: string;
  /** "ns/name" or "name". */
  object: string;
  change: Change;
  /** For changed objects: where they differ. */
  paths?: string[];
}

export interface DiffOptions {
  keys?: SecretKeyOptions;
  s3?: S3Options;
  /** Namespace filters (default: the backup's own). */
  includeNamespaces?: string[];
  excludeNamespaces?: string[];
  /** Also compare objects a restore leaves to the cluster (owned by controllers, made by the cluster). */
  all?: boolean;
}

export interface DiffResult {
  location: string;
  backupTakenAt?: string;
  changes: ObjectChange[];
  counts: { added: number; removed: number; changed: number; unchanged: number };
  /** Archived resources the cluster no longer serves (their objects count as removed). */
  unserved: string[];
  /** Resources left out of the comparison, and why (encrypted Secrets without the key). */
  notCompared: { groupResource: string; reason: string }[];
}

export async function diffBackup(client: KubeClient, source: string, options: DiffOptions = {}): Promise<DiffResult> {
  const dir = await extractionDir();
  try {
    const scan = await scanArchive(source, { extractTo: dir, keys: options.keys, s3: options.s3 });
    throwOnProblems(scan, 'no comparison was made');
    const archive = new ExtractedArchive(dir, scan.secrets, scan.manifest?.secrets.protection === 'age');
    const discovery = await client.discover({ refresh: true });
    const m = scan.manifest;
    const selection: BackupSelection = {
      ...(m?.filters ?? {}),
      includeNamespaces: options.includeNamespaces ?? m?.filters.includeNamespaces,
      excludeNamespaces: options.excludeNamespaces ?? m?.filters.excludeNamespaces,
    };
    const planned = planCollection(discovery, selection);
    const resources = new Set([...(await archive.groupResources()), ...planned.resources.map((r) => r.groupResource)]);
    const result: DiffResult = { location: scan.location, backupTakenAt: m?.startedAt, changes: [], counts: { added: 0, removed: 0, changed: 0, unchanged: 0 }, unserved: [], notCompared: [] };
    const filters = { includeNamespaces: selection.includeNamespaces ?? [], excludeNamespaces: selection.excludeNamespaces ?? [] };
    for (const gr of [...resources].sort()) {
      if (archive.needsKey(gr)) {
        result.notCompared.push({ groupResource: gr, reason: 'encrypted in the archive: give --key-file or --passphrase-file to compare them' });
        continue;
      }
      await diffResource(client, archive, discovery, gr, { ...options, labelSelector: selection.labelSelector, filters }, result);
    }
    return result;
  } finally {
    const { promises: fs } = await import('node:fs');
    await fs.rm(dir, { recursive: true, force: true });
  }
}

interface ResourceDiffOptions extends DiffOptions {
  labelSelector?: string;
  filters: { includeNamespaces: string[]; excludeNamespaces: string[] };
}

async function diffResource(client: KubeClient, archive: ExtractedArchive, discovery: DiscoveryResult, gr: string, options: ResourceDiffOptions, result: DiffResult): Promise<void> {
  const info = served(discovery, gr);
  const leftToCluster = (o: KubeObject) =>
    !options.all && !decideRestore(o, { groupResource: gr, ownerInArchive: () => true, serviceHasSelector: () => true }).restore;
  const archived = new Map<string, ArchivedObjectRef>();
  for await (const ref of archive.refs(gr)) {
    if (ref.namespace !== undefined && !namespaceSelected(ref.namespace, options.filters)) continue;
    archived.set(ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name, ref);
  }
  const record = (object: string, change: Change, paths?: string[]) => {
    result.changes.push({ groupResource: gr, object, change, ...(paths ? { paths } : {}) });
    result.counts[change]++;
  };
  if (!info) {
    if (archived.size) result.unserved.push(gr);
    for (const [key, ref] of archived) if (!leftToCluster(await archive.read(ref))) record(key, 'removed');
    return;
  }
  const options2 = { groupResource: gr, hasStatusSubresource: info.subresources.some((s) => s.name === 'status') };
  try {
    const target = { group: info.group, version: info.version, resource: info.resource };
    for await (const live of client.listAll(target, { labelSelector: gr === 'namespaces' ? undefined : options.labelSelector, restartOnExpired: true })) {
      const ns = live.metadata.namespace;
      if (info.namespaced && !namespaceSelected(ns ?? '', options.filters)) continue;
      if (gr === 'namespaces' && !namespaceSelected(live.metadata.name ?? '', options.filters)) continue;
      const key = ns ? `${ns}/${live.metadata.name}` : (live.metadata.name ?? '');
      const ref = archived.get(key);
      archived.delete(key);
      if (leftToCluster(live)) continue;
      if (!ref) {
        record(key, 'added');
        continue;
      }
      const before = await archive.read(ref);
      const paths = diffPaths(comparable(before, options2), comparable(live, options2), 10);
      if (paths.length) record(key, 'changed', paths);
      else result.counts.unchanged++;
    }
  } catch (e) {
    // A resource the cluster will not list is reported as such, not as everything removed.
    if (e instanceof StatusError) throw new Error(`cannot list ${gr} in the cluster: ${e.message}`, { cause: e });
    throw e;
  }
  for (const [key, ref] of archived) if (!leftToCluster(await archive.read(ref))) record(key, 'removed');
}

function served(discovery: DiscoveryResult, gr: string): APIResourceInfo | undefined {
  const { resource, group } = splitGroupResource(gr);
  const g = discovery.groups.find((x) => x.name === group);
  const v = g?.versions.find((x) => x.version === g.preferredVersion) ?? g?.versions[0];
  return v?.resources.find((r) => r.resource === resource);
}
