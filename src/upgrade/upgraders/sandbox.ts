// The sandbox's machines, reached through its machine API (/sandbox/v1/nodes/..., see
// src/sandbox/power.ts) with the cluster's own credentials: what kubeadm and the packages do to
// a node, done by the sandbox's simulated kubelets. The default upgrader against `upkeep sandbox`.
import type { KubeClient, RequestOptions } from '../../kube/index.js';
import { errorMessage } from '../../util/errors.js';
import { isJsonObject, type JsonObject } from '../../util/json.js';
import { type NodeProvisioner, type NodeTarget, type NodeUpgrader, type UpgraderContext, UpgraderError } from './types.js';

const MACHINES = '/sandbox/v1/nodes';

/** What the machine API says about a machine (decoded field by field: the sandbox is another program). */
export interface SandboxMachine {
  name: string;
  up: boolean;
  version: string;
  machine: string;
  staticPods?: string;
}

export function decodeMachine(v: unknown): SandboxMachine {
  const o: JsonObject = isJsonObject(v) ? v : {};
  return {
    name: typeof o.name === 'string' ? o.name : '',
    up: o.up === true,
    version: typeof o.version === 'string' ? o.version : '',
    machine: typeof o.machine === 'string' ? o.machine : '',
    ...(typeof o.staticPods === 'string' ? { staticPods: o.staticPods } : {}),
  };
}

/** A machine already where the step would take it: the kubelet runs at `to` and, for a static-pod role, its static pods too. */
export function upgradeDone(m: SandboxMachine, target: Pick<NodeTarget, 'to' | 'role'>): boolean {
  const staticPodsMove = target.role === 'first-control-plane' || target.role === 'control-plane';
  return m.up && m.version === target.to && (!staticPodsMove || m.staticPods === target.to);
}

function machinePath(node: string, op?: string): string {
  return `${MACHINES}/${encodeURIComponent(node)}${op ? `/${op}` : ''}`;
}

export interface SandboxUpgraderOptions {
  /** Labels of the workers add() creates (e.g. what --replacement-selector will match). */
  labels?: Record<string, string>;
  /** Simulated seconds a kubelet stays down in an upgrade or a reboot (the machine API's default: 30). */
  downSeconds?: number;
}

export class SandboxUpgrader implements NodeUpgrader, NodeProvisioner {
  readonly kind = 'sandbox' as const;

  constructor(
    private readonly kube: KubeClient,
    private readonly options: SandboxUpgraderOptions = {},
  ) {}

  /** A machine operation blocks for the simulated downtime: no client timeout, no retry (the sandbox may be mid-reboot). */
  private opts(ctx: UpgraderContext): RequestOptions {
    return { signal: ctx.signal, timeoutMs: 0, retry: false };
  }

  private down(): { downSeconds?: number } {
    return this.options.downSeconds === undefined ? {} : { downSeconds: this.options.downSeconds };
  }

  private async call<T>(node: string, step: string, ctx: UpgraderContext, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof UpgraderError || ctx.signal.aborted) throw e;
      throw new UpgraderError(node, step, errorMessage(e));
    }
  }

  async machine(node: string, ctx: UpgraderContext): Promise<SandboxMachine> {
    return this.call(node, 'read machine', ctx, async () => decodeMachine(await this.kube.get<unknown>(machinePath(node), undefined, this.opts(ctx))));
  }

  async upgrade(target: NodeTarget, ctx: UpgraderContext): Promise<void> {
    const before = await this.machine(target.node, ctx);
    if (upgradeDone(before, target)) {
      ctx.log(`sandbox: ${target.node} runs ${target.to} already`);
      return;
    }
    ctx.log(`sandbox: upgrading ${target.node} (${target.role}) ${before.version} -> ${target.to}`);
    const after = await this.call(target.node, 'upgrade', ctx, async () =>
      decodeMachine(await this.kube.post<unknown>(machinePath(target.node, 'upgrade'), { version: target.to, role: target.role, ...this.down() }, undefined, this.opts(ctx))),
    );
    // A machine that did not come back is for the executor's Ready gate to report, not a failed step.
    ctx.log(`sandbox: ${target.node} ${after.up ? `is up at ${after.version}` : `is ${after.machine} after the upgrade`}`);
  }

  async maintain(target: Omit<NodeTarget, 'to' | 'role'>, command: string | undefined, ctx: UpgraderContext): Promise<void> {
    // The sandbox runs no commands on its machines: any maintenance is a reboot.
    ctx.log(`sandbox: rebooting ${target.node}${command ? ` (the sandbox runs no commands: "${command}" is simulated as a reboot)` : ''}`);
    const after = await this.call(target.node, 'reboot', ctx, async () => decodeMachine(await this.kube.post<unknown>(machinePath(target.node, 'reboot'), this.down(), undefined, this.opts(ctx))));
    ctx.log(`sandbox: ${target.node} ${after.up ? 'is up' : `is ${after.machine} after the reboot`}`);
  }

  async add(count: number, version: string, ctx: UpgraderContext): Promise<string[]> {
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const m = await this.call('(new)', 'add machine', ctx, async () =>
        decodeMachine(await this.kube.post<unknown>(MACHINES, { version, ...(this.options.labels ? { labels: this.options.labels } : {}) }, undefined, this.opts(ctx))),
      );
      ctx.log(`sandbox: added ${m.name} at ${m.version}`);
      names.push(m.name);
    }
    return names;
  }

  async remove(node: string, ctx: UpgraderContext): Promise<void> {
    await this.call(node, 'remove machine', ctx, () => this.kube.delete<unknown>(machinePath(node), undefined, undefined, this.opts(ctx)));
    ctx.log(`sandbox: removed the machine of ${node}`);
  }
}
