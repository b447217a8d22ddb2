// Server-side Table printing (meta.k8s.io/v1 Table) for `kubectl get`: the same columns, cell
// values and row metadata as kube-apiserver v1.32, so kubectl prints identical text against the
// sandbox. Like kube-apiserver, every printer fills the wide (priority 1) columns too; kubectl
// drops them unless asked for -o wide.
import type { KubeObject, ObjectMeta } from '../../api/types.js';
import {
  CREATION_TIMESTAMP_DESCRIPTION,
  NAME_COLUMN,
  column,
  humanDuration,
  nameOf,
  rfc3339,
  type Printer,
  type TableColumnDefinition,
  type TableRowCondition,
} from './printers/format.js';
import { compileJsonPath, type JsonPath } from './printers/jsonpath.js';
import { isJsonObject } from './json.js';
import {
  configMapPrinter,
  endpointsPrinter,
  eventPrinter,
  eventsV1Printer,
  namespacePrinter,
  nodePrinter,
  persistentVolumeClaimPrinter,
  persistentVolumePrinter,
  podTemplatePrinter,
  replicationControllerPrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from './printers/core.js';
import { podPrinter } from './printers/pods.js';
import {
  controllerRevisionPrinter,
  cronJobPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  jobPrinter,
  replicaSetPrinter,
  statefulSetPrinter,
} from './printers/workloads.js';
import {
  clusterRoleBindingPrinter,
  endpointSlicePrinter,
  ingressPrinter,
  leasePrinter,
  networkPolicyPrinter,
  podDisruptionBudgetPrinter,
  priorityClassPrinter,
  resourceQuotaPrinter,
  roleBindingPrinter,
  storageClassPrinter,
} from './printers/others.js';
import { certificateSigningRequestPrinter } from './printers/certificates.js';
import { apiServicePrinter } from './printers/apiservices.js';

export type { Printer, TableColumnDefinition, TableRowCondition };
export { humanDuration };

/**
 * kube-apiserver's default table for resources without a printer (roles, clusterroles,
 * limitranges, customresourcedefinitions, ...): Name and "Created At" as an RFC 3339 timestamp.
 */
export const defaultPrinter: Printer = {
  columns: [NAME_COLUMN, column('Created At', 'date', CREATION_TIMESTAMP_DESCRIPTION)],
  cells(obj) {
    return [nameOf(obj), rfc3339(obj.metadata?.creationTimestamp)];
  },
};

// Each resource's printer reads objects as that resource's kind (a Printer<Pod> for pods): the
// registry stores under a resource only objects decoded as its kind.
const PRINTERS = new Map<string, Printer>([
  ['/pods', podPrinter],
  ['/nodes', nodePrinter],
  ['/namespaces', namespacePrinter],
  ['/services', servicePrinter],
  ['/endpoints', endpointsPrinter],
  ['/configmaps', configMapPrinter],
  ['/secrets', secretPrinter],
  ['/serviceaccounts', serviceAccountPrinter],
  ['/events', eventPrinter],
  ['/persistentvolumes', persistentVolumePrinter],
  ['/persistentvolumeclaims', persistentVolumeClaimPrinter],
  ['/replicationcontrollers', replicationControllerPrinter],
  ['/podtemplates', podTemplatePrinter],
  ['/resourcequotas', resourceQuotaPrinter],
  ['events.k8s.io/events', eventsV1Printer],
  ['apps/deployments', deploymentPrinter],
  ['apps/replicasets', replicaSetPrinter],
  ['apps/daemonsets', daemonSetPrinter],
  ['apps/statefulsets', statefulSetPrinter],
  ['apps/controllerrevisions', controllerRevisionPrinter],
  ['batch/jobs', jobPrinter],
  ['batch/cronjobs', cronJobPrinter],
  ['policy/poddisruptionbudgets', podDisruptionBudgetPrinter],
  ['coordination.k8s.io/leases', leasePrinter],
  ['rbac.authorization.k8s.io/rolebindings', roleBindingPrinter],
  ['rbac.authorization.k8s.io/clusterrolebindings', clusterRoleBindingPrinter],
  ['storage.k8s.io/storageclasses', storageClassPrinter],
  ['scheduling.k8s.io/priorityclasses', priorityClassPrinter],
  ['networking.k8s.io/ingresses', ingressPrinter],
  ['networking.k8s.io/networkpolicies', networkPolicyPrinter],
  ['discovery.k8s.io/endpointslices', endpointSlicePrinter],
  ['certificates.k8s.io/certificatesigningrequests', certificateSigningRequestPrinter],
  ['apiregistration.k8s.io/apiservices', apiServicePrinter],
]);

/** The printer kube-apiserver uses for a built-in resource, or its default table. */
export function printerFor(group: string, resource: string): Printer {
  return PRINTERS.get(`${group}/${resource}`) ?? defaultPrinter;
}

export interface PrinterColumnSpec {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** Go's %v for a float64: shortest digits, exponent form below 1e-4 and from 1e6 on. */
function goFloat(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  // Integral JSON numbers decode to int64 in Go and print in full.
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return BigInt(n).toString();
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const [mant, e] = n.toExponential().split('e');
  const exp = Number(e);
  // strconv's 'g' with shortest precision switches to exponent form when exp < -4 || exp >= 6.
  if (exp < -4 || exp >= 6) {
    const digits = String(Math.abs(exp));
    return `${mant}e${exp < 0 ? '-' : '+'}${digits.length < 2 ? `0${digits}` : digits}`;
  }
  return String(n);
}

/** encoding/json.Marshal: map keys sorted, <, > and & escaped. */
function goJson(v: unknown): string {
  const sortKeys = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sortKeys);
    if (isJsonObject(x)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) out[k] = sortKeys(x[k]);
      return out;
    }
    return x;
  };
  return JSON.stringify(sortKeys(v))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** A cell for a CRD column, as the apiextensions table convertor computes it from the value. */
function crdCell(type: string, value: unknown, now: number): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
      // Printed through jsonpath: scalars as text, lists and objects as JSON.
      if (typeof value === 'string') return value;
      if (typeof value === 'number') return goFloat(value);
      if (typeof value === 'boolean') return String(value);
      return goJson(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (value === '' || value === 'null') return '<unknown>';
      if (!RFC3339.test(value)) return '<invalid>';
      const t = Date.parse(value);
      return Number.isNaN(t) ? '<invalid>' : humanDuration(now - t);
    }
  }
  return null;
}

/**
 * The table of a custom resource: Name, then the CRD's additionalPrinterColumns (Age by default).
 * As in kube, a column whose JSONPath does not parse ends the column list.
 */
export function crdPrinter(additionalPrinterColumns: PrinterColumnSpec[] | undefined): Printer {
  const specs: PrinterColumnSpec[] =
    additionalPrinterColumns && additionalPrinterColumns.length > 0
      ? additionalPrinterColumns
      : [{ name: 'Age', type: 'date', description: CREATION_TIMESTAMP_DESCRIPTION, jsonPath: '.metadata.creationTimestamp' }];
  const columns: TableColumnDefinition[] = [NAME_COLUMN];
  const paths: JsonPath[] = [];
  for (const spec of specs) {
    let path: JsonPath;
    try {
      path = compileJsonPath(spec.jsonPath);
    } catch {
      break;
    }
    paths.push(path);
    columns.push({
      name: spec.name,
      type: spec.type,
      format: spec.format ?? '',
      description: spec.description || `Custom resource definition column (in JSONPath format): ${spec.jsonPath}`,
      priority: spec.priority ?? 0,
    });
  }
  return {
    columns,
    cells(obj, now) {
      const cells: unknown[] = [nameOf(obj)];
      for (let i = 0; i < paths.length; i++) {
        let results: unknown[];
        try {
          results = paths[i](obj);
        } catch {
          cells.push(null);
          continue;
        }
        // Only simple paths are supported, so only the first result counts.
        cells.push(results.length === 0 ? null : crdCell(columns[i + 1].type, results[0], now));
      }
      return cells;
    },
  };
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface TableOptions {
  /** What each row carries: kubectl asks for Metadata (its default); None and Object also exist. */
  includeObject: 'None' | 'Metadata' | 'Object';
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
  /** Leave out the column definitions (watch events after the first). */
  noHeaders?: boolean;
}

/** The object metadata as a PartialObjectMetadata, without managedFields. */
export function partialObjectMetadata(obj: KubeObject): {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
} {
  const meta = obj.metadata ?? {};
  let metadata: ObjectMeta = meta;
  if (meta.managedFields !== undefined) {
    const { managedFields: _dropped, ...rest } = meta;
    metadata = rest;
  }
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata };
}

/** Build the meta.k8s.io/v1 Table for a list (or a single object) of one resource. */
export function toTable(printer: Printer, objects: KubeObject[], now: number, opts: TableOptions): Table {
  const rows: TableRow[] = new Array<TableRow>(objects.length);
  for (let i = 0; i < objects.length; i++) {
    const obj = objects[i];
    const row: TableRow = { cells: printer.cells(obj, now) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    if (opts.includeObject === 'Metadata') row.object = partialObjectMetadata(obj);
    else if (opts.includeObject === 'Object') row.object = obj;
    rows[i] = row;
  }
  const metadata: Table['metadata'] = { resourceVersion: opts.resourceVersion };
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? [] : printer.columns,
    rows,
  };
}
