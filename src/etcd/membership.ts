// A new cluster's membership as etcd derives it from --initial-cluster and
// --initial-cluster-token: member ids from sha1(sorted peer URLs + token), the cluster id from
// sha1(sorted member ids), and the checks etcd makes before bootstrapping a member.
import { createHash } from 'node:crypto';
import { goJsonString, idString } from './snap.js';

export interface ClusterMember {
  id: bigint;
  name: string;
  /** Sorted, as etcd stores them. */
  peerURLs: string[];
}

export interface InitialCluster {
  members: ClusterMember[]; // sorted by id
  clusterID: bigint;
  token: string;
}

export class MembershipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MembershipError';
  }
}

/**
 * One URL as types.NewURLs accepts it: http, https, unix or unixs; host:port; no path. The
 * string is kept as written (etcd hashes Go's url.String(), which is the input for such URLs).
 */
export function parsePeerURL(raw: string): string {
  const s = raw.trim();
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(s);
  if (!m) throw new MembershipError(`URL scheme must be http, https, unix, or unixs: ${s}`);
  const scheme = m[1].toLowerCase();
  if (!['http', 'https', 'unix', 'unixs'].includes(scheme)) throw new MembershipError(`URL scheme must be http, https, unix, or unixs: ${s}`);
  if ((scheme === 'http' || scheme === 'https') && !/^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):\d+$/.test(m[2])) {
    throw new MembershipError(`URL address does not have the form "host:port": ${s}`);
  }
  if (m[3] !== '') throw new MembershipError(`URL must not contain a path: ${s}`);
  return s;
}

export function parseURLs(list: string[]): string[] {
  return list.map(parsePeerURL).sort();
}

/** "name1=url1,name1=url2,name2=url3" -> name -> sorted URLs (types.NewURLsMap). */
export function parseInitialCluster(s: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of s.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw new MembershipError(`invalid --initial-cluster entry "${part}": want name=URL`);
    const name = part.slice(0, eq);
    const urls = out.get(name) ?? [];
    urls.push(part.slice(eq + 1));
    out.set(name, urls);
  }
  for (const [name, urls] of out) out.set(name, parseURLs(urls));
  return out;
}

/** membership.NewMember: the first 8 bytes (big-endian) of sha1(sorted peer URLs + token). */
export function memberID(peerURLs: string[], token: string): bigint {
  const h = createHash('sha1');
  for (const u of peerURLs.slice().sort()) h.update(u);
  h.update(token);
  return h.digest().readBigUInt64BE(0);
}

/** RaftCluster.genID: the first 8 bytes of sha1 over the sorted member ids (8 bytes each, big-endian). */
export function clusterID(ids: bigint[]): bigint {
  const sorted = ids.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const b = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, i) => b.writeBigUInt64BE(id, 8 * i));
  return createHash('sha1').update(b).digest().readBigUInt64BE(0);
}

export function newInitialCluster(initialCluster: string, token: string): InitialCluster {
  const urls = parseInitialCluster(initialCluster);
  if (urls.size === 0) throw new MembershipError('--initial-cluster is empty');
  const members: ClusterMember[] = [];
  const seenURL = new Set<string>();
  for (const [name, peerURLs] of urls) {
    for (const u of peerURLs) {
      if (seenURL.has(u)) throw new MembershipError(`initial cluster ${initialCluster} has duplicate url`);
      seenURL.add(u);
    }
    const id = memberID(peerURLs, token);
    if (id === 0n) throw new MembershipError(`cannot use ${idString(id)} as member id`);
    if (members.some((m) => m.id === id)) throw new MembershipError(`member exists with identical ID ${idString(id)}`);
    members.push({ id, name, peerURLs });
  }
  members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { members, clusterID: clusterID(members.map((m) => m.id)), token };
}

/** ServerConfig.VerifyBootstrap's checks for the member being restored. */
export function verifyLocalMember(cluster: Map<string, string[]>, name: string, advertisePeerURLs: string[], initialCluster: string): void {
  const mine = cluster.get(name);
  if (!mine) throw new MembershipError(`couldn't find local name "${name}" in the initial cluster configuration`);
  const adv = parseURLs(advertisePeerURLs);
  for (const u of mine) {
    if (!adv.includes(u)) throw new MembershipError(`--initial-cluster has ${name}=${u} but missing from --initial-advertise-peer-urls=${adv.join(',')}`);
  }
  for (const u of adv) {
    if (!mine.includes(u)) throw new MembershipError(`--initial-advertise-peer-urls has ${u} but missing from --initial-cluster=${initialCluster}`);
  }
}

/** json.Marshal(membership.Member): the ConfChange context and the backend's members value. */
export function memberJson(m: ClusterMember): string {
  // The id is a JSON number that does not fit a double: written from the bigint directly.
  return `{"id":${m.id.toString()},"peerURLs":[${m.peerURLs.map(goJsonString).join(',')}]${m.name ? `,"name":${goJsonString(m.name)}` : ''}}`;
}
