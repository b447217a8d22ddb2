// kube-apiserver's aggregator controllers for APIServices (they run inside kube-apiserver; here
// beside the other controllers): autoregister with crdregistration (a local APIService per served
// group version, created at start; CRD ones kept in step with the CRDs and removed with them) and
// the AvailableConditionController (status.conditions Available). The decisions are in
// src/sandbox/server/apiservices.ts.
import { StatusError } from '../../api/status.js';
import { AUTOMANAGED_LABEL, MANAGE_CONTINUOUSLY, MANAGE_ON_START, type APIService, apiServiceAvailability, availableStatus, desiredAPIServices } from '../server/apiservices.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { API_SERVICES, ENDPOINTS, SERVICES } from './kinds.js';
import { WorkQueue } from './queue.js';

const ALL = 'all';

export class APIServiceController implements Controller {
  readonly name = 'apiservice-registration';
  private readonly queue: WorkQueue;
  /** onstart APIServices already synced by this process: later changes are the user's. */
  private readonly synced = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue(() => this.sync(), (k, e) => ctx.log(`apiservice-registration: ${String(e)}`), 1);
    // CRDs come and go through the registry's served types.
    this.unsubscribe = ctx.registry.onTypesChanged(() => this.queue.add(ALL));
  }

  start(): void {
    this.queue.add(ALL);
  }

  stop(): void {
    this.unsubscribe();
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === API_SERVICES) this.queue.add(ALL);
    else if (e.resource === SERVICES || e.resource === ENDPOINTS) {
      const name = e.object.metadata.name;
      if (this.ctx.cache.list(API_SERVICES).some((a) => a.spec?.service?.name === name && a.spec?.service?.namespace === e.namespace)) this.queue.add(ALL);
    }
  }

  private async sync(): Promise<void> {
    await this.register();
    await this.updateAvailability();
  }

  /** autoregister: create what is missing, put managed specs back, remove CRD APIServices no CRD serves. */
  private async register(): Promise<void> {
    const desired = desiredAPIServices(this.ctx.registry.allTypes());
    const wanted = new Set(desired.map((d) => d.metadata.name));
    for (const d of desired) {
      const name = d.metadata.name ?? '';
      const current = this.ctx.cache.get(API_SERVICES, '', name);
      const onStart = d.metadata.labels?.[AUTOMANAGED_LABEL] === MANAGE_ON_START;
      if (onStart && this.synced.has(name)) continue;
      await this.write(name, async () => {
        if (!current) await this.ctx.create(API_SERVICES, '', d);
        else if (current.metadata.labels?.[AUTOMANAGED_LABEL] && JSON.stringify(current.spec) !== JSON.stringify(d.spec)) {
          await this.ctx.update(API_SERVICES, '', name, { ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...d.metadata.labels } }, spec: d.spec });
        }
      });
      if (onStart) this.synced.add(name);
    }
    for (const a of this.ctx.cache.list(API_SERVICES)) {
      if (a.metadata.labels?.[AUTOMANAGED_LABEL] !== MANAGE_CONTINUOUSLY || wanted.has(a.metadata.name)) continue;
      await this.write(a.metadata.name ?? '', () => this.ctx.delete(API_SERVICES, '', a.metadata.name ?? '', { preconditions: { uid: a.metadata.uid } }));
    }
  }

  /** The AvailableConditionController: the Available condition of every APIService. */
  private async updateAvailability(): Promise<void> {
    const lookup = {
      service: (ns: string, name: string) => this.ctx.cache.get(SERVICES, ns, name),
      endpoints: (ns: string, name: string) => this.ctx.cache.get(ENDPOINTS, ns, name),
    };
    for (const a of this.ctx.cache.list(API_SERVICES)) {
      const status = availableStatus(a, apiServiceAvailability(a.spec, lookup), this.ctx.now());
      if (JSON.stringify(status) === JSON.stringify(a.status)) continue;
      const next: APIService = { ...a, status };
      await this.write(a.metadata.name ?? '', () => this.ctx.update(API_SERVICES, '', a.metadata.name ?? '', next, 'status'));
    }
  }

  private async write(name: string, op: () => Promise<unknown>): Promise<void> {
    try {
      await op();
    } catch (e) {
      if (isRace(e) || (e instanceof StatusError && e.reason === 'AlreadyExists')) {
        this.queue.addAfter(ALL, 50);
        return;
      }
      throw new Error(`${name}: ${String(e)}`);
    }
  }
}
