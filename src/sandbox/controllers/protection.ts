// kube-controller-manager's pvc-protection and pv-protection controllers: a deleted
// PersistentVolumeClaim keeps its kubernetes.io/pvc-protection finalizer (and stays Terminating)
// while a scheduled pod still uses it; a deleted PersistentVolume keeps kubernetes.io/pv-protection
// while it is Bound. The StorageObjectInUseProtection admission plugin adds the finalizers
// (src/sandbox/server/createhooks.ts); the decisions are in storage.ts.
import type { KubeObject, Pod } from '../../api/types.js';
import type { StoreEvent } from '../store/store.js';
import { storeKey } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES, PODS, type ResourceKey, isEventOf, groupResource } from './kinds.js';
import { WorkQueue } from './queue.js';
import { PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER, claimProtectionRemovable, podClaimNames, volumeProtectionRemovable } from './storage.js';

export class StorageProtectionController implements Controller {
  readonly name = 'storage-protection';
  private readonly claims: WorkQueue;
  private readonly volumes: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.claims = new WorkQueue((k) => this.syncClaim(k), (k, e) => ctx.log(`pvc-protection: ${k}: ${String(e)}`), 2);
    this.volumes = new WorkQueue((k) => this.syncVolume(k), (k, e) => ctx.log(`pv-protection: ${k}: ${String(e)}`), 2);
  }

  start(): void {
    for (const c of this.ctx.cache.list(PERSISTENT_VOLUME_CLAIMS)) if (c.metadata.deletionTimestamp) this.claims.add(storeKey(c.metadata.namespace ?? '', c.metadata.name ?? ''));
    for (const v of this.ctx.cache.list(PERSISTENT_VOLUMES)) if (v.metadata.deletionTimestamp) this.volumes.add(v.metadata.name ?? '');
  }

  stop(): void {
    this.claims.stop();
    this.volumes.stop();
  }

  onEvent(e: StoreEvent): void {
    if (e.type === 'DELETED' && e.resource !== PODS) return;
    if (isEventOf(e, PERSISTENT_VOLUME_CLAIMS)) {
      if (e.object.metadata.deletionTimestamp) this.claims.add(storeKey(e.namespace, e.object.metadata.name ?? ''));
    } else if (isEventOf(e, PERSISTENT_VOLUMES)) {
      if (e.object.metadata.deletionTimestamp) this.volumes.add(e.object.metadata.name ?? '');
    } else if (isEventOf(e, PODS)) {
      // A pod that went (or shut down) may have been the last user of a claim being deleted.
      for (const claim of usedClaims(e.object)) {
        if (this.ctx.cache.get(PERSISTENT_VOLUME_CLAIMS, e.namespace, claim)?.metadata.deletionTimestamp) this.claims.add(storeKey(e.namespace, claim));
      }
    }
  }

  private async syncClaim(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const pvc = this.ctx.cache.get(PERSISTENT_VOLUME_CLAIMS, ns, name);
    if (!pvc || !claimProtectionRemovable(pvc, this.ctx.cache.list(PODS, ns))) return;
    await this.removeFinalizer(PERSISTENT_VOLUME_CLAIMS, pvc, PVC_PROTECTION_FINALIZER);
  }

  private async syncVolume(name: string): Promise<void> {
    const pv = this.ctx.cache.get(PERSISTENT_VOLUMES, '', name);
    if (!pv || !volumeProtectionRemovable(pv)) return;
    await this.removeFinalizer(PERSISTENT_VOLUMES, pv, PV_PROTECTION_FINALIZER);
  }

  /** Removing the last finalizer of a deleted object completes its deletion (the registry sees to it). */
  private async removeFinalizer<T extends KubeObject>(resource: ResourceKey<T>, o: T, finalizer: string): Promise<void> {
    const finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    const { finalizers: _old, ...rest } = o.metadata;
    const next: T = { ...o, metadata: finalizers.length ? { ...rest, finalizers } : rest };
    try {
      await this.ctx.update(resource, o.metadata.namespace ?? '', o.metadata.name ?? '', next);
    } catch (e) {
      // Changed under us: its event queues it again.
      if (!isRace(e)) throw new Error(`${groupResource(resource).resource} ${o.metadata.name ?? ''}: ${String(e)}`);
    }
  }
}

/** The claims a pod's volumes name, generic ephemeral ones (<pod>-<volume>) included. */
function usedClaims(pod: Pod): string[] {
  const ephemeral = (pod.spec?.volumes ?? []).filter((v) => v.ephemeral !== undefined).map((v) => `${pod.metadata.name ?? ''}-${v.name}`);
  return [...podClaimNames(pod), ...ephemeral];
}
