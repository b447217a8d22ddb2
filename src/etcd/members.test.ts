import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterWarnings, quorumOf, type MemberInfo } from './members.js';

function member(id: string, over: Partial<MemberInfo> = {}): MemberInfo {
  return {
    id,
    name: `etcd-${id}`,
    peerURLs: [],
    clientURLs: [],
    isLearner: false,
    started: true,
    isLeader: false,
    alarms: [],
    status: { endpoint: id, ok: true, leader: 'a', dbSize: 20_000, dbSizeInUse: 16_000, raftIndex: 10, raftAppliedIndex: 10, tookMs: 1 },
    ...over,
  };
}

describe('quorum', () => {
  const table: Array<[number, number, number]> = [
    // voters, quorum, failures survived
    [1, 1, 0],
    [2, 2, 0],
    [3, 2, 1],
    [4, 3, 1],
    [5, 3, 2],
    [6, 4, 2],
    [7, 4, 3],
  ];
  for (const [voters, quorum, tolerance] of table) {
    it(`${voters} members: quorum ${quorum}, survives ${tolerance}`, () => {
      const q = quorumOf(voters);
      assert.equal(q.quorum, quorum);
      assert.equal(q.faultTolerance, tolerance);
      assert.equal(q.hasQuorum, true);
    });
  }
  it('3 members with 2 down have lost quorum', () => {
    const q = quorumOf(3, 1);
    assert.equal(q.hasQuorum, false);
    assert.equal(q.remainingTolerance, -1);
  });
});

describe('cluster warnings', () => {
  const cases: Array<{ story: string; members: MemberInfo[]; reachable?: number; alarms?: Array<{ memberId: string; member: string; alarm: string }>; expect: RegExp[]; none?: boolean }> = [
    { story: 'a healthy three-member cluster says nothing', members: [member('a'), member('b'), member('c')], expect: [], none: true },
    { story: 'four members: even size', members: ['a', 'b', 'c', 'd'].map((i) => member(i)), expect: [/4 voting members is an even size: quorum 3, survives 1 failure\(s\), no more than 3 members/] },
    { story: 'one of three down', members: [member('a'), member('b'), member('c', { status: { endpoint: 'c', ok: false, error: 'x', tookMs: 1 } })], reachable: 2, expect: [/1 of 3 voting members did not answer: the cluster survives 0 more failure/] },
    { story: 'two of three down', members: [member('a'), member('b', { status: undefined }), member('c', { status: undefined })], reachable: 1, expect: [/quorum lost: 1 of 3 voting members answered, 2 are needed/] },
    { story: 'a NOSPACE alarm', members: [member('a'), member('b'), member('c')], alarms: [{ memberId: 'b', member: 'etcd-b', alarm: 'NOSPACE' }], expect: [/alarm NOSPACE on member etcd-b: the db reached its quota/] },
    { story: 'members disagreeing about the leader', members: [member('a'), member('b'), member('c', { status: { endpoint: 'c', ok: true, leader: 'c', tookMs: 1 } })], expect: [/disagree about the leader/] },
    { story: 'a fragmented db', members: [member('a', { status: { endpoint: 'a', ok: true, leader: 'a', dbSize: 2e9, dbSizeInUse: 3e8, tookMs: 1 } }), member('b'), member('c')], expect: [/etcd-a: 2.0 GB allocated, 300 MB in use: defragment/] },
    { story: 'a single member', members: [member('a')], expect: [/a single member survives no failure/] },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const voters = c.members.filter((m) => !m.isLearner).length;
      const w = clusterWarnings(c.members, quorumOf(voters, c.reachable ?? voters), c.alarms ?? []);
      if (c.none) assert.deepEqual(w, []);
      for (const re of c.expect) assert.ok(w.some((x) => re.test(x)), `expected ${re} in:\n${w.join('\n')}`);
    });
  }
});
