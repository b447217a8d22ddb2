// Stored objects read as their kind. The registry stores an object under its resource only after
// decoding it as that resource's kind (kind and apiVersion set from the URL), so `kind` tells
// what an object of the store is; these guards let typed code narrow a KubeObject read from a
// resource to that resource's kind (a custom resource may reuse a built-in kind's name in its own
// group, so they are for objects whose resource is known).
import type { CustomResourceDefinition, KubeObject, Lease, Namespace, Node, Pod, PodDisruptionBudget } from '../../api/types.js';

export function isPod(o: KubeObject): o is Pod {
  return o.kind === 'Pod';
}

export function isNode(o: KubeObject): o is Node {
  return o.kind === 'Node';
}

export function isNamespace(o: KubeObject): o is Namespace {
  return o.kind === 'Namespace';
}

export function isPodDisruptionBudget(o: KubeObject): o is PodDisruptionBudget {
  return o.kind === 'PodDisruptionBudget';
}

export function isLease(o: KubeObject): o is Lease {
  return o.kind === 'Lease';
}

export function isCustomResourceDefinition(o: KubeObject): o is CustomResourceDefinition {
  return o.kind === 'CustomResourceDefinition';
}
