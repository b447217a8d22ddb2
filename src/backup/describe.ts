// `backup describe`: what an archive holds, from its manifest (or, for a Velero tarball, from its
// entries): counts per resource and namespace, size, the cluster, filters, failures, encryption.
import type { BackupFailure, BackupFilters, SecretsInfo } from './manifest.js';
import { scanArchive } from './reader.js';
import type { S3Options } from './storage.js';

export interface DescribedResource {
  groupResource: string;
  kind?: string;
  version?: string;
  count: number;
  namespaces: Record<string, number>;
}

export interface BackupDescription {
  location: string;
  compressedBytes: number;
  /** Written by upkeep (with a manifest) or by Velero (without). */
  writer: 'upkeep' | 'velero';
  veleroFormat: string;
  upkeepVersion?: string;
  startedAt?: string;
  completedAt?: string;
  cluster?: { server: string; version: string };
  filters?: BackupFilters;
  totals: { objects: number; entries: number; bytes?: number };
  resources: DescribedResource[];
  failed: BackupFailure[];
  partial: boolean;
  secrets: SecretsInfo;
}

export async function describeBackup(source: string, options: { s3?: S3Options } = {}): Promise<BackupDescription> {
  const scan = await scanArchive(source, { checksums: false, s3: options.s3 });
  const m = scan.manifest;
  if (!m) {
    const resources = scan.counts.map((c) => ({ groupResource: c.groupResource, count: c.count, namespaces: c.namespaces })).sort((a, b) => a.groupResource.localeCompare(b.groupResource));
    return {
      location: scan.location,
      compressedBytes: scan.compressedBytes,
      writer: 'velero',
      veleroFormat: scan.veleroFormat,
      totals: { objects: resources.reduce((n, r) => n + r.count, 0), entries: scan.entries },
      resources,
      failed: [],
      partial: false,
      secrets: { protection: 'none', encryptedEntries: 0 },
    };
  }
  return {
    location: scan.location,
    compressedBytes: scan.compressedBytes,
    writer: 'upkeep',
    veleroFormat: m.veleroFormat,
    upkeepVersion: m.upkeepVersion,
    startedAt: m.startedAt,
    completedAt: m.completedAt,
    cluster: { server: m.cluster.server, version: m.cluster.version },
    filters: m.filters,
    totals: m.totals,
    resources: m.resources
      .map((r) => ({ groupResource: r.groupResource, kind: r.kind, version: r.version, count: r.count, namespaces: r.namespaces ?? {} }))
      .sort((a, b) => a.groupResource.localeCompare(b.groupResource)),
    failed: m.failed,
    partial: m.partial,
    secrets: m.secrets,
  };
}
