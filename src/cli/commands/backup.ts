// `upkeep backup create|describe|verify|diff|restore`: resource backups through the API server,
// in Velero's archive layout with upkeep's manifest (checksums, counts, failures, encryption).
// Filters are Velero's flags with kubectl's resource names; -n NS is --include-namespaces NS.
// The domain (src/backup) loads only when a backup command runs.
import { AtomicWriteError, checkWritableFile } from '../../util/atomic.js';
import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import type { GlobalFlags, Io } from '../context.js';
import { ExitError, UsageError } from '../errors.js';
import { clientFromFlags } from '../client.js';
import { outputObject, parseOutput, toJson, toYaml } from '../output/format.js';
import { Progress } from '../output/progress.js';
import { humanBytes, renderCreated, renderDescription, renderDiff, renderRestore, renderVerify } from '../output/backup.js';
import type { SecretKeyOptions } from '../../backup/secrets.js';
import type { S3Options } from '../../backup/storage.js';
import type { IncludeClusterResources } from '../../backup/manifest.js';
import { errorMessage } from '../../util/errors.js';
import { examplesByPath } from '../help.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
const list = (values: string[] | undefined) => values?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

function s3Flags<Args extends unknown[], Opts extends OptionValues, G extends OptionValues>(cmd: Command<Args, Opts, G>) {
  return cmd
    .addOption(new Option('--s3-endpoint <url>', 'an S3-compatible endpoint (MinIO, Ceph, ...): path-style requests to this URL'))
    .addOption(new Option('--s3-region <region>', "the bucket's region (default: AWS_REGION, the shared config, or us-east-1 with --s3-endpoint)"));
}

function keyFlags<Args extends unknown[], Opts extends OptionValues, G extends OptionValues>(cmd: Command<Args, Opts, G>) {
  return cmd
    .addOption(new Option('--key-file <file>', "age identity file (AGE-SECRET-KEY-1...) that opens the archive's Secrets"))
    .addOption(new Option('--passphrase-file <file>', "file whose first line is the passphrase that opens the archive's Secrets"));
}

function filterFlags<Args extends unknown[], Opts extends OptionValues, G extends OptionValues>(cmd: Command<Args, Opts, G>) {
  return cmd
    .addOption(new Option('--include-namespaces <list>', 'namespaces to include (comma-separated, globs allowed; default all)').argParser(collect))
    .addOption(new Option('--exclude-namespaces <list>', 'namespaces to leave out (comma-separated, globs allowed)').argParser(collect))
    .addOption(new Option('--include-resources <list>', 'resources to include, as kubectl names them (deploy, po, deployments.apps; default all)').argParser(collect))
    .addOption(new Option('--exclude-resources <list>', 'resources to leave out, as kubectl names them').argParser(collect))
    .addOption(new Option('-l, --selector <selector>', 'only objects matching this label selector (namespaces are kept regardless)'))
    .addOption(
      new Option('--include-cluster-resources [mode]', 'cluster-scoped resources: auto (when all namespaces are included), true, false')
        .choices(['auto', 'true', 'false'] as const)
        .preset('true')
        .default('auto'),
    );
}

interface FilterValues {
  includeNamespaces?: string[];
  excludeNamespaces?: string[];
  includeResources?: string[];
  excludeResources?: string[];
  selector?: string;
  includeClusterResources?: string;
}

function selection(opts: FilterValues, globals: GlobalFlags) {
  const includeNamespaces = list(opts.includeNamespaces) ?? (globals.namespace && !globals.allNamespaces ? [globals.namespace] : undefined);
  return {
    includeNamespaces,
    excludeNamespaces: list(opts.excludeNamespaces),
    includeResources: list(opts.includeResources),
    excludeResources: list(opts.excludeResources),
    labelSelector: opts.selector,
    includeClusterResources: (opts.includeClusterResources ?? 'auto') as IncludeClusterResources,
  };
}

function s3Options(opts: { s3Endpoint?: string; s3Region?: string }): S3Options {
  if (opts.s3Endpoint && !/^https?:\/\/[^/]+/.test(opts.s3Endpoint)) throw new UsageError(`invalid --s3-endpoint "${opts.s3Endpoint}": use a URL like http://127.0.0.1:9000`);
  return { endpoint: opts.s3Endpoint, region: opts.s3Region };
}

async function keyOptions(opts: { keyFile?: string; passphraseFile?: string; recipient?: string[] }, io: Io, confirm = false): Promise<SecretKeyOptions | undefined> {
  if (!opts.keyFile && !opts.passphraseFile && !opts.recipient?.length) {
    // No key given: on a terminal, a passphrase is asked for when one is needed.
    return io.isTTY && process.stdin.isTTY ? { askPassphrase: () => promptPassphrase(io, confirm) } : undefined;
  }
  const { readKeyFile, readPassphraseFile } = await import('../../backup/secrets.js');
  const keys: SecretKeyOptions = { recipients: list(opts.recipient) };
  if (opts.keyFile) {
    const file = await readKeyFile(opts.keyFile);
    keys.identities = file.identities;
    keys.recipients = [...(keys.recipients ?? []), ...file.recipients];
  }
  if (opts.passphraseFile) keys.passphrase = await readPassphraseFile(opts.passphraseFile);
  return keys;
}

/** Read a passphrase from the terminal without echoing it (twice when choosing one). */
async function promptPassphrase(io: Io, confirm: boolean): Promise<string> {
  const first = await readHidden(io, 'Passphrase for the Secrets: ');
  if (!first) throw new UsageError('an empty passphrase does not protect anything');
  if (confirm && (await readHidden(io, 'Passphrase again: ')) !== first) throw new UsageError('the passphrases differ');
  return first;
}

function readHidden(io: Io, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    let text = '';
    io.err(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      io.err('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new UsageError('interrupted'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * Status lines: redrawn at most 10 times a second on a terminal; on a pipe nothing for quick
 * operations and then a line every 5 seconds, so logs stay short.
 */
function statusLine(io: Io, quiet: boolean): { progress: Progress; show: (text: string) => void } {
  const progress = new Progress(io, quiet);
  const since = performance.now();
  let last = 0;
  return {
    progress,
    show(text: string) {
      const now = performance.now();
      if (io.isTTY ? now - last < 100 : now - since < 2000 || now - last < 5000) return;
      last = now;
      progress.status('backup', text);
    },
  };
}

/** SIGINT/SIGTERM abort the operation (a backup then leaves no file behind). */
function onInterrupt(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    },
  };
}

export function registerBackup(program: Command, io: Io, globals: () => GlobalFlags): void {
  const backup = program.command('backup').description('back up every resource through the API server, and describe, verify, diff and restore those backups (Velero\'s archive format)');
  registerCreate(backup, io, globals);
  registerDescribe(backup, io, globals);
  registerVerify(backup, io, globals);
  registerDiff(backup, io, globals);
  registerRestore(backup, io, globals);
  examplesByPath(backup, {
    '': [
      ['Back up the cluster, then check the archive', 'upkeep backup create cluster.tar.gz && upkeep backup verify cluster.tar.gz'],
      ['Restore namespace shop from it', 'upkeep backup restore cluster.tar.gz --include-namespaces shop'],
    ],
    create: [
      ['Back up every resource', 'upkeep backup create cluster.tar.gz'],
      ['Back up namespace shop to S3, Secrets encrypted to an age key', 'upkeep backup create s3://backups/shop.tar.gz -n shop --encrypt-secrets --recipient age1...'],
    ],
    describe: [
      ['What a backup holds', 'upkeep backup describe cluster.tar.gz'],
      ['Every namespace with its count', 'upkeep backup describe cluster.tar.gz --details'],
    ],
    verify: [
      ['Checksums, then a restore into a scratch cluster', 'upkeep backup verify cluster.tar.gz'],
      ['Only the checksums', 'upkeep backup verify cluster.tar.gz --checksums-only'],
    ],
    diff: [
      ['What changed in the cluster since the backup', 'upkeep backup diff cluster.tar.gz'],
      ['Only namespace shop', 'upkeep backup diff cluster.tar.gz --include-namespaces shop'],
    ],
    restore: [
      ['What a restore would do, writing nothing', 'upkeep backup restore cluster.tar.gz --dry-run'],
      ['Restore namespace shop as shop-copy', 'upkeep backup restore cluster.tar.gz --include-namespaces shop --namespace-mappings shop:shop-copy'],
    ],
  });
}

function registerCreate(backup: Command, io: Io, globals: () => GlobalFlags): void {
  const cmd = backup
    .command('create <file>')
    .description('back up every listable resource (found by discovery) into FILE or s3://BUCKET/KEY, a tar.gz in Velero\'s layout with checksums; all or nothing')
    .addOption(new Option('--allow-partial', 'keep a backup even when a group cannot be read (an aggregated API that is down, a 403); the archive records what is missing'))
    .addOption(new Option('--encrypt-secrets', 'encrypt Secret entries with age (to --recipient / --key-file, or --passphrase-file)'))
    .addOption(new Option('--recipient <age-public-key>', 'age recipient (age1...) to encrypt Secrets to; repeatable').argParser(collect));
  const leaf = s3Flags(keyFlags(filterFlags(cmd)));
  leaf.action(async (file, opts) => {
    const format = parseOutput(globals().output, ['table', 'json', 'yaml']);
    const keys = await keyOptions(opts, io, true);
    if (keys && !keys.askPassphrase && !opts.encryptSecrets) throw new UsageError('--recipient, --key-file and --passphrase-file need --encrypt-secrets when creating a backup');
    if (opts.encryptSecrets && !keys) throw new UsageError('--encrypt-secrets needs --recipient, --key-file or --passphrase-file (or a terminal to type a passphrase)');
    const { createBackup } = await import('../../backup/create.js');
    if (!file.includes('://')) {
      // A local archive that cannot be written is bad input: say so before reading the cluster.
      await checkWritableFile(file).catch((e: unknown) => {
        throw e instanceof AtomicWriteError ? new UsageError(e.message) : e;
      });
    }
    const client = await clientFromFlags(globals(), io);
    const { progress, show } = statusLine(io, format !== 'table');
    const interrupt = onInterrupt();
    try {
      const result = await createBackup(
        client,
        file,
        { ...selection(opts, globals()), allowPartial: opts.allowPartial, encryptSecrets: opts.encryptSecrets ? keys : undefined, s3: s3Options(opts), signal: interrupt.signal },
        {
          onProgress: (p) => show(`backing up: ${p.resourcesDone}/${p.resourcesTotal} resources (${p.resource}), ${p.objects} objects, ${humanBytes(p.bytes)} written`),
          onFailure: (f) => progress.err(`${opts.allowPartial ? 'Warning' : 'error'}: cannot ${f.kind === 'discovery' ? 'discover' : 'list'} ${f.what}: ${f.message}`),
        },
      );
      progress.clear();
      if (format === 'json') io.out(toJson(outputObject('Backup', summaryOf(result))));
      else if (format === 'yaml') io.out(toYaml(outputObject('Backup', summaryOf(result))));
      else io.out(renderCreated(result));
    } finally {
      progress.clear();
      interrupt.dispose();
      client.close();
    }
  });
}

function summaryOf(r: import('../../backup/create.js').CreateResult) {
  const m = r.manifest;
  return { location: r.location, bytes: r.compressedBytes, elapsedMs: Math.round(r.elapsedMs), objects: m.totals.objects, entries: m.totals.entries, resources: m.resources, failed: m.failed, partial: m.partial, secrets: m.secrets, cluster: { server: m.cluster.server, version: m.cluster.version }, filters: m.filters };
}

function registerDescribe(backup: Command, io: Io, globals: () => GlobalFlags): void {
  const cmd = backup
    .command('describe <file>')
    .description('what a backup holds: objects per resource and namespace, size, cluster, filters, failed groups, encryption')
    .addOption(new Option('--details', 'list every namespace with its count'));
  s3Flags(cmd).action(async (file, opts) => {
    const format = parseOutput(globals().output, ['table', 'json', 'yaml']);
    const { describeBackup } = await import('../../backup/describe.js');
    const d = await describeBackup(file, { s3: s3Options(opts) });
    io.out(format === 'json' ? toJson(outputObject('BackupDescription', d)) : format === 'yaml' ? toYaml(outputObject('BackupDescription', d)) : renderDescription(d, !!opts.details));
  });
}

function registerVerify(backup: Command, io: Io, globals: () => GlobalFlags): void {
  const cmd = backup
    .command('verify <file>')
    .description("check every entry's sha256 (and decrypt every Secret with the key); then restore into a fresh scratch cluster and compare object by object. Exit 1 on any mismatch")
    .addOption(new Option('--checksums-only', 'only check the checksums (no scratch cluster)'));
  s3Flags(keyFlags(cmd)).action(async (file, opts) => {
    const format = parseOutput(globals().output, ['table', 'json', 'yaml']);
    const { verifyBackup } = await import('../../backup/verify.js');
    const { progress, show } = statusLine(io, format !== 'table');
    try {
      const keys = await keyOptions(opts, io);
      // --checksums-only needs no key: a terminal is asked only when one was given on purpose.
      const v = await verifyBackup(file, { checksumsOnly: opts.checksumsOnly, keys: opts.checksumsOnly && keys?.askPassphrase ? undefined : keys, s3: s3Options(opts), onPhase: show });
      progress.clear();
      // Durations in whole milliseconds (docs/output.md).
      const doc = outputObject('BackupVerification', { ...v, ...(v.restore ? { restore: { ...v.restore, result: { ...v.restore.result, elapsedMs: Math.round(v.restore.result.elapsedMs) } } } : {}) });
      io.out(format === 'json' ? toJson(doc) : format === 'yaml' ? toYaml(doc) : renderVerify(v));
      if (!v.ok) throw new ExitError(1);
    } finally {
      progress.clear();
    }
  });
}

function registerDiff(backup: Command, io: Io, globals: () => GlobalFlags): void {
  const cmd = backup
    .command('diff <file>')
    .description('the live cluster against a backup: objects added, removed and changed since (fields the server owns ignored)')
    .addOption(new Option('--include-namespaces <list>', "namespaces to compare (default: the backup's)").argParser(collect))
    .addOption(new Option('--exclude-namespaces <list>', 'namespaces to leave out').argParser(collect))
    .addOption(new Option('--all', 'also compare objects a restore leaves to the cluster (Pods of ReplicaSets, kube-root-ca.crt, ...)'));
  s3Flags(keyFlags(cmd)).action(async (file, opts) => {
    const format = parseOutput(globals().output, ['table', 'json', 'yaml']);
    const { diffBackup } = await import('../../backup/diff.js');
    const client = await clientFromFlags(globals(), io);
    try {
      const d = await diffBackup(client, file, {
        keys: await keyOptions(opts, io),
        s3: s3Options(opts),
        includeNamespaces: list(opts.includeNamespaces),
        excludeNamespaces: list(opts.excludeNamespaces),
        all: opts.all,
      });
      io.out(format === 'json' ? toJson(outputObject('BackupDiff', d)) : format === 'yaml' ? toYaml(outputObject('BackupDiff', d)) : renderDiff(d));
    } finally {
      client.close();
    }
  });
}

function registerRestore(backup: Command, io: Io, globals: () => GlobalFlags): void {
  const cmd = backup
    .command('restore <file>')
    .description("restore a backup (upkeep's or Velero's): CRDs first, then Velero's order; owned objects left to their controllers; a summary per resource. Exit 1 when anything failed")
    .addOption(new Option('--namespace-mappings <old:new>', 'restore namespace OLD into NEW (comma-separated pairs; repeatable)').argParser(collect))
    .addOption(new Option('--existing-resource-policy <policy>', 'an object that already exists: none (leave it), update (patch it to the backup)').choices(['none', 'update']).default('none'))
    .addOption(new Option('--preserve-node-ports', 'keep every Service nodePort (default: only those set by hand)'))
    .addOption(new Option('--dry-run', 'send every write with dryRun=All: what would be created, updated and skipped, nothing written'));
  s3Flags(keyFlags(filterFlags(cmd))).action(async (file, opts) => {
    const format = parseOutput(globals().output, ['table', 'json', 'yaml']);
    const { restoreBackup, RestoreInterruptedError } = await import('../../backup/restore/restore.js');
    const { parseNamespaceMappings } = await import('../../backup/restore/mapping.js');
    let namespaceMappings: Map<string, string>;
    try {
      namespaceMappings = parseNamespaceMappings(opts.namespaceMappings ?? []);
    } catch (e) {
      throw new UsageError(errorMessage(e));
    }
    const client = await clientFromFlags(globals(), io);
    const { progress, show } = statusLine(io, format !== 'table');
    let phase = 'restoring';
    let objects = 0;
    const print = (r: import('../../backup/restore/restore.js').RestoreResult) => {
      const doc = outputObject('BackupRestore', { ...r, elapsedMs: Math.round(r.elapsedMs) });
      io.out(format === 'json' ? toJson(doc) : format === 'yaml' ? toYaml(doc) : renderRestore(r));
    };
    try {
      const r = await restoreBackup(
        client,
        file,
        {
          ...selection(opts, globals()),
          namespaceMappings,
          existingResourcePolicy: opts.existingResourcePolicy as 'none' | 'update',
          preserveNodePorts: opts.preserveNodePorts,
          dryRun: opts.dryRun,
          keys: await keyOptions(opts, io),
          s3: s3Options(opts),
        },
        {
          onPhase: (t) => {
            phase = t;
            show(t);
          },
          onObject: () => show(`${phase}: ${++objects} objects done`),
        },
      );
      progress.clear();
      print(r);
      if (r.totals.failed) throw new ExitError(1, `${r.totals.failed} objects failed to restore (listed above)`);
    } catch (e) {
      progress.clear();
      if (e instanceof RestoreInterruptedError) print(e.result);
      throw e;
    } finally {
      client.close();
    }
  });
}
