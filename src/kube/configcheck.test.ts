import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterProblem, userProblem } from './configcheck.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe("kubectl's checks of the cluster a context uses", () => {
  const table: Array<[string, Record<string, unknown>, string | undefined]> = [
    ['a good https server with CA data', { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64(PEM) }, undefined],
    ['plain http (kubectl proxy)', { server: 'http://127.0.0.1:8001' }, undefined],
    ['no server', {}, 'no server found for cluster "c"'],
    ['a server that is not a URL', { server: 'not a url' }, 'host must be a URL or a host:port pair: "not a url" (server of cluster "c")'],
    ['an ftp server', { server: 'ftp://example.test' }, 'host must be a URL or a host:port pair: "ftp://example.test" (server of cluster "c")'],
    ['insecure-skip-tls-verify: maybe', { server: 'https://a.test', 'insecure-skip-tls-verify': 'maybe' }, 'cannot unmarshal "maybe" into insecure-skip-tls-verify of cluster "c": must be true or false'],
    ['CA data with insecure', { server: 'https://a.test', 'insecure-skip-tls-verify': true, 'certificate-authority-data': b64(PEM) }, 'specifying a root certificates file with the insecure flag is not allowed (cluster "c": remove certificate-authority or insecure-skip-tls-verify)'],
    ['CA data that is not base64', { server: 'https://a.test', 'certificate-authority-data': '!!!' }, 'certificate-authority-data of cluster "c": illegal base64 data'],
    ['CA data that is not PEM', { server: 'https://a.test', 'certificate-authority-data': b64('hello') }, 'unable to load root certificates of cluster "c": unable to parse bytes as PEM block (certificate-authority-data)'],
    ['a missing CA file', { server: 'https://a.test', 'certificate-authority': '/nonexistent/ca.crt' }, 'unable to read certificate-authority /nonexistent/ca.crt for cluster "c" due to open /nonexistent/ca.crt: no such file or directory'],
    ['a directory as CA file', { server: 'https://a.test', 'certificate-authority': '/' }, 'unable to read certificate-authority / for cluster "c" due to read /: is a directory'],
  ];
  for (const [story, cluster, want] of table) it(story, () => assert.equal(clusterProblem(cluster, 'c'), want));
});

describe("kubectl's checks of the user a context uses", () => {
  it("reads kubectl's tokenFile, and names one that is missing", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-configcheck-'));
    try {
      const file = path.join(dir, 'token');
      await fs.writeFile(file, 'abc123\n');
      assert.deepEqual(userProblem({ tokenFile: file }, 'u'), { token: 'abc123' });
      assert.deepEqual(userProblem({ tokenFile: path.join(dir, 'gone') }, 'u'), { problem: `unable to read tokenFile ${path.join(dir, 'gone')} for user "u" due to open ${path.join(dir, 'gone')}: no such file or directory` });
      assert.deepEqual(userProblem({ 'client-certificate': path.join(dir, 'crt') }, 'u'), { problem: `unable to read client-cert ${path.join(dir, 'crt')} for user "u" due to open ${path.join(dir, 'crt')}: no such file or directory` });
      assert.deepEqual(userProblem({ token: 'x' }, 'u'), {});
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
