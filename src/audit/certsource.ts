// Reading certificates for the expiry check: the API server's serving certificate from a TLS
// handshake, the kubeconfig's client certificate, etcd endpoints' serving certificates, and on a
// control-plane node a kubeadm PKI directory (--pki-dir /etc/kubernetes/pki) with the kubeconfig
// files in its parent. Each result is data (CertificateInfo); failures are recorded, not thrown.
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import YAML from 'yaml';
import { errnoCode, errorMessage } from '../util/errors.js';
import { jsonObject, jsonObjects } from '../util/json.js';
import { type CertificateInfo, type CertificateSource, KUBEADM_CAS, KUBEADM_CERTIFICATES, KUBEADM_KUBECONFIGS } from './certs.js';

/** The facts the check needs from a parsed certificate. */
function facts(cert: X509Certificate): Pick<CertificateInfo, 'subject' | 'notAfter'> {
  return { subject: cert.subject.replace(/\n/g, ', '), notAfter: new Date(Date.parse(cert.validTo)).toISOString() };
}

function failed(base: Omit<CertificateInfo, 'isCA'> & { isCA?: boolean }, e: unknown): CertificateInfo {
  return { isCA: false, ...base, error: errorMessage(e) };
}

/** The certificate a TLS server presents (not verified: the point is to read it, even when it has expired). */
export function presentedCertificate(url: string, options: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; timeoutMs?: number } = {}): Promise<X509Certificate> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 443);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: false, ca: options.ca, cert: options.cert, key: options.key });
    socket.setTimeout(options.timeoutMs ?? 10_000, () => socket.destroy(new Error(`no TLS handshake with ${u.host} within ${(options.timeoutMs ?? 10_000) / 1000}s`)));
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      if (!raw) reject(new Error(`${u.host} presented no certificate`));
      else resolve(new X509Certificate(raw));
    });
    socket.once('error', reject);
  });
}

export async function serverCertificate(source: 'apiserver' | 'etcd', url: string, name: string, options: Parameters<typeof presentedCertificate>[1] = {}): Promise<CertificateInfo> {
  const base = { name, source, location: url };
  try {
    return { ...base, isCA: false, ...facts(await presentedCertificate(url, options)) };
  } catch (e) {
    return failed(base, e);
  }
}

/** A client certificate given as base64 data or a file (as kubeconfigs do). */
async function clientCertificate(base: { name: string; source: CertificateSource; location: string }, data: string | undefined, file: string | undefined): Promise<CertificateInfo | undefined> {
  try {
    if (data) return { ...base, isCA: false, ...facts(new X509Certificate(Buffer.from(data, 'base64'))) };
    if (file) return { ...base, isCA: false, ...facts(new X509Certificate(await fs.readFile(file))) };
    return undefined;
  } catch (e) {
    return failed(base, e);
  }
}

/** The current context's client certificate, if it authenticates with one. */
export function kubeconfigCertificate(user: { certData?: string; certFile?: string } | null | undefined, where: string): Promise<CertificateInfo | undefined> {
  return clientCertificate({ name: 'kubeconfig client', source: 'kubeconfig', location: where }, user?.certData, user?.certFile);
}

/** A kubeadm kubeconfig file's client certificate (its first user's client-certificate[-data]). */
async function kubeconfigFile(dir: string, name: string): Promise<CertificateInfo | undefined> {
  const file = path.join(dir, name);
  const base = { name, source: 'kubeconfig-file' as const, location: file, authority: 'ca' };
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return name === 'super-admin.conf' || name === 'kubelet.conf' ? undefined : { ...base, isCA: false, missing: true };
    return failed(base, e);
  }
  try {
    const user = jsonObject(jsonObjects(jsonObject(YAML.parse(text))?.users)[0]?.user);
    const data = user?.['client-certificate-data'];
    const certFile = user?.['client-certificate'];
    const resolved = typeof certFile === 'string' ? path.resolve(dir, certFile) : undefined;
    return await clientCertificate(base, typeof data === 'string' ? data : undefined, resolved);
  } catch (e) {
    return failed(base, e);
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

async function pkiCertificate(dir: string, c: (typeof KUBEADM_CERTIFICATES)[number], isCA: boolean): Promise<CertificateInfo> {
  const file = path.join(dir, `${c.file}.crt`);
  // kubeadm: a CA whose key is absent is external, and so is every certificate it signs.
  const caFile = isCA ? c.file : (KUBEADM_CAS.find((a) => a.name === c.authority)?.file ?? 'ca');
  const base = { name: c.name, source: 'pki' as const, location: file, isCA, ...(isCA ? {} : { authority: c.authority }), externallyManaged: !(await exists(path.join(dir, `${caFile}.key`))) };
  try {
    return { ...base, ...facts(new X509Certificate(await fs.readFile(file))) };
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { ...base, missing: true };
    return failed(base, e);
  }
}

/** Every kubeadm certificate and CA under the PKI directory, and the kubeconfig files in its parent. */
export async function pkiCertificates(pkiDir: string): Promise<CertificateInfo[]> {
  const certs = await Promise.all(KUBEADM_CERTIFICATES.map((c) => pkiCertificate(pkiDir, c, false)));
  const cas = await Promise.all(KUBEADM_CAS.map((c) => pkiCertificate(pkiDir, c, true)));
  const confs = await Promise.all(KUBEADM_KUBECONFIGS.map((n) => kubeconfigFile(path.dirname(path.resolve(pkiDir)), n)));
  return [...certs, ...confs.flatMap((c) => c ?? []), ...cas];
}
