// Response compression as kube-apiserver's: a large answer to a client that takes gzip comes
// gzipped (level 1, over 128 KiB), a small one or one to a client that does not comes plain;
// kubectl asks for it (and not with --disable-compression), upkeep's client too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import zlib from 'node:zlib';
import { testSandbox, type TestSandbox } from './helpers/sandbox.js';
import { pinnedKubectl } from './helpers/raw.js';
import { KubeClient } from '../src/kube/index.js';

interface Answer {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(t: TestSandbox, path: string, acceptEncoding?: string): Promise<Answer> {
  const sb = t.sandbox;
  const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${sb.token}` };
  if (acceptEncoding) headers['Accept-Encoding'] = acceptEncoding;
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, sb.url), { ca: sb.caCertPem, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const CONFIGMAPS = 200;

describe('response compression (APIResponseCompression)', () => {
  let t: TestSandbox;
  before(async () => {
    t = await testSandbox({ scenario: 'seed' });
    const type = t.sandbox.registry.type('', 'v1', 'configmaps')!;
    // 200 ConfigMaps of about 1 KiB each: a list of them is well over 128 KiB.
    for (let i = 0; i < CONFIGMAPS; i++) {
      await t.sandbox.registry.create(type, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { text: 'x'.repeat(1024) } });
    }
  });
  after(() => t.stop());

  it('gzips a large list for a client that takes gzip, and the body is the same list', async () => {
    const gz = await get(t, '/api/v1/namespaces/default/configmaps', 'gzip, deflate');
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers.vary, 'Accept-Encoding');
    const list = JSON.parse(zlib.gunzipSync(gz.body).toString('utf8'));
    assert.equal(list.kind, 'ConfigMapList');
    // The 200 and kube-root-ca.crt.
    assert.equal(list.items.length, CONFIGMAPS + 1);
    assert.ok(gz.body.length * 10 < zlib.gunzipSync(gz.body).length, 'about ten times smaller on the wire');
  });

  it('answers plain to a client that does not take gzip, and small answers always plain', async () => {
    const plain = await get(t, '/api/v1/namespaces/default/configmaps');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(JSON.parse(plain.body.toString('utf8')).items.length, CONFIGMAPS + 1);
    const small = await get(t, '/api/v1/namespaces/default/configmaps/cm-1', 'gzip');
    assert.equal(small.headers['content-encoding'], undefined);
    assert.equal(JSON.parse(small.body.toString('utf8')).metadata.name, 'cm-1');
  });

  it('kubectl gets the list gzipped, and plain with --disable-compression', async () => {
    const compressed = await pinnedKubectl('1.31', t.kubeconfig, t.dir, ['get', '--raw', '/api/v1/namespaces/default/configmaps', '-v=8']);
    assert.equal(compressed.code, 0, compressed.stderr);
    // Go's transport takes Content-Encoding away as it decompresses; the server's Vary stays.
    assert.match(compressed.stderr, /Vary: Accept-Encoding/);
    assert.equal(JSON.parse(compressed.stdout).items.length, CONFIGMAPS + 1);
    const plain = await pinnedKubectl('1.31', t.kubeconfig, t.dir, ['get', '--raw', '/api/v1/namespaces/default/configmaps', '-v=8', '--disable-compression']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stderr, /Vary: Accept-Encoding/);
    assert.equal(JSON.parse(plain.stdout).items.length, CONFIGMAPS + 1);
  });

  it("upkeep's client asks for gzip and reads the list", async () => {
    const client = await KubeClient.create({ kubeconfig: t.kubeconfig });
    const list = await client.list({ version: 'v1', resource: 'configmaps', namespace: 'default' });
    assert.equal(list.items.length, CONFIGMAPS + 1);
    assert.deepEqual(list.items.find((c) => c.metadata.name === 'cm-7')?.data, { text: 'x'.repeat(1024) });
  });
});
