// A sha256 worker, started by sha256OfFile in digest.ts (hash the first `length` bytes of a file
// and post the digest, hex) or by SaveDigest in save-digest.ts (follow a file being written, as
// far as each message allows, and post the digest after the last one).
import { parentPort, workerData } from 'node:worker_threads';
import { FileFollower, isDigestJob, isFollowJob, isFollowMessage, sha256Sync } from './digest.js';

const port = parentPort;
if (!port) throw new Error('digest-worker.js runs as a worker thread');
if (isDigestJob(workerData)) port.postMessage(sha256Sync(workerData));
else if (isFollowJob(workerData)) {
  const follower = new FileFollower(workerData.file);
  port.on('message', (m: unknown) => {
    if (!isFollowMessage(m)) throw new Error('digest-worker.js: a follow message needs {hashable, length?}');
    const hex = follower.take(m);
    if (hex === undefined) return;
    port.postMessage(hex);
    port.close();
  });
} else throw new Error('digest-worker.js: started without a job (sha256OfFile or SaveDigest start it)');
