// Stored objects read as their kind. The registry stores an object under its resource only after
// decoding it as that resource's kind (kind and apiVersion set from the URL), so `kind` tells
// what an object of the store is; these guards let typed code narrow a KubeObject read from a
// resource to that resource's kind (a custom resource may reuse a built-in kind's name in its own
// group, so they are for objects whose resource is known).
import type { CustomResourceDefinition, Event, KubeObject, Lease, Namespace, Node, PersistentVolumeClaim, Pod, PodDisruptionBudget, StorageClass } from '../../api/types.js';

function isKind<T extends KubeObject>(kind: string): (o: KubeObject) => o is T {
  return (o): o is T => o.kind === kind;
}

export const isPod = isKind<Pod>('Pod');
export const isNode = isKind<Node>('Node');
export const isNamespace = isKind<Namespace>('Namespace');
export const isPodDisruptionBudget = isKind<PodDisruptionBudget>('PodDisruptionBudget');
export const isLease = isKind<Lease>('Lease');
export const isCustomResourceDefinition = isKind<CustomResourceDefinition>('CustomResourceDefinition');
export const isPersistentVolumeClaim = isKind<PersistentVolumeClaim>('PersistentVolumeClaim');
export const isStorageClass = isKind<StorageClass>('StorageClass');
export const isEvent = isKind<Event>('Event');
