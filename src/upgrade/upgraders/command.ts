// `--node-command 'script {node} {version} {role}'`: a local command per node (a configuration
// management run, a cloud CLI, a script of the site's own), through /bin/sh, its output
// streamed to the journal. Also the replace strategy's `--node-add-command` and
// `--node-remove-command`.
import { runStreaming, type RunResult } from './process.js';
import { expandTemplate, targetFields, type TemplateFields } from './template.js';
import { type NodeProvisioner, type NodeTarget, type NodeUpgrader, type UpgraderContext, UpgraderError } from './types.js';

/** The environment a command gets besides its template: the same fields, for scripts that prefer variables. */
function fieldEnv(fields: TemplateFields): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, value] of Object.entries(fields)) env[`UPKEEP_${k.toUpperCase()}`] = value;
  return env;
}

function failure(r: RunResult): string {
  return r.code !== null ? `exited with status ${r.code}` : `was ended by ${r.signal ?? 'a signal'}`;
}

/** Runs a template through /bin/sh; fails with the step's last output lines. */
async function runTemplate(node: string, step: string, template: string, fields: TemplateFields, ctx: UpgraderContext): Promise<RunResult> {
  let command: string;
  try {
    command = expandTemplate(template, fields);
  } catch (e) {
    throw new UpgraderError(node, step, e instanceof Error ? e.message : String(e));
  }
  ctx.log(`$ ${command}`);
  let r: RunResult;
  try {
    r = await runStreaming(['/bin/sh', '-c', command], { env: fieldEnv(fields), signal: ctx.signal, log: ctx.log });
  } catch (e) {
    // An abort (upkeep upgrade abort, a signal) is the executor's to report, not the machine's failure.
    if (ctx.signal.aborted) throw e;
    throw new UpgraderError(node, step, `cannot run "${command}": ${e instanceof Error ? e.message : String(e)}`);
  }
  if (r.code !== 0) throw new UpgraderError(node, step, `"${command}" ${failure(r)}`, r.tail);
  return r;
}

export class CommandUpgrader implements NodeUpgrader {
  readonly kind = 'command' as const;

  constructor(private readonly nodeCommand: string) {}

  async upgrade(target: NodeTarget, ctx: UpgraderContext): Promise<void> {
    await runTemplate(target.node, 'node-command', this.nodeCommand, targetFields(target), ctx);
  }

  /** `--run CMD` runs locally with the node's fields; without it the node command runs with role "maintain" at the current version. */
  async maintain(target: Omit<NodeTarget, 'to' | 'role'>, command: string | undefined, ctx: UpgraderContext): Promise<void> {
    const fields = { ...targetFields(target), version: target.from, role: 'maintain' };
    await runTemplate(target.node, command ? 'run' : 'node-command', command ?? this.nodeCommand, fields, ctx);
  }
}

/**
 * New machines from `--node-add-command '{version}'` (run once per machine; it prints the new
 * Node's name as the last line of its output) and old ones removed by `--node-remove-command '{node}'`.
 */
export class CommandProvisioner implements NodeProvisioner {
  constructor(
    private readonly addCommand: string | undefined,
    private readonly removeCommand: string | undefined,
  ) {}

  async add(count: number, version: string, ctx: UpgraderContext): Promise<string[]> {
    if (!this.addCommand) throw new UpgraderError('(new)', 'node-add-command', 'no --node-add-command given');
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const r = await runTemplate('(new)', 'node-add-command', this.addCommand, { version }, ctx);
      const name = [...r.tail].reverse().find((l) => l.trim())?.trim();
      if (!name || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
        throw new UpgraderError('(new)', 'node-add-command', `its last output line must be the new Node's name, got ${JSON.stringify(name ?? '')}`, r.tail);
      }
      names.push(name);
    }
    return names;
  }

  async remove(node: string, ctx: UpgraderContext): Promise<void> {
    if (!this.removeCommand) {
      ctx.log(`no --node-remove-command: the machine of ${node} is left running (cordoned and drained)`);
      return;
    }
    await runTemplate(node, 'node-remove-command', this.removeCommand, { node }, ctx);
  }
}
