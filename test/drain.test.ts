// upkeep's drain executor (src/drain/drain.ts) against the sandbox, through the library API (and,
// last, the command line: selectors, --timeout as a Go duration, the command to continue): the
// same pods evicted and the same nodes refused as kubectl drain, PodDisruptionBudgets waited on
// and named, --timeout reporting what is left, --surge keeping a single replica available,
// interrupted surges put back, --wait-ready, --disable-eviction, dry runs, and a StatefulSet pod
// recreated under the same name left alone.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isNodeUnschedulable } from '../src/api/nodes.js';
import { isPodReady, podNodeName } from '../src/api/pods.js';
import type { KubeObject, Node, Pod } from '../src/api/types.js';
import { KubeClient } from '../src/kube/index.js';
import { drainNodes, restoreSurges, SURGE_ANNOTATION, type BudgetWait, type DrainCallbacks, type DrainResult, type DrainRunOptions } from '../src/drain/drain.js';
import { DEFAULT_DRAIN_OPTIONS } from '../src/drain/types.js';
import { type TestSandbox, eventually, nodeOf, podReady, testSandbox } from './helpers/sandbox.js';
import { upkeep } from './helpers/cli.js';

type Obj = Record<string, unknown>;

function options(overrides: Partial<DrainRunOptions> = {}): DrainRunOptions {
  return { ...DEFAULT_DRAIN_OPTIONS, waitReady: false, surge: false, maxUnavailable: 1, concurrency: 16, ...overrides };
}

/** Every callback, as "kind: line" in order; budget waits kept whole. */
function recorder(extra: DrainCallbacks = {}): { lines: string[]; budgetWaits: BudgetWait[]; callbacks: DrainCallbacks } {
  const lines: string[] = [];
  const budgetWaits: BudgetWait[] = [];
  const callbacks: DrainCallbacks = {
    onCordoned: (_n, line) => lines.push(`cordoned: ${line}`),
    onWarning: (_n, line) => lines.push(`warning: ${line}`),
    onEvicting: (_p, line) => lines.push(`evicting: ${line}`),
    onEvicted: (_p, line) => lines.push(`evicted: ${line}`),
    onRetry: (pod, message) => lines.push(`retry: ${pod}: ${message}`),
    onSurge: (_w, line) => lines.push(`surge: ${line}`),
    onWaitReady: (_w, line) => lines.push(`wait-ready: ${line}`),
    onLine: (_n, line) => lines.push(`line: ${line}`),
    onNodeDone: (r) => lines.push(`done: ${r.node} ${r.status}`),
    ...extra,
    onBudgetWait: (w) => {
      budgetWaits.push(w);
      lines.push(`budget: ${w.pod} ${w.budget}`);
      extra.onBudgetWait?.(w);
    },
  };
  return { lines, budgetWaits, callbacks };
}

const isDaemonSetPod = (p: KubeObject): boolean => p.metadata.ownerReferences?.some((r) => r.kind === 'DaemonSet') ?? false;
const podNames = (pods: KubeObject[]): string[] => pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort();

function deployment(name: string, replicas: number, extra = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default, labels: {app: ${name}}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 30
      containers: [{name: app, image: "nginx:1.27.3"}]${extra}
`;
}

function pdb(name: string, app: string, budget: string): string {
  return `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: ${name}, namespace: default}
spec:
  ${budget}
  selector: {matchLabels: {app: ${app}}}
`;
}

describe('drainNodes on the sandbox', () => {
  let sb: TestSandbox | undefined;
  let client: KubeClient | undefined;
  afterEach(async () => {
    client?.close();
    await sb?.stop();
    sb = undefined;
    client = undefined;
  });

  async function start(): Promise<{ sb: TestSandbox; client: KubeClient }> {
    sb = await testSandbox();
    client = await KubeClient.create({ kubeconfig: sb.kubeconfig });
    await readyPods('blue', 3);
    return { sb, client };
  }

  async function apply(manifest: string): Promise<void> {
    const r = await sb!.kubectl(['apply', '-f', '-'], { input: manifest });
    assert.equal(r.code, 0, r.stderr);
  }

  async function kubectlOk(args: string[]): Promise<string> {
    const r = await sb!.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** Pods of an app, not terminating. */
  async function livePods(app: string): Promise<KubeObject[]> {
    return (await sb!.list('pods', 'default')).filter((p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp);
  }

  async function readyPods(app: string, n: number): Promise<KubeObject[]> {
    return eventually(`${n} ready ${app} pods`, async () => {
      const pods = await livePods(app);
      return pods.length === n && pods.every(podReady) ? pods : undefined;
    });
  }

  async function podsOn(node: string): Promise<KubeObject[]> {
    return (await sb!.list('pods')).filter((p) => nodeOf(p) === node);
  }

  async function unschedulable(node: string): Promise<boolean> {
    return ((await sb!.get('nodes', '', node))?.spec as Obj | undefined)?.unschedulable === true;
  }

  /** A Deployment (or anything) whose pods all land on node01: the other workers are cordoned meanwhile. */
  async function onNode01(manifest: string, app: string, replicas: number): Promise<KubeObject[]> {
    await kubectlOk(['cordon', 'node02', 'node03']);
    await apply(manifest);
    const pods = await readyPods(app, replicas);
    await kubectlOk(['uncordon', 'node02', 'node03']);
    assert.deepEqual([...new Set(pods.map(nodeOf))], ['node01']);
    return pods;
  }

  async function budgetStatus(name: string, want: Obj): Promise<void> {
    await eventually(`PDB ${name} status ${JSON.stringify(want)}`, async () => {
      const s = ((await sb!.get('poddisruptionbudgets.policy', 'default', name))?.status as Obj | undefined) ?? {};
      return Object.entries(want).every(([k, v]) => s[k] === v) ? s : undefined;
    });
  }

  it('drains node01 with --ignore-daemonsets --force: blue and green evicted, blue runs again elsewhere', async () => {
    const { client } = await start();
    const before = await podsOn('node01');
    const evictable = before.filter((p) => !isDaemonSetPod(p) && p.metadata.annotations?.['kubernetes.io/config.mirror'] === undefined);
    assert.ok(evictable.some((p) => p.metadata.name === 'green'));
    assert.ok(evictable.some((p) => p.metadata.labels?.app === 'blue'), 'a blue replica runs on node01');
    const daemonSetPods = podNames(before.filter(isDaemonSetPod));

    const rec = recorder();
    const result = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true }), rec.callbacks);

    assert.deepEqual(result.nodes.map((n) => [n.node, n.status, n.pendingPods]), [['node01', 'drained', []]]);
    assert.equal(result.ok, true);
    assert.equal(result.continueWith, undefined);
    assert.equal(rec.lines[0], 'cordoned: node/node01 cordoned');
    // kubectl's warning line: groups in order of first appearance, pods in list order.
    const warning = rec.lines.find((l) => l.startsWith('warning: '));
    assert.ok(warning?.includes('ignoring DaemonSet-managed Pods: '), warning);
    assert.ok(warning?.includes('deleting Pods that declare no controller: default/green'), warning);
    for (const ds of daemonSetPods) assert.ok(warning?.includes(ds), `${ds} in ${warning}`);
    const evicting = rec.lines.filter((l) => l.startsWith('evicting: ')).sort();
    assert.deepEqual(evicting, podNames(evictable).map((k) => `evicting: evicting pod ${k}`));
    const evicted = rec.lines.filter((l) => l.startsWith('evicted: ')).sort();
    assert.deepEqual(evicted, evictable.map((p) => `evicted: pod/${p.metadata.name} evicted`).sort());
    assert.equal(rec.lines.at(-1), 'done: node01 drained');
    assert.match(result.nodes[0].state, /^cordoned \(by upkeep\); drained \(\d+ evicted\)$/);

    // Only DaemonSet pods stay; blue is back to 3 ready replicas on the other workers; green is gone.
    assert.deepEqual(podNames((await podsOn('node01')).filter((p) => !p.metadata.deletionTimestamp)), daemonSetPods);
    const blue = await readyPods('blue', 3);
    assert.equal(blue.some((p) => nodeOf(p) === 'node01'), false);
    assert.equal(await sb!.get('pods', 'default', 'green'), undefined);
    assert.equal(await unschedulable('node01'), true);
    assert.equal(JSON.parse((await sb!.get('nodes', '', 'node01'))?.metadata.annotations?.['upkeep.dev/cordoned'] ?? '{}').by, 'upkeep');
  });

  it('refuses a node with a bare pod without --force: nothing evicted, the node stays cordoned', async () => {
    const { client } = await start();
    const before = podNames(await podsOn('node01'));
    const rec = recorder();
    const result = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true }), rec.callbacks);
    const [n] = result.nodes;
    assert.equal(n.status, 'refused');
    // kubectl v1.32's words, doubled prefix included (kubernetes#135817).
    assert.equal(n.errorLine, 'error: unable to drain node "node01" due to error: cannot delete cannot delete Pods that declare no controller (use --force to override): default/green, continuing command...');
    assert.ok(n.pendingPods.includes('default/green'));
    assert.match(n.state, /^cordoned \(by upkeep\); nothing evicted \(refused\); \d+ pods still there: /);
    assert.equal(result.ok, false);
    assert.deepEqual(result.continueWith, ['upkeep', 'drain', 'node01', '--ignore-daemonsets']);
    assert.deepEqual(n.needs, ['--force']);
    assert.deepEqual(rec.lines.filter((l) => l.startsWith('evicting')), []);
    assert.equal(await unschedulable('node01'), true);
    assert.deepEqual(podNames(await podsOn('node01')), before);
  });

  it('waits on a PodDisruptionBudget, naming it, and evicts once it frees up', async () => {
    const { client } = await start();
    await apply(pdb('blue-pdb', 'blue', 'minAvailable: 3'));
    await budgetStatus('blue-pdb', { disruptionsAllowed: 0, currentHealthy: 3 });
    const blueOnNode01 = (await livePods('blue')).find((p) => nodeOf(p) === 'node01')!;
    let scaled: Promise<string> | undefined;
    const rec = recorder({
      onBudgetWait: () => {
        // Room for one more: a fourth replica (on node02/node03: node01 is cordoned) lets the budget allow an eviction.
        scaled ??= kubectlOk(['scale', 'deployment', 'blue', '--replicas=4']);
      },
    });
    const result = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true }), rec.callbacks);
    await scaled;
    assert.equal(result.nodes[0].status, 'drained', JSON.stringify(result));
    const first = rec.budgetWaits[0];
    assert.deepEqual([first.pod, first.budget, first.attempts], [`default/${blueOnNode01.metadata.name}`, 'default/blue-pdb', 1]);
    assert.equal(first.message, 'The disruption budget blue-pdb needs 3 healthy pods and has 3 currently');
    assert.ok(first.retryInMs >= 500 && first.retryInMs <= 5000, String(first.retryInMs));
    assert.ok(rec.lines.includes(`evicted: pod/${blueOnNode01.metadata.name} evicted`));
    const blue = await readyPods('blue', 4);
    assert.equal(blue.some((p) => nodeOf(p) === 'node01'), false);
  });

  it('stops at --timeout: status timeout, the pods left, the budget in the way, the command to continue', async () => {
    const { client } = await start();
    await apply(pdb('blue-pdb', 'blue', 'minAvailable: 3'));
    await budgetStatus('blue-pdb', { disruptionsAllowed: 0, currentHealthy: 3 });
    const blueOnNode01 = (await livePods('blue')).find((p) => nodeOf(p) === 'node01')!;
    const rec = recorder();
    const result = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true, timeoutSeconds: 2 }), rec.callbacks);
    const [n] = result.nodes;
    assert.equal(n.status, 'timeout');
    assert.equal(result.ok, false);
    assert.deepEqual(n.pendingPods, [`default/${blueOnNode01.metadata.name}`]);
    assert.deepEqual(n.blockingBudgets, ['default/blue-pdb']);
    assert.equal(n.errorLine, `error: unable to drain node "node01" due to error: error when evicting pods/"${blueOnNode01.metadata.name}" -n "default": global timeout reached: 2s, continuing command...`);
    assert.equal(n.state, `cordoned (by upkeep); 1 evicted; 1 pod still there: default/${blueOnNode01.metadata.name}; waiting on PodDisruptionBudget default/blue-pdb`);
    assert.deepEqual(result.continueWith, ['upkeep', 'drain', 'node01', '--force', '--ignore-daemonsets', '--timeout=2s']);
    assert.ok(rec.budgetWaits.length >= 1);
    assert.equal(await unschedulable('node01'), true);
    assert.ok(await sb!.get('pods', 'default', blueOnNode01.metadata.name ?? ''), 'the blocked pod is still there');
  });

  it('--surge keeps a single-replica Deployment available under a minAvailable 1 budget, and puts it back', async () => {
    const { client } = await start();
    const [old] = await onNode01(deployment('solo', 1), 'solo', 1);
    await apply(pdb('solo-pdb', 'solo', 'minAvailable: 1'));
    await budgetStatus('solo-pdb', { disruptionsAllowed: 0, currentHealthy: 1 });

    // Follow solo's Ready pods and its availableReplicas through the whole drain.
    const watching = new AbortController();
    let minReadyPods = Infinity;
    let minAvailable = Infinity;
    let maxReplicas = 0;
    const pods = client.listAndWatch<KubeObject>({ version: 'v1', resource: 'pods', namespace: 'default' }, { labelSelector: 'app=solo', signal: watching.signal });
    const deploys = client.listAndWatch<KubeObject>({ group: 'apps', version: 'v1', resource: 'deployments', namespace: 'default' }, { fieldSelector: 'metadata.name=solo', signal: watching.signal });
    const followPods = (async () => {
      for await (const _ of pods) {
        if (pods.hasSynced) minReadyPods = Math.min(minReadyPods, [...pods.cache.values()].filter((p) => podReady(p) && !p.metadata.deletionTimestamp).length);
      }
    })();
    const followDeployment = (async () => {
      for await (const _ of deploys) {
        const d = deploys.cache.get('default/solo');
        if (!deploys.hasSynced || !d) continue;
        minAvailable = Math.min(minAvailable, Number((d.status as Obj | undefined)?.availableReplicas ?? 0));
        maxReplicas = Math.max(maxReplicas, Number((d.spec as Obj | undefined)?.replicas ?? 0));
      }
    })();
    await eventually('watches synced', () => pods.hasSynced && deploys.hasSynced);

    const rec = recorder();
    let result: DrainResult;
    let now: KubeObject;
    try {
      result = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true, surge: true, timeoutSeconds: 60 }), rec.callbacks);
      [now] = await readyPods('solo', 1);
    } finally {
      watching.abort();
      await Promise.all([followPods, followDeployment]);
    }
    assert.equal(minReadyPods >= 1, true, 'solo always had a Ready pod');
    assert.equal(minAvailable >= 1, true, 'solo always had an available replica');
    assert.equal(maxReplicas, 2);
    assert.equal(result.nodes[0].status, 'drained', JSON.stringify(result));
    const surge = rec.lines.filter((l) => l.startsWith('surge: Deployment default/solo'));
    assert.equal(surge[0], 'surge: Deployment default/solo: its only ready replica is on node01: scaling from 1 to 2 replicas to bring one up elsewhere before evicting');
    assert.match(surge[1], /^surge: Deployment default\/solo: 1 new replica Ready elsewhere \(default\/solo-\S+ on node0[23]\)$/);
    assert.equal(surge.at(-1), 'surge: Deployment default/solo: scaled back to 1 replica');
    assert.ok(rec.lines.includes(`evicted: pod/${old.metadata.name} evicted`));
    // The old pod went only once the new one was Ready: no budget refusal was needed.
    assert.equal(rec.budgetWaits.filter((w) => w.pod === `default/${old.metadata.name}`).length <= 1, true);

    assert.notEqual(nodeOf(now), 'node01');
    assert.notEqual(now.metadata.uid, old.metadata.uid);
    const d = await sb!.get('deployments.apps', 'default', 'solo');
    assert.equal((d?.spec as Obj).replicas, 1);
    assert.equal(d?.metadata.annotations?.[SURGE_ANNOTATION], undefined);
  });

  it('an interrupted surge is put back: the Deployment at its replicas, no journal, the old pod untouched', async () => {
    const { client } = await start();
    const [old] = await onNode01(deployment('solo', 1), 'solo', 1);
    const abort = new AbortController();
    const rec = recorder({
      onSurge: (_w, line) => {
        rec.lines.push(`surge: ${line}`);
        if (line.includes('scaling from 1 to 2')) abort.abort();
      },
    });
    const result = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true, surge: true }), rec.callbacks, abort.signal);
    const [n] = result.nodes;
    assert.deepEqual([n.status, n.interrupted], ['failed', true]);
    assert.equal(n.errorLine, 'error: drain of node "node01" interrupted');
    assert.ok(n.pendingPods.includes(`default/${old.metadata.name}`), JSON.stringify(n));
    assert.deepEqual(result.continueWith, ['upkeep', 'drain', 'node01', '--force', '--ignore-daemonsets', '--surge']);
    const d = await sb!.get('deployments.apps', 'default', 'solo');
    assert.equal((d?.spec as Obj).replicas, 1);
    assert.equal(d?.metadata.annotations?.[SURGE_ANNOTATION], undefined);
    assert.equal(await unschedulable('node01'), true, 'the node stays cordoned');
    const [left] = await readyPods('solo', 1);
    assert.equal(left.metadata.uid, old.metadata.uid, 'the old pod was not evicted');
  });

  it('restoreSurges puts back a surge left by a run that died', async () => {
    const { client } = await start();
    await onNode01(deployment('solo', 1), 'solo', 1);
    // What a killed run leaves: the journal, and the Deployment scaled up.
    await kubectlOk(['annotate', 'deployment', 'solo', `${SURGE_ANNOTATION}={"originalReplicas":1,"replicas":2,"node":"node01","at":"2025-01-01T00:00:00Z"}`]);
    await kubectlOk(['scale', 'deployment', 'solo', '--replicas=2']);
    await readyPods('solo', 2);
    const lines: string[] = [];
    assert.deepEqual(await restoreSurges(client, 'node02'), [], 'another node: not this one');
    assert.deepEqual(await restoreSurges(client, 'node01', (_w, line) => lines.push(line)), ['Deployment default/solo']);
    assert.deepEqual(lines, [
      'Deployment default/solo: surged by an earlier drain of node01 that did not finish; putting it back',
      'Deployment default/solo: scaled back to 1 replica',
    ]);
    const d = await sb!.get('deployments.apps', 'default', 'solo');
    assert.equal((d?.spec as Obj).replicas, 1);
    assert.equal(d?.metadata.annotations?.[SURGE_ANNOTATION], undefined);
    await readyPods('solo', 1);
  });

  it('--wait-ready waits for the workloads to be back, and reports those that are not', async () => {
    const { client } = await start();
    // pinned can only run on node01: once evicted it stays Pending.
    await apply(deployment('pinned', 1, '\n      nodeSelector: {kubernetes.io/hostname: node01}'));
    await readyPods('pinned', 1);
    const rec = recorder();
    const result = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true, waitReady: true, timeoutSeconds: 4 }), rec.callbacks);
    const [n] = result.nodes;
    assert.equal(n.status, 'timeout');
    assert.equal(n.notReady?.length, 1);
    assert.match(n.notReady![0]!, /^Deployment default\/pinned: 0\/1 available; pod default\/pinned-\S+ Pending: 0\/4 nodes are available: 1 node\(s\) were unschedulable, 3 node\(s\) didn't match Pod's node affinity\/selector\./);
    assert.deepEqual(n.pendingPods, []);
    assert.match(n.state, /^cordoned \(by upkeep\); drained \(\d+ evicted\); not back to full availability: Deployment default\/pinned: 0\/1 available; pod default\/pinned-/);
    assert.ok(rec.lines.includes('wait-ready: Deployment default/blue is back: 3/3 available'), rec.lines.join('\n'));
    assert.ok(rec.lines.includes('wait-ready: Deployment default/pinned not back in time: 0/1 available'), rec.lines.join('\n'));

    // Without pinned in the way, the node drains and reports nothing missing.
    await kubectlOk(['delete', 'deployment', 'pinned']);
    await kubectlOk(['uncordon', 'node01']);
    await eventually('blue rebalanced onto node01 after a scale', async () => {
      await sb!.kubectl(['scale', 'deployment', 'blue', '--replicas=6']);
      return (await livePods('blue')).some((p) => nodeOf(p) === 'node01');
    });
    await readyPods('blue', 6);
    const again = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true, waitReady: true, timeoutSeconds: 30 }), recorder().callbacks);
    assert.equal(again.nodes[0].status, 'drained');
    assert.deepEqual(again.nodes[0].notReady, []);
  });

  it('--disable-eviction deletes, bypassing a budget that blocks evictions', async () => {
    const { client } = await start();
    await apply(pdb('blue-pdb', 'blue', 'minAvailable: 3'));
    await budgetStatus('blue-pdb', { disruptionsAllowed: 0, currentHealthy: 3 });
    const blueOnNode01 = (await livePods('blue')).find((p) => nodeOf(p) === 'node01')!;
    const rec = recorder();
    const result = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true, disableEviction: true, timeoutSeconds: 30 }), rec.callbacks);
    assert.equal(result.nodes[0].status, 'drained');
    assert.deepEqual(rec.budgetWaits, []);
    assert.deepEqual(rec.lines.filter((l) => l.startsWith('evicting')), [], 'kubectl prints no "evicting" line when deleting');
    assert.ok(rec.lines.includes(`evicted: pod/${blueOnNode01.metadata.name} deleted`));
    assert.ok(rec.lines.includes('evicted: pod/green deleted'));
    assert.equal(await sb!.get('pods', 'default', blueOnNode01.metadata.name ?? ''), undefined);
  });

  it('dry runs evict nothing: client mode sends nothing, server mode asks the server', async () => {
    const { client } = await start();
    const before = (await podsOn('node01')).map((p) => p.metadata.uid).sort();
    const evictable = podNames((await podsOn('node01')).filter((p) => !isDaemonSetPod(p)));

    const client1 = recorder();
    const r1 = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true, dryRun: 'client' }), client1.callbacks);
    assert.equal(r1.nodes[0].status, 'drained');
    assert.equal(client1.lines[0], 'cordoned: node/node01 cordoned (dry run)');
    assert.deepEqual(client1.lines.filter((l) => l.startsWith('evicting')).sort(), evictable.map((k) => `evicting: evicting pod ${k} (dry run)`));
    assert.deepEqual(client1.lines.filter((l) => l.startsWith('evicted')), []);

    const server = recorder();
    const r2 = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true, dryRun: 'server' }), server.callbacks);
    assert.equal(r2.nodes[0].status, 'drained');
    assert.equal(server.lines[0], 'cordoned: node/node01 cordoned (server dry run)');
    assert.deepEqual(server.lines.filter((l) => l.startsWith('evicting')).sort(), evictable.map((k) => `evicting: evicting pod ${k} (server dry run)`));
    assert.equal(r2.continueWith, undefined);

    assert.equal(await unschedulable('node01'), false);
    assert.deepEqual((await podsOn('node01')).map((p) => p.metadata.uid).sort(), before);
    assert.equal((await podsOn('node01')).some((p) => p.metadata.deletionTimestamp), false);
  });

  it('a server dry run answers at once when a PodDisruptionBudget would refuse, instead of waiting like kubectl', async () => {
    const { client } = await start();
    await apply(pdb('blue-pdb', 'blue', 'minAvailable: 3'));
    await budgetStatus('blue-pdb', { disruptionsAllowed: 0, currentHealthy: 3 });
    const blueOnNode01 = (await livePods('blue')).find((p) => nodeOf(p) === 'node01')!;
    const rec = recorder();
    const r = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true, dryRun: 'server' }), rec.callbacks);
    assert.equal(r.nodes[0].status, 'blocked');
    assert.deepEqual(r.nodes[0].blockingBudgets, ['default/blue-pdb']);
    assert.deepEqual(r.nodes[0].pendingPods, [`default/${blueOnNode01.metadata.name}`]);
    assert.match(r.nodes[0].errorLine ?? '', /refused \(server dry run\): The disruption budget blue-pdb needs 3 healthy pods and has 3 currently/);
    assert.equal(rec.budgetWaits.length, 0, 'no waiting in a dry run');
    assert.equal(await unschedulable('node01'), false, 'nothing changed');
    assert.ok(await sb!.get('pods', 'default', blueOnNode01.metadata.name ?? ''));
  });

  it('leaves a StatefulSet pod recreated under the same name alone (UID precondition)', async () => {
    const { client } = await start();
    const sts = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: default}
spec:
  serviceName: web
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 30
      containers: [{name: web, image: "nginx:1.27.3"}]
`;
    const [original] = await onNode01(sts, 'web', 1);
    await apply(pdb('web-pdb', 'web', 'minAvailable: 1'));
    await budgetStatus('web-pdb', { disruptionsAllowed: 0, currentHealthy: 1 });
    let deleted: Promise<string> | undefined;
    const rec = recorder({
      onBudgetWait: () => {
        // Someone else removes web-0 meanwhile; the StatefulSet brings back a new web-0 elsewhere.
        deleted ??= kubectlOk(['delete', 'pod', 'web-0', '--grace-period=0', '--force']);
      },
    });
    const result = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true, surge: true, timeoutSeconds: 30 }), rec.callbacks);
    await deleted;
    assert.ok(rec.lines.includes('surge: StatefulSet default/web: cannot surge (its pods keep their names, so a replacement cannot start before the old pod is gone); evicting normally'), rec.lines.join('\n'));
    assert.equal(result.nodes[0].status, 'drained', JSON.stringify(result));
    assert.ok(rec.lines.some((l) => l.startsWith('line: pod/web-0 ')), rec.lines.join('\n'));
    assert.equal(rec.lines.includes('evicted: pod/web-0 evicted'), false);
    const replacement = await eventually('a new web-0 Ready elsewhere', async () => {
      const p = await sb!.get('pods', 'default', 'web-0');
      return p && p.metadata.uid !== original.metadata.uid && podReady(p) ? p : undefined;
    });
    assert.notEqual(nodeOf(replacement), 'node01');
    assert.equal(replacement.metadata.deletionTimestamp, undefined, 'the new web-0 was never evicted');
  });

  it('reports overlapping budgets clearly instead of retrying forever', async () => {
    const { client } = await start();
    await apply([pdb('blue-a', 'blue', 'maxUnavailable: 1'), pdb('blue-b', 'blue', 'maxUnavailable: 1')].join('---\n'));
    await budgetStatus('blue-a', { disruptionsAllowed: 1 });
    await budgetStatus('blue-b', { disruptionsAllowed: 1 });
    const blueOnNode01 = (await livePods('blue')).find((p) => nodeOf(p) === 'node01')!;
    const result: DrainResult = await drainNodes(client, ['node01'], options({ ignoreDaemonSets: true, force: true, timeoutSeconds: 30 }), recorder().callbacks);
    const [n] = result.nodes;
    assert.equal(n.status, 'failed');
    assert.equal(
      n.errorLine,
      `error: unable to drain node "node01" due to error: error when evicting pods/"${blueOnNode01.metadata.name}" -n "default": This pod has more than one PodDisruptionBudget, which the eviction subresource does not support. (selected by default/blue-a and default/blue-b; make them not overlap, or use --disable-eviction to bypass budgets), continuing command...`,
    );
    assert.deepEqual(n.pendingPods, [`default/${blueOnNode01.metadata.name}`]);
    assert.equal(await sb!.get('pods', 'default', 'green'), undefined, 'the other pods were evicted');
  });

  it('--max-unavailable 2 drains two nodes at once', async () => {
    const { client } = await start();
    const rec = recorder();
    const result = await drainNodes(client, ['node01', 'node02'], options({ ignoreDaemonSets: true, force: true, maxUnavailable: 2, timeoutSeconds: 60 }), rec.callbacks);
    assert.deepEqual(result.nodes.map((n) => [n.node, n.status]), [['node01', 'drained'], ['node02', 'drained']]);
    assert.deepEqual(rec.lines.slice(0, 2), ['cordoned: node/node01 cordoned', 'cordoned: node/node02 cordoned']);
    const blue = await readyPods('blue', 3);
    assert.deepEqual([...new Set(blue.map(nodeOf))], ['node03']);
  });
});

// The command line, on one sandbox: nodes chosen by a label selector (resolved once, not refused
// as "a name and a selector"), --timeout as a Go duration, and the closing lines built from the
// result's data (the flags a node needs), not from its error text.
describe('upkeep drain on the command line', () => {
  let sb: TestSandbox;
  let client: KubeClient;
  let k: string[];
  // Read through the API, as a user's tools would.
  const pods = async (): Promise<Pod[]> => (await client.list<Pod>({ version: 'v1', resource: 'pods' })).items.filter((p) => !p.metadata.deletionTimestamp);
  const podsOn = async (node: string): Promise<Pod[]> => (await pods()).filter((p) => podNodeName(p) === node);
  const unschedulable = async (node: string): Promise<boolean> => isNodeUnschedulable(await client.get<Node>({ version: 'v1', resource: 'nodes', name: node }));
  const readyBlue = async (): Promise<Pod[]> => (await pods()).filter((p) => p.metadata.labels?.app === 'blue' && isPodReady(p));
  before(async () => {
    sb = await testSandbox();
    client = await KubeClient.create({ kubeconfig: sb.kubeconfig });
    k = ['--kubeconfig', sb.kubeconfig];
    await eventually('3 ready blue pods', async () => ((await readyBlue()).length === 3 ? true : undefined));
    const r = await sb.kubectl(['label', 'node', 'node03', 'pool=x']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    client?.close();
    await sb?.stop();
  });

  it('rejects a --timeout that is not a Go duration, the way kubectl words it (exit 2)', async () => {
    const r = await upkeep([...k, 'drain', 'node03', '--timeout', '1 minute']);
    assert.deepEqual([r.code, r.err], [2, 'error: invalid argument "1 minute" for "--timeout" flag: time: unknown unit " minute" in duration "1 minute" (use a duration like 30s, 1m30s or 1h)\n']);
    assert.equal(await unschedulable('node03'), false);
  });

  it('rejects a node name together with a selector (exit 2)', async () => {
    const r = await upkeep([...k, 'drain', 'node03', '-l', 'pool=x']);
    assert.deepEqual([r.code, r.err], [2, 'error: cannot specify both a node name and a --selector option\n']);
  });

  it('a server dry run of the nodes a selector picks: the server asked, nothing changed', async () => {
    const before = await podsOn('node03');
    const evictable = podNames(before.filter((p) => !isDaemonSetPod(p)));
    assert.ok(evictable.length > 0, 'a blue replica runs on node03');
    const r = await upkeep([...k, 'drain', '-l', 'pool=x', '--ignore-daemonsets', '--dry-run=server']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n').filter((l) => l !== '');
    assert.equal(lines[0], 'node/node03 cordoned (server dry run)');
    assert.deepEqual(lines.filter((l) => l.startsWith('evicting pod ')).sort(), evictable.map((p) => `evicting pod ${p} (server dry run)`));
    assert.equal(lines.at(-1), 'node/node03 drained (server dry run)');
    assert.match(r.err, /^Warning: ignoring DaemonSet-managed Pods: kube-system\/\S+(, kube-system\/\S+)*$/m);
    assert.equal(await unschedulable('node03'), false);
    assert.deepEqual(podNames(await podsOn('node03')), podNames(before));
  });

  it('a refused node: the command to continue offers the flags it needs, from the result', async () => {
    const r = await upkeep([...k, 'drain', 'node01', '--ignore-daemonsets', '--timeout=1m30s']);
    assert.equal(r.code, 3, r.err);
    assert.match(r.err, /^error: unable to drain node "node01" due to error: cannot delete cannot delete Pods that declare no controller \(use --force to override\): default\/green, continuing command\.\.\.$/m);
    assert.ok(
      r.err.endsWith(`There are pending nodes to be drained:\n node01\nTo continue, if the pods named above may go as the flags say: upkeep --kubeconfig ${sb.kubeconfig} drain node01 --ignore-daemonsets --timeout=90s --force\n`),
      r.err,
    );
    assert.equal(await unschedulable('node01'), true, 'kubectl leaves a refused node cordoned');
    assert.equal((await upkeep([...k, 'uncordon', 'node01'])).code, 0);
  });

  it('drains the nodes a selector picks, with --timeout 1m30s', async () => {
    const r = await upkeep([...k, 'drain', '-l', 'pool=x', '--ignore-daemonsets', '--timeout', '1m30s']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n').filter((l) => l !== '');
    assert.equal(lines[0], 'node/node03 cordoned');
    assert.ok(lines.some((l) => /^pod\/blue-\S+ evicted$/.test(l)), r.out);
    assert.equal(lines.at(-1), 'node/node03 drained');
    assert.equal(await unschedulable('node03'), true);
    assert.deepEqual((await podsOn('node03')).filter((p) => !isDaemonSetPod(p)), [], 'only DaemonSet pods stay');
    const blue = await eventually('blue back to 3 ready replicas', async () => {
      const ready = await readyBlue();
      return ready.length === 3 ? ready : undefined;
    });
    assert.equal(blue.some((p) => podNodeName(p) === 'node03'), false);
  });
});
