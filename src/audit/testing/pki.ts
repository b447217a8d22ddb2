// A kubeadm PKI directory for tests, with certificates that expire when the test says: the
// layout of /etc/kubernetes/pki (ca, etcd/ca, front-proxy-ca and the certificates they sign) and
// the kubeconfig files in its parent. Generated with @peculiar/x509; test support only.
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import { webcrypto } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { KUBEADM_CAS, KUBEADM_CERTIFICATES } from '../certs.js';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1');
}

export interface Issued {
  certPem: string;
  keyPem: string;
}

interface Signer {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

async function selfSignedCA(cn: string, notAfter: Date): Promise<Signer> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${cn}`,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter,
    signingAlgorithm: ALG,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true)],
  });
  return { cert, keys };
}

async function issue(ca: Signer, cn: string, notAfter: Date, hosts: string[] = []): Promise<Issued> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${cn}`,
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter,
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      ...(hosts.length ? [new x509.SubjectAlternativeNameExtension(hosts.map((h) => ({ type: /^[\d.]+$/.test(h) ? ('ip' as const) : ('dns' as const), value: h })))] : []),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** Days until each certificate expires, by kubeadm name ("apiserver", "admin.conf", "ca"); `others` for the rest. */
export interface PkiExpiry {
  days: Record<string, number>;
  others: number;
  /** kubeconfig files to leave out (kubelet.conf on a node that has none). */
  omit?: string[];
}

/** Write a kubeadm PKI to `<root>/pki` and kubeconfigs to `<root>`; returns the PKI directory. */
export async function writeKubeadmPki(root: string, expiry: PkiExpiry): Promise<string> {
  x509.cryptoProvider.set(webcrypto);
  const at = (name: string) => new Date(Date.now() + (expiry.days[name] ?? expiry.others) * DAY_MS);
  const pki = path.join(root, 'pki');
  await fs.mkdir(path.join(pki, 'etcd'), { recursive: true });
  const cas = new Map<string, Signer>();
  for (const c of KUBEADM_CAS) {
    const ca = await selfSignedCA(c.name === 'ca' ? 'kubernetes' : c.name, at(c.name));
    cas.set(c.name, ca);
    await fs.writeFile(path.join(pki, `${c.file}.crt`), ca.cert.toString('pem'));
    await fs.writeFile(path.join(pki, `${c.file}.key`), pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', ca.keys.privateKey)));
  }
  for (const c of KUBEADM_CERTIFICATES) {
    const issued = await issue(cas.get(c.authority) ?? [...cas.values()][0], c.name, at(c.name));
    await fs.writeFile(path.join(pki, `${c.file}.crt`), issued.certPem);
    await fs.writeFile(path.join(pki, `${c.file}.key`), issued.keyPem);
  }
  const ca = cas.get('ca') ?? [...cas.values()][0];
  for (const name of ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf', 'kubelet.conf'].filter((n) => !expiry.omit?.includes(n))) {
    const issued = await issue(ca, `system:${name}`, at(name));
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await fs.writeFile(
      path.join(root, name),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: kubernetes, cluster: {server: "https://127.0.0.1:6443"}}]',
        'contexts: [{name: ctx, context: {cluster: kubernetes, user: u}}]',
        'current-context: ctx',
        `users: [{name: u, user: {client-certificate-data: ${b64(issued.certPem)}, client-key-data: ${b64(issued.keyPem)}}}]`,
        '',
      ].join('\n'),
    );
  }
  return pki;
}

/** A CA and a serving certificate for 127.0.0.1 expiring in `days`: a TLS server for the endpoint checks. */
export async function servingCertificate(days: number): Promise<Issued & { caPem: string }> {
  x509.cryptoProvider.set(webcrypto);
  const ca = await selfSignedCA('test-ca', new Date(Date.now() + 365 * DAY_MS));
  const issued = await issue(ca, 'etcd-server', new Date(Date.now() + days * DAY_MS), ['127.0.0.1', 'localhost']);
  return { ...issued, caPem: ca.cert.toString('pem') };
}
