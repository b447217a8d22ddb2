// Defaulting kube-apiserver applies to every object it decodes (create and update), for the
// fields clients notice: CronJob policies and history limits, container port protocol, Service
// spec defaults, empty label/annotation maps (omitempty), Secret stringData folded into data.
// Defaults that depend on the stored object (Service clusterIP) are carried over on update.
import type { KubeObject } from '../../api/types.js';
import { type JsonObject, isJsonObject, jsonObject } from './json.js';
import { STORAGE_DEFAULTERS } from './storageclass.js';

type Defaulter = (o: KubeObject) => KubeObject;

function withPortProtocols(container: unknown): unknown {
  const c = jsonObject(container);
  if (!c || !Array.isArray(c.ports)) return container;
  return { ...c, ports: c.ports.map((p) => (isJsonObject(p) && (p.protocol === undefined || p.protocol === '') ? { ...p, protocol: 'TCP' } : p)) };
}

/** Container ports default to TCP, in a pod spec wherever it sits. */
function podSpecDefaults(spec: unknown): unknown {
  const s = jsonObject(spec);
  if (!s) return spec;
  const out: JsonObject = { ...s };
  for (const f of ['containers', 'initContainers']) if (Array.isArray(s[f])) out[f] = s[f].map(withPortProtocols);
  return out;
}

function templateDefaults(template: unknown): unknown {
  const t = jsonObject(template);
  return t && t.spec !== undefined ? { ...t, spec: podSpecDefaults(t.spec) } : template;
}

function withSpec(o: KubeObject, f: (spec: JsonObject) => JsonObject): KubeObject {
  const s = jsonObject(o.spec);
  return s ? { ...o, spec: f(s) } : o;
}

const templated: Defaulter = (o) => withSpec(o, (s) => (s.template === undefined ? s : { ...s, template: templateDefaults(s.template) }));

const cronJob: Defaulter = (o) =>
  withSpec(o, (s) => {
    const jobTemplate = jsonObject(s.jobTemplate);
    const jobSpec = jsonObject(jobTemplate?.spec);
    return {
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      ...s,
      ...(jobTemplate && jobSpec ? { jobTemplate: { ...jobTemplate, spec: { ...jobSpec, template: templateDefaults(jobSpec.template) } } } : {}),
    };
  });

const service: Defaulter = (o) =>
  withSpec(o, (s) => {
    const type = s.type ?? 'ClusterIP';
    const out: JsonObject = { type, sessionAffinity: 'None', ...s };
    if (type !== 'ExternalName') {
      out.ipFamilies ??= ['IPv4'];
      out.ipFamilyPolicy ??= 'SingleStack';
      out.internalTrafficPolicy ??= 'Cluster';
    }
    if (Array.isArray(s.ports)) {
      out.ports = s.ports.map((p) => (isJsonObject(p) ? { protocol: 'TCP', ...p, targetPort: p.targetPort ?? p.port } : p));
    }
    if (typeof out.clusterIP === 'string' && out.clusterIP !== '' && out.clusterIPs === undefined) out.clusterIPs = [out.clusterIP];
    return out;
  });

/** stringData is write-only: merged over data (base64 of its UTF-8) and never stored. */
const secret: Defaulter = (o) => {
  const stringData = jsonObject(o.stringData);
  if (!stringData && o.stringData === undefined) return o;
  const { stringData: _dropped, ...rest } = o;
  const data: JsonObject = { ...jsonObject(o.data) };
  for (const [k, v] of Object.entries(stringData ?? {})) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
  return Object.keys(data).length || o.data !== undefined ? { ...rest, data } : rest;
};

const DEFAULTERS: Readonly<Record<string, Defaulter>> = {
  Pod: (o) => ({ ...o, spec: podSpecDefaults(o.spec) }),
  Deployment: templated,
  ReplicaSet: templated,
  DaemonSet: templated,
  StatefulSet: templated,
  ReplicationController: templated,
  Job: templated,
  CronJob: cronJob,
  Service: service,
  Secret: secret,
  ...STORAGE_DEFAULTERS,
};

/** Empty label and annotation maps are dropped (ObjectMeta's omitempty). */
function metadataDefaults(o: KubeObject): KubeObject {
  const { labels, annotations } = o.metadata;
  if (!(labels && !Object.keys(labels).length) && !(annotations && !Object.keys(annotations).length)) return o;
  const metadata = { ...o.metadata };
  if (labels && !Object.keys(labels).length) delete metadata.labels;
  if (annotations && !Object.keys(annotations).length) delete metadata.annotations;
  return { ...o, metadata };
}

/** The defaults of an object as decoded (before create, and before update). */
export function applyDefaults(o: KubeObject): KubeObject {
  const d = DEFAULTERS[String(o.kind)];
  return metadataDefaults(d ? d(o) : o);
}

/** What an update that leaves allocated fields out keeps from the stored object (Service IPs). */
export function carryOverAllocated(old: KubeObject, next: KubeObject): KubeObject {
  if (next.kind !== 'Service') return next;
  const before = jsonObject(old.spec) ?? {};
  return withSpec(next, (s) => {
    if ((s.clusterIP === undefined || s.clusterIP === '') && before.clusterIP !== undefined) {
      return { ...s, clusterIP: before.clusterIP, clusterIPs: s.clusterIPs ?? before.clusterIPs };
    }
    return s;
  });
}
