// `backup verify`: every entry's sha256 against the archive's checksums (and every Secret
// decrypted, with the key); then, unless checksums only, a real restore into a fresh scratch
// cluster (its own server process, reached over HTTPS) and an object-by-object comparison of
// what the cluster holds with what the archive holds. Nothing is written to any other cluster.
import type { KubeObject } from '../api/types.js';
import { StatusError } from '../api/status.js';
import { KubeClient } from '../kube/client.js';
import { comparable, diffPaths } from './compare.js';
import { ExtractedArchive, type ArchivedObjectRef } from './extracted.js';
import { splitGroupResource } from './layout.js';
import { extractionDir, scanArchive, type ChecksumProblem } from './reader.js';
import { restoreExtracted, type RestoreResult } from './restore/restore.js';
import { startScratchCluster, type ScratchOptions } from './scratch.js';
import type { SecretKeyOptions } from './secrets.js';
import type { S3Options } from './storage.js';

export interface VerifyOptions {
  checksumsOnly?: boolean;
  keys?: SecretKeyOptions;
  s3?: S3Options;
  scratch?: ScratchOptions;
  onPhase?: (text: string) => void;
}

export interface ObjectDifference {
  groupResource: string;
  object: string;
  /** "missing" (not in the cluster after the restore), "changed" (fields differ), "failed" (the restore's error). */
  problem: 'missing' | 'changed' | 'failed';
  detail: string;
}

export interface VerifyResult {
  location: string;
  entries: number;
  /** False for a Velero tarball: it has no checksums to compare. */
  checksummed: boolean;
  problems: ChecksumProblem[];
  /** Secret entries decrypted with the key given. */
  decrypted: number;
  restore?: {
    result: RestoreResult;
    /** Objects compared in the scratch cluster, and those a restore leaves to the cluster by design. */
    compared: number;
    leftToCluster: number;
    differences: ObjectDifference[];
  };
  ok: boolean;
}

export async function verifyBackup(source: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const dir = options.checksumsOnly ? undefined : await extractionDir();
  try {
    options.onPhase?.(`checking every entry of ${source}`);
    const scan = await scanArchive(source, { keys: options.keys, s3: options.s3, extractTo: dir });
    const result: VerifyResult = {
      location: scan.location,
      entries: scan.entries,
      checksummed: scan.checksummed,
      problems: scan.problems,
      decrypted: scan.decrypted,
      ok: scan.problems.length === 0,
    };
    if (options.checksumsOnly || !dir || !result.ok) return result;
    const archive = new ExtractedArchive(dir, scan.secrets, scan.manifest?.secrets.protection === 'age');
    options.onPhase?.('starting a scratch cluster');
    const scratch = await startScratchCluster({ version: scan.manifest?.cluster.version, ...options.scratch });
    const client = await KubeClient.create({ kubeconfig: scratch.kubeconfig });
    try {
      options.onPhase?.(`restoring into the scratch cluster at ${scratch.url}`);
      // The scratch cluster is thrown away: objects it starts with are brought to the backup's state.
      const written = new Set<string>();
      const restored = await restoreExtracted(
        client,
        archive,
        scan,
        { existingResourcePolicy: 'update', includeClusterResources: 'true' },
        {
          onPhase: options.onPhase,
          onObject: (o) => {
            if (o.action === 'created' || o.action === 'updated' || o.action === 'unchanged') written.add(`${o.groupResource}|${o.namespace ?? ''}|${o.name}`);
          },
        },
      );
      options.onPhase?.('comparing the cluster with the archive');
      result.restore = { result: restored, ...(await compareWithCluster(client, archive, restored, written)) };
      result.ok = result.restore.differences.length === 0;
      return result;
    } finally {
      client.close();
      await scratch.stop();
    }
  } finally {
    if (dir) {
      const { promises: fs } = await import('node:fs');
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
}

/** Every archived object the restore meant to write, read back and compared. */
async function compareWithCluster(client: KubeClient, archive: ExtractedArchive, restored: RestoreResult, written: Set<string>) {
  const differences: ObjectDifference[] = [];
  let compared = 0;
  let leftToCluster = 0;
  const discovery = await client.discover({ refresh: true });
  for (const s of restored.resources) {
    for (const f of s.failed) differences.push({ groupResource: s.groupResource, object: f.object, problem: 'failed', detail: `${f.reason ? `${f.reason}: ` : ''}${f.message}` });
  }
  const failed = new Set(differences.map((d) => `${d.groupResource}|${d.object}`));
  for (const gr of await archive.groupResources()) {
    const { resource, group } = splitGroupResource(gr);
    const g = discovery.groups.find((x) => x.name === group);
    const info = g?.versions.find((v) => v.version === g.preferredVersion)?.resources.find((r) => r.resource === resource);
    for await (const ref of archive.refs(gr)) {
      const key = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
      if (failed.has(`${gr}|${key}`)) continue;
      if (!written.has(`${gr}|${ref.namespace ?? ''}|${ref.name}`) || !info) {
        leftToCluster++;
        continue;
      }
      const archived = await archive.read(ref);
      compared++;
      const difference = await compareOne(client, ref, archived, info.group, info.resource, info.subresources.some((x) => x.name === 'status'));
      if (difference) differences.push({ groupResource: gr, object: key, ...difference });
    }
  }
  return { compared, leftToCluster, differences };
}

async function compareOne(
  client: KubeClient,
  ref: ArchivedObjectRef,
  archived: KubeObject,
  group: string,
  resource: string,
  hasStatusSubresource: boolean,
): Promise<Pick<ObjectDifference, 'problem' | 'detail'> | undefined> {
  const version = archived.apiVersion?.includes('/') ? archived.apiVersion.split('/')[1] : (archived.apiVersion ?? 'v1');
  let live: KubeObject;
  try {
    live = await client.get<KubeObject>({ group, version, resource, namespace: ref.namespace, name: ref.name });
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) return { problem: 'missing', detail: 'not in the cluster after the restore' };
    throw e;
  }
  const options = { groupResource: ref.groupResource, hasStatusSubresource };
  const paths = diffPaths(comparable(archived, options), comparable(live, options), 10);
  return paths.length ? { problem: 'changed', detail: `differs at ${paths.join(', ')}` } : undefined;
}
