// Starts the sandbox's controllers (what kube-controller-manager, kube-scheduler and the
// kubelets do in a real cluster) over one shared cache of the store.
import type { Sandbox, SandboxControllers } from '../sandbox.js';
import { ClusterCache } from './cache.js';
import { type Controller, ControllerContext, DEFAULT_SETTINGS, type SandboxSettings } from './context.js';
import { CONTROLLER_FACTORIES } from './registry.js';

/** Resource keys the cache holds (everything controllers read). */
export const CACHED_RESOURCES = [
  'namespaces',
  'nodes',
  'pods',
  'services',
  'serviceaccounts',
  'configmaps',
  'leases.coordination.k8s.io',
  'deployments.apps',
  'replicasets.apps',
  'daemonsets.apps',
  'statefulsets.apps',
  'controllerrevisions.apps',
  'jobs.batch',
  'cronjobs.batch',
  'poddisruptionbudgets.policy',
  'replicationcontrollers',
  'certificatesigningrequests.certificates.k8s.io',
  'endpoints',
  'endpointslices.discovery.k8s.io',
  'horizontalpodautoscalers.autoscaling',
];

export interface RunningControllers extends SandboxControllers {
  context: ControllerContext;
  controllers: Controller[];
}

export async function startControllers(sandbox: Sandbox, settings: Partial<SandboxSettings> = {}): Promise<RunningControllers> {
  const cache = new ClusterCache();
  const ctx = new ControllerContext(sandbox.registry, cache, sandbox.clock, { ...DEFAULT_SETTINGS, ...settings }, sandbox.log);
  const controllers = CONTROLLER_FACTORIES.map((make) => make(ctx, sandbox));
  cache.onEvent((e) => {
    for (const c of controllers) c.onEvent(e);
  });
  await cache.start(sandbox.registry.store, CACHED_RESOURCES);
  for (const c of controllers) c.start();
  return {
    context: ctx,
    controllers,
    async stop() {
      for (const c of controllers) c.stop();
      cache.stop();
    },
  };
}
