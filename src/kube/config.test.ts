import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadKubeConfig, type ConfigEnvironment, type KubeConfigOptions } from './config.js';
import { KubeConfigError } from './errors.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'upkeep-config-test-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let n = 0;
function write(config: unknown, name = `config-${n++}`): string {
  const file = path.join(root, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
  return file;
}

function kubeconfig(spec: {
  clusters: Record<string, string>;
  contexts: Record<string, { cluster: string; user?: string; namespace?: string }>;
  users?: string[];
  current?: string;
}): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: Object.entries(spec.clusters).map(([name, server]) => ({ name, cluster: { server, 'insecure-skip-tls-verify': true } })),
    users: (spec.users ?? ['admin']).map((name) => ({ name, user: { token: `token-of-${name}` } })),
    contexts: Object.entries(spec.contexts).map(([name, context]) => ({ name, context: { user: 'admin', ...context } })),
    'current-context': spec.current,
  };
}

const twoContexts = write(
  kubeconfig({
    clusters: { prod: 'https://prod.example:6443', lab: 'https://lab.example:6443/' },
    contexts: { prod: { cluster: 'prod', namespace: 'payments' }, lab: { cluster: 'lab' } },
    current: 'prod',
  }),
);
const noHome = path.join(root, 'empty-home');
fs.mkdirSync(noHome, { recursive: true });
const isolated: ConfigEnvironment = { env: {}, homeDir: noHome, serviceAccountPrefix: path.join(root, 'no-sa') };

describe('loadKubeConfig picks the context and namespace', () => {
  const cases: {
    story: string;
    options: KubeConfigOptions;
    context: string;
    server: string;
    namespace: string;
    explicit: boolean;
  }[] = [
    { story: 'current context and its namespace', options: { kubeconfig: twoContexts }, context: 'prod', server: 'https://prod.example:6443', namespace: 'payments', explicit: false },
    { story: '-n overrides the context namespace', options: { kubeconfig: twoContexts, namespace: 'kube-system' }, context: 'prod', server: 'https://prod.example:6443', namespace: 'kube-system', explicit: true },
    { story: '--context switches cluster; no namespace means default', options: { kubeconfig: twoContexts, context: 'lab' }, context: 'lab', server: 'https://lab.example:6443', namespace: 'default', explicit: false },
  ];
  for (const c of cases) {
    it(c.story, async () => {
      const loaded = await loadKubeConfig(c.options, isolated);
      assert.equal(loaded.contextName, c.context);
      assert.equal(loaded.server, c.server);
      assert.equal(loaded.namespace, c.namespace);
      assert.equal(loaded.namespaceExplicit, c.explicit);
      assert.equal(loaded.kubeConfig.getCurrentContext(), c.context, 'client-node credentials follow the chosen context');
    });
  }
});

describe('loadKubeConfig reports unusable configuration clearly', () => {
  const noCurrent = write(kubeconfig({ clusters: { a: 'https://a:6443' }, contexts: { a: { cluster: 'a' } } }));
  const danglingCurrent = write(kubeconfig({ clusters: { a: 'https://a:6443' }, contexts: { a: { cluster: 'a' } }, current: 'gone' }));
  const missingCluster = write(kubeconfig({ clusters: { a: 'https://a:6443' }, contexts: { b: { cluster: 'nowhere' } }, current: 'b' }));
  const missingUser = write(kubeconfig({ clusters: { a: 'https://a:6443' }, contexts: { a: { cluster: 'a', user: 'ghost' } }, current: 'a' }));
  const notYaml = write('clusters: [unclosed');
  const empty = write('');
  const cases: { story: string; options: KubeConfigOptions; env?: ConfigEnvironment; error: RegExp }[] = [
    { story: 'an unknown --context names it and the contexts that exist', options: { kubeconfig: twoContexts, context: 'staging' }, error: /^context "staging" does not exist in .*config-0 \(contexts: prod, lab\)$/ },
    { story: 'no current context', options: { kubeconfig: noCurrent }, error: /no current context is set in .*; pass --context NAME \(contexts: a\)/ },
    { story: 'a current context that does not exist', options: { kubeconfig: danglingCurrent }, error: /current context "gone" does not exist .*\(contexts: a\)/ },
    { story: 'a context naming a missing cluster', options: { kubeconfig: missingCluster }, error: /context "b" refers to cluster "nowhere", which does not exist/ },
    { story: 'a context naming a missing user', options: { kubeconfig: missingUser }, error: /context "a" refers to user "ghost", which does not exist/ },
    { story: 'a --kubeconfig that does not exist', options: { kubeconfig: path.join(root, 'nope') }, error: /kubeconfig file .*nope \(from --kubeconfig\) does not exist/ },
    { story: 'a file that is not YAML', options: { kubeconfig: notYaml }, error: /^error loading kubeconfig .*config-\d+: / },
    { story: 'an empty file', options: { kubeconfig: empty }, error: /^error loading kubeconfig .*: the file is empty$/ },
    { story: 'no configuration anywhere', options: {}, error: /^no configuration has been provided: pass --kubeconfig, set KUBECONFIG, or create ~\/\.kube\/config/ },
    { story: 'KUBECONFIG naming only missing files', options: {}, env: { ...isolated, env: { KUBECONFIG: path.join(root, 'x') } }, error: /none of the files in KUBECONFIG exist/ },
  ];
  for (const c of cases) {
    it(c.story, async () => {
      await assert.rejects(loadKubeConfig(c.options, c.env ?? isolated), (err: unknown) => {
        assert.ok(err instanceof KubeConfigError, `expected KubeConfigError, got ${String(err)}`);
        assert.match(err.message, c.error);
        return true;
      });
    });
  }
});

describe('loadKubeConfig finds configuration the way kubectl does', () => {
  it('merges KUBECONFIG files, the first one winning, and skips missing entries', async () => {
    const first = write(kubeconfig({ clusters: { shared: 'https://first:6443' }, contexts: { one: { cluster: 'shared' } }, current: 'one' }));
    const second = write(
      kubeconfig({ clusters: { shared: 'https://second:6443', other: 'https://other:6443' }, contexts: { one: { cluster: 'other' }, two: { cluster: 'other' } }, current: 'two' }),
    );
    const env: ConfigEnvironment = { ...isolated, env: { KUBECONFIG: [first, path.join(root, 'missing'), second].join(path.delimiter) } };
    const loaded = await loadKubeConfig({}, env);
    assert.equal(loaded.contextName, 'one', 'current-context of the first file');
    assert.equal(loaded.server, 'https://first:6443', 'cluster "shared" from the first file');
    const viaTwo = await loadKubeConfig({ context: 'two' }, env);
    assert.equal(viaTwo.server, 'https://other:6443', 'contexts only in later files are usable');
  });

  it('--kubeconfig wins over KUBECONFIG', async () => {
    const other = write(kubeconfig({ clusters: { x: 'https://x:6443' }, contexts: { x: { cluster: 'x' } }, current: 'x' }));
    const loaded = await loadKubeConfig({ kubeconfig: twoContexts }, { ...isolated, env: { KUBECONFIG: other } });
    assert.equal(loaded.contextName, 'prod');
  });

  it('falls back to ~/.kube/config', async () => {
    const home = path.join(root, 'home');
    write(kubeconfig({ clusters: { h: 'https://home:6443' }, contexts: { h: { cluster: 'h' } }, current: 'h' }), 'home/.kube/config');
    const loaded = await loadKubeConfig({}, { ...isolated, homeDir: home });
    assert.equal(loaded.server, 'https://home:6443');
    assert.equal(loaded.source, path.join(home, '.kube', 'config'));
  });

  it('uses the in-cluster service account when there is no kubeconfig', async () => {
    const prefix = path.join(root, 'pod');
    const sa = path.join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    fs.mkdirSync(sa, { recursive: true });
    fs.writeFileSync(path.join(sa, 'token'), 'sa-token');
    fs.writeFileSync(path.join(sa, 'namespace'), 'upkeep-system\n');
    fs.writeFileSync(path.join(sa, 'ca.crt'), '');
    const loaded = await loadKubeConfig(
      {},
      { env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, homeDir: noHome, serviceAccountPrefix: prefix },
    );
    assert.equal(loaded.server, 'https://10.96.0.1:443');
    assert.equal(loaded.namespace, 'upkeep-system');
    assert.equal(loaded.source, 'in-cluster service account');
  });

  it('allows plain-HTTP servers as kubectl does, without claiming TLS is skipped', async () => {
    const file = write({
      apiVersion: 'v1',
      clusters: [{ name: 'proxy', cluster: { server: 'http://127.0.0.1:8001' } }],
      users: [{ name: 'u', user: {} }],
      contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'u' } }],
      'current-context': 'proxy',
    });
    const loaded = await loadKubeConfig({ kubeconfig: file }, isolated);
    assert.equal(loaded.skipTLSVerify, false);
    // client-node would throw "HTTP protocol is not allowed..." when building credentials.
    await loaded.kubeConfig.applyToHTTPSOptions({});
  });

  it('keeps TLS verification unless the kubeconfig skips it', async () => {
    const file = write({
      apiVersion: 'v1',
      clusters: [{ name: 'c', cluster: { server: 'https://c:6443' } }],
      users: [{ name: 'u', user: {} }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'c',
    });
    assert.equal((await loadKubeConfig({ kubeconfig: file }, isolated)).skipTLSVerify, false);
    assert.equal((await loadKubeConfig({ kubeconfig: twoContexts }, isolated)).skipTLSVerify, true);
  });
});
