// Scenario users: `spec.users: [{name, groups, token}]`. A user with a token authenticates with
// it (a static token file entry, to kube-apiserver); one without gets a client certificate
// signed by the sandbox's CA (CN = name, O = groups) in the kubeconfig.

export interface ScenarioUser {
  name: string;
  groups: string[];
  token?: string;
}

/** Reasons a scenario's users are refused, as "<source>: spec.users[i]...: what to do". */
export function parseUsers(raw: unknown, source: string, fail: (message: string) => Error = (m) => new Error(m)): ScenarioUser[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw fail(`${source}: spec.users must be a list of {name, groups, token}`);
  const seen = new Set<string>();
  return raw.map((u: unknown, i) => {
    const at = `${source}: spec.users[${i}]`;
    if (typeof u !== 'object' || u === null || Array.isArray(u)) throw fail(`${at} must be a mapping with name, groups and token`);
    const name: unknown = Reflect.get(u, 'name');
    const groups: unknown = Reflect.get(u, 'groups') ?? [];
    const token: unknown = Reflect.get(u, 'token');
    if (typeof name !== 'string' || name === '') throw fail(`${at}.name must be a non-empty string`);
    if (name.startsWith('system:serviceaccount:')) throw fail(`${at}.name ${JSON.stringify(name)} is a ServiceAccount's name: create the ServiceAccount and use \`kubectl create token\``);
    if (seen.has(name)) throw fail(`${at}.name ${JSON.stringify(name)} is declared twice`);
    seen.add(name);
    if (!Array.isArray(groups) || !groups.every((g): g is string => typeof g === 'string' && g !== '')) throw fail(`${at}.groups must be a list of group names`);
    if (token !== undefined && (typeof token !== 'string' || !/^[\x21-\x7e]{8,}$/.test(token))) {
      throw fail(`${at}.token must be at least 8 printable characters without spaces`);
    }
    return token === undefined ? { name, groups } : { name, groups, token };
  });
}
