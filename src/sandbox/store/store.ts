// The sandbox's object store: what etcd is to kube-apiserver. One revision counter for all
// objects (an object's resourceVersion is the revision that last wrote it), compare-and-swap
// writes, lists at a consistent snapshot with continue tokens, and watches that replay history
// from a revision or answer "too old" once it is gone (the API server's 410 Gone).
import type { KubeObject } from '../../api/types.js';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: StoreEventType;
  /** Resource key ("pods", "deployments.apps"). */
  resource: string;
  namespace: string;
  object: KubeObject;
  /** The state before a MODIFIED event: watches with selectors turn moves in/out into ADDED/DELETED. */
  prev?: KubeObject;
  revision: number;
}

export class StoreError extends Error {
  constructor(
    readonly code: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired' | 'Unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface ListOptions {
  /** Applied before paging, as kube-apiserver does: a page holds `limit` matching objects. */
  filter?: (obj: KubeObject) => boolean;
  limit?: number;
  continue?: string;
  /** Sets remainingItemCount on pages (kube-apiserver leaves it out when a selector is used). */
  countRemaining?: boolean;
}

export interface ListResult {
  items: KubeObject[];
  revision: number;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  namespace?: string;
  /** Deliver events after this revision; throws StoreError('Expired') if history no longer has it. */
  fromRevision: number;
}

export type Unsubscribe = () => void;

export interface Store {
  /** The newest revision (the resourceVersion of the last write). */
  revision(): number;
  get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined>;
  list(resource: string, namespace: string | undefined, options?: ListOptions): Promise<ListResult>;
  /** Stores a new object; sets metadata.resourceVersion. */
  create(resource: string, obj: KubeObject): Promise<KubeObject>;
  /** Replaces an object if its stored resourceVersion equals `expectedRevision`. */
  update(resource: string, obj: KubeObject, expectedRevision: string): Promise<KubeObject>;
  /** Removes an object; `expectedRevision` guards against racing writers. */
  delete(resource: string, namespace: string, name: string, expectedRevision?: string): Promise<KubeObject>;
  watch(resource: string | undefined, options: WatchOptions, listener: (e: StoreEvent) => void): Unsubscribe;
  /** The objects as they were at an older revision (resourceVersionMatch=Exact); Expired once compacted. Optional. */
  listAt?(resource: string, namespace: string | undefined, revision: number, filter?: (obj: KubeObject) => boolean): Promise<ListResult>;
  /** Resource keys that currently hold objects. */
  resources(): string[];
  close(): Promise<void>;
}

export function storeKey(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
