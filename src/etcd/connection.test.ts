import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectionFromFlags, parseEndpoint, durationFlag, EtcdConfigError, createEtcdClient } from './connection.js';

describe('etcd connection flags (etcdctl compatible)', () => {
  const cases: Array<{ story: string; flags: Parameters<typeof connectionFromFlags>[0]; env: Record<string, string>; expect: Partial<ReturnType<typeof connectionFromFlags>> }> = [
    { story: 'nothing given: etcdctl defaults', flags: {}, env: {}, expect: { endpoints: ['127.0.0.1:2379'], dialTimeoutMs: 2000, commandTimeoutMs: 5000, user: undefined } },
    {
      story: 'the ETCDCTL_* variables of a kubeadm runbook',
      flags: {},
      env: { ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: 'https://127.0.0.1:2379', ETCDCTL_CACERT: '/etc/kubernetes/pki/etcd/ca.crt', ETCDCTL_CERT: '/etc/kubernetes/pki/etcd/server.crt', ETCDCTL_KEY: '/etc/kubernetes/pki/etcd/server.key', ETCDCTL_DIAL_TIMEOUT: '3s', ETCDCTL_COMMAND_TIMEOUT: '1m30s' },
      expect: { endpoints: ['https://127.0.0.1:2379'], cacert: '/etc/kubernetes/pki/etcd/ca.crt', cert: '/etc/kubernetes/pki/etcd/server.crt', key: '/etc/kubernetes/pki/etcd/server.key', dialTimeoutMs: 3000, commandTimeoutMs: 90_000 },
    },
    { story: 'a flag wins over its variable', flags: { endpoints: 'a:1,b:2', dialTimeout: '500ms' }, env: { ETCDCTL_ENDPOINTS: 'c:3', ETCDCTL_DIAL_TIMEOUT: '9s' }, expect: { endpoints: ['a:1', 'b:2'], dialTimeoutMs: 500 } },
    { story: '--user name:password', flags: { user: 'root:s3cr:et' }, env: {}, expect: { user: 'root', password: 's3cr:et' } },
    { story: 'ETCDCTL_USER with ETCDCTL_PASSWORD', flags: {}, env: { ETCDCTL_USER: 'root', ETCDCTL_PASSWORD: 'pw' }, expect: { user: 'root', password: 'pw' } },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const got = connectionFromFlags(c.flags, c.env);
      for (const [k, v] of Object.entries(c.expect)) assert.deepEqual(got[k as keyof typeof got], v, k);
    });
  }

  const bad: Array<{ story: string; run: () => unknown; expect: RegExp }> = [
    { story: 'a user without a password', run: () => connectionFromFlags({ user: 'root' }, {}), expect: /no password for etcd user "root"/ },
    { story: 'a timeout that is not a duration', run: () => connectionFromFlags({ commandTimeout: 'soon' }, {}), expect: /invalid value "soon" for --command-timeout/ },
    { story: 'an endpoint with a path', run: () => connectionFromFlags({ endpoints: 'http://x:2379/v3' }, {}), expect: /invalid endpoint/ },
    { story: 'an endpoint without a port', run: () => connectionFromFlags({ endpoints: 'etcd-0' }, {}), expect: /no port/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.story} as a usage error`, () => {
      assert.throws(c.run, (e: unknown) => e instanceof EtcdConfigError && e.exitCode === 2 && c.expect.test(e.message));
    });
  }

  it('reads Go durations', () => {
    assert.deepEqual(['2s', '500ms', '1m30s', '1h', '0', '1.5s'].map((d) => durationFlag(d, 'x')), [2000, 500, 90_000, 3_600_000, 0, 1500]);
  });

  const durations: Array<[string, number | 'refused']> = [
    ['1h2m3.5s', 3_723_500],
    ['90s', 90_000],
    ['250us', 0.25],
    ['+1s', 1000], // Go's time.ParseDuration takes a sign
    [' 3s ', 3000],
    ['-1s', 'refused'], // a negative timeout
    ['30', 'refused'], // etcdctl wants a unit
    ['1d', 'refused'],
    ['1.5 s', 'refused'],
    ['', 'refused'],
  ];
  for (const [text, want] of durations) {
    it(`reads the duration ${JSON.stringify(text)} as etcdctl does: ${want}`, () => {
      if (want === 'refused') assert.throws(() => durationFlag(text, '--dial-timeout'), (e: unknown) => e instanceof EtcdConfigError && e.message === `invalid value "${text}" for --dial-timeout: use a duration like 2s, 500ms or 1m30s`);
      else assert.equal(durationFlag(text, '--dial-timeout'), want);
    });
  }

  it('uses TLS for https:// and for bare host:port once certificates are given', () => {
    assert.deepEqual(parseEndpoint('https://10.0.0.5:2379', false), { address: '10.0.0.5:2379', host: '10.0.0.5', secure: true });
    assert.equal(parseEndpoint('127.0.0.1:2379', false).secure, false);
    assert.equal(parseEndpoint('127.0.0.1:2379', true).secure, true);
    assert.equal(parseEndpoint('http://127.0.0.1:2379', true).secure, false);
    assert.equal(parseEndpoint('[::1]:2379', false).address, '[::1]:2379');
  });

  it('names the endpoint, the flag and the cause when nothing answers', async () => {
    const t0 = Date.now();
    await assert.rejects(createEtcdClient({ endpoints: ['127.0.0.1:1'], dialTimeoutMs: 300 }), /cannot connect to etcd at 127\.0\.0\.1:1 within 300ms \(--dial-timeout\): connect ECONNREFUSED/);
    assert.ok(Date.now() - t0 < 5000);
  });
});
