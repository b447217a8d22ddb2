// Hand-laid bbolt files for tests: every page placed by id, so a test can build exactly the
// layout (and exactly the damage) it is about. Not a general writer: see bolt/writer.ts for that.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { fnv1a64, BOLT_MAGIC, BOLT_VERSION, BUCKET_LEAF_FLAG, PAGE_BRANCH, PAGE_FREELIST, PAGE_LEAF, PAGE_META } from '../bolt/page.js';

export const TEST_PAGE_SIZE = 4096;

export interface LeafEntry {
  key: Buffer | string;
  value: Buffer | string;
  /** A nested bucket: value is its 16-byte header (+ inline page). */
  bucket?: boolean;
}

const b = (v: Buffer | string) => (typeof v === 'string' ? Buffer.from(v) : v);

function header(id: number, flags: number, count: number, overflow: number, size: number): Buffer {
  const p = Buffer.alloc(size);
  p.writeBigUInt64LE(BigInt(id), 0);
  p.writeUInt16LE(flags, 8);
  p.writeUInt16LE(count, 10);
  p.writeUInt32LE(overflow, 12);
  return p;
}

/** A leaf page (or, with id 0 and pageSize 0, the bytes of an inline page sized to fit). */
export function leafPage(id: number, entries: LeafEntry[], pageSize = TEST_PAGE_SIZE): Buffer {
  const data = entries.reduce((n, e) => n + b(e.key).length + b(e.value).length, 0);
  const needed = 16 + entries.length * 16 + data;
  const size = pageSize ? Math.ceil(needed / pageSize) * pageSize : needed;
  const p = header(id, PAGE_LEAF, entries.length, pageSize ? size / pageSize - 1 : 0, size);
  let at = 16 + entries.length * 16;
  entries.forEach((e, i) => {
    const el = 16 + i * 16;
    const k = b(e.key);
    const v = b(e.value);
    p.writeUInt32LE(e.bucket ? BUCKET_LEAF_FLAG : 0, el);
    p.writeUInt32LE(at - el, el + 4);
    p.writeUInt32LE(k.length, el + 8);
    p.writeUInt32LE(v.length, el + 12);
    k.copy(p, at);
    v.copy(p, at + k.length);
    at += k.length + v.length;
  });
  return p;
}

export function branchPage(id: number, children: Array<{ key: Buffer | string; pgid: number }>, pageSize = TEST_PAGE_SIZE): Buffer {
  const p = header(id, PAGE_BRANCH, children.length, 0, pageSize);
  let at = 16 + children.length * 16;
  children.forEach((c, i) => {
    const el = 16 + i * 16;
    const k = b(c.key);
    p.writeUInt32LE(at - el, el);
    p.writeUInt32LE(k.length, el + 4);
    p.writeBigUInt64LE(BigInt(c.pgid), el + 8);
    k.copy(p, at);
    at += k.length;
  });
  return p;
}

export function freelistPage(id: number, ids: number[], pageSize = TEST_PAGE_SIZE): Buffer {
  const p = header(id, PAGE_FREELIST, ids.length, 0, pageSize);
  ids.forEach((x, i) => p.writeBigUInt64LE(BigInt(x), 16 + i * 8));
  return p;
}

export interface MetaFields {
  root: number;
  /** null: no freelist stored (0xFFFFFFFFFFFFFFFF). */
  freelist: number | null;
  pgid: number;
  txid: number;
}

export function metaPage(id: 0 | 1, m: MetaFields, pageSize = TEST_PAGE_SIZE): Buffer {
  const p = header(id, PAGE_META, 0, 0, pageSize);
  const o = 16;
  p.writeUInt32LE(BOLT_MAGIC, o);
  p.writeUInt32LE(BOLT_VERSION, o + 4);
  p.writeUInt32LE(pageSize, o + 8);
  p.writeUInt32LE(0, o + 12);
  p.writeBigUInt64LE(BigInt(m.root), o + 16);
  p.writeBigUInt64LE(0n, o + 24);
  p.writeBigUInt64LE(m.freelist === null ? 0xffffffffffffffffn : BigInt(m.freelist), o + 32);
  p.writeBigUInt64LE(BigInt(m.pgid), o + 40);
  p.writeBigUInt64LE(BigInt(m.txid), o + 48);
  p.writeBigUInt64LE(fnv1a64(p.subarray(o, o + 56)), o + 56);
  return p;
}

/** A bucket's value in its parent: root page id and sequence, then the inline page when root is 0. */
export function bucketValue(root: number, inlineEntries?: LeafEntry[]): Buffer {
  const h = Buffer.alloc(16);
  h.writeBigUInt64LE(BigInt(root), 0);
  return inlineEntries ? Buffer.concat([h, leafPage(0, inlineEntries, 0)]) : h;
}

/** Pages by id into one file image (gaps are zero pages). */
export function assemble(pages: Buffer[], pageSize = TEST_PAGE_SIZE): Buffer {
  let end = 0;
  for (const p of pages) end = Math.max(end, Number(p.readBigUInt64LE(0)) * pageSize + p.length);
  const file = Buffer.alloc(end);
  for (const p of pages) p.copy(file, Number(p.readBigUInt64LE(0)) * pageSize);
  return file;
}

/** Protobuf of an mvccpb.KeyValue, as etcd stores it in the `key` bucket. */
export function encodeKeyValue(kv: { key: string; value?: string; createRevision?: number; modRevision?: number; version?: number; lease?: number }): Buffer {
  const parts: Buffer[] = [];
  const varint = (n: number) => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    out.push(n);
    return Buffer.from(out);
  };
  const bytes = (field: number, v: string) => {
    if (!v) return;
    const d = Buffer.from(v);
    parts.push(varint(field * 8 + 2), varint(d.length), d);
  };
  const num = (field: number, v: number | undefined) => {
    if (v) parts.push(varint(field * 8), varint(v));
  };
  bytes(1, kv.key);
  num(2, kv.createRevision);
  num(3, kv.modRevision);
  num(4, kv.version);
  bytes(5, kv.value ?? '');
  num(6, kv.lease);
  return Buffer.concat(parts);
}

// A small database laid out by hand:
//   0, 1  meta (txid 4 and 5: page 1 is in force)
//   2     freelist: [8]
//   3     root leaf: buckets "alpha" (inline: x=1, y=2) and "key" (root page 4)
//   4     branch: "a" -> 5, "c" -> 6
//   5     leaf: a=A, b=B
//   6-7   leaf with one overflow page: c = 5000 bytes
//   8     free
const BIG = Buffer.alloc(5000, 0x61);

export interface SampleLayout {
  meta?: Partial<MetaFields>;
  freelist?: number[];
  branch?: Array<{ key: string; pgid: number }>;
  leaf5?: Array<{ key: string; value: string }>;
  leaf5Flags?: number;
  truncateTo?: number;
  damageMeta?: Array<0 | 1>;
  trailer?: Buffer;
}

export function sampleDb(l: SampleLayout = {}): Buffer {
  const meta: MetaFields = { root: 3, freelist: 2, pgid: 9, txid: 5, ...l.meta };
  const leaf5 = leafPage(
    5,
    l.leaf5 ?? [
      { key: 'a', value: 'A' },
      { key: 'b', value: 'B' },
    ],
  );
  if (l.leaf5Flags !== undefined) leaf5.writeUInt16LE(l.leaf5Flags, 8);
  const pages = [
    metaPage(0, { ...meta, txid: meta.txid - 1 }),
    metaPage(1, meta),
    freelistPage(2, l.freelist ?? [8]),
    leafPage(3, [
      {
        key: 'alpha',
        value: bucketValue(0, [
          { key: 'x', value: '1' },
          { key: 'y', value: '2' },
        ]),
        bucket: true,
      },
      { key: 'key', value: bucketValue(4), bucket: true },
    ]),
    branchPage(
      4,
      l.branch ?? [
        { key: 'a', pgid: 5 },
        { key: 'c', pgid: 6 },
      ],
    ),
    leaf5,
    leafPage(6, [{ key: 'c', value: BIG }]),
    leafPage(8, []),
  ];
  let file = assemble(pages);
  for (const m of l.damageMeta ?? []) file[m * 4096 + 16 + 20] ^= 0xff; // inside the meta: checksum no longer matches
  if (l.truncateTo !== undefined) file = file.subarray(0, l.truncateTo);
  if (l.trailer) file = Buffer.concat([file, l.trailer]);
  return file;
}

/**
 * Files for one suite, in a directory made before it and removed after it: call inside
 * `describe`; the function returned writes a file image and gives its path.
 */
export function scratchFiles(prefix: string, name = 'db'): (file: Buffer) => string {
  let dir = '';
  let n = 0;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return (file) => {
    const p = path.join(dir, `${name}-${n++}`);
    writeFileSync(p, file);
    return p;
  };
}
