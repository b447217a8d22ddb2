// Defective etcd snapshots: status and restore name the file and the defect ("truncated" only
// when bytes are missing, "trailing data" when bytes were appended), exit 2, and a refused
// restore leaves no data directory behind.
import { createHash } from 'node:crypto';
import { describe } from 'node:test';
import { type BadInput, badInputs } from '../helpers/bad-input.js';
import { sampleDb } from '../../src/etcd/testing/boltfile.js';

const db = sampleDb();
const snapshot = Buffer.concat([db, createHash('sha256').update(db).digest()]);
const flipped = Buffer.from(snapshot);
flipped[db.length - 100] ^= 0xff;

const defects: Array<{ story: string; file: Buffer | undefined; err: RegExp }> = [
  { story: 'truncated by 100 bytes', file: snapshot.subarray(0, snapshot.length - 132), err: /(truncated|is not an etcd snapshot)/ },
  { story: 'cut to its first page', file: snapshot.subarray(0, 4096), err: /(truncated|is not an etcd snapshot)/ },
  { story: 'with 7 bytes appended', file: Buffer.concat([snapshot, Buffer.from('1234567')]), err: /trailing data: 7 bytes after the pages and their 32-byte sha256/ },
  { story: 'with 3 bytes appended to a db without digest', file: Buffer.concat([db, Buffer.from('abc')]), err: /trailing data: 3 bytes after the pages, not a 32-byte sha256/ },
  { story: 'with one byte flipped', file: flipped, err: /sha256 mismatch/ },
  { story: 'without its sha256 (a copied db)', file: db, err: /snapshot missing hash/ },
  { story: 'empty', file: Buffer.alloc(0), err: /the file is empty/ },
  { story: 'random bytes', file: Buffer.from('not a bbolt database at all, just text\n'.repeat(200)), err: /is not an etcd snapshot: not a bbolt database/ },
];

const cases: BadInput[] = [];
for (const d of defects) {
  cases.push({ story: `status of a snapshot ${d.story}`, files: { 'snap.db': d.file ?? Buffer.alloc(0) }, args: ['etcd', 'snapshot', 'status', 'snap.db'], code: 2, err: d.err, names: 'snap.db' });
  cases.push({
    story: `restore of a snapshot ${d.story}`,
    files: { 'snap.db': d.file ?? Buffer.alloc(0) },
    args: ['etcd', 'snapshot', 'restore', 'snap.db', '--data-dir', 'restored'],
    code: 2,
    err: /snap\.db|snapshot/,
    names: 'snap',
  });
}
cases.push(
  { story: 'status of a snapshot that does not exist', args: ['etcd', 'snapshot', 'status', 'gone.db'], code: 2, err: /^error: snapshot file gone\.db not found$/, names: 'gone.db' },
  { story: 'status of a directory', args: ['etcd', 'snapshot', 'status', '.'], code: 2, err: /^error: snapshot \. is a directory, not a snapshot file$/, names: '.' },
  { story: 'restore of a snapshot that does not exist', args: ['etcd', 'snapshot', 'restore', 'gone.db', '--data-dir', 'restored'], code: 2, err: /^error: cannot read snapshot gone\.db: no such file$/, names: 'gone.db' },
  { story: 'restore of a directory', args: ['etcd', 'snapshot', 'restore', '.', '--data-dir', 'restored'], code: 2, err: /^error: snapshot \. is not a file$/, names: '.' },
);

describe('defective snapshots', { concurrency: 6, timeout: 300_000 }, () => badInputs(cases));
