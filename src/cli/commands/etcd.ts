// `upkeep etcd ...`: etcd snapshots, members, health and discovery. The connection flags are
// etcdctl's (--endpoints, --cacert, --cert, --key, --user, --dial-timeout, --command-timeout and
// the ETCDCTL_* variables), so a command copied from a runbook works with `upkeep etcd` in
// front of it instead of `etcdctl`. Output: -w/--write-out as etcdctl, or -o as kubectl.
import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import type { GlobalFlags, Io } from '../context.js';
import { ExitError, UsageError } from '../errors.js';
import { clientFromFlags } from '../client.js';
import { toJson, toYaml } from '../output/format.js';
import { Progress } from '../output/progress.js';
import type { EtcdConnectionOptions, EtcdFlagValues } from '../../etcd/connection.js';
import { snapshotStatus, statusErrors, statusJson } from '../../etcd/status.js';
import { discoverEtcd } from '../../etcd/discover.js';
import { humanizeBytes } from '../../etcd/humanize.js';
import { renderDiscovery, renderHealth, renderMembers, renderStatusSimple, renderStatusTable } from '../output/etcd.js';
// `upkeep etcd snapshot restore` lives in its own file (etcd-restore.ts) and is added below.
import { registerEtcdRestore } from './etcd-restore.js';

type Format = 'table' | 'simple' | 'json' | 'yaml' | 'wide';

/** -w (etcdctl) wins over -o (kubectl); "fields" and "protobuf" are etcdctl formats upkeep does not print. */
function outputFormat(writeOut: string | undefined, globals: GlobalFlags, allowed: Format[]): Format {
  const v = (writeOut ?? globals.output ?? 'table') as Format;
  if (!allowed.includes(v)) throw new UsageError(`unknown output format "${v}": use one of ${allowed.join(', ')}`);
  return v;
}

/** etcdctl's connection flags, added to each etcd command so they may come anywhere on the line. */
function withConnectionFlags<Args extends unknown[], Opts extends OptionValues, G extends OptionValues>(cmd: Command<Args, Opts, G>) {
  return cmd
    .addOption(new Option('--endpoints <endpoints>', 'gRPC endpoints, comma separated (default 127.0.0.1:2379; env ETCDCTL_ENDPOINTS)'))
    .addOption(new Option('--cacert <file>', 'verify certificates of TLS-enabled secure servers using this CA bundle (env ETCDCTL_CACERT)'))
    .addOption(new Option('--cert <file>', 'identify secure client using this TLS certificate file (env ETCDCTL_CERT)'))
    .addOption(new Option('--key <file>', 'identify secure client using this TLS key file (env ETCDCTL_KEY)'))
    .addOption(new Option('--insecure-skip-tls-verify', 'skip server certificate verification (env ETCDCTL_INSECURE_SKIP_TLS_VERIFY)'))
    .addOption(new Option('--user <username[:password]>', 'username[:password] for authentication (env ETCDCTL_USER)'))
    .addOption(new Option('--password <password>', 'password for authentication (env ETCDCTL_PASSWORD)'))
    .addOption(new Option('--dial-timeout <duration>', 'dial timeout for client connections (default 2s; env ETCDCTL_DIAL_TIMEOUT)'))
    .addOption(new Option('--command-timeout <duration>', 'timeout for short running requests (default 5s; env ETCDCTL_COMMAND_TIMEOUT)'))
    .addOption(new Option('-w, --write-out <format>', 'output format (table, json, yaml; status also simple)'));
}

// gRPC and etcd's protos load only when an etcd command connects (~90 ms every other command would pay).
const grpcModules = async () => ({ ...(await import('../../etcd/connection.js')), ...(await import('../../etcd/snapshot.js')), ...(await import('../../etcd/members.js')) });

async function duration(value: string, flag: string): Promise<number> {
  const { durationFlag } = await import('../../etcd/connection.js');
  try {
    return durationFlag(value, flag);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function mib(n: number): string {
  return humanizeBytes(n);
}

/**
 * etcdctl (Go) sends no TLS server name for an IP endpoint such as https://127.0.0.1:2379;
 * grpc-js sends the IP, and Node warns once (DEP0123) with nothing an etcd user can act on.
 */
function quietIpServernameWarning(): void {
  const original = process.emitWarning;
  if ((original as { upkeepFiltered?: boolean }).upkeepFiltered) return;
  const filtered = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const code = typeof rest[0] === 'object' && rest[0] ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    return (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  (filtered as { upkeepFiltered?: boolean }).upkeepFiltered = true;
  process.emitWarning = filtered;
}

export function registerEtcd(program: Command, io: Io, globals: () => GlobalFlags): void {
  const etcd = withConnectionFlags(program.command('etcd').description("etcd: snapshots (save, status, restore), members and quorum, health, and where a cluster's etcd is"));
  // Flags may come before the subcommand (etcdctl --endpoints=... snapshot save) or after it.
  const connection = async (leaf: EtcdFlagValues): Promise<EtcdConnectionOptions> => {
    quietIpServernameWarning();
    const merged: EtcdFlagValues = { ...etcd.opts() };
    for (const [k, v] of Object.entries(leaf)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
    const { connectionFromFlags } = await import('../../etcd/connection.js');
    return connectionFromFlags(merged);
  };
  const writeOut = (leaf: string | undefined) => leaf ?? etcd.opts().writeOut;

  const snapshot = etcd.command('snapshot').description('save, inspect and restore etcd snapshots (the files etcdctl snapshot save writes)');

  withConnectionFlags(
    snapshot
      .command('save <file>')
      .description("stream a snapshot of one member's database to FILE, verifying etcd's sha256 on the way (etcdctl snapshot save, with a timeout and no partial files)")
      .addOption(new Option('--timeout <duration>', 'give up when the whole save takes longer (0: no limit)').default('0'))
      .addOption(new Option('--stall-timeout <duration>', 'give up when no data arrives for this long (0: wait forever)').default('30s')),
  ).action(async (file, opts) => {
    const format = outputFormat(writeOut(opts.writeOut), globals(), ['table', 'simple', 'json', 'yaml']);
    const { saveSnapshot, formatMs } = await grpcModules();
    const conn = await connection(opts);
    const timeoutMs = await duration(opts.timeout, '--timeout');
    const stallTimeoutMs = await duration(opts.stallTimeout, '--stall-timeout');
    const quiet = format === 'json' || format === 'yaml';
    const progress = new Progress(io, quiet);
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let lastShown = 0;
    const since = performance.now();
    try {
      const r = await saveSnapshot(conn, file, {
        timeoutMs,
        stallTimeoutMs,
        signal: abort.signal,
        onProgress: (p) => {
          const now = performance.now();
          // Quick saves show nothing; on a pipe only long ones print (Progress throttles them).
          if (now - since < (io.isTTY ? 250 : 2000) || now - lastShown < 200) return;
          lastShown = now;
          const rate = p.elapsedMs > 0 ? p.received / (p.elapsedMs / 1000) : 0;
          const pct = p.total ? ` (${Math.floor((100 * Math.min(p.received, p.total)) / p.total)}%)` : '';
          progress.status('snapshot', `saving snapshot from ${conn.endpoints[0]}: ${mib(p.received)} of ${p.total ? mib(p.total) : '?'}${pct}, ${mib(rate)}/s`);
        },
      });
      progress.clear();
      const json = { file: r.file, endpoint: r.endpoint, size: r.size, dbSize: r.dbSize, sha256: r.sha256, revision: r.revision, memberId: r.memberId, version: r.version, elapsedMs: Math.round(r.elapsedMs) };
      if (format === 'json') io.out(toJson(json));
      else if (format === 'yaml') io.out(toYaml(json));
      else {
        io.out(`Snapshot saved at ${file}\n`);
        io.err(
          `${humanizeBytes(r.size)} from ${r.endpoint}${r.revision !== undefined ? ` at revision ${r.revision}` : ''} in ${formatMs(Math.round(r.elapsedMs))}; sha256 ${r.sha256} verified\n`,
        );
      }
    } finally {
      progress.clear();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });

  snapshot
    .command('status <file>')
    .description("a snapshot's hash, revision, total keys and size (as etcdctl/etcdutl snapshot status), with the sha256 and the page consistency checked")
    .addOption(new Option('-w, --write-out <format>', 'table (default), simple (etcdctl\'s line), json, yaml'))
    .addOption(new Option('--skip-hash-check', 'do not verify the sha256 etcd appends, and accept a file without one (a copied member/snap/db), as etcdutl restore --skip-hash-check'))
    .action(async (file, opts) => {
      const format = outputFormat(writeOut(opts.writeOut), globals(), ['table', 'simple', 'json', 'yaml']);
      const progress = new Progress(io, format === 'json' || format === 'yaml');
      const since = performance.now();
      let st;
      try {
        st = await snapshotStatus(file, {
          skipHashCheck: !!opts.skipHashCheck,
          onProgress: (done, total) => {
            if (performance.now() - since < (io.isTTY ? 250 : 2000) || done >= total) return;
            progress.status('status', `reading ${file}: ${Math.floor((100 * done) / Math.max(total, 1))}% of ${humanizeBytes(total)}`);
          },
        });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new UsageError(`snapshot file ${file} not found`);
        if (e instanceof Error && e.name === 'BoltError') throw new ExitError(1, `${file} is not an etcd snapshot: ${e.message}`);
        throw e;
      } finally {
        progress.clear();
      }
      if (format === 'json') io.out(toJson(statusJson(st)));
      else if (format === 'yaml') io.out(toYaml(statusJson(st)));
      else if (format === 'simple') io.out(renderStatusSimple(st));
      else io.out(renderStatusTable(st));
      for (const w of st.check.warnings) io.err(`Warning: ${w}\n`);
      for (const p of st.problems) io.err(`Warning: ${p}\n`);
      const errors = statusErrors(st, { skipHashCheck: !!opts.skipHashCheck });
      if (errors.length) throw new ExitError(1, errors.join('\nerror: '));
    });

  // The restore subcommand: src/cli/commands/etcd-restore.ts.
  registerEtcdRestore(snapshot as unknown as Command, io, globals);

  withConnectionFlags(
    etcd
      .command('members')
      .description('members, leader, raft term and index, db size per member, alarms; quorum and how many failures the cluster survives')
      .addOption(new Option('--no-cluster', "ask only the given endpoints, not the members' advertised client URLs")),
  ).action(async (opts) => {
    const format = outputFormat(writeOut(opts.writeOut), globals(), ['table', 'wide', 'json', 'yaml']);
    const { clusterReport } = await grpcModules();
    const report = await clusterReport(await connection(opts), { cluster: opts.cluster });
    if (format === 'json') io.out(toJson(report));
    else if (format === 'yaml') io.out(toYaml(report));
    else io.out(renderMembers(report, format === 'wide'));
    if (!report.quorum.hasQuorum) throw new ExitError(1, `quorum lost: ${report.quorum.reachableVoters} of ${report.quorum.voters} voting members answer`);
  });

  withConnectionFlags(
    etcd
      .command('health')
      .description('commit a read through raft on every endpoint (etcdctl endpoint health), check alarms, and say whether the cluster has quorum')
      .addOption(new Option('--no-cluster', "check only the given endpoints, not every member's client URL")),
  ).action(async (opts) => {
    const format = outputFormat(writeOut(opts.writeOut), globals(), ['table', 'json', 'yaml']);
    const { healthReport } = await grpcModules();
    const report = await healthReport(await connection(opts), { cluster: opts.cluster });
    if (format === 'json') io.out(toJson(report));
    else if (format === 'yaml') io.out(toYaml(report));
    else io.out(renderHealth(report));
    if (!report.healthy) throw new ExitError(1, 'unhealthy cluster');
  });

  etcd
    .command('discover')
    .description("find the cluster's etcd through the Kubernetes API: stacked or external, endpoints, data dir, certificates, and the command to save a snapshot")
    .action(async () => {
      const g = globals();
      const format = outputFormat(undefined, g, ['table', 'json', 'yaml']);
      const client = await clientFromFlags(g, io);
      const config = await client.init();
      const found = await discoverEtcd(client);
      const context = `${config.contextName} (${config.server})`;
      if (format === 'json') io.out(toJson({ context: config.contextName, server: config.server, ...found }));
      else if (format === 'yaml') io.out(toYaml({ context: config.contextName, server: config.server, ...found }));
      else io.out(renderDiscovery(found, context));
    });
}
