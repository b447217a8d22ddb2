// Benchmark (issue: sandbox cluster behaviour), with KWOK's method: run
// `kubectl get <resource> --watch --no-headers` and count the distinct names whose line shows
// the target state. 5,000 nodes Ready, 10,000 pods Running, 10,000 pods deleted; KWOK's bar on
// real control planes is 60 s, 60 s and 90 s. Also the sandbox's peak RSS. Like KWOK's default
// stages, the kubelets record no container events (Pulling ... Killing: 4 to 5 writes per pod);
// BENCH_CONTAINER_EVENTS=1 measures with them, as a real cluster records them.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KubeClient } from '../src/kube/index.js';
import { fmt, peakRssMiB, serveSandbox } from './common.js';

/** Counts distinct object names reaching a state in a kubectl watch. */
function watchCount(kubeconfig: string, cacheDir: string, args: string[], matches: (line: string) => boolean) {
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, 'get', ...args, '--watch', '--no-headers'], { env: { ...process.env, KUBECACHEDIR: cacheDir }, stdio: ['ignore', 'pipe', 'ignore'] });
  const names = new Set<string>();
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += String(d);
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (matches(line)) names.add(line.split(/\s+/)[0]);
    }
  });
  return {
    count: () => names.size,
    stop: () => child.kill(),
  };
}

/** A process's user + system CPU time in ms, from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function until(what: string, timeoutMs: number, done: () => boolean | Promise<boolean>): Promise<number> {
  const t0 = performance.now();
  while (!(await done())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: not reached within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - t0;
}

async function parallel<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

export async function benchControllers(nodes = 5000, pods = 10000): Promise<Record<string, string | number>> {
  const dir = await fs.mkdtemp('/tmp/upkeep-bench-ctl-');
  const file = path.join(dir, 'scenario.yaml');
  const containerEvents = process.env.BENCH_CONTAINER_EVENTS === '1';
  await fs.writeFile(file, `apiVersion: upkeep.dev/v1alpha1\nkind: Scenario\nmetadata: {name: kwok-method}\nspec:\n  controlPlane: {version: v1.31.4}\n  events: {containers: ${containerEvents}}\n  nodes:\n    - {name: controlplane, role: control-plane}\n`);
  const sb = await serveSandbox(file);
  const cache = path.join(sb.dir, 'kubecache');
  const client = await KubeClient.create({ kubeconfig: sb.kubeconfig });
  const figures: Record<string, string | number> = { nodes, pods, 'container events': containerEvents ? 'on' : 'off' };
  try {
    // 1. Nodes registered through the API become Ready (the simulated kubelets post their status).
    const readyNodes = watchCount(sb.kubeconfig, cache, ['nodes'], (l) => /\sReady\s/.test(l) && l.startsWith('bench-'));
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    await parallel(Array.from({ length: nodes }, (_, i) => i), 32, (i) =>
      client.create({ version: 'v1', resource: 'nodes' }, { apiVersion: 'v1', kind: 'Node', metadata: { name: `bench-${i}`, labels: { 'kubernetes.io/hostname': `bench-${i}`, type: 'bench' } } }),
    );
    await until('nodes Ready', 300_000, () => readyNodes.count() >= nodes);
    figures[`${nodes} nodes Ready (KWOK bar 60 s)`] = fmt(performance.now() - t0);
    readyNodes.stop();

    // 2. A Deployment's pods are created, scheduled and Running.
    await client.create({ version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    const running = watchCount(sb.kubeconfig, cache, ['pods', '-n', 'bench'], (l) => /\sRunning\s/.test(l));
    await new Promise((r) => setTimeout(r, 500));
    const t1 = performance.now();
    await client.create({ group: 'apps', version: 'v1', resource: 'deployments', namespace: 'bench' }, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bench', namespace: 'bench' },
      spec: { replicas: pods, selector: { matchLabels: { app: 'bench' } }, template: { metadata: { labels: { app: 'bench' } }, spec: { nodeSelector: { type: 'bench' }, terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } } },
    });
    await until('pods Running', 600_000, () => running.count() >= pods);
    figures[`${pods} pods Running (KWOK bar 60 s)`] = fmt(performance.now() - t1);
    running.stop();

    // 3. Deleting them: scale to zero, and count pods gone from the API.
    const t2 = performance.now();
    await client.patch({ group: 'apps', version: 'v1', resource: 'deployments', namespace: 'bench', name: 'bench' }, { spec: { replicas: 0 } }, 'merge');
    await until('pods deleted', 600_000, async () => (await client.list({ version: 'v1', resource: 'pods', namespace: 'bench' }, { limit: 1 })).items.length === 0);
    figures[`${pods} pods deleted (KWOK bar 90 s)`] = fmt(performance.now() - t2);
    figures['sandbox peak RSS (MiB)'] = (await peakRssMiB(sb.child.pid!)).toFixed(0);
    // The sandbox's CPU time over the whole run: its cost whatever else the shared machine runs.
    figures['sandbox CPU time (user + system)'] = fmt(await cpuMs(sb.child.pid!));
    return figures;
  } finally {
    await sb.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
