// The command line: global flags, the command tree, and one place that turns failures into
// a single line and an exit code. A command's module (and what it imports) loads only when that
// command runs: `upkeep --help`, `version` and `completion` load none of them (issue 17).
import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { ExitCode, ExitError, UsageError, exitCodeFor, formatError } from './errors.js';
import { type GlobalFlags, type Io, processIo } from './context.js';
import { configureHelpOutput, examples } from './help.js';
import { commandPath, normalizeArgs } from './flags.js';
import { UPKEEP_VERSION } from '../util/version.js';

export interface MainOptions {
  programName?: string;
  io?: Io;
}

export type Register = (program: Command, io: Io, globals: () => GlobalFlags) => void;

/** One top-level command: its name and one-line summary for `upkeep --help`, and its module. */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Register>;
}

/**
 * The command tree's first level. A new command adds one entry here; its module exports a
 * Register function that adds the command (flags, examples(), action) to the program.
 */
export const COMMANDS: CommandEntry[] = [
  { name: 'sandbox', summary: 'Run and drive the embedded Kubernetes-compatible sandbox cluster', load: async () => (await import('./commands/sandbox.js')).registerSandbox },
  { name: 'demo', summary: 'Walk through cluster maintenance on a sandbox cluster', load: async () => (await import('./commands/demo.js')).registerDemo },
  { name: 'cordon', summary: 'Mark nodes as unschedulable', load: async () => (await import('./commands/cordon.js')).registerCordon },
  { name: 'uncordon', summary: 'Mark nodes as schedulable (only nodes upkeep cordoned)', load: async () => (await import('./commands/cordon.js')).registerUncordon },
  { name: 'drain', summary: 'Drain nodes in preparation for maintenance, with an impact report', load: async () => (await import('./commands/drain.js')).registerDrain },
  { name: 'plan', summary: 'Plan a Kubernetes upgrade within the version skew policy', load: async () => (await import('./commands/plan.js')).registerPlan },
  { name: 'etcd', summary: 'etcd snapshots, members, health and discovery', load: async () => (await import('./commands/etcd.js')).registerEtcd },
  { name: 'backup', summary: 'Back up, verify, diff and restore resources (Velero format)', load: async () => (await import('./commands/backup.js')).registerBackup },
  { name: 'audit', summary: 'Check what would bite during maintenance: images, availability, nodes, certificates, permissions', load: async () => (await import('./commands/audit.js')).registerAudit },
  { name: 'upgrade', summary: 'Carry out an upgrade node by node: apply, status, resume, abort', load: async () => (await import('./commands/upgrade.js')).registerUpgrade },
  { name: 'node', summary: 'OS maintenance over nodes: drain, run the work, wait for Ready, uncordon', load: async () => (await import('./commands/node.js')).registerNode },
  { name: 'completion', summary: 'Print the shell completion script (bash, zsh or fish)', load: async () => (await import('./completion.js')).registerCompletion },
  { name: 'version', summary: "Print upkeep's version", load: async () => registerVersion },
];

function registerVersion(program: Command, io: Io, globals: () => GlobalFlags): void {
  const cmd = program
    .command('version')
    .description("Print upkeep's version (and Node's, with -o json|yaml)")
    .action(async () => {
      const format = globals().output ?? 'table';
      const info = { apiVersion: 'upkeep.dev/v1alpha1', kind: 'Version', upkeepVersion: UPKEEP_VERSION, nodeVersion: process.version };
      // format.ts (and YAML with it) loads only for -o: `upkeep version` stays at start-up cost.
      if (format === 'table') return io.out(`upkeep ${UPKEEP_VERSION}\n`);
      const { parseOutput, toJson, toYaml } = await import('./output/format.js');
      io.out(parseOutput(format, ['table', 'json', 'yaml']) === 'json' ? toJson(info) : toYaml(info));
    });
  examples(cmd, [
    ["Print upkeep's version", 'upkeep version'],
    ['Print the versions of upkeep and Node in JSON', 'upkeep version -o json'],
  ]);
}

export function newProgram(io: Io, programName = 'upkeep') {
  const program = new Command(programName)
    .description('Day-2 Kubernetes maintenance: safe drains, skew-checked upgrade plans, verified backups, and a sandbox cluster to rehearse on.')
    .addOption(new Option('--kubeconfig <path>', 'Path to the kubeconfig file to use'))
    .addOption(new Option('--context <name>', 'The name of the kubeconfig context to use'))
    .addOption(new Option('-n, --namespace <namespace>', 'The namespace scope for this request'))
    .addOption(new Option('-A, --all-namespaces', 'Across all namespaces'))
    .addOption(new Option('-o, --output <format>', 'Output format: json, yaml, or a format the command lists'))
    .addOption(new Option('--request-timeout <duration>', 'How long to wait for a single server request (0: no timeout)').default('0'))
    .addOption(new Option('-v, --verbose', 'Print details, and stack traces on errors (also -v=N as kubectl)'))
    .exitOverride();
  configureHelpOutput(program, io);
  examples(program, [
    ['What draining node01 would do, changing nothing', 'upkeep drain node01 --ignore-daemonsets --dry-run=client'],
    ['Plan the upgrade to Kubernetes 1.32 within the skew policy', 'upkeep plan --to 1.32'],
    ['Rehearse on a sandbox cluster first', 'upkeep sandbox serve --kubeconfig-out ./sandbox.kubeconfig'],
  ]);
  return program;
}

/**
 * The program with the commands `argv` needs: only the command it names (stubs with their
 * summaries for the rest), or every command (`all`, for help tests and completion).
 */
export async function buildProgram(io: Io, programName = 'upkeep', argv: readonly string[] | 'all' = 'all') {
  const program = newProgram(io, programName);
  const globals = (): GlobalFlags => program.opts();
  const [word, next] = argv === 'all' ? [] : commandPath(argv);
  // --version only without a command: `sandbox node upgrade --version v1.32.0` is that command's.
  if (argv !== 'all' && !word) program.version(`upkeep ${UPKEEP_VERSION}`, '--version', "Print upkeep's version");
  const wanted = (e: CommandEntry) => argv === 'all' || e.name === word || (word === 'help' && e.name === next);
  for (const entry of COMMANDS) {
    if (wanted(entry)) (await entry.load())(program, io, globals);
    else program.command(entry.name).description(entry.summary);
  }
  return program;
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const io = options.io ?? processIo();
  let verbose = false;
  try {
    // Shell completion (cobra's protocol): answered before any parsing, never an error.
    if (argv[0] === '__complete') return (await import('./completion.js')).runComplete(argv.slice(1), io, options.programName ?? 'upkeep');
    const program = await buildProgram(io, options.programName, argv);
    const args = normalizeArgs(argv, program, (w) => io.err(`Warning: ${w}\n`));
    verbose = args.includes('-v') || args.includes('--verbose');
    // Bare `upkeep` (or only global flags): the help, on stdout, as kubectl does.
    if (!commandPath(args).length && !args.includes('--version') && !args.includes('--help') && !args.includes('-h')) {
      program.outputHelp();
      return ExitCode.OK;
    }
    await program.parseAsync(args, { from: 'user' });
    return ExitCode.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; usage mistakes with 2.
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return ExitCode.OK;
      return ExitCode.USAGE;
    }
    if (!(e instanceof ExitError) || e.message) io.err(formatError(e) + '\n');
    if (verbose && e instanceof Error && e.stack) io.err(e.stack + '\n');
    return exitCodeFor(e);
  }
}

export { UsageError };
