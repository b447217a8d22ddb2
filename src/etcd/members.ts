// `upkeep etcd members` and `upkeep etcd health`: who is in the cluster, who leads, raft term
// and index, db size per member, alarms; quorum and how many failures the cluster survives.
//
// Facts: quorum = floor(voters/2) + 1, and a cluster survives voters - quorum failures, so an
// even size survives no more failures than the odd size below it (etcd's FAQ: use odd sizes).
// Learners do not vote. etcdctl's `endpoint health` commits a linearizable read of the key
// "health" (permission denied still proves the proposal went through raft), then treats any
// active alarm as unhealthy.
import * as grpc from '@grpc/grpc-js';
import { EtcdClient, EtcdError, hexId, parseEndpoint, type AlarmMember, type EtcdConnectionOptions, type Member, type StatusResponse } from './connection.js';
import { errorMessage } from '../util/errors.js';
import { humanizeBytes } from './humanize.js';

export interface EndpointStatus {
  endpoint: string;
  ok: boolean;
  error?: string;
  memberId?: string;
  version?: string;
  dbSize?: number;
  dbSizeInUse?: number;
  leader?: string;
  raftTerm?: number;
  raftIndex?: number;
  raftAppliedIndex?: number;
  isLearner?: boolean;
  /** Alarm and health messages the member reports about itself. */
  errors?: string[];
  tookMs: number;
}

export interface MemberInfo {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
  /** A member added but never started has no name yet. */
  started: boolean;
  isLeader: boolean;
  status?: EndpointStatus;
  alarms: string[];
}

export interface QuorumInfo {
  voters: number;
  quorum: number;
  /** How many voters may fail while the cluster keeps a quorum. */
  faultTolerance: number;
  /** Voters that answered. */
  reachableVoters: number;
  /** How many more voters may fail now; negative when quorum is lost. */
  remainingTolerance: number;
  hasQuorum: boolean;
}

export interface ClusterReport {
  clusterId?: string;
  /** The endpoint the member list came from. */
  source: string;
  members: MemberInfo[];
  leader?: string;
  alarms: Array<{ memberId: string; member: string; alarm: string }>;
  quorum: QuorumInfo;
  /** Every endpoint asked for a status, member or not. */
  endpoints: EndpointStatus[];
  warnings: string[];
}

/** Quorum arithmetic for a number of voting members. */
export function quorumOf(voters: number, reachableVoters = voters): QuorumInfo {
  const quorum = Math.floor(voters / 2) + 1;
  return {
    voters,
    quorum,
    faultTolerance: Math.max(0, voters - quorum),
    reachableVoters,
    remainingTolerance: reachableVoters - quorum,
    hasQuorum: reachableVoters >= quorum,
  };
}

/** Warnings a cluster administrator should act on, from the report's data (pure). */
export function clusterWarnings(members: MemberInfo[], q: QuorumInfo, alarms: ClusterReport['alarms']): string[] {
  const w: string[] = [];
  if (!q.hasQuorum) {
    w.push(`quorum lost: ${q.reachableVoters} of ${q.voters} voting members answered, ${q.quorum} are needed; the cluster accepts no writes until members come back`);
  } else if (q.reachableVoters < q.voters) {
    w.push(`${q.voters - q.reachableVoters} of ${q.voters} voting members did not answer: the cluster survives ${Math.max(0, q.remainingTolerance)} more failure(s)`);
  }
  if (q.voters > 0 && q.voters % 2 === 0) {
    const below = quorumOf(q.voters - 1);
    w.push(`${q.voters} voting members is an even size: quorum ${q.quorum}, survives ${q.faultTolerance} failure(s), no more than ${q.voters - 1} members (quorum ${below.quorum}) would; use an odd number of members`);
  }
  if (q.voters === 1) w.push('a single member survives no failure: losing it loses the cluster (keep snapshots)');
  for (const a of alarms) w.push(`alarm ${a.alarm} on member ${a.member}${a.alarm === 'NOSPACE' ? ': the db reached its quota; compact, defragment, then `etcdctl alarm disarm`' : a.alarm === 'CORRUPT' ? ': data corruption detected; restore this member from a snapshot' : ''}`);
  const leaders = new Set(members.map((m) => m.status?.leader).filter((l): l is string => !!l && l !== '0'));
  if (leaders.size > 1) w.push(`members disagree about the leader (${[...leaders].join(', ')}): a network partition or an election in progress`);
  if (members.some((m) => m.status?.ok) && leaders.size === 0) w.push('no leader: the cluster is electing one or has lost quorum');
  for (const m of members) {
    if (!m.started) w.push(`member ${m.id} was added but never started`);
    const s = m.status;
    if (!s?.ok || s.dbSize === undefined || s.dbSizeInUse === undefined) continue;
    if (s.dbSize >= 100e6 && s.dbSizeInUse < s.dbSize / 2) {
      w.push(`member ${m.name || m.id}: ${humanizeBytes(s.dbSize)} allocated, ${humanizeBytes(s.dbSizeInUse)} in use: defragment it (etcdctl defrag) to give the space back`);
    }
    if (s.raftIndex !== undefined && s.raftAppliedIndex !== undefined && s.raftIndex - s.raftAppliedIndex > 5000) {
      w.push(`member ${m.name || m.id}: applied index ${s.raftAppliedIndex} is ${s.raftIndex - s.raftAppliedIndex} behind its committed index: overloaded or slow disk`);
    }
  }
  return w;
}

/** One connection per endpoint for the length of a report (a login costs etcd a bcrypt check). */
class ClientPool {
  private readonly clients = new Map<string, Promise<EtcdClient>>();
  constructor(private readonly conn: EtcdConnectionOptions) {}

  get(endpoint: string): Promise<EtcdClient> {
    let c = this.clients.get(endpoint);
    if (!c) {
      c = EtcdClient.connect(this.conn, endpoint);
      c.catch(() => undefined);
      this.clients.set(endpoint, c);
    }
    return c;
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) (await c.catch(() => undefined))?.close();
    this.clients.clear();
  }
}

async function endpointStatus(pool: ClientPool, endpoint: string): Promise<EndpointStatus> {
  const t0 = performance.now();
  try {
    const client = await pool.get(endpoint);
    const s: StatusResponse = await client.status();
    return {
      endpoint,
      ok: true,
      memberId: hexId(s.header.member_id),
      version: s.version,
      dbSize: Number(s.dbSize),
      dbSizeInUse: Number(s.dbSizeInUse) || undefined,
      leader: hexId(s.leader),
      raftTerm: Number(s.raftTerm),
      raftIndex: Number(s.raftIndex),
      raftAppliedIndex: Number(s.raftAppliedIndex) || undefined,
      isLearner: s.isLearner,
      errors: s.errors,
      tookMs: performance.now() - t0,
    };
  } catch (e) {
    return { endpoint, ok: false, error: errorMessage(e), tookMs: performance.now() - t0 };
  }
}

/** The member list from the first endpoint that answers. */
async function memberList(conn: EtcdConnectionOptions, pool: ClientPool): Promise<{ source: string; clusterId: string; members: Member[]; alarms: AlarmMember[] }> {
  const errors: string[] = [];
  for (const endpoint of conn.endpoints) {
    try {
      const client = await pool.get(endpoint);
      const list = await client.memberList();
      const alarms = await client.alarmList().then(
        (r) => r.alarms,
        () => [],
      );
      return { source: endpoint, clusterId: hexId(list.header.cluster_id), members: list.members, alarms };
    } catch (e) {
      errors.push(errorMessage(e));
    }
  }
  throw new EtcdError(`no etcd endpoint answered: ${errors.join('; ')}`, conn.endpoints.join(','));
}

/**
 * Members with their status: first from the given endpoints, then, for members no given
 * endpoint reached, from their advertised client URLs (etcdctl's --cluster), so one endpoint is
 * enough to see the whole cluster.
 */
export async function clusterReport(conn: EtcdConnectionOptions, options: { cluster?: boolean } = {}): Promise<ClusterReport> {
  const pool = new ClientPool(conn);
  try {
    return await buildClusterReport(conn, pool, options.cluster !== false);
  } finally {
    await pool.close();
  }
}

async function buildClusterReport(conn: EtcdConnectionOptions, pool: ClientPool, cluster: boolean): Promise<ClusterReport> {
  const list = await memberList(conn, pool);
  const statuses = await Promise.all(conn.endpoints.map((e) => endpointStatus(pool, e)));
  const byMember = new Map<string, EndpointStatus>();
  for (const s of statuses) if (s.ok && s.memberId && !byMember.has(s.memberId)) byMember.set(s.memberId, s);
  if (cluster) {
    const extra = list.members.filter((m) => !byMember.has(hexId(m.ID)) && m.clientURLs.length);
    const tls = !!(conn.cacert || conn.cert || conn.key);
    const found = await Promise.all(
      extra.map(async (m) => {
        let last: EndpointStatus | undefined;
        for (const url of m.clientURLs) {
          try {
            parseEndpoint(url, tls);
          } catch {
            continue;
          }
          last = await endpointStatus(pool, url);
          if (last.ok) break;
        }
        return last;
      }),
    );
    for (const s of found) {
      if (!s) continue;
      statuses.push(s);
      if (s.ok && s.memberId && !byMember.has(s.memberId)) byMember.set(s.memberId, s);
    }
  }
  const names = new Map(list.members.map((m) => [hexId(m.ID), m.name || hexId(m.ID)]));
  const alarms = list.alarms.map((a) => ({ memberId: hexId(a.memberID), member: names.get(hexId(a.memberID)) ?? hexId(a.memberID), alarm: a.alarm }));
  // The leader as most members see it.
  const votes = new Map<string, number>();
  for (const s of byMember.values()) if (s.leader && s.leader !== '0') votes.set(s.leader, (votes.get(s.leader) ?? 0) + 1);
  const leader = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const members: MemberInfo[] = list.members.map((m) => {
    const id = hexId(m.ID);
    return {
      id,
      name: m.name,
      peerURLs: m.peerURLs,
      clientURLs: m.clientURLs,
      isLearner: m.isLearner,
      started: m.name !== '',
      isLeader: id === leader,
      status: byMember.get(id) ?? statuses.find((s) => !s.ok && m.clientURLs.includes(s.endpoint)),
      alarms: alarms.filter((a) => a.memberId === id).map((a) => a.alarm),
    };
  });
  const voters = members.filter((m) => !m.isLearner);
  const q = quorumOf(voters.length, voters.filter((m) => m.status?.ok).length);
  return {
    clusterId: list.clusterId,
    source: list.source,
    members,
    leader,
    alarms,
    quorum: q,
    endpoints: statuses,
    warnings: clusterWarnings(members, q, alarms),
  };
}

export interface EndpointHealth {
  endpoint: string;
  health: boolean;
  tookMs: number;
  error?: string;
}

/** etcdctl endpoint health: a linearizable read through raft, then the alarm list. */
async function endpointHealth(pool: ClientPool, endpoint: string): Promise<EndpointHealth> {
  const t0 = performance.now();
  try {
    const client = await pool.get(endpoint);
    try {
      await client.range({ key: Buffer.from('health') });
    } catch (e) {
      // Permission denied still means the read went through consensus.
      if (!(e instanceof EtcdError && e.code === grpc.status.PERMISSION_DENIED)) throw e;
    }
    const took = performance.now() - t0;
    const alarms = await client.alarmList().catch(() => undefined);
    if (!alarms) return { endpoint, health: false, tookMs: took, error: 'unable to fetch the alarm list' };
    if (alarms.alarms.length) return { endpoint, health: false, tookMs: took, error: `active alarm(s): ${alarms.alarms.map((a) => `${a.alarm} on ${hexId(a.memberID)}`).join(', ')}` };
    return { endpoint, health: true, tookMs: took };
  } catch (e) {
    return { endpoint, health: false, tookMs: performance.now() - t0, error: errorMessage(e) };
  }
}

export interface HealthReport {
  endpoints: EndpointHealth[];
  /** Null when no endpoint could list the members. */
  cluster: ClusterReport | null;
  healthy: boolean;
}

/** Health of every given endpoint and, with cluster (default), of every member's client URL. */
export async function healthReport(conn: EtcdConnectionOptions, options: { cluster?: boolean } = {}): Promise<HealthReport> {
  const pool = new ClientPool(conn);
  try {
    return await buildHealthReport(conn, pool, options.cluster !== false);
  } finally {
    await pool.close();
  }
}

async function buildHealthReport(conn: EtcdConnectionOptions, pool: ClientPool, clusterMode: boolean): Promise<HealthReport> {
  const cluster = await buildClusterReport(conn, pool, clusterMode).catch(() => null);
  const targets = new Set(conn.endpoints);
  if (cluster && clusterMode) {
    for (const m of cluster.members) {
      const covered = cluster.endpoints.some((s) => s.ok && s.memberId === m.id && targets.has(s.endpoint));
      if (!covered && m.clientURLs[0]) targets.add(m.clientURLs[0]);
    }
  }
  const endpoints = await Promise.all([...targets].map((e) => endpointHealth(pool, e)));
  const healthy = endpoints.every((e) => e.health) && (!cluster || cluster.quorum.hasQuorum);
  return { endpoints, cluster, healthy };
}
