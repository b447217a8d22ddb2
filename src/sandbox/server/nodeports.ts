// What kube-apiserver's Service storage does with ClusterIPs and NodePorts
// (pkg/registry/core/service/storage/alloc.go): a create takes the addresses and ports asked for
// or picks free ones from the allocators (allocator.ts), an update takes what it adds and frees
// what it drops, a delete frees all. The allocators live in memory and are rebuilt from the
// stored Services on first use, so a sandbox restarted on persisted state hands out nothing twice.
// An "already allocated" that no stored Service explains (state changed under the sandbox, as
// an etcd restore does) is repaired on the spot, as kube's repair loop would a few minutes later.
import { errors } from '../../api/status.js';
import type { KubeObject, StatusCause } from '../../api/types.js';
import type { Store } from '../store/store.js';
import { AllocationError, NodePortAllocator, ServiceIPAllocator } from './allocator.js';
import { type JsonObject, isJsonObject, jsonObject } from './json.js';
import { GoValue, invalid } from './validation/field.js';

export function needsNodePorts(spec: JsonObject): boolean {
  if (spec.type === 'NodePort') return true;
  return spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false;
}

function needsClusterIP(spec: JsonObject): boolean {
  return spec.type !== 'ExternalName';
}

function needsHealthCheckPort(spec: JsonObject): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/** The addresses and ports a stored Service holds. */
export function heldBy(svc: KubeObject): { ips: string[]; ports: number[] } {
  const spec = jsonObject(svc.spec) ?? {};
  const listed = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [spec.clusterIP];
  const ips = listed.filter((ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None');
  const ports: number[] = [];
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) if (isJsonObject(p) && typeof p.nodePort === 'number' && p.nodePort > 0) ports.push(p.nodePort);
  if (typeof spec.healthCheckNodePort === 'number' && spec.healthCheckNodePort > 0) ports.push(spec.healthCheckNodePort);
  return { ips, ports: [...new Set(ports)] };
}

/** kube's IP validation of spec.clusterIPs, run before allocation. */
function isIPv4(s: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s);
}

/** What one write took: undo gives it back (the write failed); commit frees what it dropped. */
export interface Allocation {
  object: KubeObject;
  undo(): void;
  commit(): void;
}

/** One write's work on the allocators, undone as a whole if any step fails. */
class Transaction {
  readonly ips: string[] = [];
  readonly ports: number[] = [];
  readonly causes: StatusCause[] = [];

  constructor(private readonly owner: ServiceAllocations) {}

  undo(): void {
    for (const ip of this.ips) this.owner.ipAllocator.release(ip);
    for (const p of this.ports) this.owner.portAllocator.release(p);
  }
}

export class ServiceAllocations {
  readonly ipAllocator: ServiceIPAllocator;
  readonly portAllocator: NodePortAllocator;
  private loaded: Promise<void> | undefined;
  /** The control plane's version: 1.33 allocates from ServiceCIDR objects, with other words. */
  serverVersion: () => string = () => 'v1.31.0';

  constructor(
    private readonly store: Store,
    random: () => number = Math.random,
  ) {
    this.ipAllocator = new ServiceIPAllocator(undefined, random);
    this.portAllocator = new NodePortAllocator(undefined, random);
  }

  /** Marks what the stored Services hold (once, before the first allocation). */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const { items } = await this.store.list('services', undefined);
      for (const svc of items) this.mark(svc);
    })().catch((e: unknown) => {
      // A store that could not be read is read again by the next write.
      this.loaded = undefined;
      throw e;
    });
    return this.loaded;
  }

  private mark(svc: KubeObject): void {
    const { ips, ports } = heldBy(svc);
    for (const ip of ips) if (!this.ipAllocator.has(ip)) this.ipAllocator.allocate(ip);
    for (const p of ports) if (!this.portAllocator.has(p)) this.portAllocator.allocate(p);
  }

  /** Frees what a deleted Service held. */
  release(svc: KubeObject): void {
    if (!this.loaded) return;
    const { ips, ports } = heldBy(svc);
    for (const ip of ips) this.ipAllocator.release(ip);
    for (const p of ports) this.portAllocator.release(p);
  }

  /** A Service to create, with its ClusterIPs and NodePorts; 422 when one asked for is taken. */
  async allocateCreate(svc: KubeObject, dryRun: boolean): Promise<Allocation> {
    await this.load();
    const tx = new Transaction(this);
    const spec: JsonObject = { ...(jsonObject(svc.spec) ?? {}) };
    if (needsClusterIP(spec)) await this.clusterIPs(spec, tx, svc.metadata.uid);
    if (!tx.causes.length) await this.nodePorts(spec, undefined, tx, svc.metadata.uid);
    return this.finish(svc, spec, tx, [], dryRun);
  }

  /**
   * An update's allocations: ports (and an address, leaving ExternalName) it adds are taken, those
   * it drops are freed on commit. Run patchUpdate first, before validation.
   */
  async allocateUpdate(old: KubeObject, next: KubeObject, dryRun: boolean): Promise<Allocation> {
    await this.load();
    const tx = new Transaction(this);
    const before = jsonObject(old.spec) ?? {};
    const spec: JsonObject = { ...(jsonObject(next.spec) ?? {}) };
    if (needsClusterIP(spec) && !needsClusterIP(before)) await this.clusterIPs(spec, tx, old.metadata.uid);
    if (!tx.causes.length) await this.nodePorts(spec, before, tx, old.metadata.uid);
    const kept = heldBy({ ...next, spec });
    const held = heldBy(old);
    const dropped = {
      ips: held.ips.filter((ip) => !kept.ips.includes(ip)),
      ports: held.ports.filter((p) => !kept.ports.includes(p)),
    };
    return this.finish(next, spec, tx, [dropped], dryRun);
  }

  private finish(svc: KubeObject, spec: JsonObject, tx: Transaction, dropped: Array<{ ips: string[]; ports: number[] }>, dryRun: boolean): Allocation {
    if (tx.causes.length) {
      tx.undo();
      throw errors.invalid('Service', '', svc.metadata.name ?? '', tx.causes);
    }
    // A dry run checks that the allocations would succeed, and keeps none.
    if (dryRun) tx.undo();
    return {
      object: { ...svc, spec },
      undo: () => (dryRun ? undefined : tx.undo()),
      commit: () => {
        if (dryRun) return;
        for (const d of dropped) {
          for (const ip of d.ips) this.ipAllocator.release(ip);
          for (const p of d.ports) this.portAllocator.release(p);
        }
      },
    };
  }

  private async clusterIPs(spec: JsonObject, tx: Transaction, uid: string | undefined): Promise<void> {
    // The sandbox's service CIDR is IPv4 only (an ExternalName Service becoming ClusterIP has none).
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    const asked = Array.isArray(spec.clusterIPs) && typeof spec.clusterIPs[0] === 'string' ? spec.clusterIPs[0] : typeof spec.clusterIP === 'string' ? spec.clusterIP : '';
    if (asked === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
      return;
    }
    if (asked === '') {
      try {
        const ip = this.ipAllocator.allocateNext();
        tx.ips.push(ip);
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      } catch (e) {
        if (e instanceof AllocationError) throw errors.internal(`Internal error occurred: failed to allocate a serviceIP: ${e.message}`);
        throw e;
      }
      return;
    }
    const value = new GoValue(`[]string{${JSON.stringify(asked)}}`);
    if (!isIPv4(asked)) {
      tx.causes.push(invalid('spec.clusterIPs[0]', asked, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
      return;
    }
    // MultiCIDRServiceAllocator (locked on from 1.33) finds no allocator for an address outside
    // every ServiceCIDR and says so in the bitmap allocator's ErrMismatchedNetwork words.
    if (!this.ipAllocator.contains(asked) && multiCIDR(this.serverVersion())) {
      tx.causes.push(invalid('spec.clusterIPs', value, `failed to allocate IP ${asked}: the provided network does not match the current range`));
      return;
    }
    const problem = await this.take(() => this.ipAllocator.allocate(asked), (o) => heldBy(o).ips.includes(asked), () => this.ipAllocator.release(asked), uid);
    if (problem) tx.causes.push(invalid('spec.clusterIPs', value, `failed to allocate IP ${asked}: ${problem}`));
    else {
      tx.ips.push(asked);
      spec.clusterIP = asked;
      spec.clusterIPs = [asked];
    }
  }

  /**
   * Takes something asked for; on "already allocated", asks the store whether another Service
   * really holds it, and takes it if none does (a leak). Returns the allocator's message, if any.
   */
  private async take(allocate: () => void, holds: (o: KubeObject) => boolean, release: () => void, uid: string | undefined): Promise<string | undefined> {
    try {
      allocate();
      return undefined;
    } catch (e) {
      if (!(e instanceof AllocationError)) throw e;
      if (e.problem !== 'allocated') return e.message;
      const { items } = await this.store.list('services', undefined);
      if (items.some((o) => o.metadata.uid !== uid && holds(o))) return e.message;
      release();
      allocate();
      return undefined;
    }
  }

  /** kube's initNodePorts/updateNodePorts: one nodePort per port number, asked-for ones first. */
  private async nodePorts(spec: JsonObject, before: JsonObject | undefined, tx: Transaction, uid: string | undefined): Promise<void> {
    const ports = (Array.isArray(spec.ports) ? spec.ports : []).map((p) => (isJsonObject(p) ? { ...p } : p));
    spec.ports = ports;
    const had = new Set(before ? heldBy({ apiVersion: 'v1', kind: 'Service', metadata: {}, spec: before }).ports : []);
    const byPort = new Map<number, number>();
    const needs = needsNodePorts(spec);
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i];
      if (!isJsonObject(p)) continue;
      const asked = typeof p.nodePort === 'number' ? p.nodePort : 0;
      if (asked === 0 && !needs) continue;
      const port = typeof p.port === 'number' ? p.port : 0;
      const same = byPort.get(port);
      if (same !== undefined && (asked === 0 || asked === same)) {
        p.nodePort = same;
        continue;
      }
      // Ports of the same number (TCP and UDP 53) share the one asked for on any of them.
      const wanted = asked || firstAskedFor(ports, port);
      const got = await this.nodePort(wanted, `spec.ports[${i}].nodePort`, had, tx, uid);
      if (got === undefined) return;
      p.nodePort = got;
      byPort.set(port, got);
    }
    if (needsHealthCheckPort(spec)) {
      const asked = typeof spec.healthCheckNodePort === 'number' ? spec.healthCheckNodePort : 0;
      const got = await this.nodePort(asked, 'spec.healthCheckNodePort', had, tx, uid);
      if (got !== undefined) spec.healthCheckNodePort = got;
    }
  }

  /** One nodePort: the one asked for (kept if the Service held it already) or the next free one. */
  private async nodePort(asked: number, field: string, had: Set<number>, tx: Transaction, uid: string | undefined): Promise<number | undefined> {
    if (asked !== 0 && had.has(asked)) return asked;
    if (asked === 0) {
      try {
        const n = this.portAllocator.allocateNext();
        tx.ports.push(n);
        return n;
      } catch (e) {
        if (e instanceof AllocationError) throw errors.internal(`Internal error occurred: failed to allocate a nodePort: ${e.message}`);
        throw e;
      }
    }
    if (tx.ports.includes(asked)) {
      tx.causes.push(invalid(field, asked, 'provided port is already allocated'));
      return undefined;
    }
    const problem = await this.take(() => this.portAllocator.allocate(asked), (o) => heldBy(o).ports.includes(asked), () => this.portAllocator.release(asked), uid);
    if (problem) {
      tx.causes.push(invalid(field, asked, problem));
      return undefined;
    }
    tx.ports.push(asked);
    return asked;
  }
}

function multiCIDR(gitVersion: string): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return m !== null && (Number(m[1]) > 1 || Number(m[2]) >= 33);
}

function firstAskedFor(ports: unknown[], port: number): number {
  for (const p of ports) if (isJsonObject(p) && p.port === port && typeof p.nodePort === 'number' && p.nodePort > 0) return p.nodePort;
  return 0;
}

/**
 * What an update leaves out that kube fills in or clears before validating (patchAllocatedValues,
 * dropTypeDependentFields): nodePorts kept by port name, nodePorts and the address dropped when
 * the type no longer has them.
 */
export function patchUpdate(old: KubeObject, next: KubeObject): KubeObject {
  const before = jsonObject(old.spec);
  const after = jsonObject(next.spec);
  if (!before || !after) return next;
  const spec: JsonObject = { ...after };
  const oldPorts = (Array.isArray(before.ports) ? before.ports : []).filter(isJsonObject);
  let ports = (Array.isArray(after.ports) ? after.ports : []).map((p) => (isJsonObject(p) ? { ...p } : p));
  if (needsNodePorts(before) && needsNodePorts(after)) {
    const byName = new Map(oldPorts.map((p) => [String(p.name ?? ''), p.nodePort]));
    const used = new Set(ports.map((p) => (isJsonObject(p) ? p.nodePort : undefined)).filter((n) => typeof n === 'number' && n > 0));
    for (const p of ports) {
      if (!isJsonObject(p) || (typeof p.nodePort === 'number' && p.nodePort !== 0)) continue;
      const kept = byName.get(String(p.name ?? ''));
      if (typeof kept === 'number' && !used.has(kept)) p.nodePort = kept;
    }
  }
  if (needsNodePorts(before) && !needsNodePorts(after) && sameNodePorts(oldPorts, ports)) {
    ports = ports.map((p) => (isJsonObject(p) ? withoutKey(p, 'nodePort') : p));
  }
  if (Array.isArray(after.ports)) spec.ports = ports;
  if (needsHealthCheckPort(before) && !needsHealthCheckPort(after) && spec.healthCheckNodePort === before.healthCheckNodePort) delete spec.healthCheckNodePort;
  if (needsClusterIP(before) && !needsClusterIP(after)) {
    if (spec.clusterIP === before.clusterIP) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (JSON.stringify(spec.ipFamilies) === JSON.stringify(before.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === before.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  return { ...next, spec };
}

function sameNodePorts(a: JsonObject[], b: unknown[]): boolean {
  const nodePorts = (list: unknown[]) => list.map((p) => (isJsonObject(p) && typeof p.nodePort === 'number' ? p.nodePort : 0));
  return JSON.stringify(nodePorts(a)) === JSON.stringify(nodePorts(b));
}

function withoutKey(o: JsonObject, key: string): JsonObject {
  const { [key]: _drop, ...rest } = o;
  return rest;
}
