// `upkeep etcd snapshot restore FILE --data-dir DIR ...`: etcdutl's restore, with its flags and
// defaults, done by upkeep itself (no etcdutl needed on the machine). Registered under
// `upkeep etcd snapshot` by the etcd command.
import { Option, type Command } from '@commander-js/extra-typings';
import path from 'node:path';
import type { GlobalFlags, Io } from '../context.js';
import { UsageError } from '../errors.js';
import { outputObject, parseOutput, toJson, toYaml } from '../output/format.js';
import { Progress } from '../output/progress.js';
import { RESTORE_DEFAULTS, RestoreError, type RestoreResult, restoreSnapshot } from '../../etcd/restore.js';

function parseBump(value: string): bigint {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`invalid value "${value}" for --bump-revision: must be a non-negative integer`);
  return BigInt(value.trim());
}

/** The result as -o json/yaml print it (bigints as numbers where they fit, ids as hex strings). */
export function restoreResultJson(r: RestoreResult): Record<string, unknown> {
  return {
    dataDir: r.dataDir,
    walDir: r.walDir,
    db: r.dbPath,
    wal: r.walPath,
    snap: r.snapPath,
    member: r.member,
    clusterID: r.clusterID,
    members: r.members,
    hashChecked: r.hashChecked,
    revision: Number(r.revision),
    restoredRevision: Number(r.restoredRevision),
    ...(r.compactedRevision !== undefined ? { compactedRevision: Number(r.compactedRevision) } : {}),
    consistentIndex: Number(r.consistentIndex),
    dbSize: r.dbSize,
  };
}

export function renderRestore(r: RestoreResult, snapshot: string): string {
  const lines = [
    `restored ${snapshot} into ${r.dataDir} (${r.hashChecked ? 'sha256 verified' : 'hash check skipped'})`,
    `  member:   ${r.member.name} (${r.member.id}) of cluster ${r.clusterID}, ${r.members.length} member${r.members.length === 1 ? '' : 's'}: ${r.members.map((m) => `${m.name}=${m.peerURLs.join(',')}`).join(' ')}`,
    `  revision: ${r.revision}${r.restoredRevision !== r.revision ? `, bumped to ${r.restoredRevision}` : ''}${r.compactedRevision !== undefined ? `, marked compacted at ${r.compactedRevision}` : ''}`,
    `  files:    ${r.dbPath}, ${r.snapPath}, ${r.walPath}`,
  ];
  if (r.members.length > 1) lines.push(`restore the other members from the same snapshot with the same --initial-cluster and --initial-cluster-token, each with its own --name`);
  lines.push(
    `next: start etcd with --data-dir=${path.resolve(r.dataDir)}${path.resolve(r.walDir) !== path.resolve(r.dataDir, 'member', 'wal') ? ` --wal-dir=${path.resolve(r.walDir)}` : ''} and --name ${r.member.name} (kubeadm: set the etcd-data hostPath in /etc/kubernetes/manifests/etcd.yaml), then restart the API servers, schedulers, controller managers and kubelets`,
  );
  return lines.join('\n') + '\n';
}

export function registerEtcdRestore(snapshot: Command, io: Io, globals: () => GlobalFlags): void {
  snapshot
    .command('restore <file>')
    .description('restore a snapshot into a new etcd data directory (what etcdutl snapshot restore does), for one member of a new cluster')
    .addOption(new Option('--data-dir <dir>', 'the data directory to create; must not exist or be empty (default: <name>.etcd)'))
    .addOption(new Option('--wal-dir <dir>', 'a separate WAL directory; must not exist (default: <data-dir>/member/wal)'))
    .addOption(new Option('--name <name>', "this member's name in --initial-cluster").default(RESTORE_DEFAULTS.name))
    .addOption(new Option('--initial-cluster <name=url,name=url>', 'the restored cluster: every member and its peer URLs').default(RESTORE_DEFAULTS.initialCluster))
    .addOption(new Option('--initial-cluster-token <token>', 'the new cluster token (same for every member)').default(RESTORE_DEFAULTS.initialClusterToken))
    .addOption(new Option('--initial-advertise-peer-urls <urls>', "this member's peer URLs, comma separated").default(RESTORE_DEFAULTS.initialAdvertisePeerURLs.join(',')))
    .addOption(new Option('--skip-hash-check', 'restore even when the trailing sha256 is missing (a copied member/snap/db) or does not match'))
    .addOption(new Option('--bump-revision <n>', 'add this to the latest revision so watchers see time move forward (use with --mark-compacted)').default('0'))
    .addOption(new Option('--mark-compacted', 'mark the bumped revision compacted, so clients watching old revisions relist'))
    .addOption(new Option('-w, --write-out <format>', 'table (default), json, yaml (also -o)'))
    .action(async (file, opts, cmd) => {
      // -w as etcdctl (here or on `upkeep etcd`), or upkeep's global -o.
      const inherited = cmd.optsWithGlobals() as { writeOut?: string };
      const format = parseOutput(opts.writeOut ?? inherited.writeOut ?? globals().output, ['table', 'json', 'yaml']);
      const bump = parseBump(opts.bumpRevision);
      // A live line on a terminal; nothing when piped or with -w json|yaml: a restore takes
      // seconds, and a refused one must stay one line (the refusal may come after a step began).
      const progress = new Progress(io, format !== 'table' || !io.isTTY);
      let result: RestoreResult;
      try {
        result = await restoreSnapshot({
          snapshotPath: file,
          dataDir: opts.dataDir,
          walDir: opts.walDir,
          name: opts.name,
          initialCluster: opts.initialCluster,
          initialClusterToken: opts.initialClusterToken,
          initialAdvertisePeerURLs: opts.initialAdvertisePeerUrls.split(',').filter((s) => s.trim() !== ''),
          skipHashCheck: !!opts.skipHashCheck,
          bumpRevision: bump,
          markCompacted: !!opts.markCompacted,
          onProgress: (step) => progress.status('restore', `${step}...`),
        });
        progress.clear();
      } catch (e) {
        progress.clear();
        // Flag combinations etcdutl refuses are usage errors; the rest are failures of the restore.
        if (e instanceof RestoreError && /^--(bump-revision|mark-compacted)/.test(e.message)) throw new UsageError(e.message);
        throw e;
      }
      const json = outputObject('EtcdSnapshotRestore', restoreResultJson(result));
      io.out(format === 'json' ? toJson(json) : format === 'yaml' ? toYaml(json) : renderRestore(result, file));
    });
}
