// The read-ahead ring's reader thread (started by startRingReader in ring.ts): fills the ring in
// file order and posts the sha256 of the first hashLength bytes ('' when it only reads ahead).
import { parentPort, workerData } from 'node:worker_threads';
import { fillRing, isRingReaderData } from './ring.js';

if (!parentPort || !isRingReaderData(workerData)) throw new Error('ring-worker.js runs as a worker thread started by startRingReader');
// Only a thread that hashes loads crypto: a read-ahead thread starts a few ms sooner without it.
const hash = workerData.hashLength > 0 ? (await import('node:crypto')).createHash('sha256') : undefined;
parentPort.postMessage(fillRing(workerData, hash));
