// Scenario files: a description of a cluster (control plane, nodes, objects) that a sandbox
// starts from. Parsing and expansion are pure; the sandbox creates the result through its API.
import YAML from 'yaml';
import { type KubeObject, type Node, isKubeObject } from '../../api/types.js';
import { errorMessage, isJsonObject } from '../server/json.js';
import { type ScenarioUser, parseUsers } from '../auth/users.js';
import { type ImageRegistry, parseRegistry } from '../kubelet/images.js';
import { type EventSettings, parseEventSettings } from '../kubelet/lifecycle-events.js';
import { scenarioErrors, summarizeErrors } from './validate.js';

export interface NodeEntry {
  name?: string;
  namePrefix?: string;
  count?: number;
  role?: 'control-plane' | 'worker';
  version?: string;
  /** A control-plane node's static pods at another version than spec.controlPlane.version (an HA control plane mid-upgrade). */
  controlPlaneVersion?: string;
  capacity?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
}

export interface Scenario {
  name: string;
  controlPlane: { version: string; etcd: { version: string; topology: 'stacked' | 'external' } };
  nodes: NodeEntry[];
  objects: KubeObject[];
  /** spec.users: identities besides the admin (src/sandbox/auth/users.ts). */
  users?: ScenarioUser[];
  /** spec.registry: which images exist (src/sandbox/kubelet/images.ts); absent: all of them. */
  registry?: ImageRegistry;
  /** spec.events: which events the kubelets record (src/sandbox/kubelet/lifecycle-events.ts); absent: all. */
  events?: EventSettings;
}

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

const VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** Parse a scenario document (plus any further documents, which are objects to create). */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  let docs: unknown[];
  try {
    docs = YAML.parseAllDocuments(text).map((d) => {
      if (d.errors.length) throw new ScenarioError(`${source}: ${d.errors[0].message.split('\n')[0]}`);
      return d.toJS();
    });
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    throw new ScenarioError(`${source}: not valid YAML: ${errorMessage(e).split('\n')[0]}`);
  }
  docs = docs.filter((d) => d !== null && d !== undefined);
  const head = docs[0];
  if (!isJsonObject(head) || head.kind !== 'Scenario') {
    throw new ScenarioError(`${source}: the first document must be a Scenario (apiVersion: upkeep.dev/v1alpha1, kind: Scenario)`);
  }
  if (head.apiVersion !== 'upkeep.dev/v1alpha1') {
    throw new ScenarioError(`${source}: unsupported apiVersion ${JSON.stringify(head.apiVersion)} (expected upkeep.dev/v1alpha1)`);
  }
  // The whole file is checked before anything is expanded or started (validate.ts).
  const problems = scenarioErrors(head, docs.slice(1));
  if (problems.length) throw new ScenarioError(`${source}: ${summarizeErrors(problems)}`);
  const spec = isJsonObject(head.spec) ? head.spec : {};
  const cp = isJsonObject(spec.controlPlane) ? spec.controlPlane : {};
  const version = String(cp.version ?? 'v1.31.4');
  if (!VERSION.test(version)) throw new ScenarioError(`${source}: spec.controlPlane.version ${JSON.stringify(version)} is not a version like v1.31.4`);
  const etcd = isJsonObject(cp.etcd) ? cp.etcd : {};
  const topology = etcd.topology ?? 'stacked';
  if (topology !== 'stacked' && topology !== 'external') {
    throw new ScenarioError(`${source}: spec.controlPlane.etcd.topology must be "stacked" or "external", not ${JSON.stringify(topology)}`);
  }
  const rawNodes = spec.nodes ?? [];
  if (!Array.isArray(rawNodes)) throw new ScenarioError(`${source}: spec.nodes must be a list`);
  const nodes: NodeEntry[] = rawNodes.map((n, i) => {
    if (!isJsonObject(n)) throw new ScenarioError(`${source}: spec.nodes[${i}] must be a mapping`);
    if (!n.name && !n.namePrefix) throw new ScenarioError(`${source}: spec.nodes[${i}] needs name or namePrefix`);
    if (n.namePrefix && !(Number.isInteger(n.count) && (n.count as number) > 0)) {
      throw new ScenarioError(`${source}: spec.nodes[${i}] (namePrefix ${String(n.namePrefix)}) needs a positive integer count`);
    }
    const v = n.version === undefined ? version : String(n.version);
    if (!VERSION.test(v)) throw new ScenarioError(`${source}: spec.nodes[${i}].version ${JSON.stringify(v)} is not a version like v1.31.4`);
    if (n.role !== undefined && n.role !== 'control-plane' && n.role !== 'worker') {
      throw new ScenarioError(`${source}: spec.nodes[${i}].role must be "control-plane" or "worker"`);
    }
    if (n.controlPlaneVersion !== undefined) {
      if (n.role !== 'control-plane') throw new ScenarioError(`${source}: spec.nodes[${i}].controlPlaneVersion needs role: control-plane`);
      if (!VERSION.test(String(n.controlPlaneVersion))) {
        throw new ScenarioError(`${source}: spec.nodes[${i}].controlPlaneVersion ${JSON.stringify(n.controlPlaneVersion)} is not a version like v1.31.4`);
      }
    }
    // The fields read above are checked; capacity, labels and taints are taken as written.
    const entry: NodeEntry = { ...n, version: v };
    return entry;
  });
  const inline = spec.objects ?? [];
  if (!Array.isArray(inline)) throw new ScenarioError(`${source}: spec.objects must be a list`);
  const objects = [...inline, ...docs.slice(1)].map((o, i) => {
    if (!isJsonObject(o) || !isKubeObject(o) || !isJsonObject(o.metadata) || typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') {
      throw new ScenarioError(`${source}: object ${i + 1} needs apiVersion, kind and metadata`);
    }
    return o;
  });
  const meta = isJsonObject(head.metadata) ? head.metadata : {};
  return {
    name: String(meta.name ?? 'scenario'),
    controlPlane: { version, etcd: { version: String(etcd.version ?? '3.5.15-0'), topology } },
    nodes,
    objects,
    users: parseUsers(spec.users, source, (m) => new ScenarioError(m)),
    registry: parseRegistry(spec.registry, source, (m) => new ScenarioError(m)),
    events: parseEventSettings(spec.events, source, (m) => new ScenarioError(m)),
  };
}

export interface ExpandedNode {
  name: string;
  role: 'control-plane' | 'worker';
  version: string;
  /** Set when this control-plane node's static pods differ from spec.controlPlane.version. */
  controlPlaneVersion?: string;
  capacity: Record<string, string>;
  labels: Record<string, string>;
  taints: Array<{ key: string; value?: string; effect: string }>;
}

export const DEFAULT_CAPACITY = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' };

/** Bulk entries become one node each: worker-1 .. worker-N. */
export function expandNodes(entries: NodeEntry[]): ExpandedNode[] {
  const out: ExpandedNode[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    const names = e.namePrefix ? Array.from({ length: e.count ?? 0 }, (_, i) => `${e.namePrefix}${i + 1}`) : [e.name as string];
    for (const name of names) {
      if (seen.has(name)) throw new ScenarioError(`scenario: node ${name} is listed twice`);
      seen.add(name);
      out.push({
        name,
        role: e.role ?? 'worker',
        version: e.version ?? 'v1.31.4',
        ...(e.controlPlaneVersion ? { controlPlaneVersion: String(e.controlPlaneVersion) } : {}),
        capacity: { ...DEFAULT_CAPACITY, ...(e.capacity ?? {}) },
        labels: e.labels ?? {},
        taints: e.taints ?? [],
      });
    }
  }
  return out;
}

/** The Node object a kubelet registers (kubeadm labels and the control-plane taint). */
export function nodeObject(n: ExpandedNode, index: number, now: string): Node {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
    ...(n.role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {}),
    ...n.labels,
  };
  const taints = [...n.taints];
  if (n.role === 'control-plane' && !taints.some((t) => t.key === 'node-role.kubernetes.io/control-plane')) {
    taints.push({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
  }
  const ip = `10.${(index >> 16) & 0xff}.${(index >> 8) & 0xff}.${(index & 0xff) + 10}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels,
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR: `10.244.${index & 0xff}.0/24`, podCIDRs: [`10.244.${index & 0xff}.0/24`], ...(taints.length ? { taints } : {}) },
    status: {
      capacity: n.capacity,
      allocatable: n.capacity,
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: n.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: '',
        containerRuntimeVersion: 'containerd://1.7.24',
        kernelVersion: '6.1.0-28-amd64',
        kubeProxyVersion: n.version,
        kubeletVersion: n.version,
        machineID: '',
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        systemUUID: '',
      },
    },
  };
}
