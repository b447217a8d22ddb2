// The sandbox's OpenAPI: Kubernetes' published spec for the control plane's minor version as
// /openapi/v2, and /openapi/v3 with one document per served group-version (built-in ones derived
// from the published spec, custom resources' from their CRD), each with the ETag and hash URL
// kube-apiserver gives them. Everything is built on first request and cached per minor version.
import { createHash } from 'node:crypto';
import type { ResourceType } from '../resources.js';
import type { KubeObject } from '../../../api/types.js';
import { jsonObject } from '../json.js';
import { type CrdSchemas, openapiDocument, openapiPath } from './crd.js';
import { type SwaggerSpec, hasGroupVersion, specFor, toV3Schema, v3Document } from './spec.js';

export interface OpenApiDocument {
  body: string;
  /** Upper-case hex SHA-512 of the body: the ETag (quoted) and the v3 ?hash= value. */
  hash: string;
}

function document(o: unknown): OpenApiDocument {
  const body = typeof o === 'string' ? o : JSON.stringify(o);
  return { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
}

export class OpenApi {
  private v3Docs: { minor: string; docs: Map<string, OpenApiDocument> } | undefined;
  private v2Doc: { minor: string; doc: OpenApiDocument } | undefined;

  constructor(
    private readonly types: () => ResourceType[],
    private readonly version: () => string,
    private readonly crdSchemas: () => Promise<CrdSchemas> = async () => new Map(),
  ) {}

  /** Forget documents built from the served types (a CRD came or went). */
  typesChanged(): void {
    this.v3Docs = undefined;
  }

  v2(): OpenApiDocument {
    const spec = specFor(this.version());
    if (this.v2Doc?.minor !== spec.minor) this.v2Doc = { minor: spec.minor, doc: document(spec.text) };
    return this.v2Doc.doc;
  }

  /** /openapi/v3/<path> documents by path ("api/v1", "apis/apps/v1"). */
  async v3(): Promise<Map<string, OpenApiDocument>> {
    const spec = specFor(this.version());
    if (this.v3Docs?.minor === spec.minor) return this.v3Docs.docs;
    const types = this.types();
    const crdSchemas = await this.crdSchemas();
    const docs = new Map<string, OpenApiDocument>();
    for (const t of types) {
      const p = openapiPath(t);
      if (docs.has(p)) continue;
      const builtin = !t.crd && hasGroupVersion(spec, p);
      docs.set(p, document(builtin ? v3Document(spec, p) : openapiDocument(types, p, crdSchemas)));
    }
    this.v3Docs = { minor: spec.minor, docs };
    return docs;
  }

  async v3Index(): Promise<object> {
    const docs = await this.v3();
    const paths: Record<string, object> = {};
    for (const p of [...docs.keys()].sort()) paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${docs.get(p)?.hash ?? ''}` };
    return { paths };
  }
}

/**
 * The published OpenAPI v3 schema of a built-in kind at a server version, with references left as
 * `#/components/schemas/<name>`; `resolve` looks those up. For validation of built-in objects.
 */
export function schemaFor(group: string, version: string, kind: string, serverVersion = 'v1.31.4'): { schema: object; resolve: (ref: string) => object | undefined } | undefined {
  const spec = specFor(serverVersion);
  const name = definitionName(spec, group, version, kind);
  if (!name) return undefined;
  const resolve = (ref: string) => {
    const def = spec.definitions[ref.replace('#/components/schemas/', '').replace('#/definitions/', '')];
    return def ? (toV3Schema(def) as object) : undefined;
  };
  return { schema: toV3Schema(spec.definitions[name]) as object, resolve };
}

function definitionName(spec: SwaggerSpec, group: string, version: string, kind: string): string | undefined {
  for (const [name, def] of Object.entries(spec.definitions)) {
    const gvks = def['x-kubernetes-group-version-kind'];
    if (Array.isArray(gvks) && gvks.some((g) => g && g.group === group && g.version === version && g.kind === kind)) return name;
  }
  return undefined;
}

/** The served versions' schemas of every stored CustomResourceDefinition. */
export async function crdSchemas(registry: { allTypes(): ResourceType[]; list(t: ResourceType, namespace: string | undefined): Promise<{ items: KubeObject[] }> }): Promise<CrdSchemas> {
  const out: CrdSchemas = new Map();
  const crdType = registry.allTypes().find((t) => t.group === 'apiextensions.k8s.io' && t.resource === 'customresourcedefinitions');
  if (!crdType) return out;
  for (const crd of (await registry.list(crdType, undefined)).items) {
    const spec = jsonObject(crd.spec);
    const names = jsonObject(spec?.names);
    const versions = Array.isArray(spec?.versions) ? spec.versions : [];
    for (const v of versions) {
      const version = jsonObject(v);
      const schema = jsonObject(jsonObject(version?.schema)?.openAPIV3Schema);
      if (schema && version?.served !== false) out.set(`${String(spec?.group ?? '')}/${String(version?.name ?? '')}/${String(names?.kind ?? '')}`, schema);
    }
  }
  return out;
}
