// kube-apiserver's response compression (the APIResponseCompression feature, on by default since
// 1.16; k8s.io/apiserver endpoints/handlers/responsewriters/writers.go): a response larger than
// 128 KiB to a client whose Accept-Encoding names gzip is gzipped at level 1, with
// Content-Encoding: gzip and Vary: Accept-Encoding. client-go (kubectl) asks for gzip unless told
// --disable-compression, so a large list crosses the wire about ten times smaller. Watches are
// never compressed. zlib runs on libuv's threads: compressing leaves the event loop free.
import type http from 'node:http';
import zlib from 'node:zlib';

/** defaultGzipThresholdBytes: smaller responses go as they are. */
export const GZIP_THRESHOLD_BYTES = 128 * 1024;
/** defaultGzipContentEncodingLevel (kubernetes#112296: level 1 costs least for a similar ratio). */
export const GZIP_LEVEL = 1;

/** negotiateContentEncoding: "gzip" as one of the comma-separated tokens, exactly (no q-values). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(',').some((token) => token.trim() === 'gzip');
}

/**
 * A response body written in parts (a list, item by item): plain until it passes the threshold,
 * then, for a client that takes gzip, compressed from the start. Writes wait for the socket (or
 * the compressor) to drain, so a large list never sits in memory twice.
 */
export class ResponseBody {
  private pending: string[] = [];
  private pendingBytes = 0;
  private out: NodeJS.WritableStream | undefined;

  constructor(
    private readonly res: http.ServerResponse,
    private readonly gzip: boolean,
  ) {}

  async write(part: string): Promise<void> {
    if (this.out) return this.send(part);
    this.pending.push(part);
    this.pendingBytes += part.length;
    if (this.pendingBytes > GZIP_THRESHOLD_BYTES) await this.start();
  }

  async end(): Promise<void> {
    if (!this.out) {
      // Small enough to go whole, uncompressed, with its length.
      const body = this.pending.join('');
      this.res.setHeader('Content-Length', Buffer.byteLength(body));
      this.res.end(body);
      return;
    }
    if (!this.open) return;
    const done = this.either(this.res, 'finish');
    this.out.end();
    await done;
  }

  private async start(): Promise<void> {
    if (this.gzip) {
      this.res.setHeader('Content-Encoding', 'gzip');
      this.res.setHeader('Vary', 'Accept-Encoding');
      // Large chunks (each one is a round trip to libuv's threads through a busy event loop), and
      // room for a few parts ahead, so the next part is serialised while this one is compressed.
      // (zlib's streams take Transform's options; its option type leaves them out.)
      const options: zlib.ZlibOptions & { writableHighWaterMark: number } = { level: GZIP_LEVEL, chunkSize: 256 * 1024, writableHighWaterMark: 4 * 1024 * 1024 };
      const gz = zlib.createGzip(options);
      gz.pipe(this.res);
      this.out = gz;
    } else this.out = this.res;
    const first = this.pending.join('');
    this.pending = [];
    await this.send(first);
  }

  /** False once the client has gone (the caller stops writing). */
  get open(): boolean {
    return !this.res.destroyed;
  }

  private async send(part: string): Promise<void> {
    if (!this.open) return;
    // Wait for room, or for the client to go away (then nothing more is written).
    if (!this.out!.write(part)) await this.either(this.out!, 'drain');
  }

  /** The event on `emitter`, or the response closing, whichever comes first (no listener left behind). */
  private either(emitter: NodeJS.EventEmitter, event: string): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        emitter.off(event, done);
        this.res.off('close', done);
        resolve();
      };
      emitter.on(event, done);
      this.res.on('close', done);
    });
  }
}

/** A whole body at once: gzipped (on libuv's threads) when it is large and the client takes gzip. */
export async function encodeBody(body: string, gzip: boolean): Promise<{ body: string | Buffer; encoding?: 'gzip' }> {
  if (!gzip || Buffer.byteLength(body) <= GZIP_THRESHOLD_BYTES) return { body };
  const compressed = await new Promise<Buffer>((resolve, reject) => zlib.gzip(body, { level: GZIP_LEVEL }, (e, b) => (e ? reject(e) : resolve(b))));
  return { body: compressed, encoding: 'gzip' };
}
