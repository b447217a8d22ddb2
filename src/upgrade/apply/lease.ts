// The lock: a coordination.k8s.io Lease in kube-system, as kured locks its reboots, so two runs
// never overlap. The holder renews it; a second run refuses and says who holds it and until when.
// A holder that is gone can be taken over: the lease expired (leaseDurationSeconds after its last
// renewal), or the holder was a process on this very machine that no longer exists (kill -9).
import os from 'node:os';
import type { Lease } from '../../api/types.js';
import { isAlreadyExists, isConflict, isNotFound, type KubeClient } from '../../kube/index.js';
import { errnoCode } from '../../util/errors.js';

export const LEASE_NAME = 'upkeep-upgrade';
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-system' } as const;

/** Someone else holds the lock. */
export class LeaseHeldError extends Error {
  override readonly name = 'LeaseHeldError';
  readonly exitCode = 3;
  constructor(
    readonly holder: string,
    readonly until: string,
  ) {
    super(`another upkeep run holds lease kube-system/${LEASE_NAME}: ${holder} (until ${until} unless renewed); wait for it, or stop it with 'upkeep upgrade abort'`);
  }
}

/** This process, as the lease's holderIdentity: user@host pid N. */
export function holderIdentity(): string {
  return `${os.userInfo().username}@${os.hostname()} pid ${process.pid}`;
}

/** Whether a holder is a process of this machine that has exited. */
export function holderGone(holder: string, host = os.hostname(), alive: (pid: number) => boolean = pidAlive): boolean {
  const m = /@(\S+) pid (\d+)$/.exec(holder);
  return !!m && m[1] === host && !alive(Number(m[2]));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/** When a lease ends unless renewed (ms since epoch); 0 when it has no renewal. */
export function leaseEnds(lease: Lease): number {
  const renewed = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '');
  return Number.isFinite(renewed) ? renewed + (lease.spec?.leaseDurationSeconds ?? 0) * 1000 : 0;
}

/** May `me` take this lease now? Pure. */
export function mayTake(lease: Lease, me: string, now: number, gone: (holder: string) => boolean = holderGone): boolean {
  const holder = lease.spec?.holderIdentity ?? '';
  return !holder || holder === me || leaseEnds(lease) <= now || gone(holder);
}

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

export class RunLease {
  private timer?: NodeJS.Timeout;
  private resourceVersion?: string;

  private constructor(
    private readonly client: KubeClient,
    readonly holder: string,
    private readonly durationSeconds: number,
  ) {}

  /** Take the lease (or throw LeaseHeldError) and keep renewing it until release(). */
  static async acquire(client: KubeClient, holder = holderIdentity(), durationSeconds = 30): Promise<RunLease> {
    const lease = new RunLease(client, holder, durationSeconds);
    await lease.take();
    lease.timer = setInterval(() => void lease.renew().catch(() => undefined), (durationSeconds * 1000) / 3);
    lease.timer.unref();
    return lease;
  }

  private body(now: number, acquire: boolean, existing?: Lease): Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: LEASE_NAME, namespace: 'kube-system', ...(existing?.metadata.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}) },
      spec: {
        holderIdentity: this.holder,
        leaseDurationSeconds: this.durationSeconds,
        acquireTime: acquire ? microTime(now) : (existing?.spec?.acquireTime ?? microTime(now)),
        renewTime: microTime(now),
        leaseTransitions: (existing?.spec?.leaseTransitions ?? 0) + (acquire && existing ? 1 : 0),
      },
    };
  }

  private async take(): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      let existing: Lease | undefined;
      try {
        existing = await this.client.get<Lease>({ ...LEASES, name: LEASE_NAME });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      try {
        if (!existing) {
          const created = await this.client.create<Lease>(LEASES, this.body(now, true));
          this.resourceVersion = created.metadata.resourceVersion;
          return;
        }
        if (!mayTake(existing, this.holder, now)) throw new LeaseHeldError(existing.spec?.holderIdentity ?? '', new Date(leaseEnds(existing)).toISOString());
        const taken = await this.client.replace<Lease>({ ...LEASES, name: LEASE_NAME }, this.body(now, existing.spec?.holderIdentity !== this.holder, existing));
        this.resourceVersion = taken.metadata.resourceVersion;
        return;
      } catch (err) {
        // Another run took it between our read and our write: read again.
        if (!isConflict(err) && !isAlreadyExists(err)) throw err;
      }
    }
    throw new LeaseHeldError('another run (it changed while upkeep tried to take it)', 'unknown');
  }

  private async renew(): Promise<void> {
    const existing = await this.client.get<Lease>({ ...LEASES, name: LEASE_NAME });
    if (existing.spec?.holderIdentity !== this.holder) return;
    const renewed = await this.client.replace<Lease>({ ...LEASES, name: LEASE_NAME }, this.body(Date.now(), false, existing));
    this.resourceVersion = renewed.metadata.resourceVersion;
  }

  /** Stop renewing and give the lease up (delete it, only if still ours). */
  async release(): Promise<void> {
    clearInterval(this.timer);
    try {
      const existing = await this.client.get<Lease>({ ...LEASES, name: LEASE_NAME });
      if (existing.spec?.holderIdentity === this.holder) await this.client.delete({ ...LEASES, name: LEASE_NAME });
    } catch {
      // Expiry frees it anyway.
    }
  }
}

/** Who holds the lease now, if anyone (for status and abort). */
export async function currentHolder(client: KubeClient): Promise<{ holder: string; until: string; gone: boolean } | undefined> {
  try {
    const lease = await client.get<Lease>({ ...LEASES, name: LEASE_NAME });
    const holder = lease.spec?.holderIdentity ?? '';
    if (!holder || leaseEnds(lease) <= Date.now()) return undefined;
    return { holder, until: new Date(leaseEnds(lease)).toISOString(), gone: holderGone(holder) };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
