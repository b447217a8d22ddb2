// Parity with kubectl drain: the same scenario in two fresh sandboxes, drained once by real
// kubectl and once by upkeep with the same flags; the same pods evicted, the same nodes refused,
// the same success or failure.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/sandbox/index.js';
import type { KubeObject } from '../src/api/types.js';
import { type TestSandbox, eventually, podReady, testSandbox } from './helpers/sandbox.js';
import { upkeep } from './helpers/cli.js';

const EXTRA = `
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      nodeSelector: {kubernetes.io/hostname: node02}
      containers: [{name: redis, image: "redis:7.4"}]
      volumes: [{name: scratch, emptyDir: {}}]
---
apiVersion: v1
kind: Pod
metadata: {name: finished-job, namespace: default, annotations: {sandbox.upkeep.dev/run-seconds: "1"}}
spec:
  nodeSelector: {kubernetes.io/hostname: node01}
  restartPolicy: Never
  containers: [{name: c, image: "busybox:1.36"}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: pg, image: "postgres:17.2"}]
`;

async function scenario(): Promise<ReturnType<typeof parseScenario>> {
  const { BUILTIN_SCENARIOS } = await import('../src/sandbox/index.js');
  return parseScenario(BUILTIN_SCENARIOS.seed + EXTRA, 'parity');
}

/** A pod's identity across twin sandboxes: its name, or its generateName for controller pods. */
function stableName(line: string, pods: Map<string, KubeObject>): string {
  const key = line.replace(/^evicting pod /, '').replace(/ \(.*\)$/, '');
  const pod = pods.get(key);
  return pod?.metadata.generateName ? `${pod.metadata.namespace}/${pod.metadata.generateName}*` : key;
}

async function settled(sb: TestSandbox): Promise<Map<string, KubeObject>> {
  await eventually('every pod running or finished', async () => {
    const pods = await sb.list('pods');
    const db = pods.filter((p) => p.metadata.labels?.app === 'db' && podReady(p)).length;
    const finished = pods.find((p) => p.metadata.name === 'finished-job');
    return db === 3 && (finished?.status as { phase?: string } | undefined)?.phase === 'Succeeded' && pods.every((p) => ['Running', 'Succeeded'].includes((p.status as { phase?: string }).phase ?? '')) ? true : undefined;
  }, 30_000);
  return new Map((await sb.list('pods')).map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
}

interface Outcome {
  ok: boolean;
  evicted: string[];
  refused: boolean;
  errors: string[];
}

function outcome(code: number, stdout: string, stderr: string, pods: Map<string, KubeObject>): Outcome {
  const evicted = stdout.split('\n').filter((l) => l.startsWith('evicting pod ')).map((l) => stableName(l, pods)).sort();
  const errors = stderr.split('\n').filter((l) => l.startsWith('error: unable to drain node')).map((l) => l.replace(/: [^:]*$/, ''));
  return { ok: code === 0, evicted, refused: /unable to drain node/.test(stderr), errors };
}

const CASES: Array<{ name: string; node: string; flags: string[]; expect: 'refused' | 'evicts' | 'deletes' | 'skips' }> = [
  { name: 'no flags: DaemonSet pods and a bare pod refuse the node', node: 'node01', flags: [], expect: 'refused' },
  { name: '--ignore-daemonsets: the bare pod still refuses it', node: 'node01', flags: ['--ignore-daemonsets'], expect: 'refused' },
  { name: '--ignore-daemonsets --force --delete-emptydir-data: everything evicted', node: 'node01', flags: ['--ignore-daemonsets', '--force', '--delete-emptydir-data'], expect: 'evicts' },
  { name: '--pod-selector only looks at matching pods', node: 'node02', flags: ['--pod-selector', 'app in (blue,db)'], expect: 'evicts' },
  { name: 'emptyDir pods refuse a node without --delete-emptydir-data', node: 'node02', flags: ['--ignore-daemonsets'], expect: 'refused' },
  { name: 'the control-plane node: mirror pods are skipped', node: 'controlplane', flags: ['--ignore-daemonsets', '--delete-emptydir-data'], expect: 'skips' },
  { name: '--disable-eviction deletes instead', node: 'node03', flags: ['--ignore-daemonsets', '--delete-emptydir-data', '--disable-eviction'], expect: 'deletes' },
];

describe('drain parity with kubectl', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const sc = await scenario();
      const [a, b] = await Promise.all([testSandbox({ scenario: sc }), testSandbox({ scenario: sc })]);
      try {
        const [podsA, podsB] = await Promise.all([settled(a), settled(b)]);
        const k = await a.kubectl(['drain', c.node, ...c.flags, '--timeout=60s'], { timeoutMs: 90_000 });
        const u = await upkeep(['--kubeconfig', b.kubeconfig, 'drain', c.node, ...c.flags, '--timeout=60s']);
        const kubectl = outcome(k.code, k.stdout, k.stderr, podsA);
        const ours = outcome(u.code, u.out, u.err, podsB);
        // The case is what it says for kubectl, so agreement means something.
        if (c.expect === 'refused') assert.ok(kubectl.refused && kubectl.evicted.length === 0, `kubectl refused: ${k.stderr}`);
        if (c.expect === 'evicts') assert.ok(kubectl.ok && kubectl.evicted.length > 0, `kubectl evicted: ${k.stdout}`);
        if (c.expect === 'skips') {
          assert.ok(kubectl.ok && kubectl.evicted.length === 0, `kubectl skipped everything: ${k.stdout}`);
          for (const sb of [a, b]) assert.ok(await sb.get('pods', 'kube-system', 'kube-apiserver-controlplane'), 'mirror pods are left alone');
        }
        if (c.expect === 'deletes') assert.ok(kubectl.ok && /pod\/\S+ deleted/.test(k.stdout) && /pod\/\S+ deleted/.test(u.out), `both deleted: ${k.stdout} / ${u.out}`);
        assert.deepEqual(ours.evicted, kubectl.evicted, `evicted pods\nkubectl: ${k.stdout}${k.stderr}\nupkeep: ${u.out}${u.err}`);
        assert.equal(ours.refused, kubectl.refused, 'refused the node');
        assert.equal(ours.ok, kubectl.ok, `success: kubectl exit ${k.code}, upkeep exit ${u.code}`);
        assert.deepEqual(ours.errors, kubectl.errors, 'the same refusal line');
        const cordoned = async (sb: TestSandbox) => ((await sb.get('nodes', '', c.node))?.spec as { unschedulable?: boolean }).unschedulable === true;
        assert.equal(await cordoned(b), await cordoned(a), 'the node is left cordoned the same way');
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    });
  }
});
