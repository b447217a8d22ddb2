// `upkeep etcd ...`: etcd snapshots, members, health and discovery. The connection flags are
// etcdctl's (--endpoints, --cacert, --cert, --key, --user, --dial-timeout, --command-timeout and
// the ETCDCTL_* variables), so a command copied from a runbook works with `upkeep etcd` in
// front of it instead of `etcdctl`. Output: -w/--write-out as etcdctl, or -o as kubectl.
import { AtomicWriteError, checkWritableFile } from '../../util/atomic.js';
import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import { constants as fsConstants, promises as fs } from 'node:fs';
import type { GlobalFlags, Io } from '../context.js';
import { ExitError, UsageError } from '../errors.js';
import { outputObject, toJson, toYaml } from '../output/format.js';
import { Progress } from '../output/progress.js';
import { examplesByPath, forProgram } from '../help.js';
import type { EtcdConnectionOptions, EtcdFlagValues } from '../../etcd/connection.js';
import { errnoCode, errorMessage } from '../../util/errors.js';
import type { SnapshotProgress } from '../../etcd/snapshot.js';
import { snapshotStatus, statusErrors, statusJson } from '../../etcd/status.js';
import { humanizeBytes } from '../../etcd/humanize.js';
import { explainTlsError, renderDiscovery, renderHealth, renderMembers, renderStatusSimple, renderStatusTable } from '../output/etcd.js';
// `upkeep etcd snapshot restore` lives in its own file (etcd-restore.ts) and is added below.
import { registerEtcdRestore } from './etcd-restore.js';

type Format = 'table' | 'simple' | 'json' | 'yaml' | 'wide';

/** -w (etcdctl) wins over -o (kubectl); "fields" and "protobuf" are etcdctl formats upkeep does not print. */
function outputFormat(writeOut: string | undefined, globals: GlobalFlags, allowed: Format[]): Format {
  const v = writeOut ?? globals.output ?? 'table';
  const format = allowed.find((f) => f === v);
  if (!format) throw new UsageError(`unknown output format "${v}": use one of ${allowed.join(', ')}`);
  return format;
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

/** The connection flags given on a subcommand win over those given before it (on `upkeep etcd`). */
function mergeFlags(parent: EtcdFlagValues, leaf: EtcdFlagValues): EtcdFlagValues {
  return {
    endpoints: leaf.endpoints ?? parent.endpoints,
    cacert: leaf.cacert ?? parent.cacert,
    cert: leaf.cert ?? parent.cert,
    key: leaf.key ?? parent.key,
    user: leaf.user ?? parent.user,
    password: leaf.password ?? parent.password,
    dialTimeout: leaf.dialTimeout ?? parent.dialTimeout,
    commandTimeout: leaf.commandTimeout ?? parent.commandTimeout,
    insecureSkipTlsVerify: leaf.insecureSkipTlsVerify ?? parent.insecureSkipTlsVerify,
  };
}

// gRPC and etcd's protos load only when an etcd command connects (~90 ms every other command would pay).
const grpcModules = async () => ({ ...(await import('../../etcd/connection.js')), ...(await import('../../etcd/snapshot.js')), ...(await import('../../etcd/members.js')) });

async function duration(value: string, flag: string): Promise<number> {
  const { durationFlag } = await import('../../etcd/connection.js');
  try {
    return durationFlag(value, flag);
  } catch (e) {
    throw new UsageError(errorMessage(e));
  }
}

/** A failure of a TLS handshake that wanted a client certificate, said in words (explainTlsError). */
async function explained<T>(conn: EtcdConnectionOptions, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof Error && !conn.cert) {
      const message = explainTlsError(e.message, false);
      if (message !== e.message) throw new ExitError(1, message);
    }
    throw e;
  }
}

/** A TLS file that cannot be read is a mistake on the command line (exit 2), not an unhealthy cluster. */
async function readableTlsFiles(conn: EtcdConnectionOptions): Promise<void> {
  for (const [flag, file] of [['--cacert', conn.cacert], ['--cert', conn.cert], ['--key', conn.key]] as const) {
    if (!file) continue;
    try {
      await fs.access(file, fsConstants.R_OK);
    } catch (e) {
      throw new UsageError(`cannot read ${flag} ${file}: ${errnoCode(e) === 'EACCES' ? 'permission denied' : errnoCode(e) === 'ENOENT' ? 'no such file' : errorMessage(e)}`);
    }
  }
}

async function isRegularFile(file: string): Promise<boolean> {
  try {
    return (await fs.lstat(file)).isFile();
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
}

let ipServernameWarningQuiet = false;

/**
 * etcdctl (Go) sends no TLS server name for an IP endpoint such as https://127.0.0.1:2379;
 * grpc-js sends the IP, and Node warns once (DEP0123) with nothing an etcd user can act on.
 */
function quietIpServernameWarning(): void {
  if (ipServernameWarningQuiet) return;
  ipServernameWarningQuiet = true;
  const original = process.emitWarning;
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    const [options, type] = rest;
    const code = typeof options === 'object' && options !== null && 'code' in options ? options.code : type;
    if (code === 'DEP0123') return;
    Reflect.apply(original, process, [warning, ...rest]);
  };
}

/** What every etcd subcommand shares: where to write, the flags before it, and how to connect. */
interface EtcdCommandContext {
  io: Io;
  /** `upkeep`, or `kubectl upkeep` as the plugin: the commands in hints name it. */
  programName: string;
  globals: () => GlobalFlags;
  /** -w given on the subcommand, else on `upkeep etcd`. */
  writeOut(leaf: string | undefined): string | undefined;
  /** The connection from the subcommand's flags, those on `upkeep etcd`, then ETCDCTL_*. */
  connection(leaf: EtcdFlagValues): Promise<EtcdConnectionOptions>;
}

export function registerEtcd(program: Command, io: Io, globals: () => GlobalFlags): void {
  const etcd = withConnectionFlags(program.command('etcd').description("etcd: snapshots (save, status, restore), members and quorum, health, and where a cluster's etcd is"));
  // Flags may come before the subcommand (etcdctl --endpoints=... snapshot save) or after it.
  const ctx: EtcdCommandContext = {
    io,
    programName: program.name(),
    globals,
    writeOut: (leaf) => leaf ?? etcd.opts().writeOut,
    async connection(leaf) {
      quietIpServernameWarning();
      const { connectionFromFlags } = await import('../../etcd/connection.js');
      const conn = connectionFromFlags(mergeFlags(etcd.opts(), leaf));
      await readableTlsFiles(conn);
      return conn;
    },
  };
  const snapshot = etcd.command('snapshot').description('save, inspect and restore etcd snapshots (the files etcdctl snapshot save writes)');
  registerSnapshotSave(snapshot, ctx);
  registerSnapshotStatus(snapshot, ctx);
  // The restore subcommand: src/cli/commands/etcd-restore.ts.
  registerEtcdRestore(snapshot, io, globals);
  registerMembers(etcd, ctx);
  registerHealth(etcd, ctx);
  registerDiscover(etcd, ctx);
  examplesByPath(etcd, {
    '': [
      ["Find the cluster's etcd through the Kubernetes API", 'upkeep etcd discover'],
      ['Save a snapshot (flags as etcdctl)', 'upkeep etcd snapshot save etcd.db --endpoints 10.0.0.10:2379 --cacert ca.crt --cert client.crt --key client.key'],
    ],
    snapshot: [
      ['Save, then check, a snapshot', 'upkeep etcd snapshot save etcd.db && upkeep etcd snapshot status etcd.db'],
      ['Restore it into a new data directory', 'upkeep etcd snapshot restore etcd.db --data-dir /var/lib/etcd-restored'],
    ],
    'snapshot save': [
      ['Save a snapshot of the local member', 'upkeep etcd snapshot save etcd.db'],
      ['Save over TLS, giving up after 5 minutes', 'upkeep etcd snapshot save etcd.db --endpoints https://etcd1.test:2379 --cacert ca.crt --cert client.crt --key client.key --timeout 5m'],
      ['Replace an existing file', 'upkeep etcd snapshot save etcd.db --force'],
    ],
    'snapshot status': [
      ["A snapshot's hash, revision, keys and size", 'upkeep etcd snapshot status etcd.db'],
      ["etcdctl's one-line form", 'upkeep etcd snapshot status etcd.db -w simple'],
    ],
    'snapshot restore': [
      ['Restore for a single-member cluster', 'upkeep etcd snapshot restore etcd.db --data-dir /var/lib/etcd-restored'],
      ['Restore one member of three', 'upkeep etcd snapshot restore etcd.db --name m1 --initial-cluster m1=http://m1:2380,m2=http://m2:2380,m3=http://m3:2380 --initial-advertise-peer-urls http://m1:2380'],
      ['Move the revision on so watchers relist', 'upkeep etcd snapshot restore etcd.db --bump-revision 1000000000 --mark-compacted'],
    ],
    members: [
      ['Members, leader and quorum', 'upkeep etcd members --endpoints 10.0.0.10:2379'],
      ['The same with raft details', 'upkeep etcd members -w wide'],
    ],
    health: [
      ['Is every member healthy, and is there quorum?', 'upkeep etcd health --endpoints 10.0.0.10:2379'],
      ['Only the given endpoint', 'upkeep etcd health --endpoints 10.0.0.10:2379 --no-cluster'],
    ],
    discover: [
      ["Where the current context's etcd is", 'upkeep etcd discover'],
      ['The same in JSON', 'upkeep etcd discover -o json'],
    ],
  });
}

function registerSnapshotSave(snapshot: Command<[], OptionValues, OptionValues>, ctx: EtcdCommandContext): void {
  const { io } = ctx;
  withConnectionFlags(
    snapshot
      .command('save <file>')
      .description("stream a snapshot of one member's database to FILE, verifying etcd's sha256 on the way (etcdctl snapshot save, with a timeout and no partial files)")
      .addOption(new Option('--timeout <duration>', 'give up when the whole save takes longer (0: no limit)').default('0'))
      .addOption(new Option('--stall-timeout <duration>', 'give up when no data arrives for this long (0: wait forever)').default('30s'))
      .addOption(new Option('--force', 'replace FILE if it exists (etcdctl would overwrite it silently)')),
  ).action(async (file, opts) => {
    const format = outputFormat(ctx.writeOut(opts.writeOut), ctx.globals(), ['table', 'simple', 'json', 'yaml']);
    // A snapshot already there may be the only good one: never replaced by mistake.
    // A directory (or device) is refused by the atomic write itself, naming what it is; --force does not help there.
    if (!opts.force && (await isRegularFile(file))) throw new UsageError(`${file} already exists: pass --force to replace it, or choose another file`);
    const { saveSnapshot, formatMs } = await grpcModules();
    await outputFileFlag(file);
    const conn = await ctx.connection(opts);
    const timeoutMs = await duration(opts.timeout, '--timeout');
    const stallTimeoutMs = await duration(opts.stallTimeout, '--stall-timeout');
    const progress = new Progress(io, format === 'json' || format === 'yaml');
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const r = await explained(conn, saveSnapshot(conn, file, { timeoutMs, stallTimeoutMs, signal: abort.signal, onProgress: saveProgress(io, progress, conn.endpoints[0]) }));
      progress.clear();
      const json = outputObject('EtcdSnapshot', { file: r.file, endpoint: r.endpoint, size: r.size, dbSize: r.dbSize, sha256: r.sha256, revision: r.revision, memberId: r.memberId, version: r.version, elapsedMs: Math.round(r.elapsedMs) });
      if (format === 'json') io.out(toJson(json));
      else if (format === 'yaml') io.out(toYaml(json));
      else {
        io.out(`Snapshot saved at ${file}\n`);
        io.err(`${humanizeBytes(r.size)} from ${r.endpoint}${r.revision !== undefined ? ` at revision ${r.revision}` : ''} in ${formatMs(Math.round(r.elapsedMs))}; sha256 ${r.sha256} verified\n`);
      }
    } finally {
      progress.clear();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

/** Quick saves show nothing; on a pipe only long ones print (Progress throttles them). */
function saveProgress(io: Io, progress: Progress, endpoint: string): (p: SnapshotProgress) => void {
  let lastShown = 0;
  const since = performance.now();
  return (p) => {
    const now = performance.now();
    if (now - since < (io.isTTY ? 250 : 2000) || now - lastShown < 200) return;
    lastShown = now;
    const rate = p.elapsedMs > 0 ? p.received / (p.elapsedMs / 1000) : 0;
    const pct = p.total ? ` (${Math.floor((100 * Math.min(p.received, p.total)) / p.total)}%)` : '';
    progress.status('snapshot', `saving snapshot from ${endpoint}: ${humanizeBytes(p.received)} of ${p.total ? humanizeBytes(p.total) : '?'}${pct}, ${humanizeBytes(rate)}/s`);
  };
}

/** An output file that cannot be written is bad input, said before connecting (exit 2). */
async function outputFileFlag(file: string): Promise<void> {
  try {
    await checkWritableFile(file);
  } catch (e) {
    throw e instanceof AtomicWriteError ? new UsageError(e.message) : e;
  }
}

function registerSnapshotStatus(snapshot: Command<[], OptionValues, OptionValues>, ctx: EtcdCommandContext): void {
  const { io } = ctx;
  snapshot
    .command('status <file>')
    .description("a snapshot's hash, revision, total keys and size (as etcdctl/etcdutl snapshot status), with the sha256 and the page consistency checked")
    .addOption(new Option('-w, --write-out <format>', 'table (default), simple (etcdctl\'s line), json, yaml'))
    .addOption(new Option('--skip-hash-check', 'do not verify the sha256 etcd appends, and accept a file without one (a copied member/snap/db), as etcdutl restore --skip-hash-check'))
    .action(async (file, opts) => {
      const format = outputFormat(ctx.writeOut(opts.writeOut), ctx.globals(), ['table', 'simple', 'json', 'yaml']);
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
        if (errnoCode(e) === 'ENOENT') throw new UsageError(`snapshot file ${file} not found`);
        if (errnoCode(e) === 'EISDIR') throw new UsageError(`snapshot ${file} is a directory, not a snapshot file`);
        if (e instanceof Error && e.name === 'BoltError') throw new ExitError(2, `${file} is not an etcd snapshot: ${e.message}`);
        throw e;
      } finally {
        progress.clear();
      }
      if (format === 'json') io.out(toJson(outputObject('EtcdSnapshotStatus', statusJson(st))));
      else if (format === 'yaml') io.out(toYaml(outputObject('EtcdSnapshotStatus', statusJson(st))));
      else if (format === 'simple') io.out(renderStatusSimple(st));
      else io.out(renderStatusTable(st));
      const errors = statusErrors(st, { skipHashCheck: !!opts.skipHashCheck });
      // A defective file gets one line (below): its warnings would only bury the defect.
      if (!errors.length) for (const w of [...st.check.warnings, ...st.problems]) io.err(`Warning: ${w}\n`);
      // A defective snapshot is bad input: one line naming the file and its first defect.
      if (errors.length) throw new ExitError(2, `${file}: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length === 2 ? '' : 's'})` : ''}`);
    });
}

function registerMembers(etcd: Command<[], OptionValues, OptionValues>, ctx: EtcdCommandContext): void {
  withConnectionFlags(
    etcd
      .command('members')
      .description('members, leader, raft term and index, db size per member, alarms; quorum and how many failures the cluster survives')
      .addOption(new Option('--no-cluster', "ask only the given endpoints, not the members' advertised client URLs")),
  ).action(async (opts) => {
    const format = outputFormat(ctx.writeOut(opts.writeOut), ctx.globals(), ['table', 'wide', 'json', 'yaml']);
    const { clusterReport } = await grpcModules();
    const conn = await ctx.connection(opts);
    const report = await explained(conn, clusterReport(conn, { cluster: opts.cluster }));
    if (format === 'json') ctx.io.out(toJson(outputObject('EtcdMembers', report)));
    else if (format === 'yaml') ctx.io.out(toYaml(outputObject('EtcdMembers', report)));
    else ctx.io.out(renderMembers(report, format === 'wide'));
    if (!report.quorum.hasQuorum) throw new ExitError(1, `quorum lost: ${report.quorum.reachableVoters} of ${report.quorum.voters} voting members answer`);
  });
}

function registerHealth(etcd: Command<[], OptionValues, OptionValues>, ctx: EtcdCommandContext): void {
  withConnectionFlags(
    etcd
      .command('health')
      .description('commit a read through raft on every endpoint (etcdctl endpoint health), check alarms, and say whether the cluster has quorum')
      .addOption(new Option('--no-cluster', "check only the given endpoints, not every member's client URL")),
  ).action(async (opts) => {
    const format = outputFormat(ctx.writeOut(opts.writeOut), ctx.globals(), ['table', 'json', 'yaml']);
    const { healthReport } = await grpcModules();
    const conn = await ctx.connection(opts);
    const report = await explained(conn, healthReport(conn, { cluster: opts.cluster }));
    if (format === 'json') ctx.io.out(toJson(outputObject('EtcdHealth', report)));
    else if (format === 'yaml') ctx.io.out(toYaml(outputObject('EtcdHealth', report)));
    else ctx.io.out(renderHealth(report, !!conn.cert));
    if (!report.healthy) throw new ExitError(1, 'unhealthy cluster');
  });
}

function registerDiscover(etcd: Command<[], OptionValues, OptionValues>, ctx: EtcdCommandContext): void {
  etcd
    .command('discover')
    .description("find the cluster's etcd through the Kubernetes API: stacked or external, endpoints, data dir, certificates, and the command to save a snapshot")
    .addOption(new Option('-w, --write-out <format>', 'table (default), json, yaml (also -o)'))
    .action(async (opts) => {
      const g = ctx.globals();
      const format = outputFormat(ctx.writeOut(opts.writeOut), g, ['table', 'json', 'yaml']);
      // The Kubernetes client loads only here: snapshot save and status start without it.
      const [{ clientFromFlags }, { discoverEtcd }] = await Promise.all([import('../client.js'), import('../../etcd/discover.js')]);
      const client = await clientFromFlags(g, ctx.io);
      const config = await client.init();
      const discovered = await discoverEtcd(client);
      const named = (s: string | undefined) => (s === undefined ? undefined : forProgram(s, ctx.programName));
      const found = { ...discovered, saveCommand: named(discovered.saveCommand), membersCommand: named(discovered.membersCommand) };
      const context = `${config.contextName} (${config.server})`;
      const doc = outputObject('EtcdDiscovery', { context: config.contextName, server: config.server, ...found });
      if (format === 'json') ctx.io.out(toJson(doc));
      else if (format === 'yaml') ctx.io.out(toYaml(doc));
      else ctx.io.out(renderDiscovery(found, context));
    });
}
