// `upgrade apply --etcd-snapshot`: the snapshot before a run, said on the terminal and kept in the
// journal. Default: taken when the run changes the control plane and etcd answers from this
// machine (a warning and on otherwise); a PATH given and failing stops the run before any change.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { KubeClient } from '../../kube/index.js';
import { defaultSnapshotFile, EtcdUnreachableError, reachEtcd, snapshotDecision, snapshotTarget, takeEtcdSnapshot, type EtcdSnapshotNote, type SnapshotPreview, type SnapshotRequest } from '../../upgrade/apply/etcdsnapshot.js';
import type { Step } from '../../upgrade/apply/steps.js';
import { AtomicWriteError, checkWritableFile } from '../../util/atomic.js';
import { errorMessage } from '../../util/errors.js';
import type { Io } from '../context.js';
import { ExitError, UsageError } from '../errors.js';
import type { OutputFormat } from '../output/format.js';
import { snapshotLine } from '../output/upgrade.js';

/** A PATH that cannot take a snapshot is bad input, said before anything connects (exit 2); a snapshot already there is never replaced. */
export async function checkSnapshotPath(request: SnapshotRequest): Promise<void> {
  if (request.kind !== 'path') return;
  const st = await fs.lstat(request.path).catch(() => undefined);
  if (st?.isDirectory()) return;
  if (st) throw new UsageError(`--etcd-snapshot ${request.path} already exists: choose another file (or a directory), or --etcd-snapshot none`);
  try {
    await checkWritableFile(request.path);
  } catch (e) {
    throw e instanceof AtomicWriteError ? new UsageError(`--etcd-snapshot: ${e.message}`) : e;
  }
}

/** --dry-run: what the run would do about the snapshot (etcd is looked for and asked for its status; nothing is saved). */
export async function previewSnapshot(client: KubeClient, request: SnapshotRequest, steps: readonly Step[]): Promise<SnapshotPreview> {
  const decision = snapshotDecision(request, steps);
  if (!decision.take) return { take: false, skipped: decision.skipped };
  const run = 'dry-run';
  const file = request.kind === 'path' ? await snapshotTarget(request, run) : undefined;
  // The default, or a directory given: the file is named after the run, which has no name yet.
  const named = file !== undefined && path.basename(file) !== path.basename(defaultSnapshotFile(run));
  return withEtcd(request, named ? { take: true, file } : { take: true, directory: path.dirname(file ?? defaultSnapshotFile(run)) }, client);
}

async function withEtcd(request: SnapshotRequest, preview: SnapshotPreview, client: KubeClient): Promise<SnapshotPreview> {
  try {
    const conn = await reachEtcd(client);
    return { ...preview, ...(conn.endpoints[0] ? { endpoint: conn.endpoints[0] } : {}) };
  } catch (e) {
    const why = e instanceof EtcdUnreachableError ? e.message : `etcd could not be found or reached: ${errorMessage(e)}`;
    return request.kind === 'default' ? { take: false, skipped: `etcd not reachable from this machine: ${why}` } : { ...preview, take: false, stops: true, skipped: why };
  }
}

/** Take the snapshot the run asks for (before its journal exists: nothing has changed yet); what the journal keeps. */
export async function snapshotBeforeRun(io: Io, format: OutputFormat, client: KubeClient, request: SnapshotRequest, steps: readonly Step[], runId: string, now: string): Promise<EtcdSnapshotNote> {
  const decision = snapshotDecision(request, steps);
  if (!decision.take) return { skipped: decision.skipped };
  const file = await snapshotTarget(request, runId);
  let conn;
  try {
    conn = await reachEtcd(client);
  } catch (e) {
    // Not asked for by name: whatever keeps etcd out of reach (not found, forbidden to look, no answer) is a warning.
    if (request.kind === 'default') {
      const why = e instanceof EtcdUnreachableError ? e.message : `etcd could not be found or reached: ${errorMessage(e)}`;
      io.err(`Warning: no etcd snapshot before the upgrade: ${why}. Take one yourself, or pass --etcd-snapshot none to say it is not needed.\n`);
      return { skipped: `etcd not reachable from this machine: ${why}` };
    }
    throw new ExitError(1, `--etcd-snapshot ${file}: ${errorMessage(e)}; nothing was changed`);
  }
  let note: EtcdSnapshotNote;
  try {
    note = await takeEtcdSnapshot(conn, file, now);
  } catch (e) {
    throw new ExitError(1, `etcd snapshot to ${file} failed: ${errorMessage(e)}; nothing was changed${request.kind === 'default' ? ' (--etcd-snapshot none upgrades without one)' : ''}`);
  }
  const line = `${snapshotLine(note)}\n`;
  if (format === 'json') io.err(line);
  else io.out(line);
  return note;
}
