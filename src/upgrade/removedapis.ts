// Removed API versions and the check of what a cluster uses against them. The apiserver converts
// stored objects on read, so the live API cannot say which apiVersion a manifest was written in;
// the evidence is what the cluster serves (discovery), the kubectl.kubernetes.io/last-applied-
// configuration annotation and managedFields[].apiVersion (what clients wrote with).
import { REMOVED_API_DATA, type RemovedApiData } from './data/removed-apis.js';
import { minorKey, minorOrder, parseVersion } from './version.js';

/** A removed API version (the shape is the data file's: one home for it). */
export type RemovedApi = RemovedApiData;

export const REMOVED_APIS: RemovedApi[] = REMOVED_API_DATA.map((r) => ({ ...r }));

export interface ApiUsage {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  source: 'served' | 'last-applied' | 'managedFields';
}

/** 'batch/v1beta1'; core-group APIs have no group prefix. */
export function apiVersionOf(api: Pick<RemovedApi, 'group' | 'version'>): string {
  return api.group === '' ? api.version : `${api.group}/${api.version}`;
}

function minorOrd(minor: string): number {
  return minorOrder(parseVersion(minor));
}

/** The API versions a release stops serving: removedApisIn('1.25'). */
export function removedApisIn(minor: string): RemovedApi[] {
  const k = minorKey(parseVersion(minor));
  return REMOVED_APIS.filter((a) => a.removedIn === k);
}

/**
 * Usages of API versions removed after `fromMinor` and up to and including `toMinor`: the ones an
 * upgrade from `fromMinor` to `toMinor` takes away. A 'served' usage may leave `kind` empty (or '*')
 * to stand for every kind of its group/version.
 */
export function findRemovedApis(usages: readonly ApiUsage[], fromMinor: string, toMinor: string): Array<ApiUsage & { api: RemovedApi }> {
  const from = minorOrd(fromMinor);
  const to = minorOrd(toMinor);
  const removing = REMOVED_APIS.filter((a) => {
    const r = minorOrd(a.removedIn);
    return r > from && r <= to;
  });
  const out: Array<ApiUsage & { api: RemovedApi }> = [];
  for (const u of usages) {
    for (const api of removing) {
      if (u.apiVersion !== apiVersionOf(api)) continue;
      if (u.kind !== api.kind && !(u.source === 'served' && (u.kind === '' || u.kind === '*'))) continue;
      out.push({ ...u, api });
      // A group/version-wide 'served' usage matches every kind of it; an object matches one entry.
      if (u.kind !== '' && u.kind !== '*') break;
    }
  }
  return out;
}

/** How kubectl names the object: 'cronjob.batch default/backup', 'clusterrole.rbac.authorization.k8s.io admin'. */
export function objectRef(usage: ApiUsage, api: RemovedApi): string {
  const type = api.group === '' ? api.kind.toLowerCase() : `${api.kind.toLowerCase()}.${api.group}`;
  return usage.namespace ? `${type} ${usage.namespace}/${usage.name}` : `${type} ${usage.name}`;
}
