// Client certificates signed by the sandbox's CA, read the way kube-apiserver's x509
// authenticator reads them: the subject's CN is the user name, each O a group.
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import { webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
import * as x509 from '@peculiar/x509';
import { pemKey } from '../server/tls.js';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface CertificateAuthority {
  caCertPem: string;
  caKeyPem: string;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

async function caKey(ca: CertificateAuthority): Promise<CryptoKey> {
  const der = Buffer.from(ca.caKeyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1');
}

/** The X.500 name of a user: CN=<user>, one O per group. */
export function subjectName(user: string, groups: string[]): x509.JsonName {
  return [{ CN: [user] }, ...groups.map((g) => ({ O: [g] }))];
}

/** A key and a client certificate for a user, valid for `days` from `now`. */
export async function issueClientCertificate(ca: CertificateAuthority, user: string, groups: string[], now: Date, days = 365): Promise<IssuedCertificate> {
  x509.cryptoProvider.set(webcrypto);
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await sign(ca, new x509.Name(subjectName(user, groups)).toString(), keys.publicKey, now, days * 86400, [x509.ExtendedKeyUsage.clientAuth]);
  return { certPem: cert, keyPem: pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** Sign the public key and subject of a PKCS#10 request (a CertificateSigningRequest's spec.request). */
export async function signCertificateRequest(ca: CertificateAuthority, csrPem: string, now: Date, seconds: number, usages: string[]): Promise<string> {
  x509.cryptoProvider.set(webcrypto);
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  const eku = usages.flatMap((u) => (u === 'client auth' ? [x509.ExtendedKeyUsage.clientAuth] : u === 'server auth' ? [x509.ExtendedKeyUsage.serverAuth] : []));
  const san = csr.extensions.find((e) => e instanceof x509.SubjectAlternativeNameExtension);
  return sign(ca, csr.subject, await csr.publicKey.export(), now, seconds, eku, san ?? undefined);
}

async function sign(ca: CertificateAuthority, subject: string, publicKey: CryptoKey, now: Date, seconds: number, eku: string[], san?: x509.Extension): Promise<string> {
  const caCert = new x509.X509Certificate(ca.caCertPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 5 * 60 * 1000),
    notAfter: new Date(now.getTime() + seconds * 1000),
    signingAlgorithm: ALG,
    publicKey,
    signingKey: await caKey(ca),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(eku),
      ...(san ? [san] : []),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return cert.toString('pem') + '\n';
}
