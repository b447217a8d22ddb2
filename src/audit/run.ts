// `upkeep audit` as a library call: read what the chosen checks need (the only I/O here and in
// snapshot.ts/certsource.ts/permissions.ts), run the rules, and return the report as data.
import { labelSelectorFromObject, parseLabelSelector } from '../api/labels.js';
import { isDaemonSetPod, isMirrorPod, podNodeName } from '../api/pods.js';
import type { CertificateSigningRequest, Node, Pod, PodDisruptionBudget, Secret, ServiceAccount } from '../api/types.js';
import { planCollection } from '../backup/plan.js';
import { WORKLOAD_KINDS } from '../drain/gather.js';
import type { DrainImpactInput } from '../drain/impact.js';
import type { Workload } from '../drain/types.js';
import type { KubeClient } from '../kube/index.js';
import { isForbidden, isNotFound } from '../kube/index.js';
import { collectApiUsages, discoverClusterVersions } from '../upgrade/discover.js';
import { addMinor, minorKey, oldestOf } from '../upgrade/version.js';
import { REMOVED_API_MINORS_AHEAD, type Check, drainFindings, runChecks } from './checks.js';
import type { CertificateInfo } from './certs.js';
import { kubeconfigCertificate, pkiCertificates, serverCertificate } from './certsource.js';
import { type Finding, type Severity } from './finding.js';
import { type ImageRow, imageInventory } from './images.js';
import { MAINTENANCES, type Operation } from './maintenance.js';
import { type AccessScope, accessChecks, reviewAccess } from './permissions.js';
import { pullSecretNames } from './pullsecrets.js';
import { type Snapshot, readAll } from './snapshot.js';

export interface EtcdTLS {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface AuditOptions {
  checks: readonly Check[];
  /** One namespace (-n); undefined: every namespace. */
  namespace?: string;
  /** -l: only pods with these labels. */
  selector?: string;
  /** --for: the maintenance the findings are about. */
  operation?: Operation;
  /** --pki-dir: a kubeadm PKI directory on this machine. */
  pkiDir?: string;
  /** --etcd-endpoints: https://host:2379 URLs whose serving certificates to check. */
  etcdEndpoints?: string[];
  etcdTLS?: EtcdTLS;
  now?: number;
}

export interface AuditReport {
  checks: Check[];
  scope: { namespace?: string; allNamespaces: boolean; selector?: string };
  for?: Operation;
  findings: Finding[];
  counts: Record<Severity, number>;
  /** `upkeep audit images`: every container's image, digest and pull policy. */
  images?: ImageRow[];
  /** `upkeep audit certs`: every certificate read, kubeadm's ones first. */
  certificates?: CertificateInfo[];
}

/** A list that the user may not be allowed, or the cluster may not serve: undefined then. */
async function optionalList<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (isNotFound(e) || isForbidden(e)) return undefined;
    throw e;
  }
}

/** Nodes, and pods, budgets and workloads in scope (one namespace, or all). */
async function readScoped(client: KubeClient, namespace: string | undefined, selector: string | undefined): Promise<Snapshot> {
  const ns = namespace ? { namespace } : {};
  const [nodes, pods, pdbs, ...kinds] = await Promise.all([
    readAll<Node>(client, { version: 'v1', resource: 'nodes' }),
    readAll<Pod>(client, { version: 'v1', resource: 'pods', ...ns }),
    readAll<PodDisruptionBudget>(client, { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', ...ns }),
    ...WORKLOAD_KINDS.map((ref) => readAll<Workload>(client, { ...ref, ...ns })),
  ]);
  // -l keeps the pods it selects and the budgets that protect them (their workloads stay for replica counts).
  const selected = selector ? pods.filter((p) => parseLabelSelector(selector).matches(p.metadata.labels ?? {})) : pods;
  const budgets = selector ? pdbs.filter((b) => selected.some((p) => p.metadata.namespace === b.metadata.namespace && safeMatches(b, p))) : pdbs;
  return { nodes, pods: selected, pdbs: budgets, workloads: kinds.flat() };
}

function safeMatches(b: PodDisruptionBudget, p: Pod): boolean {
  try {
    return labelSelectorFromObject(b.spec?.selector).matches(p.metadata.labels ?? {});
  } catch {
    return false;
  }
}

/** The pods' ServiceAccounts and the pull secrets they and the pods name, each read by name (no list of every secret). */
export async function readPullSecrets(client: KubeClient, pods: readonly Pod[]): Promise<Pick<Snapshot, 'secrets' | 'unreadableSecrets' | 'serviceAccounts'>> {
  const accounts = new Set(pods.map((p) => `${p.metadata.namespace ?? ''}/${p.spec?.serviceAccountName ?? 'default'}`));
  const serviceAccounts: ServiceAccount[] = [];
  for (const key of accounts) {
    const [namespace, name] = key.split('/');
    const sa = await optionalList(() => client.get<ServiceAccount>({ version: 'v1', resource: 'serviceaccounts', namespace, name }));
    if (sa) serviceAccounts.push(sa);
  }
  const wanted = new Set(pods.flatMap((p) => pullSecretNames(p, { serviceAccounts }).map((n) => `${p.metadata.namespace ?? ''}/${n}`)));
  const secrets: Secret[] = [];
  const unreadableSecrets: string[] = [];
  for (const key of wanted) {
    const [namespace, name] = key.split('/');
    try {
      secrets.push(await client.get<Secret>({ version: 'v1', resource: 'secrets', namespace, name }));
    } catch (e) {
      if (isForbidden(e)) unreadableSecrets.push(key);
      else if (!isNotFound(e)) throw e;
    }
  }
  return { secrets, unreadableSecrets, serviceAccounts };
}

/** The API server's, the kubeconfig's, etcd's and (with a PKI directory) kubeadm's certificates. */
async function readCertificates(client: KubeClient, o: AuditOptions): Promise<CertificateInfo[]> {
  const config = client.config;
  const out: CertificateInfo[] = [];
  if (o.pkiDir) out.push(...(await pkiCertificates(o.pkiDir)));
  // A plain-HTTP server (a local proxy) presents no certificate to check.
  if (config.server.startsWith('https:')) out.push(await serverCertificate('apiserver', config.server, 'kube-apiserver serving'));
  const mine = await kubeconfigCertificate(config.kubeConfig.getCurrentUser(), `${config.source}, user ${config.userName || '(none)'}`);
  if (mine) out.push(mine);
  for (const endpoint of o.etcdEndpoints ?? []) out.push(await serverCertificate('etcd', endpoint, 'etcd serving', o.etcdTLS));
  return out;
}

/** Where the operation's per-namespace permissions are asked: the namespaces a drain evicts from and those with DaemonSet pods; what a backup collects. */
async function accessScope(client: KubeClient, operation: Operation, pods: readonly Pod[]): Promise<AccessScope> {
  const namespaces = (keep: (p: Pod) => boolean) => [...new Set(pods.filter(keep).map((p) => p.metadata.namespace ?? ''))].sort();
  const scope: AccessScope = { evicted: namespaces((p) => !isMirrorPod(p) && !isDaemonSetPod(p)), daemonSets: namespaces(isDaemonSetPod) };
  if (operation === 'backup' || operation === 'restore') scope.collected = planCollection(await client.discover(), {}).resources;
  return scope;
}

/** Read what the checks need and run them. */
export async function runAudit(client: KubeClient, o: AuditOptions): Promise<AuditReport> {
  const checks = [...o.checks];
  // Certificates alone need no object of the cluster (an admin on a control-plane node may have no list rights yet).
  const snapshot: Snapshot = checks.every((c) => c === 'certs') ? { nodes: [], pods: [], pdbs: [], workloads: [] } : await readScoped(client, o.namespace, o.selector);
  snapshot.now = o.now;
  if (checks.includes('images')) Object.assign(snapshot, await readPullSecrets(client, snapshot.pods));
  if (checks.includes('nodes')) {
    snapshot.cluster = await discoverClusterVersions(client);
    const oldest = oldestOf(snapshot.cluster.apiservers.map((a) => a.version));
    snapshot.apiUsages = await collectApiUsages(client, minorKey(oldest), minorKey(addMinor(oldest, REMOVED_API_MINORS_AHEAD)));
    snapshot.certificateSigningRequests = await optionalList(() => readAll<CertificateSigningRequest>(client, { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' }));
  }
  if (checks.includes('certs')) snapshot.certificates = await readCertificates(client, o);
  if (checks.includes('permissions')) {
    const operation = o.operation ?? 'drain';
    snapshot.accessReviews = await reviewAccess(client, accessChecks(operation, await accessScope(client, operation, snapshot.pods)));
  }
  const findings = runChecks(snapshot, MAINTENANCES[o.operation ?? 'maintenance'], checks);
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const counts = { blocking: count('blocking'), warning: count('warning'), info: count('info') };
  return {
    checks,
    scope: { ...(o.namespace ? { namespace: o.namespace } : {}), allNamespaces: !o.namespace, ...(o.selector ? { selector: o.selector } : {}) },
    ...(o.operation ? { for: o.operation } : {}),
    findings,
    counts,
    ...(checks.includes('images') ? { images: imageInventory(snapshot.pods) } : {}),
    ...(checks.includes('certs') ? { certificates: snapshot.certificates } : {}),
  };
}

/** The audit findings for the pods a drain removes, from what the drain's report gathered plus every node (for pinning) and the pods' pull secrets. */
export async function auditDrainedPods(client: KubeClient, input: DrainImpactInput): Promise<Finding[]> {
  const drained = new Set(input.nodes.map((n) => n.metadata.name ?? ''));
  const pods = input.pods.filter((p) => drained.has(podNodeName(p) ?? ''));
  const nodes = await readAll<Node>(client, { version: 'v1', resource: 'nodes' });
  return drainFindings({ nodes, pods, pdbs: input.pdbs, workloads: input.workloads, drainedNodes: [...drained], ...(await readPullSecrets(client, pods)) });
}
