// How often simulated kubelets renew their node Leases, and how long the node lifecycle
// controller waits before it calls a silent node unreachable. kubelet renews every 10 s of
// cluster time (NodeLease's renewInterval) and kube-controller-manager's node monitor grace period
// is 40 s; the sandbox runs those on its clock (so --time-scale applies), but never renews more
// often than minRealRenewMs per kubelet nor more than MAX_LEASE_RENEWALS_PER_SECOND in all: 5,000
// kubelets at time scale 60 would otherwise write 30,000 Leases a second and starve everything
// else. The grace period stretches with the renewal period (three renewals), so a slowed
// heartbeat never looks like a dead node.
import type { SandboxSettings } from './context.js';

/** Lease writes per real second all kubelets together may make. */
export const MAX_LEASE_RENEWALS_PER_SECOND = 500;

type RenewSettings = Pick<SandboxSettings, 'leaseRenewSeconds' | 'nodeMonitorGraceSeconds' | 'minRealRenewMs'>;

/** Real ms between one kubelet's renewals, with `nodes` kubelets running. */
export function leaseRenewRealMs(s: RenewSettings, realOf: (simMs: number) => number, nodes: number): number {
  return Math.max(realOf(s.leaseRenewSeconds * 1000), s.minRealRenewMs, Math.ceil((nodes * 1000) / MAX_LEASE_RENEWALS_PER_SECOND));
}

/** Real ms a Lease may go unrenewed before its node is unreachable. */
export function nodeMonitorGraceRealMs(s: RenewSettings, realOf: (simMs: number) => number, nodes: number): number {
  return Math.max(realOf(s.nodeMonitorGraceSeconds * 1000), leaseRenewRealMs(s, realOf, nodes) * 3);
}

/**
 * When a kubelet's first periodic renewal comes: its place in the period (0 <= phase < 1, random
 * per kubelet) spreads thousands of kubelets started together evenly over the period instead of
 * all renewing in the same instant.
 */
export function firstRenewalRealMs(periodMs: number, phase: number): number {
  return Math.max(1, Math.round(periodMs * Math.min(Math.max(phase, 0), 1)));
}
