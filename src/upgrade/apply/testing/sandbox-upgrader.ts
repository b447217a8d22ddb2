// A private sandbox upgrader for the executor's tests, on the machine API that exists today
// (src/sandbox/power.ts): POST /sandbox/v1/control-plane/upgrade {"version"} moves the whole
// control plane, POST /sandbox/v1/nodes/<n>/upgrade {"version","downSeconds"} restarts a kubelet
// at a version, .../reboot restarts it. The real one is src/upgrade/upgraders/sandbox.ts (its own
// branch); the CLI switches to it at merge. Idempotent: a node at its target is left alone.
import { isAlreadyExists, type KubeClient } from '../../../kube/index.js';
import type { NodeProvisioner, NodeTarget, NodeUpgrader, UpgraderContext } from '../../upgraders/types.js';

interface MachineState {
  name?: string;
  up?: boolean;
  version?: string;
}

/** Simulated seconds a kubelet is down while it restarts on its new version. */
const DOWN_SECONDS = 30;

export function sandboxUpgrader(client: KubeClient, options: { downSeconds?: number } = {}): NodeUpgrader & NodeProvisioner {
  const down = options.downSeconds ?? DOWN_SECONDS;
  const machine = (node: string): Promise<MachineState> => client.get<MachineState>(`/sandbox/v1/nodes/${encodeURIComponent(node)}`);
  return {
    kind: 'sandbox',
    async upgrade(target: NodeTarget, ctx: UpgraderContext): Promise<void> {
      if (target.role === 'first-control-plane') {
        const v = await client.serverVersion();
        if (v.gitVersion !== target.to) {
          ctx.log(`kubeadm upgrade apply ${target.to}`);
          await client.post('/sandbox/v1/control-plane/upgrade', { version: target.to });
        }
      }
      const m = await machine(target.node);
      if (m.version === target.to && m.up) return;
      ctx.log(`kubelet ${m.version ?? '?'} -> ${target.to}: restarting`);
      await client.post(`/sandbox/v1/nodes/${encodeURIComponent(target.node)}/upgrade`, { version: target.to, downSeconds: down });
    },
    async maintain(target, command, ctx): Promise<void> {
      ctx.log(command ? `run: ${command} (simulated as a reboot)` : 'reboot');
      await client.post(`/sandbox/v1/nodes/${encodeURIComponent(target.node)}/reboot`, { downSeconds: down });
    },
    // A new machine joins: its Node registers and the sandbox's simulated kubelet adopts it, at the
    // control plane's version (the control plane is at the target by the time workers are replaced).
    async add(count: number, version: string, ctx: UpgraderContext): Promise<string[]> {
      const names: string[] = [];
      for (let i = 1; i <= count; i++) {
        const name = `node-${version.replace(/^v/, '').replace(/\./g, '-')}-${i}`;
        ctx.log(`join ${name} at ${version}`);
        await client
          .create({ version: 'v1', resource: 'nodes' }, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } } })
          .catch((err: unknown) => (isAlreadyExists(err) ? undefined : Promise.reject(err)));
        names.push(name);
      }
      return names;
    },
    // The machine goes away: its kubelet stops for good.
    async remove(node: string, ctx: UpgraderContext): Promise<void> {
      ctx.log(`power off ${node}`);
      await client.post(`/sandbox/v1/nodes/${encodeURIComponent(node)}/down`, {});
    },
  };
}
