// kube-controller-manager's persistentvolume-binder with a simulated provisioner behind it: a
// claim binds to the smallest matching PersistentVolume (storage.ts), or gets a volume provisioned
// for it (Immediate classes at once; WaitForFirstConsumer classes once the scheduler has named a
// node on the claim, the volume then pinned to that node); a volume whose claim is gone is
// deleted (reclaim policy Delete) or kept as Released (Retain). Every class is provisioned except
// kubernetes.io/no-provisioner (static local volumes), so a scenario may copy a real cluster's
// classes (ebs.csi.aws.com, ...) and still get volumes.
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import type { StoreEvent } from '../store/store.js';
import { storeKey } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { NODES, PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES, STORAGE_CLASSES, isEventOf } from './kinds.js';
import { WorkQueue } from './queue.js';
import {
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  SELECTED_NODE_ANNOTATION,
  claimClass,
  findMatchingVolume,
  isBoundTo,
  isWaitForFirstConsumer,
  provisionedVolume,
  provisionerAnnotations,
} from './storage.js';

const COMPONENT = 'persistentvolume-controller';
const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

export class PersistentVolumeController implements Controller {
  readonly name = 'persistentvolume-binder';
  private readonly claims: WorkQueue;
  private readonly volumes: WorkQueue;
  /** Claims told once why they wait (kube repeats these events; once keeps the event list readable). */
  private readonly told = new Map<string, string>();

  constructor(private readonly ctx: ControllerContext) {
    this.claims = new WorkQueue((k) => this.syncClaim(k), (k, e) => ctx.log(`persistentvolume-binder: claim ${k}: ${String(e)}`), 2);
    this.volumes = new WorkQueue((k) => this.syncVolume(k), (k, e) => ctx.log(`persistentvolume-binder: volume ${k}: ${String(e)}`), 2);
  }

  start(): void {
    for (const c of this.ctx.cache.list(PERSISTENT_VOLUME_CLAIMS)) this.claims.add(storeKey(c.metadata.namespace ?? '', c.metadata.name ?? ''));
    for (const v of this.ctx.cache.list(PERSISTENT_VOLUMES)) this.volumes.add(v.metadata.name ?? '');
  }

  stop(): void {
    this.claims.stop();
    this.volumes.stop();
  }

  onEvent(e: StoreEvent): void {
    if (isEventOf(e, PERSISTENT_VOLUME_CLAIMS)) {
      const key = storeKey(e.namespace, e.object.metadata.name ?? '');
      if (e.type === 'DELETED') {
        this.told.delete(key);
        if (e.object.spec?.volumeName) this.volumes.add(e.object.spec.volumeName);
      } else this.claims.add(key);
    } else if (isEventOf(e, PERSISTENT_VOLUMES)) {
      if (e.type !== 'DELETED') this.volumes.add(e.object.metadata.name ?? '');
      const ref = e.object.spec?.claimRef;
      if (ref?.name) this.claims.add(storeKey(ref.namespace ?? '', ref.name));
      // A volume that became Available may fit a waiting claim.
      if (e.object.status?.phase === 'Available' || e.type === 'ADDED') for (const c of this.ctx.cache.list(PERSISTENT_VOLUME_CLAIMS)) if (c.status?.phase !== 'Bound') this.claims.add(storeKey(c.metadata.namespace ?? '', c.metadata.name ?? ''));
    } else if (e.resource === STORAGE_CLASSES && e.type === 'ADDED') {
      this.start();
    }
  }

  private async syncClaim(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const pvc = this.ctx.cache.get(PERSISTENT_VOLUME_CLAIMS, ns, name);
    if (!pvc || pvc.metadata.deletionTimestamp) return;
    const volumeName = pvc.spec?.volumeName;
    if (volumeName) {
      const pv = this.ctx.cache.get(PERSISTENT_VOLUMES, '', volumeName);
      if (pv && (!pv.spec?.claimRef || isBoundTo(pv, pvc))) return this.bind(pv, pvc);
      if (!pv && pvc.status?.phase === 'Bound') {
        await this.writeClaimStatus(pvc, { phase: 'Lost' });
        await this.tell(pvc, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      }
      return;
    }
    const className = claimClass(pvc);
    const sc = className ? this.ctx.cache.get(STORAGE_CLASSES, '', className) : undefined;
    const selected = pvc.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    if (isWaitForFirstConsumer(sc) && !selected) {
      return this.tell(pvc, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
    }
    const node = selected ? this.ctx.cache.get(NODES, '', selected) : undefined;
    const pv = findMatchingVolume(pvc, this.ctx.cache.list(PERSISTENT_VOLUMES), node);
    if (pv) return this.bind(pv, pvc);
    // The persistentvolume-binder's events for a claim nothing will provision.
    if (!className) return this.tell(pvc, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
    if (!sc) return this.tell(pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
    if (sc.provisioner === NO_PROVISIONER) return this.tell(pvc, 'Warning', 'ProvisioningFailed', `no volume plugin matched name: ${NO_PROVISIONER}`);
    await this.provision(pvc, sc, isWaitForFirstConsumer(sc) ? selected : undefined);
  }

  /** The simulated provisioner: the claim is annotated for it, then it creates the volume pre-bound to the claim. */
  private async provision(pvc: PersistentVolumeClaim, sc: StorageClass, node: string | undefined): Promise<void> {
    const ns = pvc.metadata.namespace ?? '';
    const annotations = provisionerAnnotations(sc);
    if (Object.entries(annotations).some(([k, v]) => pvc.metadata.annotations?.[k] !== v)) {
      try {
        await this.ctx.patch(PERSISTENT_VOLUME_CLAIMS, ns, pvc.metadata.name ?? '', 'merge', { metadata: { annotations } });
      } catch (e) {
        if (!isRace(e)) throw e;
      }
      await this.tell(pvc, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
      await this.ctx.event(pvc, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${ns}/${pvc.metadata.name}"`, sc.provisioner);
    }
    const body = provisionedVolume(pvc, sc, node);
    try {
      await this.ctx.create(PERSISTENT_VOLUMES, '', body);
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'AlreadyExists') return;
      throw e;
    }
    await this.ctx.event(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${body.metadata.name}`, sc.provisioner);
  }

  /** Both halves of a binding: the volume's claimRef and phase, then the claim's volumeName and phase. */
  private async bind(pv: PersistentVolume, pvc: PersistentVolumeClaim): Promise<void> {
    const ns = pvc.metadata.namespace ?? '';
    const pvName = pv.metadata.name ?? '';
    try {
      let volume = pv;
      if (!volume.spec?.claimRef?.uid) {
        const claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: ns, name: pvc.metadata.name, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion };
        const annotations = { ...volume.metadata.annotations, ...(volume.spec?.claimRef ? {} : { [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' }) };
        volume = await this.ctx.update(PERSISTENT_VOLUMES, '', pvName, { ...volume, metadata: { ...volume.metadata, annotations }, spec: { ...volume.spec, claimRef } });
      }
      if (volume.status?.phase !== 'Bound') await this.ctx.update(PERSISTENT_VOLUMES, '', pvName, { ...volume, status: { ...volume.status, phase: 'Bound' } }, 'status');
      let claim = pvc;
      if (claim.spec?.volumeName !== pvName || claim.metadata.annotations?.[BIND_COMPLETED_ANNOTATION] !== 'yes') {
        const annotations = { ...claim.metadata.annotations, [BIND_COMPLETED_ANNOTATION]: 'yes', ...(claim.spec?.volumeName ? {} : { [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' }) };
        claim = await this.ctx.update(PERSISTENT_VOLUME_CLAIMS, ns, pvc.metadata.name ?? '', { ...claim, metadata: { ...claim.metadata, annotations }, spec: { ...claim.spec, volumeName: pvName } });
      }
      await this.writeClaimStatus(claim, { phase: 'Bound', capacity: volume.spec?.capacity, accessModes: volume.spec?.accessModes });
    } catch (e) {
      if (!isRace(e)) throw e;
      this.claims.addAfter(storeKey(ns, pvc.metadata.name ?? ''), 50);
    }
  }

  private async writeClaimStatus(pvc: PersistentVolumeClaim, status: NonNullable<PersistentVolumeClaim['status']>): Promise<void> {
    const next = { ...pvc.status, ...status };
    if (JSON.stringify(next) === JSON.stringify(pvc.status)) return;
    try {
      await this.ctx.update(PERSISTENT_VOLUME_CLAIMS, pvc.metadata.namespace ?? '', pvc.metadata.name ?? '', { ...pvc, status: next }, 'status');
    } catch (e) {
      if (!isRace(e)) throw e;
    }
  }

  /**
   * A volume: Available without a claim, Bound with one, and once its claim is gone Released, then
   * deleted under the Delete reclaim policy. A volume being deleted still follows its claim: the
   * pv-protection controller lets it go once it is no longer Bound.
   */
  private async syncVolume(name: string): Promise<void> {
    const pv = this.ctx.cache.get(PERSISTENT_VOLUMES, '', name);
    if (!pv) return;
    const ref = pv.spec?.claimRef;
    const claim = ref?.name ? this.ctx.cache.get(PERSISTENT_VOLUME_CLAIMS, ref.namespace ?? '', ref.name) : undefined;
    let phase: string;
    if (!ref) phase = 'Available';
    else if (claim && (!ref.uid || claim.metadata.uid === ref.uid)) phase = claim.spec?.volumeName === name ? 'Bound' : (pv.status?.phase ?? 'Available');
    else if (!ref.uid) phase = 'Available'; // pre-bound to a claim that does not exist yet
    else phase = 'Released';
    if (pv.status?.phase !== phase) {
      try {
        await this.ctx.update(PERSISTENT_VOLUMES, '', name, { ...pv, status: { ...pv.status, phase } }, 'status');
      } catch (e) {
        if (!isRace(e)) throw e;
        return;
      }
    }
    if (phase === 'Released' && pv.spec?.persistentVolumeReclaimPolicy === 'Delete' && !pv.metadata.deletionTimestamp) await this.reclaimDelete(pv);
  }

  private async reclaimDelete(pv: PersistentVolume): Promise<void> {
    try {
      await this.ctx.delete(PERSISTENT_VOLUMES, '', pv.metadata.name ?? '');
    } catch (e) {
      if (!isRace(e)) throw e;
    }
  }

  /** An event on the claim, once per reason and message while the claim waits. */
  private async tell(pvc: PersistentVolumeClaim, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const key = storeKey(pvc.metadata.namespace ?? '', pvc.metadata.name ?? '');
    if (this.told.get(key) === reason + message) return;
    this.told.set(key, reason + message);
    await this.ctx.event(pvc, type, reason, message, COMPONENT);
  }
}
