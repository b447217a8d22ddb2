import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret, ServiceAccount } from '../api/types.js';
import { MAINTENANCES } from './maintenance.js';
import { pullSecrets } from './pullsecrets.js';
import { isPublicRegistry, keyMatches, parseImage, pullSecretKeys } from './registry.js';
import { auditInput } from './rules.js';
import type { Snapshot } from './snapshot.js';
import { deployment, healthy, pod, replica } from './testing/cluster.js';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');

function secret(name: string, type: string, data: Record<string, string>, ns = 'default'): Secret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, type, data };
}
const dockerconfigjson = (name: string, hosts: string[]) => secret(name, 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': b64({ auths: Object.fromEntries(hosts.map((h) => [h, { auth: b64('u:p') }])) }) });

describe('image references: registry host and repository (distribution/reference)', () => {
  const cases: Array<[string, string, string, boolean]> = [
    ['nginx', 'docker.io', 'library/nginx', true],
    ['nginx:1.27@sha256:ab', 'docker.io', 'library/nginx', true],
    ['bitnami/redis:7', 'docker.io', 'bitnami/redis', true],
    ['index.docker.io/library/nginx', 'docker.io', 'library/nginx', true],
    ['registry.k8s.io/kube-proxy:v1.31.4', 'registry.k8s.io', 'kube-proxy', true],
    ['registry.example.com:5000/team/app:2.1', 'registry.example.com:5000', 'team/app', false],
    ['localhost/app', 'localhost', 'app', false],
    ['localhost:5000/app:1', 'localhost:5000', 'app', false],
  ];
  for (const [image, host, repository, isPublic] of cases) {
    it(`${image} -> ${host} ${repository}${isPublic ? ' (public)' : ''}`, () => {
      assert.deepEqual(parseImage(image), { host, repository });
      assert.equal(isPublicRegistry(host), isPublic);
    });
  }
});

describe("docker config keys matched as the kubelet's keyring does", () => {
  const image = parseImage('registry.example.com:5000/team/app:2.1');
  const cases: Array<[string, boolean]> = [
    ['registry.example.com:5000', true],
    ['https://registry.example.com:5000/v2/', true],
    ['registry.example.com:5000/team', true],
    ['registry.example.com:5000/other', false],
    ['registry.example.com', false],
    ['*.example.com:5000', true],
    ['other.example.com:5000', false],
  ];
  for (const [key, expected] of cases) it(`${key}: ${expected ? 'matches' : 'does not match'}`, () => assert.equal(keyMatches(key, image), expected));
  it('the Docker Hub key https://index.docker.io/v1/ matches docker.io images', () => assert.equal(keyMatches('https://index.docker.io/v1/', parseImage('myorg/private:1')), true));
});

describe('pull secrets the kubelet can read', () => {
  const cases: Array<[string, Pick<Secret, 'type' | 'data'>, string]> = [
    ['dockerconfigjson', dockerconfigjson('x', ['registry.example.com:5000']), 'ok registry.example.com:5000'],
    ['the older dockercfg', { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64({ 'registry.example.com:5000': { auth: 'x' } }) } }, 'ok registry.example.com:5000'],
    ['an Opaque secret: the wrong type', { type: 'Opaque', data: { '.dockerconfigjson': b64({ auths: {} }) } }, 'wrong-type type Opaque, not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg'],
    ['not JSON', { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{nope') } }, 'unparsable'],
    ['JSON without auths', { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64({ credsStore: 'x' }) } }, 'unparsable'],
  ];
  for (const [story, s, expected] of cases) {
    it(story, () => {
      const r = pullSecretKeys(s);
      const text = r.ok ? `ok ${r.keys.join(',')}` : r.problem === 'wrong-type' ? `${r.problem} ${r.detail}` : r.problem;
      assert.equal(text, expected);
    });
  }
});

const PRIVATE = 'registry.example.com:5000/team/app:2.1';

/** The story cluster plus a private-registry Deployment "shop" whose pods name `pullSecret`. */
function withShop(pullSecret: string | undefined, secrets: Secret[], change: (s: Snapshot) => void = () => undefined): Snapshot {
  const s = healthy();
  s.workloads.push(...deployment('shop', 2));
  for (const [i, n] of [['a', 'node01'], ['b', 'node02']]) {
    const p = replica('shop', i, n, { image: PRIVATE });
    if (pullSecret) p.spec = { ...p.spec, containers: p.spec?.containers ?? [], imagePullSecrets: [{ name: pullSecret }] };
    s.pods.push(p);
  }
  s.secrets = secrets;
  s.serviceAccounts = [];
  change(s);
  return s;
}

describe('audit rule pullSecrets: a pod moved elsewhere must be able to pull', () => {
  const cases: Array<{ story: string; s: Snapshot; expect: string[] }> = [
    { story: 'a good dockerconfigjson for the host: nothing', s: withShop('regcred', [dockerconfigjson('regcred', ['registry.example.com:5000'])]), expect: [] },
    {
      story: 'the named secret is missing in the namespace: missing, and the image has no credentials',
      s: withShop('regcred', []),
      expect: ['ImagePullSecretMissing deployment.apps default/shop', 'ImagePullSecretNoCredentials deployment.apps default/shop'],
    },
    {
      story: 'the secret is Opaque: the wrong type',
      s: withShop('regcred', [secret('regcred', 'Opaque', { password: b64('x') })]),
      expect: ['ImagePullSecretInvalid deployment.apps default/shop', 'ImagePullSecretNoCredentials deployment.apps default/shop'],
    },
    {
      story: "a dockerconfigjson without the image's host",
      s: withShop('regcred', [dockerconfigjson('regcred', ['ghcr.io'])]),
      expect: ['ImagePullSecretNoCredentials deployment.apps default/shop'],
    },
    { story: 'no pull secret at all for a private registry', s: withShop(undefined, []), expect: ['PrivateImageNoPullSecret deployment.apps default/shop'] },
    {
      story: "the ServiceAccount's pull secret counts",
      s: withShop(undefined, [dockerconfigjson('sa-cred', ['registry.example.com:5000'])], (s) => {
        const sa: ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'default' }, imagePullSecrets: [{ name: 'sa-cred' }] };
        s.serviceAccounts = [sa];
      }),
      expect: [],
    },
    { story: 'a secret the user may not read: no guess', s: withShop('regcred', [], (s) => (s.unreadableSecrets = ['default/regcred'])), expect: [] },
    { story: 'a secret in another namespace does not count', s: withShop('regcred', [{ ...dockerconfigjson('regcred', ['registry.example.com:5000']), metadata: { name: 'regcred', namespace: 'other' } }]), expect: ['ImagePullSecretMissing deployment.apps default/shop', 'ImagePullSecretNoCredentials deployment.apps default/shop'] },
    { story: 'Docker Hub images need no secret', s: withShop(undefined, [], (s) => s.pods.push(pod('hub', 'node01', { image: 'nginx:1.27.3' }))), expect: ['PrivateImageNoPullSecret deployment.apps default/shop'] },
    { story: 'secrets not read (the preflight): the rule says nothing', s: withShop('regcred', [], (s) => delete s.secrets), expect: [] },
  ];
  for (const c of cases) {
    it(c.story, () => assert.deepEqual(pullSecrets(auditInput(c.s, MAINTENANCES.drain)).map((f) => `${f.code} ${f.object}`), c.expect));
  }

  it('says what is wrong, why it matters, and the command', () => {
    const [missing] = pullSecrets(auditInput(withShop('regcred', []), MAINTENANCES.drain));
    assert.deepEqual(missing, {
      severity: 'warning',
      code: 'ImagePullSecretMissing',
      object: 'deployment.apps default/shop',
      message: "deployment.apps default/shop names pull secret regcred, but secret default/regcred does not exist in the pod's namespace (secrets are per namespace): a pod moved to a node without its image may fail to pull (ErrImagePull)",
      fix: 'create it in default: kubectl create secret docker-registry regcred -n default --docker-server=HOST --docker-username=USER --docker-password=...',
    });
  });
});
