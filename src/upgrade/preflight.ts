// Upgrade preflight: what would stop or hurt the upgrade before any step runs. kubeadm's own
// health checks (NotReady control-plane nodes, an unhealthy static-pod control plane), and, per
// node, what the runbook's `kubectl drain NODE --ignore-daemonsets` would do there, worked out by
// the drain impact analysis (refused nodes, budgets that never allow an eviction, workloads that
// go down, bare pods that are lost), plus images a rollback could not return to (:latest or no
// tag). preflightFindings is pure over a snapshot; preflight reads the snapshot and calls it.
import { controllerOf, isMirrorPod } from '../api/pods.js';
import type { KubeObject, Node, Pod, PodDisruptionBudget } from '../api/types.js';
import type { KubeClient } from '../kube/index.js';
import { WORKLOAD_KINDS, listEvery } from '../drain/gather.js';
import { analyzeDrain } from '../drain/impact.js';
import { drainOptions, type DrainImpact, type Workload } from '../drain/types.js';
import type { Finding, Severity } from './plan.js';
import { imageTag } from './discover.js';

type Obj = Record<string, unknown>;

export interface PreflightSnapshot {
  nodes: Node[];
  /** Every pod in the cluster. */
  pods: Pod[];
  pdbs: PodDisruptionBudget[];
  /** ReplicaSets, Deployments, StatefulSets, DaemonSets, Jobs, ReplicationControllers. */
  workloads: Workload[];
  /** ms since the epoch (drain's --skip-wait-for-delete-timeout); defaults to now. */
  now?: number;
}

const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];
const STATIC_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/** The runbook drains with the Kubernetes docs' command: kubectl drain NODE --ignore-daemonsets. */
const RUNBOOK_DRAIN = drainOptions({ ignoreDaemonSets: true });

const RESOURCE_OF_KIND: Record<string, string> = {
  Pod: 'pod',
  Deployment: 'deployment.apps',
  ReplicaSet: 'replicaset.apps',
  StatefulSet: 'statefulset.apps',
  DaemonSet: 'daemonset.apps',
  Job: 'job.batch',
  CronJob: 'cronjob.batch',
  ReplicationController: 'replicationcontroller',
  PodDisruptionBudget: 'poddisruptionbudget.policy',
};

/** "deployment.apps default/blue", as kubectl names objects (resource.group namespace/name). */
export function objectName(kind: string, namespace: string | undefined, name: string): string {
  const resource = RESOURCE_OF_KIND[kind] ?? kind.toLowerCase();
  return namespace ? `${resource} ${namespace}/${name}` : `${resource}/${name}`;
}

function isControlPlane(node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  return CONTROL_PLANE_LABELS.some((l) => l in labels);
}

function condition(obj: KubeObject, type: string): Obj | undefined {
  return (((obj.status as Obj | undefined)?.conditions as Obj[] | undefined) ?? []).find((c) => c.type === type);
}

function nodeNameOf(pod: KubeObject): string {
  return String((pod.spec as Obj | undefined)?.nodeName ?? '');
}

const SEVERITY_ORDER: Record<Severity, number> = { blocking: 0, warning: 1, info: 2 };

function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] || a.i - b.i)
    .map((x) => x.f);
}

// ---------------------------------------------------------------------------------------------
// kubeadm's cluster health: nodes and the control plane
// ---------------------------------------------------------------------------------------------

function nodeFindings(nodes: KubeObject[]): Finding[] {
  const out: Finding[] = [];
  const notReadyControlPlanes = nodes.filter((n) => isControlPlane(n) && condition(n, 'Ready')?.status !== 'True').map((n) => n.metadata.name ?? '');
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    const ready = condition(node, 'Ready');
    if (ready?.status !== 'True') {
      const state = ready?.status === 'Unknown' ? 'NotReady (its kubelet stopped posting status)' : 'NotReady';
      if (isControlPlane(node)) {
        out.push({
          severity: 'blocking',
          code: 'NodeNotReady',
          object: `node/${name}`,
          message: `control-plane node ${name} is ${state}: kubeadm upgrade's ControlPlaneNodesReady check fails ("there are NotReady control-planes in the cluster: [${notReadyControlPlanes.join(' ')}]")`,
          fix: `bring ${name} back to Ready (on the node: systemctl status kubelet; journalctl -xeu kubelet) before upgrading`,
        });
      } else {
        out.push({
          severity: 'warning',
          code: 'NodeNotReady',
          object: `node/${name}`,
          message: `node ${name} is ${state}: its pods cannot be drained gracefully and its kubelet cannot be upgraded until it is back`,
          fix: `bring ${name} back (systemctl status kubelet on the node), or remove it from the cluster (kubectl delete node ${name}) before the upgrade`,
        });
      }
    }
    if ((node.spec as Obj | undefined)?.unschedulable === true) {
      out.push({
        severity: 'info',
        code: 'NodeCordoned',
        object: `node/${name}`,
        message: `node ${name} is already cordoned: the runbook's uncordon after its upgrade makes it schedulable again`,
        fix: `if ${name} should stay out of service, skip its uncordon step (upkeep uncordon only uncordons nodes upkeep cordoned)`,
      });
    }
  }
  return out;
}

function controlPlaneFindings(nodes: KubeObject[], pods: KubeObject[]): Finding[] {
  const out: Finding[] = [];
  const staticPods = pods.filter((p) => p.metadata.namespace === 'kube-system' && p.metadata.labels?.tier === 'control-plane' && p.metadata.labels?.component);
  if (!staticPods.some((p) => p.metadata.labels?.component === 'kube-apiserver')) {
    out.push({
      severity: 'info',
      code: 'NoStaticPodControlPlane',
      message: 'no kube-apiserver static pod in kube-system: the control plane is not run by kubeadm here (a managed or hosted control plane); versions come from /version',
      fix: "upgrade the control plane with its provider's tooling; the runbook's kubeadm steps apply to kubeadm clusters only",
    });
    return out;
  }
  for (const pod of staticPods) {
    const component = pod.metadata.labels?.component ?? '';
    const node = nodeNameOf(pod);
    const phase = String((pod.status as Obj | undefined)?.phase ?? 'Unknown');
    const ready = condition(pod, 'Ready')?.status === 'True';
    if (phase === 'Running' && ready) continue;
    out.push({
      severity: 'blocking',
      code: 'ControlPlanePodNotReady',
      object: objectName('Pod', 'kube-system', pod.metadata.name ?? ''),
      message: `${component} on ${node} is ${phase}${phase === 'Running' ? ' but not Ready' : ''}: kubeadm upgrade refuses an unhealthy control plane, and a component that is down now will not come back by upgrading`,
      fix: `kubectl -n kube-system describe pod ${pod.metadata.name}; on ${node}: sudo crictl ps -a --name ${component} and journalctl -xeu kubelet; fix it before upgrading`,
    });
  }
  for (const node of nodes.filter(isControlPlane)) {
    const name = node.metadata.name ?? '';
    const missing = STATIC_COMPONENTS.filter((c) => !staticPods.some((p) => p.metadata.labels?.component === c && nodeNameOf(p) === name));
    if (!missing.length) continue;
    out.push({
      severity: 'warning',
      code: 'ControlPlanePodMissing',
      object: `node/${name}`,
      message: `control-plane node ${name} has no ${missing.join(', ')} static pod: kubeadm upgrade expects their manifests in /etc/kubernetes/manifests (its StaticPodManifest check)`,
      fix: `check /etc/kubernetes/manifests on ${name} and the kubelet's staticPodPath; a node that is not a kubeadm control plane should not carry the control-plane role label`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Drains, one node at a time as the runbook does them
// ---------------------------------------------------------------------------------------------

function drainFindings(s: PreflightSnapshot): Finding[] {
  const byNamespace = new Map<string, Pod[]>();
  for (const p of s.pods) {
    const ns = p.metadata.namespace ?? '';
    const list = byNamespace.get(ns);
    if (list) list.push(p);
    else byNamespace.set(ns, [p]);
  }
  const refused: Finding[] = [];
  const budgets = new Map<string, { impact: DrainImpact['podDisruptionBudgets'][number]; nodes: string[] }>();
  const overlaps = new Map<string, { budgets: string[]; node: string }>();
  const workloads: Finding[] = [];
  const seenWorkloads = new Set<string>();
  for (const node of [...s.nodes].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    const name = node.metadata.name ?? '';
    const namespaces = new Set(s.pods.filter((p) => nodeNameOf(p) === name).map((p) => p.metadata.namespace ?? ''));
    if (!namespaces.size) continue;
    const pods = [...namespaces].flatMap((ns) => byNamespace.get(ns) ?? []);
    const impact = analyzeDrain({ nodes: [node], pods, pdbs: s.pdbs, workloads: s.workloads, options: RUNBOOK_DRAIN, now: s.now });
    const n = impact.nodes[0];
    if (n?.refused) {
      const needs = [...new Set(n.pods.flatMap((p) => p.needs))];
      const lost = n.pods.filter((p) => p.fate === 'blocked' && p.lost);
      const losing = lost.length ? `; with them, ${lost.map((p) => `${p.namespace}/${p.name} ${p.lost === 'pod' ? 'is lost' : 'loses its emptyDir data'}`).join(', ')}` : '';
      refused.push({
        severity: 'blocking',
        code: 'DrainRefused',
        object: `node/${name}`,
        message: `kubectl drain ${name} --ignore-daemonsets (the runbook's drain) would refuse ${name}, evict nothing and leave it cordoned: ${n.errors.join('; ')}`,
        fix: needs.length
          ? `move or delete those pods first, or drain with ${needs.join(' ')}${losing} (upkeep drain ${name} --ignore-daemonsets ${needs.join(' ')} --dry-run shows every pod's fate)`
          : `look at the pods named above (upkeep drain ${name} --ignore-daemonsets --dry-run): no drain flag gets past them`,
      });
    }
    for (const b of impact.podDisruptionBudgets) {
      if (!b.blocks) continue;
      const key = `${b.namespace}/${b.name}`;
      const entry = budgets.get(key) ?? { impact: b, nodes: [] };
      entry.nodes.push(name);
      if (b.waitsForever && !entry.impact.waitsForever) entry.impact = b;
      budgets.set(key, entry);
    }
    for (const o of impact.overlappingBudgets) overlaps.set(o.pod, { budgets: o.podDisruptionBudgets, node: o.node });
    for (const w of impact.workloads) {
      const key = `${w.kind}/${w.namespace}/${w.name}`;
      if (seenWorkloads.has(key)) continue;
      const object = objectName(w.kind, w.namespace, w.name);
      if (w.verdict === 'goes down') {
        seenWorkloads.add(key);
        const single = w.replicas === 1;
        workloads.push({
          severity: 'warning',
          code: single ? 'SingleReplicaWorkload' : 'WorkloadGoesDown',
          object,
          message: single
            ? `${object} has a single replica, on ${name}: draining ${name} takes it down until its replacement is ready elsewhere`
            : `${object}: all ${w.readyOnDrainedNodes} ready replicas run on ${name}: draining ${name} takes it down until replacements are ready elsewhere`,
          fix: `run 2 or more replicas spread over nodes (with a PodDisruptionBudget), or drain with upkeep drain ${name} --ignore-daemonsets --surge (starts a replacement elsewhere first)`,
        });
      } else if (w.verdict === 'lost') {
        seenWorkloads.add(key);
        const bare = w.kind === 'Pod';
        workloads.push({
          severity: 'warning',
          code: bare ? 'BarePod' : 'OrphanedPod',
          object: bare ? object : w.pods.map((p) => objectName('Pod', p.split('/')[0], p.split('/')[1])).join(', '),
          message: bare
            ? `pod ${w.namespace}/${w.name} on ${name} declares no controller: draining ${name} needs --force and deletes it, and nothing recreates it`
            : `${w.pods.join(', ')} on ${name} belong to DaemonSet ${w.namespace}/${w.name}, which is gone: draining ${name} needs --force and nothing recreates them`,
          fix: bare ? `run it under a Deployment (or StatefulSet), or recreate it by hand after ${name} is upgraded` : `delete the orphaned pods, or recreate the DaemonSet`,
        });
      }
    }
  }
  const out = [...refused];
  for (const [key, { impact: b, nodes }] of budgets) {
    const object = objectName('PodDisruptionBudget', b.namespace, b.name);
    const on = nodes.join(', ');
    if (b.waitsForever) {
      out.push({
        severity: 'blocking',
        code: 'PDBAllowsNoDisruption',
        object,
        message: `PodDisruptionBudget ${key} allows no disruption even at full strength (${b.desiredHealthy} healthy of ${b.expectedPods} required): draining ${on} waits for it forever`,
        fix: `relax it (maxUnavailable: 1), or scale its workload above ${b.desiredHealthy}; or drain with --disable-eviction, accepting the outage the budget exists to prevent`,
      });
    } else {
      out.push({
        severity: 'warning',
        code: 'PDBBlocksDrain',
        object,
        message: `PodDisruptionBudget ${key} allows ${b.disruptionsAllowed} disruption(s) now but draining ${on} needs ${b.evictions}: the drain waits until its pods are healthy again (${b.currentHealthy} healthy, ${b.desiredHealthy} required)`,
        fix: `let its workload recover first (kubectl get pdb -n ${b.namespace} ${b.name}), then drain`,
      });
    }
  }
  for (const [pod, o] of overlaps) {
    out.push({
      severity: 'blocking',
      code: 'OverlappingPDBs',
      object: objectName('Pod', pod.split('/')[0], pod.split('/')[1]),
      message: `pod ${pod} on ${o.node} is selected by more than one PodDisruptionBudget (${o.budgets.join(', ')}): the eviction API answers 500 and the drain of ${o.node} fails`,
      fix: `make the budgets' selectors disjoint so each pod has at most one`,
    });
  }
  return [...out, ...workloads];
}

// ---------------------------------------------------------------------------------------------
// Images a rollback cannot return to
// ---------------------------------------------------------------------------------------------

/** The object a pod's image comes from: its controller, through ReplicaSet to Deployment and Job to CronJob. */
function ownerOf(pod: KubeObject, workloads: Map<string, KubeObject>): { kind: string; namespace: string; name: string } {
  const namespace = pod.metadata.namespace ?? '';
  let ref = controllerOf(pod);
  if (!ref) return { kind: 'Pod', namespace, name: pod.metadata.name ?? '' };
  for (let depth = 0; depth < 2; depth++) {
    const parent = workloads.get(`${ref.kind}/${namespace}/${ref.name}`);
    const up = parent && controllerOf(parent);
    if (!up || !['Deployment', 'CronJob'].includes(up.kind)) break;
    ref = up;
  }
  return { kind: ref.kind, namespace, name: ref.name };
}

/** Why an image reference is not pinned, or null when it is (a tag other than latest, or a digest). */
export function unpinned(image: string): string | null {
  if (image.includes('@')) return null;
  const tag = imageTag(image);
  if (tag === undefined) return 'no tag: pulls latest';
  return tag === 'latest' ? 'latest' : null;
}

function imageFindings(pods: Pod[], workloads: KubeObject[]): Finding[] {
  const index = new Map(workloads.map((w) => [`${w.kind}/${w.metadata.namespace ?? ''}/${w.metadata.name ?? ''}`, w]));
  const byOwner = new Map<string, { owner: { kind: string; namespace: string; name: string }; images: Set<string> }>();
  for (const pod of pods) {
    if (isMirrorPod(pod)) continue;
    const spec = (pod.spec as Obj | undefined) ?? {};
    const cs = [...(((spec.initContainers as Obj[] | undefined) ?? [])), ...(((spec.containers as Obj[] | undefined) ?? []))];
    for (const c of cs) {
      if (typeof c?.image !== 'string') continue;
      const why = unpinned(c.image);
      if (!why) continue;
      const owner = ownerOf(pod, index);
      const key = `${owner.kind}/${owner.namespace}/${owner.name}`;
      const entry = byOwner.get(key) ?? { owner, images: new Set<string>() };
      entry.images.add(`${c.image} (container ${String(c.name)}${why === 'latest' ? '' : `, ${why}`})`);
      byOwner.set(key, entry);
    }
  }
  return [...byOwner.values()]
    .sort((a, b) => a.owner.namespace.localeCompare(b.owner.namespace) || a.owner.name.localeCompare(b.owner.name))
    .map(({ owner, images }) => {
      const object = objectName(owner.kind, owner.namespace, owner.name);
      return {
        severity: 'warning' as const,
        code: 'ImageNotPinned',
        object,
        message: `${object} runs ${[...images].join(', ')}: pods recreated during the node drains pull whatever that tag points to then, and a rollback cannot return to the build that ran before`,
        fix: `pin a version tag or a digest (image@sha256:...) before the upgrade`,
      };
    });
}

// ---------------------------------------------------------------------------------------------

/** Every preflight finding, blocking first. Pure. */
export function preflightFindings(s: PreflightSnapshot): Finding[] {
  return sortFindings([...nodeFindings(s.nodes), ...controlPlaneFindings(s.nodes, s.pods), ...drainFindings(s), ...imageFindings(s.pods, s.workloads)]);
}

/** Read what preflight looks at: nodes, pods, budgets and workloads, cluster-wide. */
export async function gatherPreflight(client: KubeClient): Promise<PreflightSnapshot> {
  const [nodes, pods, pdbs, ...kinds] = await Promise.all([
    listEvery<Node>(client, { version: 'v1', resource: 'nodes' }, { limit: 500 }),
    listEvery<Pod>(client, { version: 'v1', resource: 'pods' }, { limit: 500 }),
    listEvery<PodDisruptionBudget>(client, { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' }, { limit: 500 }),
    ...WORKLOAD_KINDS.map((ref) => listEvery<Workload>(client, ref, { limit: 500 })),
  ]);
  return { nodes, pods, pdbs, workloads: kinds.flat() };
}

export async function preflight(client: KubeClient): Promise<Finding[]> {
  return preflightFindings(await gatherPreflight(client));
}
