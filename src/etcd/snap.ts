// The raft snapshot file a restored member starts from (member/snap/<term>-<index>.snap): a
// snappb.Snapshot {crc, data} around a raftpb.Snapshot whose data is the etcd v2 store, which in
// a v3 cluster holds only the membership (/0/members/<id>/raftAttributes). etcd 3.4 and 3.5 read
// the cluster's members from it on start, so the JSON must be what v2store.Save produces.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { crc32c } from './crc32c.js';
import { encodeConfState, pbBytes, pbUint } from './wal.js';

export interface SnapMember {
  id: bigint;
  peerURLs: string[];
  isLearner?: boolean;
}

/** A string the way Go's encoding/json writes it (HTML-safe escapes included). */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The JSON of membership.RaftAttributes. */
export function raftAttributesJson(m: SnapMember): string {
  return `{"peerURLs":[${m.peerURLs.map(goJsonString).join(',')}]${m.isLearner ? ',"isLearner":true' : ''}}`;
}

const ZERO_TIME = '"0001-01-01T00:00:00Z"';

function dirNode(p: string, index: number, children: Array<[string, string]>): string {
  const kids = children
    .slice()
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${goJsonString(k)}:${v}`)
    .join(',');
  return `{"Path":${goJsonString(p)},"CreatedIndex":${index},"ModifiedIndex":${index},"ExpireTime":${ZERO_TIME},"Value":"","Children":{${kids}}}`;
}

function leafNode(p: string, index: number, value: string): string {
  return `{"Path":${goJsonString(p)},"CreatedIndex":${index},"ModifiedIndex":${index},"ExpireTime":${ZERO_TIME},"Value":${goJsonString(value)},"Children":null}`;
}

/** Member ids as etcd prints them: lowercase hex without leading zeros (types.ID.String). */
export function idString(id: bigint): string {
  return id.toString(16);
}

/**
 * v2store.Save() of a fresh store into which each member was added in id order: one create per
 * member (store index 1..N), an event history of capacity 1000, and the store's counters.
 */
export function v2StoreJson(members: SnapMember[]): string {
  const sorted = members.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = sorted.length;
  const memberNodes: Array<[string, string]> = sorted.map((m, i) => {
    const key = `/0/members/${idString(m.id)}`;
    return [idString(m.id), dirNode(key, i + 1, [['raftAttributes', leafNode(`${key}/raftAttributes`, i + 1, raftAttributesJson(m))]])];
  });
  // The members directory is created together with the first member.
  const membersDir = n ? [['members', dirNode('/0/members', 1, memberNodes)] as [string, string]] : [];
  const root = dirNode('/', 0, [
    ['0', dirNode('/0', 0, membersDir)],
    ['1', dirNode('/1', 0, [])],
  ]);
  const events: string[] = sorted.map(
    (m, i) =>
      `{"action":"create","node":{"key":${goJsonString(`/0/members/${idString(m.id)}/raftAttributes`)},"value":${goJsonString(raftAttributesJson(m))},"modifiedIndex":${i + 1},"createdIndex":${i + 1}}}`,
  );
  const capacity = 1000;
  while (events.length < capacity) events.push('null');
  const stats =
    '{"getsSuccess":0,"getsFail":0,"setsSuccess":0,"setsFail":0,"deleteSuccess":0,"deleteFail":0,"updateSuccess":0,"updateFail":0,' +
    `"createSuccess":${n},"createFail":0,"compareAndSwapSuccess":0,"compareAndSwapFail":0,"compareAndDeleteSuccess":0,"compareAndDeleteFail":0,"expireCount":0,"watchers":0}`;
  return (
    `{"Root":${root},"WatcherHub":{"EventHistory":{"Queue":{"Events":[${events.join(',')}],"Size":${n},"Front":0,"Back":${n},"Capacity":${capacity}},` +
    `"StartIndex":1,"LastIndex":${n}}},"CurrentIndex":${n},"Stats":${stats},"CurrentVersion":2}`
  );
}

/** raftpb.Snapshot {Data=1, Metadata=2 {ConfState=1, Index=2, Term=3}}. */
export function encodeRaftSnapshot(s: { data: Uint8Array; index: bigint; term: bigint; voters: bigint[] }): Buffer {
  const metadata = Buffer.concat([pbBytes(1, encodeConfState({ voters: s.voters })), pbUint(2, s.index), pbUint(3, s.term)]);
  return Buffer.concat([pbBytes(1, s.data), pbBytes(2, metadata)]);
}

/** snappb.Snapshot {Crc=1, Data=2}: the file's bytes. */
export function encodeSnapFile(raftSnapshot: Buffer): Buffer {
  return Buffer.concat([pbUint(1, crc32c(raftSnapshot)), pbBytes(2, raftSnapshot)]);
}

export function snapName(term: bigint, index: bigint): string {
  return `${term.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.snap`;
}

/** Writes and fsyncs the snapshot file into the snap directory; returns its path. */
export async function writeSnapFile(snapDir: string, s: { members: SnapMember[]; index: bigint; term: bigint }): Promise<string> {
  const raft = encodeRaftSnapshot({
    data: Buffer.from(v2StoreJson(s.members)),
    index: s.index,
    term: s.term,
    voters: s.members
      .filter((m) => !m.isLearner)
      .map((m) => m.id)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  });
  const file = path.join(snapDir, snapName(s.term, s.index));
  const fh = await fs.open(file, 'w', 0o666);
  try {
    await fh.write(encodeSnapFile(raft));
    await fh.sync();
  } finally {
    await fh.close();
  }
  return file;
}
