// Shared shapes and cell formatting for the server-side Table printers. The rules follow
// kube-apiserver v1.32 (pkg/printers/internalversion and k8s.io/apimachinery), so that kubectl
// prints the same text against the sandbox as against a real cluster.
import type { Container, KubeObject, ObjectMeta, PodTemplateSpec } from '../../../api/types.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** metav1.TableRowCondition: kube marks pods that ran to completion with a Completed row condition. */
export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/**
 * The table printer of one kind: a `Printer<Pod>` reads pods through their typed view. A printer
 * reads fields as they are stored, so lists go through {@link list} and scalars through
 * {@link text} and {@link int}: a field of the wrong type prints as Go's zero value.
 */
export interface Printer<T extends { metadata: ObjectMeta } = KubeObject> {
  columns: TableColumnDefinition[];
  cells(obj: T, now: number /* ms since epoch */): unknown[];
  /** Row conditions, for the few kinds kube sets them on (pods). */
  conditions?(obj: T): TableRowCondition[] | undefined;
}

/** A list field, or none when it is missing or not a list. */
export function list<T>(v: readonly T[] | null | undefined): readonly T[] {
  return Array.isArray(v) ? v : [];
}

/** A string field, or '' (Go's zero value) when missing or not a string. */
export function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** An integer field, or 0 (Go's zero value). */
export function int(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** An optional integer field: undefined when unset (a Go nil pointer). */
export function optInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : undefined;
}

/** A metav1.Time field in ms since the epoch, NaN for the zero time (unset or unparsable). */
export function timeMs(v: unknown): number {
  return typeof v === 'string' && v !== '' ? Date.parse(v) : NaN;
}

/**
 * k8s.io/apimachinery duration.HumanDuration: about 2-3 significant figures, "45s", "5m30s",
 * "3h2m", "5d", "2y30d". Up to 2 seconds in the future counts as now (clock skew); further is
 * "<invalid>".
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '<invalid>';
  // Go truncates toward zero when it converts a duration to whole units.
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    const d = Math.trunc(hours / 24);
    return h === 0 ? `${d}d` : `${d}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  const years = Math.trunc(hours / 24 / 365);
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** translateTimestampSince: the age of a timestamp, "<unknown>" for the zero time. */
export function since(ts: unknown, now: number): string {
  const t = timeMs(ts);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

/** The Age cell: how long ago metadata.creationTimestamp was. */
export function age(obj: { metadata: ObjectMeta }, now: number): string {
  return since(obj.metadata?.creationTimestamp, now);
}

export function nameOf(obj: { metadata: ObjectMeta }): string {
  return text(obj.metadata?.name);
}

/** labels.FormatLabels: "k=v" pairs sorted by key, "<none>" when empty. */
export function formatLabels(labels: Record<string, string> | null | undefined): string {
  const map = labels ?? {};
  const keys = Object.keys(map).sort();
  if (keys.length === 0) return '<none>';
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += ',';
    out += `${keys[i]}=${text(map[keys[i]])}`;
  }
  return out;
}

/** layoutContainerCells: container names and images, each comma-joined in spec order. */
export function containerCells(containers: readonly Container[] | undefined): [string, string] {
  let names = '';
  let images = '';
  const all = list(containers);
  for (let i = 0; i < all.length; i++) {
    const c = all[i];
    if (i > 0) {
      names += ',';
      images += ',';
    }
    names += text(c.name);
    images += text(c.image);
  }
  return [names, images];
}

/** An IntOrString field as kube prints it (intstr.String()). */
export function intOrString(v: unknown): string {
  if (typeof v === 'number') return String(Math.trunc(v));
  return text(v);
}

/** A resource.Quantity; the zero quantity prints as "0". */
export function quantity(v: unknown): string {
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' && v !== '' ? v : '0';
}

// Column descriptions kube takes from ObjectMeta's API documentation.
export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const CREATION_TIMESTAMP_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export function column(name: string, type: string, description: string, priority = 0, format = ''): TableColumnDefinition {
  return { name, type, format, description, priority };
}

export const NAME_COLUMN: TableColumnDefinition = column('Name', 'string', NAME_DESCRIPTION, 0, 'name');
export const AGE_COLUMN: TableColumnDefinition = column('Age', 'string', CREATION_TIMESTAMP_DESCRIPTION);
export const CONTAINERS_COLUMN: TableColumnDefinition = column(
  'Containers',
  'string',
  'Names of each container in the template.',
  1,
);
export const IMAGES_COLUMN: TableColumnDefinition = column(
  'Images',
  'string',
  'Images referenced by each container in the template.',
  1,
);

/** The containers of a controller's pod template (spec.template.spec.containers). */
export function templateContainers(obj: { spec?: { template?: PodTemplateSpec } }): readonly Container[] | undefined {
  return obj.spec?.template?.spec?.containers;
}

/** metav1.Time formatted in Go's time.RFC3339 layout, in UTC (no fractional seconds). */
export function rfc3339(ts: unknown): string {
  if (typeof ts === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(ts)) return ts;
  const t = timeMs(ts);
  // Go prints the zero time as year 1.
  if (Number.isNaN(t)) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
