// kube-apiserver's allocators for Service ClusterIPs and NodePorts, as pure data structures: a
// bitmap over the range (pkg/registry/core/service/allocator), an address or port asked for is
// taken if free, the next one is picked at random, and with KEP-3668 the range is split in a
// lower "static" band, kept for addresses and ports users choose (10.96.0.10 for kube-dns), and
// an upper "dynamic" band tried first for picked ones. Messages are the allocators' own
// (ipallocator.ErrAllocated, ErrNotInRange; portallocator likewise).

/** kubeadm's default --service-cluster-ip-range and kube-apiserver's --service-node-port-range. */
export const SERVICE_CIDR = '10.96.0.0/12';
export const NODE_PORT_RANGE = '30000-32767';

export type AllocationProblem = 'allocated' | 'not-in-range' | 'full';

export class AllocationError extends Error {
  constructor(
    readonly problem: AllocationProblem,
    message: string,
  ) {
    super(message);
    this.name = 'AllocationError';
  }
}

/** A bitmap over [0, size) with kube's random-scan-with-offset strategy. */
export class Bitmap {
  private readonly bits: Uint32Array;
  private used = 0;

  constructor(
    readonly size: number,
    /** Members below offset form the static band, used by allocateNext only when the rest is full. */
    readonly offset: number,
    private readonly random: () => number = Math.random,
  ) {
    this.bits = new Uint32Array(Math.ceil(size / 32));
  }

  has(i: number): boolean {
    return (this.bits[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  /** Takes a member; false if it was taken already. */
  allocate(i: number): boolean {
    if (this.has(i)) return false;
    this.bits[i >>> 5] |= 1 << (i & 31);
    this.used++;
    return true;
  }

  release(i: number): void {
    if (!this.has(i)) return;
    this.bits[i >>> 5] &= ~(1 << (i & 31));
    this.used--;
  }

  count(): number {
    return this.used;
  }

  /** A free member: a random start in the dynamic band, scanning up (wrapping), then the static band. */
  allocateNext(): number | undefined {
    const found = this.scan(this.offset, this.size) ?? this.scan(0, this.offset);
    if (found !== undefined) this.allocate(found);
    return found;
  }

  private scan(from: number, to: number): number | undefined {
    const n = to - from;
    if (n <= 0) return undefined;
    const start = Math.floor(this.random() * n) % n;
    for (let k = 0; k < n; ) {
      const i = from + ((start + k) % n);
      // A full word is skipped whole (a /12 is 32,768 words) when it lies inside the band.
      if ((i & 31) === 0 && this.bits[i >>> 5] === 0xffffffff && i + 32 <= to && k + 32 <= n) {
        k += 32;
        continue;
      }
      if (!this.has(i)) return i;
      k++;
    }
    return undefined;
  }
}

/** kube's calculateRangeOffset: min(max(min, size/step), max), 0 for ranges up to min. */
export function rangeOffset(size: number, min: number, max: number, step: number): number {
  if (size <= min) return 0;
  return Math.min(Math.max(min, Math.floor(size / step)), max);
}

function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** What both allocators share: members of a range mapped onto a bitmap, in the allocators' words. */
abstract class RangeAllocator<T> {
  protected abstract readonly bitmap: Bitmap;
  protected abstract index(v: T): number | undefined;
  protected abstract value(i: number): T;
  protected abstract notInRange(v: T): string;
  protected abstract readonly alreadyAllocated: string;

  /** Whether a member is in the range at all. */
  contains(v: T): boolean {
    return this.index(v) !== undefined;
  }

  has(v: T): boolean {
    const i = this.index(v);
    return i !== undefined && this.bitmap.has(i);
  }

  /** Takes a member asked for; throws AllocationError. */
  allocate(v: T): void {
    const i = this.index(v);
    if (i === undefined) throw new AllocationError('not-in-range', this.notInRange(v));
    if (!this.bitmap.allocate(i)) throw new AllocationError('allocated', this.alreadyAllocated);
  }

  allocateNext(): T {
    const i = this.bitmap.allocateNext();
    if (i === undefined) throw new AllocationError('full', 'range is full');
    return this.value(i);
  }

  release(v: T): void {
    const i = this.index(v);
    if (i !== undefined) this.bitmap.release(i);
  }

  count(): number {
    return this.bitmap.count();
  }
}

/** Service ClusterIPs from an IPv4 CIDR: every address but the network's and the broadcast's. */
export class ServiceIPAllocator extends RangeAllocator<string> {
  protected readonly bitmap: Bitmap;
  protected readonly alreadyAllocated = 'provided IP is already allocated';
  private readonly base: number;

  constructor(
    readonly cidr = SERVICE_CIDR,
    random: () => number = Math.random,
  ) {
    super();
    const [addr, bits] = cidr.split('/');
    const network = parseIPv4(addr);
    const prefix = Number(bits);
    if (network === undefined || !Number.isInteger(prefix) || prefix < 1 || prefix > 30) throw new Error(`not an IPv4 service CIDR: ${cidr}`);
    this.base = network + 1;
    const size = 2 ** (32 - prefix) - 2;
    // ipallocator: min 16, max 256, step 16.
    this.bitmap = new Bitmap(size, rangeOffset(size, 16, 256, 16), random);
  }

  protected index(ip: string): number | undefined {
    const n = parseIPv4(ip);
    if (n === undefined) return undefined;
    const i = n - this.base;
    return i >= 0 && i < this.bitmap.size ? i : undefined;
  }

  protected value(i: number): string {
    return formatIPv4(this.base + i);
  }

  protected notInRange(ip: string): string {
    return `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr}`;
  }
}

/** NodePorts from a port range ("30000-32767"). */
export class NodePortAllocator extends RangeAllocator<number> {
  protected readonly bitmap: Bitmap;
  protected readonly alreadyAllocated = 'provided port is already allocated';
  private readonly min: number;

  constructor(
    readonly range = NODE_PORT_RANGE,
    random: () => number = Math.random,
  ) {
    super();
    const [lo, hi] = range.split('-').map(Number);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || hi < lo) throw new Error(`not a port range: ${range}`);
    this.min = lo;
    const size = hi - lo + 1;
    // portallocator: min 16, max 128, step 32.
    this.bitmap = new Bitmap(size, rangeOffset(size, 16, 128, 32), random);
  }

  protected index(port: number): number | undefined {
    const i = port - this.min;
    return Number.isInteger(port) && i >= 0 && i < this.bitmap.size ? i : undefined;
  }

  protected value(i: number): number {
    return this.min + i;
  }

  protected notInRange(): string {
    return `provided port is not in the valid range. The range of valid ports is ${this.range}`;
  }
}
