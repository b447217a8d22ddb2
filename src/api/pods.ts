// The facts about a pod that drain, upgrade, audit, the demo and the sandbox's controllers all
// ask: is it ready, where does it run, who controls it, is it a mirror or DaemonSet pod, is it
// going away or done. One home for each, with Kubernetes' own definitions.
import type { KubeObject, OwnerReference, Pod, PodCondition } from './types.js';

/** The annotation the kubelet puts on the API copy (mirror pod) of a static pod. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** A pod, or any object read as one (the shape is checked field by field, never assumed). */
type PodLike = Pick<Pod, 'metadata' | 'spec' | 'status'>;

/** "ns/name", as kubectl lists pods in its messages. */
export function podKey(pod: { metadata: KubeObject['metadata'] }): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

export function podPhase(pod: PodLike): string | undefined {
  return pod.status?.phase || undefined;
}

/** The node the pod is bound to (spec.nodeName), if any. */
export function podNodeName(pod: PodLike): string | undefined {
  return pod.spec?.nodeName || undefined;
}

export function podCondition(pod: PodLike, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/** podutil.IsPodReady: the Ready condition is True (whatever else is going on). */
export function isPodReady(pod: PodLike): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** Being deleted: deletionTimestamp is set. */
export function isPodTerminating(pod: PodLike): boolean {
  return !!pod.metadata.deletionTimestamp;
}

/**
 * Ready and not terminating: what a Service's endpoints serve and what the disruption controller
 * counts as healthy for a PodDisruptionBudget.
 */
export function isPodServing(pod: PodLike): boolean {
  return !isPodTerminating(pod) && isPodReady(pod);
}

/** Succeeded or Failed: the pod will never run again. */
export function isPodFinished(pod: PodLike): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

/** controller.IsPodActive: not finished and not being deleted. */
export function isPodActive(pod: PodLike): boolean {
  return !isPodFinished(pod) && !isPodTerminating(pod);
}

/** metav1.GetControllerOf: the owner reference with controller: true. */
export function controllerOf(obj: { metadata: KubeObject['metadata'] }): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** A static pod's API copy, which the API server cannot delete for good. */
export function isMirrorPod(pod: PodLike): boolean {
  return Object.prototype.hasOwnProperty.call(pod.metadata.annotations ?? {}, MIRROR_POD_ANNOTATION);
}

/** Controlled by a DaemonSet (kubectl drain's test: the controller reference's kind). */
export function isDaemonSetPod(pod: PodLike): boolean {
  return controllerOf(pod)?.kind === 'DaemonSet';
}

/** Only emptyDir counts as local storage for drain; hostPath and local PVs do not. */
export function hasLocalStorage(pod: PodLike): boolean {
  return (pod.spec?.volumes ?? []).some((v) => v.emptyDir !== undefined && v.emptyDir !== null);
}
