// Sandbox-only operations, reachable over the sandbox's own HTTPS API (with the same token):
// what an administrator does to machines, which no Kubernetes API offers.
//   GET    /sandbox/v1/nodes                                 {"items":[machine...]}
//   GET    /sandbox/v1/nodes/<node>                          machine: {"name","up","version","machine","notReady","staticPods"?,"faults"}
//   POST   /sandbox/v1/nodes                                 {"name"?,"version","labels"?} -> 201 machine (a new worker registers)
//   DELETE /sandbox/v1/nodes/<node>                          the machine goes away (the Node object stays)
//   POST   /sandbox/v1/nodes/<node>/down|up|reboot           {"version"?,"downSeconds":30}
//   POST   /sandbox/v1/nodes/<node>/upgrade                  {"version":"v1.32.0","role"?,"downSeconds"?}
//   POST   /sandbox/v1/nodes/<node>/faults                   {"neverReturn"?,"notReady"?,"upgradeSeconds"?} (merged)
//   DELETE /sandbox/v1/nodes/<node>/faults                   every fault cleared
//   POST   /sandbox/v1/control-plane/upgrade                 {"version":"v1.32.0"} (every control-plane node at once)
import type http from 'node:http';
import { errors } from '../api/status.js';
import { isJsonObject, type JsonObject } from '../util/json.js';
import type { Sandbox } from './sandbox.js';
import type { Kubelets } from './kubelet/kubelet.js';
import { type MachineView, mergeFaults } from './kubelet/machine.js';
import { nodeInternalIP } from './kubelet/staticpods.js';
import { DEFAULT_CAPACITY, nodeObject } from './scenario/scenario.js';
import { isNode } from './server/kinds.js';

const VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
/** A Node name: an RFC 1123 subdomain. */
const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** What a node does in an upgrade, as the runbook says (src/upgrade/runbook.ts NodeRole). */
const ROLES = ['first-control-plane', 'control-plane', 'control-plane-kubelet', 'worker'] as const;
type Role = (typeof ROLES)[number];

export const SANDBOX_PREFIX = '/sandbox/v1/';

type Reply = { code: number; body: unknown };

function parseBody(body: Buffer): JsonObject {
  if (!body.length) return {};
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw errors.badRequest('the body must be a JSON object like {"version":"v1.32.0"}');
  }
  if (!isJsonObject(v)) throw errors.badRequest('the body must be a JSON object like {"version":"v1.32.0"}');
  return v;
}

function version(v: unknown): string {
  if (typeof v !== 'string' || !VERSION.test(v)) throw errors.badRequest(`version must look like v1.32.0, got ${JSON.stringify(v)}`);
  return v;
}

function role(v: unknown): Role {
  if (v === undefined) return 'worker';
  const found = ROLES.find((r) => r === v);
  if (!found) throw errors.badRequest(`role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(v)}`);
  return found;
}

function seconds(v: unknown, fallback: number): number {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isFinite(n) || n < 0) throw errors.badRequest('downSeconds must be a non-negative number');
  return n;
}

async function isControlPlane(sandbox: Sandbox, node: string): Promise<boolean> {
  return (await sandbox.controlPlaneNodes()).includes(node);
}

async function view(sandbox: Sandbox, kubelets: Kubelets, node: string): Promise<MachineView> {
  const m = kubelets.machine(node);
  return (await isControlPlane(sandbox, node)) ? { ...m, staticPods: sandbox.controlPlaneVersionOf(node) } : m;
}

/** A machine the sandbox runs a kubelet for (its Node may exist without one: a bare API object). */
async function machineOf(sandbox: Sandbox, kubelets: Kubelets, node: string): Promise<string> {
  if (!(await sandbox.registry.store.get('nodes', '', node)) || !kubelets.has(node)) throw errors.notFound('nodes', '', node);
  return node;
}

/**
 * One node's upgrade, as kubeadm and the packages do it: on a control-plane node the static pods
 * move first (`kubeadm upgrade apply` on the first one, `kubeadm upgrade node` on the others),
 * then the kubelet restarts on the new version (the upgradeSeconds fault sets how long it takes).
 */
async function upgradeNode(sandbox: Sandbox, kubelets: Kubelets, node: string, b: JsonObject): Promise<void> {
  const v = version(b.version);
  const r = role(b.role);
  const faults = kubelets.machine(node).faults;
  const downSeconds = faults.upgradeSeconds ?? seconds(b.downSeconds, 30);
  if (r === 'first-control-plane' || r === 'control-plane') {
    if (!(await isControlPlane(sandbox, node))) throw errors.badRequest(`node ${node} is not a control-plane node: role ${r} upgrades static pods; use role worker`);
    if (r === 'control-plane' && v !== sandbox.version()) {
      throw errors.conflict('nodes', '', node, `kubeadm upgrade node moves static pods to the cluster's version (${sandbox.version()}); run role first-control-plane with ${v} on one control-plane node first`);
    }
    await sandbox.upgradeControlPlaneNode(node, v, r === 'first-control-plane');
  }
  await kubelets.restart(node, downSeconds, v);
}

/** A new worker at a version: its Node is created as its kubelet registers it, and goes Ready. */
async function addMachine(sandbox: Sandbox, kubelets: Kubelets, b: JsonObject): Promise<MachineView> {
  const v = version(b.version);
  const labels = b.labels ?? {};
  if (!isJsonObject(labels) || Object.values(labels).some((x) => typeof x !== 'string')) throw errors.badRequest('labels must be an object of strings, like {"pool":"v132"}');
  const nodes = (await sandbox.registry.store.list('nodes', undefined)).items.filter(isNode);
  const names = new Set(nodes.map((n) => n.metadata.name ?? ''));
  let name: string;
  if (b.name !== undefined) {
    if (typeof b.name !== 'string' || !NODE_NAME.test(b.name)) throw errors.badRequest(`name must be a lowercase RFC 1123 subdomain, got ${JSON.stringify(b.name)}`);
    if (names.has(b.name)) throw errors.alreadyExists('nodes', '', b.name);
    name = b.name;
  } else {
    let i = 1;
    while (names.has(`node-${String(i).padStart(2, '0')}`)) i++;
    name = `node-${String(i).padStart(2, '0')}`;
  }
  // An InternalIP no other node has: nodeObject derives it from the index.
  const ips = new Set(nodes.map((n) => nodeInternalIP(n)));
  let index = nodes.length;
  const now = new Date(sandbox.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  const stringLabels = Object.fromEntries(Object.entries(labels).map(([k, x]) => [k, String(x)]));
  const make = (i: number) => nodeObject({ name, role: 'worker', version: v, capacity: { ...DEFAULT_CAPACITY }, labels: stringLabels, taints: [] }, i, now);
  while (ips.has(nodeInternalIP(make(index)))) index++;
  await sandbox.registry.create(sandbox.registry.type('', 'v1', 'nodes')!, '', make(index));
  // The store's watch hands the Node to the kubelets; answer once one runs for it.
  for (let i = 0; i < 200 && !kubelets.has(name); i++) await new Promise((r) => setTimeout(r, 5));
  return view(sandbox, kubelets, name);
}

async function nodeOperation(sandbox: Sandbox, kubelets: Kubelets, node: string, op: string, method: string, b: JsonObject): Promise<Reply> {
  if (op === 'faults') {
    if (method === 'DELETE') kubelets.setFaults(node, {});
    else if (method === 'POST') kubelets.setFaults(node, mergeFaults(kubelets.machine(node).faults, b));
    else if (method !== 'GET') throw errors.methodNotAllowed('faults are set with POST and cleared with DELETE');
    return { code: 200, body: await view(sandbox, kubelets, node) };
  }
  if (method !== 'POST') throw errors.methodNotAllowed('sandbox operations are POSTs');
  if (kubelets.machine(node).machine === 'removed') throw errors.conflict('nodes', '', node, 'its machine was removed; add a new one with POST /sandbox/v1/nodes');
  switch (op) {
    case 'down':
      kubelets.down(node);
      break;
    case 'up':
      kubelets.up(node, b.version === undefined ? undefined : version(b.version));
      break;
    case 'reboot':
      await kubelets.restart(node, seconds(b.downSeconds, 30));
      break;
    case 'upgrade':
      await upgradeNode(sandbox, kubelets, node, b);
      break;
    default:
      throw errors.notFound('', '', op);
  }
  return { code: 200, body: await view(sandbox, kubelets, node) };
}

async function route(sandbox: Sandbox, kubelets: Kubelets, method: string, parts: string[], b: JsonObject): Promise<Reply | undefined> {
  if (parts[0] === 'nodes' && parts.length === 1) {
    if (method === 'POST') return { code: 201, body: await addMachine(sandbox, kubelets, b) };
    if (method !== 'GET') throw errors.methodNotAllowed('machines are listed with GET and added with POST');
    const names = (await sandbox.registry.store.list('nodes', undefined)).items.map((n) => n.metadata.name ?? '').filter((n) => kubelets.has(n));
    return { code: 200, body: { items: await Promise.all(names.sort().map((n) => view(sandbox, kubelets, n))) } };
  }
  if (parts[0] === 'nodes' && parts.length === 2) {
    const node = await machineOf(sandbox, kubelets, parts[1]);
    if (method === 'DELETE') kubelets.remove(node);
    else if (method !== 'GET') throw errors.methodNotAllowed('a machine is read with GET and removed with DELETE');
    return { code: 200, body: await view(sandbox, kubelets, node) };
  }
  if (parts[0] === 'nodes' && parts.length === 3) return nodeOperation(sandbox, kubelets, await machineOf(sandbox, kubelets, parts[1]), parts[2], method, b);
  if (parts[0] === 'control-plane' && parts[1] === 'upgrade' && parts.length === 2) {
    if (method !== 'POST') throw errors.methodNotAllowed('sandbox operations are POSTs');
    const v = version(b.version);
    await sandbox.upgradeControlPlane(v);
    return { code: 200, body: { version: v } };
  }
  return undefined;
}

export function powerRoutes(sandbox: Sandbox) {
  return async (req: http.IncomingMessage, body: Buffer, url: URL): Promise<Reply | undefined> => {
    if (!url.pathname.startsWith(SANDBOX_PREFIX)) return undefined;
    const parts = url.pathname.slice(SANDBOX_PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
    const kubelets = sandbox.kubelets;
    if (!kubelets) throw errors.forbidden('this sandbox runs without simulated kubelets');
    const b = req.method === 'POST' ? parseBody(body) : {};
    const reply = await route(sandbox, kubelets, req.method ?? 'GET', parts, b);
    if (!reply) throw errors.notFound('', '', url.pathname);
    return reply;
  };
}
