import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type CertificateInfo, certificateExpiry, certificateFinding } from './certs.js';
import { pkiCertificates, serverCertificate } from './certsource.js';
import { MAINTENANCES } from './maintenance.js';
import { auditInput } from './rules.js';
import { healthy } from './testing/cluster.js';
import { servingCertificate, writeKubeadmPki } from './testing/pki.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const DAY = 24 * 60 * 60 * 1000;

function cert(o: Partial<CertificateInfo> & { days?: number }): CertificateInfo {
  const { days, ...rest } = o;
  return { name: 'apiserver', source: 'pki', location: '/etc/kubernetes/pki/apiserver.crt', isCA: false, authority: 'ca', ...(days !== undefined ? { notAfter: new Date(NOW + days * DAY).toISOString() } : {}), ...rest };
}

describe('certificate expiry: expired is blocking, under 30 days a warning', () => {
  const cases: Array<[string, CertificateInfo, string]> = [
    ['31 days left: nothing to say', cert({ days: 31 }), 'none'],
    ['30 days left: not under 30', cert({ days: 30 }), 'none'],
    ['29 days left: renew before the maintenance', cert({ days: 29 }), 'warning CertificateExpiresSoon'],
    ['one minute left', cert({ days: 1 / 1440 }), 'warning CertificateExpiresSoon'],
    ['expired yesterday', cert({ days: -1 }), 'blocking CertificateExpired'],
    ['a CA 29 days from expiry', cert({ name: 'ca', isCA: true, days: 29 }), 'warning CertificateExpiresSoon'],
    ['the API server from its handshake, 29 days', cert({ source: 'apiserver', location: 'https://127.0.0.1:6443', days: 29 }), 'warning CertificateExpiresSoon'],
    ['missing from the PKI: kubeadm prints !MISSING!, no finding', cert({ missing: true }), 'none'],
    ['unreadable', cert({ error: 'EACCES' }), 'info CertificateUnreadable'],
  ];
  for (const [story, c, expected] of cases) {
    it(story, () => {
      const f = certificateFinding(c, NOW);
      assert.equal(f ? `${f.severity} ${f.code}` : 'none', expected);
    });
  }

  it('names the certificate, the date and the days left, and the renewal command', () => {
    assert.deepEqual(certificateFinding(cert({ days: 29 }), NOW), {
      severity: 'warning',
      code: 'CertificateExpiresSoon',
      object: '/etc/kubernetes/pki/apiserver.crt',
      message: 'certificate apiserver (/etc/kubernetes/pki/apiserver.crt) expires on 2026-12-30T00:00:00.000Z, in 29 days (under 30): renew it before maintenance rather than during it',
      fix: 'on each control-plane node: kubeadm certs renew apiserver, then restart the control-plane static pods that use it',
    });
  });

  it('the fix for a CA is a rotation, for kubelet.conf the kubelet, for an external CA its signer', () => {
    const fix = (c: CertificateInfo) => certificateFinding(c, NOW)?.fix ?? '';
    assert.match(fix(cert({ name: 'ca', isCA: true, days: 3 })), /manual-rotation-of-ca-certificates/);
    assert.match(fix(cert({ name: 'kubelet.conf', source: 'kubeconfig-file', days: 3 })), /rotateCertificates/);
    assert.match(fix(cert({ externallyManaged: true, days: 3 })), /external CA/);
  });
});

describe('a kubeadm PKI directory, generated with short-lived certificates', () => {
  let root: string;
  let certs: CertificateInfo[];
  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-pki-'));
    await writeKubeadmPki(root, { days: { apiserver: 29, 'etcd-server': -2, 'admin.conf': 31 }, others: 365, omit: ['kubelet.conf', 'super-admin.conf'] });
    await fs.rm(path.join(root, 'pki', 'front-proxy-client.crt'));
    certs = await pkiCertificates(path.join(root, 'pki'));
  });
  after(() => fs.rm(root, { recursive: true, force: true }));

  it("reads every kubeadm certificate, the kubeconfig files in its parent and the CAs; a removed one is missing", () => {
    assert.deepEqual(
      certs.map((c) => `${c.name} ${c.isCA ? 'CA' : c.authority}${c.missing ? ' missing' : ''}`),
      [
        'apiserver ca',
        'apiserver-etcd-client etcd-ca',
        'apiserver-kubelet-client ca',
        'etcd-healthcheck-client etcd-ca',
        'etcd-peer etcd-ca',
        'etcd-server etcd-ca',
        'front-proxy-client front-proxy-ca missing',
        'admin.conf ca',
        'controller-manager.conf ca',
        'scheduler.conf ca',
        'ca CA',
        'etcd-ca CA',
        'front-proxy-ca CA',
      ],
    );
  });

  it('29 days is a warning, 31 days nothing, expired blocking', () => {
    const s = { ...healthy(), certificates: certs, now: Date.now() };
    const findings = certificateExpiry(auditInput(s, MAINTENANCES.maintenance));
    assert.deepEqual(
      findings.map((f) => `${f.severity} ${f.code} ${path.relative(root, f.object ?? '')}`),
      ['warning CertificateExpiresSoon pki/apiserver.crt', 'blocking CertificateExpired pki/etcd/server.crt'],
    );
  });

  it('a CA whose key is gone is externally managed, and so are the certificates it signs', async () => {
    await fs.rm(path.join(root, 'pki', 'etcd', 'ca.key'));
    const again = await pkiCertificates(path.join(root, 'pki'));
    assert.deepEqual(
      again.filter((c) => c.externallyManaged).map((c) => c.name),
      ['apiserver-etcd-client', 'etcd-healthcheck-client', 'etcd-peer', 'etcd-server', 'etcd-ca'],
    );
  });
});

describe("a server's certificate from the TLS handshake", () => {
  it('is read even when it does not verify; a closed port is recorded as unreadable', async () => {
    const tls = await servingCertificate(29);
    const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (_req, res) => res.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const c = await serverCertificate('etcd', `https://127.0.0.1:${port}`, 'etcd serving');
      assert.equal(c.subject, 'CN=etcd-server');
      assert.equal(certificateFinding(c, Date.now())?.code, 'CertificateExpiresSoon');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const closed = await serverCertificate('etcd', `https://127.0.0.1:${port}`, 'etcd serving');
    assert.match(closed.error ?? '', /ECONNREFUSED/);
  });
});
