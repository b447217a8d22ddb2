// Benchmark (issue: node maintenance): drain a node carrying 110 pods, with real kubectl and
// with upkeep, each on its own identical sandbox, in one run; the ratio upkeep/kubectl.
// Aim: at most half kubectl's time. Both are whole commands (process start included).
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { podPhase } from '../src/api/pods.js';
import type { Pod } from '../src/api/types.js';
import { KubeClient } from '../src/kube/index.js';
import { ROOT, fmt, serveSandbox, type ServedSandbox } from './common.js';

const PODS_PER_NODE = 110;

function scenario(): string {
  // Three workers with room for everything; a Deployment spread evenly puts 110 pods on each.
  return `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: drain-110}
spec:
  controlPlane: {version: v1.31.4}
  nodes:
    - {name: controlplane, role: control-plane}
    - {namePrefix: node0, count: 3, capacity: {pods: "400"}}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: default}
      spec:
        replicas: ${PODS_PER_NODE * 3}
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: web, image: "nginx:1.27.3"}]
`;
}

async function settled(sb: ServedSandbox): Promise<number> {
  const client = await KubeClient.create({ kubeconfig: sb.kubeconfig });
  for (let i = 0; i < 600; i++) {
    const pods = await client.list<Pod>({ version: 'v1', resource: 'pods' }, { fieldSelector: 'spec.nodeName=node01' });
    const running = pods.items.filter((p) => podPhase(p) === 'Running' && p.metadata.labels?.app === 'web').length;
    if (running >= PODS_PER_NODE) return pods.items.length;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the sandbox did not settle');
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number; out: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { env, maxBuffer: 64 * 1024 * 1024 }, (e, stdout, stderr) => resolve({ ms: performance.now() - t0, code: e ? 1 : 0, out: stdout + stderr }));
  });
}

export async function benchDrain(rounds = 3): Promise<Record<string, string | number>> {
  const dir = await fs.mkdtemp('/tmp/upkeep-bench-drain-');
  const file = path.join(dir, 'scenario.yaml');
  await fs.writeFile(file, scenario());
  const flags = ['node01', '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=120s'];
  const kubectlMs: number[] = [];
  const upkeepMs: number[] = [];
  let podsOnNode = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      const [a, b] = await Promise.all([serveSandbox(file, ['--time-scale', '60']), serveSandbox(file, ['--time-scale', '60'])]);
      try {
        [podsOnNode] = await Promise.all([settled(a), settled(b)]);
        const env = { ...process.env, KUBECACHEDIR: path.join(a.dir, 'kubecache') };
        await run('kubectl', ['--kubeconfig', a.kubeconfig, 'get', 'nodes'], env); // warm discovery, as a user's cache would be
        const k = await run('kubectl', ['--kubeconfig', a.kubeconfig, 'drain', ...flags], env);
        const u = await run(process.execPath, [path.join(ROOT, 'bin/upkeep'), '--kubeconfig', b.kubeconfig, 'drain', ...flags], process.env);
        if (k.code !== 0 || u.code !== 0) throw new Error(`a drain failed:\nkubectl: ${k.out.slice(-500)}\nupkeep: ${u.out.slice(-500)}`);
        kubectlMs.push(k.ms);
        upkeepMs.push(u.ms);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return {
    'pods on the drained node (incl. DaemonSet)': podsOnNode,
    rounds,
    'kubectl drain (median)': fmt(median(kubectlMs)),
    'upkeep drain (median)': fmt(median(upkeepMs)),
    'ratio upkeep / kubectl (aim <= 0.5)': (median(upkeepMs) / median(kubectlMs)).toFixed(2),
    'time scale': '60 (30 s grace periods last 0.5 s)',
  };
}
