import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateInfo } from '../../audit/certs.js';
import { countsLine, kubeadmTime, renderFindings, renderKubeadmCertificates, shortHumanDuration } from './audit.js';

describe("RESIDUAL TIME as kubeadm prints it (apimachinery's ShortHumanDuration)", () => {
  const S = 1000;
  const cases: Array<[number, string]> = [
    [-5 * S, '<invalid>'],
    [-1 * S, '0s'],
    [59 * S, '59s'],
    [60 * S, '1m'],
    [47 * 3600 * S, '47h'],
    [48 * 3600 * S, '2d'],
    [29 * 86400 * S + 5 * S, '29d'],
    [729 * 86400 * S, '729d'],
    [3650 * 86400 * S, '10y'],
  ];
  for (const [ms, text] of cases) it(`${ms} ms -> ${text}`, () => assert.equal(shortHumanDuration(ms), text));
});

describe('the certificate tables of kubeadm certs check-expiration', () => {
  it('EXPIRES as "Aug 19, 2026 09:03 UTC"', () => assert.equal(kubeadmTime('2026-08-19T09:03:59Z'), 'Aug 19, 2026 09:03 UTC'));

  it('certificates, then CAs, sorted by name; a missing one as !MISSING!', () => {
    const now = Date.parse('2025-08-24T09:03:00Z');
    const c = (name: string, o: Partial<CertificateInfo> = {}): CertificateInfo => ({ name, source: 'pki', location: `/etc/kubernetes/pki/${name}.crt`, isCA: false, authority: 'ca', notAfter: '2026-08-19T09:03:00Z', externallyManaged: false, ...o });
    const lines = renderKubeadmCertificates(
      [c('apiserver'), c('front-proxy-client', { authority: 'front-proxy-ca', missing: true, notAfter: undefined }), c('admin.conf', { source: 'kubeconfig-file' }), c('ca', { isCA: true, authority: undefined, notAfter: '2035-08-17T09:03:00Z' })],
      now,
    );
    assert.deepEqual(lines, [
      'CERTIFICATE                    EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED',
      'admin.conf                     Aug 19, 2026 09:03 UTC   360d            ca                      no',
      'apiserver                      Aug 19, 2026 09:03 UTC   360d            ca                      no',
      '!MISSING! front-proxy-client                                            front-proxy-ca          no',
      '',
      'CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED',
      'ca                      Aug 17, 2035 09:03 UTC   9y              no',
      '',
    ]);
  });
});

describe('findings grouped by severity', () => {
  it('heading with the count, then object and code, what is wrong, the fix', () => {
    assert.deepEqual(
      renderFindings([
        { severity: 'warning', code: 'BarePod', object: 'pod default/green', message: 'm1', fix: 'f1' },
        { severity: 'info', code: 'PermissionsUnchecked', message: 'm2', fix: 'f2' },
      ]),
      ['WARNING (1)', '  pod default/green  BarePod', '    m1', '    fix: f1', '', 'INFO (1)', '  (cluster)  PermissionsUnchecked', '    m2', '    fix: f2', ''],
    );
    assert.equal(countsLine({ blocking: 1, warning: 2, info: 1 }), '4 findings: 1 blocking, 2 warnings, 1 info');
  });
});
