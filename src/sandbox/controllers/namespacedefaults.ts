// What every namespace gets from kube-controller-manager: the `default` ServiceAccount (the
// serviceaccount controller) and the `kube-root-ca.crt` ConfigMap with the cluster CA (the
// root-ca-cert-publisher). Both are recreated when deleted; the ConfigMap is also put back when
// its data or description annotation is changed.
import type { ConfigMap, KubeObject, Namespace, ServiceAccount } from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import type { Sandbox } from '../sandbox.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { CONFIG_MAPS, NAMESPACES, type ResourceKey, SERVICE_ACCOUNTS } from './kinds.js';
import { WorkQueue } from './queue.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

export function defaultServiceAccount(): ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT } };
}

export function rootCAConfigMap(caPem: string): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: ROOT_CA_CONFIGMAP, annotations: { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } },
    data: { 'ca.crt': caPem },
  };
}

/**
 * The publisher's repair of an existing ConfigMap: undefined when its data is exactly the CA and
 * it carries a description; otherwise the ConfigMap with both put back (other annotations kept).
 */
export function repairedRootCAConfigMap(cm: ConfigMap, caPem: string): ConfigMap | undefined {
  const data = cm.data ?? {};
  const keys = Object.keys(data);
  const dataOk = keys.length === 1 && data['ca.crt'] === caPem;
  if (dataOk && (cm.metadata.annotations?.[DESCRIPTION_ANNOTATION] ?? '') !== '') return undefined;
  return {
    ...cm,
    metadata: { ...cm.metadata, annotations: { ...(cm.metadata.annotations ?? {}), [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } },
    data: { 'ca.crt': caPem },
  };
}

function isActive(ns: Namespace): boolean {
  const phase = ns.status?.phase;
  return !ns.metadata.deletionTimestamp && (phase === undefined || phase === 'Active');
}

/** Creating in a namespace that is gone or terminating is not worth a retry. */
function namespaceGone(e: unknown): boolean {
  return e instanceof StatusError && (e.code === 404 || e.causes.some((c) => c.reason === 'NamespaceTerminating'));
}

export class NamespaceDefaultsController implements Controller {
  readonly name = 'namespace-defaults';
  private readonly queue: WorkQueue;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly caPem: string,
  ) {
    this.queue = new WorkQueue((ns) => this.sync(ns), (k, e) => ctx.log(`namespace-defaults: ${k}: ${String(e)}`), 4);
  }

  static create(ctx: ControllerContext, sandbox: Sandbox): NamespaceDefaultsController {
    return new NamespaceDefaultsController(ctx, sandbox.caCertPem);
  }

  start(): void {
    for (const ns of this.ctx.cache.list(NAMESPACES)) this.queue.add(ns.metadata.name ?? '');
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    const name = e.object.metadata.name;
    if (e.resource === NAMESPACES) {
      if (e.type !== 'DELETED') this.queue.add(name ?? '');
    } else if (e.resource === SERVICE_ACCOUNTS) {
      if (e.type === 'DELETED' && name === DEFAULT_SERVICE_ACCOUNT) this.queue.add(e.namespace);
    } else if (e.resource === CONFIG_MAPS) {
      if (e.type !== 'ADDED' && name === ROOT_CA_CONFIGMAP) this.queue.add(e.namespace);
    }
  }

  private async sync(namespace: string): Promise<void> {
    const ns = this.ctx.cache.get(NAMESPACES, '', namespace);
    if (!ns || !isActive(ns)) return;
    if (!this.ctx.cache.get(SERVICE_ACCOUNTS, namespace, DEFAULT_SERVICE_ACCOUNT)) {
      await this.create(SERVICE_ACCOUNTS, namespace, defaultServiceAccount());
    }
    const cm = this.ctx.cache.get(CONFIG_MAPS, namespace, ROOT_CA_CONFIGMAP);
    if (!cm) {
      await this.create(CONFIG_MAPS, namespace, rootCAConfigMap(this.caPem));
    } else {
      const repaired = repairedRootCAConfigMap(cm, this.caPem);
      if (!repaired) return;
      try {
        await this.ctx.update(CONFIG_MAPS, namespace, ROOT_CA_CONFIGMAP, repaired);
      } catch (e) {
        if (!isRace(e)) throw e;
        this.queue.addAfter(namespace, 20);
      }
    }
  }

  private async create<T extends KubeObject>(resource: ResourceKey<T>, namespace: string, body: T): Promise<void> {
    try {
      await this.ctx.create(resource, namespace, body);
    } catch (e) {
      // AlreadyExists: the cache had not caught up; a gone or terminating namespace needs nothing.
      if (e instanceof StatusError && e.code === 409) return;
      if (namespaceGone(e)) return;
      throw e;
    }
  }
}
