// Starts the sandbox's controllers (what kube-controller-manager, kube-scheduler and the
// kubelets do in a real cluster) over one shared cache of the store.
import type { Sandbox, SandboxControllers } from '../sandbox.js';
import { ClusterCache } from './cache.js';
import { type Controller, ControllerContext, DEFAULT_SETTINGS, type SandboxSettings } from './context.js';
import { CONTROLLER_FACTORIES } from './registry.js';
import { RateLimitedLog } from '../log.js';

/**
 * How often every controller re-enqueues everything it owns (an informer's resync): 30 simulated
 * seconds, but no more often than every 2 real seconds so that a fast clock stays cheap. A key
 * whose retries back off for long (an API outage) runs again at the next resync.
 */
export function resyncRealMs(realOf: (simMs: number) => number): number {
  return Math.max(realOf(30_000), 2_000);
}

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
  'persistentvolumeclaims',
  'persistentvolumes',
  'storageclasses.storage.k8s.io',
  'clusterroles.rbac.authorization.k8s.io',
  'apiservices.apiregistration.k8s.io',
  'customresourcedefinitions.apiextensions.k8s.io',
];

export interface RunningControllers extends SandboxControllers {
  context: ControllerContext;
  controllers: Controller[];
}

export async function startControllers(sandbox: Sandbox, settings: Partial<SandboxSettings> = {}): Promise<RunningControllers> {
  const cache = new ClusterCache();
  // Controllers report every failed reconcile; the log keeps one line per controller per 10 s.
  const failures = new RateLimitedLog(sandbox.log);
  const ctx = new ControllerContext(sandbox.registry, cache, sandbox.clock, { ...DEFAULT_SETTINGS, ...settings }, (line) => failures.warn(line));
  const controllers = CONTROLLER_FACTORIES.map((make) => make(ctx, sandbox));
  cache.onEvent((e) => {
    for (const c of controllers) c.onEvent(e);
  });
  await cache.start(sandbox.registry.store, CACHED_RESOURCES);
  for (const c of controllers) c.start();
  // A resync walks every cached object: at 150,000 pods that is too much work to repeat every 2 s,
  // so the period grows with the cache (1 ms per 4 objects: 7.5 s at 30,000, 37.5 s at 150,000;
  // kube-controller-manager's informers resync every 12 to 24 hours).
  let resync: NodeJS.Timeout | undefined;
  let stopped = false;
  const resyncAll = () => {
    for (const c of controllers) {
      try {
        if (c.resyncAll) c.resyncAll();
        else c.start();
      } catch (e) {
        // One controller tripping over a bad object must not stop the others (or the process).
        ctx.log(`${c.name}: resync: ${String(e)}`);
      }
    }
  };
  const schedule = () => {
    if (stopped) return;
    resync = setTimeout(() => {
      resyncAll();
      schedule();
    }, Math.max(resyncRealMs((ms) => sandbox.clock.real(ms)), cache.size() / 4));
    resync.unref();
  };
  schedule();
  return {
    context: ctx,
    controllers,
    async stop() {
      stopped = true;
      clearTimeout(resync);
      for (const c of controllers) c.stop();
      ctx.recorder.stop();
      cache.stop();
    },
  };
}
