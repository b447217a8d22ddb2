// The endpoints and endpointslice controllers of kube-controller-manager, and kube-apiserver's
// reconciler of the `kubernetes` Service: each Service with a selector gets an Endpoints object
// (ready pods under addresses, not-ready ones under notReadyAddresses, terminating ones left out)
// and one EndpointSlice (every pod with an IP, with ready/serving/terminating conditions); the
// `kubernetes` Service's endpoints are the control-plane nodes' InternalIPs on port 6443.
import { isPodFinished, isPodReady, isPodTerminating } from '../../api/pods.js';
import { labelSelectorFromObject, type Selector } from '../../api/labels.js';
import type { Endpoints, EndpointSlice, KubeObject, Node, Pod, Service } from '../../api/types.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { ENDPOINTS, ENDPOINT_SLICES, NODES, PODS, SERVICES } from './kinds.js';
import { WorkQueue } from './queue.js';
import { ownerReference } from './workloads.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const SLICE_CONTROLLER = 'endpointslice-controller.k8s.io';

type EndpointPort = { name?: string; port: number; protocol?: string };

/** Each Service's parsed selector, kept while the cache holds that object (a sync reads it once per pod). */
const parsed = new WeakMap<Service, Selector | null>();

function selectorOf(svc: Service): Selector | null {
  let sel = parsed.get(svc);
  if (sel === undefined) {
    const labels = svc.spec?.selector;
    sel = labels && Object.keys(labels).length > 0 ? labelSelectorFromObject({ matchLabels: labels }) : null;
    parsed.set(svc, sel);
  }
  return sel;
}

function selects(svc: Service, pod: KubeObject): boolean {
  return selectorOf(svc)?.matches(pod.metadata.labels) ?? false;
}

/** The service's ports on one pod (a named targetPort resolved from its containers; missing: left out). */
export function podPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const p of svc.spec?.ports ?? []) {
    const target = p.targetPort ?? p.port;
    const port = typeof target === 'number' ? target : /^\d+$/.test(target) ? Number(target) : (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []).find((cp) => cp.name === target)?.containerPort;
    if (port === undefined) continue;
    out.push({ ...(p.name ? { name: p.name } : {}), port, protocol: p.protocol ?? 'TCP' });
  }
  return out;
}

function podAddress(pod: Pod) {
  return {
    ip: pod.status?.podIP ?? '',
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
  };
}

/** The Endpoints object's subsets, grouped by port list as the controller repacks them. */
export function endpointSubsets(svc: Service, pods: Pod[]): NonNullable<Endpoints['subsets']> {
  const byPorts = new Map<string, { ports: EndpointPort[]; ready: Pod[]; notReady: Pod[] }>();
  for (const pod of pods) {
    if (!pod.status?.podIP || isPodFinished(pod) || isPodTerminating(pod) || !selects(svc, pod)) continue;
    const ports = podPorts(svc, pod);
    const key = JSON.stringify(ports);
    const s = byPorts.get(key) ?? { ports, ready: [], notReady: [] };
    byPorts.set(key, s);
    (isPodReady(pod) || svc.spec?.publishNotReadyAddresses ? s.ready : s.notReady).push(pod);
  }
  const byIp = (a: Pod, b: Pod) => ((a.status?.podIP ?? '') < (b.status?.podIP ?? '') ? -1 : 1);
  return [...byPorts.values()].map((s) => ({
    ...(s.ready.length ? { addresses: s.ready.sort(byIp).map(podAddress) } : {}),
    ...(s.notReady.length ? { notReadyAddresses: s.notReady.sort(byIp).map(podAddress) } : {}),
    ...(s.ports.length ? { ports: s.ports } : {}),
  }));
}

/** The EndpointSlice's endpoints: terminating pods too, with their conditions. */
export function sliceEndpoints(svc: Service, pods: Pod[]): NonNullable<EndpointSlice['endpoints']> {
  return pods
    .filter((p) => !!p.status?.podIP && !isPodFinished(p) && selects(svc, p))
    .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1))
    .map((p) => {
      const terminating = isPodTerminating(p);
      const ready = isPodReady(p);
      return {
        addresses: [p.status?.podIP ?? ''],
        conditions: { ready: ready && !terminating, serving: ready, terminating },
        ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
        targetRef: { kind: 'Pod', namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '', uid: p.metadata.uid ?? '' },
      };
    });
}

export class EndpointsController implements Controller {
  readonly name = 'endpoints';
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue((key) => this.sync(key), (k, e) => ctx.log(`endpoints: ${k}: ${String(e)}`), 4);
  }

  start(): void {
    for (const s of this.ctx.cache.list(SERVICES)) this.queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === SERVICES || e.resource === ENDPOINTS) this.queue.add(`${e.namespace}/${e.object.metadata.name ?? ''}`);
    else if (e.resource === ENDPOINT_SLICES) {
      const svc = e.object.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc) this.queue.add(`${e.namespace}/${svc}`);
    } else if (e.resource === PODS) {
      // The Services the pod belongs to, before and after (kube's getPodServiceMemberships).
      for (const svc of this.ctx.cache.list(SERVICES, e.namespace)) {
        if (selects(svc, e.object) || (e.prev && selects(svc, e.prev))) this.queue.add(`${e.namespace}/${svc.metadata.name ?? ''}`);
      }
    } else if (e.resource === NODES && e.type !== 'MODIFIED') this.queue.add('default/kubernetes');
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const svc = this.ctx.cache.get(SERVICES, ns, name);
    try {
      if (ns === 'default' && name === 'kubernetes') return await this.apiserverEndpoints(svc);
      const current = this.ctx.cache.get(ENDPOINTS, ns, name);
      if (!svc || !svc.spec?.selector) {
        if (current && !svc) await this.ctx.delete(ENDPOINTS, ns, name).catch(() => undefined);
        return;
      }
      const pods = this.ctx.cache.list(PODS, ns);
      await this.writeEndpoints(svc, current, endpointSubsets(svc, pods));
      await this.writeSlice(svc, sliceEndpoints(svc, pods));
    } catch (e) {
      if (!isRace(e)) throw e;
      this.queue.addAfter(key, 50);
    }
  }

  private async writeEndpoints(svc: Service, current: Endpoints | undefined, subsets: NonNullable<Endpoints['subsets']>): Promise<void> {
    const ns = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    const labels = { ...(svc.metadata.labels ?? {}), ...(svc.spec?.clusterIP === 'None' ? { 'service.kubernetes.io/headless': '' } : {}) };
    const desired: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns, labels }, ...(subsets.length ? { subsets } : {}) };
    if (!current) {
      await this.ctx.create(ENDPOINTS, ns, desired);
      return;
    }
    if (same(current.subsets ?? [], subsets) && same(current.metadata.labels ?? {}, labels)) return;
    const next: Endpoints = { ...current, metadata: { ...current.metadata, labels } };
    if (subsets.length) next.subsets = subsets;
    else delete next.subsets;
    await this.ctx.update(ENDPOINTS, ns, name, next);
  }

  private async writeSlice(svc: Service, endpoints: NonNullable<EndpointSlice['endpoints']>): Promise<void> {
    const ns = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    const current = this.ctx.cache.list(ENDPOINT_SLICES, ns).find((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels?.[MANAGED_BY_LABEL] === SLICE_CONTROLLER);
    const ports = (svc.spec?.ports ?? []).map((p) => {
      const first = endpoints.length ? this.ctx.cache.get(PODS, ns, endpoints[0].targetRef?.name ?? '') : undefined;
      const resolved = first ? podPorts({ ...svc, spec: { ...svc.spec, ports: [p] } }, first)[0] : undefined;
      return { name: p.name ?? '', port: resolved?.port ?? (typeof p.targetPort === 'number' ? p.targetPort : p.port), protocol: p.protocol ?? 'TCP' };
    });
    const labels = { ...(svc.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: SLICE_CONTROLLER };
    if (!current) {
      await this.ctx.create(ENDPOINT_SLICES, ns, {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { generateName: `${name}-`, namespace: ns, labels, ownerReferences: [ownerReference(svc)] },
        addressType: 'IPv4',
        endpoints,
        ports,
      });
      return;
    }
    if (same(current.endpoints ?? [], endpoints) && same(current.ports ?? [], ports)) return;
    await this.ctx.update(ENDPOINT_SLICES, ns, current.metadata.name ?? '', { ...current, endpoints, ports });
  }

  /** kube-apiserver's endpoint reconciler: every control-plane node's InternalIP, port 6443. */
  private async apiserverEndpoints(svc: Service | undefined): Promise<void> {
    if (!svc) return;
    const ips = this.ctx.cache
      .list(NODES)
      .filter((n: Node) => n.metadata.labels?.['node-role.kubernetes.io/control-plane'] !== undefined)
      .map((n) => n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address)
      .filter((ip): ip is string => !!ip)
      .sort();
    const subsets = ips.length ? [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }] : [];
    await this.writeEndpoints({ ...svc, spec: { ...svc.spec, clusterIP: svc.spec?.clusterIP } }, this.ctx.cache.get(ENDPOINTS, 'default', 'kubernetes'), subsets);
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

