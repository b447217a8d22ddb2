// Backup archives that are not archives, and data directories and output paths that cannot be
// used: one line naming the path and what is wrong with it, exit 2, nothing left behind.
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { describe } from 'node:test';
import { type BadInput, badInputs } from '../helpers/bad-input.js';
import { sampleDb } from '../../src/etcd/testing/boltfile.js';

const db = sampleDb();
const snapshot = Buffer.concat([db, createHash('sha256').update(db).digest()]);
const gz = gzipSync(Buffer.from('just some text, not a tar stream\n'.repeat(50)));

const archive = (verb: string, story: string, file: Buffer | string, err: RegExp, extra: string[] = []): BadInput => ({
  story: `backup ${verb}: ${story}`,
  files: { 'b.tar.gz': file },
  args: ['backup', verb, 'b.tar.gz', ...extra],
  code: 2,
  err,
  names: 'b.tar.gz',
});

const cases: BadInput[] = [];
for (const verb of ['describe', 'verify']) {
  const extra = verb === 'verify' ? ['--checksums-only'] : [];
  cases.push(
    archive(verb, 'an empty file', '', /^error: b\.tar\.gz is empty: not a backup archive$/, extra),
    archive(verb, 'a text file', 'hello\n', /^error: b\.tar\.gz is not a backup archive: not gzip-compressed/, extra),
    archive(verb, 'an etcd snapshot', snapshot, /^error: b\.tar\.gz is not a backup archive: not gzip-compressed/, extra),
    archive(verb, 'gzip of something that is not tar', gz, /b\.tar\.gz/, extra),
    archive(verb, 'a gzip stream cut in half', gz.subarray(0, Math.floor(gz.length / 2)), /b\.tar\.gz/, extra),
    { story: `backup ${verb}: a file that does not exist`, args: ['backup', verb, 'gone.tar.gz', ...extra], code: 2, err: /^error: gone\.tar\.gz: no such file$/, names: 'gone.tar.gz' },
    { story: `backup ${verb}: a directory`, args: ['backup', verb, '.', ...extra], code: 2, err: /^error: \. is a directory, not a backup archive$/, names: '.' },
  );
}

const restore = (story: string, args: string[], err: RegExp, names: string, setup?: (dir: string) => Promise<void>): BadInput => ({
  story: `etcd snapshot restore: ${story}`,
  files: { 'snap.db': snapshot },
  setup,
  args: ['etcd', 'snapshot', 'restore', 'snap.db', ...args],
  code: 2,
  err,
  names,
});

cases.push(
  restore('--data-dir under /proc', ['--data-dir', '/proc/upkeep-bad-input'], /^error: invalid --data-dir: cannot create directory \/proc\/upkeep-bad-input\/member\/snap: \/proc\/upkeep-bad-input: the file system does not allow creating it \(ENOENT\)$/, '/proc/upkeep-bad-input'),
  restore('--data-dir below a file', ['--data-dir', 'snap.db/sub'], /^error: data-dir "snap\.db\/sub" not empty or could not be read$/, 'snap.db/sub'),
  restore('--data-dir that is not empty', ['--data-dir', 'full'], /^error: data-dir "full" not empty or could not be read$/, 'full', async (dir) => {
    await fs.mkdir(path.join(dir, 'full'));
    await fs.writeFile(path.join(dir, 'full', 'keep-me'), 'x');
  }),
  restore('--wal-dir that exists', ['--data-dir', 'restored', '--wal-dir', 'wal'], /^error: wal-dir "wal" exists$/, 'wal', async (dir) => fs.mkdir(path.join(dir, 'wal'))),
  restore('--name not in --initial-cluster', ['--data-dir', 'restored', '--name', 'other'], /^error: couldn't find local name "other" in the initial cluster configuration$/, 'other'),
  restore('--initial-cluster without a URL', ['--data-dir', 'restored', '--initial-cluster', 'default'], /initial-cluster|default/, 'default'),
  restore('--initial-cluster with a bad URL', ['--data-dir', 'restored', '--initial-cluster', 'default=not a url'], /not a url/, 'not a url'),
  restore('--initial-advertise-peer-urls not in the member entry', ['--data-dir', 'restored', '--initial-advertise-peer-urls', 'http://127.0.0.1:9'], /missing from --initial-advertise-peer-urls=http:\/\/127\.0\.0\.1:9/, 'http://127.0.0.1:9'),
  restore('--bump-revision without --mark-compacted', ['--data-dir', 'restored', '--bump-revision', '10'], /^error: --mark-compacted required if --bump-revision > 0$/, '--bump-revision'),
  restore('--mark-compacted without --bump-revision', ['--data-dir', 'restored', '--mark-compacted'], /^error: --bump-revision required to be > 0 if --mark-compacted$/, '--mark-compacted'),
);

const serve = (story: string, out: string, err: RegExp, names: string, setup?: (dir: string) => Promise<void>): BadInput => ({
  story: `sandbox serve --kubeconfig-out ${story}`,
  setup,
  args: ['sandbox', 'serve', '--kubeconfig-out', out],
  code: 2,
  err,
  names,
});

cases.push(
  serve('in a missing directory', 'missing/kc.yaml', /^error: --kubeconfig-out: cannot write \/.*\/missing\/kc\.yaml: directory \/.*\/missing does not exist$/, 'missing/kc.yaml'),
  serve('that is a directory', '.', /^error: --kubeconfig-out: refusing to write \/tmp\/upkeep-bad-input-\w+: it is a directory, not a regular file$/, '{dir}'),
  serve('under /proc', '/proc/upkeep-kc', /^error: --kubeconfig-out: cannot write \/proc\/upkeep-kc: cannot create a file in \/proc \(/, '/proc/upkeep-kc'),
  serve('that is a FIFO', 'pipe', /^error: --kubeconfig-out: refusing to write \/.*\/pipe: it is a named pipe \(FIFO\), not a regular file$/, 'pipe', async (dir) => {
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
  }),
  serve('that is /dev/null', '/dev/null', /^error: --kubeconfig-out: refusing to write \/dev\/null: it is a character device, not a regular file$/, '/dev/null'),
  serve('below a file', 'file/kc.yaml', /^error: --kubeconfig-out: cannot write \/.*\/file\/kc\.yaml: \/.*\/file is not a directory$/, 'file/kc.yaml', async (dir) => fs.writeFile(path.join(dir, 'file'), 'x')),
  { story: 'etcd snapshot save into a missing directory', args: ['etcd', 'snapshot', 'save', 'missing/snap.db', '--endpoints', '127.0.0.1:1'], code: 2, err: /^error: cannot write missing\/snap\.db: directory missing does not exist$/, names: 'missing/snap.db' },
  { story: 'etcd snapshot save onto a directory', args: ['etcd', 'snapshot', 'save', '.', '--endpoints', '127.0.0.1:1'], code: 2, err: /^error: refusing to write \.: it is a directory, not a regular file$/, names: '.' },
  { story: 'backup create into a missing directory', args: ['backup', 'create', 'missing/b.tar.gz'], code: 2, err: /^error: cannot write missing\/b\.tar\.gz: directory missing does not exist$/, names: 'missing/b.tar.gz' },
);

describe('bad archives, data directories and output paths', { concurrency: 6, timeout: 300_000 }, () => badInputs(cases));
