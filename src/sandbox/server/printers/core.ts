// Printers for the core ("") group, except pods (pods.ts).
import type * as k8sCore from 'kubernetes-types/core/v1.js';
import type * as k8sEvents from 'kubernetes-types/events/v1.js';
import type {
  ConfigMap,
  Endpoints,
  Event,
  Namespace,
  Node,
  NodeStatus,
  ObjectMeta,
  PersistentVolume,
  PersistentVolumeClaim,
  ReplicationController,
  Secret,
  Service,
  ServiceAccount,
  Typed,
} from '../../../api/types.js';
import { isNodeUnschedulable } from '../../../api/nodes.js';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  age,
  column,
  containerCells,
  formatLabels,
  int,
  list,
  nameOf,
  quantity,
  since,
  text,
  timeMs,
  type Printer,
} from './format.js';

type PodTemplate = Typed<k8sCore.PodTemplate>;
/** events.k8s.io/v1 Event (core/v1 Event is `Event`). */
type EventsV1Event = Typed<k8sEvents.Event>;

const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const NODE_ROLE_LABEL = 'kubernetes.io/role';

/** Roles from node-role.kubernetes.io/<role> label keys and the kubernetes.io/role label value. */
export function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  const map = labels ?? {};
  for (const key of Object.keys(map)) {
    if (key.startsWith(NODE_ROLE_PREFIX)) {
      const role = key.slice(NODE_ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (key === NODE_ROLE_LABEL && text(map[key])) {
      roles.add(text(map[key]));
    }
  }
  return [...roles].sort();
}

function nodeAddress(status: NodeStatus | undefined, type: string): string {
  for (const addr of list(status?.addresses)) {
    if (addr.type === type) return text(addr.address);
  }
  return '<none>';
}

export const nodePrinter: Printer<Node> = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
    column('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
    column('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  cells(node, now) {
    const status = node.status;
    const info = status?.nodeInfo;
    // Only the Ready condition counts; a later duplicate wins, as in kube's condition map (so
    // not nodeCondition, which takes the first).
    let ready: string | undefined;
    for (const c of list(status?.conditions)) if (c.type === 'Ready') ready = c.status;
    const parts: string[] = [];
    if (ready !== undefined) parts.push(ready === 'True' ? 'Ready' : 'NotReady');
    else parts.push('Unknown');
    if (isNodeUnschedulable(node)) parts.push('SchedulingDisabled');
    const roles = nodeRoles(node.metadata?.labels).join(',');
    return [
      nameOf(node),
      parts.join(','),
      roles || '<none>',
      age(node, now),
      text(info?.kubeletVersion),
      nodeAddress(status, 'InternalIP'),
      nodeAddress(status, 'ExternalIP'),
      text(info?.osImage) || '<unknown>',
      text(info?.kernelVersion) || '<unknown>',
      text(info?.containerRuntimeVersion) || '<unknown>',
    ];
  },
};

export const namespacePrinter: Printer<Namespace> = {
  columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  cells(ns, now) {
    // The API server sets the phase on create (Active) and delete (Terminating).
    const phase = text(ns.status?.phase) || (ns.metadata?.deletionTimestamp ? 'Terminating' : 'Active');
    return [nameOf(ns), phase, age(ns, now)];
  },
};

function loadBalancerIngress(status: Service['status']): string {
  const result = new Set<string>();
  for (const ing of list(status?.loadBalancer?.ingress)) {
    if (text(ing.ip)) result.add(text(ing.ip));
    else if (text(ing.hostname)) result.add(text(ing.hostname));
  }
  // Kube collects into a sorted set. The server prints wide, so nothing is clipped.
  return [...result].sort().join(',');
}

function serviceExternalIP(spec: Service['spec'], status: Service['status'], type: string): string {
  const externalIPs = list(spec?.externalIPs).map(text);
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(status);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return text(spec?.externalName);
  }
  return '<unknown>';
}

function servicePorts(spec: Service['spec']): string {
  const pieces: string[] = [];
  for (const port of list(spec?.ports)) {
    const protocol = text(port.protocol) || 'TCP';
    const nodePort = int(port.nodePort);
    pieces.push(nodePort > 0 ? `${int(port.port)}:${nodePort}/${protocol}` : `${int(port.port)}/${protocol}`);
  }
  return pieces.join(',') || '<none>';
}

export const servicePrinter: Printer<Service> = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'type determines how the Service is exposed.'),
    column('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    AGE_COLUMN,
    column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  cells(svc, now) {
    const spec = svc.spec;
    const status = svc.status;
    // The API server defaults the type to ClusterIP and keeps clusterIPs[0] equal to clusterIP.
    const type = text(spec?.type) || 'ClusterIP';
    const clusterIPs = list(spec?.clusterIPs);
    const clusterIP = (clusterIPs.length > 0 ? text(clusterIPs[0]) : text(spec?.clusterIP)) || '<none>';
    return [
      nameOf(svc),
      type,
      clusterIP,
      serviceExternalIP(spec, status, type),
      servicePorts(spec),
      age(svc, now),
      formatLabels(spec?.selector),
    ];
  },
};

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** formatEndpoints: up to three addresses (with ports), then "+ N more...". */
export function formatEndpoints(subsets: Endpoints['subsets']): string {
  const all = list(subsets);
  if (all.length === 0) return '<none>';
  const max = 3;
  const shown: string[] = [];
  let more = false;
  let count = 0;
  for (const subset of all) {
    const addresses = list(subset.addresses);
    const ports = list(subset.ports);
    if (ports.length === 0) {
      // Headless services may have no ports.
      count += addresses.length;
      for (const a of addresses) {
        if (shown.length === max) {
          more = true;
          break;
        }
        shown.push(text(a.ip));
      }
      continue;
    }
    for (const p of ports) {
      const port = int(p.port);
      count += addresses.length;
      for (const a of addresses) {
        if (shown.length === max) {
          more = true;
          break;
        }
        shown.push(joinHostPort(text(a.ip), port));
      }
    }
  }
  const ret = shown.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

export const endpointsPrinter: Printer<Endpoints> = {
  columns: [NAME_COLUMN, column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), AGE_COLUMN],
  cells(ep, now) {
    return [nameOf(ep), formatEndpoints(ep.subsets), age(ep, now)];
  },
};

export const configMapPrinter: Printer<ConfigMap> = {
  columns: [NAME_COLUMN, column('Data', 'string', 'Data contains the configuration data.'), AGE_COLUMN],
  cells(cm, now) {
    return [nameOf(cm), mapKeys(cm.data).length + mapKeys(cm.binaryData).length, age(cm, now)];
  },
};

/** The keys of a map field (a field that is not a map has none). */
function mapKeys(map: Record<string, string> | undefined): string[] {
  return map !== null && typeof map === 'object' && !Array.isArray(map) ? Object.keys(map) : [];
}

export const secretPrinter: Printer<Secret> = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    column('Data', 'string', 'Data contains the secret data.'),
    AGE_COLUMN,
  ],
  cells(secret, now) {
    const data = new Set(mapKeys(secret.data));
    // stringData is write-only and merged into data by the API server; count keys from both in
    // case an object still carries it.
    let count = data.size;
    for (const k of mapKeys(secret.stringData)) if (!data.has(k)) count++;
    return [nameOf(secret), text(secret.type) || 'Opaque', count, age(secret, now)];
  },
};

export const serviceAccountPrinter: Printer<ServiceAccount> = {
  columns: [
    NAME_COLUMN,
    column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'),
    AGE_COLUMN,
  ],
  cells(sa, now) {
    return [nameOf(sa), list(sa.secrets).length, age(sa, now)];
  },
};

const EVENT_COLUMNS = [
  column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
  column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
  column('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
  column('Object', 'string', 'The object that this event is about.'),
  column('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', 1),
  column('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
  column('Message', 'string', 'A human-readable description of the status of this operation.'),
  column('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
  column('Count', 'string', 'The number of times this event has occurred.', 1),
  { ...NAME_COLUMN, priority: 1 },
];

/** The fields kube's event printer reads, under their core/v1 names. */
interface EventFields {
  involved: k8sCore.ObjectReference | undefined;
  source: k8sCore.EventSource | undefined;
  firstTimestamp: string | undefined;
  lastTimestamp: string | undefined;
  count: number;
  message: string;
  reportingController: string;
}

/** The fields both Event kinds share (kube prints both from its one internal type). */
type EventCommon = Pick<Event, 'eventTime' | 'reportingInstance' | 'type' | 'reason'> & { metadata: ObjectMeta; series?: { count?: number; lastObservedTime?: string } };

function eventCells(ev: EventCommon, now: number, f: EventFields): unknown[] {
  let firstSeen = since(f.firstTimestamp, now);
  if (Number.isNaN(timeMs(f.firstTimestamp))) firstSeen = since(ev.eventTime, now);
  let lastSeen = since(f.lastTimestamp, now);
  if (Number.isNaN(timeMs(f.lastTimestamp))) lastSeen = firstSeen;
  let count = f.count;
  if (ev.series !== undefined && ev.series !== null) {
    lastSeen = since(ev.series.lastObservedTime, now);
    count = int(ev.series.count);
  } else if (count === 0) {
    // Singleton events have no count in the new API.
    count = 1;
  }
  const kind = text(f.involved?.kind).toLowerCase();
  const target = text(f.involved?.name) ? `${kind}/${text(f.involved?.name)}` : kind;
  const component = text(f.source?.component) || f.reportingController;
  const instance = text(f.source?.host) || text(ev.reportingInstance);
  return [
    lastSeen,
    text(ev.type),
    text(ev.reason),
    target,
    text(f.involved?.fieldPath),
    instance ? `${component}, ${instance}` : component,
    f.message.trim(),
    firstSeen,
    count,
    nameOf(ev),
  ];
}

export const eventPrinter: Printer<Event> = {
  columns: EVENT_COLUMNS,
  cells(ev, now) {
    return eventCells(ev, now, {
      involved: ev.involvedObject,
      source: ev.source,
      firstTimestamp: ev.firstTimestamp,
      lastTimestamp: ev.lastTimestamp,
      count: int(ev.count),
      message: text(ev.message),
      reportingController: text(ev.reportingComponent),
    });
  },
};

/** events.k8s.io/v1 Events share kube's internal type with core/v1 ones, so print the same. */
export const eventsV1Printer: Printer<EventsV1Event> = {
  columns: EVENT_COLUMNS,
  cells(ev, now) {
    return eventCells(ev, now, {
      involved: ev.regarding,
      source: ev.deprecatedSource,
      firstTimestamp: ev.deprecatedFirstTimestamp,
      lastTimestamp: ev.deprecatedLastTimestamp,
      count: int(ev.deprecatedCount),
      message: text(ev.note),
      reportingController: text(ev.reportingController),
    });
  },
};

const ACCESS_MODES: Array<[string, string]> = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** GetAccessModesAsString: short names in a fixed order, duplicates dropped. */
export function accessModes(modes: readonly string[] | undefined): string {
  const have = new Set(list(modes));
  const out: string[] = [];
  for (const [mode, short] of ACCESS_MODES) if (have.has(mode)) out.push(short);
  return out.join(',');
}

const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

/** The storage class of a PV or PVC: the beta annotation still wins over spec.storageClassName. */
function storageClassOf(obj: { metadata: ObjectMeta; spec?: { storageClassName?: string } }): string {
  const annotations = obj.metadata?.annotations;
  if (annotations && Object.prototype.hasOwnProperty.call(annotations, BETA_STORAGE_CLASS)) {
    return text(annotations[BETA_STORAGE_CLASS]);
  }
  return text(obj.spec?.storageClassName);
}

function unset(v: unknown): string {
  return typeof v === 'string' ? v : '<unset>';
}

export const persistentVolumePrinter: Printer<PersistentVolume> = {
  columns: [
    NAME_COLUMN,
    column('Capacity', 'string', "capacity is the description of the persistent volume's resources and capacity."),
    column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1),
  ],
  cells(pv, now) {
    const spec = pv.spec;
    const claimRef = spec?.claimRef ?? undefined;
    const claim = claimRef ? `${text(claimRef.namespace)}/${text(claimRef.name)}` : '';
    const phase = pv.metadata?.deletionTimestamp ? 'Terminating' : text(pv.status?.phase);
    return [
      nameOf(pv),
      quantity(spec?.capacity?.storage),
      accessModes(spec?.accessModes),
      text(spec?.persistentVolumeReclaimPolicy),
      phase,
      claim,
      storageClassOf(pv),
      unset(spec?.volumeAttributesClassName),
      text(pv.status?.reason),
      age(pv, now),
      unset(spec?.volumeMode),
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer<PersistentVolumeClaim> = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    column('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    AGE_COLUMN,
    column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1),
  ],
  cells(pvc, now) {
    const spec = pvc.spec;
    const status = pvc.status;
    const phase = pvc.metadata?.deletionTimestamp ? 'Terminating' : text(status?.phase);
    const volumeName = text(spec?.volumeName);
    // Capacity and access modes are shown only once the claim is bound to a volume.
    const capacity = volumeName ? quantity(status?.capacity?.storage) : '';
    const modes = volumeName ? accessModes(status?.accessModes) : '';
    return [
      nameOf(pvc),
      phase,
      volumeName,
      capacity,
      modes,
      storageClassOf(pvc),
      unset(spec?.volumeAttributesClassName),
      age(pvc, now),
      unset(spec?.volumeMode),
    ];
  },
};

export const replicationControllerPrinter: Printer<ReplicationController> = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', 'Selector is a label query over pods that should match the Replicas count.', 1),
  ],
  cells(rc, now) {
    const spec = rc.spec;
    const [names, images] = containerCells(spec?.template?.spec?.containers);
    const desired = typeof spec?.replicas === 'number' ? int(spec.replicas) : 1;
    return [
      nameOf(rc),
      desired,
      int(rc.status?.replicas),
      int(rc.status?.readyReplicas),
      age(rc, now),
      names,
      images,
      formatLabels(spec?.selector),
    ];
  },
};

export const podTemplatePrinter: Printer<PodTemplate> = {
  columns: [
    NAME_COLUMN,
    column('Containers', 'string', 'Names of each container in the template.'),
    column('Images', 'string', 'Images referenced by each container in the template.'),
    column('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  cells(pt) {
    const [names, images] = containerCells(pt.template?.spec?.containers);
    return [nameOf(pt), names, images, formatLabels(pt.template?.metadata?.labels)];
  },
};
