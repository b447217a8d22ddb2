// The machine-output contract: every `-o json|yaml` result is `{apiVersion: upkeep.dev/v1alpha1,
// kind, ...}` with the fields below. docs/output.md shows these tables (a test keeps the two the
// same) and the end-to-end tests check real output against them. Conventions for every kind:
// camelCase names, Kubernetes objects as {kind, namespace, name}, durations as Go strings
// ("1m30s") or whole milliseconds in a field ending in Ms, and no YAML anchors or aliases.
import { OUTPUT_API_VERSION } from './format.js';

export type FieldType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'string|null' | 'object|null' | 'number|null';

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** Present in every result of the kind (else only when it applies). */
  required: boolean;
  description: string;
}

export interface KindSpec {
  kind: string;
  /** The commands that print it. */
  commands: string;
  description: string;
  fields: FieldSpec[];
}

const f = (name: string, type: FieldType, description: string, required = true): FieldSpec => ({ name, type, required, description });
const opt = (name: string, type: FieldType, description: string): FieldSpec => f(name, type, description, false);

export const OUTPUT_KINDS: readonly KindSpec[] = [
  {
    kind: 'Version',
    commands: 'upkeep version',
    description: "upkeep's version and the Node.js it runs on.",
    fields: [f('upkeepVersion', 'string', 'upkeep, as in package.json: 0.1.0'), f('nodeVersion', 'string', 'Node.js: v20.19.0')],
  },
  {
    kind: 'NodeCordonList',
    commands: 'upkeep cordon, upkeep uncordon',
    description: 'One item per node: whether it changed, or why upkeep refused.',
    fields: [f('items', 'array', 'per node: `object` {kind: Node, name}, `unschedulable` (the state asked for), `changed`, `dryRun` (none, client, server), `refused` (why, when refused)')],
  },
  {
    kind: 'SandboxNode',
    commands: 'upkeep sandbox node down|up|reboot|upgrade|add|remove|fault',
    description: "A sandbox node's simulated machine after the operation.",
    fields: [
      f('object', 'object', '{kind: Node, name}'),
      f('up', 'boolean', 'the kubelet runs'),
      f('version', 'string', "the kubelet's version"),
      opt('machine', 'string', 'add, remove, fault: running, down or removed'),
      opt('notReady', 'boolean', 'add, remove, fault: the kubelet runs but reports NotReady'),
      opt('faults', 'object', 'add, remove, fault: the faults armed: neverReturn, notReady, upgradeSeconds'),
    ],
  },
  {
    kind: 'SandboxControlPlane',
    commands: 'upkeep sandbox control-plane upgrade',
    description: "The sandbox control plane's version after the upgrade.",
    fields: [f('version', 'string', 'the Kubernetes version of the control plane: v1.32.0')],
  },
  {
    kind: 'DrainImpact',
    commands: 'upkeep drain --dry-run=client',
    description: "What a drain would do, before it does anything: every pod's fate, every workload's availability, every budget.",
    fields: [
      f('options', 'object', 'the drain options, named after the flags'),
      f('nodes', 'array', 'per node: `name`, `cordoned`, `refused`, `errors`, `warnings`, `pods` (namespace, name, fate, action, reason), `counts`'),
      f('workloads', 'array', 'per workload: kind, namespace, name, replicas, and its verdict (stays available, goes down, ...)'),
      f('podDisruptionBudgets', 'array', 'per budget: namespace, name, disruptions allowed now and during the drain'),
      f('overlappingBudgets', 'array', 'pods covered by more than one budget (the eviction API refuses them)'),
      f('longestGracePeriod', 'object|null', 'the longest terminationGracePeriodSeconds among the pods removed: {seconds, pod}'),
      f('verdict', 'string', 'ok, blocked (a node is refused), will-fail (overlapping budgets), will-wait (a budget makes it wait), never (a budget can never allow the evictions and --surge does not help: exit 3)'),
      f('refusedNodes', 'array', 'nodes kubectl would refuse to drain (names)'),
      f('blockingBudgets', 'array', 'budgets that refuse an eviction now'),
      f('neverAllowingBudgets', 'array', 'blocking budgets that can never allow the evictions (maxUnavailable 0, minAvailable equal to the replicas), --surge not helping'),
      f('surgePlan', 'array', 'what --surge would do: per Deployment whose only ready replicas are on the drained nodes, `workload` {kind, namespace, name}, `from` and `to` replicas, `podDisruptionBudgets`; budgets it resolves have `surgeResolves: true`'),
      f('notReadyNodes', 'array', 'drained nodes whose Ready condition is not True (evicted pods stay terminating)'),
      f('hints', 'array', 'the flags that would get the drain through, each {flag, why}'),
      f('counts', 'object', 'totals: pods, per fate, workloads going down or lost, blocking budgets'),
      f('auditFindings', 'array', "the audit of the pods to be drained (AuditReport's findings): severity, code, object, message, fix"),
    ],
  },
  {
    kind: 'DrainResult',
    commands: 'upkeep drain, upkeep drain --dry-run=server',
    description: 'What a drain did, per node; the names are those of DrainImpact.',
    fields: [
      f('nodes', 'array', 'per node: `name`, `status` (drained, refused, timeout, failed, blocked), `state` in words, `evicted` and `pendingPods` like {kind: Pod, namespace, name}, `blockingBudgets` like {kind: PodDisruptionBudget, namespace, name}, `needs` (flags that would get past what stopped it), `notReady` (with --wait-ready)'),
      f('ok', 'boolean', 'every node drained'),
      opt('continueWith', 'array', 'the command that continues from here, as arguments'),
    ],
  },
  {
    kind: 'UpgradePlan',
    commands: 'upkeep plan',
    description: 'The upgrade, one control-plane minor at a time, within the version skew policy.',
    fields: [
      f('current', 'object', 'the version the cluster runs'),
      f('target', 'object|null', 'the version planned to (null: none known)'),
      f('hops', 'array', 'one per minor: the version, the components in kubeadm order, and the checks'),
      f('findings', 'array', 'severity (blocking, warning, info), code, object, message, fix'),
      f('blocking', 'boolean', 'some finding blocks the upgrade (exit 3)'),
      f('releasesAsOf', 'string', 'the date of the release table used'),
      f('nodes', 'array', 'per node: name, controlPlane, kubeletVersion, osImage'),
      opt('removedApiUsages', 'array', 'objects stored in API versions the target no longer serves'),
    ],
  },
  {
    kind: 'AuditReport',
    commands: 'upkeep audit',
    description: 'The checks run before maintenance and what they found, by severity (exit 3 at or above --fail-on, after printing).',
    fields: [
      f('checks', 'array', 'the checks run: images, availability, nodes, certs, permissions'),
      f('scope', 'object', '`namespace` (with -n), `allNamespaces`, `selector` (with -l)'),
      opt('for', 'string', 'the maintenance named with --for: drain, upgrade, backup or restore'),
      f('findings', 'array', 'blocking first, then warning, then info: severity, code, object, message, fix'),
      f('counts', 'object', 'findings per severity: blocking, warning, info'),
      opt('images', 'array', 'audit images: every container with its image, digest and pull policy'),
      opt('certificates', 'array', 'audit certs: every certificate read (kubeadm\'s first) with its expiry'),
    ],
  },
  {
    kind: 'UpgradeSteps',
    commands: 'upkeep upgrade apply --dry-run',
    description: 'Every step of an upgrade in the order it runs, changing nothing.',
    fields: [
      f('target', 'string', 'the version upgraded to: v1.32.4'),
      f('impact', 'object', 'the cost of the strategy: `strategy`, `maxUnavailable` (workers down at once), `downtime`, `summary`'),
      f('steps', 'array', 'per step: id, wave, hop, kind, node, role, from, to, drain'),
      f('blocking', 'array', "the plan's blocking findings (exit 3): severity, code, object, message, fix"),
      opt('nodeGroups', 'array', "a managed cluster's node groups with kubelets behind, which the provider upgrades and this run does not: `name`, `kind` (eks-managed, eksctl, gke-node-pool, aks-node-pool), `nodes`, `command` (the provider's)"),
      opt('etcdSnapshot', 'object', 'the snapshot the run would take first: `take`, `file` (or `directory` when the file is named after the run), `endpoint` (the etcd that answered), `skipped` (why none, or why the run would stop), `stops` (true: the run would stop before any change)'),
    ],
  },
  {
    kind: 'MaintenanceSteps',
    commands: 'upkeep node maintain --dry-run',
    description: 'Every step of a node maintenance in the order it runs, changing nothing.',
    fields: [
      f('impact', 'object', 'the cost of the strategy: `strategy`, `maxUnavailable`, `downtime`, `summary`'),
      f('steps', 'array', 'per step: id, wave, kind (maintain), node, role, from, to, drain'),
    ],
  },
  {
    kind: 'UpgradeEvent',
    commands: 'upkeep upgrade apply, upkeep upgrade resume, upkeep node maintain',
    description: 'One JSON line per event while a run goes (JSON Lines, then an UpgradeResult). The fields besides `at` and `type` depend on the type.',
    fields: [
      f('at', 'string', 'RFC 3339 time of the event'),
      f('type', 'string', 'wave, phase, line, waiting, gate-failed or step-done'),
      opt('wave', 'number', 'wave: its number'),
      opt('nodes', 'array', 'wave: the node names in it'),
      opt('step', 'number', 'phase, gate-failed, step-done: the step id'),
      opt('node', 'string', 'the node (every type but wave)'),
      opt('phase', 'string', 'phase: the phase entered (draining, upgrading, waiting-ready, ...)'),
      opt('line', 'string', 'line: a line of the upgrader\'s output'),
      opt('for', 'string', 'waiting: what the node waits for'),
      opt('gate', 'string', 'gate-failed: the gate'),
      opt('message', 'string', 'gate-failed: why'),
      opt('state', 'string', 'gate-failed: the state the node is left in'),
      opt('ms', 'number', 'step-done: whole milliseconds the step took'),
      opt('evicted', 'number', 'step-done: pods evicted'),
      opt('phases', 'object', 'step-done: whole milliseconds per phase'),
    ],
  },
  {
    kind: 'UpgradeResult',
    commands: 'upkeep upgrade apply, upkeep upgrade resume, upkeep node maintain',
    description: 'How a run ended (the last line of its JSON Lines), with its journal.',
    fields: [
      f('result', 'string', 'done, failed (a gate stopped it: exit 3), aborted or interrupted (exit 1)'),
      opt('message', 'string', 'failed: the gate, the node, its state, and the command that continues'),
      f('journal', 'object', 'the journal as kept in kube-system/upkeep-upgrade: operation, id, state, target, strategy, options, startedAt, updatedAt, holder, etcdSnapshot (file, endpoint, revision, size, sha256, savedAt; or skipped: why none), steps (each with its phase)'),
    ],
  },
  {
    kind: 'UpgradeStatus',
    commands: 'upkeep upgrade status',
    description: 'The journal of the current or last run, and who holds the run.',
    fields: [
      f('journal', 'object|null', 'as in UpgradeResult (null: no run yet)'),
      f('holder', 'string|null', 'the holder of the run\'s Lease (null: nobody)'),
    ],
  },
  {
    kind: 'EtcdDiscovery',
    commands: 'upkeep etcd discover',
    description: "Where the cluster's etcd is, found through the Kubernetes API.",
    fields: [
      f('context', 'string', 'the kubeconfig context asked'),
      f('server', 'string', 'its API server'),
      f('topology', 'string', 'stacked, external or unknown'),
      f('reason', 'string', 'how upkeep knows'),
      f('members', 'array', 'etcd static pods: node, name, client URLs, data dir'),
      f('apiservers', 'array', 'API servers with their --etcd-servers'),
      f('endpoints', 'array', 'client URLs to use'),
      opt('cacert', 'string', 'CA file on the control-plane node'),
      opt('cert', 'string', 'client certificate file'),
      opt('key', 'string', 'client key file'),
      opt('runOn', 'string', 'the node to run the commands on'),
      opt('saveCommand', 'string', 'the upkeep command that saves a snapshot'),
      opt('etcdctlCommand', 'string', 'the same with etcdctl'),
      opt('membersCommand', 'string', 'the command that lists the members'),
      f('warnings', 'array', 'what upkeep could not find out'),
    ],
  },
  {
    kind: 'EtcdSnapshot',
    commands: 'upkeep etcd snapshot save',
    description: 'A snapshot saved and its sha256 verified.',
    fields: [
      f('file', 'string', 'where it was written'),
      f('endpoint', 'string', 'the member it came from'),
      f('size', 'number', 'bytes written'),
      opt('dbSize', 'number', "the member's database size as it reported it"),
      f('sha256', 'string', "the digest etcd appended, verified"),
      opt('revision', 'number', 'the revision of the snapshot'),
      opt('memberId', 'string', 'the member, in hex'),
      opt('version', 'string', "the member's etcd version"),
      f('elapsedMs', 'number', 'whole milliseconds the save took'),
    ],
  },
  {
    kind: 'EtcdSnapshotRestore',
    commands: 'upkeep etcd snapshot restore',
    description: 'The new data directory a snapshot was restored into.',
    fields: [
      f('dataDir', 'string', 'the data directory'),
      f('walDir', 'string', 'the WAL directory'),
      f('db', 'string', 'member/snap/db'),
      f('wal', 'string', 'the first WAL file'),
      f('snap', 'string', 'the raft snapshot file'),
      f('member', 'object', 'name and id (hex) of this member'),
      f('clusterID', 'string', 'the new cluster id (hex)'),
      f('members', 'array', 'every member of --initial-cluster: name, id, peerURLs'),
      f('hashChecked', 'boolean', 'the sha256 was verified'),
      f('revision', 'number', 'the latest revision in the snapshot'),
      f('restoredRevision', 'number', 'the revision after --bump-revision'),
      opt('compactedRevision', 'number', 'with --mark-compacted'),
      f('consistentIndex', 'number', 'the raft index the restored member starts from'),
      f('dbSize', 'number', 'bytes of the restored db'),
    ],
  },
  {
    kind: 'EtcdSnapshotStatus',
    commands: 'upkeep etcd snapshot status',
    description: "A snapshot file's hash, revision, keys and size (etcdctl's JSON fields first, same names and values), then upkeep's checks.",
    fields: [
      f('hash', 'number', "etcd's hash of the key space (etcdctl's)"),
      f('revision', 'number', 'the latest revision'),
      f('totalKey', 'number', 'keys, every revision counted (etcdctl\'s)'),
      f('totalSize', 'number', 'bytes in use (etcdctl\'s)'),
      opt('version', 'string', 'the storage version recorded'),
      f('liveKeys', 'number', 'keys at the latest revision'),
      f('fileSize', 'number', 'bytes of the file'),
      f('sha256', 'object', 'the trailing digest: state (verified, mismatch, missing, skipped), value'),
      f('integrity', 'object', 'the page check: ok, errorCount, errors, warnings'),
      f('pages', 'object', 'page counts by type'),
      f('buckets', 'array', 'per bucket: name, keys, bytes'),
      f('consistentIndex', 'number|null', 'the raft index applied'),
      f('term', 'number|null', 'the raft term'),
      f('compactRevision', 'number|null', 'the last finished compaction'),
      f('scheduledCompactRevision', 'number|null', 'a compaction scheduled, not finished'),
      f('problems', 'array', 'what makes the snapshot unsafe to restore'),
    ],
  },
  {
    kind: 'EtcdMembers',
    commands: 'upkeep etcd members',
    description: 'Members, leader, raft term and index, alarms, and quorum.',
    fields: [
      opt('clusterId', 'string', 'the cluster id (hex)'),
      f('source', 'string', 'the endpoint the member list came from'),
      f('members', 'array', 'per member: id, name, peer and client URLs, learner, status'),
      opt('leader', 'string', "the leader's member id"),
      f('alarms', 'array', 'memberId, member, alarm (NOSPACE, CORRUPT)'),
      f('quorum', 'object', 'voters, reachable voters, quorum size, failures tolerated, hasQuorum'),
      f('endpoints', 'array', 'every endpoint asked for a status'),
      f('warnings', 'array', 'what needs a look'),
    ],
  },
  {
    kind: 'EtcdHealth',
    commands: 'upkeep etcd health',
    description: 'A read committed through raft on every endpoint (etcdctl endpoint health), with alarms and quorum.',
    fields: [
      f('endpoints', 'array', 'per endpoint: endpoint, health, tookMs, error'),
      f('cluster', 'object|null', 'the EtcdMembers fields (null: no endpoint could list the members)'),
      f('healthy', 'boolean', 'every endpoint healthy, no alarm, quorum'),
    ],
  },
  {
    kind: 'Backup',
    commands: 'upkeep backup create',
    description: 'A backup written, all or nothing.',
    fields: [
      f('location', 'string', 'the file or s3:// URL'),
      f('bytes', 'number', 'compressed bytes written'),
      f('elapsedMs', 'number', 'whole milliseconds'),
      f('objects', 'number', 'objects backed up'),
      f('entries', 'number', 'archive entries'),
      f('resources', 'array', 'per resource: group, resource, count'),
      f('failed', 'array', 'groups or resources not read (with --allow-partial)'),
      f('partial', 'boolean', 'something was not read'),
      f('secrets', 'object', 'how Secrets are stored (encrypted or not, to whom)'),
      f('cluster', 'object', 'server and version'),
      f('filters', 'object', 'the namespace, resource and label filters'),
    ],
  },
  {
    kind: 'BackupDescription',
    commands: 'upkeep backup describe',
    description: 'What a backup holds.',
    fields: [
      f('location', 'string', 'the file or s3:// URL'),
      f('compressedBytes', 'number', 'size of the archive'),
      f('writer', 'string', 'upkeep (with a manifest) or velero'),
      f('veleroFormat', 'string', "Velero's format version"),
      opt('upkeepVersion', 'string', 'the upkeep that wrote it'),
      opt('startedAt', 'string', 'RFC 3339'),
      opt('completedAt', 'string', 'RFC 3339'),
      opt('cluster', 'object', 'server and version'),
      opt('filters', 'object', 'the filters it was taken with'),
      f('totals', 'object', 'objects, entries, bytes'),
      f('resources', 'array', 'per resource: counts per namespace'),
      f('failed', 'array', 'what was not read'),
      f('partial', 'boolean', 'something was not read'),
      f('secrets', 'object', 'how Secrets are stored'),
    ],
  },
  {
    kind: 'BackupVerification',
    commands: 'upkeep backup verify',
    description: 'Checksums, and a restore into a scratch cluster compared object by object.',
    fields: [
      f('location', 'string', 'the file or s3:// URL'),
      f('entries', 'number', 'entries checked'),
      f('checksummed', 'boolean', 'false for a Velero tarball (no checksums)'),
      f('problems', 'array', 'entries whose sha256 differs or that are missing'),
      f('decrypted', 'number', 'Secret entries opened with the key'),
      opt('restore', 'object', 'the scratch restore: result, compared, leftToCluster, differences'),
      f('ok', 'boolean', 'no problem and no difference'),
    ],
  },
  {
    kind: 'BackupDiff',
    commands: 'upkeep backup diff',
    description: 'The live cluster against a backup.',
    fields: [
      f('location', 'string', 'the file or s3:// URL'),
      opt('backupTakenAt', 'string', 'RFC 3339'),
      f('changes', 'array', 'per object: change (added, removed, changed), groupResource, object, paths'),
      f('counts', 'object', 'added, removed, changed, unchanged'),
      f('unserved', 'array', 'archived resources the cluster no longer serves'),
      f('notCompared', 'array', 'groupResource and reason'),
    ],
  },
  {
    kind: 'BackupRestore',
    commands: 'upkeep backup restore',
    description: 'What a restore created, updated and skipped, per resource.',
    fields: [
      f('location', 'string', 'the file or s3:// URL'),
      f('dryRun', 'boolean', 'sent with dryRun=All'),
      f('velero', 'boolean', 'a Velero tarball'),
      f('checksummed', 'boolean', 'the checksums were verified'),
      f('resources', 'array', 'per resource: created, updated, unchanged, skipped, failed'),
      f('totals', 'object', 'created, updated, unchanged, skipped, failed'),
      f('ownerReferences', 'object', 'relinked and dropped'),
      f('elapsedMs', 'number', 'whole milliseconds'),
    ],
  },
];

export function kindSpec(kind: string): KindSpec | undefined {
  return OUTPUT_KINDS.find((k) => k.kind === kind);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Numbers that are not whole milliseconds where durations are (`...Ms`, `...Seconds`). */
function durationProblems(v: unknown, at: string, out: string[]): void {
  if (Array.isArray(v)) v.forEach((x, i) => durationProblems(x, `${at}[${i}]`, out));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'number' && /(Ms|Seconds|^ms|^seconds)$/.test(k) && !Number.isInteger(x)) out.push(`${at}.${k}: ${x} is not a whole number`);
      durationProblems(x, `${at}.${k}`, out);
    }
  }
}

/** What in `doc` breaks the contract (empty: none). */
export function contractProblems(doc: unknown): string[] {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return [`not an object: ${typeOf(doc)}`];
  const fields = new Map(Object.entries(doc));
  const problems: string[] = [];
  if (fields.get('apiVersion') !== OUTPUT_API_VERSION) problems.push(`apiVersion is ${JSON.stringify(fields.get('apiVersion'))}, not ${OUTPUT_API_VERSION}`);
  const kind = fields.get('kind');
  const spec = typeof kind === 'string' ? kindSpec(kind) : undefined;
  if (!spec) return [...problems, `kind ${JSON.stringify(kind)} is not in docs/output.md`];
  for (const field of spec.fields) {
    if (!fields.has(field.name) || fields.get(field.name) === undefined) {
      if (field.required) problems.push(`${spec.kind}.${field.name} is missing`);
      continue;
    }
    const t = typeOf(fields.get(field.name));
    if (!field.type.split('|').includes(t)) problems.push(`${spec.kind}.${field.name} is ${t}, not ${field.type}`);
  }
  for (const name of fields.keys()) {
    if (name !== 'apiVersion' && name !== 'kind' && !spec.fields.some((x) => x.name === name)) problems.push(`${spec.kind}.${name} is not documented`);
  }
  durationProblems(doc, spec.kind, problems);
  return problems;
}

/** The Markdown section of one kind, as docs/output.md has it. */
export function kindMarkdown(spec: KindSpec): string {
  const rows = spec.fields.map((x) => `| \`${x.name}\` | ${x.type} | ${x.required ? 'yes' : 'no'} | ${x.description} |`);
  return [`## ${spec.kind}`, '', `Printed by \`${spec.commands.split(', ').join('`, `')}\`. ${spec.description}`, '', '| field | type | always | meaning |', '|---|---|---|---|', ...rows, ''].join('\n');
}
