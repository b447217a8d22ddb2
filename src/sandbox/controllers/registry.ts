// The list of controllers a sandbox runs, in start order. Each module owns one controller.
import type { Sandbox } from '../sandbox.js';
import type { Controller, ControllerContext } from './context.js';
import { Scheduler } from './scheduler.js';
import { NodeLifecycleController } from './nodelifecycle.js';
import { Kubelets } from '../kubelet/kubelet.js';
import { DisruptionController } from './disruption.js';
import { GarbageCollector, PodGarbageCollector } from './gc.js';
import { NamespaceDefaultsController } from './namespacedefaults.js';
import { ReplicaSetController } from './replicaset.js';
import { DeploymentController } from './deployment.js';
import { DaemonSetController } from './daemonset.js';
import { StatefulSetController } from './statefulset.js';
import { JobController } from './job.js';
import { CronJobController } from './cronjob.js';
import { CsrSigningController } from './csrsigning.js';
import { EndpointsController } from './endpoints.js';
import { HorizontalPodAutoscalerController } from './hpa.js';
import { PersistentVolumeController } from './persistentvolume.js';
import { ClusterRoleAggregationController } from './clusterroleaggregation.js';
import { APIServiceController } from './apiservices.js';
import { StorageProtectionController } from './protection.js';
import { EventTtlController } from './events-sink.js';

export type ControllerFactory = (ctx: ControllerContext, sandbox: Sandbox) => Controller;

export const CONTROLLER_FACTORIES: ControllerFactory[] = [
  (ctx, sandbox) => new Kubelets(ctx, sandbox),
  (ctx) => new NodeLifecycleController(ctx),
  (ctx) => new Scheduler(ctx),
  (ctx) => new DisruptionController(ctx),
  (ctx) => new GarbageCollector(ctx),
  (ctx) => new PodGarbageCollector(ctx),
  (ctx, sandbox) => NamespaceDefaultsController.create(ctx, sandbox),
  (ctx) => new DeploymentController(ctx),
  (ctx) => new ReplicaSetController(ctx),
  (ctx) => new DaemonSetController(ctx),
  (ctx) => new StatefulSetController(ctx),
  (ctx) => new JobController(ctx),
  (ctx) => new CronJobController(ctx),
  (ctx, sandbox) => new CsrSigningController(ctx, sandbox),
  (ctx) => new EndpointsController(ctx),
  (ctx) => new HorizontalPodAutoscalerController(ctx),
  (ctx) => new PersistentVolumeController(ctx),
  (ctx) => new ClusterRoleAggregationController(ctx),
  (ctx) => new APIServiceController(ctx),
  (ctx) => new StorageProtectionController(ctx),
  (ctx) => new EventTtlController(ctx.registry, ctx.clock),
];
