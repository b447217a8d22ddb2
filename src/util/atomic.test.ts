import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AtomicWriteError, writeFileAtomic } from './atomic.js';

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-atomic-'));
}

describe('writeFileAtomic', () => {
  it('replaces a regular file and leaves no temp file', async () => {
    const dir = await tempDir();
    try {
      const file = path.join(dir, 'kubeconfig');
      await fs.writeFile(file, 'old');
      await writeFileAtomic(file, 'new');
      assert.equal(await fs.readFile(file, 'utf8'), 'new');
      assert.deepEqual(await fs.readdir(dir), ['kubeconfig']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to replace a FIFO, a directory or a device, naming the path and what it is', async () => {
    const dir = await tempDir();
    try {
      const fifo = path.join(dir, 'pipe');
      execFileSync('mkfifo', [fifo]);
      const sub = path.join(dir, 'sub');
      await fs.mkdir(sub);
      const table: Array<[string, string]> = [
        [fifo, `refusing to write ${fifo}: it is a named pipe (FIFO), not a regular file`],
        [sub, `refusing to write ${sub}: it is a directory, not a regular file`],
        ['/dev/null', 'refusing to write /dev/null: it is a character device, not a regular file'],
      ];
      for (const [file, message] of table) {
        await assert.rejects(writeFileAtomic(file, 'x'), (e: unknown) => e instanceof AtomicWriteError && e.message === message && e.exitCode === 2, file);
      }
      assert.ok((await fs.stat(fifo)).isFIFO(), 'the FIFO is still a FIFO');
      assert.deepEqual((await fs.readdir(dir)).sort(), ['pipe', 'sub'], 'no temp file left');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('names a missing directory', async () => {
    const dir = await tempDir();
    try {
      const file = path.join(dir, 'missing', 'kubeconfig');
      await assert.rejects(writeFileAtomic(file, 'x'), { message: `cannot write ${file}: directory ${path.join(dir, 'missing')} does not exist` });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
