// Benchmark (issue 17, sandbox scale): a sandbox in this process with N worker nodes (time scale
// S) takes one Deployment of M replicas; measures the time until all M pods are Running (counted
// from the store's watch), the process's peak RSS, and an unpaginated list of all pods through
// the API. `BENCH_NODES=5000 BENCH_PODS=150000 BENCH_TIME_SCALE=60 npm run bench -- scale`;
// profile with `node --cpu-prof dist/bench/run.js scale`.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bulkScenario, parseScenario, startSandbox } from '../src/sandbox/index.js';
import { ROOT, fmt, kubectlToFile } from './common.js';

function isRunning(o: object): boolean {
  const s: unknown = Reflect.get(o, 'status');
  return typeof s === 'object' && s !== null && 'phase' in s && s.phase === 'Running';
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ ms: number; code: number; out: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (e, stdout, stderr) => resolve({ ms: performance.now() - t0, code: e ? 1 : 0, out: stdout + stderr }));
  });
}

export async function benchScale(nodes: number, pods: number, timeScale: number, timeoutMs = 600_000): Promise<Record<string, string | number>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-bench-scale-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  // Container events (Pulling ... Started: 4 writes per pod) as a real cluster records them; BENCH_CONTAINER_EVENTS=0 leaves them out.
  const containerEvents = process.env.BENCH_CONTAINER_EVENTS !== '0';
  const sb = await startSandbox({ scenario: { ...parseScenario(bulkScenario(nodes, 0)), events: { containers: containerEvents } }, timeScale, kubeconfigOut: kubeconfig });
  const figures: Record<string, string | number> = { nodes, pods, 'time scale': timeScale, 'container events': containerEvents ? 'on' : 'off' };
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 250);
  const running = new Set<string>();
  const unwatch = sb.registry.store.watch('pods', { fromRevision: sb.registry.store.revision() }, (e) => {
    if (e.namespace !== 'default') return;
    const name = e.object.metadata.name ?? '';
    if (e.type !== 'DELETED' && isRunning(e.object)) running.add(name);
    else running.delete(name);
  });
  try {
    // The cluster first settles (every node's DaemonSet pods Running, as on a cluster that has
    // been up a while), so the figure is the Deployment's alone, not the cluster's own start-up.
    const tStart = performance.now();
    for (;;) {
      const system = (await sb.registry.store.list('pods', 'kube-system')).items;
      if (system.length >= nodes && system.every(isRunning)) break;
      if (performance.now() - tStart > timeoutMs) throw new Error(`cluster not settled after ${fmt(performance.now() - tStart)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    figures['cluster settled (every kube-system pod Running) after start'] = fmt(performance.now() - tStart);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await sb.registry.create(sb.registry.type('apps', 'v1', 'deployments')!, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'scale', namespace: 'default' },
      spec: { replicas: pods, selector: { matchLabels: { app: 'scale' } }, template: { metadata: { labels: { app: 'scale' } }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } } },
    });
    let lastReport = 0;
    while (running.size < pods) {
      const elapsed = performance.now() - t0;
      if (elapsed > timeoutMs) throw new Error(`${running.size}/${pods} pods Running after ${fmt(elapsed)}`);
      if (elapsed - lastReport > 10_000) {
        lastReport = elapsed;
        console.error(`  ${fmt(elapsed)}: ${running.size} Running, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    figures[`${pods} pods Running`] = fmt(performance.now() - t0);
    // CPU time is what the work costs whatever else the machine runs (wall time is not, on a shared machine).
    const cpu = process.cpuUsage(cpu0);
    figures['CPU time until then (user + system)'] = fmt((cpu.user + cpu.system) / 1000);
    // The server's answer read by another process (kubectl decodes nothing with --raw), then by
    // upkeep's client in this process (its JSON.parse shares the sandbox's event loop).
    // Twice: the first answer serialises every pod, the second reuses each unchanged pod's JSON.
    for (const round of ['first', 'second']) {
      const raw = await kubectlToFile(kubeconfig, ['get', '--raw', '/api/v1/pods'], path.join(dir, 'kubecache'), path.join(dir, 'pods.json'));
      if (raw.code !== 0) throw new Error('kubectl get --raw /api/v1/pods failed');
      figures[`kubectl get --raw /api/v1/pods > file, ${round} time (${(raw.bytes / 2 ** 20).toFixed(0)} MiB)`] = fmt(raw.ms);
    }
    // upkeep's client in a process of its own (as a user's upkeep would be): list, decode, count.
    const listing = `import { KubeClient } from ${JSON.stringify(path.join(ROOT, 'dist/src/kube/index.js'))};
const c = await KubeClient.create({ kubeconfig: ${JSON.stringify(kubeconfig)} });
const t = performance.now();
const l = await c.list({ version: 'v1', resource: 'pods' });
console.log(JSON.stringify({ n: l.items.length, ms: performance.now() - t }));
c.close();
process.exit(0);`;
    const listed = await run(process.execPath, ['--input-type=module', '-e', listing]);
    if (listed.code !== 0) throw new Error(`upkeep's client list failed: ${listed.out.slice(-500)}`);
    const { n, ms } = JSON.parse(listed.out.trim().split('\n').pop() ?? '{}');
    figures[`list of all ${n} pods (unpaginated, upkeep client in its own process)`] = fmt(ms);
    // A node drain at this size, as on the small cluster of the drain benchmark: upkeep's and
    // kubectl's (each on its own worker), both as whole commands.
    const flags = ['--ignore-daemonsets', '--delete-emptydir-data', '--force', '--grace-period=1', '--timeout=300s'];
    const onNode = (node: string) => sb.registry.store.list('pods', undefined, { filter: (p) => Reflect.get(Reflect.get(p, 'spec') ?? {}, 'nodeName') === node }).then((r) => r.items.length);
    figures['pods on each drained node (incl. DaemonSet)'] = await onNode('worker-1');
    const u = await run(process.execPath, [path.join(ROOT, 'bin/upkeep'), '--kubeconfig', kubeconfig, 'drain', 'worker-1', ...flags]);
    const k = await run('kubectl', ['--kubeconfig', kubeconfig, 'drain', 'worker-2', ...flags], { KUBECACHEDIR: path.join(dir, 'kubecache') });
    if (u.code !== 0 || k.code !== 0) throw new Error(`a drain failed:\nupkeep: ${u.out.slice(-500)}\nkubectl: ${k.out.slice(-500)}`);
    figures['upkeep drain of one node'] = fmt(u.ms);
    figures['kubectl drain of one node'] = fmt(k.ms);
    figures['peak RSS (MiB, sandbox and bench in one process)'] = (Math.max(peak, process.memoryUsage().rss) / 2 ** 20).toFixed(0);
    return figures;
  } finally {
    unwatch();
    clearInterval(sampler);
    await sb.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
