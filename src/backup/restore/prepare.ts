// An archived object made ready to create: what the server owns stripped, and the per-kind fixups
// a fresh cluster needs (Velero's, A6 in the reference): Services lose their allocated cluster IPs
// and node ports, Pods their node and their injected token volumes, Jobs their generated selector,
// claims their binding to volumes that are not restored, volumes their claim's old uid.
// Pure: a deep copy in, a new object out.
import type { KubeObject, ObjectMeta } from '../../api/types.js';

export interface PrepareOptions {
  groupResource: string;
  /** The resource has a status subresource: status sent on create is ignored, so it is dropped. */
  hasStatusSubresource: boolean;
  /** Keep every nodePort (--preserve-node-ports); otherwise only the ones set by hand. */
  preserveNodePorts: boolean;
  /** Whether the named PersistentVolume is restored (else its claim must provision anew). */
  volumeRestored: (name: string) => boolean;
}

/** metadata fields the server sets; a create carrying some of them is refused. */
export const SERVER_METADATA: (keyof ObjectMeta)[] = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
  'managedFields',
  'ownerReferences',
];

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Obj = Record<string, unknown>;

export function prepareForRestore(original: KubeObject, options: PrepareOptions): KubeObject {
  const o = structuredClone(original);
  for (const field of SERVER_METADATA) delete o.metadata[field];
  if (o.metadata.name) delete o.metadata.generateName;
  if (options.hasStatusSubresource) delete o.status;
  const fixup = FIXUPS[options.groupResource];
  fixup?.(o, options);
  return o;
}

const FIXUPS: Record<string, (o: KubeObject, options: PrepareOptions) => void> = {
  services: fixService,
  pods: fixPod,
  'jobs.batch': fixJob,
  persistentvolumeclaims: fixClaim,
  persistentvolumes: fixVolume,
  secrets: fixSecret,
};

function fixService(o: KubeObject, options: PrepareOptions): void {
  const spec = o.spec as Obj | undefined;
  if (!spec) return;
  // Headless stays headless; any other address is the old cluster's allocation.
  if (spec.clusterIP !== 'None') {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  if (options.preserveNodePorts) return;
  const explicit = explicitNodePorts(o);
  for (const port of (spec.ports as Obj[] | undefined) ?? []) {
    if (port.nodePort !== undefined && !explicit.has(Number(port.nodePort))) delete port.nodePort;
  }
  if (spec.healthCheckNodePort !== undefined && !explicit.has(Number(spec.healthCheckNodePort))) delete spec.healthCheckNodePort;
}

/** nodePorts the user set (kubectl apply's last-applied configuration records them). */
function explicitNodePorts(o: KubeObject): Set<number> {
  const ports = new Set<number>();
  const applied = o.metadata.annotations?.[LAST_APPLIED];
  if (!applied) return ports;
  try {
    const spec = (JSON.parse(applied) as { spec?: { ports?: { nodePort?: number }[]; healthCheckNodePort?: number } }).spec;
    for (const p of spec?.ports ?? []) if (typeof p.nodePort === 'number') ports.add(p.nodePort);
    if (typeof spec?.healthCheckNodePort === 'number') ports.add(spec.healthCheckNodePort);
  } catch {
    // An unreadable annotation says nothing about ports.
  }
  return ports;
}

function fixPod(o: KubeObject): void {
  const spec = o.spec as Obj | undefined;
  if (!spec) return;
  delete spec.nodeName;
  // Admission sets priority from priorityClassName and refuses a pod that brings its own.
  delete spec.priority;
  // The ServiceAccount admission plugin injects a fresh token volume; the old one must go.
  const volumes = (spec.volumes as Obj[] | undefined) ?? [];
  const injected = new Set(volumes.filter((v) => isInjectedTokenVolume(v)).map((v) => String(v.name)));
  if (!injected.size) return;
  spec.volumes = volumes.filter((v) => !injected.has(String(v.name)));
  if (!(spec.volumes as Obj[]).length) delete spec.volumes;
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of (spec[key] as Obj[] | undefined) ?? []) {
      const mounts = (c.volumeMounts as Obj[] | undefined)?.filter((m) => !injected.has(String(m.name)));
      if (mounts?.length) c.volumeMounts = mounts;
      else delete c.volumeMounts;
    }
  }
}

function isInjectedTokenVolume(v: Obj): boolean {
  const name = String(v.name ?? '');
  if (name.startsWith('kube-api-access-') && v.projected) return true;
  const secret = v.secret as { secretName?: string } | undefined;
  return !!secret?.secretName && /-token-[a-z0-9]{5}$/.test(secret.secretName) && name === secret.secretName;
}

const CONTROLLER_UID_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid'];

function fixJob(o: KubeObject): void {
  const spec = o.spec as Obj | undefined;
  if (!spec) return;
  // The API server generates a Job's selector from its new uid; an old one is refused.
  if (spec.manualSelector !== true) delete spec.selector;
  const template = spec.template as { metadata?: ObjectMeta } | undefined;
  for (const labels of [o.metadata.labels, template?.metadata?.labels]) {
    if (!labels) continue;
    for (const l of CONTROLLER_UID_LABELS) delete labels[l];
  }
}

const BINDING_ANNOTATIONS = ['pv.kubernetes.io/bind-completed', 'pv.kubernetes.io/bound-by-controller', 'volume.kubernetes.io/selected-node'];

function fixClaim(o: KubeObject, options: PrepareOptions): void {
  const spec = o.spec as Obj | undefined;
  const volume = typeof spec?.volumeName === 'string' ? spec.volumeName : undefined;
  if (!spec || !volume || options.volumeRestored(volume)) return;
  // Its volume is not restored: the claim provisions a new one.
  delete spec.volumeName;
  for (const a of BINDING_ANNOTATIONS) delete o.metadata.annotations?.[a];
  if (o.metadata.annotations && !Object.keys(o.metadata.annotations).length) delete o.metadata.annotations;
}

function fixVolume(o: KubeObject): void {
  // The restored claim has a new uid: keep only its namespace and name so it binds again.
  const claimRef = (o.spec as { claimRef?: Obj } | undefined)?.claimRef;
  if (!claimRef) return;
  delete claimRef.uid;
  delete claimRef.resourceVersion;
}

function fixSecret(o: KubeObject): void {
  // A token Secret is refilled by the token controller with a token this cluster signs.
  if ((o as { type?: string }).type === 'kubernetes.io/service-account-token') delete o.data;
}
