// The archive format end to end without a cluster: written by ArchiveWriter, read by
// scanArchive; every way of damaging it ends in one BadArchiveError or a named entry.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { ArchiveWriter } from './archive.js';
import { BadArchiveError } from './errors.js';
import { scanArchive } from './reader.js';
import { openSink, parseLocation } from './storage.js';

let dir: string;
let good: string;

async function write(file: string, entries: [string, string][], manifest?: unknown): Promise<void> {
  const w = await ArchiveWriter.open(await openSink(parseLocation(file)));
  for (const [name, body] of entries) await w.add(name, Buffer.from(body));
  await w.finish((c) => manifest ?? { apiVersion: 'upkeep.dev/v1alpha1', kind: 'BackupManifest', format: 1, checksums: { entry: 'upkeep/checksums.sha256', algorithm: 'sha256', sha256: c.sha256 } });
}

/** Rewrite an archive's tar, changing entries on the way. */
async function rewrite(from: string, to: string, change: (name: string, data: Buffer) => Buffer | undefined): Promise<void> {
  const extract = tar.extract();
  const pack = tar.pack();
  const out = fs.open(to, 'w');
  const bytes = collect(pack);
  extract.end(zlib.gunzipSync(await fs.readFile(from)));
  for await (const entry of extract) {
    const parts: Buffer[] = [];
    for await (const c of entry) parts.push(c as Buffer);
    const data = change(entry.header.name, Buffer.concat(parts));
    if (data) pack.entry({ name: entry.header.name }, data);
  }
  pack.finalize();
  await (await out).writeFile(zlib.gzipSync(await bytes));
  await (await out).close();
}

/** The bytes a tar pack stream produces. */
async function collect(pack: tar.Pack): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const ENTRIES: [string, string][] = [
  ['metadata/version', '1.1.0\n'],
  ['resources/configmaps/namespaces/shop/app.json', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app","namespace":"shop"},"data":{"a":"1"}}'],
  ['resources/configmaps/v1-preferredversion/namespaces/shop/app.json', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app","namespace":"shop"},"data":{"a":"1"}}'],
];

describe('archive', () => {
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-archive-test-'));
    good = path.join(dir, 'good.tar.gz');
    await write(good, ENTRIES);
  });
  after(async () => fs.rm(dir, { recursive: true, force: true }));

  it('is written mode 0600 with no .part left, and reads back with every checksum matching', async () => {
    assert.equal((await fs.stat(good)).mode & 0o777, 0o600);
    assert.deepEqual((await fs.readdir(dir)).filter((f) => f.endsWith('.part')), []);
    const scan = await scanArchive(good);
    assert.equal(scan.checksummed, true);
    assert.deepEqual(scan.problems, []);
    assert.equal(scan.entries, 5);
    assert.deepEqual(scan.counts, [{ groupResource: 'configmaps', count: 1, namespaces: { shop: 1 } }]);
  });

  it('names an entry whose content was altered', async () => {
    const altered = path.join(dir, 'altered.tar.gz');
    await rewrite(good, altered, (name, data) => (name === 'resources/configmaps/namespaces/shop/app.json' ? Buffer.from(data.toString().replace('"1"', '"2"')) : data));
    const scan = await scanArchive(altered);
    assert.deepEqual(scan.problems, [{ entry: 'resources/configmaps/namespaces/shop/app.json', problem: 'sha256 mismatch: the entry was altered' }]);
  });

  it('names an entry that was removed', async () => {
    const removed = path.join(dir, 'removed.tar.gz');
    await rewrite(good, removed, (name, data) => (name.includes('preferredversion') ? undefined : data));
    assert.deepEqual((await scanArchive(removed)).problems, [{ entry: 'resources/configmaps/v1-preferredversion/namespaces/shop/app.json', problem: 'missing from the archive' }]);
  });

  it('refuses a manifest of a newer format', async () => {
    const newer = path.join(dir, 'newer.tar.gz');
    await write(newer, ENTRIES, { apiVersion: 'upkeep.dev/v1alpha1', kind: 'BackupManifest', format: 2, checksums: { entry: 'upkeep/checksums.sha256', sha256: 'x' } });
    await assert.rejects(scanArchive(newer), /has format 2, newer than this upkeep reads \(1\)/);
  });

  const damaged: Array<{ name: string; make: (data: Buffer) => Buffer; message: RegExp }> = [
    { name: 'truncated', make: (d) => d.subarray(0, Math.floor(d.length / 2)), message: /is truncated (after entry .+|at its start): the archive is incomplete/ },
    { name: 'a flipped byte in the compressed stream', make: (d) => Buffer.from(d.map((b, i) => (i === Math.floor(d.length / 2) ? b ^ 0xff : b))), message: /is (corrupt|truncated|not a backup archive)/ },
    { name: 'not gzip', make: () => Buffer.from('apiVersion: v1\nkind: List\n'), message: /is not a backup archive: not gzip-compressed/ },
    { name: 'empty', make: () => Buffer.alloc(0), message: /is empty: not a backup archive/ },
  ];
  for (const c of damaged) {
    it(`refuses an archive that is ${c.name}, in one line (exit 2)`, async () => {
      const file = path.join(dir, `${c.name.replace(/\W+/g, '-')}.tar.gz`);
      await fs.writeFile(file, c.make(await fs.readFile(good)));
      await assert.rejects(scanArchive(file), (e: unknown) => e instanceof BadArchiveError && e.exitCode === 2 && c.message.test(e.message) && !e.message.includes('\n'));
    });
  }

  it('refuses a foreign tarball', async () => {
    const file = path.join(dir, 'foreign.tar.gz');
    const pack = tar.pack();
    const bytes = collect(pack);
    pack.entry({ name: 'src/main.c' }, 'int main() {}');
    pack.finalize();
    await fs.writeFile(file, zlib.gzipSync(await bytes));
    await assert.rejects(scanArchive(file), /is not a Velero or upkeep backup: its first entry is src\/main.c, not metadata\/version/);
  });

  it('refuses entries that would escape the extraction directory', async () => {
    const file = path.join(dir, 'escape.tar.gz');
    const pack = tar.pack();
    const bytes = collect(pack);
    pack.entry({ name: 'metadata/version' }, '1.1.0\n');
    pack.entry({ name: 'resources/../../evil.json' }, '{}');
    pack.finalize();
    await fs.writeFile(file, zlib.gzipSync(await bytes));
    await assert.rejects(scanArchive(file, { extractTo: path.join(dir, 'x') }), /unsafe path/);
  });

  it('a missing file is bad input', async () => {
    await assert.rejects(scanArchive(path.join(dir, 'nope.tar.gz')), (e: unknown) => e instanceof BadArchiveError && /no such file/.test(e.message));
  });
});
