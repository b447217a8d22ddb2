// The read-ahead ring's reader thread (started by startRingReader in ring.ts): fills the ring in
// file order and posts the sha256 of the first hashLength bytes ('' when it only reads ahead).
import { parentPort, workerData } from 'node:worker_threads';
import { fillRing, isRingReaderData } from './ring.js';

if (!parentPort || !isRingReaderData(workerData)) throw new Error('ring-worker.js runs as a worker thread started by startRingReader');
parentPort.postMessage(fillRing(workerData));
