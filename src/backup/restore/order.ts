// In which order a restore creates resources: Velero's (v1.18) priorities, so restores behave as
// Velero users expect. Pass 1 is CRDs alone (then wait until Established and refresh discovery, so
// custom resources are never "not resolvable via discovery"); pass 2 is the high-priority list,
// then every other resource alphabetically, then the low-priority list.
//
// One addition to Velero's lists: webhook configurations and APIServices go last. Restored early,
// a webhook or an aggregated API whose backend is not running yet refuses or hides everything
// restored after it (Velero #2443, #4045).

export const CRDS = 'customresourcedefinitions.apiextensions.k8s.io';

/** Velero's default high-priority list (ServiceAccounts before Secrets, so token Secrets fill in). */
export const HIGH_PRIORITY = [
  CRDS,
  'namespaces',
  'storageclasses.storage.k8s.io',
  'volumesnapshotclass.snapshot.storage.k8s.io',
  'volumesnapshotcontents.snapshot.storage.k8s.io',
  'volumesnapshots.snapshot.storage.k8s.io',
  'datauploads.velero.io',
  'persistentvolumes',
  'persistentvolumeclaims',
  'clusterroles.rbac.authorization.k8s.io',
  'roles.rbac.authorization.k8s.io',
  'serviceaccounts',
  'clusterrolebindings.rbac.authorization.k8s.io',
  'rolebindings.rbac.authorization.k8s.io',
  'secrets',
  'configmaps',
  'limitranges',
  'priorityclasses.scheduling.k8s.io',
  'pods',
  'replicasets.apps',
  'clusterclasses.cluster.x-k8s.io',
  'endpoints',
  'services',
];

/** Velero's default low-priority list, then upkeep's addition (see above). */
export const LOW_PRIORITY = [
  'clusterbootstraps.run.tanzu.vmware.com',
  'clusters.cluster.x-k8s.io',
  'clusterresourcesets.addons.cluster.x-k8s.io',
  'apps.kappctrl.k14s.io',
  'packageinstalls.packaging.carvel.dev',
  'apiservices.apiregistration.k8s.io',
  'mutatingwebhookconfigurations.admissionregistration.k8s.io',
  'validatingwebhookconfigurations.admissionregistration.k8s.io',
];

export interface RestoreOrder {
  /** Pass 1: CRDs (then wait for Established, refresh discovery). */
  first: string[];
  /** Pass 2, in order. */
  then: string[];
}

/** Order the archive's group resources ("deployments.apps") for a restore. */
export function restoreOrder(groupResources: Iterable<string>): RestoreOrder {
  const all = new Set(groupResources);
  const high = HIGH_PRIORITY.filter((r) => r !== CRDS && all.has(r));
  const low = LOW_PRIORITY.filter((r) => all.has(r));
  const placed = new Set([CRDS, ...high, ...low]);
  const middle = [...all].filter((r) => !placed.has(r)).sort();
  return { first: all.has(CRDS) ? [CRDS] : [], then: [...high, ...middle, ...low] };
}
