// How `upkeep audit` shows its report: the image inventory, the certificates (kubeadm's ones as
// `kubeadm certs check-expiration` prints them), then the findings grouped by severity, each with
// its object, what is wrong and why it matters, and the fix; a closing count. Also the findings
// block the drain report appends. Pure text from data.
import type { CertificateInfo } from '../../audit/certs.js';
import { type Finding, SEVERITIES, type Severity } from '../../audit/finding.js';
import type { AuditReport } from '../../audit/run.js';
import { tabwriteLines } from './table.js';

/** k8s.io/apimachinery duration.ShortHumanDuration, as kubeadm prints RESIDUAL TIME. */
export function shortHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** kubeadm's EXPIRES column: Go's "Jan 02, 2006 15:04 MST" in UTC. */
export function kubeadmTime(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())}, ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

function expiryCells(c: CertificateInfo, now: number): [string, string] {
  if (!c.notAfter) return ['', ''];
  return [kubeadmTime(c.notAfter), shortHumanDuration(Date.parse(c.notAfter) - now)];
}

function managed(c: CertificateInfo): string {
  return c.externallyManaged ? 'yes' : 'no';
}

/** The two tables of `kubeadm certs check-expiration`; "!MISSING! name" rows as kubeadm prints them. */
export function renderKubeadmCertificates(certs: readonly CertificateInfo[], now: number): string[] {
  const name = (c: CertificateInfo) => (c.missing ? `!MISSING! ${c.name}` : c.name);
  const leaf = certs.filter((c) => !c.isCA && (c.source === 'pki' || c.source === 'kubeconfig-file')).sort((a, b) => a.name.localeCompare(b.name));
  const cas = certs.filter((c) => c.isCA && c.source === 'pki').sort((a, b) => a.name.localeCompare(b.name));
  if (!leaf.length && !cas.length) return [];
  return [
    ...tabwriteLines([['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED'], ...leaf.map((c) => [name(c), ...expiryCells(c, now), c.authority ?? '', managed(c)])], { minWidth: 10, padding: 3 }),
    '',
    ...tabwriteLines([['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED'], ...cas.map((c) => [name(c), ...expiryCells(c, now), managed(c)])], { minWidth: 10, padding: 3 }),
    '',
  ];
}

function otherCertificates(certs: readonly CertificateInfo[], now: number): string[] {
  const rows = certs.filter((c) => c.source !== 'pki' && c.source !== 'kubeconfig-file');
  if (!rows.length) return [];
  return [...tabwriteLines([['CERTIFICATE', 'WHERE', 'EXPIRES', 'RESIDUAL TIME'], ...rows.map((c) => [c.name, c.location, ...(c.error ? ['unreadable', ''] : expiryCells(c, now))])], { minWidth: 10, padding: 3 }), ''];
}

function inventory(report: AuditReport): string[] {
  const rows = report.images ?? [];
  if (!report.images) return [];
  if (!rows.length) return ['No containers in scope.', ''];
  return [...tabwriteLines([['POD', 'CONTAINER', 'IMAGE', 'IMAGE ID', 'PULL POLICY'], ...rows.map((r) => [`${r.pod.namespace}/${r.pod.name}`, r.container, r.image, r.imageID || '<none>', r.pullPolicy])]), ''];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 || word === 'info' ? '' : 's'}`;
}

/** Findings grouped by severity, most severe first: the heading, then each finding's object and code, what is wrong, the fix. */
export function renderFindings(findings: readonly Finding[]): string[] {
  const out: string[] = [];
  for (const severity of SEVERITIES) {
    const these = findings.filter((f) => f.severity === severity);
    if (!these.length) continue;
    out.push(`${severity.toUpperCase()} (${these.length})`);
    for (const f of these) {
      out.push(`  ${f.object ?? '(cluster)'}  ${f.code}`, `    ${f.message}`, `    fix: ${f.fix}`);
    }
    out.push('');
  }
  return out;
}

/** "3 findings: 1 blocking, 2 warnings, 0 info" */
export function countsLine(counts: Record<Severity, number>): string {
  const total = counts.blocking + counts.warning + counts.info;
  return `${plural(total, 'finding')}: ${counts.blocking} blocking, ${plural(counts.warning, 'warning')}, ${counts.info} info`;
}

/** The whole report as text. */
export function renderAudit(report: AuditReport, now: number = Date.now()): string {
  const certs = report.certificates ?? [];
  const out = [...inventory(report), ...renderKubeadmCertificates(certs, now), ...otherCertificates(certs, now)];
  out.push(...renderFindings(report.findings));
  if (!report.findings.length) out.push(`No findings (${report.checks.join(', ')}).`);
  else out.push(countsLine(report.counts));
  return out.join('\n') + '\n';
}
