// Text renderings of `upkeep backup ...` results (the domain returns data; -o json prints it).
import type { CreateResult } from '../../backup/create.js';
import type { BackupDescription } from '../../backup/describe.js';
import type { DiffResult } from '../../backup/diff.js';
import type { RestoreResult } from '../../backup/restore/restore.js';
import type { VerifyResult } from '../../backup/verify.js';
import { table, tabwrite } from './table.js';

/** 1.2 MB, 340 kB (SI, as etcdctl and kubectl print sizes). */
export function humanBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

export function renderCreated(r: CreateResult): string {
  const m = r.manifest;
  const lines = [
    `Backup written to ${r.location}: ${m.totals.objects} objects of ${m.resources.length} resources, ${humanBytes(r.compressedBytes)} in ${seconds(r.elapsedMs)}`,
  ];
  if (m.secrets.protection === 'age') lines.push(`Secrets encrypted with age (${m.secrets.encryptedEntries / 2} Secrets)`);
  else if (m.resources.some((x) => x.groupResource === 'secrets')) lines.push('Secrets are stored as the API returns them (base64, not encrypted): keep the file private, or use --encrypt-secrets');
  for (const f of m.failed) lines.push(`Warning: ${f.what} is not in the backup (${f.kind} failed): ${f.message}`);
  return lines.join('\n') + '\n';
}

export function renderDescription(d: BackupDescription, details: boolean): string {
  const head: [string, string][] = [
    ['Archive:', `${d.location} (${humanBytes(d.compressedBytes)})`],
    ['Written by:', d.writer === 'upkeep' ? `upkeep ${d.upkeepVersion ?? ''} (format ${d.veleroFormat}, checksummed)` : `Velero (format ${d.veleroFormat}; no upkeep manifest, no checksums)`],
  ];
  if (d.startedAt) head.push(['Taken:', `${d.startedAt} .. ${d.completedAt}`]);
  if (d.cluster) head.push(['Cluster:', `${d.cluster.server} (${d.cluster.version})`]);
  if (d.filters) head.push(['Filters:', describeFilters(d)]);
  head.push(['Objects:', `${d.totals.objects} in ${d.resources.length} resources (${d.totals.entries} entries)`]);
  head.push(['Secrets:', d.secrets.protection === 'age' ? `encrypted with age to ${d.secrets.recipients?.length ? d.secrets.recipients.join(', ') : 'a passphrase'}` : 'not encrypted']);
  head.push(['Complete:', d.partial ? `no: ${d.failed.length} groups or resources could not be read` : 'yes']);
  let text = tabwrite(head);
  for (const f of d.failed) text += `  ${f.what}: ${f.message}\n`;
  text += '\n';
  const rows = d.resources.map((r) => [r.groupResource, r.kind ?? '', r.count, namespacesCell(r.namespaces, details)]);
  text += table(['RESOURCE', 'KIND', 'OBJECTS', 'NAMESPACES'], rows);
  return text;
}

function describeFilters(d: BackupDescription): string {
  const f = d.filters!;
  const parts: string[] = [];
  if (f.includeNamespaces.length) parts.push(`namespaces ${f.includeNamespaces.join(',')}`);
  if (f.excludeNamespaces.length) parts.push(`not namespaces ${f.excludeNamespaces.join(',')}`);
  if (f.includeResources.length) parts.push(`resources ${f.includeResources.join(',')}`);
  if (f.excludeResources.length) parts.push(`not resources ${f.excludeResources.join(',')}`);
  if (f.labelSelector) parts.push(`selector ${f.labelSelector}`);
  parts.push(`cluster resources ${f.includeClusterResources}`);
  return parts.join('; ');
}

function namespacesCell(namespaces: Record<string, number>, details: boolean): string {
  const entries = Object.entries(namespaces).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return '';
  if (details || entries.length <= 4) return entries.map(([ns, n]) => `${ns}=${n}`).join(',');
  return `${entries.length} namespaces`;
}

export function renderVerify(v: VerifyResult): string {
  const lines: string[] = [];
  if (!v.checksummed) lines.push(`${v.location}: a Velero archive without checksums: ${v.entries} entries read, integrity not provable`);
  else if (v.problems.length) for (const p of v.problems) lines.push(`entry ${p.entry}: ${p.problem}`);
  else lines.push(`${v.location}: ${v.entries} entries, every checksum matches${v.decrypted ? `; ${v.decrypted} Secret entries decrypted` : ''}`);
  if (v.restore) {
    const r = v.restore;
    lines.push(
      `restored into a scratch cluster: ${r.result.totals.created} created, ${r.result.totals.updated + r.result.totals.unchanged} already there; ` +
        `${r.compared} objects compared, ${r.leftToCluster} left to the cluster by design`,
    );
    for (const d of r.differences) lines.push(`${d.groupResource} ${d.object}: ${d.problem}: ${d.detail}`);
  }
  lines.push(v.ok ? 'verified' : `verification FAILED${v.restore?.differences.length ? `: ${v.restore.differences.length} objects differ` : ''}`);
  return lines.join('\n') + '\n';
}

export function renderRestore(r: RestoreResult): string {
  const verb = r.dryRun ? 'WOULD CREATE' : 'CREATED';
  const rows = r.resources
    .filter((s) => s.created + s.updated + s.unchanged + s.failed.length + Object.keys(s.skipped).length > 0)
    .map((s) => [s.groupResource, s.created, s.updated, s.unchanged, Object.values(s.skipped).reduce((a, b) => a + b, 0), s.failed.length]);
  let text = table(['RESOURCE', verb, r.dryRun ? 'WOULD UPDATE' : 'UPDATED', 'UNCHANGED', 'SKIPPED', 'FAILED'], rows);
  const skipped = new Map<string, number>();
  for (const s of r.resources) for (const [reason, n] of Object.entries(s.skipped)) skipped.set(`${s.groupResource}: ${reason}`, n);
  if (skipped.size) {
    text += '\nSkipped:\n';
    for (const [what, n] of skipped) text += `  ${n} ${what}\n`;
  }
  const failed = r.resources.flatMap((s) => s.failed.map((f) => `  ${s.groupResource} ${f.object}: ${f.reason ? `(${f.reason}) ` : ''}${f.message}`));
  if (failed.length) text += `\nFailed:\n${failed.join('\n')}\n`;
  const t = r.totals;
  text +=
    `\n${r.dryRun ? 'Dry run (nothing written): would create' : 'Restored'} ${t.created}, ${r.dryRun ? 'would update' : 'updated'} ${t.updated}, unchanged ${t.unchanged}, skipped ${t.skipped}, failed ${t.failed} in ${seconds(r.elapsedMs)}` +
    (r.ownerReferences.relinked ? `; ${r.ownerReferences.relinked} ownerReferences linked to the restored owners` : '') +
    (r.velero ? ' (Velero archive: no checksums to check)' : '') +
    '\n';
  return text;
}

export function renderDiff(d: DiffResult): string {
  const notes = d.notCompared.map((n) => `Not compared: ${n.groupResource}: ${n.reason}\n`).join('');
  if (!d.changes.length) return `No changes since the backup${d.backupTakenAt ? ` of ${d.backupTakenAt}` : ''} (${d.counts.unchanged} objects compared)\n${notes}`;
  const rows = d.changes.map((c) => [c.change, c.groupResource, c.object, c.paths?.join(',') ?? '']);
  let text = table(['CHANGE', 'RESOURCE', 'OBJECT', 'FIELDS'], rows);
  text += `\n${d.counts.added} added, ${d.counts.removed} removed, ${d.counts.changed} changed, ${d.counts.unchanged} unchanged since the backup${d.backupTakenAt ? ` of ${d.backupTakenAt}` : ''}\n`;
  return text + notes;
}
