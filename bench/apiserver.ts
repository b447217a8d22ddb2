// Benchmark (issue: sandbox API server): load a scenario of 5,000 nodes and 10,000 pods and
// measure start-up time, the sandbox's RSS, `kubectl get pods -A -o json`, and a paginated list
// through upkeep's own client. Aims: start-up < 10 s, list of 10,000 pods < 1 s, RSS < 1 GB.
// Also: the server's Table printing of 10,000 pods in-process (aim < 1.5 s), and how long a watch
// with timeoutSeconds=1 lasts (aim: 1 s, ended by the server) - timings the tests do not assert.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KubeClient } from '../src/kube/index.js';
import type { Pod } from '../src/api/types.js';
import { printerFor, toTable } from '../src/sandbox/server/printers.js';
import { fmt, kubectl, peakRssMiB, rssMiB, serveSandbox, time } from './common.js';

export function scenarioText(nodes: number, pods: number): string {
  const lines = [
    'apiVersion: upkeep.dev/v1alpha1',
    'kind: Scenario',
    `metadata: {name: bench-${nodes}-nodes-${pods}-pods}`,
    'spec:',
    '  controlPlane: {version: v1.31.4}',
    '  nodes:',
    '    - {name: controlplane, role: control-plane}',
    `    - {namePrefix: worker-, count: ${nodes}}`,
  ];
  const docs = [lines.join('\n'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}'];
  for (let i = 0; i < pods; i++) {
    docs.push(`apiVersion: v1\nkind: Pod\nmetadata: {name: pod-${i}, namespace: bench, labels: {app: bench, shard: s${i % 10}}}\nspec:\n  nodeName: worker-${(i % nodes) + 1}\n  containers: [{name: app, image: "registry.k8s.io/pause:3.10", resources: {requests: {cpu: 10m, memory: 16Mi}}}]`);
  }
  return docs.join('\n---\n') + '\n';
}

/** Running pods as the sandbox stores them, with the fields the pod printer reads. */
function runningPods(count: number, now: number): Pod[] {
  const created = new Date(now - 5 * 86_400_000).toISOString();
  const restarted = new Date(now - 3_600_000).toISOString();
  const pods: Pod[] = [];
  for (let i = 0; i < count; i++) {
    pods.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p-${i}`, namespace: `ns-${i % 50}`, labels: { app: 'a' }, creationTimestamp: created, managedFields: [{ manager: 'm' }] },
      spec: { nodeName: `n-${i % 100}`, containers: [{ name: 'c' }, { name: 'd' }] },
      status: {
        phase: 'Running',
        podIPs: [{ ip: '10.0.0.1' }],
        containerStatuses: [
          { name: 'c', image: 'c', imageID: '', ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 0, finishedAt: restarted } } },
          { name: 'd', image: 'd', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
        ],
      },
    });
  }
  return pods;
}

/** The server-side Table of `count` pods built in-process (no HTTP): the median of five runs, in ms. */
export function benchTablePrinting(count = 10_000): number {
  const now = Date.now();
  const pods = runningPods(count, now);
  const printer = printerFor('', 'pods');
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const table = toTable(printer, pods, now, { includeObject: 'Metadata', resourceVersion: '1' });
    runs.push(performance.now() - t0);
    if (table.rows.length !== count) throw new Error(`Table has ${table.rows.length} rows, not ${count}`);
  }
  return runs.sort((a, b) => a - b)[2];
}

export async function benchApiServer(nodes = 5000, pods = 10000): Promise<Record<string, string | number>> {
  // In-process first, before the sandbox process competes for the CPU.
  const tableMs = benchTablePrinting(10_000);
  const dir = await fs.mkdtemp('/tmp/upkeep-bench-scn-');
  const file = path.join(dir, 'scenario.yaml');
  await fs.writeFile(file, scenarioText(nodes, pods));
  const sb = await serveSandbox(file);
  try {
    const cache = path.join(sb.dir, 'kubecache');
    // Let the kubelets settle (pods Running) before measuring reads.
    const client = await KubeClient.create({ kubeconfig: sb.kubeconfig });
    for (let i = 0; i < 600; i++) {
      const list = await client.list({ version: 'v1', resource: 'pods', namespace: 'bench' }, { fieldSelector: 'status.phase=Running' });
      if (list.items.length >= pods) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await kubectl(sb.kubeconfig, ['get', 'ns'], cache); // discovery cache warm, as a user's would be
    const kc = await kubectl(sb.kubeconfig, ['get', 'pods', '-A', '-o', 'json'], cache);
    const count = (JSON.parse(kc.stdout) as { items: unknown[] }).items.length;
    const paged = await time(async () => {
      let n = 0;
      for await (const _ of client.listAll({ version: 'v1', resource: 'pods' }, { limit: 500 })) n++;
      return n;
    });
    const table = await kubectl(sb.kubeconfig, ['get', 'pods', '-A', '--no-headers'], cache);
    const raw = await kubectl(sb.kubeconfig, ['get', '--raw', '/api/v1/pods'], cache);
    const serverTable = await time(() =>
      client.request({ method: 'GET', path: '/api/v1/pods', accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' }),
    );
    const serverJson = await time(() => client.request({ method: 'GET', path: '/api/v1/pods' }));
    const rv = (await client.list({ version: 'v1', resource: 'pods', namespace: 'bench' }, { limit: 1 })).metadata.resourceVersion ?? '';
    const timedWatch = await time(() =>
      client.request({ method: 'GET', path: '/api/v1/namespaces/bench/pods', query: { watch: 'true', timeoutSeconds: '1', resourceVersion: rv }, timeoutMs: 30_000 }),
    );
    return {
      nodes,
      pods,
      'start-up (ready line)': fmt(sb.startupMs),
      'server: one unpaginated list of all pods, JSON (upkeep client)': `${fmt(serverJson.ms)} (${count} pods)`,
      'server: the same as a Table (what kubectl get asks for)': fmt(serverTable.ms),
      'kubectl get --raw /api/v1/pods (process included)': fmt(raw.ms),
      'kubectl get pods -A -o json (kubectl decodes and re-prints)': fmt(kc.ms),
      'kubectl get pods -A (table)': fmt(table.ms),
      'upkeep client paginated list (limit 500)': `${fmt(paged.ms)} (${paged.value} pods)`,
      'watch with timeoutSeconds=1 ends after': fmt(timedWatch.ms),
      'server Table of 10,000 pods, in-process (median of 5)': fmt(tableMs),
      'sandbox RSS now / peak (MiB)': `${(await rssMiB(sb.child.pid!)).toFixed(0)} / ${(await peakRssMiB(sb.child.pid!)).toFixed(0)}`,
    };
  } finally {
    await sb.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
