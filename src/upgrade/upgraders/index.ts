// How the CLI picks the machine side of an upgrade: `--upgrader sandbox|ssh|command` and its
// flags, checked up front with one clear line per mistake.
import type { KubeClient } from '../../kube/index.js';
import { HOST_OS_VALUES, parseHostOS } from '../hostcommands.js';
import { CommandProvisioner, CommandUpgrader } from './command.js';
import { SandboxUpgrader } from './sandbox.js';
import { SshUpgrader } from './ssh.js';
import { TemplateError, expandTemplate } from './template.js';
import type { NodeProvisioner, NodeUpgrader } from './types.js';

export { SandboxUpgrader } from './sandbox.js';
export { CommandProvisioner, CommandUpgrader } from './command.js';
export { SshUpgrader, type SshOptions } from './ssh.js';
export * from './types.js';

export const UPGRADER_KINDS = ['sandbox', 'ssh', 'command'] as const;
export type UpgraderKind = (typeof UPGRADER_KINDS)[number];

/** A flag combination that cannot work; the CLI shows it as a usage error (exit 2). */
export class UpgraderOptionsError extends Error {
  override readonly name = 'UpgraderOptionsError';
}

export interface UpgraderOptions {
  /** The cluster's client (the sandbox upgrader talks to the sandbox's machine API through it). */
  kube?: KubeClient;
  /** --node-command (command). */
  nodeCommand?: string;
  /** --os (ssh): debian, ubuntu, rhel, ... */
  os?: string;
  sshUser?: string;
  sshOptions?: string[];
  sshHost?: string;
  /** The ssh program (tests point it at their own). */
  ssh?: string;
  /** --node-add-command / --node-remove-command (replace strategy). */
  nodeAddCommand?: string;
  nodeRemoveCommand?: string;
  /** Labels of machines the sandbox adds. */
  labels?: Record<string, string>;
  /** Simulated seconds a sandbox kubelet stays down in an upgrade or reboot. */
  downSeconds?: number;
}

export interface Upgraders {
  upgrader: NodeUpgrader;
  /** Where new machines come from and old ones go, when the upgrader or the flags can say. */
  provisioner?: NodeProvisioner;
}

export function isUpgraderKind(s: string): s is UpgraderKind {
  return UPGRADER_KINDS.some((k) => k === s);
}

function checkTemplate(flag: string, template: string, fields: Record<string, string>): void {
  try {
    expandTemplate(template, fields);
  } catch (e) {
    if (e instanceof TemplateError) throw new UpgraderOptionsError(`invalid value "${template}" for ${flag}: ${e.message}`);
    throw e;
  }
}

const SAMPLE = { node: 'node01', version: 'v1.32.0', role: 'worker', from: 'v1.31.4', address: '10.0.0.11' };

function commandProvisioner(o: UpgraderOptions): CommandProvisioner | undefined {
  if (o.nodeAddCommand) checkTemplate('--node-add-command', o.nodeAddCommand, { version: SAMPLE.version });
  if (o.nodeRemoveCommand) checkTemplate('--node-remove-command', o.nodeRemoveCommand, { node: SAMPLE.node });
  return o.nodeAddCommand || o.nodeRemoveCommand ? new CommandProvisioner(o.nodeAddCommand, o.nodeRemoveCommand) : undefined;
}

/** The upgrader of a kind, from the CLI's flags; each missing or malformed flag is one UpgraderOptionsError. */
export function createUpgrader(kind: string, o: UpgraderOptions = {}): Upgraders {
  if (!isUpgraderKind(kind)) throw new UpgraderOptionsError(`invalid value "${kind}" for --upgrader: must be ${UPGRADER_KINDS.join(', ')}`);
  const commands = commandProvisioner(o);
  if (kind === 'sandbox') {
    if (!o.kube) throw new UpgraderOptionsError('the sandbox upgrader needs a cluster client');
    const sandbox = new SandboxUpgrader(o.kube, { labels: o.labels, downSeconds: o.downSeconds });
    return { upgrader: sandbox, provisioner: commands ?? sandbox };
  }
  if (kind === 'command') {
    if (!o.nodeCommand) throw new UpgraderOptionsError(`--upgrader command needs --node-command, e.g. --node-command './upgrade-node.sh {node} {version} {role}'`);
    checkTemplate('--node-command', o.nodeCommand, SAMPLE);
    return { upgrader: new CommandUpgrader(o.nodeCommand), provisioner: commands };
  }
  if (!o.os) throw new UpgraderOptionsError(`--upgrader ssh needs --os: ${HOST_OS_VALUES.replace('; or both', '')}`);
  const os = parseHostOS(o.os);
  if (!os || os === 'both') throw new UpgraderOptionsError(`invalid value "${o.os}" for --os with --upgrader ssh: must be one of ${HOST_OS_VALUES.replace('; or both', '')}`);
  if (o.sshHost) checkTemplate('--ssh-host', o.sshHost, SAMPLE);
  for (const opt of o.sshOptions ?? []) {
    if (!/^[A-Za-z]+[ =]\S/.test(opt)) throw new UpgraderOptionsError(`invalid value "${opt}" for --ssh-option: must be an ssh_config option like Port=2222 or IdentityFile=~/.ssh/upgrade`);
  }
  return { upgrader: new SshUpgrader({ os, user: o.sshUser, options: o.sshOptions, hostTemplate: o.sshHost, ssh: o.ssh }), provisioner: commands };
}
