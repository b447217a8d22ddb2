// Connecting to etcd the way etcdctl does: --endpoints, --cacert/--cert/--key, --user,
// --dial-timeout, --command-timeout, and the ETCDCTL_* environment variables (a flag given on the
// command line wins over its variable). The wire is etcd's gRPC API through @grpc/grpc-js, with
// etcd's own .proto files (the copies the `etcd3` package ships) loaded by @grpc/proto-loader:
// no protocol code of ours.
//
// For other modules:
//   const client = await createEtcdClient({ endpoints: ['127.0.0.1:2379'] });
//   await client.put({ key: Buffer.from('a'), value: Buffer.from('1') });
//   const { kvs } = await client.range({ key: Buffer.from('a') });
//   const w = client.watch(); w.write({ create_request: { key, range_end, start_revision: '5' } });
//   client.close();
// Integers that can exceed 2^53 (revisions, IDs, leases) travel as decimal strings (proto-loader
// `longs: String`); bytes as Buffers. Field names are the .proto's (snake_case).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { IOptions } from 'etcd3';
import { DurationError, parseDurationFlag } from '../api/duration.js';
import { errnoCode, errorMessage } from '../util/errors.js';
import { decodeSnapshotResponse } from './snapshot-wire.js';

export const DEFAULT_ENDPOINT = '127.0.0.1:2379';
export const DEFAULT_DIAL_TIMEOUT_MS = 2000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 5000;

export interface EtcdConnectionOptions {
  /** host:port, http://host:port or https://host:port (etcdctl's --endpoints). */
  endpoints: string[];
  /** PEM files: CA bundle to verify servers with, client certificate and key. */
  cacert?: string;
  cert?: string;
  key?: string;
  /** Accept any server certificate (etcdctl --insecure-skip-tls-verify). */
  insecureSkipTlsVerify?: boolean;
  /** etcd user (auth enabled); the password comes from --password or `--user name:password`. */
  user?: string;
  password?: string;
  /** How long to wait for a connection (default 2s, as etcdctl). */
  dialTimeoutMs?: number;
  /** How long one request may take (default 5s, as etcdctl); streams such as snapshots are not bounded by it. */
  commandTimeoutMs?: number;
}

/** The flags, as typed on the command line (strings), before the environment fills the gaps. */
export interface EtcdFlagValues {
  endpoints?: string;
  cacert?: string;
  cert?: string;
  key?: string;
  user?: string;
  password?: string;
  dialTimeout?: string;
  commandTimeout?: string;
  insecureSkipTlsVerify?: boolean;
}

/** Bad connection flags or variables: exit code 2, like any usage error. */
export class EtcdConfigError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'EtcdConfigError';
  }
}

/** A failed call to etcd, with the endpoint and gRPC status it failed with. */
export class EtcdError extends Error {
  constructor(
    message: string,
    readonly endpoint: string,
    readonly code?: grpc.status,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

/** Flags first, then ETCDCTL_ENDPOINTS, ETCDCTL_CACERT, ... then etcdctl's defaults. */
export function connectionFromFlags(flags: EtcdFlagValues, env: NodeJS.ProcessEnv = process.env): EtcdConnectionOptions {
  const pick = (flag: string | undefined, name: string) => (flag !== undefined && flag !== '' ? flag : env[`ETCDCTL_${name}`] || undefined);
  const endpoints = (pick(flags.endpoints, 'ENDPOINTS') ?? DEFAULT_ENDPOINT)
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (!endpoints.length) throw new EtcdConfigError('--endpoints is empty: give at least one, e.g. --endpoints=https://127.0.0.1:2379');
  for (const e of endpoints) parseEndpoint(e, false);
  let user = pick(flags.user, 'USER');
  let password = pick(flags.password, 'PASSWORD');
  if (user && user.includes(':') && password === undefined) {
    // etcdctl: --user name:password
    password = user.slice(user.indexOf(':') + 1);
    user = user.slice(0, user.indexOf(':'));
  }
  if (user !== undefined && password === undefined) {
    throw new EtcdConfigError(`no password for etcd user "${user}": use --user ${user}:PASSWORD, --password, or ETCDCTL_PASSWORD`);
  }
  const skip = flags.insecureSkipTlsVerify || /^(1|true|yes)$/i.test(env.ETCDCTL_INSECURE_SKIP_TLS_VERIFY ?? '');
  return {
    endpoints,
    cacert: pick(flags.cacert, 'CACERT'),
    cert: pick(flags.cert, 'CERT'),
    key: pick(flags.key, 'KEY'),
    insecureSkipTlsVerify: skip || undefined,
    user,
    password,
    dialTimeoutMs: durationFlag(pick(flags.dialTimeout, 'DIAL_TIMEOUT') ?? '2s', '--dial-timeout'),
    commandTimeoutMs: durationFlag(pick(flags.commandTimeout, 'COMMAND_TIMEOUT') ?? '5s', '--command-timeout'),
  };
}

/**
 * A duration flag as etcdctl reads its timeouts (pflag's DurationVar, Go's time.ParseDuration):
 * "2s", "500ms", "1m30s", "0"; not negative. In milliseconds; EtcdConfigError when it is not one.
 */
export function durationFlag(value: string, flag: string): number {
  try {
    return parseDurationFlag(value, flag);
  } catch (e) {
    if (e instanceof DurationError) throw new EtcdConfigError(`invalid value "${value}" for ${flag}: use a duration like 2s, 500ms or 1m30s`);
    throw e;
  }
}

export interface ParsedEndpoint {
  /** host:port for gRPC. */
  address: string;
  /** TLS: https://, or a bare host:port when certificates are given. */
  secure: boolean;
  host: string;
}

/** An endpoint as etcdctl takes it: http(s)://host:port or host:port (TLS when certificates are configured). */
export function parseEndpoint(endpoint: string, tlsConfigured: boolean): ParsedEndpoint {
  const m = /^(?:(https?|unixs?):\/\/)?(\[[0-9a-fA-F:.]+\]|[^/:[\]]+)(?::(\d+))?\/?$/.exec(endpoint.trim());
  if (!m || m[1]?.startsWith('unix')) {
    throw new EtcdConfigError(`invalid endpoint "${endpoint}": use host:port or https://host:port`);
  }
  const scheme = m[1];
  const host = m[2];
  const port = m[3] ?? (scheme === 'https' ? '2379' : scheme === 'http' ? '2379' : '');
  if (!port) throw new EtcdConfigError(`invalid endpoint "${endpoint}": no port (etcd's client port is usually 2379)`);
  return { address: `${host}:${port}`, host: host.replace(/^\[|\]$/g, ''), secure: scheme === 'https' || (scheme === undefined && tlsConfigured) };
}

function tlsConfigured(o: EtcdConnectionOptions): boolean {
  return !!(o.cacert || o.cert || o.key || o.insecureSkipTlsVerify);
}

function readPem(file: string | undefined, flag: string): Buffer | null {
  if (!file) return null;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new EtcdConfigError(`cannot read ${flag} ${file}: ${errnoCode(e) ?? errorMessage(e)}`);
  }
}

/** grpc-js credentials for one endpoint. */
export function channelCredentials(o: EtcdConnectionOptions, endpoint: ParsedEndpoint): grpc.ChannelCredentials {
  if (!endpoint.secure) return grpc.credentials.createInsecure();
  if ((o.cert && !o.key) || (!o.cert && o.key)) throw new EtcdConfigError('--cert and --key go together: give both or neither');
  const ca = readPem(o.cacert, '--cacert');
  const key = readPem(o.key, '--key');
  const cert = readPem(o.cert, '--cert');
  return grpc.credentials.createSsl(ca, key, cert, o.insecureSkipTlsVerify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {});
}

/** Options for the `etcd3` package's high-level client (Etcd3), with the same TLS and auth. */
export function etcd3Options(o: EtcdConnectionOptions): IOptions {
  const tls = tlsConfigured(o);
  const hosts = o.endpoints.map((e) => {
    const p = parseEndpoint(e, tls);
    return `${p.secure ? 'https' : 'http'}://${p.address}`;
  });
  const ca = readPem(o.cacert, '--cacert');
  return {
    hosts,
    dialTimeout: o.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS,
    ...(ca || o.cert ? { credentials: { rootCertificate: ca ?? Buffer.alloc(0), privateKey: readPem(o.key, '--key') ?? undefined, certChain: readPem(o.cert, '--cert') ?? undefined } } : {}),
    ...(o.user !== undefined ? { auth: { username: o.user, password: o.password ?? '' } } : {}),
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + (o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS) }),
  };
}

// ---- the gRPC services ---------------------------------------------------------------------

export type ServiceName = 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance' | 'Auth';
const SERVICES: ServiceName[] = ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance', 'Auth'];
/** One RPC: its path and its codec (encoding options below). */
type EtcdMethod = grpc.ServiceDefinition[string];

let methods: Map<string, EtcdMethod> | undefined;

/** etcd's RPCs by `Service.method` (method as grpc-js names it: range, memberList), loaded once from etcd's rpc.proto (shipped in the etcd3 package). */
function etcdMethods(): Map<string, EtcdMethod> {
  if (methods) return methods;
  const require = createRequire(import.meta.url);
  const protoDir = path.join(path.dirname(require.resolve('etcd3/package.json')), 'proto');
  const def = protoLoader.loadSync(path.join(protoDir, 'rpc.proto'), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [protoDir],
  });
  const loaded = new Map<string, EtcdMethod>();
  for (const service of SERVICES) {
    const d = def[`etcdserverpb.${service}`];
    // Messages and enums carry a `format`; a service is a map of methods.
    if (!d || 'format' in d) throw new Error(`etcd's rpc.proto (${protoDir}) has no service etcdserverpb.${service}`);
    const rpcs: grpc.ServiceDefinition = d;
    for (const [name, m] of Object.entries(rpcs)) loaded.set(`${service}.${m.originalName ?? name}`, m);
  }
  methods = loaded;
  return loaded;
}

/** One of etcd's RPCs with its generic codec (exported for tests that compare a hand-written decoder with it). */
export function etcdMethod(service: ServiceName, method: string): EtcdMethod {
  const m = etcdMethods().get(`${service}.${method}`);
  if (!m) throw new Error(`etcd has no RPC ${service}.${method}`);
  return m;
}

/**
 * Enum values on the wire. The rpc.proto copy loaded here (etcd3's) spells enum names in
 * CamelCase (Put, NotEqual, Nospace) where etcd's own proto uses PUT, NOT_EQUAL, NOSPACE;
 * protobufjs encodes an unknown name silently as 0. So requests send numbers (from etcd's
 * canonical names, which the typed API uses) and responses are turned back into those names.
 */
const ENUM_NUMBERS: Record<string, Record<string, number>> = {
  result: { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 },
  target: { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 },
  sort_order: { NONE: 0, ASCEND: 1, DESCEND: 2 },
  sort_target: { KEY: 0, VERSION: 1, CREATE: 2, MOD: 3, VALUE: 4 },
  filters: { NOPUT: 0, NODELETE: 1 },
};

function enumNumber(field: string, value: unknown): unknown {
  return typeof value === 'string' && ENUM_NUMBERS[field]?.[value] !== undefined ? ENUM_NUMBERS[field][value] : value;
}

/** "NotEqual" -> "NOT_EQUAL", "Nospace" -> "NOSPACE", "PUT" -> "PUT". */
export function canonicalEnum(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

function encodeTxn(req: TxnRequest) {
  if (!Array.isArray(req.compare)) return req;
  return { ...req, compare: req.compare.map((c) => ({ ...c, result: enumNumber('result', c.result), target: enumNumber('target', c.target) })) };
}

function encodeRange(req: RangeRequest) {
  return { ...req, sort_order: enumNumber('sort_order', req.sort_order), sort_target: enumNumber('sort_target', req.sort_target) };
}

function encodeWatchRequest(req: WatchRequest) {
  const filters = req.create_request?.filters;
  if (!req.create_request || !filters) return req;
  return { ...req, create_request: { ...req.create_request, filters: filters.map((f) => enumNumber('filters', f)) } };
}

function decodeWatchResponse(res: WatchResponse): WatchResponse {
  for (const e of res.events ?? []) if (typeof e.type === 'string') e.type = canonicalEnum(e.type) === 'DELETE' ? 'DELETE' : 'PUT';
  return res;
}

const ALARMS: ReadonlyArray<AlarmMember['alarm']> = ['NONE', 'NOSPACE', 'CORRUPT'];

function isAlarm(name: string): name is AlarmMember['alarm'] {
  return ALARMS.some((a) => a === name);
}

// Message shapes (the subset upkeep uses; fields as in rpc.proto / kv.proto).
export interface ResponseHeader {
  cluster_id: string;
  member_id: string;
  revision: string;
  raft_term: string;
}
export interface KeyValue {
  key: Buffer;
  create_revision: string;
  mod_revision: string;
  version: string;
  value: Buffer;
  lease: string;
}
export interface RangeRequest {
  key: Buffer;
  range_end?: Buffer;
  limit?: number | string;
  revision?: number | string;
  serializable?: boolean;
  keys_only?: boolean;
  count_only?: boolean;
  sort_order?: 'NONE' | 'ASCEND' | 'DESCEND';
  sort_target?: 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';
}
export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: string;
}
export interface PutRequest {
  key: Buffer;
  value: Buffer;
  lease?: number | string;
  prev_kv?: boolean;
  ignore_value?: boolean;
  ignore_lease?: boolean;
}
export interface PutResponse {
  header: ResponseHeader;
  prev_kv: KeyValue | null;
}
export interface DeleteRangeRequest {
  key: Buffer;
  range_end?: Buffer;
  prev_kv?: boolean;
}
export interface DeleteRangeResponse {
  header: ResponseHeader;
  deleted: string;
  prev_kvs: KeyValue[];
}
export interface Compare {
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';
  key: Buffer;
  range_end?: Buffer;
  version?: number | string;
  create_revision?: number | string;
  mod_revision?: number | string;
  value?: Buffer;
  lease?: number | string;
}
export interface RequestOp {
  request_range?: RangeRequest;
  request_put?: PutRequest;
  request_delete_range?: DeleteRangeRequest;
  request_txn?: TxnRequest;
}
export interface ResponseOp {
  response?: 'response_range' | 'response_put' | 'response_delete_range' | 'response_txn';
  response_range?: RangeResponse;
  response_put?: PutResponse;
  response_delete_range?: DeleteRangeResponse;
  response_txn?: TxnResponse;
}
export interface TxnRequest {
  compare?: Compare[];
  success?: RequestOp[];
  failure?: RequestOp[];
}
export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}
export interface CompactionRequest {
  revision: number | string;
  physical?: boolean;
}
export interface LeaseGrantResponse {
  header: ResponseHeader;
  ID: string;
  TTL: string;
  error: string;
}
export interface WatchCreateRequest {
  key: Buffer;
  range_end?: Buffer;
  start_revision?: number | string;
  progress_notify?: boolean;
  filters?: Array<'NOPUT' | 'NODELETE'>;
  prev_kv?: boolean;
  watch_id?: number | string;
  fragment?: boolean;
}
export interface WatchRequest {
  create_request?: WatchCreateRequest;
  cancel_request?: { watch_id: number | string };
  progress_request?: Record<string, never>;
}
export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  prev_kv: KeyValue | null;
}
export interface WatchResponse {
  header: ResponseHeader;
  watch_id: string;
  created: boolean;
  canceled: boolean;
  compact_revision: string;
  cancel_reason: string;
  fragment: boolean;
  events: WatchEvent[];
}
export interface LeaseKeepAliveRequest {
  ID: number | string;
}
export interface LeaseKeepAliveResponse {
  header: ResponseHeader;
  ID: string;
  TTL: string;
}
export interface StatusResponse {
  header: ResponseHeader;
  version: string;
  dbSize: string;
  leader: string;
  raftIndex: string;
  raftTerm: string;
  raftAppliedIndex: string;
  errors: string[];
  dbSizeInUse: string;
  isLearner: boolean;
}
export interface Member {
  ID: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}
export interface MemberListResponse {
  header: ResponseHeader;
  members: Member[];
}
export interface AlarmMember {
  memberID: string;
  alarm: 'NONE' | 'NOSPACE' | 'CORRUPT';
}
export interface AlarmResponse {
  header: ResponseHeader;
  alarms: AlarmMember[];
}
export interface SnapshotResponse {
  header: ResponseHeader | null;
  remaining_bytes: string;
  blob: Buffer;
  /** etcd 3.6+: the storage version (absent from 3.4's proto: undefined). */
  version?: string;
}

export interface CallOptions {
  /** Overrides --command-timeout for this call; 0: none. */
  timeoutMs?: number;
}

/** Channel options for every connection to etcd. */
const CHANNEL_OPTIONS: grpc.ClientOptions = {
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  // etcd's server refuses pings more often than every 5s (--grpc-keepalive-min-time).
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 6_000,
  'grpc.use_local_subchannel_pool': 1,
  'grpc.initial_reconnect_backoff_ms': 200,
  // HTTP/2's default 64 KiB window makes a snapshot stream wait on round trips; etcd's server
  // (grpc-go) sizes its windows to the bandwidth, so give the client room too.
  'grpc-node.flow_control_window': 16 << 20,
  'grpc.enable_channelz': 0,
  'grpc.max_reconnect_backoff_ms': 2_000,
};

/** A connection to one etcd endpoint: every service on one channel. */
export class EtcdClient {
  readonly endpoint: string;
  readonly address: string;
  readonly options: EtcdConnectionOptions;
  private channel: grpc.Client | undefined;
  private readonly credentials: grpc.ChannelCredentials;
  private metadata = new grpc.Metadata();
  private closed = false;

  private constructor(options: EtcdConnectionOptions, endpoint: string) {
    this.options = options;
    this.endpoint = endpoint;
    const parsed = parseEndpoint(endpoint, tlsConfigured(options));
    this.address = parsed.address;
    this.credentials = channelCredentials(options, parsed);
  }

  /** Connect to one endpoint (default: the first) within the dial timeout, and log in when a user is set. */
  static async connect(options: EtcdConnectionOptions, endpoint = options.endpoints[0]): Promise<EtcdClient> {
    const c = new EtcdClient(options, endpoint);
    try {
      await c.dial();
      if (options.user !== undefined) await c.authenticate();
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  private client(): grpc.Client {
    if (this.closed) throw new EtcdError(`etcd client for ${this.endpoint} is closed`, this.endpoint);
    this.channel ??= new grpc.Client(this.address, this.credentials, CHANNEL_OPTIONS);
    return this.channel;
  }

  private dial(): Promise<void> {
    const timeout = this.options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
    const c = this.client();
    const status = etcdMethod('Maintenance', 'status');
    return new Promise((resolve, reject) => {
      c.waitForReady(Date.now() + (timeout || 3_600_000), (err) => {
        if (!err) return resolve();
        // waitForReady says only "deadline"; a fail-fast call tells why (refused, TLS, DNS).
        c.makeUnaryRequest(status.path, status.requestSerialize, status.responseDeserialize, {}, new grpc.Metadata(), { deadline: Date.now() + 1000 }, (e) => {
          const why = e ? cleanDetails(e.details) : 'not ready';
          reject(new EtcdError(`cannot connect to etcd at ${this.endpoint} within ${formatMs(timeout)} (--dial-timeout): ${why}`, this.endpoint, e?.code ?? grpc.status.UNAVAILABLE, e?.details));
        });
      });
    });
  }

  private async authenticate(): Promise<void> {
    const res = await this.unaryRaw<{ token: string }>('Auth', 'authenticate', { name: this.options.user, password: this.options.password ?? '' }, {}, new grpc.Metadata());
    const md = new grpc.Metadata();
    md.set('token', res.token);
    this.metadata = md;
  }

  private callOptions(opts: CallOptions): grpc.CallOptions {
    const t = opts.timeoutMs ?? this.options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    return t > 0 ? { deadline: Date.now() + t } : {};
  }

  private unaryRaw<Res>(service: ServiceName, method: string, req: unknown, opts: CallOptions, md: grpc.Metadata): Promise<Res> {
    const m = etcdMethod(service, method);
    const c = this.client();
    const timeout = opts.timeoutMs ?? this.options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      c.makeUnaryRequest<unknown, Res>(m.path, m.requestSerialize, m.responseDeserialize, req, md, this.callOptions(opts), (err, res) => {
        if (err) reject(this.translate(err, `${service}.${method}`, timeout));
        else if (res === undefined) reject(new EtcdError(`etcd at ${this.endpoint}: ${service}.${method}: no response`, this.endpoint));
        else resolve(res);
      });
    });
  }

  /** One unary call with the command timeout; logs in again once when the auth token expired. */
  async unary<Res>(service: ServiceName, method: string, req: unknown, opts: CallOptions = {}): Promise<Res> {
    try {
      return await this.unaryRaw<Res>(service, method, req, opts, this.metadata);
    } catch (e) {
      if (this.options.user !== undefined && e instanceof EtcdError && /invalid auth token/.test(e.details ?? '')) {
        await this.authenticate();
        return this.unaryRaw<Res>(service, method, req, opts, this.metadata);
      }
      throw e;
    }
  }

  /** A server stream (no deadline unless given). */
  serverStream<Res>(service: ServiceName, method: string, req: unknown, options: grpc.CallOptions = {}): grpc.ClientReadableStream<Res> {
    const m = etcdMethod(service, method);
    return this.client().makeServerStreamRequest<unknown, Res>(m.path, m.requestSerialize, m.responseDeserialize, req, this.metadata, options);
  }

  /** A bidirectional stream (no deadline unless given); encode and decode adapt the messages on the wire. */
  duplex<Req, Res>(service: ServiceName, method: string, options: grpc.CallOptions = {}, encode: (req: Req) => unknown = (r) => r, decode: (res: Res) => Res = (r) => r): grpc.ClientDuplexStream<Req, Res> {
    const m = etcdMethod(service, method);
    return this.client().makeBidiStreamRequest<Req, Res>(
      m.path,
      (req) => m.requestSerialize(encode(req)),
      (bytes) => decode(m.responseDeserialize(bytes)),
      this.metadata,
      options,
    );
  }

  /** A gRPC error as one line that names the endpoint and what to do. */
  translate(err: grpc.ServiceError, what: string, timeoutMs = this.options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS): EtcdError {
    const details = cleanDetails(err.details);
    let msg: string;
    switch (err.code) {
      case grpc.status.DEADLINE_EXCEEDED:
        msg = `etcd at ${this.endpoint} did not answer ${what} within ${formatMs(timeoutMs)} (--command-timeout)`;
        break;
      case grpc.status.UNAVAILABLE:
        msg = `etcd at ${this.endpoint} is unavailable: ${details}`;
        break;
      default: {
        // etcd 3.4 reports a missing login on snapshots as "auth: user name is empty" with code Unknown.
        const auth = /user name is empty|authentication failed|invalid auth token|permission denied/i.test(details);
        const refused = auth || [grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED, grpc.status.INVALID_ARGUMENT, grpc.status.FAILED_PRECONDITION].includes(err.code);
        msg = refused ? `etcd at ${this.endpoint} refused ${what}: ${details}` : `etcd at ${this.endpoint}: ${what}: ${details}`;
        if (/user name is empty/.test(details)) msg += ' (give --user)';
        else if (/authentication failed/.test(details)) msg += ' (check --user and --password)';
      }
    }
    return new EtcdError(msg, this.endpoint, err.code, err.details);
  }

  // ---- typed helpers -----------------------------------------------------------------------

  range(req: RangeRequest, opts?: CallOptions): Promise<RangeResponse> {
    return this.unary('KV', 'range', encodeRange(req), opts);
  }
  put(req: PutRequest, opts?: CallOptions): Promise<PutResponse> {
    return this.unary('KV', 'put', req, opts);
  }
  deleteRange(req: DeleteRangeRequest, opts?: CallOptions): Promise<DeleteRangeResponse> {
    return this.unary('KV', 'deleteRange', req, opts);
  }
  txn(req: TxnRequest, opts?: CallOptions): Promise<TxnResponse> {
    return this.unary('KV', 'txn', encodeTxn(req), opts);
  }
  compact(req: CompactionRequest, opts?: CallOptions): Promise<{ header: ResponseHeader }> {
    return this.unary('KV', 'compact', req, opts);
  }
  leaseGrant(ttlSeconds: number, opts?: CallOptions): Promise<LeaseGrantResponse> {
    return this.unary('Lease', 'leaseGrant', { TTL: ttlSeconds, ID: 0 }, opts);
  }
  leaseRevoke(id: string, opts?: CallOptions): Promise<{ header: ResponseHeader }> {
    return this.unary('Lease', 'leaseRevoke', { ID: id }, opts);
  }
  leaseKeepAlive(): grpc.ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse> {
    return this.duplex('Lease', 'leaseKeepAlive');
  }
  watch(): grpc.ClientDuplexStream<WatchRequest, WatchResponse> {
    // Requests: filter names to numbers; responses: event types back to PUT/DELETE.
    return this.duplex<WatchRequest, WatchResponse>('Watch', 'watch', {}, encodeWatchRequest, decodeWatchResponse);
  }
  status(opts?: CallOptions): Promise<StatusResponse> {
    return this.unary('Maintenance', 'status', {}, opts);
  }
  async alarmList(opts?: CallOptions): Promise<AlarmResponse> {
    // action GET = 0, alarm NONE = 0 (numbers: see ENUM_NUMBERS).
    const res = await this.unary<AlarmResponse>('Maintenance', 'alarm', { action: 0, memberID: 0, alarm: 0 }, opts);
    for (const a of res.alarms ?? []) {
      const name = canonicalEnum(String(a.alarm));
      if (isAlarm(name)) a.alarm = name;
    }
    return res;
  }
  memberList(opts?: CallOptions): Promise<MemberListResponse> {
    return this.unary('Cluster', 'memberList', { linearizable: false }, opts);
  }
  /** Maintenance.Snapshot: the db in chunks, then one message with its sha256. */
  snapshot(options: grpc.CallOptions = {}): grpc.ClientReadableStream<SnapshotResponse> {
    const m = etcdMethod('Maintenance', 'snapshot');
    // Decoded by hand (snapshot-wire.ts): a large snapshot is tens of thousands of messages.
    return this.client().makeServerStreamRequest<unknown, SnapshotResponse>(m.path, m.requestSerialize, decodeSnapshotResponse, {}, this.metadata, options);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel?.close();
    this.channel = undefined;
  }
}

/**
 * A client on the first endpoint that answers (etcdctl balances over all of them; a store only
 * needs one that works). Throws the last endpoint's error when none does.
 */
export async function createEtcdClient(options: EtcdConnectionOptions): Promise<EtcdClient> {
  let last: unknown;
  for (const e of options.endpoints) {
    try {
      return await EtcdClient.connect(options, e);
    } catch (err) {
      last = err;
      if (err instanceof EtcdConfigError) throw err;
    }
  }
  throw last ?? new EtcdConfigError('no etcd endpoints');
}

/** A member or ID as etcdctl prints it: lowercase hex, no padding. */
export function hexId(id: string | number | bigint): string {
  return BigInt(id).toString(16);
}

export function formatMs(ms: number): string {
  if (ms === 0) return 'no time limit';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${+(ms / 1000).toFixed(3)}s`;
  return `${ms}ms`;
}

function cleanDetails(details: string | undefined): string {
  return (
    (details ?? '')
      .replace(/^No connection established\. Last error: /, '')
      .replace(/^Error: /, '')
      .replace(/\.? ?Resolution note:\s*$/, '')
      .trim() || 'no details'
  );
}
