// An archive's objects extracted into a private directory (by scanArchive), read back resource by
// resource in any order restore, verify and diff need, one namespace directory at a time.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { KubeObject, OwnerReference } from '../api/types.js';
import { isKubeObject } from '../api/types.js';
import { BadArchiveError } from './errors.js';
import { RESOURCES_DIR, splitGroupResource } from './layout.js';
import { isAgeFile, type SecretOpener } from './secrets.js';
import { errnoCode } from '../util/errors.js';

export interface ArchivedObjectRef {
  groupResource: string;
  namespace?: string;
  name: string;
  /** The entry's path in the archive (for messages). */
  entry: string;
}

export class ExtractedArchive {
  constructor(
    readonly dir: string,
    /** Opens encrypted Secret entries; undefined when no key was given. */
    private readonly secrets?: SecretOpener,
    /** Whether the archive's Secret entries are encrypted (its manifest says). */
    private readonly encrypted = false,
  ) {}

  /** The archive's "resource.group" folders. */
  async groupResources(): Promise<string[]> {
    return (await readdirOrEmpty(path.join(this.dir, RESOURCES_DIR))).sort();
  }

  /** Whether an object is in the archive. */
  async has(groupResource: string, namespace: string | undefined, name: string): Promise<boolean> {
    return fs
      .access(this.file(groupResource, namespace, name))
      .then(() => true)
      .catch(() => false);
  }

  /** Every object entry of a resource: cluster-scoped ones, then namespace by namespace (sorted). */
  async *refs(groupResource: string): AsyncGenerator<ArchivedObjectRef> {
    const base = path.join(this.dir, RESOURCES_DIR, groupResource);
    for (const file of (await readdirOrEmpty(path.join(base, 'cluster'))).sort()) {
      if (file.endsWith('.json')) yield { groupResource, name: file.slice(0, -5), entry: `${RESOURCES_DIR}/${groupResource}/cluster/${file}` };
    }
    for (const namespace of (await readdirOrEmpty(path.join(base, 'namespaces'))).sort()) {
      for (const file of (await readdirOrEmpty(path.join(base, 'namespaces', namespace))).sort()) {
        if (file.endsWith('.json')) yield { groupResource, namespace, name: file.slice(0, -5), entry: `${RESOURCES_DIR}/${groupResource}/namespaces/${namespace}/${file}` };
      }
    }
  }

  /** Whether a resource holds encrypted entries that no key opens. */
  needsKey(groupResource: string): boolean {
    return groupResource === 'secrets' && this.encrypted && !this.secrets;
  }

  /** Read one object (decrypting a Secret entry). */
  async read(ref: ArchivedObjectRef): Promise<KubeObject> {
    let data: Buffer = await fs.readFile(this.file(ref.groupResource, ref.namespace, ref.name));
    if (isAgeFile(data)) {
      if (!this.secrets) throw new BadArchiveError(`entry ${ref.entry} is encrypted: give the key with --key-file or --passphrase-file`, ref.entry);
      data = await this.secrets.open(data, ref.entry);
    }
    let value: unknown;
    try {
      value = JSON.parse(data.toString('utf8'));
    } catch {
      throw new BadArchiveError(`entry ${ref.entry} is not valid JSON`, ref.entry);
    }
    if (!isKubeObject(value)) throw new BadArchiveError(`entry ${ref.entry} is not a Kubernetes object (no metadata)`, ref.entry);
    return value;
  }

  async remove(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  private file(groupResource: string, namespace: string | undefined, name: string): string {
    const base = path.join(this.dir, RESOURCES_DIR, groupResource);
    return namespace === undefined ? path.join(base, 'cluster', `${name}.json`) : path.join(base, 'namespaces', namespace, `${name}.json`);
  }
}

/** "apps/v1" + "ReplicaSet" -> "replicasets.apps", from discovery's kinds. */
export class KindIndex {
  private readonly byKind = new Map<string, string>();

  add(group: string, kind: string, resource: string): void {
    const key = `${group}/${kind}`;
    if (!this.byKind.has(key)) this.byKind.set(key, group ? `${resource}.${group}` : resource);
  }

  groupResourceOf(ref: Pick<OwnerReference, 'apiVersion' | 'kind'>): string | undefined {
    const slash = ref.apiVersion.indexOf('/');
    const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
    return this.byKind.get(`${group}/${ref.kind}`);
  }
}

export function resourceOf(groupResource: string): { resource: string; group: string } {
  return splitGroupResource(groupResource);
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
}
