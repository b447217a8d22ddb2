import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MembershipError, memberJson, newInitialCluster, parseInitialCluster, verifyLocalMember } from './membership.js';
import { idString, v2StoreJson } from './snap.js';

describe('initial cluster ids', () => {
  // Ids as etcd itself prints them for these flags (etcd's defaults give the well-known
  // 8e9e05c52164694d / cdf818194e3a8c32; the others are from etcdctl 3.4 restores).
  const cases = [
    {
      story: "etcd's defaults",
      initialCluster: 'default=http://localhost:2380',
      token: 'etcd-cluster',
      members: { default: '8e9e05c52164694d' },
      cluster: 'cdf818194e3a8c32',
    },
    {
      story: 'one member on loopback',
      initialCluster: 'm1=http://127.0.0.1:23801',
      token: 'etcd-cluster',
      members: { m1: 'bdae9bbc11dd390d' },
      cluster: 'd1cfaf999eb97a2a',
    },
    {
      story: 'three members with their own token',
      initialCluster: 'a=http://127.0.0.1:24001,b=http://127.0.0.1:24002,c=http://127.0.0.1:24003',
      token: 'tok',
      members: { a: '299871dd77aa1817', b: 'ee6aaa71eeb8edfa', c: '95f0b88805db323f' },
      cluster: 'f22dcb560fa773c3',
    },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const cl = newInitialCluster(c.initialCluster, c.token);
      assert.deepEqual(Object.fromEntries(cl.members.map((m) => [m.name, idString(m.id)])), c.members);
      assert.equal(idString(cl.clusterID), c.cluster);
      const ids = cl.members.map((m) => m.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => (a < b ? -1 : 1)), 'members come sorted by id');
    });
  }

  it('a different token gives different ids for the same URLs', () => {
    const a = newInitialCluster('m=http://10.0.0.1:2380', 'one');
    const b = newInitialCluster('m=http://10.0.0.1:2380', 'two');
    assert.notEqual(a.members[0].id, b.members[0].id);
  });

  it('member JSON keeps the 64-bit id exact (it does not fit a double)', () => {
    const [m] = newInitialCluster('m1=http://127.0.0.1:23801', 'etcd-cluster').members;
    assert.equal(memberJson(m), '{"id":13668033151171901709,"peerURLs":["http://127.0.0.1:23801"],"name":"m1"}');
  });

  it('the v2 store lists each member once, in id order, with its peer URLs', () => {
    const cl = newInitialCluster('a=http://127.0.0.1:24001,b=http://127.0.0.1:24002', 't');
    const store = JSON.parse(v2StoreJson(cl.members));
    const members = store.Root.Children['0'].Children.members.Children;
    assert.deepEqual(Object.keys(members).sort(), cl.members.map((m) => idString(m.id)).sort());
    for (const m of cl.members) assert.equal(members[idString(m.id)].Children.raftAttributes.Value, `{"peerURLs":${JSON.stringify(m.peerURLs)}}`);
    assert.equal(store.CurrentIndex, 2);
  });
});

describe('flags etcd refuses', () => {
  const cases: Array<{ story: string; run: () => void; message: RegExp }> = [
    {
      story: 'a name missing from --initial-cluster',
      run: () => verifyLocalMember(parseInitialCluster('a=http://127.0.0.1:1'), 'b', ['http://127.0.0.1:1'], 'a=http://127.0.0.1:1'),
      message: /couldn't find local name "b" in the initial cluster configuration/,
    },
    {
      story: 'advertised peer URLs that differ from the member entry',
      run: () => verifyLocalMember(parseInitialCluster('a=http://127.0.0.1:1'), 'a', ['http://127.0.0.1:2'], 'a=http://127.0.0.1:1'),
      message: /--initial-cluster has a=http:\/\/127.0.0.1:1 but missing from --initial-advertise-peer-urls=http:\/\/127.0.0.1:2/,
    },
    { story: 'a URL with a path', run: () => parseInitialCluster('a=http://127.0.0.1:1/x'), message: /URL must not contain a path/ },
    { story: 'a URL without a port', run: () => parseInitialCluster('a=http://127.0.0.1'), message: /does not have the form "host:port"/ },
    { story: 'a URL of another scheme', run: () => parseInitialCluster('a=ftp://127.0.0.1:1'), message: /URL scheme must be http, https, unix, or unixs/ },
    { story: 'an entry without a name', run: () => parseInitialCluster('http://127.0.0.1:1'), message: /want name=URL/ },
    { story: 'one URL for two members', run: () => newInitialCluster('a=http://127.0.0.1:1,b=http://127.0.0.1:1', 't'), message: /duplicate url/ },
  ];
  for (const c of cases) {
    it(c.story, () => {
      assert.throws(c.run, (e: unknown) => e instanceof MembershipError && c.message.test(e.message));
    });
  }
});
