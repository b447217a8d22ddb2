// A sha256 worker (started by sha256OfFile in digest.ts): hashes the first `length` bytes of a
// file on its own thread and posts the digest (hex).
import { parentPort, workerData } from 'node:worker_threads';
import { isDigestJob, sha256Sync } from './digest.js';

if (!parentPort || !isDigestJob(workerData)) throw new Error('digest-worker.js runs as a worker thread started by sha256OfFile');
parentPort.postMessage(sha256Sync(workerData));
