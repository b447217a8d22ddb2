// What an upgrade plan starts from, read as `kubeadm upgrade plan` reads it: the image tags of
// the control-plane static pods (mirror pods in kube-system labelled component=<name>,
// tier=control-plane) per node, /version, every node's kubeletVersion, the kube-proxy DaemonSet
// and the CoreDNS Deployment (k8s-app=kube-dns). No etcd pods means external etcd, found through
// the apiserver's --etcd-servers. Plus the API usages a removed-API scan needs.
// Thin: lists only, then one pure function (clusterVersionsFrom) assembles the answer.
import { isNodeReady, isNodeUnschedulable, kubeletVersion } from '../api/nodes.js';
import { podNodeName } from '../api/pods.js';
import type { Container, DaemonSet, Deployment, KubeObject, Node, Pod } from '../api/types.js';
import { imageTag } from '../audit/images.js';
import { readAll } from '../audit/snapshot.js';
import type { APIResourceInfo, KubeClient } from '../kube/index.js';
import { isForbidden, isNotFound } from '../kube/index.js';
import type { ClusterVersions, Instance } from './plan.js';
import { REMOVED_APIS, type ApiUsage, type RemovedApi } from './removedapis.js';
import { detectManagedControlPlane } from './managed.js';
import { nodeGroupOf, type NodeGroupRef } from './nodegroups.js';
import { minorOrder, parseVersion, tryParseVersion } from './version.js';

export { imageTag };

/** The control-plane components kubeadm runs as static pods, by their `component` label. */
export const CONTROL_PLANE_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;
export type ControlPlaneComponent = (typeof CONTROL_PLANE_COMPONENTS)[number];

function isControlPlaneComponent(c: string | undefined): c is ControlPlaneComponent {
  return CONTROL_PLANE_COMPONENTS.some((x) => x === c);
}

/** kubeadm's control-plane role label, and the one it used before 1.20. */
const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

/** A node kubeadm made a control-plane node: it carries the role label. */
export function isControlPlaneNode(node: Pick<Node, 'metadata'>): boolean {
  const labels = node.metadata.labels ?? {};
  return CONTROL_PLANE_LABELS.some((l) => l in labels);
}

/** The component a kubeadm static control-plane pod runs (its `component` label, with tier=control-plane). */
export function controlPlaneComponent(pod: Pick<Pod, 'metadata'>): string | undefined {
  const labels = pod.metadata.labels ?? {};
  return (labels.tier === 'control-plane' && labels.component) || undefined;
}

export interface DiscoveredNode {
  name: string;
  controlPlane: boolean;
  /** Condition Ready=True. */
  ready: boolean;
  /** spec.unschedulable. */
  cordoned: boolean;
  kubeletVersion: string;
  /** status.nodeInfo.osImage ("Debian GNU/Linux 12 (bookworm)"): which package manager the runbook uses. */
  osImage: string;
  /** The provider's node group it belongs to (EKS, eksctl, GKE, AKS labels): upgraded by the provider, not by host. */
  nodeGroup?: NodeGroupRef;
}

/** ClusterVersions plus what the runbook and the report need besides versions. */
export interface DiscoveredCluster extends ClusterVersions {
  nodes: DiscoveredNode[];
  /** External etcd: the apiserver's --etcd-servers (kubeadm does not upgrade external etcd). */
  etcdEndpoints: string[];
  /** Components found but whose version could not be read (a digest-only image, a custom tag). */
  unreadable: Array<{ component: string; node?: string; image: string }>;
  /** Control-plane static pods found in kube-system: false on a managed or non-kubeadm control plane. */
  staticPodControlPlane: boolean;
}

/** Everything discovery reads, as plain objects (what the pure assembly works from). */
export interface DiscoverySnapshot {
  nodes: Node[];
  /** kube-system pods labelled tier=control-plane. */
  controlPlanePods: Pod[];
  kubeProxy?: DaemonSet;
  /** kube-system Deployments labelled k8s-app=kube-dns. */
  dnsDeployments: Deployment[];
  /** /version's gitVersion. */
  serverVersion: string;
}

/** The container named like the component, else the first one (kubeadm reads containers[0]). */
function componentContainer(cs: readonly Container[] | undefined, name: string): Container | undefined {
  return cs?.find((x) => x.name === name) ?? cs?.[0];
}

function componentImage(cs: readonly Container[] | undefined, name: string): string | undefined {
  return componentContainer(cs, name)?.image || undefined;
}

/** A flag's value from a command line ("--etcd-servers=a,b" or "--etcd-servers a,b"). */
export function flagValue(args: string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith(`${flag}=`)) return args[i].slice(flag.length + 1);
    if (args[i] === flag && i + 1 < args.length) return args[i + 1];
  }
  return undefined;
}

function commandLine(pod: Pod, component: string): string[] {
  const c = componentContainer(pod.spec?.containers, component);
  return [...(c?.command ?? []), ...(c?.args ?? [])];
}

function byName(a: { node: string }, b: { node: string }): number {
  return a.node.localeCompare(b.node);
}

type StaticPods = Map<ControlPlaneComponent, Array<{ node: string; image: string; pod: Pod }>>;

/** kubeadm's static control-plane pods with a readable image, by component. */
function staticPodsOf(pods: readonly Pod[]): StaticPods {
  const out: StaticPods = new Map();
  for (const pod of pods) {
    const component = controlPlaneComponent(pod);
    if (!isControlPlaneComponent(component)) continue;
    const image = componentImage(pod.spec?.containers, component);
    if (!image) continue;
    out.set(component, [...(out.get(component) ?? []), { node: podNodeName(pod) ?? '', image, pod }]);
  }
  return out;
}

/** Stacked etcd members from their static pods; no etcd pods means external etcd, found in the apiserver's --etcd-servers. */
function etcdOf(staticPods: StaticPods): { etcd: ClusterVersions['etcd']; etcdEndpoints: string[] } {
  const etcdPods = staticPods.get('etcd') ?? [];
  if (etcdPods.length > 0) {
    const members = etcdPods.map(({ node, image }) => ({ node, version: imageTag(image) ?? image })).sort((a, b) => a.node.localeCompare(b.node));
    return { etcd: { topology: 'stacked', members }, etcdEndpoints: [] };
  }
  const servers = new Set<string>();
  for (const { pod } of staticPods.get('kube-apiserver') ?? []) {
    for (const url of (flagValue(commandLine(pod, 'kube-apiserver'), '--etcd-servers') ?? '').split(',')) if (url.trim()) servers.add(url.trim());
  }
  return { etcd: { topology: 'external', members: [] }, etcdEndpoints: [...servers].sort() };
}

function nodesOf(nodes: readonly Node[], controlPlaneNodes: ReadonlySet<string>): DiscoveredNode[] {
  return nodes
    .map((n) => {
      const name = n.metadata.name ?? '';
      const nodeGroup = nodeGroupOf(n.metadata.labels);
      return {
        name,
        ...(nodeGroup ? { nodeGroup } : {}),
        controlPlane: isControlPlaneNode(n) || controlPlaneNodes.has(name),
        ready: isNodeReady(n),
        cordoned: isNodeUnschedulable(n),
        kubeletVersion: kubeletVersion(n) ?? '',
        osImage: n.status?.nodeInfo?.osImage ?? '',
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** kube-proxy's version and CoreDNS's tag, from the DaemonSet's and the Deployment's images. */
function addonsOf(s: DiscoverySnapshot, unreadable: DiscoveredCluster['unreadable']): Pick<ClusterVersions, 'kubeProxy' | 'coreDNS'> {
  const out: Pick<ClusterVersions, 'kubeProxy' | 'coreDNS'> = {};
  if (s.kubeProxy) {
    const image = componentImage(s.kubeProxy.spec?.template.spec?.containers, 'kube-proxy');
    const kubeProxy = tryParseVersion(imageTag(image ?? ''));
    if (kubeProxy) out.kubeProxy = kubeProxy;
    else if (image) unreadable.push({ component: 'kube-proxy', image });
  }
  const dns = s.dnsDeployments.find((d) => d.metadata.name === 'coredns') ?? s.dnsDeployments[0];
  if (dns) {
    const image = componentImage(dns.spec?.template.spec?.containers, 'coredns');
    const coreDNS = image ? imageTag(image) : undefined;
    if (coreDNS) out.coreDNS = coreDNS;
    else if (image) unreadable.push({ component: 'CoreDNS', image });
  }
  return out;
}

/** Assemble the cluster's versions from what discovery read. Pure. */
export function clusterVersionsFrom(s: DiscoverySnapshot): DiscoveredCluster {
  const serverVersion = parseVersion(s.serverVersion);
  const unreadable: DiscoveredCluster['unreadable'] = [];
  const staticPods = staticPodsOf(s.controlPlanePods);
  const versions = (component: ControlPlaneComponent): Instance[] => {
    const out: Instance[] = [];
    for (const { node, image } of staticPods.get(component) ?? []) {
      const version = tryParseVersion(imageTag(image));
      if (version) out.push({ node, version });
      else unreadable.push({ component, node, image });
    }
    return out.sort(byName);
  };
  const apiserverPods = staticPods.get('kube-apiserver') ?? [];
  let apiservers = versions('kube-apiserver');
  // No readable apiserver pod (a managed control plane): /version is all there is, as older kubeadm read it.
  if (apiservers.length === 0) apiservers = [{ node: '', version: serverVersion }];
  const { etcd, etcdEndpoints } = etcdOf(staticPods);

  const nodes = nodesOf(s.nodes, new Set(apiserverPods.map((p) => p.node)));
  const kubelets: ClusterVersions['kubelets'] = [];
  for (const n of nodes) {
    const version = tryParseVersion(n.kubeletVersion);
    if (version) kubelets.push({ node: n.name, version, controlPlane: n.controlPlane });
    else unreadable.push({ component: 'kubelet', node: n.name, image: n.kubeletVersion });
  }
  const { kubeProxy, coreDNS } = addonsOf(s, unreadable);
  const managed = detectManagedControlPlane({
    serverVersion: s.serverVersion,
    staticPodControlPlane: apiserverPods.length > 0,
    controlPlaneNodes: nodes.filter((n) => n.controlPlane).length,
    nodes: s.nodes.map((n) => ({ labels: n.metadata.labels, providerID: n.spec?.providerID })),
  });

  return {
    apiservers,
    controllerManagers: versions('kube-controller-manager'),
    schedulers: versions('kube-scheduler'),
    etcd,
    kubelets,
    ...(kubeProxy ? { kubeProxy } : {}),
    ...(coreDNS ? { coreDNS } : {}),
    serverVersion,
    nodes,
    etcdEndpoints,
    unreadable,
    staticPodControlPlane: apiserverPods.length > 0,
    ...(managed ? { managed } : {}),
  };
}

/** Read the cluster's component versions the way kubeadm upgrade plan does. */
export async function discoverClusterVersions(client: KubeClient): Promise<DiscoveredCluster> {
  const [version, nodes, controlPlanePods, kubeProxy, dnsDeployments] = await Promise.all([
    client.serverVersion(),
    readAll<Node>(client, { version: 'v1', resource: 'nodes' }),
    readAll<Pod>(client, { version: 'v1', resource: 'pods', namespace: 'kube-system' }, { labelSelector: 'tier=control-plane' }),
    client.get<DaemonSet>({ group: 'apps', version: 'v1', resource: 'daemonsets', namespace: 'kube-system', name: 'kube-proxy' }).catch((e: unknown) => {
      // No kube-proxy (replaced by a CNI's own, e.g. Cilium): no row, as kubeadm with the addon skipped.
      if (isNotFound(e)) return undefined;
      throw e;
    }),
    readAll<Deployment>(client, { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'kube-system' }, { labelSelector: 'k8s-app=kube-dns' }),
  ]);
  return clusterVersionsFrom({ nodes, controlPlanePods, kubeProxy, dnsDeployments, serverVersion: version.gitVersion });
}

// ---------------------------------------------------------------------------------------------
// API usages for the removed-API scan
// ---------------------------------------------------------------------------------------------

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function minorOf(v: string): number {
  const version = tryParseVersion(v);
  return version ? minorOrder(version) : NaN;
}

function groupVersionOf(api: { group: string; version: string }): string {
  return api.group ? `${api.group}/${api.version}` : api.version;
}

/**
 * The usages one stored object shows (pure): the apiVersion its last-applied configuration was
 * written with, and the apiVersions of the managers in managedFields; only those in `wanted`
 * ("apiVersion|Kind"), the removed APIs the scan looks for.
 */
export function usagesOf(obj: KubeObject, kind: string, wanted: ReadonlySet<string>): ApiUsage[] {
  const out: ApiUsage[] = [];
  const base = { kind, name: obj.metadata.name ?? '', ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) };
  const lastApplied = obj.metadata.annotations?.[LAST_APPLIED];
  if (lastApplied) {
    try {
      const parsed: unknown = JSON.parse(lastApplied);
      const apiVersion = typeof parsed === 'object' && parsed !== null && 'apiVersion' in parsed ? parsed.apiVersion : undefined;
      if (typeof apiVersion === 'string' && wanted.has(`${apiVersion}|${kind}`)) out.push({ ...base, apiVersion, source: 'last-applied' });
    } catch {
      // not JSON: kubectl would not read it either
    }
  }
  const seen = new Set<string>();
  for (const mf of obj.metadata.managedFields ?? []) {
    const apiVersion = mf?.apiVersion;
    if (typeof apiVersion !== 'string' || seen.has(apiVersion) || !wanted.has(`${apiVersion}|${kind}`)) continue;
    seen.add(apiVersion);
    out.push({ ...base, apiVersion, source: 'managedFields' });
  }
  return out;
}

/**
 * What the cluster shows of the APIs removed after `fromMinor` up to `toMinor`: for each such
 * kind the cluster serves, its stored objects' last-applied apiVersion and managedFields
 * apiVersions; and objects of a kind the cluster serves only at a removed version (no
 * replacement served), which are readable only through it ('served').
 * The apiserver converts on read, so an object listed through any version looks the same: the
 * annotations are the only trace of how it was written (pluto's and kubent's method).
 */
export async function collectApiUsages(client: KubeClient, fromMinor: string, toMinor: string): Promise<ApiUsage[]> {
  const from = minorOf(fromMinor);
  const to = minorOf(toMinor);
  const relevant = REMOVED_APIS.filter((a) => {
    const removed = minorOf(a.removedIn);
    return removed > from && removed <= to;
  });
  if (relevant.length === 0) return [];
  const discovery = await client.discover();
  const served = new Map<string, APIResourceInfo>(); // "group|version|resource"
  for (const g of discovery.groups) for (const v of g.versions) for (const r of v.resources) served.set(`${r.group}|${r.version}|${r.resource}`, r);
  const servedVersions = (group: string, resource: string): APIResourceInfo[] => [...served.values()].filter((r) => r.group === group && r.resource === resource);

  // One list per kind (group + resource), whatever version serves it.
  const byKind = new Map<string, { group: string; resource: string; kind: string; apis: RemovedApi[] }>();
  for (const api of relevant) {
    const key = `${api.group}|${api.resource}`;
    const entry = byKind.get(key) ?? { group: api.group, resource: api.resource, kind: api.kind, apis: [] };
    entry.apis.push(api);
    byKind.set(key, entry);
  }
  // Replacements live in another group at times (extensions/v1beta1 Ingress -> networking.k8s.io/v1).
  const usages: ApiUsage[] = [];
  for (const entry of byKind.values()) {
    const candidates = new Map<string, APIResourceInfo>();
    for (const r of servedVersions(entry.group, entry.resource)) candidates.set(`${r.group}|${r.version}`, r);
    for (const api of entry.apis) {
      if (api.replacement === 'none') continue;
      const group = api.replacement.includes('/') ? api.replacement.split('/')[0] : '';
      for (const r of servedVersions(group, entry.resource)) candidates.set(`${r.group}|${r.version}`, r);
    }
    if (candidates.size === 0) continue;
    const removedGVs = new Set(entry.apis.map((a) => groupVersionOf(a)));
    // Prefer a version that is not being removed: it shows the objects whatever they were written with.
    const readVia = [...candidates.values()].sort((a, b) => Number(removedGVs.has(groupVersionOf(a))) - Number(removedGVs.has(groupVersionOf(b))))[0];
    const onlyRemoved = removedGVs.has(groupVersionOf(readVia));
    const wanted = new Set(entry.apis.map((a) => `${groupVersionOf(a)}|${a.kind}`));
    let objects: KubeObject[];
    try {
      objects = await readAll<KubeObject>(client, { group: readVia.group, version: readVia.version, resource: readVia.resource });
    } catch (e) {
      if (isForbidden(e) || isNotFound(e)) continue;
      throw e;
    }
    for (const obj of objects) {
      const found = usagesOf(obj, entry.kind, wanted);
      if (onlyRemoved && !found.length) {
        found.push({ apiVersion: groupVersionOf(readVia), kind: entry.kind, name: obj.metadata.name ?? '', ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}), source: 'served' });
      }
      usages.push(...found);
    }
  }
  return usages;
}
