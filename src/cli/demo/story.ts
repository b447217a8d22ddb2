// The demo's story, told through upkeep's own client against whatever cluster the kubeconfig
// names (the embedded sandbox in `upkeep demo`). Story 1 of the user stories: a node goes down
// and stays down past the pod eviction timeout.
import { isNodeReady, isNodeUnschedulable, kubeletVersion } from '../../api/nodes.js';
import { isPodReady as ready, podNodeName } from '../../api/pods.js';
import type { ConfigMap, Deployment, Namespace, Node, Pod } from '../../api/types.js';
import { KubeClient } from '../../kube/index.js';
import type { Io } from '../context.js';
import { table } from '../output/format.js';
import path from 'node:path';
import { saveVerifiedSnapshot } from '../../etcd/snapshot.js';
import { renderStatusTable } from '../output/etcd.js';
import { humanizeBytes } from '../../etcd/humanize.js';
import { formatMs } from '../../etcd/connection.js';
import { auditDrainedPods } from '../../audit/run.js';
import { findingsForProgram } from '../commands/audit.js';
import { resolveNodes, setCordon } from '../../drain/cordon.js';
import { drainNodes } from '../../drain/drain.js';
import { gatherDrainInput } from '../../drain/gather.js';
import { analyzeDrain } from '../../drain/impact.js';
import { renderImpact } from '../output/drain.js';
import { drainOptions } from '../../drain/types.js';
import { discoverClusterVersions } from '../../upgrade/discover.js';
import { planUpgrade } from '../../upgrade/plan.js';
import { preflight } from '../../upgrade/preflight.js';
import { renderPlanTable } from '../output/plan.js';
import { addMinor, formatMinor, maxVersion } from '../../upgrade/version.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { isNotFound } from '../../kube/index.js';
import { createBackup } from '../../backup/create.js';
import { restoreBackup } from '../../backup/restore/restore.js';
import { renderCreated, renderRestore } from '../output/backup.js';
import { runAudit } from '../../audit/run.js';
import { renderAudit } from '../output/audit.js';

export interface DemoOptions {
  kubeconfig: string;
  io: Io;
  /** The etcd the sandbox keeps its objects in: the demo ends with a verified snapshot of it. */
  etcd?: { endpoints: string[]; snapshotDir: string };
  /** etcd was left out on purpose (--no-etcd), not for want of it. */
  etcdSkipped?: boolean;
  /** Give up waiting for the cluster after this long (real ms). */
  timeoutMs?: number;
}

const PODS = { version: 'v1', resource: 'pods' };
const PODS_IN_DEFAULT = { version: 'v1', resource: 'pods', namespace: 'default' };
const NODES = { version: 'v1', resource: 'nodes' };

/** kubectl get nodes' STATUS column. */
function nodeStatus(n: Node): string {
  const s = isNodeReady(n) ? 'Ready' : 'NotReady';
  return isNodeUnschedulable(n) ? `${s},SchedulingDisabled` : s;
}

function podStatus(p: Pod): string {
  if (p.metadata.deletionTimestamp) return 'Terminating';
  return p.status?.phase ?? 'Unknown';
}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`the cluster did not reach "${what}" within ${Math.round(timeoutMs / 1000)}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const { io } = opts;
  const timeout = opts.timeoutMs ?? 60_000;
  const client = await KubeClient.create({ kubeconfig: opts.kubeconfig });
  const version = await client.serverVersion();
  io.out(`Cluster: ${version.gitVersion} (kubeconfig: ${opts.kubeconfig})\n`);
  io.out(`Point kubectl at it: kubectl --kubeconfig ${opts.kubeconfig} get nodes\n\n`);

  const appPods = async () => (await client.list<Pod>(PODS, { labelSelector: 'app in (blue,green)' })).items;
  await until('blue (3 replicas) and green running', timeout, async () => {
    const pods = await appPods();
    const blue = pods.filter((p) => p.metadata.labels?.app === 'blue' && ready(p));
    const green = pods.filter((p) => p.metadata.labels?.app === 'green' && ready(p));
    return blue.length >= 3 && green.length === 1 ? true : undefined;
  });
  const showNodes = async () => {
    const nodes = (await client.list<Node>(NODES)).items;
    io.out(table(['name', 'status', 'version'], nodes.map((n) => [n.metadata.name ?? '', nodeStatus(n), kubeletVersion(n) ?? ''])));
  };
  const showApps = async () => {
    const pods = await appPods();
    pods.sort((a, b) => `${a.metadata.labels?.app}${a.metadata.name}`.localeCompare(`${b.metadata.labels?.app}${b.metadata.name}`));
    io.out(table(['app', 'pod', 'status', 'ready', 'node'], pods.map((p) => [p.metadata.labels?.app ?? '', p.metadata.name ?? '', podStatus(p), ready(p) ? 'yes' : 'no', podNodeName(p) ?? ''])));
  };
  await showNodes();
  io.out('\n');
  await showApps();
  // What `upkeep audit` says before any maintenance: green is a bare pod pinned to its node, blue has no budget.
  io.out(`\nBefore any maintenance, the audit of what a drain would run into:\n\n$ upkeep audit availability -n default\n`);
  io.out(renderAudit(await runAudit(client, { checks: ['availability'], namespace: 'default' })));

  const green = (await appPods()).find((p) => p.metadata.labels?.app === 'green');
  const node = (green && podNodeName(green)) ?? 'node01';
  io.out(`\nStory 1: ${node} fails and stays down past the pod eviction timeout (tolerationSeconds: 300).\n`);
  await client.post(`/sandbox/v1/nodes/${node}/down`, {});
  const started = Date.now();
  await until(`${node} NotReady`, timeout, async () => {
    const n = await client.get<Node>({ ...NODES, name: node });
    return nodeStatus(n).startsWith('NotReady') ? true : undefined;
  });
  io.out(`node/${node} is NotReady: its kubelet stopped renewing its lease; pods there are marked not ready.\n`);
  await until('blue back to 3 ready replicas away from the failed node', timeout, async () => {
    const pods = await appPods();
    const blue = pods.filter((p) => p.metadata.labels?.app === 'blue' && !p.metadata.deletionTimestamp && ready(p) && podNodeName(p) !== node);
    const greenGone = pods.filter((p) => p.metadata.labels?.app === 'green' && !p.metadata.deletionTimestamp).length === 0;
    return blue.length >= 3 && greenGone ? true : undefined;
  });
  io.out(`After the eviction timeout (${((Date.now() - started) / 1000).toFixed(1)}s here, 5 minutes on a real cluster):\n`);
  await showApps();
  io.out(
    `\nblue: its ReplicaSet replaced the pod from ${node} on another node, so blue stayed available.\n` +
      `green: a bare pod with no controller; it was deleted with the node and nothing recreates it. It is lost.\n` +
      `(Pods on ${node} stay Terminating until its kubelet returns; that is how Kubernetes behaves.)\n`,
  );
  await client.post(`/sandbox/v1/nodes/${node}/up`, {});
  await until(`${node} Ready again`, timeout, async () => {
    const n = await client.get<Node>({ ...NODES, name: node });
    return nodeStatus(n) === 'Ready' ? true : undefined;
  });
  io.out(`\n${node} is back and Ready, but the pods that moved away do not come back by themselves:\n`);
  await showNodes();
  // The safe way on the node that now carries most of blue.
  const blueNodes = (await appPods()).filter((p) => p.metadata.labels?.app === 'blue' && !p.metadata.deletionTimestamp).map((p) => String(podNodeName(p)));
  const busiest = [...new Set(blueNodes)].sort((a, b) => blueNodes.filter((n) => n === b).length - blueNodes.filter((n) => n === a).length || a.localeCompare(b))[0] ?? node;
  await safeWay(client, busiest, io, timeout);
  const target = await upgradePlan(client, io);
  await upgradeRun(client, opts, io, target);
  await resourceBackup(client, opts, io, timeout);
  await etcdBackup(opts, io);
}

const SHOP = 'shop';
const DEPLOYMENTS_IN_SHOP = { group: 'apps', version: 'v1', resource: 'deployments', namespace: SHOP };

/**
 * Story 3, first part: a backup of the cluster's resources through the API server, a namespace
 * deleted by mistake, and the namespace restored from that backup.
 */
async function resourceBackup(client: KubeClient, opts: DemoOptions, io: Io, timeout: number): Promise<void> {
  io.out(`\nStory 3, backups. A team runs its shop in namespace ${SHOP}: a Deployment of 2 replicas and its ConfigMap.\n`);
  await client.create<Namespace>({ version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SHOP } });
  await client.create<ConfigMap>({ version: 'v1', resource: 'configmaps', namespace: SHOP }, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'shop-config', namespace: SHOP, labels: { app: SHOP } },
    data: { currency: 'EUR', 'items-per-page': '20' },
  });
  await client.create<Deployment>(DEPLOYMENTS_IN_SHOP, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: SHOP, namespace: SHOP, labels: { app: SHOP } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: SHOP } },
      template: {
        metadata: { labels: { app: SHOP } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.27.3', envFrom: [{ configMapRef: { name: 'shop-config' } }] }] },
      },
    },
  });
  const shopAvailable = async () => {
    const d = await client.get<Deployment>({ ...DEPLOYMENTS_IN_SHOP, name: SHOP }).catch((e: unknown) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
    return d && (d.status?.availableReplicas ?? 0) >= 2 ? d : undefined;
  };
  const showShop = async () => {
    const pods = (await client.list<Pod>({ ...PODS, namespace: SHOP }, { labelSelector: `app=${SHOP}` })).items.filter((p) => !p.metadata.deletionTimestamp);
    pods.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    io.out(table(['namespace', 'pod', 'status', 'ready', 'node'], pods.map((p) => [SHOP, p.metadata.name ?? '', podStatus(p), ready(p) ? 'yes' : 'no', podNodeName(p) ?? ''])));
  };
  await until(`deployment ${SHOP}/${SHOP} available (2 replicas)`, timeout, shopAvailable);
  await showShop();

  // The archive goes next to the etcd snapshot (the sandbox's directory), or to a temporary directory of its own.
  const ownDir = opts.etcd ? undefined : await mkdtemp(path.join(os.tmpdir(), 'upkeep-demo-'));
  const dir = opts.etcd?.snapshotDir ?? ownDir ?? os.tmpdir();
  const file = path.join(dir, 'sandbox-resources.tar.gz');
  try {
    io.out(`\nBefore anything risky, back up every resource through the API server:\n`);
    io.out(`\n$ upkeep backup create ${file}\n`);
    const created = await createBackup(client, file);
    io.out(renderCreated(created));
    const inShop = created.manifest.resources.flatMap((r) => Object.entries(r.namespaces ?? {}).filter(([ns]) => ns === SHOP).map(([, n]) => n)).reduce((a, b) => a + b, 0);
    io.out(`(${inShop} of those objects are in namespace ${SHOP}.)\n`);

    io.out(`\nThen someone deletes the wrong namespace:\n`);
    io.out(`\n$ kubectl delete namespace ${SHOP}\n`);
    await client.delete({ version: 'v1', resource: 'namespaces', name: SHOP });
    await until(`namespace ${SHOP} gone`, timeout, async () => {
      try {
        await client.get<Namespace>({ version: 'v1', resource: 'namespaces', name: SHOP });
        return undefined;
      } catch (e) {
        if (isNotFound(e)) return true;
        throw e;
      }
    });
    const left = (await client.list<Pod>({ ...PODS, namespace: SHOP })).items.length;
    io.out(`namespace "${SHOP}" deleted (with its Deployment, ConfigMap and ${left === 0 ? 'all its' : `all but ${left} of its`} pods)\n`);

    io.out(`\n$ upkeep backup restore ${file} --include-namespaces ${SHOP}\n`);
    const restored = await restoreBackup(client, file, { includeNamespaces: [SHOP] });
    io.out(renderRestore(restored));
    if (restored.totals.failed) throw new Error(`${restored.totals.failed} objects failed to restore into namespace ${SHOP}`);
    const back = await until(`deployment ${SHOP}/${SHOP} available again`, timeout, shopAvailable);
    const config = await client.get<ConfigMap>({ version: 'v1', resource: 'configmaps', namespace: SHOP, name: 'shop-config' });
    io.out(`\n${SHOP} is back: deployment ${SHOP} has ${back.status?.availableReplicas ?? 0}/${back.spec?.replicas ?? 0} replicas available, configmap ${config.metadata.name} holds ${Object.keys(config.data ?? {}).length} keys; its ReplicaSet and pods were recreated by their controllers:\n`);
    await showShop();
  } finally {
    if (ownDir) await rm(ownDir, { recursive: true, force: true });
  }
}

/** Story 3 in brief: before any upgrade, a verified snapshot of the etcd the cluster lives in. */
async function etcdBackup(opts: DemoOptions, io: Io): Promise<void> {
  if (!opts.etcd) {
    // --no-etcd chose memory: etcd may well be installed, so do not say it is missing.
    io.out(
      opts.etcdSkipped
        ? `\nStory 3, etcd: this sandbox ran in memory (--no-etcd). Without --no-etcd the demo keeps the cluster in etcd and ends with a verified snapshot of it.\n`
        : `
Story 3, etcd: this sandbox ran in memory. With etcd installed (Debian: apt-get install etcd-server etcd-client),
the demo keeps the cluster in a real etcd and ends with a verified snapshot of it.
`,
    );
    return;
  }
  const file = path.join(opts.etcd.snapshotDir, 'sandbox-etcd-snapshot.db');
  io.out(`
Story 3, etcd: the upgrade saved a snapshot before it began; here is the command for one at any time, of the etcd where this sandbox keeps every object (/registry/...).
`);
  io.out(`
$ upkeep etcd snapshot save ${file} --endpoints=${opts.etcd.endpoints.join(',')}
`);
  const { save, status } = await saveVerifiedSnapshot({ endpoints: opts.etcd.endpoints }, file);
  // What `upkeep etcd snapshot save` prints: the file on stdout, the figures on stderr.
  io.out(`Snapshot saved at ${save.file}\n`);
  io.err(`${humanizeBytes(save.size)} from ${save.endpoint}${save.revision !== undefined ? ` at revision ${save.revision}` : ''} in ${formatMs(Math.round(save.elapsedMs))}; sha256 ${save.sha256} verified\n`);
  io.out(`
$ upkeep etcd snapshot status ${file} -w table
`);
  io.out(renderStatusTable(status));
  io.out(`
The same numbers etcdctl snapshot status prints; upkeep etcd snapshot restore writes a data dir etcd starts on.
`);
}

/** Story 2 in brief: the plan from the cluster's version to the next minor, kubeadm's tables and the preflight findings. */
async function upgradePlan(client: KubeClient, io: Io): Promise<string> {
  const cluster = await discoverClusterVersions(client);
  const next = addMinor(maxVersion(cluster.apiservers.map((a) => a.version)) ?? cluster.serverVersion, 1);
  io.out(`\nNext, story 2: upgrading Kubernetes one minor version. The plan, as kubeadm lays it out, with upkeep's checks:\n`);
  io.out(`\n$ upkeep plan --to ${formatMinor(next)}\n`);
  const plan = planUpgrade(cluster, next, { findings: await preflight(client) });
  const notes = plan.findings.filter((f) => f.severity === 'info').length;
  io.out(renderPlanTable({ ...plan, findings: plan.findings.filter((f) => f.severity !== 'info') }));
  io.out(`(${notes} notes left out here; upkeep plan shows them, and upkeep plan --to ${formatMinor(next)} -o runbook prints the steps for each node.)\n`);
  return formatMinor(next);
}

/** Watch a Deployment in default until stop(): the fewest available replicas it had meanwhile (Infinity: no change seen). */
function watchAvailable(client: KubeClient, name: string): { stop(): Promise<number> } {
  const abort = new AbortController();
  let min = Infinity;
  const watching = (async () => {
    try {
      for await (const e of client.watch<Deployment>({ group: 'apps', version: 'v1', resource: 'deployments', namespace: 'default' }, { fieldSelector: `metadata.name=${name}`, signal: abort.signal })) {
        const objs = e.type === 'RELIST' ? e.items : 'object' in e ? [e.object] : [];
        for (const o of objs) {
          if (o.metadata.name === name) min = Math.min(min, o.status?.availableReplicas ?? 0);
        }
      }
    } catch {
      // the watch ends with the abort
    }
  })();
  return {
    async stop() {
      abort.abort();
      await watching;
      return min;
    },
  };
}

/**
 * Story 2 carried out: the budget the audit asked for, then `upkeep upgrade apply` itself (the
 * CLI's own command, in this process), with blue watched throughout.
 */
async function upgradeRun(client: KubeClient, opts: DemoOptions, io: Io, target: string): Promise<void> {
  io.out(`\nStory 2, carried out. The audit said blue has no PodDisruptionBudget: a drain could then take several of its pods at once. First, a budget:\n`);
  io.out(`\n$ kubectl create poddisruptionbudget blue --selector=app=blue --min-available=2\n`);
  await client.create({ group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespace: 'default' }, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'blue', namespace: 'default' },
    spec: { minAvailable: 2, selector: { matchLabels: { app: 'blue' } } },
  });
  io.out(`poddisruptionbudget.policy/blue created\n`);
  // A bare pod would refuse the drain without --force (and be lost): the story deletes it on purpose first.
  const bare = (await client.list<Pod>(PODS_IN_DEFAULT)).items.filter((p) => !p.metadata.ownerReferences?.length && !p.metadata.deletionTimestamp);
  for (const p of bare) {
    io.out(`\n$ kubectl delete pod ${p.metadata.name ?? ''}\n`);
    await client.delete({ ...PODS_IN_DEFAULT, name: p.metadata.name ?? '' });
    io.out(`pod "${p.metadata.name ?? ''}" deleted\n`);
  }
  const snapshot = opts.etcd ? ['--etcd-snapshot', opts.etcd.snapshotDir] : ['--etcd-snapshot', 'none'];
  const args = ['upgrade', 'apply', '--to', target, ...snapshot, '--yes'];
  io.out(`\n$ upkeep ${args.join(' ')}\n`);
  const blue = watchAvailable(client, 'blue');
  const { main } = await import('../main.js');
  const code = await main(['--kubeconfig', opts.kubeconfig, ...args], { io });
  const fewest = await blue.stop();
  if (code !== 0) throw new Error(`upkeep upgrade apply exited with ${code}`);
  io.out(`\nblue's available replicas never dropped below ${fewest === Infinity ? 3 : fewest} of 3 during the upgrade (its budget: at least 2). The nodes now:\n`);
  const nodes = (await client.list<Node>(NODES)).items;
  io.out(table(['name', 'status', 'version'], nodes.map((n) => [n.metadata.name ?? '', nodeStatus(n), kubeletVersion(n) ?? ''])));
}

/**
 * Story 1 the safe way: look at the impact first, drain (blue stays available, green goes as
 * the report said), do the maintenance (a reboot), uncordon.
 */
async function safeWay(client: KubeClient, node: string, io: Io, timeout: number): Promise<void> {
  io.out(`\nThe safe way. green is redeployed on ${node}, next to blue, and ${node} needs a reboot.\n`);
  await client.create(PODS_IN_DEFAULT, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'green', namespace: 'default', labels: { app: 'green' } },
    spec: { nodeSelector: { 'kubernetes.io/hostname': node }, containers: [{ name: 'nginx', image: 'nginx:1.27.3' }] },
  });
  await until('green running again', timeout, async () => {
    const g = await client.get<Pod>({ ...PODS_IN_DEFAULT, name: 'green' });
    return ready(g) ? true : undefined;
  });
  const nodes = await resolveNodes(client, [node], undefined);
  const impactOptions = { ...drainOptions({ ignoreDaemonSets: true }), waitReady: true, surge: false, maxUnavailable: 1, concurrency: 16 };
  // As `upkeep drain --dry-run=client` prints it: the impact report with the audit of the pods to drain.
  io.out(`\n$ upkeep drain ${node} --ignore-daemonsets --dry-run=client\n`);
  const input = await gatherDrainInput(client, nodes, impactOptions);
  io.out(renderImpact(analyzeDrain(input), findingsForProgram(await auditDrainedPods(client, input), 'upkeep')));
  io.out(`\nThe report says green would be lost. The admin accepts that (it's a scratch pod) and adds --force.\n`);

  // Watch blue's availability during the drain: it must never drop below what its users need.
  const blue = watchAvailable(client, 'blue');
  io.out(`\n$ upkeep drain ${node} --ignore-daemonsets --force --wait-ready\n`);
  const result = await drainNodes(client, [node], { ...impactOptions, force: true, timeoutSeconds: Math.ceil(timeout / 1000) }, {
    onCordoned: (_n, line) => io.out(`${line}\n`),
    onWarning: (_n, line) => io.err(`${line}\n`),
    onEvicting: (_p, line) => io.out(`${line}\n`),
    onEvicted: (_p, line) => io.out(`${line}\n`),
    onNodeDone: (r) => io.out(r.status === 'drained' ? `node/${r.node} drained\n` : `node/${r.node}: ${r.state}\n`),
  });
  const minAvailable = await blue.stop();
  if (!result.ok) throw new Error(`the drain of ${node} did not finish: ${result.nodes.map((n) => n.state).join('; ')}`);
  io.out(`blue's available replicas never dropped below ${minAvailable === Infinity ? 'its desired count' : minAvailable} of 3 during the drain, and all 3 are ready again elsewhere (--wait-ready).\n`);

  io.out(`\nMaintenance: ${node} reboots (simulated: its kubelet stops and comes back).\n`);
  await client.post(`/sandbox/v1/nodes/${node}/reboot`, { downSeconds: 30 });
  await until(`${node} Ready after the reboot`, timeout, async () => {
    const n = await client.get<Node>({ ...NODES, name: node });
    return nodeStatus(n) === 'Ready,SchedulingDisabled' ? true : undefined;
  });
  io.out(`\n$ upkeep uncordon ${node}\n`);
  const [current] = await resolveNodes(client, [node], undefined);
  io.out(`${(await setCordon(client, current, false)).line}\n`);
  const after = (await client.list<Node>(NODES)).items;
  io.out(table(['name', 'status', 'version'], after.map((n) => [n.metadata.name ?? '', nodeStatus(n), kubeletVersion(n) ?? ''])));
  io.out(`\nDone: blue stayed available throughout, green went exactly as the report said, and ${node} is back in service.\n`);
}
