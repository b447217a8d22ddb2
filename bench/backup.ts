// Benchmark (issue: resource backup and restore): a sandbox holding BENCH_OBJECTS objects
// (default 100,000: 60% ConfigMaps, 30% Secrets, 10% Deployments at 0 replicas, across 100
// namespaces). Measures `upkeep backup create` (time and the CLI's peak RSS), describe,
// verify --checksums-only, `backup restore` into a fresh sandbox, and `kubectl get all -A -o yaml`
// on the same cluster. Aims: backup < 30 s and < 300 MB RSS; restore < 2 minutes.
// Every upkeep command runs as its own process, so its peak RSS is its own.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { KubeClient } from '../src/kube/index.js';
import { ROOT, fmt, kubectl, serveSandbox } from './common.js';

const NAMESPACES = 100;

export function backupScenario(objects: number): string {
  const perNamespace = Math.max(1, Math.floor(objects / NAMESPACES));
  const docs = [
    [
      'apiVersion: upkeep.dev/v1alpha1',
      'kind: Scenario',
      `metadata: {name: bench-backup-${objects}}`,
      'spec:',
      '  controlPlane: {version: v1.31.4}',
      '  nodes:',
      '    - {name: controlplane, role: control-plane}',
      '    - {name: node01}',
    ].join('\n'),
  ];
  const payload = 'x'.repeat(200);
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `team-${String(n).padStart(3, '0')}`;
    docs.push(`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}`);
    for (let i = 0; i < perNamespace; i++) {
      const kind = i % 10;
      if (kind < 6) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config-${i}, namespace: ${ns}, labels: {app: a${i % 50}}}\ndata: {setting: "${payload}", index: "${i}"}`);
      else if (kind < 9) docs.push(`apiVersion: v1\nkind: Secret\nmetadata: {name: secret-${i}, namespace: ${ns}}\ntype: Opaque\ndata: {token: ${Buffer.from(`token-${ns}-${i}`).toString('base64')}}`);
      else {
        docs.push(
          `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app-${i}, namespace: ${ns}, labels: {app: app-${i}}}\nspec:\n  replicas: 0\n  selector: {matchLabels: {app: app-${i}}}\n  template:\n    metadata: {labels: {app: app-${i}}}\n    spec: {containers: [{name: app, image: "registry.k8s.io/pause:3.10"}]}`,
        );
      }
    }
  }
  return docs.join('\n---\n') + '\n';
}

/** Run the upkeep CLI in its own process; its peak RSS from process.resourceUsage() at exit. */
function upkeepProcess(args: string[]): Promise<{ ms: number; code: number; stdout: string; stderr: string; maxRssMiB: number }> {
  const script = `import { main } from ${JSON.stringify(path.join(ROOT, 'dist/src/cli/main.js'))};
const code = await main(process.argv.slice(1));
process.stderr.write('MAXRSS ' + process.resourceUsage().maxRSS + '\\n');
process.exitCode = code;`;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('exit', (code) => {
      const m = /MAXRSS (\d+)/.exec(stderr);
      resolve({ ms: performance.now() - t0, code: code ?? 1, stdout, stderr, maxRssMiB: m ? Number(m[1]) / 1024 : NaN });
    });
  });
}

async function waitForObjects(kubeconfig: string, want: number): Promise<void> {
  const client = await KubeClient.create({ kubeconfig });
  try {
    for (let i = 0; i < 600; i++) {
      let n = 0;
      for (const resource of ['configmaps', 'secrets']) for await (const _ of client.listAll({ version: 'v1', resource })) n++;
      for await (const _ of client.listAll({ group: 'apps', version: 'v1', resource: 'replicasets' })) n++;
      if (n >= want) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    client.close();
  }
}

export async function benchBackup(objects = 100_000): Promise<Record<string, string | number>> {
  const dir = await fs.mkdtemp('/tmp/upkeep-bench-backup-');
  const scenario = path.join(dir, 'scenario.yaml');
  const empty = path.join(dir, 'empty.yaml');
  const archive = path.join(dir, 'backup.tar.gz');
  await fs.writeFile(scenario, backupScenario(objects));
  await fs.writeFile(empty, backupScenario(0).split('\n---\n')[0] + '\n');
  const source = await serveSandbox(scenario);
  try {
    // Every Deployment's ReplicaSet exists before the backup starts (a settled cluster).
    await waitForObjects(source.kubeconfig, Math.floor(objects / NAMESPACES) * NAMESPACES);
    const create = await upkeepProcess(['--kubeconfig', source.kubeconfig, 'backup', 'create', archive, '-o', 'json']);
    if (create.code !== 0) throw new Error(`backup create failed: ${create.stderr}`);
    const summary = JSON.parse(create.stdout) as { objects: number; bytes: number };
    const describe = await upkeepProcess(['backup', 'describe', archive]);
    const verify = await upkeepProcess(['backup', 'verify', '--checksums-only', archive]);
    const cache = path.join(source.dir, 'kubecache');
    await kubectl(source.kubeconfig, ['get', 'ns'], cache);
    const all = await kubectl(source.kubeconfig, ['get', 'all', '-A', '-o', 'yaml'], cache);
    const target = await serveSandbox(empty);
    let restore;
    try {
      restore = await upkeepProcess(['--kubeconfig', target.kubeconfig, 'backup', 'restore', archive, '-o', 'json']);
      if (restore.code !== 0) throw new Error(`backup restore failed: ${restore.stderr.slice(-2000)}`);
    } finally {
      await target.stop();
    }
    const restored = JSON.parse(restore.stdout) as { totals: { created: number; skipped: number; failed: number } };
    return {
      'objects in the cluster (ConfigMaps, Secrets, Deployments; 100 namespaces)': objects,
      'backup create: time': fmt(create.ms),
      'backup create: peak RSS of the upkeep process (MiB)': create.maxRssMiB.toFixed(0),
      'backup create: objects, archive size': `${summary.objects}, ${(summary.bytes / 1e6).toFixed(1)} MB`,
      'backup describe: time': fmt(describe.ms),
      'backup verify --checksums-only: time, peak RSS (MiB)': `${fmt(verify.ms)}, ${verify.maxRssMiB.toFixed(0)}`,
      'backup restore into a fresh sandbox: time': fmt(restore.ms),
      'backup restore: peak RSS (MiB)': restore.maxRssMiB.toFixed(0),
      'backup restore: created / skipped / failed': `${restored.totals.created} / ${restored.totals.skipped} / ${restored.totals.failed}`,
      'kubectl get all -A -o yaml: time (and what it leaves out)': `${fmt(all.ms)} (no ConfigMaps, no Secrets)`,
    };
  } finally {
    await source.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
