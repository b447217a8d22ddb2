// What the bound, unfinished pods hold on each node (pods, cpu and memory requests, pods per
// owner), kept in flat arrays indexed by a slot per node name. The scheduler reads it for
// hundreds of nodes per pod (kube-scheduler's own cache of NodeInfo serves it the same way): an
// object and a Map per node, scattered over a large heap, cost a cache miss each, the arrays
// do not. The controllers' cache keeps it current from pod events; this is its only home.
import type { Pod } from '../../api/types.js';
import { type NodeUsage, podRequests } from './scheduling.js';

/**
 * One owner's pods per node slot: a Map while the owner is on few nodes, an array once it is on
 * many (a large Deployment's ReplicaSet, a DaemonSet), where the scheduler reads it per node.
 */
export class OwnerCounts {
  private map: Map<number, number> | undefined = new Map();
  private array: Int32Array | undefined;
  /** Nodes where the owner has pods. */
  size = 0;

  get(slot: number): number {
    if (this.array) return slot < this.array.length ? this.array[slot] : 0;
    return this.map?.get(slot) ?? 0;
  }

  add(slot: number, sign: 1 | -1): void {
    const before = this.get(slot);
    const after = Math.max(0, before + sign);
    if (before === 0 && after > 0) this.size++;
    else if (before > 0 && after === 0) this.size--;
    if (this.map && this.map.size >= OWNER_ARRAY_AT) {
      this.array = new Int32Array(Math.max(64, slot + 1));
      for (const [k, v] of this.map) this.setArray(k, v);
      this.map = undefined;
    }
    if (this.array) this.setArray(slot, after);
    else if (after > 0) this.map?.set(slot, after);
    else this.map?.delete(slot);
  }

  private setArray(slot: number, n: number): void {
    if (slot >= this.array!.length) {
      const grown = new Int32Array(Math.max(this.array!.length * 2, slot + 1));
      grown.set(this.array!);
      this.array = grown;
    }
    this.array![slot] = n;
  }

  /** Slot and count of every node where the owner has pods. */
  *entries(): IterableIterator<[number, number]> {
    if (this.map) yield* this.map;
    else for (let i = 0; i < this.array!.length; i++) if (this.array![i] > 0) yield [i, this.array![i]];
  }
}

/** Nodes an owner's pods are on before its counts move from a Map to an array. */
const OWNER_ARRAY_AT = 64;

export class NodeUsageTable {
  private readonly slots = new Map<string, number>();
  /** Indexed by slot; replaced when they grow, so read them afresh for each pass. */
  pods = new Float64Array(64);
  cpu = new Float64Array(64);
  memory = new Float64Array(64);
  /** Owner uid -> pods of that owner per node (any ownerReference). */
  private readonly owners = new Map<string, OwnerCounts>();

  /** The node's slot (given on first use; a name keeps its slot for the table's life). */
  slot(node: string): number {
    let s = this.slots.get(node);
    if (s !== undefined) return s;
    s = this.slots.size;
    this.slots.set(node, s);
    if (s >= this.pods.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.pods = grow(this.pods);
      this.cpu = grow(this.cpu);
      this.memory = grow(this.memory);
    }
    return s;
  }

  /** Adds (1) or takes away (-1) one pod's share of its node's usage. */
  add(node: string, pod: Pod, sign: 1 | -1): void {
    const s = this.slot(node);
    const r = podRequests(pod);
    this.pods[s] += sign;
    this.cpu[s] += sign * r.cpu;
    this.memory[s] += sign * r.memory;
    for (const ref of pod.metadata.ownerReferences ?? []) {
      let m = this.owners.get(ref.uid);
      if (!m) this.owners.set(ref.uid, (m = new OwnerCounts()));
      m.add(s, sign);
      if (m.size === 0) this.owners.delete(ref.uid);
    }
  }

  /** Pods of this owner per slot, for spreading its replicas (read-only; live). */
  ownerCounts(uid: string | undefined): OwnerCounts | undefined {
    return uid === undefined ? undefined : this.owners.get(uid);
  }

  /** The node's usage as a value (a copy: for the few callers that want one object). */
  usage(node: string): NodeUsage {
    const s = this.slot(node);
    const byOwner = new Map<string, number>();
    for (const [uid, m] of this.owners) {
      const n = m.get(s);
      if (n) byOwner.set(uid, n);
    }
    return { pods: this.pods[s], cpu: this.cpu[s], memory: this.memory[s], byOwner };
  }
}
