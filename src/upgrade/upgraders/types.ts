// How one machine gets its new version: the seam between the upgrade executor (which decides
// what happens when, drains, gates and journals) and whatever reaches the machine (the sandbox's
// machine API, OpenSSH, or a local command). An upgrader does the machine's part only: the
// executor drains before and waits for Ready after.
import type { NodeRole } from '../runbook.js';

export interface NodeTarget {
  /** The Node's name. */
  node: string;
  /** What the node does in this hop, as the runbook says (first-control-plane runs `kubeadm upgrade apply`). */
  role: NodeRole;
  /** The kubelet's version now, e.g. v1.30.4. */
  from: string;
  /** The version this step moves the node to, e.g. v1.31.2. */
  to: string;
  /** The address to reach the machine: its InternalIP, else its Hostname (from Node.status.addresses). */
  address?: string;
}

export interface UpgraderContext {
  signal: AbortSignal;
  /** One line of the machine's output (a remote command's stdout/stderr), for the journal and the terminal. */
  log(line: string): void;
}

/** Upgrades or services one machine. Every method is idempotent: a node at `to` already is a no-op. */
export interface NodeUpgrader {
  readonly kind: 'sandbox' | 'ssh' | 'command';
  /** Upgrade kubeadm/kubelet/kubectl (and, on control-plane nodes, the static pods) and restart the kubelet. */
  upgrade(target: NodeTarget, ctx: UpgraderContext): Promise<void>;
  /** The OS-maintenance story (`upkeep node maintain --run CMD`): run CMD on the machine (or reboot it when absent). */
  maintain(target: Omit<NodeTarget, 'to' | 'role'>, command: string | undefined, ctx: UpgraderContext): Promise<void>;
}

/** Adds and removes machines, for the replace strategy. */
export interface NodeProvisioner {
  /** Adds `count` workers at `version`; resolves with their Node names once the Nodes exist. */
  add(count: number, version: string, ctx: UpgraderContext): Promise<string[]>;
  /** Removes a drained worker's machine (the Node object is deleted by the executor only when asked). */
  remove(node: string, ctx: UpgraderContext): Promise<void>;
}

/** A machine step that failed: which node, which step, and the output it printed (last lines). */
export class UpgraderError extends Error {
  override readonly name = 'UpgraderError';
  constructor(
    readonly node: string,
    readonly step: string,
    message: string,
    readonly output: string[] = [],
  ) {
    super(`node ${node}: ${step}: ${message}`);
  }
}
