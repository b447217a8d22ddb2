// Kubeconfig users and contexts for the scenario's users, written beside the admin's: a token
// user authenticates with its token, any other with a client certificate of the sandbox's CA.
import type { KubeObject } from '../../api/types.js';
import type { SandboxAuth } from './auth.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from './bootstrap.js';
import { issueClientCertificate } from './certs.js';
import { aggregateAll } from './rbac.js';

export interface KubeconfigEntries {
  users: Array<{ name: string; user: Record<string, string> }>;
  contexts: Array<{ name: string; context: { cluster: string; user: string; namespace: string } }>;
}

/** Certificates are issued once per sandbox (the kubeconfig may be written more than once). */
const issued = new WeakMap<SandboxAuth, Map<string, { certPem: string; keyPem: string }>>();

/** One user and one context, `<cluster>-<user>`, per scenario user. */
export async function scenarioUserEntries(auth: SandboxAuth, cluster: string): Promise<KubeconfigEntries> {
  const out: KubeconfigEntries = { users: [], contexts: [] };
  const certs = issued.get(auth) ?? new Map<string, { certPem: string; keyPem: string }>();
  issued.set(auth, certs);
  for (const u of auth.users) {
    const name = `${cluster}-${u.name}`;
    if (u.token) out.users.push({ name, user: { token: u.token } });
    else {
      let c = certs.get(u.name);
      if (!c) {
        c = await issueClientCertificate(auth.ca, u.name, u.groups, new Date(auth.clock.now()));
        certs.set(u.name, c);
      }
      out.users.push({ name, user: { 'client-certificate-data': b64(c.certPem), 'client-key-data': b64(c.keyPem) } });
    }
    out.contexts.push({ name, context: { cluster, user: name, namespace: 'default' } });
  }
  return out;
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

/** The default RBAC objects, in the order kube-apiserver's bootstrap creates them (roles first). */
export function defaultRbacObjects(): KubeObject[] {
  // Stored with the rules the aggregation controller would have written into them.
  return [...aggregateAll(bootstrapClusterRoles()), ...bootstrapClusterRoleBindings()];
}
