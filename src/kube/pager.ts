// Paginated lists (limit/continue) as async iterators. All pages of one paginated list are one
// consistent snapshot at the first page's resourceVersion. A continue token expires (410
// Expired, typically after etcd compaction, ~5 min); the only way on is a fresh list.
import type { KubeList, KubeObject } from '../api/types.js';
import { isExpired } from './errors.js';
import type { Query } from './paths.js';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; kubectl's default 500. 0 asks for everything in one response. */
  limit?: number;
  /** resourceVersion of the first request ("0": any cached state is fine). */
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  /**
   * On 410 Expired in the middle of a paginated list, start again from the first page instead
   * of throwing. The pages after a restart carry `restarted: true`; listAll skips objects it
   * already yielded (by uid), so objects that changed in between are seen at their first state.
   */
  restartOnExpired?: boolean;
  signal?: AbortSignal;
}

export interface ListPage<T extends KubeObject = KubeObject> {
  kind: string;
  apiVersion: string;
  items: T[];
  /** The list's resourceVersion: start a watch here to follow changes after this snapshot. */
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
  /** True on every page fetched after a 410 restart. */
  restarted: boolean;
  /** How many times the list started again after 410 so far (a new snapshot each time). */
  restarts: number;
}

/** Fetch one list response for the given query. */
export type FetchList = (query: Query, signal?: AbortSignal) => Promise<KubeList<KubeObject>>;

export const DEFAULT_PAGE_SIZE = 500;
const MAX_RESTARTS = 3;

export async function* listPages<T extends KubeObject = KubeObject>(
  fetchList: FetchList,
  options: ListOptions = {},
): AsyncGenerator<ListPage<T>> {
  const limit = options.limit ?? DEFAULT_PAGE_SIZE;
  let restarts = 0;
  let token: string | undefined;
  for (;;) {
    const query: Query = {
      labelSelector: options.labelSelector || undefined,
      fieldSelector: options.fieldSelector || undefined,
      limit: limit > 0 ? limit : undefined,
    };
    if (token) {
      // The server refuses resourceVersion together with continue: the token pins the snapshot.
      query.continue = token;
    } else {
      query.resourceVersion = options.resourceVersion;
      query.resourceVersionMatch = options.resourceVersion ? options.resourceVersionMatch : undefined;
    }
    let list: KubeList<KubeObject>;
    try {
      list = await fetchList(query, options.signal);
    } catch (err) {
      if (token && isExpired(err) && options.restartOnExpired && restarts < MAX_RESTARTS) {
        restarts++;
        token = undefined;
        continue;
      }
      throw err;
    }
    const typed = withTypeMeta(list) as KubeList<T>;
    const next = typed.metadata?.continue || undefined;
    const page: ListPage<T> = {
      kind: typed.kind,
      apiVersion: typed.apiVersion,
      items: typed.items ?? [],
      resourceVersion: typed.metadata?.resourceVersion ?? '',
      restarted: restarts > 0,
      restarts,
    };
    if (next) page.continue = next;
    if (typed.metadata?.remainingItemCount !== undefined) page.remainingItemCount = typed.metadata.remainingItemCount;
    yield page;
    if (!next || limit <= 0) return;
    token = next;
  }
}

export async function* listAll<T extends KubeObject = KubeObject>(
  fetchList: FetchList,
  options: ListOptions = {},
): AsyncGenerator<T> {
  const seen = new Set<string>();
  for await (const page of listPages<T>(fetchList, options)) {
    for (const item of page.items) {
      const uid = item.metadata?.uid;
      if (uid) {
        if (page.restarted && seen.has(uid)) continue;
        if (options.restartOnExpired) seen.add(uid);
      }
      yield item;
    }
  }
}

/**
 * Items of a list response omit apiVersion and kind (the list carries them); fill them in, as
 * `kubectl get -o json` does, so every object can be handled (and saved) on its own.
 */
export function withTypeMeta<T extends KubeObject>(list: KubeList<T>): KubeList<T> {
  const kind = list.kind?.endsWith('List') ? list.kind.slice(0, -'List'.length) : undefined;
  if (!kind || !list.apiVersion || !Array.isArray(list.items)) return list;
  const apiVersion = list.apiVersion;
  // New objects with apiVersion and kind first: the order kubectl prints them in.
  list.items = list.items.map((item) => {
    if (item.apiVersion && item.kind) return item;
    const { apiVersion: ownVersion, kind: ownKind, ...rest } = item;
    return { apiVersion: ownVersion || apiVersion, kind: ownKind || kind, ...rest } as T;
  });
  return list;
}
