// The machine under a simulated kubelet: faults a test arms on it (what goes wrong at its next
// reboot or upgrade) and what the machine API reports about it. Pure; kubelet.ts applies them.
import { errors } from '../../api/status.js';
import { isJsonObject } from '../../util/json.js';

/** What goes wrong on a machine, armed through POST /sandbox/v1/nodes/<node>/faults. */
export interface MachineFaults {
  /** The next reboot or upgrade leaves the kubelet down (the machine does not boot) until `up`. */
  neverReturn?: boolean;
  /** After the next reboot or upgrade the kubelet runs but posts Ready=False, until the fault is cleared. */
  notReady?: boolean;
  /** An upgrade keeps the kubelet down this many simulated seconds (instead of downSeconds). */
  upgradeSeconds?: number;
}

/** A machine: running (kubelet up), down (stopped or rebooting), or removed (gone for good). */
export type MachineState = 'running' | 'down' | 'removed';

export interface MachineView {
  name: string;
  up: boolean;
  /** The kubelet's version (the packages installed on the machine). */
  version: string;
  machine: MachineState;
  /** Its kubelet runs but reports NotReady (the notReady fault took effect). */
  notReady: boolean;
  /** On control-plane nodes: the version of its static pods (kube-apiserver, ...). */
  staticPods?: string;
  faults: MachineFaults;
}

/** The Ready condition a kubelet posts when its node is broken after a restart (the CNI never came up). */
export const NOT_READY_CONDITION = {
  reason: 'KubeletNotReady',
  message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
};

/**
 * Merges a faults body into the armed faults: a field set to false/null/0 clears it; fields
 * absent stay. Bad fields fail with 400, naming the field.
 */
export function mergeFaults(current: MachineFaults, body: unknown): MachineFaults {
  if (!isJsonObject(body)) throw errors.badRequest('the body must be a JSON object like {"neverReturn":true,"notReady":true,"upgradeSeconds":600}');
  const next: MachineFaults = { ...current };
  for (const [key, value] of Object.entries(body)) {
    if (key === 'neverReturn' || key === 'notReady') {
      if (value !== null && typeof value !== 'boolean') throw errors.badRequest(`${key} must be true or false, got ${JSON.stringify(value)}`);
      if (value) next[key] = true;
      else delete next[key];
    } else if (key === 'upgradeSeconds') {
      if (value !== null && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) throw errors.badRequest(`upgradeSeconds must be a non-negative number, got ${JSON.stringify(value)}`);
      if (value) next.upgradeSeconds = value;
      else delete next.upgradeSeconds;
    } else {
      throw errors.badRequest(`unknown fault "${key}" (neverReturn, notReady, upgradeSeconds)`);
    }
  }
  return next;
}
