// The workload controllers (Deployment, ReplicaSet, DaemonSet, StatefulSet, Job, CronJob) seen
// through real kubectl and the store, on the seed scenario (a tainted control plane and three
// workers): pods reach Running and spread, scale with `kubectl scale`, roll to a new image with
// `kubectl rollout status` succeeding (and back with `rollout undo`), come back when deleted or
// drained, respect cordons (except DaemonSet pods), keep StatefulSet identities, Jobs complete
// for `kubectl wait`, and CronJobs fire on the simulated clock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Pod } from '../src/api/types.js';
import { KubeClient } from '../src/kube/index.js';
import { type TestSandbox, eventually, nodeOf, podPhase, podReady, testSandbox } from './helpers/sandbox.js';

type Obj = Record<string, unknown>;

const WORKERS = ['node01', 'node02', 'node03'];
const status = (o: KubeObject | undefined): Obj => (o?.status as Obj | undefined) ?? {};
const spec = (o: KubeObject | undefined): Obj => (o?.spec as Obj | undefined) ?? {};
const image = (p: KubeObject): string => String(((spec(p).containers as Obj[]) ?? [])[0]?.image);

function deployment(ns: string, name: string, replicas: number, extra = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}${extra}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 5
      containers: [{name: app, image: "nginx:1.27.3"}]
`;
}

describe('workload controllers', () => {
  let sb: TestSandbox;
  /** The sandbox through its Kubernetes API, as any client sees it. */
  let client: KubeClient;
  before(async () => {
    sb = await testSandbox();
    client = await KubeClient.create({ kubeconfig: sb.kubeconfig });
  });
  after(async () => {
    client?.close();
    await sb?.stop();
  });

  async function apply(manifest: string): Promise<void> {
    const r = await sb.kubectl(['apply', '-f', '-'], { input: manifest });
    assert.equal(r.code, 0, r.stderr);
  }

  async function kubectlOk(args: string[]): Promise<string> {
    const r = await sb.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** Events in the order they were recorded (a list is sorted by name). */
  async function eventsIn(ns: string): Promise<KubeObject[]> {
    return (await sb.list('events', ns)).sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
  }

  /** Pods of an app that are not being deleted. */
  async function livePods(ns: string, app: string): Promise<KubeObject[]> {
    return (await sb.list('pods', ns)).filter((p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp);
  }

  async function runningPods(ns: string, app: string, n: number, timeoutMs?: number): Promise<KubeObject[]> {
    return eventually(
      `${n} running and ready ${app} pods (and no others)`,
      async () => {
        const all = await sb.list('pods', ns);
        const pods = all.filter((p) => p.metadata.labels?.app === app);
        return pods.length === n && pods.every((p) => podPhase(p) === 'Running' && podReady(p) && !p.metadata.deletionTimestamp) ? pods : undefined;
      },
      timeoutMs,
    );
  }

  it('runs Deployment pods on the schedulable nodes, spread evenly, with kube-shaped status', async () => {
    await kubectlOk(['create', 'namespace', 'spread']);
    await apply(deployment('spread', 'web', 6));
    const pods = await runningPods('spread', 'web', 6);
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(nodeOf(p) ?? '', (perNode.get(nodeOf(p) ?? '') ?? 0) + 1);
    assert.deepEqual([...perNode.keys()].sort(), WORKERS, 'never on the tainted control plane');
    assert.deepEqual([...perNode.values()], [2, 2, 2]);

    // One ReplicaSet named <deployment>-<pod-template-hash>, owning the pods.
    const rss = (await sb.list('replicasets.apps', 'spread')).filter((r) => r.metadata.ownerReferences?.[0]?.name === 'web');
    assert.equal(rss.length, 1);
    const rs = rss[0];
    const hash = rs.metadata.labels?.['pod-template-hash'];
    assert.match(hash ?? '', /^[456789bcdf]{6,10}$/, 'fnv32a in decimal, safe-encoded');
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.deepEqual((spec(rs).selector as Obj).matchLabels, { app: 'web', 'pod-template-hash': hash });
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '6');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '8', '6 + 25% surge rounded up');
    for (const p of pods) {
      assert.equal(p.metadata.name?.startsWith(`web-${hash}-`), true);
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }

    const d = await eventually('deployment status settles', async () => {
      const d = await sb.get('deployments.apps', 'spread', 'web');
      return status(d).availableReplicas === 6 && (status(d).conditions as Obj[])?.some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable') ? d : undefined;
    });
    const s = status(d);
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.deepEqual(
      { replicas: s.replicas, updatedReplicas: s.updatedReplicas, readyReplicas: s.readyReplicas, availableReplicas: s.availableReplicas, unavailableReplicas: s.unavailableReplicas, observedGeneration: s.observedGeneration },
      { replicas: 6, updatedReplicas: 6, readyReplicas: 6, availableReplicas: 6, unavailableReplicas: undefined, observedGeneration: 1 },
    );
    const conds = Object.fromEntries(((s.conditions as Obj[]) ?? []).map((c) => [c.type, `${c.status} ${c.reason}: ${c.message}`]));
    assert.deepEqual(conds, {
      Available: 'True MinimumReplicasAvailable: Deployment has minimum availability.',
      Progressing: `True NewReplicaSetAvailable: ReplicaSet "web-${hash}" has successfully progressed.`,
    });

    // kubectl reads it back the same way.
    const out = await kubectlOk(['get', 'deployment', 'web', '-n', 'spread']);
    assert.match(out, /web\s+6\/6\s+6\s+6/);
  });

  it('scales up and down with kubectl scale, removing the newest / least valuable pods', async () => {
    await kubectlOk(['scale', 'deployment', 'web', '-n', 'spread', '--replicas=9']);
    const nine = await runningPods('spread', 'web', 9);
    assert.deepEqual([...new Set(nine.map(nodeOf))].sort(), WORKERS);
    const rs = (await sb.list('replicasets.apps', 'spread'))[0];
    await eventually('RS annotations follow the scale', async () => {
      const r = await sb.get('replicasets.apps', 'spread', rs.metadata.name ?? '');
      return r?.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'] === '9' && spec(r).replicas === 9;
    });

    await kubectlOk(['scale', 'deployment', 'web', '-n', 'spread', '--replicas=3']);
    const three = await runningPods('spread', 'web', 3);
    // Doubled-up pods go first: one pod per worker is left.
    assert.deepEqual(three.map(nodeOf).sort(), WORKERS);
    const scaling = (await eventsIn('spread')).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => String(e.message));
    assert.ok(scaling.includes(`Scaled up replica set ${rs.metadata.name} from 6 to 9`), scaling.join('\n'));
    assert.ok(scaling.includes(`Scaled down replica set ${rs.metadata.name} from 9 to 3`), scaling.join('\n'));
    const rsEvents = (await eventsIn('spread')).filter((e) => e.reason === 'SuccessfulDelete');
    assert.equal(rsEvents.length, 6);
    assert.match(String(rsEvents[0].message), /^Deleted pod: web-/);
  });

  it('replaces a deleted pod', async () => {
    const before = await runningPods('spread', 'web', 3);
    const victim = before[0];
    await kubectlOk(['delete', 'pod', victim.metadata.name ?? '', '-n', 'spread', '--wait=false']);
    const after = await runningPods('spread', 'web', 3);
    assert.equal(after.some((p) => p.metadata.uid === victim.metadata.uid), false);
    assert.equal(after.filter((p) => !before.some((b) => b.metadata.uid === p.metadata.uid)).length, 1, 'exactly one replacement');
  });

  it('rolls out a new image with RollingUpdate; kubectl rollout status and history follow it', async () => {
    await apply(deployment('spread', 'roll', 4, '\n  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}'));
    await runningPods('spread', 'roll', 4);
    const first = await kubectlOk(['rollout', 'status', 'deployment/roll', '-n', 'spread', '--timeout=60s']);
    assert.match(first, /deployment "roll" successfully rolled out/);

    // Watch the pods during the rollout: never fewer than 4 available (maxUnavailable 0), never more than 5 (maxSurge 1).
    let minReady = Infinity;
    let maxPods = 0;
    const sampler = setInterval(async () => {
      const pods = (await sb.list('pods', 'spread')).filter((p) => p.metadata.labels?.app === 'roll' && !p.metadata.deletionTimestamp);
      minReady = Math.min(minReady, pods.filter(podReady).length);
      maxPods = Math.max(maxPods, pods.length);
    }, 5);
    await kubectlOk(['set', 'image', 'deployment/roll', '-n', 'spread', 'app=nginx:1.28.0']);
    const out = await kubectlOk(['rollout', 'status', 'deployment/roll', '-n', 'spread', '--timeout=60s']);
    clearInterval(sampler);
    assert.match(out, /deployment "roll" successfully rolled out/);
    const pods = await runningPods('spread', 'roll', 4);
    assert.deepEqual(pods.map(image), Array(4).fill('nginx:1.28.0'));
    assert.ok(minReady >= 4, `ready pods dipped to ${minReady}`);
    assert.ok(maxPods <= 5, `${maxPods} pods at once`);

    const rss = (await sb.list('replicasets.apps', 'spread')).filter((r) => r.metadata.ownerReferences?.[0]?.name === 'roll');
    const byRevision = Object.fromEntries(rss.map((r) => [r.metadata.annotations?.['deployment.kubernetes.io/revision'], spec(r).replicas]));
    assert.deepEqual(byRevision, { '1': 0, '2': 4 });
    const d = await sb.get('deployments.apps', 'spread', 'roll');
    assert.equal(d?.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    const history = await kubectlOk(['rollout', 'history', 'deployment/roll', '-n', 'spread']);
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);

    // Rolling back reuses the first ReplicaSet, now revision 3.
    await kubectlOk(['rollout', 'undo', 'deployment/roll', '-n', 'spread']);
    await kubectlOk(['rollout', 'status', 'deployment/roll', '-n', 'spread', '--timeout=60s']);
    assert.deepEqual((await runningPods('spread', 'roll', 4)).map(image), Array(4).fill('nginx:1.27.3'));
    const back = (await sb.list('replicasets.apps', 'spread')).filter((r) => r.metadata.ownerReferences?.[0]?.name === 'roll');
    assert.equal(back.length, 2);
    const old = back.find((r) => spec(r).replicas === 4);
    assert.equal(old?.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.equal(old?.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
  });

  it('Recreate takes every old pod down before starting new ones', async () => {
    await apply(deployment('spread', 'recreate', 3, '\n  strategy: {type: Recreate}'));
    await runningPods('spread', 'recreate', 3);
    let overlap = false;
    const sampler = setInterval(async () => {
      const pods = (await sb.list('pods', 'spread')).filter((p) => p.metadata.labels?.app === 'recreate');
      if (new Set(pods.map(image)).size > 1) overlap = true;
    }, 5);
    await kubectlOk(['set', 'image', 'deployment/recreate', '-n', 'spread', 'app=nginx:1.28.0']);
    await kubectlOk(['rollout', 'status', 'deployment/recreate', '-n', 'spread', '--timeout=60s']);
    clearInterval(sampler);
    assert.deepEqual((await runningPods('spread', 'recreate', 3)).map(image), Array(3).fill('nginx:1.28.0'));
    assert.equal(overlap, false, 'old and new pods existed at the same time');
  });

  it('a re-created Deployment adopts the ReplicaSet it orphaned, keeping its pods', async () => {
    await apply(deployment('spread', 'adopt', 2));
    const pods = await runningPods('spread', 'adopt', 2);
    await kubectlOk(['delete', 'deployment', 'adopt', '-n', 'spread', '--cascade=orphan']);
    const orphan = await eventually('the ReplicaSet orphaned', async () => {
      const rs = (await sb.list('replicasets.apps', 'spread')).find((r) => r.metadata.labels?.app === 'adopt');
      return rs && !rs.metadata.ownerReferences?.length ? rs : undefined;
    });
    await apply(deployment('spread', 'adopt', 2));
    const d = await eventually('the new Deployment available', async () => {
      const d = await sb.get('deployments.apps', 'spread', 'adopt');
      return status(d).availableReplicas === 2 ? d : undefined;
    });
    const rss = (await sb.list('replicasets.apps', 'spread')).filter((r) => r.metadata.labels?.app === 'adopt');
    assert.deepEqual(rss.map((r) => [r.metadata.name, r.metadata.ownerReferences?.[0]?.uid]), [[orphan.metadata.name, d.metadata.uid]]);
    const after = await runningPods('spread', 'adopt', 2);
    assert.deepEqual(after.map((p) => p.metadata.uid).sort(), pods.map((p) => p.metadata.uid).sort(), 'the same pods, none replaced');
  });

  it('keeps new Deployment pods off a cordoned node, while a DaemonSet still lands there', async () => {
    await kubectlOk(['create', 'namespace', 'cordon']);
    await kubectlOk(['cordon', 'node02']);
    try {
      await apply(deployment('cordon', 'app', 6));
      const pods = await runningPods('cordon', 'app', 6);
      assert.deepEqual([...new Set(pods.map(nodeOf))].sort(), ['node01', 'node03']);

      await apply(`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: cordon}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "busybox:1.37"}]
`);
      const agents = await runningPods('cordon', 'agent', 3);
      assert.deepEqual(agents.map(nodeOf).sort(), WORKERS, 'one per worker, the cordoned one included; not the tainted control plane');
      const onCordoned = agents.find((p) => nodeOf(p) === 'node02')!;
      const tolerations = (spec(onCordoned).tolerations as Obj[]).map((t) => `${t.key}:${t.effect}${t.tolerationSeconds === undefined ? '' : `/${t.tolerationSeconds}`}`);
      assert.deepEqual(tolerations, [
        'node.kubernetes.io/not-ready:NoExecute',
        'node.kubernetes.io/unreachable:NoExecute',
        'node.kubernetes.io/disk-pressure:NoSchedule',
        'node.kubernetes.io/memory-pressure:NoSchedule',
        'node.kubernetes.io/pid-pressure:NoSchedule',
        'node.kubernetes.io/unschedulable:NoSchedule',
      ]);
      assert.deepEqual((((spec(onCordoned).affinity as Obj).nodeAffinity as Obj).requiredDuringSchedulingIgnoredDuringExecution as Obj).nodeSelectorTerms, [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node02'] }] },
      ]);
      const ds = await eventually('daemonset status', async () => {
        const ds = await sb.get('daemonsets.apps', 'cordon', 'agent');
        return status(ds).numberAvailable === 3 ? ds : undefined;
      });
      const s = status(ds);
      assert.deepEqual(
        [s.desiredNumberScheduled, s.currentNumberScheduled, s.numberMisscheduled, s.numberReady, s.numberAvailable, s.updatedNumberScheduled, s.numberUnavailable, s.observedGeneration],
        [3, 3, 0, 3, 3, 3, undefined, 1],
      );
      const hash = onCordoned.metadata.labels?.['controller-revision-hash'];
      assert.equal(onCordoned.metadata.labels?.['pod-template-generation'], '1');
      const revisions = (await sb.list('controllerrevisions.apps', 'cordon')).map((r) => [r.metadata.name, r.revision]);
      assert.deepEqual(revisions, [[`agent-${hash}`, 1]]);
      assert.match(await kubectlOk(['rollout', 'status', 'daemonset/agent', '-n', 'cordon', '--timeout=30s']), /daemon set "agent" successfully rolled out/);

      // A node that stops matching the nodeSelector loses its pod.
      await kubectlOk(['patch', 'daemonset', 'agent', '-n', 'cordon', '--type=merge', '-p', '{"spec":{"template":{"spec":{"nodeSelector":{"agent":"yes"}}}}}']);
      await kubectlOk(['label', 'node', 'node01', 'node03', 'agent=yes']);
      const placed = await runningPods('cordon', 'agent', 2);
      assert.deepEqual(placed.map(nodeOf).sort(), ['node01', 'node03']);
      assert.equal(placed.every((p) => p.metadata.labels?.['pod-template-generation'] === '2'), true);
    } finally {
      await sb.kubectl(['uncordon', 'node02']);
      await sb.kubectl(['label', 'node', 'node01', 'node03', 'agent-']);
    }
  });

  it('brings drained pods back on other nodes', async () => {
    await kubectlOk(['create', 'namespace', 'drain']);
    await apply(deployment('drain', 'blue', 3));
    const before = await runningPods('drain', 'blue', 3);
    const victim = nodeOf(before[0]) ?? '';
    const r = await sb.kubectl(['drain', victim, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=60s'], { timeoutMs: 90_000 });
    try {
      assert.equal(r.code, 0, r.stderr);
      const after = await runningPods('drain', 'blue', 3);
      assert.equal(after.some((p) => nodeOf(p) === victim), false);
      const left = (await sb.list('pods')).filter((p) => nodeOf(p) === victim && !p.metadata.deletionTimestamp);
      assert.deepEqual(
        left.filter((p) => p.metadata.ownerReferences?.[0]?.kind !== 'DaemonSet' && p.metadata.ownerReferences?.[0]?.kind !== 'Node').map((p) => p.metadata.name),
        [],
        'only DaemonSet and static pods stay on a drained node',
      );
    } finally {
      await sb.kubectl(['uncordon', victim]);
    }
  });

  it('StatefulSet: ordered creation, stable names, a deleted pod comes back under its name', async () => {
    await kubectlOk(['create', 'namespace', 'sts']);
    // Record, for each new pod, whether its predecessor was Running and Ready at that moment:
    // a watch through the API delivers changes in order, so the predecessor's last state seen
    // before the new pod's ADDED is its state when the new pod was created.
    const violations: string[] = [];
    const podsRef = { version: 'v1', resource: 'pods', namespace: 'sts' };
    const { metadata } = await client.list<Pod>(podsRef);
    const watching = new AbortController();
    const watched = (async () => {
      const seen = new Map<string, Pod>();
      for await (const e of client.watch<Pod>(podsRef, { resourceVersion: metadata.resourceVersion, signal: watching.signal })) {
        if (e.type === 'RELIST') {
          seen.clear();
          for (const p of e.items) seen.set(p.metadata.name ?? '', p);
          continue;
        }
        const name = e.object.metadata.name ?? '';
        const m = /^db-(\d+)$/.exec(name);
        if (e.type === 'ADDED' && m && m[1] !== '0') {
          const prev = seen.get(`db-${Number(m[1]) - 1}`);
          if (!prev || !podReady(prev) || podPhase(prev) !== 'Running') violations.push(name);
        }
        if (e.type === 'DELETED') seen.delete(name);
        else if (e.type !== 'BOOKMARK') seen.set(name, e.object);
      }
    })();
    await apply(`apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: sts}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 10
      containers: [{name: db, image: "postgres:17"}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`);
    const pods = await runningPods('sts', 'db', 3);
    watching.abort();
    await watched;
    assert.deepEqual(violations, []);
    assert.deepEqual(pods.map((p) => p.metadata.name).sort(), ['db-0', 'db-1', 'db-2']);
    const db1 = pods.find((p) => p.metadata.name === 'db-1')!;
    const sts = await eventually('statefulset status', async () => {
      const s = await sb.get('statefulsets.apps', 'sts', 'db');
      return status(s).availableReplicas === 3 && status(s).currentRevision ? s : undefined;
    });
    const rev = String(status(sts).currentRevision);
    assert.match(rev, /^db-[456789bcdf]+$/);
    assert.deepEqual(db1.metadata.labels, { app: 'db', 'controller-revision-hash': rev, 'statefulset.kubernetes.io/pod-name': 'db-1', 'apps.kubernetes.io/pod-index': '1' });
    assert.equal(spec(db1).hostname, 'db-1');
    assert.equal(spec(db1).subdomain, 'db');
    assert.deepEqual((spec(db1).volumes as Obj[]).find((v) => v.name === 'data'), { name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } });
    assert.deepEqual((await sb.list('persistentvolumeclaims', 'sts')).map((c) => c.metadata.name).sort(), ['data-db-0', 'data-db-1', 'data-db-2']);
    const s = status(sts);
    assert.deepEqual([s.replicas, s.readyReplicas, s.currentReplicas, s.updatedReplicas, s.availableReplicas, s.updateRevision, s.observedGeneration], [3, 3, 3, 3, 3, rev, 1]);

    await kubectlOk(['delete', 'pod', 'db-1', '-n', 'sts', '--wait=false']);
    const back = await eventually('db-1 recreated', async () => {
      const p = await sb.get('pods', 'sts', 'db-1');
      return p && p.metadata.uid !== db1.metadata.uid && podReady(p) ? p : undefined;
    });
    assert.equal(back.metadata.name, 'db-1');
    // kubectl's message for the default RollingUpdate (partition 0).
    assert.match(await kubectlOk(['rollout', 'status', 'statefulset/db', '-n', 'sts', '--timeout=30s']), /partitioned roll out complete: 3 new pods have been updated/);

    // Scale down removes the highest ordinals.
    await kubectlOk(['scale', 'statefulset', 'db', '-n', 'sts', '--replicas=1']);
    const one = await runningPods('sts', 'db', 1);
    assert.equal(one[0].metadata.name, 'db-0');
    const deletes = (await eventsIn('sts')).filter((e) => e.reason === 'SuccessfulDelete').map((e) => String(e.message));
    assert.deepEqual(deletes, ['delete Pod db-2 in StatefulSet db successful', 'delete Pod db-1 in StatefulSet db successful']);
  });

  it('StatefulSet rolling update replaces pods from the highest ordinal', async () => {
    await kubectlOk(['scale', 'statefulset', 'db', '-n', 'sts', '--replicas=3']);
    await runningPods('sts', 'db', 3);
    await kubectlOk(['set', 'image', 'statefulset/db', '-n', 'sts', 'db=postgres:17.2']);
    const out = await kubectlOk(['rollout', 'status', 'statefulset/db', '-n', 'sts', '--timeout=60s']);
    assert.match(out, /partitioned roll out complete: 3 new pods have been updated/);
    const pods = await runningPods('sts', 'db', 3);
    assert.deepEqual(pods.map(image), Array(3).fill('postgres:17.2'));
    // The scale-down before deleted db-2 and db-1 with the same messages: those Events count twice
    // now (client-go's recorder patches a repeat), and db-0's is new.
    const deletes = (await eventsIn('sts')).filter((e) => e.reason === 'SuccessfulDelete').map((e) => [String(e.message), e.count]);
    assert.deepEqual(deletes, [['delete Pod db-2 in StatefulSet db successful', 2], ['delete Pod db-1 in StatefulSet db successful', 2], ['delete Pod db-0 in StatefulSet db successful', 1]]);
    const s = status(await sb.get('statefulsets.apps', 'sts', 'db'));
    assert.equal(s.currentRevision, s.updateRevision);
  });

  it('Job: runs to completion for kubectl wait, counting a deleted pod as failed', async () => {
    await kubectlOk(['create', 'namespace', 'jobs']);
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: batch, namespace: jobs}
spec:
  completions: 4
  parallelism: 2
  template:
    # The simulated container runs for 60 s (1 s real at time scale 60).
    metadata: {labels: {app: batch}, annotations: {sandbox.upkeep.dev/run-seconds: "60"}}
    spec:
      restartPolicy: Never
      containers: [{name: work, image: "busybox:1.37"}]
`);
    // Delete the first pod while it runs: it counts as failed and is replaced.
    const first = await eventually('a running job pod', async () => (await livePods('jobs', 'batch')).find((p) => podPhase(p) === 'Running'));
    assert.deepEqual(first.metadata.finalizers, ['batch.kubernetes.io/job-tracking']);
    assert.match(first.metadata.name ?? '', /^batch-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    // (Through the API client, not kubectl: the pod must still be running when the delete lands.)
    await client.delete({ version: 'v1', resource: 'pods', namespace: 'jobs', name: first.metadata.name ?? '' }, {});
    const r = await sb.kubectl(['wait', '--for=condition=complete', 'job/batch', '-n', 'jobs', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /job.batch\/batch condition met/);
    const job = await sb.get('jobs.batch', 'jobs', 'batch');
    const s = status(job);
    assert.equal(s.succeeded, 4);
    assert.equal(s.failed, 1);
    assert.equal(s.active, undefined);
    assert.equal(s.ready, 0);
    assert.equal(s.terminating, 0);
    assert.deepEqual(s.uncountedTerminatedPods, {});
    assert.ok(s.startTime && s.completionTime);
    assert.deepEqual(
      ((s.conditions as Obj[]) ?? []).map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
        ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
      ],
    );
    const pods = await sb.list('pods', 'jobs');
    assert.equal(pods.filter((p) => podPhase(p) === 'Succeeded').length, 4, 'completed pods are kept');
    assert.equal(pods.some((p) => p.metadata.finalizers?.length), false, 'tracking finalizers are released');
    assert.match(await kubectlOk(['get', 'job', 'batch', '-n', 'jobs']), /batch\s+Complete\s+4\/4/);
    const reasons = (await eventsIn('jobs')).filter((e) => (e.involvedObject as Obj).kind === 'Job').map((e) => e.reason);
    assert.equal(reasons.filter((x) => x === 'SuccessfulCreate').length, 5);
    assert.equal(reasons.at(-1), 'Completed');
  });

  it('Indexed Job completes every index once', async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: indexed, namespace: jobs}
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers: [{name: work, image: "busybox:1.37"}]
`);
    const r = await sb.kubectl(['wait', '--for=condition=complete', 'job/indexed', '-n', 'jobs', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    const s = status(await sb.get('jobs.batch', 'jobs', 'indexed'));
    assert.equal(s.completedIndexes, '0-2');
    assert.equal(s.succeeded, 3);
    const pods = (await sb.list('pods', 'jobs')).filter((p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === 'indexed');
    assert.deepEqual(pods.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort(), ['0', '1', '2']);
    assert.deepEqual(pods.map((p) => spec(p).hostname).sort(), ['indexed-0', 'indexed-1', 'indexed-2']);
  });

  it('CronJob: runs its Job on the simulated clock and keeps the history limit', async () => {
    await kubectlOk(['create', 'namespace', 'cron']);
    // Every minute of simulated time: every second at time scale 60.
    await apply(`apiVersion: batch/v1
kind: CronJob
metadata: {name: tick, namespace: cron}
spec:
  schedule: "* * * * *"
  successfulJobsHistoryLimit: 2
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: tick, image: "busybox:1.37"}]
`);
    const cronEvents = async () => (await eventsIn('cron')).filter((e) => (e.involvedObject as Obj).kind === 'CronJob');
    const cj = await eventually(
      'a completed job beyond the history limit deleted',
      async () => {
        const c = await sb.get('cronjobs.batch', 'cron', 'tick');
        const deleted = (await cronEvents()).some((e) => e.reason === 'SuccessfulDelete');
        return deleted && status(c).lastSuccessfulTime ? c : undefined;
      },
      30_000,
    );
    const created = (await cronEvents()).filter((e) => e.reason === 'SuccessfulCreate').map((e) => String(e.message));
    assert.ok(created.length >= 3, created.join('\n'));
    assert.match(created[0], /^Created job tick-\d+$/);
    // One minute of simulated time between consecutive jobs.
    const minutes = created.map((m) => Number(m.split('-').at(-1)));
    for (let i = 1; i < minutes.length; i++) assert.equal(minutes[i] - minutes[i - 1], 1, `${created[i - 1]} then ${created[i]}`);
    const completed = (await sb.list('jobs.batch', 'cron')).filter((j) => ((j.status as Obj | undefined)?.conditions as Obj[] | undefined)?.some((c) => c.type === 'Complete'));
    assert.ok(completed.length <= 2, 'successfulJobsHistoryLimit 2');
    const jobs = await sb.list('jobs.batch', 'cron');
    for (const j of jobs) {
      assert.match(j.metadata.name ?? '', /^tick-\d+$/, 'named after the scheduled minute');
      assert.equal(j.metadata.ownerReferences?.[0]?.kind, 'CronJob');
      assert.ok(j.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']);
    }
    assert.ok(status(cj).lastScheduleTime);
    const reasons = new Set((await cronEvents()).map((e) => e.reason));
    assert.ok(reasons.has('SawCompletedJob'), [...reasons].join(','));
    await kubectlOk(['patch', 'cronjob', 'tick', '-n', 'cron', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
  });
});
