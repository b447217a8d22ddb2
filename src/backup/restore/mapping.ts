// --namespace-mappings old:new[,old2:new2]: restore a namespace's objects into another namespace
// (a copy beside the original, or a rename). Everything that names the namespace moves with it:
// the objects' metadata.namespace, the Namespace itself (and its kubernetes.io/metadata.name
// label), a PersistentVolume's claimRef, and ServiceAccount subjects of (Cluster)RoleBindings.
import type { KubeObject } from '../../api/types.js';

export type NamespaceMappings = ReadonlyMap<string, string>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Parse "a:b,c:d" (the flag may repeat). Throws an Error with the flag's words on bad input. */
export function parseNamespaceMappings(values: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of values.flatMap((v) => v.split(',')).map((p) => p.trim()).filter(Boolean)) {
    const parts = pair.split(':');
    if (parts.length !== 2 || !DNS_LABEL.test(parts[0]) || !DNS_LABEL.test(parts[1]) || parts[0].length > 63 || parts[1].length > 63) {
      throw new Error(`invalid --namespace-mappings entry "${pair}": use OLD:NEW with two namespace names`);
    }
    if (map.has(parts[0]) && map.get(parts[0]) !== parts[1]) throw new Error(`--namespace-mappings maps namespace "${parts[0]}" twice`);
    map.set(parts[0], parts[1]);
  }
  return map;
}

export function mapNamespace(namespace: string, mappings: NamespaceMappings): string {
  return mappings.get(namespace) ?? namespace;
}

/** A copy of the object with every reference to a mapped namespace moved. */
export function applyNamespaceMappings(original: KubeObject, groupResource: string, mappings: NamespaceMappings): KubeObject {
  if (!mappings.size) return original;
  const o = structuredClone(original);
  if (o.metadata.namespace) o.metadata.namespace = mapNamespace(o.metadata.namespace, mappings);
  if (groupResource === 'namespaces' && o.metadata.name && mappings.has(o.metadata.name)) {
    o.metadata.name = mapNamespace(o.metadata.name, mappings);
    if (o.metadata.labels?.['kubernetes.io/metadata.name']) o.metadata.labels['kubernetes.io/metadata.name'] = o.metadata.name;
  }
  if (groupResource === 'persistentvolumes') {
    const claimRef = (o.spec as { claimRef?: { namespace?: string } } | undefined)?.claimRef;
    if (claimRef?.namespace) claimRef.namespace = mapNamespace(claimRef.namespace, mappings);
  }
  if (groupResource === 'rolebindings.rbac.authorization.k8s.io' || groupResource === 'clusterrolebindings.rbac.authorization.k8s.io') {
    for (const s of (o.subjects as { kind?: string; namespace?: string }[] | undefined) ?? []) {
      if (s.kind === 'ServiceAccount' && s.namespace) s.namespace = mapNamespace(s.namespace, mappings);
    }
  }
  return o;
}
