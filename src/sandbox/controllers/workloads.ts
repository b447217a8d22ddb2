// What the workload controllers (ReplicaSet, Deployment, DaemonSet, StatefulSet, Job) share:
// label selectors, pod predicates (active / ready / available), pods from templates, template
// hashes, the order in which surplus pods are deleted, kube's IntOrString percentages, creation
// expectations and slow-start batches. Pure functions except Expectations and slowStartBatch.
import { type LabelSelector, type Selector, labelSelectorFromObject } from '../../api/labels.js';
import { controllerOf, isPodReady, podCondition, podNodeName, podPhase } from '../../api/pods.js';
import { StatusError } from '../../api/status.js';
import type { ControllerRevision, KubeObject, OwnerReference, Pod, PodCondition, PodTemplateSpec } from '../../api/types.js';
import type { StoreEvent } from '../store/store.js';
import { type ControllerContext, type ObjectRef, isRace } from './context.js';
import { CONTROLLER_REVISIONS, PODS, type ResourceKey, isEventOf } from './kinds.js';

// ---- label selectors ----

/** Compiled selectors per stored selector object (stored objects are replaced, never mutated). */
const compiledSelectors = new WeakMap<object, Selector>();

/**
 * A workload's spec.selector as src/api/labels compiles it (metav1.LabelSelectorAsSelector): a
 * missing selector matches nothing, an empty one everything, matchLabels and matchExpressions
 * are ANDed. One the engine refuses (an unknown operator, an invalid key) matches nothing, as
 * kube's controllers then select no pods.
 */
export function workloadSelector(selector: LabelSelector | null | undefined): Selector {
  if (!selector) return labelSelectorFromObject(selector);
  let s = compiledSelectors.get(selector);
  if (!s) {
    try {
      s = labelSelectorFromObject(selector);
    } catch {
      s = labelSelectorFromObject(null);
    }
    compiledSelectors.set(selector, s);
  }
  return s;
}

// ---- pods ----

/**
 * When controllers saw a pod become Ready, per stored pod object (objects are replaced, never
 * mutated, so a WeakMap keyed by them needs no cleanup). lastTransitionTime has whole seconds,
 * and at a time scale of 60 a second is a simulated minute: minReadySeconds would pass at once.
 */
const readyObserved = new WeakMap<object, number>();

/** Note the moment a pod turns Ready; carry it over to later versions of the pod. Idempotent. */
export function observePodReadiness(e: StoreEvent, nowMs: number): void {
  if (!isEventOf(e, PODS) || e.type !== 'MODIFIED' || readyObserved.has(e.object)) return;
  const c = readyCondition(e.object);
  if (c?.status !== 'True') return;
  const pc = e.prev ? readyCondition(e.prev) : undefined;
  if (pc?.status === 'True' && pc.lastTransitionTime === c.lastTransitionTime) {
    const carried = e.prev ? readyObserved.get(e.prev) : undefined;
    if (carried !== undefined) readyObserved.set(e.object, carried);
    return;
  }
  readyObserved.set(e.object, nowMs);
}

function readyCondition(pod: Pod): PodCondition | undefined {
  return podCondition(pod, 'Ready');
}

/** When the pod last became Ready (ms since the epoch), if it is ready. */
export function podReadySince(pod: Pod): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return undefined;
  const t = typeof c.lastTransitionTime === 'string' ? Date.parse(c.lastTransitionTime) : NaN;
  const seen = readyObserved.get(pod);
  if (seen !== undefined) return Number.isFinite(t) ? Math.max(t, seen) : seen;
  return Number.isFinite(t) ? t : undefined;
}

/**
 * podutil.IsPodAvailable: ready for at least minReadySeconds. `minReadyRealMs` is
 * minReadySeconds converted to real time by the caller's clock.
 */
export function isPodAvailable(pod: Pod, minReadyRealMs: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadyRealMs <= 0) return true;
  const since = podReadySince(pod);
  return since !== undefined && since + minReadyRealMs <= nowMs;
}

/** Real ms until a ready but not yet available pod becomes available; undefined if none is waiting. */
export function msUntilAvailable(pods: Pod[], minReadyRealMs: number, nowMs: number): number | undefined {
  if (minReadyRealMs <= 0) return undefined;
  let soonest: number | undefined;
  for (const p of pods) {
    const since = podReadySince(p);
    if (since === undefined) continue;
    const wait = since + minReadyRealMs - nowMs;
    if (wait > 0 && (soonest === undefined || wait < soonest)) soonest = wait;
  }
  return soonest;
}

export function ownerReference(owner: ObjectRef): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? '',
    kind: owner.kind ?? '',
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

export interface PodNaming {
  name?: string;
  generateName?: string;
}

/**
 * controller.GetPodFromTemplate: the template's labels, annotations and finalizers, a deep copy
 * of its spec, and a controller reference to the owner.
 */
export function podFromTemplate(template: PodTemplateSpec | undefined, owner: ObjectRef, naming: PodNaming): Pod {
  const tmeta = template?.metadata ?? {};
  const metadata: Pod['metadata'] = {
    namespace: owner.metadata.namespace,
    labels: { ...(tmeta.labels ?? {}) },
    ownerReferences: [ownerReference(owner)],
  };
  if (naming.name) metadata.name = naming.name;
  else metadata.generateName = naming.generateName;
  const annotations = tmeta.annotations;
  if (annotations && Object.keys(annotations).length) metadata.annotations = { ...annotations };
  const finalizers = tmeta.finalizers;
  if (finalizers?.length) metadata.finalizers = [...finalizers];
  // (Admission requires a template spec; a missing one makes a pod admission refuses the same way.)
  // A copy of the spec's top level only: callers set fields of the pod's spec (hostname,
  // affinity, volumes) but replace nested values rather than change them, stored objects are
  // never changed, and the registry copies what it defaults. The pods of a template so share its
  // containers and tolerations (and decoding checks those once, not per pod).
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: { ...(template?.spec ?? { containers: [] }) } };
}

// ---- ControllerRevisions (DaemonSet, StatefulSet) ----

/** A ControllerRevision's data: a strategic merge patch that replaces spec.template. */
export interface RevisionData {
  spec: { template: PodTemplateSpec & { $patch: 'replace' } };
}

export function revisionData(template: PodTemplateSpec): RevisionData {
  return { spec: { template: { ...template, $patch: 'replace' } } };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A pod template as stored in revision data: metadata and spec, each an object if present. */
function isPodTemplate(v: unknown): v is PodTemplateSpec & { $patch?: unknown } {
  return isRecord(v) && (v.metadata === undefined || isRecord(v.metadata)) && (v.spec === undefined || isRecord(v.spec));
}

/** The pod template a revision holds (revisionData read back), if it holds one. */
export function revisionTemplate(revision: ControllerRevision | undefined): PodTemplateSpec | undefined {
  const data: unknown = revision?.data;
  const spec = isRecord(data) ? data.spec : undefined;
  const template = isRecord(spec) ? spec.template : undefined;
  if (!isPodTemplate(template)) return undefined;
  const { $patch: _p, ...rest } = template;
  return rest;
}

/**
 * Create a revision; when one of that name exists, take it if it is the owner's with the same
 * data, else it is a hash collision: `collided` records it (status.collisionCount, so the next
 * hash differs) and the AlreadyExists error is thrown for a retry.
 */
export async function createRevision(ctx: ControllerContext, owner: ObjectRef, revision: ControllerRevision, collided: () => Promise<unknown>): Promise<ControllerRevision> {
  const ns = revision.metadata.namespace ?? '';
  try {
    return await ctx.create(CONTROLLER_REVISIONS, ns, revision);
  } catch (e) {
    if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
    const existing = await ctx.get(CONTROLLER_REVISIONS, ns, revision.metadata.name ?? '');
    if (controllerOf(existing)?.uid === owner.metadata.uid && canonicalJSON(existing.data) === canonicalJSON(revision.data)) return existing;
    await collided();
    throw e;
  }
}

/** Delete old revisions (each with a UID precondition); one already changed or gone is left be. */
export async function deleteRevisions(ctx: ControllerContext, revisions: ControllerRevision[]): Promise<void> {
  for (const r of revisions) {
    try {
      await ctx.delete(CONTROLLER_REVISIONS, r.metadata.namespace ?? '', r.metadata.name ?? '', { preconditions: { uid: r.metadata.uid } });
    } catch (e) {
      if (!isRace(e)) throw e;
    }
  }
}

// ---- hashing ----

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function canonicalJSON(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJSON(v))).join(',')}]`;
  if (!isRecord(value)) return JSON.stringify(value) ?? 'null';
  // (Keys and a default sort, no entry pairs: this runs on every pod event.)
  const entries = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJSON(value[k])}`);
  return `{${entries.join(',')}}`;
}

function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** k8s.io/apimachinery rand.SafeEncodeString: no vowels or look-alikes, so hashes never spell words. */
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

/**
 * controller.ComputeHash: fnv32a over the template (plus the collision count as 4 little-endian
 * bytes when set), printed in decimal and safe-encoded, e.g. "7c5ddbdf54". kube hashes Go's
 * printed struct; we hash canonical JSON, so the values differ from a real cluster's but have
 * the same form and the same stability.
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(canonicalJSON(template), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(collisionCount >>> 0);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

// ---- which surplus pods go first ----

export interface DeletionRankContext {
  /** Active pods of the same controller per node: doubled-up pods are deleted first. */
  relatedOnNode: Map<string, number>;
}

function phaseRank(pod: Pod): number {
  switch (podPhase(pod)) {
    case 'Pending':
      return 0;
    case 'Unknown':
      return 1;
    case 'Running':
      return 2;
    default:
      return 0;
  }
}

function restarts(pod: Pod): number {
  let n = 0;
  for (const c of pod.status?.containerStatuses ?? []) n = Math.max(n, Number(c.restartCount ?? 0));
  return n;
}

function created(pod: Pod): number {
  const t = pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : NaN;
  return Number.isFinite(t) ? t : -Infinity;
}

/** The tiers that do not depend on siblings: unscheduled, then Pending < Unknown < Running, then not ready. */
function staticRank(pod: Pod): number {
  return (podNodeName(pod) ? 100 : 0) + phaseRank(pod) * 10 + (isPodReady(pod) ? 1 : 0);
}

/** Among otherwise equal pods: ready for less time first, more restarts first, newer first. */
function compareAge(a: Pod, b: Pod): number {
  if (isPodReady(a) && isPodReady(b)) {
    const sa = podReadySince(a) ?? 0;
    const sb = podReadySince(b) ?? 0;
    if (sa !== sb) return sb - sa; // ready more recently: less proven, goes first
  }
  const xa = restarts(a);
  const xb = restarts(b);
  if (xa !== xb) return xb - xa;
  const ca = created(a);
  const cb = created(b);
  if (ca !== cb) return cb - ca;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? 1 : -1;
}

/**
 * kube's ActivePodsWithRanks ordering, least valuable first: unscheduled before scheduled;
 * Pending before Unknown before Running; not ready before ready; pods sharing a node with more
 * of their siblings first; ready for less time first; more restarts first; newer first.
 */
export function compareForDeletion(a: Pod, b: Pod, ctx: DeletionRankContext): number {
  const ra = staticRank(a);
  const rb = staticRank(b);
  if (ra !== rb) return ra - rb;
  const na = podNodeName(a);
  const nb = podNodeName(b);
  const ka = na ? (ctx.relatedOnNode.get(na) ?? 0) : 0;
  const kb = nb ? (ctx.relatedOnNode.get(nb) ?? 0) : 0;
  if (ka !== kb) return kb - ka;
  return compareAge(a, b);
}

interface Ranked {
  pod: Pod;
  node: string;
  tier: number;
  ready: number;
  restarts: number;
  created: number;
  name: string;
}

function rankOf(pod: Pod): Ranked {
  return {
    pod,
    node: podNodeName(pod) ?? '',
    tier: staticRank(pod),
    ready: isPodReady(pod) ? (podReadySince(pod) ?? 0) : -1,
    restarts: restarts(pod),
    created: created(pod),
    name: pod.metadata.name ?? '',
  };
}

/** compareAge on precomputed keys. */
function compareRanked(a: Ranked, b: Ranked): number {
  if (a.ready >= 0 && b.ready >= 0 && a.ready !== b.ready) return b.ready - a.ready;
  if (a.restarts !== b.restarts) return b.restarts - a.restarts;
  if (a.created !== b.created) return b.created - a.created;
  return a.name < b.name ? 1 : -1;
}

/** A binary heap (smallest first by `less`). */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * The `count` least valuable pods (active pods of one controller), in deletion order. kube ranks
 * once by the sibling count per node; we recount after each pick, so a scale-down leaves the
 * survivors spread as evenly as the ranking allows (kube leaves that to chance among pods of a
 * similar age). O(pods log pods).
 */
export function podsToDelete(pods: Pod[], count: number): Pod[] {
  if (count <= 0) return [];
  const ranked = pods.map(rankOf);
  if (count >= pods.length) return ranked.sort((a, b) => a.tier - b.tier || compareRanked(a, b)).map((r) => r.pod);
  const siblings = new Map<string, number>();
  for (const r of ranked) if (r.node) siblings.set(r.node, (siblings.get(r.node) ?? 0) + 1);
  const tiers = new Map<number, Ranked[]>();
  for (const r of ranked) {
    let t = tiers.get(r.tier);
    if (!t) tiers.set(r.tier, (t = []));
    t.push(r);
  }
  const out: Pod[] = [];
  for (const tier of [...tiers.keys()].sort((a, b) => a - b)) {
    // Per node, least valuable first; then repeatedly take from the node with the most siblings.
    const byNode = new Map<string, Ranked[]>();
    for (const r of tiers.get(tier)!) {
      let l = byNode.get(r.node);
      if (!l) byNode.set(r.node, (l = []));
      l.push(r);
    }
    type Entry = { node: string; list: Ranked[]; at: number; count: number };
    const heap = new Heap<Entry>((a, b) => a.count > b.count || (a.count === b.count && compareRanked(a.list[a.at], b.list[b.at]) < 0));
    for (const [node, list] of byNode) {
      list.sort(compareRanked);
      heap.push({ node, list, at: 0, count: node ? (siblings.get(node) ?? 0) : 0 });
    }
    while (out.length < count && heap.size) {
      const e = heap.pop()!;
      out.push(e.list[e.at].pod);
      e.at++;
      if (e.node) siblings.set(e.node, e.count - 1);
      if (e.at < e.list.length) heap.push({ ...e, count: e.node ? e.count - 1 : 0 });
    }
    if (out.length >= count) break;
  }
  return out;
}

// ---- IntOrString ----

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as is, "N%" of total (rounded up or down), with
 * the apimachinery error messages for anything else. Unset (a nil IntOrString) is 0.
 */
export function scaledValue(value: unknown, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return Math.trunc(value);
  if (typeof value === 'string') {
    if (!value.endsWith('%')) throw new Error('invalid value for IntOrString: invalid type: string is not a percentage');
    const digits = value.slice(0, -1);
    if (!/^[+-]?\d+$/.test(digits)) {
      throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(value)}: strconv.Atoi: parsing ${JSON.stringify(digits)}: invalid syntax`);
    }
    const scaled = (Number(digits) * total) / 100;
    return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
  }
  throw new Error('invalid value for IntOrString: invalid type: neither int nor percentage');
}

// ---- expectations ----

/**
 * controller.ControllerExpectations: how many creations and which deletions a controller has
 * issued but not yet seen in its cache. While any are outstanding it must not act again on
 * stale data (it would create or delete twice). Expire after a timeout in case an event is lost.
 */
export class Expectations {
  private readonly pending = new Map<string, { add: number; del: Set<string>; at: number }>();

  constructor(
    private readonly ttlMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  private entry(key: string) {
    let e = this.pending.get(key);
    if (!e) this.pending.set(key, (e = { add: 0, del: new Set(), at: this.now() }));
    return e;
  }

  expectCreations(key: string, n: number): void {
    const e = this.entry(key);
    e.add += n;
    e.at = this.now();
  }

  creationObserved(key: string, n = 1): void {
    const e = this.pending.get(key);
    if (!e) return;
    e.add = Math.max(0, e.add - n);
    this.gc(key, e);
  }

  expectDeletions(key: string, uids: string[]): void {
    const e = this.entry(key);
    for (const u of uids) e.del.add(u);
    e.at = this.now();
  }

  deletionObserved(key: string, uid: string): void {
    const e = this.pending.get(key);
    if (!e) return;
    e.del.delete(uid);
    this.gc(key, e);
  }

  private gc(key: string, e: { add: number; del: Set<string> }): void {
    if (e.add <= 0 && e.del.size === 0) this.pending.delete(key);
  }

  satisfied(key: string): boolean {
    const e = this.pending.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del.size === 0) return true;
    if (this.now() - e.at > this.ttlMs()) {
      this.pending.delete(key);
      return true;
    }
    return false;
  }

  forget(key: string): void {
    this.pending.delete(key);
  }
}

/**
 * controller.slowStartBatch: run `count` calls in batches of 1, 2, 4, ... so that a failing
 * call (quota, a terminating namespace) fails fast instead of being tried thousands of times.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: (i: number) => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  let batch = Math.min(remaining, initialBatchSize);
  let index = 0;
  while (batch > 0) {
    const start = index;
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, i) => fn(start + i)));
    index += batch;
    let error: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') successes++;
      else if (error === undefined) error = r.reason ?? new Error('failed');
    }
    if (error !== undefined) return { successes, error };
    remaining -= batch;
    batch = Math.min(remaining, 2 * batch);
  }
  return { successes };
}

export function findCondition<T extends { type: string }>(conditions: T[] | undefined, type: string): T | undefined {
  return (conditions ?? []).find((c) => c.type === type);
}

export function int(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

/**
 * Write a workload's status when it differs from the stored one (kube skips equal writes).
 * False when the object changed or went meanwhile (a 409 or 404): the caller looks again later.
 */
export async function writeStatusIfChanged<T extends KubeObject & { status?: object }>(ctx: ControllerContext, resource: ResourceKey<T>, obj: T, status: NonNullable<T['status']>): Promise<boolean> {
  if (canonicalJSON(status) === canonicalJSON(obj.status ?? {})) return true;
  try {
    await ctx.update(resource, obj.metadata.namespace ?? '', obj.metadata.name ?? '', { ...obj, status }, 'status');
    return true;
  } catch (e) {
    if (!isRace(e)) throw e;
    return false;
  }
}

/**
 * Delete a controller's pods (each with a UID precondition), recording SuccessfulDelete events
 * and settling expectations for deletions that fail: the shared tail of the ReplicaSet,
 * DaemonSet and Job controllers. The caller has already expected the deletions.
 */
export async function deleteControlledPods(ctx: ControllerContext, owner: ObjectRef, pods: Pod[], expectations: Expectations, key: string, component: string): Promise<void> {
  const ns = owner.metadata.namespace ?? '';
  await Promise.all(
    pods.map(async (p) => {
      try {
        await ctx.delete(PODS, ns, p.metadata.name ?? '', { preconditions: { uid: p.metadata.uid } });
      } catch (e) {
        expectations.deletionObserved(key, p.metadata.uid ?? '');
        if (isRace(e)) return;
        throw e;
      }
      await ctx.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, component);
    }),
  );
}
