// The runbook's own per-node host commands (src/upgrade/hostcommands.ts, apt or dnf/yum) run on
// each machine through the system OpenSSH client, so the user's ~/.ssh/config, agent, jump
// hosts and known_hosts apply as they do in their shell. One ssh invocation per step; the
// output streams to the journal; the first step that exits non-zero stops the node with its output.
import { type HostStep, type PackageManager, nodeHostSteps, stepCommand } from '../hostcommands.js';
import { parseVersion } from '../version.js';
import { runStreaming, type RunResult } from './process.js';
import { sshHost } from './template.js';
import { type NodeTarget, type NodeUpgrader, type UpgraderContext, UpgraderError } from './types.js';

export interface SshOptions {
  /** The hosts' package manager (--os). */
  os: PackageManager;
  /** --ssh-user: ssh's -l. */
  user?: string;
  /** --ssh-option, each passed as -o (e.g. Port=2222, IdentityFile=~/.ssh/upgrade). */
  options?: string[];
  /** --ssh-host '{node}.example.internal'; default the node's InternalIP, else its Hostname address. */
  hostTemplate?: string;
  /** The ssh program (default `ssh` on PATH). */
  ssh?: string;
}

/**
 * ssh's arguments for one remote command. The user's -o options come first: ssh keeps the first
 * value it is given, so they override BatchMode (never a password prompt in an unattended run).
 */
export function sshArgs(o: SshOptions, host: string, command: string): string[] {
  return [...(o.user ? ['-l', o.user] : []), ...(o.options ?? []).flatMap((x) => ['-o', x]), '-o', 'BatchMode=yes', '-T', host, '--', command];
}

/** The steps a node runs over ssh: the runbook's, unattended (kubeadm upgrade apply --yes). */
export function sshSteps(os: PackageManager, target: Pick<NodeTarget, 'role' | 'to'>): HostStep[] {
  return nodeHostSteps(os, target.role, parseVersion(target.to), { unattended: true });
}

/** A step's name in errors: its command, or a heredoc's first line. */
function firstLine(command: string): string {
  return command.split('\n')[0];
}

export class SshUpgrader implements NodeUpgrader {
  readonly kind = 'ssh' as const;

  constructor(private readonly options: SshOptions) {}

  private async remote(target: Pick<NodeTarget, 'node' | 'address'>, command: string, ctx: UpgraderContext): Promise<RunResult> {
    const host = sshHost(target, this.options.hostTemplate);
    ctx.log(`${target.node}$ ${command}`);
    try {
      return await runStreaming([this.options.ssh ?? 'ssh', ...sshArgs(this.options, host, command)], { signal: ctx.signal, log: ctx.log });
    } catch (e) {
      // An abort (upkeep upgrade abort, a signal) is the executor's to report, not the machine's failure.
      if (ctx.signal.aborted) throw e;
      throw new UpgraderError(target.node, firstLine(command), `cannot run ssh: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async step(target: Pick<NodeTarget, 'node' | 'address'>, command: string, ctx: UpgraderContext): Promise<void> {
    const r = await this.remote(target, command, ctx);
    if (r.code === 0) return;
    const host = sshHost(target, this.options.hostTemplate);
    // 255 is ssh's own failure (connection, authentication), not the remote command's.
    const why = r.code === 255 ? `ssh to ${host} failed (exit 255)` : r.code !== null ? `exited with status ${r.code} on ${host}` : `was ended by ${r.signal ?? 'a signal'}`;
    throw new UpgraderError(target.node, firstLine(command), why, r.tail);
  }

  async upgrade(target: NodeTarget, ctx: UpgraderContext): Promise<void> {
    for (const s of sshSteps(this.options.os, target)) await this.step(target, stepCommand(s), ctx);
  }

  /** `--run CMD` on the machine; without one, a reboot (ssh's connection drops with it: that is no failure). */
  async maintain(target: Omit<NodeTarget, 'to' | 'role'>, command: string | undefined, ctx: UpgraderContext): Promise<void> {
    if (command) return this.step(target, command, ctx);
    const r = await this.remote(target, 'sudo systemctl reboot', ctx);
    if (r.code !== 0 && r.code !== 255) throw new UpgraderError(target.node, 'sudo systemctl reboot', `exited with status ${r.code ?? r.signal ?? '?'}`, r.tail);
  }
}
