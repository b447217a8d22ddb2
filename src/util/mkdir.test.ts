import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryError, makeDirectory } from './mkdir.js';

describe('makeDirectory', () => {
  it('creates missing parents once, and accepts an existing directory', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-mkdir-'));
    try {
      const deep = path.join(dir, 'a', 'b', 'c');
      await makeDirectory(deep);
      await makeDirectory(deep);
      assert.ok((await fs.stat(deep)).isDirectory());
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses what cannot be created, naming the path, without looping', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-mkdir-'));
    try {
      const file = path.join(dir, 'file');
      await fs.writeFile(file, 'x');
      const table: Array<[string, RegExp]> = [
        ['/proc/x', /^cannot create directory \/proc\/x: the file system does not allow creating it \(ENOENT\)$/],
        ['/proc/x/member/snap', /^cannot create directory \/proc\/x\/member\/snap: \/proc\/x: the file system does not allow creating it \(ENOENT\)$/],
        [path.join(file, 'sub'), new RegExp(`^cannot create directory ${file}/sub: ${file} exists and is not a directory$`)],
      ];
      for (const [target, message] of table) {
        await assert.rejects(makeDirectory(target), (e: unknown) => e instanceof DirectoryError && message.test(e.message) && e.exitCode === 2, target);
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
