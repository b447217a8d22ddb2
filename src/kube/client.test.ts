// KubeClient against a fault-injecting HTTPS server: real TLS, real sockets, scripted answers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { StatusError } from '../api/status.js';
import { KubeClient, type KubeClientOptions, type PatchType } from './client.js';
import { ConnectionError, REQUEST_TIMEOUT_CODE } from './errors.js';
import {
  FakeApiServer,
  resetConnection,
  sendJson,
  sendStatus,
  type Handler,
  type KubeconfigSpec,
} from './testing/fake-apiserver.js';

const fast = { baseDelayMs: 1, maxDelayMs: 4 };
const node = (name: string): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, resourceVersion: '7' } });
const isolated = { env: {}, homeDir: os.tmpdir() };

async function withServer(
  handler: Handler,
  run: (server: FakeApiServer, client: (spec?: KubeconfigSpec, options?: KubeClientOptions) => Promise<KubeClient>) => Promise<void>,
  serverOptions: { requestCert?: boolean } = {},
): Promise<void> {
  const server = await FakeApiServer.start(handler, serverOptions);
  const clients: KubeClient[] = [];
  try {
    await run(server, async (spec = { token: 't0ken' }, options = {}) => {
      const client = await KubeClient.create({
        kubeconfig: server.writeKubeconfig(spec),
        retry: fast,
        environment: isolated,
        ...options,
      });
      clients.push(client);
      return client;
    });
  } finally {
    for (const c of clients) c.close();
    await server.close();
  }
}

function okNode(_req: unknown, res: Parameters<Handler>[1]): void {
  sendJson(res, 200, node('n1'));
}

describe('credentials and TLS come from the kubeconfig', () => {
  it('sends the bearer token, a JSON Accept header and a user agent', async () => {
    await withServer(okNode, async (server, client) => {
      const kube = await client({ token: 'secret-token' });
      const got = await kube.get({ version: 'v1', resource: 'nodes', name: 'n1' });
      assert.equal(got.metadata.name, 'n1');
      const [req] = server.requests;
      assert.equal(req.path, '/api/v1/nodes/n1');
      assert.equal(req.headers.authorization, 'Bearer secret-token');
      assert.equal(req.headers.accept, 'application/json');
      assert.match(String(req.headers['user-agent']), /^upkeep\/\d+\.\d+\.\d+ \(linux\/\w+\)$/);
    });
  });

  it('presents the client certificate', async () => {
    await withServer(
      okNode,
      async (server, client) => {
        const kube = await client({ clientCert: true });
        await kube.get('/api/v1/nodes/n1');
        assert.equal(server.requests[0].clientCN, 'test-admin');
        assert.equal(server.requests[0].headers.authorization, undefined);
      },
      { requestCert: true },
    );
  });

  it('refuses a server whose certificate the kubeconfig CA did not sign, in one clear line', async () => {
    await withServer(okNode, async (server, client) => {
      const kube = await client({ token: 't', ca: 'wrong' });
      await assert.rejects(kube.get('/api/v1/nodes/n1'), (err: unknown) => {
        assert.ok(err instanceof ConnectionError);
        assert.equal(err.failure, 'tls');
        assert.ok(err.message.startsWith(`unable to connect to the server ${server.url}: `), err.message);
        assert.match(err.message, /TLS verification failed .*certificate-authority data may be wrong/);
        return true;
      });
      assert.equal(server.requests.length, 0, 'no request reached the handler');
    });
  });

  it('does not fall back to trusting the server when the kubeconfig has no CA', async () => {
    await withServer(okNode, async (_server, client) => {
      const kube = await client({ token: 't', ca: 'none' });
      await assert.rejects(kube.get('/api/v1/nodes/n1'), (err: unknown) => err instanceof ConnectionError && err.failure === 'tls');
    });
  });

  it('skips verification only when the kubeconfig says insecure-skip-tls-verify', async () => {
    await withServer(okNode, async (_server, client) => {
      const kube = await client({ token: 't', ca: 'none', skipTLSVerify: true });
      assert.equal((await kube.get('/api/v1/nodes/n1')).metadata.name, 'n1');
    });
  });

  it('runs an exec credential plugin once for concurrent requests, and again after a 401', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upkeep-exec-'));
    const counter = path.join(dir, 'runs');
    const plugin = path.join(dir, 'plugin.cjs');
    fs.writeFileSync(
      plugin,
      `const fs = require('fs');
       const file = process.argv[2];
       const n = fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) + 1 : 1;
       fs.writeFileSync(file, String(n));
       process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'exec-' + n } }));`,
    );
    const runs = (): number => Number(fs.readFileSync(counter, 'utf8'));
    let accepted = 'exec-1';
    try {
      await withServer(
        (req, res) => {
          if (req.headers.authorization !== `Bearer ${accepted}`) sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
          else okNode(req, res);
        },
        async (server, client) => {
          const kube = await client({ exec: { command: process.execPath, args: [plugin, counter] } });
          await Promise.all([kube.get('/api/v1/nodes/n1'), kube.get('/api/v1/nodes/n1'), kube.get('/api/v1/nodes/n1')]);
          assert.equal(runs(), 1, 'one plugin run shared by three requests');
          // The token is rotated on the server: the next request gets 401, asks the plugin again, succeeds.
          accepted = 'exec-2';
          await kube.get('/api/v1/nodes/n1');
          assert.equal(runs(), 2);
          assert.deepEqual(
            server.requests.slice(-2).map((r) => r.headers.authorization),
            ['Bearer exec-1', 'Bearer exec-2'],
          );
        },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the path prefix of the server URL', async () => {
    await withServer(okNode, async (server, client) => {
      const kube = await client({ token: 't', server: `${server.url}/k8s/clusters/c-1/` });
      await kube.get({ version: 'v1', resource: 'nodes', name: 'n1' });
      assert.equal(server.requests[0].path, '/k8s/clusters/c-1/api/v1/nodes/n1');
    });
  });
});

describe('verbs send what the API server expects', () => {
  const echo: Handler = (req, res) => {
    if (req.method === 'DELETE') {
      sendJson(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 });
      return;
    }
    sendJson(res, req.method === 'POST' ? 201 : 200, req.body ? JSON.parse(req.body) : { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '9' }, items: [{ metadata: { name: 'a' } }] });
  };

  const patchCases: { type: PatchType; body: unknown; contentType: string; fieldManager: string | null }[] = [
    { type: 'strategic', body: { spec: { unschedulable: true } }, contentType: 'application/strategic-merge-patch+json', fieldManager: null },
    { type: 'merge', body: { metadata: { labels: { a: 'b' } } }, contentType: 'application/merge-patch+json', fieldManager: null },
    { type: 'json', body: [{ op: 'replace', path: '/spec/unschedulable', value: true }], contentType: 'application/json-patch+json', fieldManager: null },
    { type: 'apply', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }, contentType: 'application/apply-patch+yaml', fieldManager: 'upkeep' },
  ];
  for (const c of patchCases) {
    it(`a ${c.type} patch is sent as ${c.contentType}`, async () => {
      await withServer(echo, async (server, client) => {
        const kube = await client();
        await kube.patch({ version: 'v1', resource: 'nodes', name: 'n1' }, c.body, c.type);
        const [req] = server.requests;
        assert.equal(req.method, 'PATCH');
        assert.equal(req.headers['content-type'], c.contentType);
        assert.deepEqual(JSON.parse(req.body), c.body);
        assert.equal(req.query.get('fieldManager'), c.fieldManager);
      });
    });
  }

  it('refuses a JSON patch that is not a list of operations, before sending', async () => {
    await withServer(echo, async (server, client) => {
      const kube = await client();
      await assert.rejects(kube.patch('/api/v1/nodes/n1', { spec: {} }, 'json'), /array of operations/);
      assert.equal(server.requests.length, 0);
    });
  });

  it('create POSTs JSON to the collection; replace PUTs to the object', async () => {
    await withServer(echo, async (server, client) => {
      const kube = await client();
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { k: 'v' } };
      const created = await kube.create({ version: 'v1', resource: 'configmaps', namespace: 'ns' }, cm, { dryRun: ['All'] });
      assert.deepEqual(created, cm);
      await kube.replace({ version: 'v1', resource: 'configmaps', namespace: 'ns', name: 'c' }, cm);
      assert.deepEqual(server.paths(), ['POST /api/v1/namespaces/ns/configmaps?dryRun=All', 'PUT /api/v1/namespaces/ns/configmaps/c']);
      assert.ok(server.requests.every((r) => r.headers['content-type'] === 'application/json'));
    });
  });

  it('delete sends DeleteOptions as the body, and nothing without options', async () => {
    await withServer(echo, async (server, client) => {
      const kube = await client();
      await kube.delete({ version: 'v1', resource: 'pods', namespace: 'ns', name: 'p' }, { gracePeriodSeconds: 0, propagationPolicy: 'Background' });
      await kube.delete({ version: 'v1', resource: 'pods', namespace: 'ns', name: 'q' });
      assert.deepEqual(JSON.parse(server.requests[0].body), { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, propagationPolicy: 'Background' });
      assert.equal(server.requests[1].body, '');
    });
  });

  it('list fills in each item\'s apiVersion and kind', async () => {
    await withServer(echo, async (_server, client) => {
      const kube = await client();
      const list = await kube.list({ version: 'v1', resource: 'nodes' });
      assert.deepEqual(list.items, [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'a' } }]);
    });
  });

  it('serverVersion reads /version', async () => {
    await withServer(
      (_req, res) => sendJson(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.4', platform: 'linux/amd64' }),
      async (server, client) => {
        const kube = await client();
        assert.equal((await kube.serverVersion()).gitVersion, 'v1.31.4');
        assert.equal(server.requests[0].path, '/version');
      },
    );
  });

  it('reports each server warning once', async () => {
    await withServer(
      (_req, res) => sendJson(res, 200, node('n1'), { Warning: '299 - "policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+, unavailable in v1.25+"' }),
      async (_server, client) => {
        const warnings: string[] = [];
        const kube = await client(undefined, { onWarning: (w) => warnings.push(w) });
        await kube.get('/api/v1/nodes/n1');
        await kube.get('/api/v1/nodes/n1');
        assert.deepEqual(warnings, ['policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+, unavailable in v1.25+']);
      },
    );
  });
});

describe('failures become typed errors', () => {
  it('a Status answer becomes a StatusError carrying it', async () => {
    await withServer(
      (_req, res) => sendStatus(res, 404, 'NotFound', 'nodes "n9" not found', { details: { name: 'n9', kind: 'nodes' } }),
      async (_server, client) => {
        const kube = await client();
        await assert.rejects(kube.get('/api/v1/nodes/n9'), (err: unknown) => {
          assert.ok(err instanceof StatusError);
          assert.equal(err.code, 404);
          assert.equal(err.reason, 'NotFound');
          assert.equal(err.message, 'nodes "n9" not found');
          assert.equal(err.status.details?.name, 'n9');
          return true;
        });
      },
    );
  });

  it('a bare 404 becomes NotFound "the server could not find the requested resource"', async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(404);
        res.end();
      },
      async (_server, client) => {
        const kube = await client();
        await assert.rejects(kube.get('/apis/example.com/v1/widgets'), (err: unknown) => {
          assert.ok(err instanceof StatusError);
          assert.equal(err.reason, 'NotFound');
          assert.equal(err.message, 'the server could not find the requested resource (get widgets.example.com)');
          return true;
        });
      },
    );
  });

  it('nothing listening: a ConnectionError naming the server', async () => {
    const server = await FakeApiServer.start(okNode);
    const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'upkeep-refused-')), 'config');
    fs.writeFileSync(kubeconfig, server.kubeconfig({ token: 't' }));
    const url = server.url;
    await server.close();
    const kube = await KubeClient.create({ kubeconfig, retry: { ...fast, maxAttempts: 2 }, environment: isolated });
    await assert.rejects(kube.get('/api/v1/nodes'), (err: unknown) => {
      assert.ok(err instanceof ConnectionError);
      assert.equal(err.failure, 'refused');
      assert.match(err.message, new RegExp(`^unable to connect to the server ${url}: connect ECONNREFUSED`));
      return true;
    });
    kube.close();
    fs.rmSync(path.dirname(kubeconfig), { recursive: true, force: true });
  });

  it('--request-timeout ends a request the server never answers, without retrying it', async () => {
    await withServer(
      () => {
        /* never answer */
      },
      async (server, client) => {
        const kube = await client(undefined, { requestTimeoutMs: 200 });
        await assert.rejects(kube.get('/api/v1/nodes'), (err: unknown) => {
          assert.ok(err instanceof ConnectionError);
          assert.equal(err.code, REQUEST_TIMEOUT_CODE);
          assert.match(err.message, /GET https:\/\/127\.0\.0\.1:\d+\/api\/v1\/nodes timed out after 200ms/);
          return true;
        });
        assert.equal(server.requests.length, 1);
      },
    );
  });

  it('an aborted request rejects with the abort reason and is not retried', async () => {
    const controller = new AbortController();
    await withServer(
      // The user presses ^C once the request has reached the server, which never answers.
      () => controller.abort(new Error('user pressed ^C')),
      async (server, client) => {
        const kube = await client();
        await assert.rejects(kube.get('/api/v1/nodes', undefined, { signal: controller.signal }), /user pressed \^C/);
        assert.equal(server.requests.length, 1);
      },
    );
  });
});

describe('retries', () => {
  /** A handler answering with the scripted faults in order, then 200. */
  function script(...faults: ((res: Parameters<Handler>[1]) => void)[]): Handler {
    let i = 0;
    return (req, res) => {
      const fault = faults[i++];
      if (fault) fault(res);
      else sendJson(res, req.method === 'POST' ? 201 : 200, node('n1'));
    };
  }
  const throttled = (retryAfter?: string) => (res: Parameters<Handler>[1]) =>
    sendStatus(res, 429, 'TooManyRequests', 'too many requests, please try again later', retryAfter ? { headers: { 'Retry-After': retryAfter } } : {});
  const internal = (res: Parameters<Handler>[1]) => sendStatus(res, 500, 'InternalError', 'etcdserver: request timed out');
  const unavailable = (res: Parameters<Handler>[1]) => sendStatus(res, 503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
  const pdb = (res: Parameters<Handler>[1]) =>
    sendStatus(res, 429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget db needs 2 healthy pods and has 2 currently' }] },
    });

  const eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p', namespace: 'ns' } };
  const cases: {
    story: string;
    faults: ((res: Parameters<Handler>[1]) => void)[];
    verb: 'GET' | 'POST';
    options?: KubeClientOptions;
    succeeds: boolean;
    requests: number;
    error?: RegExp;
  }[] = [
    { story: 'GET throttled twice (429) succeeds on the third attempt', faults: [throttled(), throttled()], verb: 'GET', succeeds: true, requests: 3 },
    { story: 'GET after a 500 is retried', faults: [internal], verb: 'GET', succeeds: true, requests: 2 },
    { story: 'GET after a connection reset is retried', faults: [resetConnection, resetConnection], verb: 'GET', succeeds: true, requests: 3 },
    { story: 'POST after a 500 is not retried', faults: [internal], verb: 'POST', succeeds: false, requests: 1, error: /etcdserver: request timed out/ },
    { story: 'POST after a 500 is retried when allowed', faults: [internal], verb: 'POST', options: { retry: { ...fast, retryNonIdempotentOn5xx: true } }, succeeds: true, requests: 2 },
    { story: 'POST after a reset is not retried', faults: [resetConnection], verb: 'POST', succeeds: false, requests: 1, error: /socket hang up|ECONNRESET/ },
    { story: 'POST throttled by the server is retried', faults: [throttled()], verb: 'POST', succeeds: true, requests: 2 },
    { story: 'an eviction refused by a PodDisruptionBudget is not retried', faults: [pdb], verb: 'POST', succeeds: false, requests: 1, error: /disruption budget/ },
    { story: 'attempts are bounded', faults: [unavailable, unavailable, unavailable, unavailable], verb: 'GET', options: { retry: { ...fast, maxAttempts: 3 } }, succeeds: false, requests: 3, error: /unable to handle the request/ },
    { story: 'retry: false sends once', faults: [unavailable], verb: 'GET', options: { retry: { maxAttempts: 1 } }, succeeds: false, requests: 1 },
  ];
  for (const c of cases) {
    it(c.story, async () => {
      await withServer(script(...c.faults), async (server, client) => {
        const kube = await client(undefined, c.options);
        const call =
          c.verb === 'GET'
            ? kube.get('/api/v1/nodes/n1')
            : kube.post({ version: 'v1', resource: 'pods', namespace: 'ns', name: 'p', subresource: 'eviction' }, eviction);
        if (c.succeeds) await call;
        else await assert.rejects(call, c.error ?? /./);
        assert.equal(server.requests.length, c.requests);
      });
    });
  }

  it('repeats a POST whose kept-alive connection broke before any answer', async () => {
    let n = 0;
    await withServer(
      (req, res) => {
        n++;
        if (n === 2) resetConnection(res);
        else sendJson(res, 201, JSON.parse(req.body));
      },
      async (server, client) => {
        const kube = await client();
        const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
        await kube.create('/api/v1/namespaces/ns/configmaps', cm('one'));
        // The second request reuses the first one's connection, which then breaks unanswered.
        await kube.create('/api/v1/namespaces/ns/configmaps', cm('two'));
        assert.deepEqual(
          server.requests.map((r) => (JSON.parse(r.body) as { metadata: { name: string } }).metadata.name),
          ['one', 'two', 'two'],
        );
      },
    );
  });

  it('honours Retry-After', async () => {
    await withServer(script(throttled('1')), async (server, client) => {
      const lines: string[] = [];
      const kube = await client(undefined, { log: (l) => lines.push(l) });
      await kube.get('/api/v1/nodes/n1');
      assert.equal(server.requests.length, 2);
      assert.ok(lines.some((l) => /retrying GET .* in 1000ms: .*the server asked to retry after 1s \(attempt 2 of 5\)/.test(l)), lines.join('\n'));
    });
  });
});
