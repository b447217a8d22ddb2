// The text views of `upkeep etcd ...`: snapshot status, members, health and discovery. The
// domain (src/etcd) returns data; the tables here go through the one printer (table.ts).
import type { EtcdDiscovery } from '../../etcd/discover.js';
import { humanizeBytes } from '../../etcd/humanize.js';
import type { ClusterReport, HealthReport, MemberInfo, QuorumInfo } from '../../etcd/members.js';
import type { SnapshotStatus } from '../../etcd/status.js';
import { table, tabwrite } from './table.js';

// ---- snapshot status ---------------------------------------------------------------------------

/** etcdctl's simple line: hash, revision, total keys, total size. */
export function renderStatusSimple(st: SnapshotStatus): string {
  return `${st.hash.toString(16)}, ${st.revision}, ${st.totalKey}, ${humanizeBytes(st.totalSize)}${st.version ? `, ${st.version}` : ''}\n`;
}

/** The human view: etcdctl's four figures, labelled, then what upkeep checked. */
export function renderStatusTable(st: SnapshotStatus): string {
  const p = st.check.pages;
  const rows: Array<[string, string]> = [
    ['hash', st.hash.toString(16)],
    ['revision', String(st.revision)],
    ['total keys', `${st.totalKey} (etcd 3.4/3.5 count: every entry in every bucket)`],
    ['live keys', `${st.liveKeys} (etcd 3.6 count of total keys)`],
    ['total size', `${humanizeBytes(st.totalSize)} (${st.totalSize} bytes)`],
  ];
  if (st.version) rows.push(['storage version', st.version]);
  if (st.compactRevision !== undefined) rows.push(['compacted at', String(st.compactRevision)]);
  if (st.consistentIndex !== undefined) rows.push(['raft index', String(st.consistentIndex) + (st.term !== undefined ? ` (term ${st.term})` : '')]);
  rows.push(['sha256', digestText(st.sha256)]);
  rows.push([
    'pages',
    `${st.check.ok ? 'consistent' : `${st.check.errorCount} ERRORS`}: ${p.total} pages of ${p.pageSize} bytes (${p.leaf} leaf, ${p.branch} branch, ${p.overflow} overflow, ${p.free} free${p.freelistStored ? '' : ', freelist not stored'})`,
  ]);
  // Labels with their colon, one space before the value.
  return tabwrite(
    rows.map(([k, v]) => [`${k}:`, v]),
    { padding: 1 },
  );
}

function digestText(d: SnapshotStatus['sha256']): string {
  switch (d.state) {
    case 'ok':
      return `ok (${d.actual})`;
    case 'mismatch':
      return `MISMATCH (the file says ${d.expected}, the data hashes to ${d.actual})`;
    case 'skipped':
      return 'not checked (--skip-hash-check)';
    default:
      return 'none (no digest at the end of the file)';
  }
}

// ---- members and health ------------------------------------------------------------------------

function quorumLine(q: QuorumInfo): string {
  if (!q.hasQuorum) return `quorum LOST: ${q.reachableVoters} of ${q.voters} voting members answer, ${q.quorum} needed`;
  return `${q.voters} voting member(s), quorum ${q.quorum}: survives ${q.faultTolerance} failure(s)${q.reachableVoters < q.voters ? `; ${q.reachableVoters} answer now, so ${q.remainingTolerance} more` : ''}`;
}

const MEMBER_HEADERS = ['ID', 'NAME', 'STATUS', 'LEADER', 'VERSION', 'DB SIZE', 'IN USE', 'RAFT TERM', 'RAFT INDEX', 'APPLIED', 'ALARMS', 'CLIENT URLS'];

function memberRow(m: MemberInfo, wide: boolean): string[] {
  const s = m.status;
  const up = s?.ok ? s : undefined;
  const state = !m.started ? 'unstarted' : up ? (m.isLearner ? 'learner' : 'started') : 'unreachable';
  const row = [
    m.id,
    m.name || '-',
    state,
    m.isLeader ? '*' : '',
    up ? (up.version ?? '') : '',
    up?.dbSize !== undefined ? humanizeBytes(up.dbSize) : '',
    up?.dbSizeInUse !== undefined ? humanizeBytes(up.dbSizeInUse) : '',
    up ? String(up.raftTerm) : '',
    up ? String(up.raftIndex) : '',
    up?.raftAppliedIndex !== undefined ? String(up.raftAppliedIndex) : '',
    m.alarms.join(',') || '-',
    m.clientURLs.join(','),
  ];
  if (wide) row.push(m.peerURLs.join(','), s?.endpoint ?? '');
  return row;
}

/** Members as a table, then the quorum line and warnings. */
export function renderMembers(r: ClusterReport, wide = false): string {
  const headers = wide ? [...MEMBER_HEADERS, 'PEER URLS', 'ASKED'] : MEMBER_HEADERS;
  let out = table(
    headers,
    r.members.map((m) => memberRow(m, wide)),
  );
  out += `\ncluster ${r.clusterId ?? '?'}: ${quorumLine(r.quorum)}\n`;
  for (const m of r.members) if (m.status && !m.status.ok) out += `member ${m.name || m.id} (${m.status.endpoint}): ${m.status.error}\n`;
  for (const w of r.warnings) out += `Warning: ${w}\n`;
  return out;
}

/**
 * A TLS handshake the server ended because no client certificate came (etcd's
 * --client-cert-auth): OpenSSL's alert text says "certificate required" (TLS 1.3, alert 116)
 * or "handshake failure"/"bad certificate" (TLS 1.2); say what to do when --cert was not given.
 */
export function explainTlsError(message: string, clientCertGiven: boolean): string {
  if (clientCertGiven || !/certificate required|alert number 116|alert (handshake failure|bad certificate)|alert number (40|42)\b/i.test(message)) return message;
  return `the server requires a client certificate: pass --cert and --key (${message})`;
}

/** etcdctl's lines, then the quorum line. */
export function renderHealth(h: HealthReport, clientCertGiven = true): string {
  let out = '';
  for (const e of h.endpoints) {
    out += e.health
      ? `${e.endpoint} is healthy: successfully committed proposal: took = ${e.tookMs.toFixed(1)}ms\n`
      : `${e.endpoint} is unhealthy: failed to commit proposal: ${explainTlsError(e.error ?? '', clientCertGiven)}\n`;
  }
  if (h.cluster) {
    out += `cluster ${h.cluster.clusterId ?? '?'}: ${quorumLine(h.cluster.quorum)}\n`;
    for (const w of h.cluster.warnings) out += `Warning: ${w}\n`;
  }
  return out;
}

// ---- discovery ---------------------------------------------------------------------------------

/** The findings for a person: labelled lines (labels in a 14-column field), then the commands. */
export function renderDiscovery(d: EtcdDiscovery, context?: string): string {
  const rows: string[][] = [];
  if (context) rows.push(['Cluster:', context]);
  rows.push(['Topology:', `${d.topology}: ${d.reason}`]);
  for (const m of d.members) {
    rows.push(['Member:', `${m.name ?? m.pod} (pod ${m.pod} on node ${m.node}${m.image ? `, ${m.image}` : ''})`]);
    rows.push(['  endpoints:', `${m.advertiseClientURLs.join(',') || '?'}${m.listenClientURLs.length ? ` (listens on ${m.listenClientURLs.join(',')})` : ''}`]);
    rows.push(['  data dir:', `${m.dataDir ?? '?'}${m.dataHostPath && m.dataHostPath !== m.dataDir ? ` (host path ${m.dataHostPath})` : ''}`]);
    rows.push(['  certs:', `--cert-file=${m.certFile ?? '?'} --key-file=${m.keyFile ?? '?'} --trusted-ca-file=${m.trustedCAFile ?? '?'}`]);
  }
  for (const a of d.apiservers) {
    rows.push(['API server:', `${a.pod} on ${a.node}: --etcd-servers=${a.etcdServers.join(',') || '?'}${a.certfile ? ` --etcd-certfile=${a.certfile} --etcd-keyfile=${a.keyfile ?? '?'} --etcd-cafile=${a.cafile ?? '?'}` : ''}`]);
  }
  // One-cell rows (the commands, the warnings) are printed as they are.
  if (d.saveCommand) {
    rows.push([''], [`Save a snapshot (on ${d.runOn}):`], [`  ${d.saveCommand}`], ['With etcdctl:'], [`  ${d.etcdctlCommand}`], ['Members and quorum:'], [`  ${d.membersCommand}`]);
  }
  for (const w of d.warnings) rows.push([`Warning: ${w}`]);
  return tabwrite(rows, { minWidth: 14, padding: 2 });
}
