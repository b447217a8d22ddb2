// The journal's home in the cluster: the ConfigMap kube-system/upkeep-upgrade, key journal.json,
// written with optimistic concurrency (resourceVersion) so that an `upgrade abort` from another
// machine is never overwritten: a conflicting write re-reads and keeps the other side's stop request.
import type { ConfigMap } from '../../api/types.js';
import { isConflict, isNotFound, type KubeClient } from '../../kube/index.js';
import { isJsonObject } from '../../util/json.js';
import type { Journal } from './journal.js';

export const JOURNAL_NAMESPACE = 'kube-system';
export const JOURNAL_NAME = 'upkeep-upgrade';
const KEY = 'journal.json';
const CONFIGMAPS = { version: 'v1', resource: 'configmaps', namespace: JOURNAL_NAMESPACE } as const;

/** The journal's data is not a journal upkeep wrote (edited by hand, another tool's ConfigMap). */
export class JournalError extends Error {
  override readonly name = 'JournalError';
}

function isJournal(v: unknown): v is Journal {
  return isJsonObject(v) && typeof v.id === 'string' && typeof v.state === 'string' && Array.isArray(v.steps);
}

export function decodeJournal(cm: ConfigMap): Journal {
  const raw = cm.data?.[KEY];
  let v: unknown;
  try {
    v = JSON.parse(raw ?? '');
  } catch {
    throw new JournalError(`configmap ${JOURNAL_NAMESPACE}/${JOURNAL_NAME} has no readable ${KEY}: delete it if no upgrade is running`);
  }
  if (!isJournal(v)) throw new JournalError(`configmap ${JOURNAL_NAMESPACE}/${JOURNAL_NAME}'s ${KEY} is not an upkeep journal: delete it if no upgrade is running`);
  return v;
}

/** The journal and the resourceVersion it was read at. */
export interface Stored {
  journal: Journal;
  resourceVersion?: string;
}

export async function readJournal(client: KubeClient): Promise<Stored | undefined> {
  try {
    const cm = await client.get<ConfigMap>({ ...CONFIGMAPS, name: JOURNAL_NAME });
    return { journal: decodeJournal(cm), resourceVersion: cm.metadata.resourceVersion };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function configMap(j: Journal, resourceVersion?: string): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: JOURNAL_NAME, namespace: JOURNAL_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'upkeep' }, ...(resourceVersion ? { resourceVersion } : {}) },
    data: { [KEY]: JSON.stringify(j) },
  };
}

/**
 * Writes the journal; the one writer is the lease holder, but `abort` may set state 'aborting'
 * meanwhile: on a conflict, re-read, keep that request, write again (bounded).
 */
export class JournalStore {
  private resourceVersion?: string;
  /** Changes waiting for the next write: steps of a wave report at the same time, and one write carries them all. */
  private queued: Array<{ change: (j: Journal) => Journal; done: (j: Journal) => void; failed: (e: unknown) => void }> = [];
  private writing = false;

  constructor(
    private readonly client: KubeClient,
    private journal: Journal,
    resourceVersion?: string,
  ) {
    this.resourceVersion = resourceVersion;
  }

  get current(): Journal {
    return this.journal;
  }

  /** Apply a change and write it; resolves once the journal with this change is stored. */
  update(change: (j: Journal) => Journal): Promise<Journal> {
    return new Promise((done, failed) => {
      this.queued.push({ change, done, failed });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    try {
      while (this.queued.length > 0) {
        const batch = this.queued.splice(0);
        try {
          const j = await this.write((start) => batch.reduce((acc, b) => b.change(acc), start));
          for (const b of batch) b.done(j);
        } catch (err) {
          for (const b of batch) b.failed(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(change: (j: Journal) => Journal): Promise<Journal> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const j = change(this.journal);
      try {
        const cm = this.resourceVersion
          ? await this.client.replace<ConfigMap>({ ...CONFIGMAPS, name: JOURNAL_NAME }, configMap(j, this.resourceVersion))
          : await this.client.create<ConfigMap>(CONFIGMAPS, configMap(j));
        this.resourceVersion = cm.metadata.resourceVersion;
        this.journal = j;
        return j;
      } catch (err) {
        if (!isConflict(err) && !(isNotFound(err) && this.resourceVersion)) throw err;
        const fresh = await readJournal(this.client);
        this.resourceVersion = fresh?.resourceVersion;
        if (fresh && fresh.journal.id === this.journal.id && fresh.journal.state === 'aborting') this.journal = { ...this.journal, state: 'aborting' };
      }
    }
    throw new JournalError(`could not write configmap ${JOURNAL_NAMESPACE}/${JOURNAL_NAME}: it kept changing underneath`);
  }

  /** Re-read the stored state (an abort request from another machine). */
  async refresh(): Promise<Journal> {
    const fresh = await readJournal(this.client);
    if (fresh && fresh.journal.id === this.journal.id && fresh.journal.state === 'aborting' && this.journal.state === 'running') {
      this.journal = { ...this.journal, state: 'aborting' };
      this.resourceVersion = fresh.resourceVersion;
    }
    return this.journal;
  }
}
