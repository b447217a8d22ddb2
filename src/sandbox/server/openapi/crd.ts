// OpenAPI v3 documents for custom resources (group-versions the published Kubernetes spec does not
// have): kubectl apply downloads /openapi/v3 and one document per group-version before it will
// validate; finding each kind's x-kubernetes-group-version-kind and PATCH operations that take
// fieldValidation, it delegates validation to the server.
import type { ResourceType } from '../resources.js';
import { groupVersion } from '../resources.js';

export function openapiPath(t: { group: string; version: string }): string {
  return t.group ? `apis/${t.group}/${t.version}` : `api/${t.version}`;
}

/** A custom resource's structural schema (its CRD version's openAPIV3Schema), by "group/version/kind". */
export type CrdSchemas = Map<string, Record<string, unknown>>;

export function openapiDocument(types: ResourceType[], path: string, crdSchemas: CrdSchemas = new Map()): object | undefined {
  const mine = types.filter((t) => openapiPath(t) === path);
  if (mine.length === 0) return undefined;
  const schemas: Record<string, object> = {};
  const paths: Record<string, object> = {};
  const gv = groupVersion(mine[0]);
  for (const t of mine) {
    const schemaName = `${t.group ? reverseDomain(t.group) : 'io.k8s.api.core'}.${t.version}.${t.kind}`;
    const gvk = [{ group: t.group, version: t.version, kind: t.kind }];
    const published = crdSchemas.get(`${t.group}/${t.version}/${t.kind}`);
    // kube serves the CRD's own schema (kubectl explain reads it); metadata is ObjectMeta there.
    schemas[schemaName] = published ? { ...published, 'x-kubernetes-group-version-kind': gvk } : {
      type: 'object',
      description: `${t.kind} (served by the upkeep sandbox)`,
      'x-kubernetes-group-version-kind': gvk,
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
      'x-kubernetes-preserve-unknown-fields': true,
    };
    const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
    const collection = t.namespaced ? `${base}/namespaces/{namespace}/${t.resource}` : `${base}/${t.resource}`;
    const params = [
      { name: 'dryRun', in: 'query', schema: { type: 'string' } },
      { name: 'fieldManager', in: 'query', schema: { type: 'string' } },
      { name: 'fieldValidation', in: 'query', schema: { type: 'string' } },
    ];
    const ref = { $ref: `#/components/schemas/${schemaName}` };
    const op = (id: string) => ({
      operationId: `${id}${t.kind}`,
      'x-kubernetes-action': id,
      'x-kubernetes-group-version-kind': gvk[0],
      parameters: params,
      requestBody: { content: { 'application/json': { schema: ref } } },
      responses: { '200': { content: { 'application/json': { schema: ref } } } },
    });
    paths[collection] = { post: op('post') };
    paths[`${collection}/{name}`] = { put: op('put'), patch: op('patch') };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: gv }, paths, components: { schemas } };
}

function reverseDomain(group: string): string {
  // kube names schemas io.k8s.api.<group>; CRDs use the reversed group domain.
  if (!group.includes('.')) return `io.k8s.api.${group}`;
  return group.split('.').reverse().join('.');
}
