// Identities and RBAC in the sandbox, through real kubectl and upkeep: scenario users with tokens
// and client certificates, ServiceAccount tokens from `kubectl create token`, impersonation, the
// review APIs behind `kubectl auth can-i` and `whoami`, and a drain refused for want of
// create pods/eviction, with kube-apiserver's 403.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { parseScenario } from '../src/sandbox/index.js';
import { type TestSandbox, eventually, podReady, testSandbox } from './helpers/sandbox.js';
import { upkeep } from './helpers/cli.js';

const SCENARIO = `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: rbac}
spec:
  nodes:
  - {name: controlplane, role: control-plane}
  - {namePrefix: node0, count: 2}
  users:
  - {name: alice, groups: [ops], token: alice-token-1234}
  - {name: bob, groups: [devs, qa]}
  - {name: dora, groups: [drainers], token: dora-token-1234}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: ops}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-edit, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cordoner}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get, list, watch, patch, update]}
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
- {apiGroups: [apps], resources: [daemonsets, replicasets, statefulsets], verbs: [get, list]}
- {apiGroups: [policy], resources: [poddisruptionbudgets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: drainers-cordon}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cordoner}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: drainers}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: default}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {kubernetes.io/hostname: node01}
      containers: [{name: web, image: "nginx:1.27.3"}]
`;

describe('identities and RBAC in the sandbox', () => {
  let sb: TestSandbox;
  let web = '';
  const as = (context: string, args: string[]) => sb.kubectl(['--context', `upkeep-rbac-${context}`, ...args]);
  before(async () => {
    // Named, so that the scenario users' contexts are upkeep-rbac-<user> (by default the name carries the port).
    sb = await testSandbox({ scenario: parseScenario(SCENARIO, 'rbac.yaml'), name: 'upkeep-rbac' });
    const pod = await eventually('web ready on node01', async () => (await sb.list('pods', 'default')).find((p) => p.metadata.labels?.app === 'web' && podReady(p)));
    web = pod.metadata.name ?? '';
  });
  after(async () => sb?.stop());

  it('kubectl auth whoami: the admin, a token user, a client-certificate user', async () => {
    const admin = await sb.kubectl(['auth', 'whoami']);
    assert.equal(admin.stdout, 'ATTRIBUTE   VALUE\nUsername    kubernetes-admin\nGroups      [system:masters system:authenticated]\n');
    const alice = await as('alice', ['auth', 'whoami']);
    assert.equal(alice.stdout, 'ATTRIBUTE   VALUE\nUsername    alice\nGroups      [ops system:authenticated]\n');
    const bob = await as('bob', ['auth', 'whoami']);
    assert.equal(bob.code, 0, bob.stderr);
    assert.equal(bob.stdout, 'ATTRIBUTE   VALUE\nUsername    bob\nGroups      [devs qa system:authenticated]\n', 'CN and O of the certificate');
  });

  it('kubectl auth can-i and --list for a scenario user', async () => {
    assert.deepEqual(await as('alice', ['auth', 'can-i', 'list', 'pods', '-n', 'kube-system']), { code: 0, stdout: 'yes\n', stderr: '' });
    assert.deepEqual(await as('alice', ['auth', 'can-i', 'get', 'secrets']), { code: 1, stdout: 'no\n', stderr: '' });
    assert.equal((await as('bob', ['auth', 'can-i', 'create', 'pods/eviction', '-n', 'default'])).stdout, 'yes\n');
    assert.equal((await as('bob', ['auth', 'can-i', 'create', 'pods/eviction', '-n', 'kube-system'])).stdout, 'no\n');
    const list = await as('bob', ['auth', 'can-i', '--list', '-n', 'default']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout.split('\n')[0], /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
    assert.match(list.stdout, /^pods\/eviction\s+\[\]\s+\[\]\s+\[create\]$/m);
    assert.match(list.stdout, /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    assert.match(list.stdout, /^\s+\[\/api\/\*\]\s+\[\]\s+\[get\]$/m);
  });

  it('a denied request is 403 with kube-apiserver\'s message', async () => {
    const r = await as('alice', ['delete', 'pod', web]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error from server (Forbidden): pods "${web}" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "default"\n`);
  });

  it('kubectl drain by a user who may cordon but not create pods/eviction', async () => {
    const r = await as('dora', ['drain', 'node01', '--ignore-daemonsets', '--timeout=20s']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /^node\/node01 cordoned$/m);
    assert.ok(r.stderr.includes(`pods "${web}" is forbidden: User "dora" cannot create resource "pods/eviction" in API group "" in the namespace "default"`), r.stderr);
    assert.equal((await sb.kubectl(['uncordon', 'node01'])).code, 0);
  });

  it('upkeep drain by the same user stops with the same 403', async () => {
    const r = await upkeep(['--kubeconfig', sb.kubeconfig, '--context', 'upkeep-rbac-dora', 'drain', 'node01', '--ignore-daemonsets', '--timeout=20s']);
    assert.notEqual(r.code, 0);
    assert.ok(r.err.includes(`pods "${web}" is forbidden: User "dora" cannot create resource "pods/eviction" in API group "" in the namespace "default"`), r.err);
    assert.ok((await sb.get('pods', 'default', web)) !== undefined, 'the pod was not evicted');
    assert.equal((await sb.kubectl(['uncordon', 'node01'])).code, 0);
  });

  it('impersonation: --as for the admin, the impersonate verb checked for others', async () => {
    const asAlice = await sb.kubectl(['get', 'secrets', '-n', 'kube-system', '--as', 'alice', '--as-group', 'ops']);
    assert.equal(asAlice.stderr, 'Error from server (Forbidden): secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "kube-system"\n');
    assert.equal((await sb.kubectl(['auth', 'can-i', 'create', 'pods/eviction', '--as', 'bob', '-n', 'default'])).stdout, 'yes\n');
    const refused = await as('alice', ['get', 'pods', '--as', 'bob']);
    assert.equal(refused.stderr, 'Error from server (Forbidden): users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope\n');
  });

  it('kubectl create token: a bound token the sandbox verifies, until its ServiceAccount goes', async () => {
    const short = await sb.kubectl(['create', 'token', 'robot', '--duration', '1m']);
    assert.equal(short.stderr, 'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes\n');
    const t = await sb.kubectl(['create', 'token', 'robot', '--duration', '20m']);
    assert.equal(t.code, 0, t.stderr);
    const token = t.stdout.trim();
    const who = await sb.kubectl(['--token', token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}']);
    assert.equal(who.stdout, 'system:serviceaccount:default:robot ["system:serviceaccounts","system:serviceaccounts:default","system:authenticated"]');
    const denied = await sb.kubectl(['--token', token, 'get', 'pods']);
    assert.equal(denied.stderr, 'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:robot" cannot list resource "pods" in API group "" in the namespace "default"\n');
    assert.equal((await sb.kubectl(['create', 'rolebinding', 'robot-view', '--clusterrole', 'view', '--serviceaccount', 'default:robot'])).code, 0);
    const allowed = await sb.kubectl(['--token', token, 'get', 'pods', '-o', 'name']);
    assert.equal(allowed.stdout, `pod/${web}\n`);
    assert.equal((await sb.kubectl(['delete', 'serviceaccount', 'robot'])).code, 0);
    const gone = await sb.kubectl(['--token', token, 'get', 'pods']);
    assert.equal(gone.stderr, 'error: You must be logged in to the server (Unauthorized)\n');
  });

  it('kubectl certificate approve: the sandbox CA signs a client certificate that then authenticates', async () => {
    x509.cryptoProvider.set(webcrypto);
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=carol, O=ops', keys, signingAlgorithm: alg });
    const request = Buffer.from(csr.toString('pem')).toString('base64');
    const manifest = `{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"carol"},"spec":{"request":"${request}","signerName":"kubernetes.io/kube-apiserver-client","usages":["client auth"],"expirationSeconds":86400}}`;
    assert.equal((await sb.kubectl(['create', '-f', '-'], { input: manifest })).stdout, 'certificatesigningrequest.certificates.k8s.io/carol created\n');
    const pending = await sb.kubectl(['get', 'csr', 'carol']);
    assert.match(pending.stdout, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\ncarol\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+kubernetes-admin\s+24h\s+Pending\n$/);
    assert.equal((await sb.kubectl(['certificate', 'approve', 'carol'])).stdout, 'certificatesigningrequest.certificates.k8s.io/carol approved\n');
    const cert = await eventually('carol issued', async () => {
      const o = await sb.get('certificatesigningrequests.certificates.k8s.io', '', 'carol');
      const status: unknown = o?.status;
      return typeof status === 'object' && status !== null && 'certificate' in status && typeof status.certificate === 'string' ? status.certificate : undefined;
    });
    assert.match((await sb.kubectl(['get', 'csr', 'carol'])).stdout, /Approved,Issued\n$/);
    const certFile = path.join(sb.dir, 'carol.crt');
    const keyFile = path.join(sb.dir, 'carol.key');
    await fs.writeFile(certFile, Buffer.from(cert, 'base64'));
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
    await fs.writeFile(keyFile, `-----BEGIN PRIVATE KEY-----\n${pkcs8}\n-----END PRIVATE KEY-----\n`);
    assert.equal((await sb.kubectl(['config', 'set-credentials', 'carol', '--client-certificate', certFile, '--client-key', keyFile])).code, 0);
    const who = await sb.kubectl(['--user', 'carol', 'auth', 'whoami']);
    assert.equal(who.stdout, 'ATTRIBUTE   VALUE\nUsername    carol\nGroups      [ops system:authenticated]\n', who.stderr);
  });

  it('an unknown token is 401; bearer is accepted in any case', async () => {
    assert.equal((await sb.kubectl(['--token', 'not-a-token', 'get', 'pods'])).stderr, 'error: You must be logged in to the server (Unauthorized)\n');
    const status = (authorization: string) =>
      new Promise<number>((resolve, reject) => {
        const req = https.get(`${sb.sandbox.url}/api/v1/namespaces/default/pods`, { ca: sb.sandbox.caCertPem, headers: { authorization } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
      });
    assert.deepEqual([await status('BEARER alice-token-1234'), await status('bearer alice-token-1234'), await status('Bearer wrong-token-1234')], [200, 200, 401]);
  });
});
