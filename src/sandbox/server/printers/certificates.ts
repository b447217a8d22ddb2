// kube-apiserver's table for CertificateSigningRequests (pkg/printers/internalversion:
// printCertificateSigningRequest, extractCSRStatus), as `kubectl get csr` shows it.
import type { CertificateSigningRequest } from '../../../api/types.js';
import { AGE_COLUMN, NAME_COLUMN, age, column, humanDuration, nameOf, text, type Printer } from './format.js';

/** Denied or Approved or Pending, then ",Failed" and ",Issued". */
export function csrCondition(csr: CertificateSigningRequest): string {
  const types = new Set((csr.status?.conditions ?? []).map((c) => c.type));
  let s = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) s += ',Failed';
  if (csr.status?.certificate) s += ',Issued';
  return s;
}

export const certificateSigningRequestPrinter: Printer<CertificateSigningRequest> = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    column('SignerName', 'string', 'signerName indicates the requested signer, and is a qualified name.'),
    column('Requestor', 'string', 'request contains an x509 certificate signing request encoded in a "CERTIFICATE REQUEST" PEM block.'),
    column('RequestedDuration', 'string', 'expirationSeconds is the requested duration of validity of the issued certificate.'),
    column('Condition', 'string', 'conditions applied to the request. Known conditions are "Approved", "Denied", and "Failed".'),
  ],
  cells(csr, now) {
    const seconds = csr.spec?.expirationSeconds;
    return [nameOf(csr), age(csr, now), text(csr.spec?.signerName), text(csr.spec?.username), seconds === undefined ? '<none>' : humanDuration(seconds * 1000), csrCondition(csr)];
  },
};
