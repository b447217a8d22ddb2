// What kubectl checks in the cluster and user a context uses before it sends anything
// (client-go's clientcmd validation and rest transport setup), with its wording, so a broken
// kubeconfig is one line naming the entry and the field instead of a TLS or socket error later:
// a CA that is not base64 or not PEM, a CA file that is missing or a directory, a server that is
// not a URL, insecure-skip-tls-verify that is not a boolean or comes with a CA, and token and
// certificate files that cannot be read. Reads the entries as written in the file (client-node
// turns `insecure-skip-tls-verify: maybe` into false and ignores kubectl's `tokenFile`).
import fs from 'node:fs';
import { errnoCode } from '../util/errors.js';
import { isJsonObject } from '../util/json.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** Go's os.Open error text, as kubectl prints it inside its messages. */
function openError(file: string, e: unknown): string {
  const code = errnoCode(e);
  if (code === 'ENOENT') return `open ${file}: no such file or directory`;
  if (code === 'EACCES') return `open ${file}: permission denied`;
  if (code === 'EISDIR') return `read ${file}: is a directory`;
  return `open ${file}: ${code ?? String(e)}`;
}

/** The bytes of a file a kubeconfig names, or the kubectl-style reason it cannot be read. */
export function readNamedFile(file: string): { data?: Buffer; error?: string } {
  try {
    if (fs.statSync(file).isDirectory()) return { error: `read ${file}: is a directory` };
    return { data: fs.readFileSync(file) };
  } catch (e) {
    return { error: openError(file, e) };
  }
}

function caProblem(cluster: Record<string, unknown>, name: string): string | undefined {
  const data = cluster['certificate-authority-data'];
  const file = cluster['certificate-authority'];
  if (data !== undefined && data !== null && data !== '') {
    if (typeof data !== 'string' || !BASE64.test(data)) return `certificate-authority-data of cluster "${name}": illegal base64 data`;
    if (!PEM_CERT.test(Buffer.from(data, 'base64').toString('latin1'))) return `unable to load root certificates of cluster "${name}": unable to parse bytes as PEM block (certificate-authority-data)`;
  } else if (typeof file === 'string' && file !== '') {
    const r = readNamedFile(file);
    if (r.error) return `unable to read certificate-authority ${file} for cluster "${name}" due to ${r.error}`;
    if (!PEM_CERT.test(r.data!.toString('latin1'))) return `unable to load root certificates from ${file} (cluster "${name}"): unable to parse bytes as PEM block`;
  }
  return undefined;
}

/** Problems of the cluster entry a context uses (`cluster` is the entry's `cluster:` mapping). */
export function clusterProblem(cluster: unknown, name: string): string | undefined {
  if (!isJsonObject(cluster)) return `cluster "${name}" has no cluster: mapping`;
  const server = cluster.server;
  if (typeof server !== 'string' || server.trim() === '') return `no server found for cluster "${name}"`;
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) {
    return `host must be a URL or a host:port pair: ${JSON.stringify(server)} (server of cluster "${name}")`;
  }
  const insecure = cluster['insecure-skip-tls-verify'];
  if (insecure !== undefined && typeof insecure !== 'boolean') {
    return `cannot unmarshal ${JSON.stringify(insecure)} into insecure-skip-tls-verify of cluster "${name}": must be true or false`;
  }
  const hasCA = Boolean(cluster['certificate-authority-data'] || cluster['certificate-authority']);
  if (insecure === true && hasCA && url.protocol === 'https:') {
    return `specifying a root certificates file with the insecure flag is not allowed (cluster "${name}": remove certificate-authority or insecure-skip-tls-verify)`;
  }
  return caProblem(cluster, name);
}

/** Problems of the user entry a context uses; `token` is what its tokenFile holds, when it has one. */
export function userProblem(user: unknown, name: string): { problem?: string; token?: string } {
  if (user === undefined || user === null) return {};
  if (!isJsonObject(user)) return { problem: `user "${name}" has no user: mapping` };
  for (const [field, what] of [['client-certificate', 'client-cert'], ['client-key', 'client-key']] as const) {
    const file = user[field];
    if (typeof file === 'string' && file !== '') {
      const r = readNamedFile(file);
      if (r.error) return { problem: `unable to read ${what} ${file} for user "${name}" due to ${r.error}` };
    }
  }
  const tokenFile = user.tokenFile ?? user['token-file'];
  if (typeof tokenFile === 'string' && tokenFile !== '' && !user.token) {
    const r = readNamedFile(tokenFile);
    if (r.error) return { problem: `unable to read tokenFile ${tokenFile} for user "${name}" due to ${r.error}` };
    return { token: r.data!.toString('utf8').trim() };
  }
  return {};
}
