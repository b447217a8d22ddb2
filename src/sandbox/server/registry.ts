// REST semantics of kube-apiserver over the Store, independent of HTTP: create/get/list/update/
// patch/delete/watch with uid, generateName, generation, optimistic concurrency, status and
// scale subresources, graceful deletion, finalizers, namespace lifecycle, binding and eviction.
import { randomUUID, randomInt } from 'node:crypto';
import { StatusError, errors } from '../../api/status.js';
import { type CustomResourceDefinition, type KubeObject, type ObjectMeta, type Pod, type Status, type StatusCause, isKubeObject, isStatus } from '../../api/types.js';
import { labelSelectorFromObject } from '../../api/labels.js';
import { podNodeName, podPhase } from '../../api/pods.js';
import type { Clock } from '../clock.js';
import { isoTime } from '../clock.js';
import { type Store, StoreError, type StoreEvent, type Unsubscribe } from '../store/store.js';
import { type AdmissionOptions, podSpecUpdateCauses, prepareForCreate, validate, validateName } from './admission.js';
import { type PatchType, applyJsonPatch, applyMergePatch, applyStrategicMergePatch, supportsStrategicMerge, unsupportedPatchTypeError } from './patch.js';
import { type ResourceType, BUILTIN_RESOURCES, groupVersion, resourceKey } from './resources.js';
import { decideEviction } from './eviction.js';
import { applyDefaults, carryOverAllocated } from './defaults.js';
import { applyOwnership, createOwnership, updateOwnership } from './managedfields.js';
import { type Allocation, ServiceAllocations, patchUpdate } from './nodeports.js';
import { applyLimitRanges, quotaError } from './quota.js';
import { withDefaultStorageClass } from './storageclass.js';
import { type JsonObject, isJsonObject, jsonObject } from './json.js';
import { isCustomResourceDefinition, isNamespace, isPod, isPodDisruptionBudget } from './kinds.js';
import { type FieldValidation, MAX_STORED_DEPTH, decodeBuiltin, validateUpdate, valueDepth } from './validation/index.js';
import { type SchemaLookup, builtinSchema } from './validation/schema.js';
import { checkCustomResource } from './validation/crd.js';
import { approvalUpdate } from '../auth/csr.js';
import { admitCreate } from './createhooks.js';


export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** Unknown fields: refused (Strict), dropped with a warning (Warn, the default) or dropped. */
  fieldValidation?: FieldValidation;
  /** Collects the response's warnings (unknown fields under Warn). */
  warnings?: string[];
  /** Server-side apply: take fields other managers own (--force-conflicts). */
  force?: boolean;
  /** Server-side apply creating the object: the applied configuration (for its managedFields). */
  applied?: JsonObject;
  /**
   * The body is a typed object one of the sandbox's own components built (its controllers and
   * kubelets, as kube's are Go clients writing structs): it cannot carry unknown fields or
   * values of the wrong JSON type, so the decoding step is skipped. Validation still runs.
   */
  typed?: boolean;
}

/** The options of a write by one of the sandbox's own components (see WriteOptions.typed). */
export const TYPED: Readonly<WriteOptions> = Object.freeze({ typed: true });

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListQuery {
  filter?: (o: KubeObject) => boolean;
  limit?: number;
  continue?: string;
  countRemaining?: boolean;
}

export interface RegistryOptions extends Partial<AdmissionOptions> {
  clock: Clock;
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
/** kube-apiserver's store.go: attempts at a generated name before the collision is the client's error. */
const MAX_NAME_GENERATION_CREATE_ATTEMPTS = 8;

/** names.SimpleNameGenerator's suffix: 5 random characters. */
function randomNameSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_CHARS[randomInt(NAME_CHARS.length)];
  return suffix;
}

/** The minor of a gitVersion ("v1.31.4" -> 31; 0 when it does not parse). */
function minorOf(gitVersion: string): number {
  const m = /^v?\d+\.(\d+)/.exec(gitVersion);
  return m ? Number(m[1]) : 0;
}
/** Kinds whose DELETE answers with the object rather than a Status (kube's ReturnDeletedObject). */
const RETURNS_DELETED = new Set([
  'pods',
  'namespaces',
  'serviceaccounts',
  'customresourcedefinitions.apiextensions.k8s.io',
  'persistentvolumes',
  'persistentvolumeclaims',
  'services',
  'storageclasses.storage.k8s.io',
]);

export class Registry {
  readonly store: Store;
  readonly clock: Clock;
  readonly admission: AdmissionOptions;
  private readonly types = new Map<string, ResourceType>(); // by "group/version/resource"
  private readonly byKey = new Map<string, ResourceType>(); // by resourceKey (storage)
  private readonly typeListeners = new Set<() => void>();
  private readonly namespaceTeardowns = new Set<string>();
  /** Service ClusterIPs and NodePorts (nodeports.ts). */
  readonly services: ServiceAllocations;
  /** kube-apiserver's version (/version): built-in kinds are decoded against that minor's published schema. */
  serverVersion: () => string = () => 'v1.31';
  /** The random part of a generated name (settable so a test can make two collide). */
  nameSuffix: () => string = randomNameSuffix;

  constructor(store: Store, options: RegistryOptions) {
    this.store = store;
    this.clock = options.clock;
    this.admission = { defaultTolerationSeconds: options.defaultTolerationSeconds ?? 300 };
    this.services = new ServiceAllocations(store);
    for (const t of BUILTIN_RESOURCES) this.addType(t);
  }

  // ---- resource types ----

  addType(t: ResourceType): void {
    this.types.set(`${t.group}/${t.version}/${t.resource}`, t);
    if (!t.crd || t.crd.storage || !this.byKey.has(resourceKey(t))) this.byKey.set(resourceKey(t), t);
    for (const l of this.typeListeners) l();
  }

  removeTypes(predicate: (t: ResourceType) => boolean): void {
    for (const [k, t] of this.types) if (predicate(t)) this.types.delete(k);
    for (const [k, t] of this.byKey) if (predicate(t)) this.byKey.delete(k);
    for (const l of this.typeListeners) l();
  }

  onTypesChanged(listener: () => void): () => void {
    this.typeListeners.add(listener);
    return () => this.typeListeners.delete(listener);
  }

  allTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  type(group: string, version: string, resource: string): ResourceType | undefined {
    return this.types.get(`${group}/${version}/${resource}`);
  }

  typeForKind(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    for (const t of this.types.values()) if (t.group === group && t.version === version && t.kind === kind) return t;
    return undefined;
  }

  // ---- reads ----

  async get(t: ResourceType, namespace: string, name: string): Promise<KubeObject> {
    const o = await this.store.get(resourceKey(t), t.namespaced ? namespace : '', name);
    if (!o) throw errors.notFound(t.resource, t.group, name);
    return o;
  }

  async list(t: ResourceType, namespace: string | undefined, q: ListQuery = {}) {
    try {
      return await this.store.list(resourceKey(t), t.namespaced ? namespace : undefined, q);
    } catch (e) {
      throw mapStoreError(e, t, '');
    }
  }

  watch(t: ResourceType | undefined, namespace: string | undefined, fromRevision: number, listener: (e: StoreEvent) => void): Unsubscribe {
    try {
      return this.store.watch(t ? resourceKey(t) : undefined, { namespace, fromRevision }, listener);
    } catch (e) {
      throw mapStoreError(e, t, '');
    }
  }

  // ---- create ----

  async create(t: ResourceType, namespace: string, body: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
    const o = this.decodeBody(t, body, namespace, opts);
    // NamespaceLifecycle admission runs before storage and validation: a missing or terminating
    // namespace wins over an invalid object. The name is not generated yet at that point.
    if (t.namespaced) await this.checkNamespaceWritable(o.metadata.namespace ?? namespace, t, o.metadata.name || o.metadata.generateName || 'Unknown');
    if (o.metadata.resourceVersion) {
      // kube-apiserver's storage layer refuses this with a plain internal error.
      throw errors.internal('resourceVersion should not be set on objects to be created');
    }
    const generated = !o.metadata.name && !!o.metadata.generateName;
    if (!o.metadata.name) {
      if (o.metadata.generateName) {
        o.metadata.name = o.metadata.generateName + this.nameSuffix();
      } else {
        throw errors.invalid(t.kind, t.group, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
      }
    }
    const name = o.metadata.name;
    const nameProblem = validateName(t.kind, name);
    if (nameProblem) {
      throw errors.invalid(t.kind, t.group, name, [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": ${nameProblem}` }]);
    }
    const now = isoTime(this.clock.now());
    const meta = { ...o.metadata };
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    meta.uid = randomUUID();
    meta.creationTimestamp = now;
    if (t.generation || t.crd) meta.generation = 1;
    else delete meta.generation;
    delete meta.managedFields;
    let prepared = admitCreate(prepareForCreate(applyDefaults({ ...o, metadata: meta }), this.admission), now);
    if (t.crd && t.statusSubresource) prepared = withoutStatus(prepared);
    prepared = this.checkCustomResource(t, prepared, opts);
    if (opts.fieldManager) {
      const op = opts.applied ? 'Apply' : 'Update';
      prepared.metadata.managedFields = createOwnership(opts.fieldManager, op, prepared.apiVersion ?? groupVersion(t), now, opts.applied ? { ...opts.applied, apiVersion: prepared.apiVersion, kind: prepared.kind } : prepared, this.schema());
    }
    this.validateOrThrow(t, prepared);
    if (t.namespaced) prepared = await this.admitResources(t, prepared);
    if (t.resource === 'customresourcedefinitions' && isCustomResourceDefinition(prepared)) prepared = this.establishCRD(prepared);
    const allocation = isCoreService(t) ? await this.services.allocateCreate(prepared, !!opts.dryRun) : undefined;
    if (allocation) prepared = allocation.object;
    if (opts.dryRun) {
      if (await this.store.get(resourceKey(t), namespace, name)) throw errors.alreadyExists(t.resource, t.group, name);
      return prepared;
    }
    // KEP-4420 (RetryGenerateName, on from 1.31): a generated name that is taken is generated
    // again, 8 attempts in all; before 1.31 the first collision is the client's error.
    const attempts = generated ? (minorOf(this.serverVersion()) >= 31 ? MAX_NAME_GENERATION_CREATE_ATTEMPTS : 1) : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const stored = await this.store.create(resourceKey(t), prepared);
        this.onCRDChanged(t, stored);
        return stored;
      } catch (e) {
        const taken = e instanceof StoreError && e.code === 'AlreadyExists';
        if (taken && generated && attempt < attempts) {
          prepared = { ...prepared, metadata: { ...prepared.metadata, name: (prepared.metadata.generateName ?? '') + this.nameSuffix() } };
          continue;
        }
        allocation?.undo();
        if (taken && generated) throw errors.generateNameConflict(t.resource, t.group, prepared.metadata.name ?? name);
        throw mapStoreError(e, t, name);
      }
    }
  }

  private decodeBody(t: ResourceType, body: unknown, namespace: string, opts: WriteOptions = {}): KubeObject {
    if (!isJsonObject(body)) {
      throw errors.badRequest(`the body of the request was in an unknown format - expected a ${t.kind} object`);
    }
    // A copy whose metadata is an object (missing or malformed metadata decodes as empty).
    const metadata: ObjectMeta = { ...jsonObject(body.metadata) };
    const o: KubeObject = { ...body, metadata };
    const gv = groupVersion(t);
    // Missing kind or apiVersion are filled in from the URL, as kube's decoder does.
    const kind = o.kind === undefined || o.kind === '' ? t.kind : String(o.kind);
    const apiVersion = o.apiVersion === undefined || o.apiVersion === '' ? gv : String(o.apiVersion);
    const versionMismatch = () => errors.badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${gv})`);
    if (t.crd) {
      if (apiVersion !== gv) throw versionMismatch();
      if (kind !== t.kind) {
        const name = String(metadata.name ?? '');
        throw errors.invalid(kind, t.group, name, [{ reason: 'FieldValueInvalid', field: 'kind', message: `Invalid value: "${kind}": must be ${t.kind}` }]);
      }
    } else if (kind !== t.kind || apiVersion !== gv) {
      const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
      // Another version of the same kind decodes and converts, and is refused afterwards; any
      // other kind fails in the decoder ("<Kind> in version ... cannot be handled as a <Kind>").
      if (kind === t.kind && group === t.group) throw versionMismatch();
      const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
      const why = this.typeForKind(apiVersion, kind)
        ? `converting (${version}.${kind}) to (${t.group ? t.group.split('.')[0] : 'core'}.${t.kind}): unknown conversion`
        : `no kind "${kind}" is registered for version "${apiVersion}" in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"`;
      throw errors.badRequest(`${kind} in version "${version}" cannot be handled as a ${t.kind}: ${why}`);
    }
    o.kind = t.kind;
    o.apiVersion = gv;
    if (t.namespaced) {
      if (metadata.namespace && namespace && metadata.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      metadata.namespace = namespace || metadata.namespace || 'default';
    } else {
      delete metadata.namespace;
    }
    return opts.typed ? o : decodeBuiltin(o, { ...opts, schema: this.schema() });
  }

  /** The built-in kinds' schema at the server's minor (validation/schema.ts loads each once). */
  private schema(): SchemaLookup {
    return builtinSchema(this.serverVersion());
  }

  /** LimitRanger (pods) and ResourceQuota admission on create (quota.ts): 403 when refused. */
  private async admitResources(t: ResourceType, o: KubeObject): Promise<KubeObject> {
    const ns = o.metadata.namespace ?? '';
    let out = o;
    if (t.resource === 'pods' && !t.group) {
      const { items: ranges } = await this.store.list('limitranges', ns);
      if (ranges.length) out = applyLimitRanges(o, ranges, o.metadata.name ?? '');
    }
    if (t.resource === 'persistentvolumeclaims' && !t.group) out = await withDefaultStorageClass(this.store, out);
    const { items: quotas } = await this.store.list('resourcequotas', ns);
    if (!quotas.length) return out;
    const { items: existing } = await this.store.list(resourceKey(t), ns);
    const refused = quotaError(t.resource, t.group, out, existing, quotas);
    if (refused) throw refused;
    return out;
  }

  /** A custom resource pruned, defaulted and validated against its CRD's schema (validation/crd.ts). */
  private checkCustomResource(t: ResourceType, o: KubeObject, opts: WriteOptions): KubeObject {
    const schema = t.crd?.schema;
    if (!schema) return o;
    const r = checkCustomResource(o, schema);
    const unknown = r.unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`);
    if (unknown.length && opts.fieldValidation === 'Strict') throw errors.badRequest(`strict decoding error: ${unknown.join(', ')}`);
    if (opts.fieldValidation !== 'Ignore') opts.warnings?.push(...unknown);
    if (r.causes.length) throw errors.invalid(t.kind, t.group, o.metadata.name ?? '', r.causes);
    return isKubeObject(r.value) ? r.value : o;
  }

  private validateOrThrow(t: ResourceType, o: KubeObject, extra: StatusCause[] = []): void {
    const causes = [...extra, ...validate(o)];
    if (causes.length) throw errors.invalid(t.kind, t.group, o.metadata.name ?? '', causes);
  }

  private async checkNamespaceWritable(namespace: string, t: ResourceType, name: string): Promise<void> {
    const ns = await this.store.get('namespaces', '', namespace);
    if (!ns) throw errors.notFound('namespaces', '', namespace);
    if (isNamespaceTerminating(ns)) {
      // admission.NewForbidden: names the object being created, then NamespaceLifecycle adds the cause.
      throw errors.forbidden(
        `${t.resource}${t.group ? '.' + t.group : ''} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name,
          group: t.group || undefined,
          kind: t.resource,
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
        },
      );
    }
  }

  // ---- update and patch ----

  /** PUT: replace an object (or its status / scale). */
  async update(t: ResourceType, namespace: string, name: string, body: unknown, subresource: string | undefined, opts: WriteOptions = {}): Promise<KubeObject> {
    if (subresource === 'scale') return this.updateScale(t, namespace, name, body, opts);
    const incoming = this.decodeBody(t, body, namespace, opts);
    if (incoming.metadata.name && incoming.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`);
    }
    incoming.metadata.name = name;
    const current = await this.get(t, namespace, name);
    const rv = incoming.metadata.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) {
      throw errors.conflict(t.resource, t.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return this.write(t, current, incoming, subresource, opts);
  }

  /** PATCH with one of the patch types; retried on write conflicts like kube's GuaranteedUpdate. */
  async patch(t: ResourceType, namespace: string, name: string, type: PatchType | 'apply', patch: unknown, subresource: string | undefined, opts: WriteOptions = {}): Promise<KubeObject> {
    if (type === 'strategic' && (t.crd !== undefined || !supportsStrategicMerge(t.kind, t.group))) {
      throw unsupportedPatchTypeError(t.crd ? '' : t.kind, t.group);
    }
    // Patching recurses through the patch: bounded first (see validation/index.ts).
    if (valueDepth(patch, MAX_STORED_DEPTH + 1) > MAX_STORED_DEPTH) throw errors.badRequest(`the patch nests deeper than the ${MAX_STORED_DEPTH} levels the sandbox stores`);
    for (let attempt = 0; ; attempt++) {
      let current: KubeObject;
      try {
        current = subresource === 'scale' ? await this.getScale(t, namespace, name) : await this.get(t, namespace, name);
      } catch (e) {
        if (type === 'apply' && e instanceof StatusError && e.code === 404 && !subresource) {
          const applied = jsonObject(patch);
          return this.create(t, namespace, { ...applied, metadata: { ...jsonObject(applied?.metadata), namespace: t.namespaced ? namespace : undefined } }, { ...opts, applied });
        }
        throw e;
      }
      const patched = this.applyPatch(t, current, type, patch, subresource);
      try {
        if (subresource === 'scale') return await this.updateScale(t, namespace, name, patched, opts);
        let incoming = this.decodeBody(t, patched, namespace, opts);
        const applied = jsonObject(patch);
        if (type === 'apply' && !subresource && applied && opts.fieldManager) {
          incoming = applyOwnership({ manager: opts.fieldManager, apiVersion: incoming.apiVersion ?? groupVersion(t), time: isoTime(this.clock.now()), force: opts.force === true, applied, live: current, merged: incoming, schema: this.schema() });
        }
        if (incoming.metadata.name !== name) throw errors.badRequest('metadata.name: Invalid value: the name in the patch does not match the object');
        const wanted = incoming.metadata.resourceVersion;
        if (wanted && wanted !== current.metadata.resourceVersion) {
          throw errors.conflict(t.resource, t.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
        }
        return await this.write(t, current, incoming, subresource, opts, type === 'apply' ? 'Apply' : 'Update');
      } catch (e) {
        // Another writer got in between our read and write; kube retries the patch on the new state.
        if (e instanceof StatusError && e.reason === 'Conflict' && !hasRv(patch) && attempt < 5) continue;
        throw e;
      }
    }
  }

  private applyPatch(t: ResourceType, current: KubeObject, type: PatchType | 'apply', patch: unknown, subresource?: string): unknown {
    switch (type) {
      case 'json':
        return applyJsonPatch(current, patch);
      case 'merge':
        return applyMergePatch(current, patch);
      case 'strategic':
        return applyStrategicMergePatch(current, patch, subresource === 'scale' ? 'Scale' : t.kind, subresource === 'scale' ? 'autoscaling' : t.group);
      case 'apply':
        // Server-side apply without field ownership tracking: the applied configuration is merged
        // into the live object (strategic for built-in kinds, JSON merge for custom resources).
        return supportsStrategicMerge(t.kind, t.group) ? applyStrategicMergePatch(current, patch, t.kind, t.group) : applyMergePatch(current, patch);
    }
  }

  /** Common tail of update and patch: keep server-owned fields, bump generation, store. */
  private async write(t: ResourceType, current: KubeObject, incoming: KubeObject, subresource: string | undefined, opts: WriteOptions, operation: 'Update' | 'Apply' = 'Update'): Promise<KubeObject> {
    const cm = current.metadata;
    let next: KubeObject;
    if (subresource === 'status') {
      // A status write changes status only (kube resets the rest of the object to the stored one).
      next = { ...current, status: incoming.status };
    } else if (subresource === 'approval') {
      next = approvalUpdate(current, incoming);
    } else {
      next = carryOverAllocated(current, applyDefaults({ ...incoming, metadata: { ...incoming.metadata } }));
      if (isCoreService(t)) next = patchUpdate(current, next);
      if (t.statusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = current.status;
      }
    }
    const meta = { ...(subresource === 'status' ? cm : next.metadata) };
    meta.uid = cm.uid;
    meta.creationTimestamp = cm.creationTimestamp;
    meta.namespace = cm.namespace;
    meta.name = cm.name;
    if (cm.deletionTimestamp) meta.deletionTimestamp = cm.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (cm.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = cm.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    meta.resourceVersion = cm.resourceVersion;
    if (cm.generation !== undefined) {
      meta.generation = cm.generation;
      if (subresource !== 'status' && specChanged(current, next)) meta.generation = cm.generation + 1;
    }
    // Ownership (managedfields.ts): an apply computed it already; an update with a manager
    // takes the fields it changed; a write without one (the sandbox's controllers) keeps it.
    if (operation === 'Apply') meta.managedFields = incoming.metadata.managedFields;
    else if (opts.fieldManager) {
      meta.managedFields = updateOwnership(opts.fieldManager, next.apiVersion ?? groupVersion(t), isoTime(this.clock.now()), current, { ...next, metadata: meta }, subresource, this.schema());
    } else if (cm.managedFields) meta.managedFields = cm.managedFields;
    else delete meta.managedFields;
    next.metadata = meta;
    const extra: StatusCause[] = [];
    // ObjectMeta update rules every kind shares (kube's validateCommonFields): a client may leave
    // uid out, but may not change it, and may not add finalizers to an object being deleted.
    const uid = incoming.metadata.uid;
    if (uid && uid !== cm.uid) extra.push({ reason: 'FieldValueInvalid', field: 'metadata.uid', message: `Invalid value: "${uid}": field is immutable` });
    if (cm.deletionTimestamp) {
      const added = [...new Set(meta.finalizers ?? [])].filter((f) => !(cm.finalizers ?? []).includes(f)).sort();
      if (added.length) {
        extra.push({
          reason: 'FieldValueForbidden',
          field: 'metadata.finalizers',
          message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers [${added.map((f) => JSON.stringify(f)).join(' ')}]`,
        });
      }
    }
    if (subresource !== 'status') extra.push(...validateUpdate(current, next));
    if (t.resource === 'pods' && subresource !== 'status') {
      extra.push(...podSpecUpdateCauses(current.spec, next.spec));
      if (isPod(current) && isPod(next) && podNodeName(current) && podNodeName(next) !== podNodeName(current)) {
        extra.push({ reason: 'FieldValueForbidden', field: 'spec.nodeName', message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`' });
      }
    }
    next = this.checkCustomResource(t, next, opts);
    this.validateOrThrow(t, next, extra);
    if (t.resource === 'customresourcedefinitions' && isCustomResourceDefinition(next)) next = this.establishCRD(next);
    let allocation: Allocation | undefined;
    if (isCoreService(t) && subresource !== 'status') {
      allocation = await this.services.allocateUpdate(current, next, !!opts.dryRun);
      next = allocation.object;
    }
    if (opts.dryRun) return next;
    // Removing the last finalizer of an object being deleted completes its deletion.
    if (meta.deletionTimestamp && !(meta.finalizers?.length) && !(t.resource === 'namespaces')) {
      if (t.resource !== 'pods' || !isGracefullyTerminating(next)) {
        allocation?.commit();
        return this.remove(t, next, cm.resourceVersion);
      }
    }
    try {
      const stored = await this.store.update(resourceKey(t), next, cm.resourceVersion ?? '');
      allocation?.commit();
      this.onCRDChanged(t, stored);
      return stored;
    } catch (e) {
      allocation?.undo();
      throw mapStoreError(e, t, cm.name ?? '');
    }
  }

  // ---- scale subresource ----

  async getScale(t: ResourceType, namespace: string, name: string): Promise<KubeObject> {
    // Every kind with a scale subresource (workloads, custom resources) has these fields.
    const o = await this.get(t, namespace, name);
    const spec = jsonObject(o.spec);
    const status = jsonObject(o.status);
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name, namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
      spec: { replicas: spec?.replicas ?? 0 },
      status: { replicas: status?.replicas ?? 0, selector: scaleSelector(spec?.selector) },
    };
  }

  private async updateScale(t: ResourceType, namespace: string, name: string, body: unknown, opts: WriteOptions): Promise<KubeObject> {
    const scale = jsonObject(body);
    const replicas = jsonObject(scale?.spec)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid('Scale', 'autoscaling', name, [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
    }
    const current = await this.get(t, namespace, name);
    const rv = jsonObject(scale?.metadata)?.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) {
      throw errors.conflict(t.resource, t.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const next = { ...current, spec: { ...jsonObject(current.spec), replicas } };
    await this.write(t, current, next, undefined, opts);
    return this.getScale(t, namespace, name);
  }

  // ---- delete ----

  async delete(t: ResourceType, namespace: string, name: string, opts: DeleteOptions = {}): Promise<KubeObject | Status> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deleteOnce(t, namespace, name, opts);
      } catch (e) {
        if (e instanceof StatusError && e.reason === 'Conflict' && !opts.preconditions?.resourceVersion && attempt < 5) continue;
        throw e;
      }
    }
  }

  private async deleteOnce(t: ResourceType, namespace: string, name: string, opts: DeleteOptions): Promise<KubeObject | Status> {
    const current = await this.get(t, namespace, name);
    const meta = current.metadata;
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== meta.uid) {
      throw errors.conflict(t.resource, t.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
      throw errors.conflict(t.resource, t.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`);
    }
    if (opts.gracePeriodSeconds !== undefined && (!Number.isInteger(opts.gracePeriodSeconds) || opts.gracePeriodSeconds < 0)) {
      // kube treats negative grace periods as 1 for pods; anything else is malformed.
      if (!(Number.isInteger(opts.gracePeriodSeconds) && opts.gracePeriodSeconds < 0)) throw errors.badRequest('gracePeriodSeconds must be an integer');
    }
    if (t.resource === 'namespaces') return this.deleteNamespace(current, opts);

    let grace = 0;
    if (t.resource === 'pods' && isPod(current)) grace = podGracePeriod(current, opts.gracePeriodSeconds);
    const finalizers = [...(meta.finalizers ?? [])];
    const policy = opts.propagationPolicy;
    if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');

    if (grace > 0 || finalizers.length) {
      const now = this.clock.now();
      const next: KubeObject = { ...current, metadata: { ...meta, finalizers: finalizers.length ? finalizers : undefined } };
      if (!next.metadata.finalizers) delete next.metadata.finalizers;
      if (grace > 0) {
        const existing = meta.deletionTimestamp ? Date.parse(meta.deletionTimestamp) : Infinity;
        const wanted = now + this.clock.real(grace * 1000);
        // A second delete may only shorten a pending grace period.
        if (wanted < existing) {
          next.metadata.deletionTimestamp = isoTime(wanted);
          next.metadata.deletionGracePeriodSeconds = grace;
        } else if (meta.deletionTimestamp && sameFinalizers(meta.finalizers, finalizers)) {
          return current;
        }
      } else if (!meta.deletionTimestamp) {
        next.metadata.deletionTimestamp = isoTime(now);
        next.metadata.deletionGracePeriodSeconds = 0;
      } else if (sameFinalizers(meta.finalizers, finalizers)) {
        return current;
      }
      if (opts.dryRun) return next;
      try {
        return await this.store.update(resourceKey(t), next, meta.resourceVersion ?? '');
      } catch (e) {
        throw mapStoreError(e, t, name);
      }
    }
    if (opts.dryRun) return RETURNS_DELETED.has(resourceKey(t)) ? current : successStatus(t, current);
    const gone = await this.remove(t, current, meta.resourceVersion);
    return RETURNS_DELETED.has(resourceKey(t)) ? gone : successStatus(t, gone);
  }

  private async remove(t: ResourceType, o: KubeObject, expectedRevision?: string): Promise<KubeObject> {
    try {
      const gone = await this.store.delete(resourceKey(t), t.namespaced ? (o.metadata.namespace ?? '') : '', o.metadata.name ?? '', expectedRevision);
      if (isCoreService(t)) this.services.release(gone);
      if (t.resource === 'customresourcedefinitions') {
        this.onCRDDeleted(gone);
        if (isCustomResourceDefinition(gone)) await this.deleteCustomResources(gone);
      }
      return gone;
    } catch (e) {
      throw mapStoreError(e, t, o.metadata.name ?? '');
    }
  }

  /** DELETE collection: deletes what a list with the same selectors returns. */
  async deleteCollection(t: ResourceType, namespace: string | undefined, q: ListQuery, opts: DeleteOptions): Promise<KubeObject> {
    const { items } = await this.list(t, namespace, { filter: q.filter });
    const deleted: KubeObject[] = [];
    for (const item of items) {
      try {
        const r = await this.delete(t, item.metadata.namespace ?? '', item.metadata.name ?? '', opts);
        deleted.push(isStatus(r) ? item : r);
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) throw e;
      }
    }
    return { apiVersion: groupVersion(t), kind: `${t.kind}List`, metadata: { resourceVersion: String(this.store.revision()) }, items: deleted };
  }

  private async deleteNamespace(ns: KubeObject, opts: DeleteOptions): Promise<KubeObject> {
    const name = ns.metadata.name ?? '';
    if (['default', 'kube-system', 'kube-public'].includes(name)) {
      throw errors.forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    }
    let current = ns;
    if (!ns.metadata.deletionTimestamp) {
      const next: KubeObject = {
        ...ns,
        metadata: { ...ns.metadata, deletionTimestamp: isoTime(this.clock.now()), deletionGracePeriodSeconds: 0 },
        status: { ...jsonObject(ns.status), phase: 'Terminating' },
      };
      if (opts.dryRun) return next;
      current = await this.store.update('namespaces', next, ns.metadata.resourceVersion ?? '');
    }
    if (!opts.dryRun) this.teardownNamespace(name);
    return current;
  }

  /** The namespace controller's job: delete everything in a terminating namespace, then it. */
  private teardownNamespace(name: string): void {
    if (this.namespaceTeardowns.has(name)) return;
    this.namespaceTeardowns.add(name);
    const run = async () => {
      for (let round = 0; round < 600; round++) {
        let remaining = 0;
        for (const t of this.byKey.values()) {
          if (!t.namespaced) continue;
          const { items } = await this.store.list(resourceKey(t), name);
          remaining += items.length;
          for (const item of items) {
            if (item.metadata.deletionTimestamp) continue;
            await this.delete(t, name, item.metadata.name ?? '', { propagationPolicy: 'Background' }).catch(() => undefined);
          }
        }
        if (remaining === 0) {
          const ns = await this.store.get('namespaces', '', name);
          if (ns) await this.store.delete('namespaces', '', name).catch(() => undefined);
          return;
        }
        await new Promise((r) => setTimeout(r, 50 + round * 10).unref());
      }
    };
    run()
      .catch(() => undefined)
      .finally(() => this.namespaceTeardowns.delete(name));
  }

  // ---- pods/binding and pods/eviction ----

  async bind(namespace: string, name: string, body: unknown, opts: WriteOptions = {}): Promise<Status> {
    const t = this.type('', 'v1', 'pods')!;
    const target = jsonObject(jsonObject(body)?.target);
    if (target?.kind && target.kind !== 'Node') throw errors.badRequest('binding target must be a Node');
    if (!target?.name) throw errors.invalid('Binding', '', name, [{ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
    const node = String(target.name);
    for (let attempt = 0; ; attempt++) {
      const pod = await this.getPod(namespace, name);
      if (pod.metadata.deletionTimestamp) throw errors.conflict('pods', '', name, `pod ${name} is being deleted, cannot be assigned to a host`);
      const bound = podNodeName(pod);
      if (bound) throw errors.conflict('pods', '', name, `pod ${name} is already assigned to node "${bound}"`);
      // Written as the API sends it: lastProbeTime is null, which the typed view does not allow.
      const conditions: unknown[] = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: isoTime(this.clock.now()) });
      const next: KubeObject = { ...pod, spec: { ...pod.spec, nodeName: node }, status: { ...pod.status, conditions } };
      if (opts.dryRun) break;
      try {
        await this.store.update('pods', next, pod.metadata.resourceVersion ?? '');
        break;
      } catch (e) {
        if (e instanceof StoreError && e.code === 'Conflict' && attempt < 5) continue;
        throw mapStoreError(e, t, name);
      }
    }
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  }

  /** POST pods/<name>/eviction with the PodDisruptionBudget rules of kube-apiserver. */
  async evict(namespace: string, name: string, body: unknown, opts: WriteOptions = {}): Promise<Status> {
    const pods = this.type('', 'v1', 'pods')!;
    const pdbs = this.type('policy', 'v1', 'poddisruptionbudgets')!;
    const eviction = jsonObject(body);
    const evictionName = jsonObject(eviction?.metadata)?.name;
    if (evictionName && evictionName !== name) {
      throw errors.badRequest(`name in URL does not match name in Eviction object`);
    }
    const dopts = jsonObject(eviction?.deleteOptions) ?? {};
    const dryRun = opts.dryRun || (Array.isArray(dopts.dryRun) && dopts.dryRun.includes('All'));
    for (let attempt = 0; ; attempt++) {
      const pod = await this.getPod(namespace, name);
      const ns = await this.store.get('namespaces', '', namespace);
      const { items: budgets } = await this.store.list('poddisruptionbudgets.policy', namespace);
      const decision = decideEviction({
        pod,
        pdbs: budgets.filter(isPodDisruptionBudget),
        namespaceTerminating: !!ns && isNamespaceTerminating(ns),
        now: isoTime(this.clock.now()),
      });
      if (decision.action === 'reject') throw new StatusError(decision.status);
      const preconditions: DeleteOptions['preconditions'] = jsonObject(dopts.preconditions);
      if (preconditions?.uid && preconditions.uid !== pod.metadata.uid) {
        throw errors.conflict('pods', '', name, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${pod.metadata.uid}`);
      }
      if (dryRun) break;
      if (decision.action === 'deleteAndUpdateBudget') {
        try {
          await this.store.update(resourceKey(pdbs), decision.budget, decision.budget.metadata.resourceVersion ?? '');
        } catch (e) {
          if (e instanceof StoreError && e.code === 'Conflict' && attempt < 5) continue;
          throw mapStoreError(e, pdbs, decision.budget.metadata.name ?? '');
        }
      }
      await this.delete(pods, namespace, name, {
        gracePeriodSeconds: typeof dopts.gracePeriodSeconds === 'number' ? dopts.gracePeriodSeconds : undefined,
        preconditions: preconditions ?? { uid: pod.metadata.uid },
      });
      break;
    }
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  }

  // ---- custom resource definitions ----

  private establishCRD(crd: CustomResourceDefinition): CustomResourceDefinition {
    const names = crd.spec?.names;
    const now = isoTime(this.clock.now());
    const status = {
      acceptedNames: { ...names, singular: names?.singular ?? String(names?.kind ?? '').toLowerCase() },
      storedVersions: (crd.spec?.versions ?? []).filter((v) => v.storage).map((v) => v.name),
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now },
      ],
    };
    return { ...crd, status };
  }

  /** Serves a stored CustomResourceDefinition's types (any other stored object is left alone). */
  private onCRDChanged(t: ResourceType, stored: KubeObject): void {
    if (t.resource !== 'customresourcedefinitions' || !isCustomResourceDefinition(stored)) return;
    this.onCRDDeleted(stored);
    for (const served of crdTypes(stored)) this.addType(served);
  }

  /**
   * kube's CRD finalizer (customresourcecleanup.apiextensions.k8s.io) deletes every custom
   * resource before the CRD goes, so a CRD created again later starts empty. Here that happens
   * at once, finalizers of the custom resources included.
   */
  private async deleteCustomResources(crd: CustomResourceDefinition): Promise<void> {
    const key = resourceKey({ group: String(crd.spec?.group ?? ''), resource: String(crd.spec?.names?.plural ?? '') });
    const { items } = await this.store.list(key, undefined);
    for (const item of items) await this.store.delete(key, item.metadata.namespace ?? '', item.metadata.name ?? '').catch(() => undefined);
  }

  private onCRDDeleted(crd: KubeObject): void {
    const name = crd.metadata.name;
    this.removeTypes((t) => t.crd?.name === name);
  }

  /** Rebuilds CRD-served types from stored CRDs (after loading a persisted store). */
  async loadCRDs(): Promise<void> {
    const crds = this.type('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
    const { items } = await this.store.list(resourceKey(crds), undefined);
    for (const crd of items) this.onCRDChanged(crds, crd);
  }

  /** A pod, read as one (the pods resource holds nothing else). */
  private async getPod(namespace: string, name: string): Promise<Pod> {
    const pod = await this.get(this.type('', 'v1', 'pods')!, namespace, name);
    if (!isPod(pod)) throw errors.internal(`pods "${name}" holds a ${String(pod.kind)}`);
    return pod;
  }
}

/** Being deleted, or marked Terminating (the namespace lifecycle refuses new content then). */
function isNamespaceTerminating(ns: KubeObject): boolean {
  return !!ns.metadata.deletionTimestamp || (isNamespace(ns) && ns.status?.phase === 'Terminating');
}

export function crdTypes(crd: CustomResourceDefinition): ResourceType[] {
  const spec = crd.spec;
  const names = spec?.names;
  const group = String(spec?.group ?? '');
  return (spec?.versions ?? [])
    .filter((v) => v.served !== false)
    .map((v) => {
      const sub = v.subresources;
      const subresources = [];
      if (sub?.status) subresources.push({ name: 'status', kind: String(names?.kind), verbs: ['get', 'patch', 'update'] });
      if (sub?.scale) subresources.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] });
      return {
        group,
        version: String(v.name),
        resource: String(names?.plural),
        singular: String(names?.singular ?? String(names?.kind).toLowerCase()),
        kind: String(names?.kind),
        namespaced: spec?.scope !== 'Cluster',
        shortNames: names?.shortNames ?? undefined,
        categories: names?.categories ?? undefined,
        subresources,
        statusSubresource: !!sub?.status,
        generation: true,
        crd: { name: crd.metadata.name ?? '', additionalPrinterColumns: v.additionalPrinterColumns, storage: v.storage === true, ...schemaOf(v.schema?.openAPIV3Schema) },
      };
    });
}

function schemaOf(s: unknown): { schema?: JsonObject } {
  const schema = jsonObject(s);
  return schema ? { schema } : {};
}

function podGracePeriod(pod: Pod, requested: number | undefined): number {
  const phase = podPhase(pod);
  // Pods never scheduled, or finished, have nothing to stop: kube deletes them at once.
  if (!podNodeName(pod) || phase === 'Succeeded' || phase === 'Failed') return 0;
  let grace = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  if (grace < 0) grace = 1;
  // A kubelet-confirmed delete (grace 0 on a pod already terminating) removes it.
  return grace;
}

function isGracefullyTerminating(pod: KubeObject): boolean {
  return (pod.metadata.deletionGracePeriodSeconds ?? 0) > 0;
}

function sameFinalizers(a: string[] | undefined, b: string[]): boolean {
  return (a ?? []).join('\n') === b.join('\n');
}

function hasRv(patch: unknown): boolean {
  const rv = jsonObject(jsonObject(patch)?.metadata)?.resourceVersion;
  return typeof rv === 'string' && rv !== '';
}

function specChanged(a: KubeObject, b: KubeObject): boolean {
  // Generation counts changes to anything but metadata and status (the "spec").
  const strip = ({ metadata: _m, status: _s, ...rest }: KubeObject) => rest;
  return JSON.stringify(strip(a)) !== JSON.stringify(strip(b));
}

function withoutStatus(o: KubeObject): KubeObject {
  const { status: _s, ...rest } = o;
  return rest;
}

function successStatus(t: ResourceType, o: KubeObject): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: o.metadata.name, group: t.group || undefined, kind: t.resource, uid: o.metadata.uid },
    code: 200,
  };
}


/**
 * Scale's status.selector: the workload's label selector in its string form
 * (metav1.LabelSelectorAsSelector(...).String()), "" when there is none.
 */
function scaleSelector(selector: unknown): string {
  return isJsonObject(selector) ? labelSelectorFromObject(selector).toString() : '';
}

export function mapStoreError(e: unknown, t: ResourceType | undefined, name: string): unknown {
  if (!(e instanceof StoreError)) return e;
  const resource = t?.resource ?? '';
  const group = t?.group ?? '';
  switch (e.code) {
    case 'NotFound':
      return errors.notFound(resource, group, name);
    case 'AlreadyExists':
      return errors.alreadyExists(resource, group, name);
    case 'Conflict':
      return errors.conflict(resource, group, name, e.message);
    case 'Expired':
      return errors.gone(e.message);
    default:
      return new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'ServiceUnavailable', message: e.message, code: 503 });
  }
}

function isCoreService(t: ResourceType): boolean {
  return t.resource === 'services' && t.group === '' && !t.crd;
}
