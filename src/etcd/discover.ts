// `upkeep etcd discover`: where a cluster's etcd is, read through the Kubernetes API.
// Stacked etcd (kubeadm's default) runs as a static pod `etcd-<node>` in kube-system, labelled
// component=etcd, beside the API server; external etcd runs elsewhere, and the API server's
// --etcd-servers points at it. The pods' flags say the endpoints, the data dir and the
// certificates (paths on the control-plane node), from which the save command follows.
import { podNodeName } from '../api/pods.js';
import type { Container, Node, Pod } from '../api/types.js';
import type { KubeClient } from '../kube/index.js';

export interface EtcdMemberPod {
  pod: string;
  node: string;
  name?: string;
  image?: string;
  advertiseClientURLs: string[];
  listenClientURLs: string[];
  dataDir?: string;
  /** The host path behind the data dir (kubeadm: the `etcd-data` volume); what a restore repoints. */
  dataHostPath?: string;
  certFile?: string;
  keyFile?: string;
  trustedCAFile?: string;
  clientCertAuth: boolean;
  initialCluster?: string;
}

export interface ApiServerEtcd {
  pod: string;
  node: string;
  etcdServers: string[];
  cafile?: string;
  certfile?: string;
  keyfile?: string;
  prefix: string;
}

export interface EtcdDiscovery {
  topology: 'stacked' | 'external' | 'unknown';
  /** Why the topology is what it says. */
  reason: string;
  members: EtcdMemberPod[];
  apiservers: ApiServerEtcd[];
  /** The endpoints to reach etcd with, from a control-plane node. */
  endpoints: string[];
  /** Client certificate files to use (paths on a control-plane node). */
  cacert?: string;
  cert?: string;
  key?: string;
  /** Where to run the commands. */
  runOn?: string;
  saveCommand?: string;
  etcdctlCommand?: string;
  membersCommand?: string;
  warnings: string[];
}

/** `--flag=value` and `--flag value` from a container's command and args; the last one wins. */
export function parseFlags(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) flags.set(a.slice(2), argv[++i]);
    else flags.set(a.slice(2), 'true');
  }
  return flags;
}

function container(pod: Pod, name: string): Container | undefined {
  const cs = pod.spec?.containers ?? [];
  return cs.find((c) => c.name === name) ?? cs[0];
}

function argv(c: Container | undefined): string[] {
  return [...(c?.command ?? []), ...(c?.args ?? [])].map(String);
}

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The host path of the volume mounted at `mountPath`. */
function hostPathFor(pod: Pod, c: Container | undefined, mountPath: string | undefined): string | undefined {
  if (!mountPath) return undefined;
  const mounts = c?.volumeMounts ?? [];
  const volumes = pod.spec?.volumes ?? [];
  // The longest mount path that contains the directory.
  const mount = mounts
    .filter((m) => mountPath === m.mountPath || mountPath.startsWith(String(m.mountPath).replace(/\/$/, '') + '/'))
    .sort((a, b) => String(b.mountPath).length - String(a.mountPath).length)[0];
  if (!mount) return undefined;
  const host = volumes.find((v) => v.name === mount.name)?.hostPath?.path;
  if (typeof host !== 'string') return undefined;
  return host.replace(/\/$/, '') + mountPath.slice(String(mount.mountPath).replace(/\/$/, '').length);
}

function hostOf(url: string): string {
  const m = /^(?:[a-z]+:\/\/)?(\[[^\]]+\]|[^:/]+)/i.exec(url.trim());
  return (m?.[1] ?? url).replace(/^\[|\]$/g, '');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Pods of a control-plane component: by their `component` label, or by name when unlabelled. */
function componentPods(pods: Pod[], component: string): Pod[] {
  const label = (p: Pod) => p.metadata.labels?.component ?? '';
  return pods.filter((p) => label(p) === component || (!label(p) && (p.metadata.name ?? '').startsWith(`${component}-`)));
}

function memberPod(p: Pod): EtcdMemberPod {
  const c = container(p, 'etcd');
  const f = parseFlags(argv(c));
  const dataDir = f.get('data-dir');
  return {
    pod: p.metadata.name ?? '',
    node: podNodeName(p) ?? '',
    name: f.get('name'),
    image: c?.image,
    advertiseClientURLs: list(f.get('advertise-client-urls')),
    listenClientURLs: list(f.get('listen-client-urls')),
    dataDir,
    dataHostPath: hostPathFor(p, c, dataDir) ?? dataDir,
    certFile: f.get('cert-file'),
    keyFile: f.get('key-file'),
    trustedCAFile: f.get('trusted-ca-file'),
    clientCertAuth: f.get('client-cert-auth') === 'true',
    initialCluster: f.get('initial-cluster'),
  };
}

function apiserverPod(p: Pod): ApiServerEtcd {
  const f = parseFlags(argv(container(p, 'kube-apiserver')));
  return {
    pod: p.metadata.name ?? '',
    node: podNodeName(p) ?? '',
    etcdServers: list(f.get('etcd-servers')),
    cafile: f.get('etcd-cafile'),
    certfile: f.get('etcd-certfile'),
    keyfile: f.get('etcd-keyfile'),
    prefix: f.get('etcd-prefix') ?? '/registry',
  };
}

/** Stacked or external, and why: the API server's --etcd-servers against the hosts of the etcd pods (their URLs and their nodes' addresses). */
function topologyOf(members: EtcdMemberPod[], apiservers: ApiServerEtcd[], nodes: Node[], warnings: string[]): Pick<EtcdDiscovery, 'topology' | 'reason'> {
  const nodeAddrs = new Map<string, string[]>();
  for (const n of nodes) nodeAddrs.set(n.metadata.name ?? '', [n.metadata.name ?? '', ...(n.status?.addresses ?? []).map((a) => String(a.address))]);
  const etcdHosts = new Set<string>();
  for (const m of members) {
    for (const u of [...m.advertiseClientURLs, ...m.listenClientURLs]) etcdHosts.add(hostOf(u));
    for (const a of nodeAddrs.get(m.node) ?? [m.node]) etcdHosts.add(a);
  }
  const servers = [...new Set(apiservers.flatMap((a) => a.etcdServers))];
  const foreign = servers.filter((s) => !isLoopback(hostOf(s)) && !etcdHosts.has(hostOf(s)));
  const podNames = members.map((m) => m.pod).join(', ');
  if (members.length && !foreign.length) {
    return {
      topology: 'stacked',
      reason: `etcd runs as ${members.length === 1 ? 'a static pod' : `${members.length} static pods`} in kube-system (${podNames})${servers.length ? ` and the API server uses it (--etcd-servers=${servers.join(',')})` : ''}`,
    };
  }
  if (servers.length && foreign.length) {
    if (members.length) warnings.push(`etcd pods run in kube-system (${podNames}) but the API server does not use them`);
    return { topology: 'external', reason: `the API server's --etcd-servers points outside the cluster's etcd pods: ${foreign.join(',')}` };
  }
  if (members.length) return { topology: 'stacked', reason: `etcd runs as static pods in kube-system (${podNames}); no kube-apiserver pod was found to confirm it uses them` };
  // No etcd pod, yet the API server names its etcd on loopback: etcd runs on the control-plane host itself (a systemd unit, or beside an embedded API server).
  if (servers.length) return { topology: 'external', reason: `no etcd pod in kube-system; the API server's --etcd-servers names it on its own host: ${servers.join(',')}` };
  return {
    topology: 'unknown',
    reason: 'no etcd or kube-apiserver pods in kube-system: a managed control plane (EKS, GKE, AKS...) keeps etcd out of reach, or the control plane runs outside the cluster (systemd units); look for --etcd-servers in the kube-apiserver unit',
  };
}

type Commands = Pick<EtcdDiscovery, 'endpoints' | 'cacert' | 'cert' | 'key' | 'runOn' | 'saveCommand' | 'etcdctlCommand' | 'membersCommand'>;

/** Endpoints, certificates and commands, from where the commands would run: a control-plane node. */
function commandsFor(topology: EtcdDiscovery['topology'], members: EtcdMemberPod[], apiservers: ApiServerEtcd[]): Commands {
  const api = apiservers.find((a) => a.etcdServers.length);
  const first = members[0];
  let endpoints: string[] = [];
  let runOn: string | undefined;
  if (topology === 'stacked' && first) {
    const local = first.listenClientURLs.find((u) => isLoopback(hostOf(u)));
    endpoints = [local ?? first.advertiseClientURLs[0] ?? 'https://127.0.0.1:2379'];
    runOn = `control-plane node ${first.node} (the certificate paths are on it)`;
  } else if (topology === 'external' && api) {
    endpoints = api.etcdServers;
    runOn = `a control-plane node such as ${api.node} (it has the API server's etcd client certificate), or a host with a client certificate for etcd`;
  }
  // A client certificate is what etcd's --client-cert-auth expects: the API server's is one.
  // etcd's own server certificate also works on kubeadm (it carries client auth), as the docs use.
  const cacert = api?.cafile ?? first?.trustedCAFile;
  const cert = api?.certfile ?? first?.certFile;
  const key = api?.keyfile ?? first?.keyFile;
  if (!endpoints.length) return { endpoints, cacert, cert, key, runOn };
  const tls = [cacert && `--cacert=${cacert}`, cert && `--cert=${cert}`, key && `--key=${key}`].filter(Boolean).join(' ');
  const file = `/var/backups/etcd-snapshot-$(date +%Y%m%d-%H%M%S).db`;
  return {
    endpoints,
    cacert,
    cert,
    key,
    runOn,
    saveCommand: `upkeep etcd snapshot save ${file} --endpoints=${endpoints[0]}${tls ? ' ' + tls : ''}`,
    etcdctlCommand: `ETCDCTL_API=3 etcdctl --endpoints=${endpoints[0]}${tls ? ' ' + tls : ''} snapshot save ${file}`,
    membersCommand: `upkeep etcd members --endpoints=${endpoints.join(',')}${tls ? ' ' + tls : ''}`,
  };
}

/** What the pods in kube-system say about etcd (pure: pods in, findings out). */
export function analyzeEtcdPods(pods: Pod[], nodes: Node[] = []): EtcdDiscovery {
  const warnings: string[] = [];
  const members = componentPods(pods, 'etcd').map(memberPod);
  const apiservers = componentPods(pods, 'kube-apiserver').map(apiserverPod);
  const { topology, reason } = topologyOf(members, apiservers, nodes, warnings);
  const commands = commandsFor(topology, members, apiservers);
  const first = members[0];
  const api = apiservers.find((a) => a.etcdServers.length);
  if (first && !first.clientCertAuth && !api?.certfile) warnings.push(`etcd member ${first.pod} does not require client certificates (--client-cert-auth is off)`);
  if (members.length > 1 && members.length % 2 === 0) warnings.push(`${members.length} etcd pods: an even number of members survives no more failures than ${members.length - 1}; use an odd number`);
  const { endpoints, cacert, cert, key, runOn, saveCommand, etcdctlCommand, membersCommand } = commands;
  return { topology, reason, members, apiservers, endpoints, cacert, cert, key, runOn, saveCommand, etcdctlCommand, membersCommand, warnings };
}

/** Read the kube-system pods (and nodes, for their addresses) and analyse them. */
export async function discoverEtcd(client: KubeClient): Promise<EtcdDiscovery> {
  const pods = await client.list<Pod>({ version: 'v1', resource: 'pods', namespace: 'kube-system' });
  const relevant = pods.items.filter((p) => ['etcd', 'kube-apiserver'].includes(p.metadata.labels?.component ?? '') || /^(etcd|kube-apiserver)-/.test(p.metadata.name ?? ''));
  let nodes: Node[] = [];
  try {
    nodes = (await client.list<Node>({ version: 'v1', resource: 'nodes' })).items;
  } catch {
    // Listing nodes may be forbidden; node addresses only refine the stacked/external call.
  }
  return analyzeEtcdPods(relevant, nodes);
}
