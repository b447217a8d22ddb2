// Sandbox-only operations, reachable over the sandbox's own HTTPS API (with the same token):
// what an administrator does to machines, which no Kubernetes API offers.
//   POST /sandbox/v1/nodes/<node>/down|up|reboot|upgrade   {"version":"v1.32.0","downSeconds":30}
//   POST /sandbox/v1/control-plane/upgrade                  {"version":"v1.32.0"}
//   GET  /sandbox/v1/nodes/<node>                           {"name","up","version"}
import type http from 'node:http';
import { errors } from '../api/status.js';
import type { Sandbox } from './sandbox.js';

const VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export const SANDBOX_PREFIX = '/sandbox/v1/';

function parseBody(body: Buffer): { version?: unknown; downSeconds?: unknown } {
  if (!body.length) return {};
  try {
    const v = JSON.parse(body.toString('utf8'));
    return typeof v === 'object' && v !== null ? v : {};
  } catch {
    throw errors.badRequest('the body must be a JSON object like {"version":"v1.32.0"}');
  }
}

function version(v: unknown): string {
  if (typeof v !== 'string' || !VERSION.test(v)) throw errors.badRequest(`version must look like v1.32.0, got ${JSON.stringify(v)}`);
  return v;
}

export function powerRoutes(sandbox: Sandbox) {
  return async (req: http.IncomingMessage, body: Buffer, url: URL): Promise<{ code: number; body: unknown } | undefined> => {
    if (!url.pathname.startsWith(SANDBOX_PREFIX)) return undefined;
    const parts = url.pathname.slice(SANDBOX_PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
    const kubelets = sandbox.kubelets;
    if (!kubelets) throw errors.forbidden('this sandbox runs without simulated kubelets');
    if (parts[0] === 'nodes' && parts.length === 2 && req.method === 'GET') {
      if (!sandbox.registry.store || !(await sandbox.registry.store.get('nodes', '', parts[1]))) throw errors.notFound('nodes', '', parts[1]);
      return { code: 200, body: { name: parts[1], up: kubelets.isUp(parts[1]), version: kubelets.version(parts[1]) } };
    }
    if (req.method !== 'POST') throw errors.methodNotAllowed('sandbox operations are POSTs');
    const b = parseBody(body);
    if (parts[0] === 'nodes' && parts.length === 3) {
      const node = parts[1];
      if (!(await sandbox.registry.store.get('nodes', '', node))) throw errors.notFound('nodes', '', node);
      const downSeconds = b.downSeconds === undefined ? 30 : Number(b.downSeconds);
      if (!Number.isFinite(downSeconds) || downSeconds < 0) throw errors.badRequest('downSeconds must be a non-negative number');
      switch (parts[2]) {
        case 'down':
          kubelets.down(node);
          break;
        case 'up':
          kubelets.up(node, b.version === undefined ? undefined : version(b.version));
          break;
        case 'reboot':
          await kubelets.restart(node, downSeconds);
          break;
        case 'upgrade':
          await kubelets.restart(node, downSeconds, version(b.version));
          break;
        default:
          throw errors.notFound('', '', parts[2]);
      }
      return { code: 200, body: { name: node, up: kubelets.isUp(node), version: kubelets.version(node) } };
    }
    if (parts[0] === 'control-plane' && parts[1] === 'upgrade' && parts.length === 2) {
      const v = version(b.version);
      await sandbox.upgradeControlPlane(v);
      return { code: 200, body: { version: v } };
    }
    throw errors.notFound('', '', url.pathname);
  };
}
