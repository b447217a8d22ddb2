// Helpers for the upgrade executor's end-to-end tests: a small cluster with a budgeted workload,
// and a watcher that records the fewest ready replicas the workload ever had during a run.
import type { KubeObject } from '../../src/api/types.js';
import { parseScenario } from '../../src/sandbox/index.js';
import { type TestSandbox, eventually, podReady, testSandbox } from './sandbox.js';

/** controlplane + node01..node0N at v1.31.4; blue: 3 replicas, PodDisruptionBudget minAvailable 2; a DaemonSet everywhere. */
export function upgradeScenario(workers = 3): string {
  const nodes = Array.from({ length: workers }, (_, i) => `    - {name: node${String(i + 1).padStart(2, '0')}}`).join('\n');
  return clusterScenario(`    - {name: controlplane, role: control-plane}\n${nodes}`);
}

/** These nodes (scenario YAML lines) at v1.31.4 with blue (3 replicas, a budget of 2) and a DaemonSet. */
export function clusterScenario(nodes: string): string {
  return `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: upgrade}
spec:
  controlPlane: {version: v1.31.4, etcd: {version: 3.5.15-0, topology: stacked}}
  nodes:
${nodes}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: blue, namespace: default, labels: {app: blue}}
      spec:
        replicas: 3
        selector: {matchLabels: {app: blue}}
        template:
          metadata: {labels: {app: blue}}
          spec:
            containers: [{name: nginx, image: "nginx:1.27.3"}]
    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: blue, namespace: default}
      spec:
        minAvailable: 2
        selector: {matchLabels: {app: blue}}
    - apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: log-shipper, namespace: kube-system, labels: {app: log-shipper}}
      spec:
        selector: {matchLabels: {app: log-shipper}}
        template:
          metadata: {labels: {app: log-shipper}}
          spec:
            tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]
            containers: [{name: fluent-bit, image: "fluent/fluent-bit:3.2.4"}]
`;
}

export async function upgradeSandbox(workers = 3): Promise<TestSandbox> {
  const sb = await testSandbox({ timeScale: 60, scenario: parseScenario(upgradeScenario(workers)) });
  await bluesReady(sb, 3);
  return sb;
}

async function readyBlues(sb: TestSandbox): Promise<number> {
  return (await sb.list('pods', 'default')).filter((p) => p.metadata.labels?.app === 'blue' && !p.metadata.deletionTimestamp && podReady(p)).length;
}

export async function bluesReady(sb: TestSandbox, n: number): Promise<void> {
  await eventually(`${n} ready blue pods`, async () => (await readyBlues(sb)) >= n, 30_000);
}

/** Watch blue's ready pods until stop(): the fewest seen. */
export function watchBlue(sb: TestSandbox): { stop(): Promise<number> } {
  let min = Infinity;
  let running = true;
  const loop = (async () => {
    for (let i = 0; running && i < 100_000; i++) {
      min = Math.min(min, await readyBlues(sb));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return min;
    },
  };
}

/** Each node as "name kubeletVersion cordoned|schedulable". */
export function nodeFacts(nodes: KubeObject[]): string[] {
  return nodes.map((n) => {
    const status = n.status as { nodeInfo?: { kubeletVersion?: string } } | undefined;
    const spec = n.spec as { unschedulable?: boolean } | undefined;
    return `${n.metadata.name} ${status?.nodeInfo?.kubeletVersion} ${spec?.unschedulable ? 'cordoned' : 'schedulable'}`;
  });
}
