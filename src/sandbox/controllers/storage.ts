// The persistent-volume decisions as pure functions (kube-controller-manager's
// persistentvolume-binder and kube-scheduler's VolumeBinding plugin): which PersistentVolume a
// claim may bind (class, access modes, capacity, selector, volume mode, node), which class is
// the default, what the sandbox's provisioner creates, and what the scheduler says about a pod
// whose claims are missing, unbound or pinned to other nodes.
import { labelSelectorFromObject } from '../../api/labels.js';
import type { KubeObject, Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../api/types.js';
import { matchesNodeAffinity } from '../../api/affinity.js';
import { parseQuantity } from './scheduling.js';

/** The provisioner the sandbox simulates (a local-volume CSI driver). */
export const SANDBOX_PROVISIONER = 'sandbox.upkeep.dev/local';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
/** Set by the scheduler on a WaitForFirstConsumer claim: where to provision. */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
/** Set by the PV controller on a claim it binds. */
export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
export const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
export const STORAGE_PROVISIONER_ANNOTATION = 'volume.kubernetes.io/storage-provisioner';
const BETA_STORAGE_PROVISIONER_ANNOTATION = 'volume.beta.kubernetes.io/storage-provisioner';

/** The StorageClass every sandbox starts with (kind's and minikube's is also called `standard`). */
export function defaultStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'standard', annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: SANDBOX_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

export function isDefaultClass(sc: StorageClass): boolean {
  const a = sc.metadata.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

/** The DefaultStorageClass admission plugin's choice: the newest default class (then by name), if any. */
export function pickDefaultClass(classes: StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter(isDefaultClass);
  defaults.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  return defaults[0];
}

/** A claim's storage class name ('' means "no class": only PVs without a class). */
export function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.spec?.storageClassName ?? '';
}

export function isWaitForFirstConsumer(sc: StorageClass | undefined): boolean {
  return sc?.volumeBindingMode === 'WaitForFirstConsumer';
}

function requestedBytes(pvc: PersistentVolumeClaim): number {
  return parseQuantity(pvc.spec?.resources?.requests?.storage ?? 0);
}

/** True when pv's claimRef names this claim (by uid when the ref carries one). */
export function isBoundTo(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref || ref.name !== pvc.metadata.name || ref.namespace !== pvc.metadata.namespace) return false;
  return !ref.uid || ref.uid === pvc.metadata.uid;
}

/** Why pv cannot hold the claim (on node, if given), or undefined when it can (kube's checkVolumeSatisfyClaim). */
export function volumeMismatch(pv: PersistentVolume, pvc: PersistentVolumeClaim, node?: Node): string | undefined {
  if (pv.metadata.deletionTimestamp) return 'being deleted';
  if (pv.spec?.claimRef && !isBoundTo(pv, pvc)) return 'bound to another claim';
  if ((pv.spec?.storageClassName ?? '') !== claimClass(pvc)) return 'storage class';
  const modes = pv.spec?.accessModes ?? [];
  if (!(pvc.spec?.accessModes ?? []).every((m) => modes.includes(m))) return 'access modes';
  if (parseQuantity(pv.spec?.capacity?.storage ?? 0) < requestedBytes(pvc)) return 'capacity';
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (pvc.spec?.volumeMode ?? 'Filesystem')) return 'volume mode';
  if (pvc.spec?.selector && !labelSelectorFromObject(pvc.spec.selector).matches(pv.metadata.labels)) return 'selector';
  if (node && !volumeFitsNode(pv, node)) return 'node affinity';
  return undefined;
}

/** The smallest PV that satisfies the claim, one already naming it first (kube's findMatchingVolume). */
export function findMatchingVolume(pvc: PersistentVolumeClaim, volumes: PersistentVolume[], node?: Node): PersistentVolume | undefined {
  let best: PersistentVolume | undefined;
  for (const pv of volumes) {
    if (volumeMismatch(pv, pvc, node)) continue;
    if (isBoundTo(pv, pvc)) return pv;
    if (pv.status?.phase && pv.status.phase !== 'Available') continue;
    if (!best || parseQuantity(pv.spec?.capacity?.storage ?? 0) < parseQuantity(best.spec?.capacity?.storage ?? 0)) best = pv;
  }
  return best;
}

/** A PV's required nodeAffinity against a node (a PV without one fits everywhere). */
export function volumeFitsNode(pv: PersistentVolume, node: Node): boolean {
  const required = pv.spec?.nodeAffinity?.required;
  if (!required) return true;
  return matchesNodeAffinity({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: required } } }, node);
}

/**
 * The PV the sandbox's provisioner creates for a claim: named pvc-<claim uid>, the requested
 * size, the class's reclaim policy, pre-bound to the claim, and for a WaitForFirstConsumer class
 * pinned to the node the scheduler picked (a local volume lives on one machine).
 */
export function provisionedVolume(pvc: PersistentVolumeClaim, sc: StorageClass, node: string | undefined): PersistentVolume {
  const name = `pvc-${pvc.metadata.uid ?? ''}`;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [PROVISIONED_BY_ANNOTATION]: sc.provisioner } },
    spec: {
      capacity: { storage: String(pvc.spec?.resources?.requests?.storage ?? '1Gi') },
      accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      storageClassName: sc.metadata.name,
      volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
      claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion },
      local: { path: `/var/lib/upkeep-sandbox/volumes/${name}` },
      // A local volume must name its node; an Immediate claim has none yet, so it goes to the provisioner's own machine pool: any node.
      nodeAffinity: { required: { nodeSelectorTerms: [node ? { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] } : { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'Exists' }] }] } },
    },
  };
}

/** The provisioner annotations the PV controller puts on a claim it hands to a provisioner. */
export function provisionerAnnotations(sc: StorageClass): Record<string, string> {
  return { [STORAGE_PROVISIONER_ANNOTATION]: sc.provisioner, [BETA_STORAGE_PROVISIONER_ANNOTATION]: sc.provisioner };
}

/** The claims a pod's volumes name. */
export function podClaimNames(pod: Pod): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) if (v.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
  return out;
}

/** What the scheduler's VolumeBinding plugin makes of a pod's claims. */
export type PodVolumes =
  /** The pod cannot be placed anywhere yet: kube's pod-level reason. */
  | { kind: 'blocked'; reason: string }
  /** Bound volumes pin the pod to nodes their affinity allows; unbound WaitForFirstConsumer claims wait for the pick. */
  | { kind: 'ok'; bound: PersistentVolume[]; waiting: PersistentVolumeClaim[] };

export interface VolumeLookup {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  storageClass(name: string): StorageClass | undefined;
}

/** The VolumeBinding plugin's PreFilter: missing, deleted, unbound-immediate claims stop the pod. */
export function podVolumes(pod: Pod, lookup: VolumeLookup): PodVolumes {
  const ns = pod.metadata.namespace ?? '';
  const bound: PersistentVolume[] = [];
  const waiting: PersistentVolumeClaim[] = [];
  let unboundImmediate = false;
  for (const name of podClaimNames(pod)) {
    const pvc = lookup.claim(ns, name);
    if (!pvc) return { kind: 'blocked', reason: `persistentvolumeclaim "${name}" not found` };
    if (pvc.metadata.deletionTimestamp) return { kind: 'blocked', reason: `persistentvolumeclaim "${name}" is being deleted` };
    const volumeName = pvc.spec?.volumeName;
    const pv = volumeName ? lookup.volume(volumeName) : undefined;
    if (pv && pvc.status?.phase === 'Bound') {
      bound.push(pv);
      continue;
    }
    if (isWaitForFirstConsumer(lookup.storageClass(claimClass(pvc)))) waiting.push(pvc);
    else unboundImmediate = true;
  }
  if (unboundImmediate) return { kind: 'blocked', reason: 'pod has unbound immediate PersistentVolumeClaims' };
  return { kind: 'ok', bound, waiting };
}

/** The VolumeBinding plugin's Filter for one node: true when every bound volume may be used there. */
export function volumesFitNode(volumes: PodVolumes, node: Node): boolean {
  return volumes.kind === 'ok' && volumes.bound.every((pv) => volumeFitsNode(pv, node));
}

/** kube-scheduler's FailedScheduling message for a pod-level (PreFilter) failure. */
export function preFilterMessage(total: number, reason: string): string {
  return `0/${total} nodes are available: ${reason}. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`;
}

// ---- storage object in-use protection ----

/** The StorageObjectInUseProtection admission plugin's finalizers, removed by the pvc- and pv-protection controllers. */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

/** The admission plugin on create: a claim or volume gets its protection finalizer (once). */
export function withProtectionFinalizer(o: KubeObject): KubeObject {
  const finalizer = o.kind === 'PersistentVolumeClaim' && o.apiVersion === 'v1' ? PVC_PROTECTION_FINALIZER : o.kind === 'PersistentVolume' && o.apiVersion === 'v1' ? PV_PROTECTION_FINALIZER : undefined;
  if (!finalizer || o.metadata.finalizers?.includes(finalizer)) return o;
  return { ...o, metadata: { ...o.metadata, finalizers: [...(o.metadata.finalizers ?? []), finalizer] } };
}

/**
 * The pvc-protection controller's podUsesPVC: a pod uses a claim once it is scheduled (the kubelet
 * will not start a pod on a claim being deleted) and until it is shut down (deleted with grace 0:
 * the kubelet is done, or it was forced), through a persistentVolumeClaim or generic ephemeral volume.
 */
export function podUsesClaim(pod: Pod, claim: string): boolean {
  if (!pod.spec?.nodeName) return false;
  if (pod.metadata.deletionTimestamp && pod.metadata.deletionGracePeriodSeconds === 0) return false;
  const name = pod.metadata.name ?? '';
  return (pod.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim || (v.ephemeral !== undefined && `${name}-${v.name}` === claim));
}

/** The pvc-protection controller: a deleted claim loses its finalizer once no pod of its namespace uses it. */
export function claimProtectionRemovable(pvc: PersistentVolumeClaim, podsInNamespace: readonly Pod[]): boolean {
  if (!pvc.metadata.deletionTimestamp || !pvc.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER)) return false;
  return !podsInNamespace.some((p) => podUsesClaim(p, pvc.metadata.name ?? ''));
}

/** The pv-protection controller: a deleted volume loses its finalizer once it is no longer Bound. */
export function volumeProtectionRemovable(pv: PersistentVolume): boolean {
  if (!pv.metadata.deletionTimestamp || !pv.metadata.finalizers?.includes(PV_PROTECTION_FINALIZER)) return false;
  return pv.status?.phase !== 'Bound';
}
