// A running sandbox: store, registry, controllers and the HTTPS API server, started from a
// scenario, with a kubeconfig (CA data + bearer token) for kubectl and upkeep to use.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import YAML from 'yaml';
import type { KubeObject } from '../api/types.js';
import { StatusError } from '../api/status.js';
import { checkWritableFile, writeFileAtomic } from '../util/atomic.js';
import { type Clock, isoTime, scaledClock } from './clock.js';
import { ApiServer } from './server/apiserver.js';
import { Registry } from './server/registry.js';
import { generateTLS } from './server/tls.js';
import { errorMessage } from './server/json.js';
import { BUILTIN_SCENARIOS } from './scenario/builtin.js';
import { type Scenario, ScenarioError, expandNodes, nodeObject, parseScenario } from './scenario/scenario.js';
import { MemoryStore } from './store/memory.js';
import type { Store } from './store/store.js';
import type { EtcdInfo } from './kubelet/staticpods.js';
import { powerRoutes } from './power.js';
import type { Kubelets } from './kubelet/kubelet.js';
import { SandboxAuth } from './auth/auth.js';
import { defaultRbacObjects, scenarioUserEntries } from './auth/kubeconfig.js';
import { RateLimitedLog } from './log.js';
import { defaultStorageClass } from './controllers/storage.js';

export interface SandboxOptions {
  /** A built-in scenario name, a file path, or a parsed scenario. */
  scenario?: string | Scenario;
  port?: number;
  host?: string;
  kubeconfigOut?: string;
  /** The kubeconfig's context (and cluster and user) name; default upkeep-<scenario>-<port>, so two sandboxes merge without colliding. */
  name?: string;
  timeScale?: number;
  /** tolerationSeconds of the default not-ready/unreachable tolerations (the eviction timeout). */
  evictionTimeoutSeconds?: number;
  store?: Store;
  /** Keep the objects in a real etcd, in Kubernetes' key layout, instead of in memory (ignored when `store` is given). */
  etcd?: SandboxEtcdOptions;
  /** Start the controllers and simulated kubelets (off: an API server only). */
  controllers?: boolean;
  /** How often watches that allow bookmarks get one (real ms; kube: about a minute). */
  bookmarkIntervalMs?: number;
  /** Longest watch before the server ends it (real seconds; kube: --min-request-timeout 1800, randomised). */
  maxWatchSeconds?: number;
  log?: (line: string) => void;
}

export interface SandboxEtcdOptions {
  /** Client URLs (kube-apiserver's --etcd-servers). */
  endpoints: string[];
  /** PEM files: kube-apiserver's --etcd-cafile, --etcd-certfile, --etcd-keyfile. */
  cafile?: string;
  certfile?: string;
  keyfile?: string;
  /** kube-apiserver's --etcd-prefix (default /registry). */
  prefix?: string;
}

export interface SandboxControllers {
  stop(): Promise<void>;
}

/** Hook filled in by the controllers module, so a bare API server carries no controller code. */
export type ControllerStarter = (sandbox: Sandbox) => Promise<SandboxControllers>;

export class Sandbox {
  readonly registry: Registry;
  readonly clock: Clock;
  readonly server: ApiServer;
  readonly token: string;
  readonly scenario: Scenario;
  readonly caCertPem: string;
  url = '';
  kubeconfigPath?: string;
  /** The kubeconfig's context name (SandboxOptions.name). */
  contextName?: string;
  private controllers?: SandboxControllers;
  private controlPlaneVersion: string;
  /** Client URLs of the real etcd the store is on, if it is. */
  private etcdEndpoints?: string[];
  /** Control-plane nodes whose static pods run another version (scenario controlPlaneVersion), until the next control-plane upgrade. */
  private readonly controlPlaneVersions = new Map<string, string>();
  /** Set by the kubelet controller when controllers run. */
  kubelets?: Kubelets;
  /** Identities and RBAC (src/sandbox/auth). */
  auth?: SandboxAuth;
  readonly log: (line: string) => void;

  private constructor(registry: Registry, server: ApiServer, token: string, scenario: Scenario, caCertPem: string, log?: (line: string) => void) {
    this.log = log ?? (() => undefined);
    this.registry = registry;
    this.clock = registry.clock;
    this.server = server;
    this.token = token;
    this.scenario = scenario;
    this.caCertPem = caCertPem;
    this.controlPlaneVersion = scenario.controlPlane.version;
  }

  static async start(options: SandboxOptions = {}, startControllers?: ControllerStarter): Promise<Sandbox> {
    // An unwritable --kubeconfig-out is bad input: refuse it before anything starts serving.
    if (options.kubeconfigOut) await checkWritableFile(options.kubeconfigOut);
    const scenario = await loadScenario(options.scenario ?? 'seed');
    const clock = scaledClock(options.timeScale ?? 1);
    // An etcd outage makes the store retry its watch twice a second: one line per 10 s is enough.
    const storeLog = options.log ? new RateLimitedLog(options.log) : undefined;
    const store = options.store ?? (options.etcd ? await openEtcdStore(options.etcd, storeLog && ((l) => storeLog.warn(l))) : new MemoryStore({ historyWindowMs: clock.real(5 * 60_000) }));
    const registry = new Registry(store, { clock, defaultTolerationSeconds: options.evictionTimeoutSeconds ?? 300 });
    const token = randomBytes(24).toString('base64url');
    const host = options.host ?? '127.0.0.1';
    const tls = await generateTLS([host, 'localhost']);
    const holder: { sandbox?: Sandbox } = {};
    const auth = new SandboxAuth({ adminToken: token, users: scenario.users ?? [], ca: tls, store, clock });
    const server = new ApiServer({
      registry,
      tokens: [token],
      auth,
      tls: { cert: tls.certPem, key: tls.keyPem, ca: tls.caCertPem },
      version: () => holder.sandbox?.version() ?? scenario.controlPlane.version,
      extraRoutes: (req, body, url) => (holder.sandbox ? powerRoutes(holder.sandbox)(req, body, url) : Promise.resolve(undefined)),
      bookmarkIntervalMs: options.bookmarkIntervalMs,
      maxWatchSeconds: options.maxWatchSeconds,
      log: options.log,
    });
    const sandbox = new Sandbox(registry, server, token, scenario, tls.caCertPem, options.log);
    holder.sandbox = sandbox;
    registry.services.serverVersion = () => sandbox.version();
    registry.serverVersion = () => sandbox.version();
    sandbox.auth = auth;
    sandbox.etcdEndpoints = options.store ? undefined : options.etcd?.endpoints;
    let port: number;
    try {
      // A store that already holds a cluster (an etcd the sandbox ran on before, or restored from
      // a snapshot) is served as it is.
      if (store.resources().length === 0) await sandbox.bootstrap();
      port = await server.listen(options.port ?? 0, host);
    } catch (e) {
      // An etcd store opened here holds a connection (and the process) open: let it go.
      if (!options.store && options.etcd) await store.close().catch(() => undefined);
      throw e;
    }
    sandbox.url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    if (options.controllers !== false && startControllers) sandbox.controllers = await startControllers(sandbox);
    sandbox.contextName = options.name ?? `upkeep-${scenario.name}-${port}`;
    if (options.kubeconfigOut) {
      try {
        await sandbox.writeKubeconfig(options.kubeconfigOut);
      } catch (e) {
        // A sandbox nobody can reach (no kubeconfig) must not keep serving.
        await sandbox.stop().catch(() => undefined);
        throw e;
      }
    }
    return sandbox;
  }

  version(): string {
    return this.controlPlaneVersion;
  }

  setVersion(v: string): void {
    this.controlPlaneVersion = v;
  }

  /** The version of a control-plane node's static pods. */
  controlPlaneVersionOf(node: string): string {
    return this.controlPlaneVersions.get(node) ?? this.controlPlaneVersion;
  }

  /**
   * What `kubeadm upgrade apply` does: the static pods (and so /version) move to the new
   * version, then kube-proxy and CoreDNS. Kubelets are upgraded separately, node by node.
   */
  async upgradeControlPlane(version: string): Promise<void> {
    this.controlPlaneVersion = version;
    this.controlPlaneVersions.clear();
    for (const node of await this.controlPlaneNodes()) this.kubelets?.resync(node);
    await this.upgradeAddons(version);
  }

  /** The names of the control-plane nodes (the kubeadm role label). */
  async controlPlaneNodes(): Promise<string[]> {
    const nodes = (await this.registry.store.list('nodes', undefined)).items;
    return nodes.filter((n) => n.metadata.labels?.['node-role.kubernetes.io/control-plane'] !== undefined).map((n) => n.metadata.name ?? '');
  }

  /**
   * kubeadm on one control-plane node: `upgrade apply` (first) moves this node's static pods, the
   * cluster's version and the addons, the other control-plane nodes keep theirs; `upgrade node`
   * moves this node's static pods to the version apply set.
   */
  async upgradeControlPlaneNode(node: string, version: string, first: boolean): Promise<void> {
    if (first) {
      for (const other of await this.controlPlaneNodes()) {
        if (other !== node && !this.controlPlaneVersions.has(other)) this.controlPlaneVersions.set(other, this.controlPlaneVersion);
      }
      this.controlPlaneVersion = version;
    }
    if (version === this.controlPlaneVersion) this.controlPlaneVersions.delete(node);
    else this.controlPlaneVersions.set(node, version);
    this.kubelets?.resync(node);
    if (first) await this.upgradeAddons(version);
  }

  /** kubeadm upgrade apply's last step: kube-proxy at the new version. */
  private async upgradeAddons(version: string): Promise<void> {
    const ds = await this.registry.store.get('daemonsets.apps', 'kube-system', 'kube-proxy');
    if (ds) {
      await this.registry.patch(this.registry.type('apps', 'v1', 'daemonsets')!, 'kube-system', 'kube-proxy', 'strategic', { spec: { template: { spec: { containers: [{ name: 'kube-proxy', image: `registry.k8s.io/kube-proxy:${version}` }] } } } }, undefined);
    }
  }

  etcdInfo(): EtcdInfo {
    // On a real etcd, that etcd is outside the simulated nodes: the API server's --etcd-servers name it.
    if (this.etcdEndpoints) return { topology: 'external', version: this.scenario.controlPlane.etcd.version, externalEndpoints: this.etcdEndpoints };
    return { topology: this.scenario.controlPlane.etcd.topology, version: this.scenario.controlPlane.etcd.version };
  }

  /** The kubeconfig that points kubectl and upkeep at this sandbox (plus a context per scenario user). */
  async kubeconfig(): Promise<string> {
    const name = this.contextName ?? `upkeep-${this.scenario.name}`;
    const extra = this.auth ? await scenarioUserEntries(this.auth, name) : { users: [], contexts: [] };
    return YAML.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster: { server: this.url, 'certificate-authority-data': Buffer.from(this.caCertPem).toString('base64') } }],
      users: [{ name: `${name}-admin`, user: { token: this.token } }, ...extra.users],
      contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }, ...extra.contexts],
      'current-context': name,
      preferences: {},
    });
  }

  async writeKubeconfig(file: string): Promise<void> {
    await writeFileAtomic(file, await this.kubeconfig(), 0o600);
    this.kubeconfigPath = file;
  }

  /** Namespaces and objects every cluster has, then the scenario's nodes and objects. */
  private async bootstrap(): Promise<void> {
    const r = this.registry;
    const now = isoTime(this.clock.now());
    const t = (g: string, v: string, res: string) => r.type(g, v, res)!;
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await r.create(t('', 'v1', 'namespaces'), '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } } });
    }
    await r.create(t('', 'v1', 'services'), 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }], type: 'ClusterIP' },
    });
    for (const [name, value, description] of [
      ['system-node-critical', 2000001000, 'Used for system critical pods that must not be moved from their current node.'],
      ['system-cluster-critical', 2000000000, 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.'],
    ] as const) {
      await r.create(t('scheduling.k8s.io', 'v1', 'priorityclasses'), '', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, description, preemptionPolicy: 'PreemptLowerPriority' });
    }
    for (const o of defaultRbacObjects()) await this.createObject(o);
    // The default StorageClass (a scenario may declare its own `standard` instead).
    if (!this.scenario.objects.some((o) => o.kind === 'StorageClass' && o.metadata.name === 'standard')) await this.createObject(defaultStorageClass());
    await this.createAddons();
    const nodes = expandNodes(this.scenario.nodes);
    for (let i = 0; i < nodes.length; i++) {
      if (nodes[i].controlPlaneVersion) this.controlPlaneVersions.set(nodes[i].name, nodes[i].controlPlaneVersion as string);
      await r.create(t('', 'v1', 'nodes'), '', nodeObject(nodes[i], i, now));
    }
    for (const o of this.scenario.objects) await this.createObject(o);
  }

  /** kubeadm's addons: the kube-proxy DaemonSet and the CoreDNS Deployment, at versioned images. */
  private async createAddons(): Promise<void> {
    const version = this.scenario.controlPlane.version;
    const minor = Number(/^v1\.(\d+)/.exec(version)?.[1] ?? 31);
    const coredns = minor >= 33 ? 'v1.12.0' : minor >= 31 ? 'v1.11.3' : minor >= 29 ? 'v1.11.1' : minor >= 28 ? 'v1.10.1' : 'v1.9.3';
    const critical = [{ key: 'CriticalAddonsOnly', operator: 'Exists' }];
    await this.createObject({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' } },
      spec: {
        selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
        template: {
          metadata: { labels: { 'k8s-app': 'kube-proxy' } },
          spec: {
            hostNetwork: true,
            priorityClassName: 'system-node-critical',
            serviceAccountName: 'kube-proxy',
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: [{ operator: 'Exists' }],
            containers: [{ name: 'kube-proxy', image: `registry.k8s.io/kube-proxy:${version}`, command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)'] }],
          },
        },
      },
    });
    await this.createObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
        template: {
          metadata: { labels: { 'k8s-app': 'kube-dns' } },
          spec: {
            priorityClassName: 'system-cluster-critical',
            serviceAccountName: 'coredns',
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: [...critical, { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
            containers: [{ name: 'coredns', image: `registry.k8s.io/coredns/coredns:${coredns}`, args: ['-conf', '/etc/coredns/Corefile'], resources: { requests: { cpu: '100m', memory: '70Mi' }, limits: { memory: '170Mi' } } }],
          },
        },
      },
    });
    // kubeadm's kube-dns Service, at the tenth address of the service CIDR (its DNS addon manifest).
    await this.createObject({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kube-dns',
        namespace: 'kube-system',
        labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
        annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
      },
      spec: {
        clusterIP: '10.96.0.10',
        selector: { 'k8s-app': 'kube-dns' },
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
        ],
      },
    });
  }

  /** Create a manifest's object the way `kubectl create` would, making its namespace if needed. */
  async createObject(o: KubeObject): Promise<KubeObject> {
    const type = this.registry.typeForKind(o.apiVersion ?? '', o.kind ?? '');
    if (!type) throw new ScenarioError(`scenario: ${o.kind} ${o.metadata.name ?? ''}: the sandbox does not serve ${o.apiVersion}/${o.kind}`);
    const ns = type.namespaced ? (o.metadata.namespace ?? 'default') : '';
    if (ns && !(await this.registry.store.get('namespaces', '', ns))) {
      await this.registry.create(this.registry.type('', 'v1', 'namespaces')!, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } } });
    }
    try {
      return await this.registry.create(type, ns, o);
    } catch (e) {
      if (e instanceof StatusError) throw new ScenarioError(`scenario: ${o.kind} ${ns ? ns + '/' : ''}${o.metadata.name ?? ''}: ${e.message}`);
      throw e;
    }
  }

  async stop(): Promise<void> {
    await this.controllers?.stop();
    await this.server.close();
    await this.registry.store.close();
  }
}

/** The etcd store is loaded only when asked for, so an in-memory sandbox carries no gRPC code. */
async function openEtcdStore(o: SandboxEtcdOptions, log?: (line: string) => void): Promise<Store> {
  const { EtcdStore } = await import('./store/etcd.js');
  return EtcdStore.open({ connection: { endpoints: o.endpoints, cacert: o.cafile, cert: o.certfile, key: o.keyfile }, prefix: o.prefix, log });
}

export async function loadScenario(s: string | Scenario): Promise<Scenario> {
  if (typeof s !== 'string') return s;
  if (BUILTIN_SCENARIOS[s]) return parseScenario(BUILTIN_SCENARIOS[s], s);
  let text: string;
  try {
    text = await fs.readFile(s, 'utf8');
  } catch (e) {
    const missing = e instanceof Error && 'code' in e && e.code === 'ENOENT';
    throw new ScenarioError(
      missing
        ? `scenario "${s}" is neither a built-in scenario (${Object.keys(BUILTIN_SCENARIOS).join(', ')}) nor a file`
        : `cannot read scenario ${s}: ${errorMessage(e)}`,
    );
  }
  return parseScenario(text, s);
}
