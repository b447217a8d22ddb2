// upkeep/manifest.json: what an archive holds and how it was made. Written last (it carries the
// checksum of upkeep/checksums.sha256 and the counts), read by describe, verify and restore.
import { BadArchiveError } from './errors.js';
import { CHECKSUMS_ENTRY, MANIFEST_ENTRY, VELERO_FORMAT_VERSION } from './layout.js';

export const MANIFEST_API_VERSION = 'upkeep.dev/v1alpha1';
export const MANIFEST_KIND = 'BackupManifest';
/** The manifest's own format; an archive with a higher one was written by a newer upkeep. */
export const MANIFEST_FORMAT = 1;

export type IncludeClusterResources = 'auto' | 'true' | 'false';

/** The filters a backup was taken with (as given; "*" stands for everything). */
export interface BackupFilters {
  includeNamespaces: string[];
  excludeNamespaces: string[];
  /** Resources as resolved against discovery ("deployments.apps"). */
  includeResources: string[];
  excludeResources: string[];
  labelSelector?: string;
  includeClusterResources: IncludeClusterResources;
}

export interface ResourceCount {
  /** "deployments.apps" */
  groupResource: string;
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
  count: number;
  /** Objects per namespace (namespaced resources only). */
  namespaces?: Record<string, number>;
}

/** A group version whose discovery failed, or a resource whose list failed. */
export interface BackupFailure {
  /** "metrics.k8s.io/v1beta1" or "leases.coordination.k8s.io" */
  what: string;
  kind: 'discovery' | 'list';
  message: string;
}

export type SecretProtection = 'none' | 'age';

export interface SecretsInfo {
  protection: SecretProtection;
  /** age recipients the archive key was encrypted to (public keys; safe to show). */
  recipients?: string[];
  /** Whether the archive key can also be opened with a passphrase. */
  passphrase?: boolean;
  /** Where the encrypted archive key is (upkeep/secrets-key.age). */
  keyEntry?: string;
  encryptedEntries: number;
}

export interface DiscoveredResource {
  resource: string;
  kind: string;
  namespaced: boolean;
}

export interface DiscoveredGroup {
  group: string;
  preferredVersion: string;
  versions: string[];
  resources: DiscoveredResource[];
}

export interface BackupManifest {
  apiVersion: string;
  kind: string;
  format: number;
  veleroFormat: string;
  upkeepVersion: string;
  startedAt: string;
  completedAt: string;
  cluster: { server: string; version: string; platform?: string; discovery: DiscoveredGroup[] };
  filters: BackupFilters;
  resources: ResourceCount[];
  totals: { objects: number; entries: number; bytes: number };
  failed: BackupFailure[];
  partial: boolean;
  secrets: SecretsInfo;
  checksums: { entry: string; algorithm: 'sha256'; sha256: string };
}

/** Decode and check a manifest entry: JSON, our kind, a format this upkeep can read. */
export function parseManifest(data: Buffer): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new BadArchiveError(`${MANIFEST_ENTRY} is not valid JSON: the archive is damaged`, MANIFEST_ENTRY);
  }
  if (typeof value !== 'object' || value === null) throw new BadArchiveError(`${MANIFEST_ENTRY} is not an object: the archive is damaged`, MANIFEST_ENTRY);
  const m = value as Partial<BackupManifest>;
  if (m.kind !== MANIFEST_KIND || m.apiVersion !== MANIFEST_API_VERSION) {
    throw new BadArchiveError(`${MANIFEST_ENTRY} is not an upkeep backup manifest (kind ${String(m.kind)}, apiVersion ${String(m.apiVersion)})`, MANIFEST_ENTRY);
  }
  if (typeof m.format !== 'number' || !Number.isInteger(m.format) || m.format < 1) {
    throw new BadArchiveError(`${MANIFEST_ENTRY} has no valid format number: the archive is damaged`, MANIFEST_ENTRY);
  }
  if (m.format > MANIFEST_FORMAT) {
    throw new BadArchiveError(
      `the archive's manifest has format ${m.format}, newer than this upkeep reads (${MANIFEST_FORMAT}): use a newer upkeep to read it`,
      MANIFEST_ENTRY,
    );
  }
  if (!m.checksums || typeof m.checksums.sha256 !== 'string' || m.checksums.entry !== CHECKSUMS_ENTRY) {
    throw new BadArchiveError(`${MANIFEST_ENTRY} does not name the checksums entry: the archive is damaged`, MANIFEST_ENTRY);
  }
  return m as BackupManifest;
}

/** metadata/version: Velero's format line. Only 1.x is this layout. */
export function checkVeleroVersion(data: Buffer): string {
  const version = data.toString('utf8').trim();
  if (!/^1\.\d+\.\d+$/.test(version)) {
    throw new BadArchiveError(`metadata/version says "${version.slice(0, 40)}", not a Velero 1.x backup format (this upkeep reads ${VELERO_FORMAT_VERSION})`, 'metadata/version');
  }
  return version;
}
