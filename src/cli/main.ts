// The command line: global flags, the command tree, and one place that turns failures into
// a single line and an exit code. Commands are loaded lazily so `--help` stays fast.
import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { ExitCode, ExitError, UsageError, exitCodeFor, formatError } from './errors.js';
import { type GlobalFlags, type Io, processIo } from './context.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerDemo } from './commands/demo.js';
import { registerVersion } from './commands/version.js';
import { registerCordon } from './commands/cordon.js';
import { registerDrain } from './commands/drain.js';
import { registerPlan } from './commands/plan.js';
import { registerEtcd } from './commands/etcd.js';
import { registerBackup } from './commands/backup.js';
import { registerAudit } from './commands/audit.js';
import { registerUpgrade } from './commands/upgrade.js';
import { registerNode } from './commands/node.js';

export interface MainOptions {
  programName?: string;
  io?: Io;
}

export function buildProgram(io: Io, programName = 'upkeep') {
  const program = new Command(programName)
    .description('Day-2 Kubernetes maintenance: safe drains, skew-checked upgrade plans, verified backups, and a sandbox cluster to rehearse on.')
    .addOption(new Option('--kubeconfig <path>', 'path to the kubeconfig file to use'))
    .addOption(new Option('--context <name>', 'the name of the kubeconfig context to use'))
    .addOption(new Option('-n, --namespace <namespace>', 'the namespace scope for this request'))
    .addOption(new Option('-A, --all-namespaces', 'across all namespaces'))
    .addOption(new Option('-o, --output <format>', 'output format (see each command)'))
    .addOption(new Option('--request-timeout <duration>', 'how long to wait for a single server request (0: no timeout)').default('0'))
    .addOption(new Option('-v, --verbose', 'print details, and stack traces on errors'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: (s, write) => write(s) })
    .enablePositionalOptions(false);
  const globals = (): GlobalFlags => program.opts();
  registerSandbox(program, io, globals);
  registerDemo(program, io, globals);
  registerCordon(program, io, globals);
  registerDrain(program, io, globals);
  registerPlan(program, io, globals);
  registerEtcd(program, io, globals);
  registerBackup(program, io, globals);
  registerAudit(program, io, globals);
  registerUpgrade(program, io, globals);
  registerNode(program, io, globals);
  registerVersion(program, io, globals);
  return program;
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const io = options.io ?? processIo();
  const program = buildProgram(io, options.programName);
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  try {
    await program.parseAsync(argv, { from: 'user' });
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
