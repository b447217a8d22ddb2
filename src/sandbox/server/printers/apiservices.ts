// kube-aggregator's table for APIServices (pkg/registry/apiservice/etcd ConvertToTable): the
// Service ("Local" or namespace/name) and Available ("True", or "False (Reason)").
import type { APIService } from '../apiservices.js';
import { AGE_COLUMN, NAME_COLUMN, age, column, nameOf, type Printer } from './format.js';

export const apiServicePrinter: Printer<APIService> = {
  columns: [
    NAME_COLUMN,
    column('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
    column('Available', 'string', 'Whether this service is available.'),
    AGE_COLUMN,
  ],
  cells(o, now) {
    const ref = o.spec?.service;
    const service = ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : 'Local';
    const c = o.status?.conditions?.find((x) => x.type === 'Available');
    let available = 'Unknown';
    if (c) available = c.status === 'True' || !c.reason ? c.status : `${c.status} (${c.reason})`;
    return [nameOf(o), service, available, age(o, now)];
  },
};
