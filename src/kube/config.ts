// Finding and loading the kubeconfig, kubectl's way: --kubeconfig, else $KUBECONFIG (a list of
// files merged, first one wins), else ~/.kube/config, else the in-cluster service account.
// Parsing and credentials are @kubernetes/client-node's; it is imported lazily because the
// import costs ~0.7 s and `upkeep --help` must not pay for it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import YAML from 'yaml';
import { KubeConfigError } from './errors.js';
import { clusterProblem, userProblem } from './configcheck.js';
import { isJsonObject } from '../util/json.js';

export interface KubeConfigOptions {
  /** --kubeconfig: use exactly this file. */
  kubeconfig?: string;
  /** --context: use this context instead of the current one. */
  context?: string;
  /** -n/--namespace: overrides the context's namespace. */
  namespace?: string;
  /**
   * An already loaded client-node KubeConfig (library use). Neither --kubeconfig nor KUBECONFIG
   * is read then. It is copied if upkeep has to change it (--context, a plain-HTTP server).
   */
  kubeConfig?: KubeConfig;
}

/** Where to look; the defaults are the real process environment. Tests point these elsewhere. */
export interface ConfigEnvironment {
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  /** Prefix of /var/run/secrets/kubernetes.io/serviceaccount for the in-cluster config. */
  serviceAccountPrefix?: string;
}

export interface LoadedConfig {
  /** client-node's KubeConfig with the chosen context current: the source of credentials. */
  kubeConfig: KubeConfig;
  /** Where the configuration came from, for messages: a file path, "KUBECONFIG=...", "in-cluster". */
  source: string;
  contextName: string;
  clusterName: string;
  /** Empty for a context without a user (anonymous requests). */
  userName: string;
  /** The API server URL, without a trailing slash; it may carry a path prefix (Rancher, proxies). */
  server: string;
  /** -n, else the context's namespace, else "default". */
  namespace: string;
  /** Whether the namespace came from -n (some commands treat an explicit namespace differently). */
  namespaceExplicit: boolean;
  skipTLSVerify: boolean;
  proxyUrl?: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

type ClientNode = typeof import('@kubernetes/client-node');
let clientNode: Promise<ClientNode> | undefined;

/** The client-node module, imported on first use. */
export function importClientNode(): Promise<ClientNode> {
  clientNode ??= import('@kubernetes/client-node');
  return clientNode;
}

export async function loadKubeConfig(options: KubeConfigOptions = {}, environment: ConfigEnvironment = {}): Promise<LoadedConfig> {
  const { KubeConfig: KubeConfigClass } = await importClientNode();
  const env = environment.env ?? process.env;
  let kc: KubeConfig;
  let source: string;
  let copyNeeded = false;
  /** The files read, in precedence order: kubectl's checks read the entries as written there. */
  let files: string[] = [];

  if (options.kubeConfig) {
    kc = options.kubeConfig;
    source = 'the provided KubeConfig';
    copyNeeded = true;
  } else if (options.kubeconfig) {
    source = options.kubeconfig;
    if (!fileExists(options.kubeconfig)) {
      throw new KubeConfigError(`kubeconfig file ${options.kubeconfig} (from --kubeconfig) does not exist`);
    }
    kc = loadFile(new KubeConfigClass(), options.kubeconfig);
    files = [options.kubeconfig];
  } else if (env.KUBECONFIG) {
    const listed = env.KUBECONFIG.split(path.delimiter).filter((f) => f !== '');
    source = `KUBECONFIG=${env.KUBECONFIG}`;
    // kubectl skips entries that don't exist and merges the rest, the first file winning for
    // each name and for current-context. client-node's own merge throws on duplicates instead.
    const present = listed.filter(fileExists);
    const loaded = present.map((f) => loadFile(new KubeConfigClass(), f));
    if (loaded.length === 0) {
      throw new KubeConfigError(`none of the files in KUBECONFIG exist (${listed.join(', ')})`);
    }
    kc = mergeFirstWins(new KubeConfigClass(), loaded);
    files = present;
  } else {
    const home = environment.homeDir ?? os.homedir();
    const defaultFile = path.join(home, '.kube', 'config');
    if (fileExists(defaultFile)) {
      source = defaultFile;
      kc = loadFile(new KubeConfigClass(), defaultFile);
      files = [defaultFile];
    } else {
      const prefix = environment.serviceAccountPrefix ?? '';
      if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && fileExists(`${prefix}${SERVICE_ACCOUNT_DIR}/token`)) {
        source = 'in-cluster service account';
        kc = new KubeConfigClass();
        withEnv(env, () => kc.loadFromCluster(prefix));
      } else {
        throw new KubeConfigError(
          'no configuration has been provided: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config (or run inside a cluster)',
        );
      }
    }
  }

  const contexts = kc.getContexts();
  const known = contexts.length > 0 ? `contexts: ${contexts.map((c) => c.name).join(', ')}` : 'it has no contexts';
  const contextName = options.context ?? kc.getCurrentContext();
  if (!contextName) {
    throw new KubeConfigError(`no current context is set in ${source}; pass --context NAME (${known})`);
  }
  const context: Context | null = kc.getContextObject(contextName);
  if (!context) {
    const which = options.context ? `context "${contextName}"` : `current context "${contextName}"`;
    throw new KubeConfigError(`${which} does not exist in ${source} (${known})`);
  }
  let cluster: Cluster | null = kc.getCluster(context.cluster);
  if (!cluster) {
    throw new KubeConfigError(`context "${contextName}" refers to cluster "${context.cluster}", which does not exist in ${source}`);
  }
  const userName = context.user ?? '';
  const user: User | null = userName ? kc.getUser(userName) : null;
  if (userName && !user) {
    throw new KubeConfigError(`context "${contextName}" refers to user "${userName}", which does not exist in ${source}`);
  }

  const token = checkEntries(files, source, context.cluster, userName);
  if (token !== undefined && user) {
    // kubectl's tokenFile (client-node reads only "token-file"): the token it holds.
    if (copyNeeded) kc = copyOf(new KubeConfigClass(), kc);
    copyNeeded = false;
    kc.users = kc.users.map((u) => (u.name === userName ? { ...u, token } : u));
  }

  const plainHttp = cluster.server.startsWith('http:');
  if (copyNeeded && (options.context || plainHttp)) kc = copyOf(new KubeConfigClass(), kc);
  if (options.context) kc.setCurrentContext(contextName);
  if (plainHttp && !cluster.skipTLSVerify) {
    // client-node refuses http:// servers unless insecure-skip-tls-verify is set (it guards the
    // flag, not TLS). kubectl talks plain HTTP (e.g. to `kubectl proxy`) and so do we; there is
    // no TLS to verify, so marking the entry changes nothing else.
    const plain: Cluster = { ...cluster, skipTLSVerify: true };
    kc.clusters = kc.clusters.map((c) => (c.name === plain.name ? plain : c));
    cluster = plain;
  }

  const namespaceExplicit = Boolean(options.namespace);
  const namespace = options.namespace || context.namespace?.trim() || 'default';
  return {
    kubeConfig: kc,
    source,
    contextName,
    clusterName: cluster.name,
    userName,
    server: cluster.server.replace(/\/+$/, ''),
    namespace,
    namespaceExplicit,
    skipTLSVerify: cluster.skipTLSVerify && !plainHttp,
    proxyUrl: cluster.proxyUrl,
  };
}

/** An entry (`clusters` or `users`) by name, as written in the first file that has it. */
function rawEntry(docs: unknown[], list: 'clusters' | 'users', field: 'cluster' | 'user', name: string): { found: boolean; value?: unknown } {
  for (const doc of docs) {
    const entries = isJsonObject(doc) && Array.isArray(doc[list]) ? doc[list] : [];
    const entry = entries.find((e) => isJsonObject(e) && e.name === name);
    if (isJsonObject(entry)) return { found: true, value: entry[field] };
  }
  return { found: false };
}

/** kubectl's checks of the cluster and user in use; a user's tokenFile token when it has one. */
function checkEntries(files: string[], source: string, clusterName: string, userName: string): string | undefined {
  const docs = files.map((f) => {
    try {
      return YAML.parse(fs.readFileSync(f, 'utf8')) as unknown;
    } catch {
      return undefined; // client-node read it already; anything it could not read was reported
    }
  });
  const cluster = rawEntry(docs, 'clusters', 'cluster', clusterName);
  const problem = cluster.found ? clusterProblem(cluster.value, clusterName) : undefined;
  if (problem) throw new KubeConfigError(`${problem}, in ${source}`);
  if (!userName) return undefined;
  const user = rawEntry(docs, 'users', 'user', userName);
  const checked = user.found ? userProblem(user.value, userName) : {};
  if (checked.problem) throw new KubeConfigError(`${checked.problem}, in ${source}`);
  return checked.token;
}

function fileExists(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function loadFile(kc: KubeConfig, file: string): KubeConfig {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === '') throw new Error('the file is empty');
    kc.loadFromFile(file);
  } catch (err) {
    throw new KubeConfigError(`error loading kubeconfig ${file}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`, {
      cause: err,
    });
  }
  return kc;
}

function mergeFirstWins(target: KubeConfig, configs: KubeConfig[]): KubeConfig {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const kc of configs) {
    for (const c of kc.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of kc.users) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of kc.contexts) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!currentContext && kc.currentContext) currentContext = kc.currentContext;
  }
  target.loadFromOptions({
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext,
  });
  return target;
}

function copyOf(target: KubeConfig, kc: KubeConfig): KubeConfig {
  target.loadFromOptions({
    clusters: [...kc.clusters],
    users: [...kc.users],
    contexts: [...kc.contexts],
    currentContext: kc.currentContext,
  });
  return target;
}

/** client-node reads KUBERNETES_SERVICE_HOST/PORT from process.env; let tests supply their own. */
function withEnv(env: NodeJS.ProcessEnv, fn: () => void): void {
  if (env === process.env) {
    fn();
    return;
  }
  const keys = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'] as const;
  const saved = keys.map((k) => process.env[k]);
  try {
    for (const k of keys) process.env[k] = env[k];
    fn();
  } finally {
    keys.forEach((k, i) => {
      if (saved[i] === undefined) delete process.env[k];
      else process.env[k] = saved[i];
    });
  }
}
