// `upgrade apply --etcd-snapshot`: a verified etcd snapshot before the first control-plane change
// (kubeadm's own upgrade backs etcd up too, but on the node and without checking the copy). Where
// etcd is comes from etcd/discover.ts (the static pods' and the API server's flags, as `upkeep etcd
// discover` reads them); the save and the check are etcd/snapshot.ts's saveVerifiedSnapshot, as
// `upkeep etcd snapshot save` + `status` do them. The certificate paths discovery finds are paths
// on a control-plane node: used when readable here, else ETCDCTL_CACERT/CERT/KEY (and
// ETCDCTL_ENDPOINTS, when set, names etcd instead of discovery).
import { constants as fsConstants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KubeClient } from '../../kube/index.js';
import { errorMessage } from '../../util/errors.js';
import { discoverEtcd } from '../../etcd/discover.js';
import type { EtcdConnectionOptions } from '../../etcd/connection.js';
import type { Step } from './steps.js';

/** What --etcd-snapshot asked for: nothing said (default: on when reachable), `none`, or a path. */
export type SnapshotRequest = { kind: 'default' } | { kind: 'none' } | { kind: 'path'; path: string };

/** What the journal says about the snapshot taken before the run (or why there is none). */
export interface EtcdSnapshotNote {
  file?: string;
  endpoint?: string;
  revision?: number;
  size?: number;
  sha256?: string;
  savedAt?: string;
  /** Why no snapshot was taken. */
  skipped?: string;
}

/** What a run would do about the snapshot (`upgrade apply --dry-run`). */
export interface SnapshotPreview {
  take: boolean;
  /** The file; or, when the file is named after the run, the directory it goes in. */
  file?: string;
  directory?: string;
  endpoint?: string;
  /** Why none would be taken, or why the run would stop. */
  skipped?: string;
  /** The run would stop before any change (a PATH given and etcd out of reach). */
  stops?: boolean;
}

export function parseSnapshotFlag(value: string | undefined): SnapshotRequest {
  if (value === undefined) return { kind: 'default' };
  if (value === 'none') return { kind: 'none' };
  return { kind: 'path', path: value };
}

/** Whether a run changes the control plane (the snapshot's reason to be). */
export function changesControlPlane(steps: readonly Step[]): boolean {
  return steps.some((s) => s.kind === 'upgrade' && (s.role === 'first-control-plane' || s.role === 'control-plane'));
}

/** Pure: take a snapshot, or why not. A path given explicitly is always honoured. */
export function snapshotDecision(request: SnapshotRequest, steps: readonly Step[]): { take: true } | { take: false; skipped: string } {
  if (request.kind === 'none') return { take: false, skipped: '--etcd-snapshot none' };
  if (request.kind === 'path') return { take: true };
  if (!changesControlPlane(steps)) return { take: false, skipped: 'the run changes no control-plane node' };
  return { take: true };
}

/** The default file: the user's state directory (XDG_STATE_HOME, else ~/.local/state), upkeep/etcd/, named after the run. */
export function defaultSnapshotFile(runId: string, env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'upkeep', 'etcd', `${runId.replace(/[^A-Za-z0-9.-]/g, '')}.db`);
}

/** A given path that is an existing directory gets the run's file name inside it. */
export async function snapshotTarget(request: SnapshotRequest, runId: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (request.kind !== 'path') return defaultSnapshotFile(runId, env);
  const st = await fs.stat(request.path).catch(() => undefined);
  return st?.isDirectory() ? path.join(request.path, path.basename(defaultSnapshotFile(runId, env))) : request.path;
}

/** etcd is not reachable from this machine: why, and what would make it so. */
export class EtcdUnreachableError extends Error {
  override readonly name = 'EtcdUnreachableError';
}

async function readable(file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    await fs.access(file, fsConstants.R_OK);
    return file;
  } catch {
    return undefined;
  }
}

/** Find etcd through the API and connect to the first endpoint that answers; EtcdUnreachableError when none does. */
export async function reachEtcd(client: KubeClient, env: NodeJS.ProcessEnv = process.env): Promise<EtcdConnectionOptions> {
  const d = await discoverEtcd(client);
  const endpoints = env.ETCDCTL_ENDPOINTS ? env.ETCDCTL_ENDPOINTS.split(',').map((e) => e.trim()).filter(Boolean) : d.endpoints;
  if (endpoints.length === 0) throw new EtcdUnreachableError(`etcd was not found through the API (${d.topology}: ${d.reason})`);
  const { connectionFromFlags, EtcdClient } = await import('../../etcd/connection.js');
  const conn = connectionFromFlags({ endpoints: endpoints.join(','), cacert: await readable(d.cacert), cert: await readable(d.cert), key: await readable(d.key) }, env);
  const certsHere = !d.cert || conn.cert !== undefined;
  let last = '';
  for (const endpoint of conn.endpoints) {
    try {
      const c = await EtcdClient.connect(conn, endpoint);
      try {
        await c.status();
      } finally {
        c.close();
      }
      return { ...conn, endpoints: [endpoint] };
    } catch (e) {
      last = errorMessage(e);
    }
  }
  const where = certsHere ? '' : `; its client certificate (${d.cert}) is on ${d.runOn ?? 'a control-plane node'}: run upkeep there, or set ETCDCTL_ENDPOINTS, ETCDCTL_CACERT, ETCDCTL_CERT and ETCDCTL_KEY`;
  throw new EtcdUnreachableError(`etcd at ${conn.endpoints.join(',')} does not answer from this machine: ${last}${where}`);
}

/** Save and verify a snapshot to `file` (mode 0600, no partial file on failure); what the journal keeps. */
export async function takeEtcdSnapshot(conn: EtcdConnectionOptions, file: string, now: string): Promise<EtcdSnapshotNote> {
  const { makeDirectory } = await import('../../util/mkdir.js');
  const { saveVerifiedSnapshot } = await import('../../etcd/snapshot.js');
  const absolute = path.resolve(file);
  await makeDirectory(path.dirname(absolute));
  const { save, status } = await saveVerifiedSnapshot(conn, absolute, { stallTimeoutMs: 30_000 });
  return { file: absolute, endpoint: save.endpoint, revision: save.revision ?? status.revision, size: save.size, sha256: save.sha256, savedAt: now };
}
