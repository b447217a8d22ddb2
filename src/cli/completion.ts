// Shell completion the way cobra (kubectl's library) does it: `upkeep completion bash|zsh|fish`
// prints a small script, and at every TAB the shell runs `upkeep __complete WORDS... CURRENT`,
// which answers from the command tree itself (commands, flags, their values) and from the
// cluster (node names, namespaces) and the kubeconfig (contexts). New commands and flags
// complete without any change here. The answer is cobra's format: one candidate a line
// ("value<TAB>description"), then ":DIRECTIVE", so `kubectl_complete-upkeep` can hand it to
// kubectl (plugin completion, kubectl 1.26+) unchanged.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import type { GlobalFlags, Io } from './context.js';
import { UsageError } from './errors.js';
import { examples } from './help.js';
import { findOption } from './flags.js';

/** cobra's ShellCompDirective bits. */
export const Directive = { Default: 0, Error: 1, NoSpace: 2, NoFileComp: 4 } as const;

/** Values of flags that are the same everywhere. */
const OUTPUT_FORMATS = ['json', 'yaml', 'table', 'wide', 'name', 'runbook'];
const DRY_RUN = ['none', 'client', 'server'];

/** Commands whose arguments are node names (by command path). */
const NODE_ARGS = new Set(['drain', 'cordon', 'uncordon', 'sandbox node down', 'sandbox node up', 'sandbox node reboot', 'sandbox node upgrade', 'sandbox node remove', 'sandbox node fault', 'node maintain']);

export interface Completion {
  candidates: { value: string; description?: string }[];
  directive: number;
}

function pathOf(cmd: CommandUnknownOpts): string {
  const names: string[] = [];
  for (let c: CommandUnknownOpts | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The command `words` reach, the flags given along the way, and whether the last word wants a flag value. */
export function walk(program: CommandUnknownOpts, words: readonly string[]): { cmd: CommandUnknownOpts; flags: Map<string, string>; valueFlag?: string; positionals: number } {
  let cmd = program;
  const flags = new Map<string, string>();
  let positionals = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('-')) {
      const [name, value] = w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, undefined];
      const opt = findOption(cmd, name);
      const key = opt?.long ?? name;
      if (value !== undefined) flags.set(key, value);
      else if (opt?.required) {
        if (i + 1 === words.length) return { cmd, flags, valueFlag: key, positionals };
        flags.set(key, words[++i]!);
      } else flags.set(key, 'true');
      continue;
    }
    const sub = positionals ? undefined : cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub) cmd = sub;
    else positionals++;
  }
  return { cmd, flags, positionals };
}

/** The kubeconfig files kubectl would read: --kubeconfig, else $KUBECONFIG, else ~/.kube/config. */
function kubeconfigFiles(flags: Map<string, string>): string[] {
  const given = flags.get('--kubeconfig');
  if (given) return [given];
  const env = process.env.KUBECONFIG;
  if (env) return env.split(path.delimiter).filter(Boolean);
  return [path.join(os.homedir(), '.kube', 'config')];
}

async function contextNames(flags: Map<string, string>): Promise<string[]> {
  const { parse } = await import('yaml');
  const names: string[] = [];
  for (const file of kubeconfigFiles(flags)) {
    try {
      const doc: unknown = parse(await fs.readFile(file, 'utf8'));
      const contexts = typeof doc === 'object' && doc !== null && 'contexts' in doc && Array.isArray(doc.contexts) ? doc.contexts : [];
      for (const c of contexts) if (typeof c === 'object' && c !== null && 'name' in c && typeof c.name === 'string') names.push(c.name);
    } catch {
      // An unreadable kubeconfig completes nothing: completion never prints errors into the shell.
    }
  }
  return [...new Set(names)];
}

/** Names of nodes or namespaces from the cluster the flags on the line point at. */
async function clusterNames(flags: Map<string, string>, resource: 'nodes' | 'namespaces', io: Io): Promise<string[]> {
  try {
    const { clientFromFlags } = await import('./client.js');
    const g: GlobalFlags = { kubeconfig: flags.get('--kubeconfig'), context: flags.get('--context'), requestTimeout: '5s' };
    const client = await clientFromFlags(g, { ...io, err: () => {} });
    try {
      const list = await client.list({ version: 'v1', resource });
      return list.items.map((o) => o.metadata?.name ?? '').filter(Boolean);
    } finally {
      client.close();
    }
  } catch {
    return [];
  }
}

/** What completes `current`, the word under the cursor, after `words`. */
export async function complete(program: CommandUnknownOpts, words: readonly string[], current: string, io: Io): Promise<Completion> {
  const { cmd, flags, valueFlag, positionals } = walk(program, words);
  const values = (list: readonly string[], directive: number = Directive.NoFileComp): Completion => ({ candidates: list.filter((v) => v.startsWith(current)).map((value) => ({ value })), directive });
  if (valueFlag) {
    if (valueFlag === '--context') return values(await contextNames(flags));
    if (valueFlag === '--output') return values(OUTPUT_FORMATS);
    if (valueFlag === '--namespace') return values(await clusterNames(flags, 'namespaces', io));
    const opt = findOption(cmd, valueFlag);
    if (opt?.argChoices) return values(opt.argChoices);
    // A path or a free value: let the shell complete files.
    return { candidates: [], directive: Directive.Default };
  }
  if (current.startsWith('--dry-run=')) return values(DRY_RUN.map((v) => `--dry-run=${v}`));
  if (current.startsWith('-')) {
    const options = [];
    for (let c: CommandUnknownOpts | null = cmd; c; c = c.parent) options.push(...c.options.filter((o) => !o.hidden));
    const candidates = options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f && f.startsWith(current)).map((value) => ({ value, description: o.description })));
    return { candidates, directive: Directive.NoFileComp };
  }
  const subs = cmd.commands.filter((c) => c.name() !== 'help' && !c.name().startsWith('__'));
  if (subs.length && !positionals) return { candidates: subs.filter((c) => c.name().startsWith(current)).map((c) => ({ value: c.name(), description: c.summary() || c.description() })), directive: Directive.NoFileComp };
  if (NODE_ARGS.has(pathOf(cmd))) return values(await clusterNames(flags, 'nodes', io));
  // Arguments named <file>: the shell's own file completion.
  return { candidates: [], directive: cmd.registeredArguments.length ? Directive.Default : Directive.NoFileComp };
}

/** cobra's __complete answer. */
export function renderCompletion(c: Completion): string {
  return c.candidates.map((x) => (x.description ? `${x.value}\t${x.description.split('\n')[0]}` : x.value)).join('\n') + (c.candidates.length ? '\n' : '') + `:${c.directive}\n`;
}

/** `upkeep __complete WORDS... CURRENT` (and `kubectl_complete-upkeep WORDS... CURRENT`). */
export async function runComplete(args: readonly string[], io: Io, programName: string): Promise<number> {
  const { buildProgram } = await import('./main.js');
  const words = args.slice(0, -1);
  const program = await buildProgram(io, programName, words);
  io.out(renderCompletion(await complete(program, words, args.at(-1) ?? '', io)));
  return 0;
}

/**
 * The scripts ask `PROGRAM __complete` for candidates and apply the directive (4: no file
 * fallback). Written for upkeep after cobra's bash/zsh/fish protocol (spf13/cobra
 * completions.go), smaller: no descriptions in bash, descriptions in zsh and fish.
 */
export function completionScript(shell: string, program: string): string {
  // As the kubectl plugin, kubectl completes `kubectl upkeep ...` itself through
  // kubectl_complete-upkeep; the script below is for the upkeep command.
  const fn = '__upkeep_complete';
  const call = 'upkeep';
  const bin = 'upkeep';
  const header = program === bin ? '' : `# ${program} <TAB> completes through kubectl when kubectl_complete-upkeep is on the PATH.\n`;
  return header + shellScript(shell, program, fn, call, bin);
}

function shellScript(shell: string, program: string, fn: string, call: string, bin: string): string {
  if (shell === 'bash') {
    return `# bash completion for ${program}: source <(${program} completion bash)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" out directive
  out=$(${call} __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null) || return
  directive=\${out##*:}
  out=$(printf '%s\\n' "$out" | sed '$d' | cut -f1)
  COMPREPLY=($(compgen -W "$out" -- "$cur"))
  if [[ \${#COMPREPLY[@]} -eq 0 && $(( directive & 4 )) -eq 0 ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F ${fn} ${bin}
`;
  }
  if (shell === 'zsh') {
    return `#compdef ${bin}
# zsh completion for ${program}: source <(${program} completion zsh)
${fn}() {
  local -a lines candidates
  local directive
  lines=("\${(@f)$(${call} __complete "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null)}")
  directive=\${lines[-1]#:}
  candidates=("\${(@)lines[1,-2]//$'\\t'/:}")
  if (( \${#candidates} )); then
    _describe 'values' candidates
  elif (( (directive & 4) == 0 )); then
    _files
  fi
}
compdef ${fn} ${bin}
`;
  }
  if (shell === 'fish') {
    return `# fish completion for ${program}: ${program} completion fish | source
function ${fn}
    set -l words (commandline -opc)[2..-1]
    set -l out (${call} __complete $words (commandline -ct) 2>/dev/null)
    set -e out[-1]
    printf '%s\\n' $out
end
complete -c ${bin} -f -a '(${fn})'
`;
  }
  throw new UsageError(`unsupported shell "${shell}": use bash, zsh or fish`);
}

export function registerCompletion(program: Command, io: Io, _globals: () => GlobalFlags): void {
  const cmd = program
    .command('completion <shell>')
    .description(`Print the shell completion script for bash, zsh or fish. It completes commands, flags, output formats, node names from the cluster and contexts from the kubeconfig. For \`kubectl upkeep\`, install bin/kubectl_complete-upkeep on the PATH (kubectl 1.26 and later).`)
    .action((shell) => {
      io.out(completionScript(shell, program.name()));
    });
  examples(cmd, [
    ['Load completion for this bash session', 'source <(upkeep completion bash)'],
    ['Load completion in every zsh session', 'upkeep completion zsh > "${fpath[1]}/_upkeep"'],
    ['Load completion in fish', 'upkeep completion fish | source'],
  ]);
}
