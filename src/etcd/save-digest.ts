// The digest check of `snapshot save`: the stream's last 32 bytes are the sha256 of everything
// before them (snapshot.ts). A large snapshot is hashed in a worker thread that reads the .part
// file back as it is written (digest.ts FileFollower): the receiving thread only parses and
// writes, the hash runs beside it on the other core, and it is done moments after the last
// byte. A small one is hashed here, where a worker would cost more to start than it saves.
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { SHA256_SIZE, type FollowJob, type FollowMessage } from './digest.js';

/** Snapshots above this size are hashed by a following worker. */
export const FOLLOW_MIN_BYTES = 16 << 20;

export interface SaveDigestResult {
  /** sha256 (hex) of everything before the last 32 bytes. */
  actual: string;
  /** The last 32 bytes (hex): the digest, when the stream is whole. */
  expected: string;
}

export class SaveDigest {
  /** The newest 32 bytes seen: they may be the digest etcd appends. */
  private tail = Buffer.alloc(0);
  private readonly hash: Hash | undefined;
  private readonly worker: Worker | undefined;
  private readonly digest: Promise<string> | undefined;

  /** `file`: the .part file the stream is written to; `total`: the db size the server announced. */
  constructor(file: string, total: number) {
    if (total < FOLLOW_MIN_BYTES) {
      this.hash = createHash('sha256');
      return;
    }
    const job: FollowJob = { file, follow: true };
    const worker = new Worker(new URL('./digest-worker.js', import.meta.url), { workerData: job });
    this.worker = worker;
    this.digest = new Promise((resolve, reject) => {
      worker.once('message', (hex: string) => resolve(hex));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`sha256 worker exited with code ${code} before the digest was done`)));
    });
    // Read only after the stream ended (result), or never (stop): no unhandled rejection meanwhile.
    this.digest.catch(() => undefined);
  }

  /** The next bytes of the stream (before they are written). */
  update(blob: Buffer): void {
    if (blob.length >= SHA256_SIZE) {
      if (this.hash) {
        this.hash.update(this.tail);
        this.hash.update(blob.subarray(0, blob.length - SHA256_SIZE));
      }
      this.tail = Buffer.from(blob.subarray(blob.length - SHA256_SIZE));
      return;
    }
    const joined = Buffer.concat([this.tail, blob]);
    const cut = Math.max(0, joined.length - SHA256_SIZE);
    if (cut) this.hash?.update(joined.subarray(0, cut));
    this.tail = joined.subarray(cut);
  }

  /** The first `bytes` of the stream are in the file: the worker may hash all but the last 32. */
  written(bytes: number): void {
    this.post({ hashable: Math.max(0, bytes - SHA256_SIZE) });
  }

  /** The stream ended after `received` bytes, all written: the digest it carried and the one its data has. */
  async result(received: number): Promise<SaveDigestResult> {
    const expected = this.tail.toString('hex');
    if (this.hash) return { actual: this.hash.digest('hex'), expected };
    const length = Math.max(0, received - SHA256_SIZE);
    this.post({ hashable: length, length });
    return { actual: await (this.digest ?? Promise.reject(new Error('no sha256 worker'))), expected };
  }

  /** The save failed: stop hashing. */
  stop(): void {
    void this.worker?.terminate();
  }

  private post(m: FollowMessage): void {
    this.worker?.postMessage(m);
  }
}
