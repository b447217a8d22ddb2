// The maintenances the audit is run for (`upkeep audit --for drain|upgrade|backup|restore`): how
// the findings word them, and the drain each node gets. The upgrade's is the runbook's (the
// Kubernetes docs' `kubectl drain NODE --ignore-daemonsets`), which the plan's preflight uses.
import { drainOptions } from '../drain/types.js';
import type { Maintenance } from './rules.js';

export const OPERATIONS = ['drain', 'upgrade', 'backup', 'restore'] as const;
export type Operation = (typeof OPERATIONS)[number];

export function isOperation(s: string): s is Operation {
  return OPERATIONS.some((o) => o === s);
}

const DRAIN = { options: drainOptions({ ignoreDaemonSets: true }), flags: ['--ignore-daemonsets'] };

export const MAINTENANCES: Readonly<Record<Operation | 'maintenance', Maintenance>> = {
  maintenance: { operation: 'maintenance', nodeDone: 'back', drain: { ...DRAIN, name: 'the usual drain' } },
  drain: { operation: 'the drain', nodeDone: 'uncordoned', drain: { ...DRAIN, name: 'the drain' } },
  upgrade: { operation: 'the upgrade', nodeDone: 'upgraded', drain: { ...DRAIN, name: "the runbook's drain" } },
  // Backups and restores drain nothing; their availability findings speak of maintenance in general.
  backup: { operation: 'the backup', nodeDone: 'back', drain: { ...DRAIN, name: 'the usual drain' } },
  restore: { operation: 'the restore', nodeDone: 'back', drain: { ...DRAIN, name: 'the usual drain' } },
};
