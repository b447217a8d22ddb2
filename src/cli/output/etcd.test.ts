import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EtcdDiscovery } from '../../etcd/discover.js';
import { clusterWarnings, quorumOf, type ClusterReport, type EndpointStatus, type MemberInfo } from '../../etcd/members.js';
import type { SnapshotStatus } from '../../etcd/status.js';
import { explainTlsError, renderDiscovery, renderHealth, renderMembers, renderStatusSimple, renderStatusTable } from './etcd.js';

const lines = (...l: string[]) => l.map((s) => s + '\n').join('');

// Three members: cp1 leads, cp2 has a NOSPACE alarm, cp3 does not answer.
function up(n: number, over: Partial<EndpointStatus> = {}): EndpointStatus {
  return { endpoint: `https://cp${n}.test:2379`, ok: true, memberId: `m${n}`, version: '3.5.15', dbSize: 21_000_000, dbSizeInUse: 16_500_000, leader: '8e9e05c52164694d', raftTerm: 4, raftIndex: 1207, raftAppliedIndex: 1207, tookMs: 2.5, ...over };
}
function member(id: string, n: number, over: Partial<MemberInfo>): MemberInfo {
  return { id, name: `cp${n}`, peerURLs: [`https://cp${n}.test:2380`], clientURLs: [`https://cp${n}.test:2379`], isLearner: false, started: true, isLeader: false, alarms: [], status: up(n), ...over };
}
const members = [
  member('8e9e05c52164694d', 1, { isLeader: true }),
  member('91bc3c398fb3c146', 2, { alarms: ['NOSPACE'], status: up(2, { dbSizeInUse: undefined }) }),
  member('fd422379fda50e48', 3, { status: { endpoint: 'https://cp3.test:2379', ok: false, error: 'cannot connect to etcd at https://cp3.test:2379 within 2s (--dial-timeout): connect ECONNREFUSED cp3.test:2379', tookMs: 2000 } }),
];
const quorum = quorumOf(3, 2);
const alarms = [{ memberId: '91bc3c398fb3c146', member: 'cp2', alarm: 'NOSPACE' }];
const report: ClusterReport = { clusterId: 'cdf818194e3a8c32', source: 'https://cp1.test:2379', members, leader: '8e9e05c52164694d', alarms, quorum, endpoints: [], warnings: clusterWarnings(members, quorum, alarms) };
const footer = [
  '',
  'cluster cdf818194e3a8c32: 3 voting member(s), quorum 2: survives 1 failure(s); 2 answer now, so 0 more',
  'member cp3 (https://cp3.test:2379): cannot connect to etcd at https://cp3.test:2379 within 2s (--dial-timeout): connect ECONNREFUSED cp3.test:2379',
  'Warning: 1 of 3 voting members did not answer: the cluster survives 0 more failure(s)',
  'Warning: alarm NOSPACE on member cp2: the db reached its quota; compact, defragment, then `etcdctl alarm disarm`',
];

describe('etcd text views', () => {
  it('members: a kubectl-style table, then quorum, unreachable members and warnings', () => {
    assert.equal(
      renderMembers(report),
      lines(
        'ID                 NAME   STATUS        LEADER   VERSION   DB SIZE   IN USE   RAFT TERM   RAFT INDEX   APPLIED   ALARMS    CLIENT URLS',
        '8e9e05c52164694d   cp1    started       *        3.5.15    21 MB     16 MB    4           1207         1207      -         https://cp1.test:2379',
        '91bc3c398fb3c146   cp2    started                3.5.15    21 MB              4           1207         1207      NOSPACE   https://cp2.test:2379',
        'fd422379fda50e48   cp3    unreachable                                                                            -         https://cp3.test:2379',
        ...footer,
      ),
    );
  });

  it('members -o wide: peer URLs and the endpoint asked', () => {
    assert.equal(
      renderMembers(report, true),
      lines(
        'ID                 NAME   STATUS        LEADER   VERSION   DB SIZE   IN USE   RAFT TERM   RAFT INDEX   APPLIED   ALARMS    CLIENT URLS             PEER URLS               ASKED',
        '8e9e05c52164694d   cp1    started       *        3.5.15    21 MB     16 MB    4           1207         1207      -         https://cp1.test:2379   https://cp1.test:2380   https://cp1.test:2379',
        '91bc3c398fb3c146   cp2    started                3.5.15    21 MB              4           1207         1207      NOSPACE   https://cp2.test:2379   https://cp2.test:2380   https://cp2.test:2379',
        'fd422379fda50e48   cp3    unreachable                                                                            -         https://cp3.test:2379   https://cp3.test:2380   https://cp3.test:2379',
        ...footer,
      ),
    );
  });

  it("health: etcdctl's lines, then quorum and warnings", () => {
    const health = { endpoints: [{ endpoint: 'https://cp1.test:2379', health: true, tookMs: 3.25 }, { endpoint: 'https://cp3.test:2379', health: false, tookMs: 2000, error: 'connect ECONNREFUSED cp3.test:2379' }], cluster: report, healthy: false };
    assert.equal(
      renderHealth(health),
      lines(
        'https://cp1.test:2379 is healthy: successfully committed proposal: took = 3.3ms',
        'https://cp3.test:2379 is unhealthy: failed to commit proposal: connect ECONNREFUSED cp3.test:2379',
        ...footer.slice(1, 2),
        ...footer.slice(3),
      ),
    );
  });

  const status: SnapshotStatus = {
    file: 'snap.db',
    hash: 0x2ace2667,
    revision: 22001,
    totalKey: 22004,
    liveKeys: 22000,
    totalSize: 191131648,
    fileSize: 191131680,
    version: '3.6.0',
    compactRevision: 20000,
    consistentIndex: 22005,
    term: 2,
    buckets: {},
    problems: [],
    sha256: { state: 'mismatch', expected: 'aa', actual: 'bb' },
    check: { ok: true, errors: [], errorCount: 0, warnings: [], pages: { pageSize: 4096, total: 46663, meta: 2, freelist: 0, branch: 78, leaf: 8533, overflow: 38046, free: 4, freelistStored: false }, buckets: 10, inlineBuckets: 2 },
  };

  it("snapshot status: etcdctl's figures labelled, then the digest and the pages", () => {
    assert.equal(
      renderStatusTable(status),
      lines(
        'hash:            2ace2667',
        'revision:        22001',
        'total keys:      22004 (etcd 3.4/3.5 count: every entry in every bucket)',
        'live keys:       22000 (etcd 3.6 count of total keys)',
        'total size:      191 MB (191131648 bytes)',
        'storage version: 3.6.0',
        'compacted at:    20000',
        'raft index:      22005 (term 2)',
        'sha256:          MISMATCH (the file says aa, the data hashes to bb)',
        'pages:           consistent: 46663 pages of 4096 bytes (8533 leaf, 78 branch, 38046 overflow, 4 free, freelist not stored)',
      ),
    );
    assert.equal(renderStatusSimple(status), '2ace2667, 22001, 22004, 191 MB, 3.6.0\n', "etcdctl's simple line");
  });

  it('discovery: labelled lines, then the commands and warnings', () => {
    const tls = '--cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/apiserver-etcd-client.crt --key=/etc/kubernetes/pki/apiserver-etcd-client.key';
    const d: EtcdDiscovery = {
      topology: 'stacked',
      reason: 'etcd runs as a static pod in kube-system (etcd-cp1)',
      members: [
        {
          pod: 'etcd-cp1',
          node: 'cp1',
          name: 'cp1',
          image: 'registry.k8s.io/etcd:v3.5.15-0',
          advertiseClientURLs: ['https://cp1.test:2379'],
          listenClientURLs: ['https://127.0.0.1:2379'],
          dataDir: '/var/lib/etcd',
          dataHostPath: '/var/lib/etcd-from-backup',
          certFile: '/pki/server.crt',
          keyFile: '/pki/server.key',
          trustedCAFile: '/pki/ca.crt',
          clientCertAuth: true,
        },
      ],
      apiservers: [{ pod: 'kube-apiserver-cp1', node: 'cp1', etcdServers: ['https://127.0.0.1:2379'], cafile: '/pki/ca.crt', certfile: '/pki/client.crt', keyfile: '/pki/client.key', prefix: '/registry' }],
      endpoints: ['https://127.0.0.1:2379'],
      runOn: 'control-plane node cp1',
      saveCommand: `upkeep etcd snapshot save /backup.db --endpoints=https://127.0.0.1:2379 ${tls}`,
      etcdctlCommand: `ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 ${tls} snapshot save /backup.db`,
      membersCommand: `upkeep etcd members --endpoints=https://127.0.0.1:2379 ${tls}`,
      warnings: ['an example warning'],
    };
    assert.equal(
      renderDiscovery(d, 'admin@kubernetes (https://cp1.test:6443)'),
      lines(
        'Cluster:      admin@kubernetes (https://cp1.test:6443)',
        'Topology:     stacked: etcd runs as a static pod in kube-system (etcd-cp1)',
        'Member:       cp1 (pod etcd-cp1 on node cp1, registry.k8s.io/etcd:v3.5.15-0)',
        '  endpoints:  https://cp1.test:2379 (listens on https://127.0.0.1:2379)',
        '  data dir:   /var/lib/etcd (host path /var/lib/etcd-from-backup)',
        '  certs:      --cert-file=/pki/server.crt --key-file=/pki/server.key --trusted-ca-file=/pki/ca.crt',
        'API server:   kube-apiserver-cp1 on cp1: --etcd-servers=https://127.0.0.1:2379 --etcd-certfile=/pki/client.crt --etcd-keyfile=/pki/client.key --etcd-cafile=/pki/ca.crt',
        '',
        'Save a snapshot (on control-plane node cp1):',
        `  upkeep etcd snapshot save /backup.db --endpoints=https://127.0.0.1:2379 ${tls}`,
        'With etcdctl:',
        `  ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 ${tls} snapshot save /backup.db`,
        'Members and quorum:',
        `  upkeep etcd members --endpoints=https://127.0.0.1:2379 ${tls}`,
        'Warning: an example warning',
      ),
    );
  });
});

describe('explainTlsError', () => {
  const cases: { story: string; message: string; certGiven: boolean; want: string }[] = [
    {
      story: 'TLS 1.3: the server asked for a client certificate and none came',
      message: '14 UNAVAILABLE: read ECONNRESET (tlsv13 alert certificate required, alert number 116)',
      certGiven: false,
      want: 'the server requires a client certificate: pass --cert and --key (14 UNAVAILABLE: read ECONNRESET (tlsv13 alert certificate required, alert number 116))',
    },
    { story: 'TLS 1.2: a handshake failure without --cert', message: 'sslv3 alert handshake failure', certGiven: false, want: 'the server requires a client certificate: pass --cert and --key (sslv3 alert handshake failure)' },
    { story: 'a certificate was given: the message stays as it is', message: 'tlsv13 alert certificate required', certGiven: true, want: 'tlsv13 alert certificate required' },
    { story: 'another failure stays as it is', message: 'connect ECONNREFUSED 127.0.0.1:2379', certGiven: false, want: 'connect ECONNREFUSED 127.0.0.1:2379' },
  ];
  for (const c of cases) it(c.story, () => assert.equal(explainTlsError(c.message, c.certGiven), c.want));
});
