// ResourceQuota and LimitRange admission (kube's plugins of the same names), on create: a
// LimitRange defaults containers' requests and limits and refuses values outside its min/max;
// a ResourceQuota refuses an object that would take the namespace past a hard limit. Usage is
// computed from the namespace's objects at admission time (the quota controller's status.used
// is not kept).
import { errors, type StatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { parseQuantity } from '../controllers/scheduling.js';
import { type JsonObject, jsonObject, jsonObjects } from './json.js';

const RESOURCES = ['cpu', 'memory'] as const;

/** A quantity printed the way Quantity.String() prints the common cases. */
export function formatQuantity(resource: string, n: number): string {
  if (resource.endsWith('cpu')) return Number.isInteger(n) ? String(n) : `${Math.round(n * 1000)}m`;
  for (const [suffix, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) if (n && n % size === 0) return `${n / size}${suffix}`;
  return String(n);
}

function containers(spec: unknown): JsonObject[] {
  const s = jsonObject(spec);
  return [...jsonObjects(s?.containers), ...jsonObjects(s?.initContainers)];
}

/** LimitRanger: container defaults from every LimitRange of the namespace, then its min/max. */
export function applyLimitRanges(pod: KubeObject, ranges: KubeObject[], name: string): KubeObject {
  const limits = ranges.flatMap((r) => jsonObjects(jsonObject(r.spec)?.limits)).filter((l) => l.type === 'Container');
  if (!limits.length) return pod;
  const spec = { ...jsonObject(pod.spec) };
  const problems: string[] = [];
  for (const field of ['containers', 'initContainers']) {
    if (!Array.isArray(spec[field])) continue;
    spec[field] = jsonObjects(spec[field]).map((c) => {
      const res = jsonObject(c.resources) ?? {};
      const lim: JsonObject = { ...jsonObject(res.limits) };
      const req: JsonObject = { ...jsonObject(res.requests) };
      for (const l of limits) {
        for (const [r, q] of Object.entries(jsonObject(l.default) ?? {})) lim[r] ??= q;
        for (const [r, q] of Object.entries(jsonObject(l.defaultRequest) ?? {})) req[r] ??= q;
        for (const [r, q] of Object.entries(lim)) req[r] ??= q;
        for (const [r, min] of Object.entries(jsonObject(l.min) ?? {})) {
          const v = req[r] ?? lim[r];
          if (v === undefined || parseQuantity(v) < parseQuantity(min)) problems.push(`minimum ${r} usage per Container is ${String(min)}, but request is ${v === undefined ? '0' : String(v)}`);
        }
        for (const [r, max] of Object.entries(jsonObject(l.max) ?? {})) {
          const v = lim[r];
          if (v === undefined) problems.push(`maximum ${r} usage per Container is ${String(max)}.  No limit is specified`);
          else if (parseQuantity(v) > parseQuantity(max)) problems.push(`maximum ${r} usage per Container is ${String(max)}, but limit is ${String(v)}`);
        }
      }
      return { ...c, resources: { ...res, ...(Object.keys(lim).length ? { limits: lim } : {}), ...(Object.keys(req).length ? { requests: req } : {}) } };
    });
  }
  if (problems.length) throw errors.forbidden(`pods "${name}" is forbidden: ${problems.length === 1 ? problems[0] : `[${problems.join(', ')}]`}`, { name, kind: 'pods' });
  return { ...pod, spec };
}

/** What one object counts against a quota, by quota resource name. */
export function usage(resource: string, o: KubeObject): Map<string, number> {
  const out = new Map<string, number>([[`count/${resource}`, 1]]);
  if (['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'replicationcontrollers', 'resourcequotas'].includes(resource)) out.set(resource, 1);
  if (resource === 'pods') {
    const phase = jsonObject(o.status)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return new Map();
    for (const r of RESOURCES) {
      let requests = 0;
      let limits = 0;
      for (const c of containers(o.spec)) {
        const res = jsonObject(c.resources) ?? {};
        requests += parseQuantity(jsonObject(res.requests)?.[r] ?? 0);
        limits += parseQuantity(jsonObject(res.limits)?.[r] ?? 0);
      }
      out.set(`requests.${r}`, requests).set(r, requests).set(`limits.${r}`, limits);
    }
  }
  if (resource === 'persistentvolumeclaims') out.set('requests.storage', parseQuantity(jsonObject(jsonObject(jsonObject(o.spec)?.resources)?.requests)?.storage ?? 0));
  return out;
}

/** The ResourceQuota check for creating `o` (named `resource` in the URL) among `existing`. */
export function quotaError(resource: string, group: string, o: KubeObject, existing: KubeObject[], quotas: KubeObject[]): StatusError | undefined {
  const name = o.metadata.name ?? '';
  const what = `${resource}${group ? `.${group}` : ''} "${name}" is forbidden`;
  const wanted = usage(group ? `${resource}.${group}` : resource, o);
  for (const q of quotas) {
    const hard = jsonObject(jsonObject(q.spec)?.hard) ?? {};
    const tracked = Object.keys(hard).filter((r) => wanted.has(r)).sort();
    if (!tracked.length) continue;
    const missing = resource === 'pods' ? tracked.filter((r) => /^(requests|limits)\.|^(cpu|memory)$/.test(r) && containers(o.spec).some((c) => jsonObject(jsonObject(c.resources)?.[r.startsWith('limits') ? 'limits' : 'requests'])?.[r.replace(/^.*\./, '')] === undefined)) : [];
    if (missing.length) return errors.forbidden(`${what}: failed quota: ${q.metadata.name}: must specify ${missing.join(',')}`, { name, kind: resource });
    const used = new Map<string, number>();
    for (const e of existing) for (const [r, n] of usage(group ? `${resource}.${group}` : resource, e)) used.set(r, (used.get(r) ?? 0) + n);
    const over = tracked.filter((r) => (used.get(r) ?? 0) + (wanted.get(r) ?? 0) > parseQuantity(hard[r]));
    if (!over.length) continue;
    const list = (f: (r: string) => string) => over.map((r) => `${r}=${f(r)}`).join(',');
    return errors.forbidden(
      `${what}: exceeded quota: ${q.metadata.name}, requested: ${list((r) => formatQuantity(r, wanted.get(r) ?? 0))}, used: ${list((r) => formatQuantity(r, used.get(r) ?? 0))}, limited: ${list((r) => String(hard[r]))}`,
      { name, kind: resource },
    );
  }
  return undefined;
}
