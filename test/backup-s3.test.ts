// Backups to and from S3-compatible object storage: a local S3 server (s3rver) on a loopback
// port, a multipart upload, and the all-or-nothing rule when the bucket cannot be used.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KubeClient } from '../src/kube/index.js';
import { createBackup } from '../src/backup/create.js';
import { type TestSandbox, testSandbox } from './helpers/sandbox.js';
import { upkeep } from './helpers/cli.js';

interface S3Server {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3Server;

describe('backup to S3-compatible storage', () => {
  let sb: TestSandbox;
  let s3: S3Server;
  let dir: string;
  let endpoint: string;
  const saved = { ...process.env };

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-s3-'));
    s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: 'backups', configs: [] }] });
    const address = await s3.run();
    endpoint = `http://127.0.0.1:${address.port}`;
    // s3rver's fixed credentials, through AWS's standard chain (environment variables).
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' });
    delete process.env.AWS_PROFILE;
    sb = await testSandbox();
    // Six ConfigMaps of 900 kB of random text: an archive of about 7 MB, two parts of 5 MiB.
    for (let i = 0; i < 6; i++) {
      const file = path.join(dir, `blob-${i}`);
      await fs.writeFile(file, randomBytes(675_000).toString('base64'));
      const r = await sb.kubectl(['create', 'configmap', `blob-${i}`, '-n', 'default', `--from-file=data=${file}`]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await sb?.stop();
    await s3?.close();
    process.env = saved;
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('uploads in parts, then describe, verify and restore read it back from the bucket', async () => {
    const client = await KubeClient.create({ kubeconfig: sb.kubeconfig });
    try {
      const r = await createBackup(client, 's3://backups/nightly/cluster.tar.gz', { s3: { endpoint, partSizeBytes: 5 * 1024 * 1024 } });
      assert.ok(r.compressedBytes > 5 * 1024 * 1024, `archive of ${r.compressedBytes} bytes spans two parts`);
      assert.equal(r.manifest.resources.find((x) => x.groupResource === 'configmaps')?.namespaces?.default, 7);
    } finally {
      client.close();
    }
    const described = await upkeep(['backup', 'describe', 's3://backups/nightly/cluster.tar.gz', '--s3-endpoint', endpoint, '-o', 'json']);
    assert.equal(described.code, 0, described.err);
    assert.equal(JSON.parse(described.out).writer, 'upkeep');
    const verified = await upkeep(['backup', 'verify', '--checksums-only', 's3://backups/nightly/cluster.tar.gz', '--s3-endpoint', endpoint]);
    assert.equal(verified.code, 0, verified.err);
    assert.match(verified.out, /every checksum matches/);

    const target = await testSandbox();
    try {
      const restored = await upkeep(['--kubeconfig', target.kubeconfig, 'backup', 'restore', 's3://backups/nightly/cluster.tar.gz', '--s3-endpoint', endpoint, '--include-resources', 'cm']);
      assert.equal(restored.code, 0, restored.err);
      const [a, b] = await Promise.all([sb.get('configmaps', 'default', 'blob-3'), target.get('configmaps', 'default', 'blob-3')]);
      assert.deepEqual(b?.data, a?.data);
    } finally {
      await target.stop();
    }
  });

  it('CLI create to S3; a missing bucket fails before any work, leaving nothing (exit 1)', async () => {
    const ok = await upkeep(['--kubeconfig', sb.kubeconfig, 'backup', 'create', 's3://backups/cli/one.tar.gz', '--s3-endpoint', endpoint, '--include-namespaces', 'kube-system']);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /Backup written to s3:\/\/backups\/cli\/one.tar.gz/);
    const missing = await upkeep(['--kubeconfig', sb.kubeconfig, 'backup', 'create', 's3://no-such-bucket/x.tar.gz', '--s3-endpoint', endpoint]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^error: cannot use bucket no-such-bucket: /);
    assert.equal(missing.err.trim().split('\n').length, 1);
    const absent = await upkeep(['backup', 'describe', 's3://backups/cli/absent.tar.gz', '--s3-endpoint', endpoint]);
    assert.equal(absent.code, 2);
    assert.match(absent.err, /s3:\/\/backups\/cli\/absent.tar.gz: no such object/);
  });
});
