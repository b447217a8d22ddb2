// kube-controller-manager's csrsigning controller, with kubeadm's cluster CA: an approved
// CertificateSigningRequest for kubernetes.io/kube-apiserver-client, kube-apiserver-client-kubelet
// or kubelet-serving gets status.certificate, signed by the sandbox's CA (so a client certificate
// obtained this way authenticates to the sandbox); one the signer refuses gets a Failed condition.
import type { CertificateSigningRequest } from '../../api/types.js';
import { errorMessage } from '../../util/errors.js';
import { DEFAULT_SIGNING_SECONDS, signingDecision } from '../auth/csr.js';
import { signCertificateRequest } from '../auth/certs.js';
import type { CertificateAuthority } from '../auth/certs.js';
import type { Sandbox } from '../sandbox.js';
import type { StoreEvent } from '../store/store.js';
import { type Controller, type ControllerContext, isRace } from './context.js';
import { CERTIFICATE_SIGNING_REQUESTS } from './kinds.js';
import { WorkQueue } from './queue.js';

export class CsrSigningController implements Controller {
  readonly name = 'csrsigning';
  private readonly queue: WorkQueue;
  private readonly ca?: CertificateAuthority;

  constructor(
    private readonly ctx: ControllerContext,
    sandbox: Sandbox,
  ) {
    this.ca = sandbox.auth?.ca;
    this.queue = new WorkQueue((name) => this.sync(name), (k, e) => ctx.log(`csrsigning: ${k}: ${String(e)}`), 2);
  }

  start(): void {
    for (const csr of this.ctx.cache.list(CERTIFICATE_SIGNING_REQUESTS)) this.queue.add(csr.metadata.name ?? '');
  }

  stop(): void {
    this.queue.stop();
  }

  onEvent(e: StoreEvent): void {
    if (e.resource === CERTIFICATE_SIGNING_REQUESTS && e.type !== 'DELETED') this.queue.add(e.object.metadata.name ?? '');
  }

  private async sync(name: string): Promise<void> {
    const csr = this.ctx.cache.get(CERTIFICATE_SIGNING_REQUESTS, '', name);
    if (!csr || !this.ca) return;
    const d = signingDecision(csr);
    if (!d.sign && !d.failed) return;
    let status: CertificateSigningRequest['status'];
    if (d.failed) status = this.failed(csr, d.failed.reason, d.failed.message);
    else {
      try {
        const pem = await signCertificateRequest(this.ca, Buffer.from(csr.spec.request, 'base64').toString('utf8'), new Date(this.ctx.clock.now()), csr.spec.expirationSeconds ?? DEFAULT_SIGNING_SECONDS, [...(csr.spec.usages ?? [])]);
        status = { ...csr.status, certificate: Buffer.from(pem).toString('base64') };
      } catch (e) {
        status = this.failed(csr, 'SignerValidationFailure', `unable to parse csr: ${errorMessage(e)}`);
      }
    }
    try {
      await this.ctx.update(CERTIFICATE_SIGNING_REQUESTS, '', name, { ...csr, status }, 'status');
    } catch (e) {
      if (!isRace(e)) throw e;
      this.queue.addAfter(name, 20);
    }
  }

  private failed(csr: CertificateSigningRequest, reason: string, message: string): CertificateSigningRequest['status'] {
    const now = this.ctx.now();
    const condition = { type: 'Failed', status: 'True', reason, message, lastUpdateTime: now, lastTransitionTime: now };
    return { ...csr.status, conditions: [...(csr.status?.conditions ?? []), condition] };
  }
}
