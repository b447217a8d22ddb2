// `upkeep backup` end to end on sandboxes, through the CLI as a user runs it: a rich cluster
// (namespaces, a Deployment, a StatefulSet with claims, a Job, a CronJob, Services incl. NodePort
// and headless, Secrets of three types, ConfigMaps, RBAC, a PDB, a NetworkPolicy, a CRD with
// custom resources, cluster-scoped objects) is backed up once; then restored into a fresh sandbox
// and compared object by object, verified in a scratch cluster, damaged, mapped to another
// namespace, restored over existing objects, diffed, encrypted, compared with what
// `kubectl get all -A -o yaml` captures, and backed up while an aggregated API is down.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import YAML from 'yaml';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import type { KubeObject } from '../src/api/types.js';
import { KubeClient } from '../src/kube/index.js';
import { comparable } from '../src/backup/compare.js';
import { type TestSandbox, eventually, testSandbox } from './helpers/sandbox.js';
import { upkeep } from './helpers/cli.js';

const RICH = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Namespace
metadata: {name: data, labels: {team: data}}
---
apiVersion: v1
kind: Namespace
metadata: {name: batch-jobs}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web-sa
      containers: [{name: web, image: "nginx:1.27.3", envFrom: [{configMapRef: {name: app-config}}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-public, namespace: shop}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, nodePort: 30081}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web-sa, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: shop}
data: {LOG_LEVEL: info, FEATURE_X: "on"}
---
apiVersion: v1
kind: Secret
metadata: {name: db-credentials, namespace: shop}
type: Opaque
# data, not stringData: the sandbox keeps stringData as sent (kube-apiserver folds it into data).
data: {username: c2hvcHVzZXI=, password: cGxhaW50ZXh0LWNhbmFyeS03ZjNhOQ==}
---
apiVersion: v1
kind: Secret
metadata: {name: web-tls, namespace: shop}
type: kubernetes.io/tls
data: {tls.crt: Y2VydGlmaWNhdGUtY2FuYXJ5LTQ0MjE=, tls.key: a2V5LWNhbmFyeS04ODEy}
---
apiVersion: v1
kind: Secret
metadata: {name: registry, namespace: shop}
type: kubernetes.io/dockerconfigjson
data: {.dockerconfigjson: eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxlLmNvbSI6eyJhdXRoIjoiY21WbmFYTjBjbmt0WTJGdVlYSjVMVGt3TWpFPSJ9fX0=}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: config-reader, namespace: shop}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web-reads-config, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
subjects: [{kind: ServiceAccount, name: web-sa, namespace: shop}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ingress, namespace: shop}
spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress], ingress: [{from: [{podSelector: {}}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: postgres, image: "postgres:16.4", volumeMounts: [{name: pgdata, mountPath: /var/lib/postgresql/data}]}]}
  volumeClaimTemplates:
    - metadata: {name: pgdata}
      spec: {accessModes: [ReadWriteOnce], storageClassName: fast, resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: data}
spec: {limits: [{type: Container, default: {memory: 512Mi}}]}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: archive-pv}
spec: {capacity: {storage: 5Gi}, accessModes: [ReadWriteOnce], persistentVolumeReclaimPolicy: Retain, storageClassName: fast, hostPath: {path: /srv/archive}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly-report, namespace: batch-jobs}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: OnFailure, containers: [{name: report, image: "busybox:1.36", command: [sh, -c, "echo report"]}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: batch-jobs}
spec:
  suspend: true
  template:
    spec: {restartPolicy: Never, containers: [{name: migrate, image: "busybox:1.36", command: [sh, -c, "echo migrate"]}]}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: example.com/fast
reclaimPolicy: Delete
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: business-critical}
value: 100000
description: shop and data workloads
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: widget-viewer}
rules: [{apiGroups: [example.com], resources: [widgets], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: web-views-widgets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: widget-viewer}
subjects: [{kind: ServiceAccount, name: web-sa, namespace: shop}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wdg]}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`;

const WIDGETS = `apiVersion: example.com/v1
kind: Widget
metadata: {name: blue-widget, namespace: shop}
spec: {color: blue, size: 3}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: green-widget, namespace: data}
spec: {color: green, size: 5}
`;

// Applied (not created): kubectl records the nodePort the user chose, so a restore keeps it.
const APPLIED_NODEPORT = `apiVersion: v1
kind: Service
metadata: {name: web-admin, namespace: shop}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 8443, nodePort: 30443}]}
`;

/** What a restore must bring back: [group, version, resource, namespace, name]. */
const RESTORED: [string, string, string, string | undefined, string][] = [
  ['', 'v1', 'namespaces', undefined, 'shop'],
  ['', 'v1', 'namespaces', undefined, 'data'],
  ['', 'v1', 'namespaces', undefined, 'batch-jobs'],
  ['apps', 'v1', 'deployments', 'shop', 'web'],
  ['', 'v1', 'services', 'shop', 'web'],
  ['', 'v1', 'services', 'shop', 'web-public'],
  ['', 'v1', 'services', 'shop', 'web-admin'],
  ['', 'v1', 'serviceaccounts', 'shop', 'web-sa'],
  ['', 'v1', 'configmaps', 'shop', 'app-config'],
  ['', 'v1', 'secrets', 'shop', 'db-credentials'],
  ['', 'v1', 'secrets', 'shop', 'web-tls'],
  ['', 'v1', 'secrets', 'shop', 'registry'],
  ['rbac.authorization.k8s.io', 'v1', 'roles', 'shop', 'config-reader'],
  ['rbac.authorization.k8s.io', 'v1', 'rolebindings', 'shop', 'web-reads-config'],
  ['policy', 'v1', 'poddisruptionbudgets', 'shop', 'web'],
  ['networking.k8s.io', 'v1', 'networkpolicies', 'shop', 'web-ingress'],
  ['', 'v1', 'services', 'data', 'db'],
  ['apps', 'v1', 'statefulsets', 'data', 'db'],
  ['', 'v1', 'persistentvolumeclaims', 'data', 'pgdata-db-0'],
  ['', 'v1', 'persistentvolumeclaims', 'data', 'pgdata-db-1'],
  ['', 'v1', 'limitranges', 'data', 'defaults'],
  ['', 'v1', 'persistentvolumes', undefined, 'archive-pv'],
  ['batch', 'v1', 'cronjobs', 'batch-jobs', 'nightly-report'],
  ['batch', 'v1', 'jobs', 'batch-jobs', 'migrate'],
  ['storage.k8s.io', 'v1', 'storageclasses', undefined, 'fast'],
  ['scheduling.k8s.io', 'v1', 'priorityclasses', undefined, 'business-critical'],
  ['rbac.authorization.k8s.io', 'v1', 'clusterroles', undefined, 'widget-viewer'],
  ['rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', undefined, 'web-views-widgets'],
  ['apiextensions.k8s.io', 'v1', 'customresourcedefinitions', undefined, 'widgets.example.com'],
  ['example.com', 'v1', 'widgets', 'shop', 'blue-widget'],
  ['example.com', 'v1', 'widgets', 'data', 'green-widget'],
];
const STATUS_SUBRESOURCE = new Set(['namespaces', 'deployments', 'services', 'statefulsets', 'persistentvolumeclaims', 'persistentvolumes', 'cronjobs', 'jobs', 'poddisruptionbudgets', 'customresourcedefinitions', 'widgets']);

/** The canaries whose plaintext (or base64) must never be in an encrypted archive. */
const CANARIES = ['cGxhaW50ZXh0LWNhbmFyeS03ZjNhOQ==', 'plaintext-canary-7f3a9', 'eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxlLmNvbSI6eyJhdXRoIjoiY21WbmFYTjBjbmt0WTJGdVlYSjVMVGt3TWpFPSJ9fX0=', 'Y2VydGlmaWNhdGUtY2FuYXJ5LTQ0MjE=', 'certificate-canary-4421', 'a2V5LWNhbmFyeS04ODEy', 'key-canary-8812', 'cmVnaXN0cnktY2FuYXJ5LTkwMjE='];

async function tarEntries(file: string): Promise<Map<string, Buffer>> {
  const extract = tar.extract();
  extract.end(zlib.gunzipSync(await fs.readFile(file)));
  const entries = new Map<string, Buffer>();
  for await (const entry of extract) {
    const parts: Buffer[] = [];
    for await (const c of entry) parts.push(c as Buffer);
    entries.set(entry.header.name, Buffer.concat(parts));
  }
  return entries;
}

async function writeTarGz(file: string, entries: [string, Buffer | string][]): Promise<void> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const [name, data] of entries) pack.entry({ name, mode: 0o755 }, data);
  pack.finalize();
  await collected;
  await fs.writeFile(file, zlib.gzipSync(Buffer.concat(chunks)));
}

function lines(text: string): string[] {
  return text.trim().split('\n');
}

describe('upkeep backup on sandboxes', () => {
  let source: TestSandbox;
  let target: TestSandbox;
  let dir: string;
  let archive: string;

  before(async () => {
    source = await testSandbox();
    dir = source.dir;
    for (const [args, input] of [
      [['create', '-f', '-'], RICH],
      [['apply', '-f', '-'], WIDGETS],
      [['apply', '-f', '-'], APPLIED_NODEPORT],
    ] as const) {
      const r = await source.kubectl([...args], { input });
      assert.equal(r.code, 0, r.stderr);
    }
    await eventually('web and db pods', async () => (await source.list('pods', 'shop')).length === 3 && (await source.list('persistentvolumeclaims', 'data')).length === 2);
    archive = path.join(dir, 'nightly.tar.gz');
    const r = await upkeep(['--kubeconfig', source.kubeconfig, 'backup', 'create', archive]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Backup written to .*nightly.tar.gz: \d+ objects of \d+ resources/);
    target = await testSandbox();
  });
  after(async () => {
    await target?.stop();
    await source?.stop();
  });

  it("create: Velero's layout with upkeep's manifest, mode 0600, no .part left", async () => {
    assert.equal((await fs.stat(archive)).mode & 0o777, 0o600);
    assert.deepEqual((await fs.readdir(dir)).filter((f) => f.endsWith('.part')), []);
    const entries = await tarEntries(archive);
    assert.equal(entries.get('metadata/version')?.toString(), '1.1.0\n');
    const names = [...entries.keys()];
    assert.equal(names[0], 'metadata/version');
    assert.equal(names[names.length - 1], 'upkeep/manifest.json');
    for (const e of [
      'resources/deployments.apps/namespaces/shop/web.json',
      'resources/deployments.apps/v1-preferredversion/namespaces/shop/web.json',
      'resources/widgets.example.com/namespaces/data/green-widget.json',
      'resources/customresourcedefinitions.apiextensions.k8s.io/cluster/widgets.example.com.json',
      'resources/secrets/namespaces/shop/db-credentials.json',
      'resources/persistentvolumes/cluster/archive-pv.json',
    ]) {
      assert.ok(entries.has(e), `${e} is in the archive`);
    }
    const deployment = JSON.parse(entries.get('resources/deployments.apps/namespaces/shop/web.json')!.toString());
    assert.equal(deployment.apiVersion, 'apps/v1');
    assert.equal(deployment.kind, 'Deployment');
    assert.equal(deployment.spec.replicas, 3);
    const manifest = JSON.parse(entries.get('upkeep/manifest.json')!.toString());
    assert.equal(manifest.format, 1);
    assert.equal(manifest.cluster.version, 'v1.31.4');
    assert.equal(manifest.partial, false);
    assert.deepEqual(manifest.secrets, { protection: 'none', encryptedEntries: 0 });
    const counts = Object.fromEntries(manifest.resources.map((r: { groupResource: string; count: number }) => [r.groupResource, r.count]));
    assert.equal(counts.secrets, 3);
    assert.equal(counts['widgets.example.com'], 2);
    assert.equal(counts.events, undefined, 'events are left out unless asked');
    // Every entry but the checksums and the manifest is listed in sha256sum's format.
    const sums = lines(entries.get('upkeep/checksums.sha256')!.toString());
    assert.equal(sums.length, entries.size - 2);
    assert.match(sums[0], /^[0-9a-f]{64} {2}metadata\/version$/);
  });

  it('describe: counts per resource and namespace, from the manifest', async () => {
    const r = await upkeep(['backup', 'describe', archive]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Cluster: +https:\/\/127\.0\.0\.1:\d+ \(v1\.31\.4\)/);
    assert.match(r.out, /Secrets: +not encrypted/);
    assert.match(r.out, /Complete: +yes/);
    assert.match(r.out, /^widgets\.example\.com +Widget +2 +data=1,shop=1$/m);
    const json = JSON.parse((await upkeep(['backup', 'describe', archive, '-o', 'json'])).out);
    assert.equal(json.writer, 'upkeep');
    assert.equal(json.resources.find((x: { groupResource: string }) => x.groupResource === 'secrets').namespaces.shop, 3);
  });

  it('captures what `kubectl get all -A -o yaml` misses (counts per kind)', async () => {
    const all = await source.kubectl(['get', 'all', '-A', '-o', 'yaml']);
    assert.equal(all.code, 0, all.stderr);
    const kubectlCounts = new Map<string, number>();
    for (const item of (YAML.parse(all.stdout) as { items: KubeObject[] }).items) kubectlCounts.set(item.kind ?? '', (kubectlCounts.get(item.kind ?? '') ?? 0) + 1);
    const manifest = JSON.parse((await upkeep(['backup', 'describe', archive, '-o', 'json'])).out);
    const upkeepCounts = new Map<string, number>(manifest.resources.map((r: { kind: string; count: number }) => [r.kind, r.count]));
    const kinds = [...new Set([...kubectlCounts.keys(), ...upkeepCounts.keys()])].sort();
    const report = kinds.map((k) => `${k.padEnd(28)} kubectl ${String(kubectlCounts.get(k) ?? 0).padStart(3)}   upkeep ${String(upkeepCounts.get(k) ?? 0).padStart(3)}`);
    console.log(`kubectl get all -A -o yaml against upkeep backup create, objects per kind:\n${report.join('\n')}`);
    for (const [kind, n] of kubectlCounts) assert.ok((upkeepCounts.get(kind) ?? 0) >= n, `upkeep has every ${kind} kubectl has`);
    for (const kind of ['Secret', 'ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'PersistentVolumeClaim', 'PersistentVolume', 'StorageClass', 'PodDisruptionBudget', 'NetworkPolicy', 'CustomResourceDefinition', 'Widget', 'Namespace', 'PriorityClass', 'LimitRange']) {
      assert.equal(kubectlCounts.get(kind), undefined, `kubectl get all misses ${kind}`);
      assert.ok((upkeepCounts.get(kind) ?? 0) > 0, `upkeep has ${kind}`);
    }
  });

  it('restore into a fresh sandbox: every object back and equal, owned ones left to their controllers', async () => {
    const r = await upkeep(['--kubeconfig', target.kubeconfig, 'backup', 'restore', archive]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /^customresourcedefinitions\.apiextensions\.k8s\.io +1 +0 +0 +0 +0$/m);
    assert.match(r.out, /3 pods: owned by ReplicaSet web-[a-z0-9]+: its controller creates it again/);
    assert.match(r.out, /1 replicasets\.apps: owned by Deployment web: its controller creates it again/);
    assert.match(r.out, /services: the API server's own Service/);
    assert.match(r.out, /failed 0/);
    const src = await KubeClient.create({ kubeconfig: source.kubeconfig });
    const dst = await KubeClient.create({ kubeconfig: target.kubeconfig });
    try {
      for (const [group, version, resource, namespace, name] of RESTORED) {
        const ref = { group, version, resource, namespace, name };
        const [a, b] = await Promise.all([src.get<KubeObject>(ref), dst.get<KubeObject>(ref)]);
        const options = { groupResource: group ? `${resource}.${group}` : resource, hasStatusSubresource: STATUS_SUBRESOURCE.has(resource) };
        assert.deepEqual(comparable(b, options), comparable(a, options), `${resource} ${namespace ?? ''}/${name}`);
      }
      const secret = await dst.get<KubeObject>({ version: 'v1', resource: 'secrets', namespace: 'shop', name: 'db-credentials' });
      assert.equal(Buffer.from(String((secret.data as Record<string, string>).password), 'base64').toString(), 'plaintext-canary-7f3a9');
      // Allocated node ports are released (the target allocates its own); the one applied by hand is kept.
      const ports = async (name: string) => ((await dst.get<KubeObject>({ version: 'v1', resource: 'services', namespace: 'shop', name })).spec as { ports: { nodePort?: number }[] }).ports[0].nodePort;
      const allocated = await ports('web-public');
      assert.ok(allocated !== undefined && allocated >= 30000 && allocated <= 32767, `a node port from the default range, not ${allocated}`);
      assert.equal(await ports('web-admin'), 30443);
      const widget = await dst.get<KubeObject>({ group: 'example.com', version: 'v1', resource: 'widgets', namespace: 'shop', name: 'blue-widget' });
      assert.deepEqual(widget.spec, { color: 'blue', size: 3 });
      // The Deployment's controller makes its ReplicaSet and pods again, owned by the new Deployment.
      const web = await dst.get<KubeObject>({ group: 'apps', version: 'v1', resource: 'deployments', namespace: 'shop', name: 'web' });
      await eventually('3 web pods in the target', async () => (await target.list('pods', 'shop')).filter((p) => p.metadata.labels?.app === 'web').length === 3);
      const rs = (await target.list('replicasets.apps', 'shop')).filter((x) => x.metadata.labels?.app === 'web');
      assert.equal(rs.length, 1);
      assert.equal(rs[0].metadata.ownerReferences?.[0].uid, web.metadata.uid);
    } finally {
      src.close();
      dst.close();
    }
  });

  it('verify: restores into a scratch cluster of its own and finds every object as archived', async () => {
    const r = await upkeep(['backup', 'verify', archive]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /every checksum matches/);
    assert.match(r.out, /restored into a scratch cluster: \d+ created, \d+ already there; \d+ objects compared, \d+ left to the cluster by design/);
    assert.match(r.out, /^verified$/m);
  });

  it('verify names an entry with a flipped byte (exit 1); a damaged gzip stream is bad input (exit 2); restore refuses both', async () => {
    const entries = await tarEntries(archive);
    const victim = 'resources/configmaps/namespaces/shop/app-config.json';
    const flipped = Buffer.from(entries.get(victim)!);
    flipped[flipped.indexOf('info')] ^= 0x20;
    const altered = path.join(dir, 'altered.tar.gz');
    await writeTarGz(altered, [...entries].map(([n, d]) => [n, n === victim ? flipped : d]));
    const v = await upkeep(['backup', 'verify', '--checksums-only', altered]);
    assert.equal(v.code, 1);
    assert.match(v.out, new RegExp(`^entry ${victim}: sha256 mismatch: the entry was altered$`, 'm'));
    assert.match(v.out, /verification FAILED/);
    const restore = await upkeep(['--kubeconfig', target.kubeconfig, 'backup', 'restore', altered]);
    assert.equal(restore.code, 2);
    assert.equal(lines(restore.err).filter((l) => !l.startsWith('reading')).pop(), `error: ${altered}: entry ${victim}: sha256 mismatch: the entry was altered; nothing was restored`);

    const gz = await fs.readFile(archive);
    gz[Math.floor(gz.length / 2)] ^= 0xff;
    const corrupt = path.join(dir, 'corrupt.tar.gz');
    await fs.writeFile(corrupt, gz);
    const c = await upkeep(['backup', 'verify', '--checksums-only', corrupt]);
    assert.equal(c.code, 2);
    assert.match(c.err, /^error: .*corrupt.tar.gz is (corrupt|truncated) after entry \S+/m);
    const truncated = path.join(dir, 'truncated.tar.gz');
    await fs.writeFile(truncated, (await fs.readFile(archive)).subarray(0, 4000));
    const t = await upkeep(['backup', 'describe', truncated]);
    assert.equal(t.code, 2);
    assert.match(t.err, /is truncated after entry .*: the archive is incomplete/);
  });

  it('restores shop beside itself with --namespace-mappings, moving every reference to the namespace', async () => {
    const r = await upkeep(['--kubeconfig', source.kubeconfig, 'backup', 'restore', archive, '--include-namespaces', 'shop', '--namespace-mappings', 'shop:shop-copy']);
    // The nodePort web-admin's author set by hand is kept, and the original still holds it: the
    // cluster's allocator refuses the copy, as kube-apiserver does; everything else is restored.
    assert.equal(r.code, 1, r.err + r.out);
    assert.match(r.err + r.out, /services shop-copy\/web-admin: \(Invalid\) Service "web-admin" is invalid: spec\.ports\[0\]\.nodePort: Invalid value: 30443: provided port is already allocated/);
    assert.ok(await source.get('services', 'shop-copy', 'web'));
    assert.ok(await source.get('configmaps', 'shop-copy', 'app-config'));
    assert.ok(await source.get('secrets', 'shop-copy', 'db-credentials'));
    assert.ok(await source.get('widgets.example.com', 'shop-copy', 'blue-widget'));
    const binding = await source.get('rolebindings.rbac.authorization.k8s.io', 'shop-copy', 'web-reads-config');
    assert.deepEqual(binding?.subjects, [{ kind: 'ServiceAccount', name: 'web-sa', namespace: 'shop-copy' }]);
    const ns = await source.get('namespaces', '', 'shop-copy');
    assert.equal(ns?.metadata.labels?.team, 'shop');
    assert.equal((await source.get('namespaces', '', 'shop'))?.metadata.labels?.team, 'shop', 'the original namespace is untouched');
    assert.equal(await source.get('configmaps', 'data', 'app-config'), undefined);
    assert.match(r.out, /cluster resources|Restored \d+/);
    assert.doesNotMatch(r.out, /^storageclasses/m, 'cluster-scoped resources stay out with a namespace filter (auto)');
  });

  it('existing objects: left alone (none), patched back (update); a dry run writes nothing', async () => {
    const patch = await target.kubectl(['-n', 'shop', 'patch', 'configmap', 'app-config', '--type', 'merge', '-p', '{"data":{"LOG_LEVEL":"debug"}}']);
    assert.equal(patch.code, 0, patch.stderr);
    const args = ['--kubeconfig', target.kubeconfig, 'backup', 'restore', archive, '--include-namespaces', 'shop', '--include-resources', 'cm'];
    const none = await upkeep(args);
    assert.equal(none.code, 0, none.err);
    assert.match(none.out, /1 configmaps: already exists and differs from the backup \(--existing-resource-policy=update to update it\)/);
    assert.equal(((await target.get('configmaps', 'shop', 'app-config'))?.data as Record<string, string> | undefined)?.LOG_LEVEL, 'debug');
    const update = await upkeep([...args, '--existing-resource-policy', 'update']);
    assert.equal(update.code, 0, update.err);
    assert.match(update.out, /^configmaps +0 +1 +0 +\d+ +0$/m);
    assert.equal(((await target.get('configmaps', 'shop', 'app-config'))?.data as Record<string, string> | undefined)?.LOG_LEVEL, 'info');

    const del = await target.kubectl(['-n', 'shop', 'delete', 'configmap', 'app-config']);
    assert.equal(del.code, 0, del.stderr);
    const dry = await upkeep([...args, '--dry-run']);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /^RESOURCE +WOULD CREATE +WOULD UPDATE/m);
    assert.match(dry.out, /^configmaps +1 +0 +0/m);
    assert.match(dry.out, /Dry run \(nothing written\): would create 1/);
    assert.equal(await target.get('configmaps', 'shop', 'app-config'), undefined);
    const json = JSON.parse((await upkeep([...args, '-o', 'json'])).out);
    assert.equal(json.totals.created, 1);
  });

  it('diff: what was added, removed and changed since the backup', async () => {
    for (const a of [
      ['-n', 'shop', 'create', 'configmap', 'added-later', '--from-literal=a=b'],
      ['-n', 'shop', 'delete', 'networkpolicy', 'web-ingress'],
      ['-n', 'shop', 'scale', 'deployment', 'web', '--replicas=5'],
    ]) {
      const r = await target.kubectl(a);
      assert.equal(r.code, 0, r.stderr);
    }
    const r = await upkeep(['--kubeconfig', target.kubeconfig, 'backup', 'diff', archive, '-o', 'json']);
    assert.equal(r.code, 0, r.err);
    const changes = (JSON.parse(r.out).changes as { change: string; groupResource: string; object: string; paths?: string[] }[]).filter((c) => c.object.startsWith('shop/'));
    assert.deepEqual(changes, [
      { groupResource: 'configmaps', object: 'shop/added-later', change: 'added' },
      { groupResource: 'deployments.apps', object: 'shop/web', change: 'changed', paths: ['spec.replicas'] },
      { groupResource: 'networkpolicies.networking.k8s.io', object: 'shop/web-ingress', change: 'removed' },
    ]);
    const table = await upkeep(['--kubeconfig', target.kubeconfig, 'backup', 'diff', archive]);
    assert.match(table.out, /^changed +deployments\.apps +shop\/web +spec\.replicas$/m);
  });

  it('restores a Velero backup tarball', async () => {
    const velero = path.join(dir, 'velero-backup.tar.gz');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-velero', namespace: 'legacy', uid: 'abc', resourceVersion: '12' }, data: { origin: 'velero' } };
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy', uid: 'def' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    await writeTarGz(velero, [
      ['metadata/version', '1.1.0\n'],
      ['resources/namespaces/cluster/legacy.json', JSON.stringify(ns)],
      ['resources/namespaces/v1-preferredversion/cluster/legacy.json', JSON.stringify(ns)],
      ['resources/configmaps/namespaces/legacy/from-velero.json', JSON.stringify(cm)],
      ['resources/configmaps/v1-preferredversion/namespaces/legacy/from-velero.json', JSON.stringify(cm)],
    ]);
    const d = await upkeep(['backup', 'describe', velero]);
    assert.match(d.out, /Written by: +Velero \(format 1\.1\.0; no upkeep manifest, no checksums\)/);
    const r = await upkeep(['--kubeconfig', target.kubeconfig, 'backup', 'restore', velero]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Velero archive: no checksums to check/);
    assert.deepEqual((await target.get('configmaps', 'legacy', 'from-velero'))?.data, { origin: 'velero' });
  });

  it('encrypts Secrets with age: no plaintext in the archive, the key needed to restore, a wrong key refused', async () => {
    const identity = await generateX25519Identity();
    const keyFile = path.join(dir, 'key.txt');
    await fs.writeFile(keyFile, `# created for the test\n${identity}\n`, { mode: 0o600 });
    const encrypted = path.join(dir, 'encrypted.tar.gz');
    const c = await upkeep(['--kubeconfig', source.kubeconfig, 'backup', 'create', encrypted, '--encrypt-secrets', '--recipient', await identityToRecipient(identity), '--include-namespaces', 'shop']);
    assert.equal(c.code, 0, c.err);
    const raw = zlib.gunzipSync(await fs.readFile(encrypted));
    for (const canary of CANARIES) assert.ok(!raw.includes(Buffer.from(canary)), `${canary} is not in the archive`);
    assert.ok(raw.includes(Buffer.from('"name":"app-config"')), 'other objects are stored as they are');
    assert.doesNotMatch(c.out + c.err, /canary|AGE-SECRET-KEY/);
    assert.match((await upkeep(['backup', 'describe', encrypted])).out, /Secrets: +encrypted with age to age1/);
    const diff = await upkeep(['--kubeconfig', source.kubeconfig, 'backup', 'diff', encrypted]);
    assert.equal(diff.code, 0, diff.err);
    assert.match(diff.out, /^Not compared: secrets: encrypted in the archive: give --key-file or --passphrase-file to compare them$/m);

    const checked = await upkeep(['backup', 'verify', '--checksums-only', encrypted, '--key-file', keyFile]);
    assert.equal(checked.code, 0, checked.err);
    assert.match(checked.out, /every checksum matches; 6 Secret entries decrypted/);
    const fresh = await testSandbox();
    try {
      const noKey = await upkeep(['--kubeconfig', fresh.kubeconfig, 'backup', 'restore', encrypted]);
      assert.equal(noKey.code, 2);
      assert.match(noKey.err, /the archive's Secrets are encrypted: give the key with --key-file or --passphrase-file/);
      const wrongKey = path.join(dir, 'wrong.txt');
      await fs.writeFile(wrongKey, `${await generateX25519Identity()}\n`);
      const wrong = await upkeep(['--kubeconfig', fresh.kubeconfig, 'backup', 'restore', encrypted, '--key-file', wrongKey]);
      assert.equal(wrong.code, 2);
      assert.match(wrong.err, /the key given does not open this archive's Secrets/);
      assert.equal(await fresh.get('namespaces', '', 'shop'), undefined, 'nothing was restored');
      const ok = await upkeep(['--kubeconfig', fresh.kubeconfig, 'backup', 'restore', encrypted, '--key-file', keyFile]);
      assert.equal(ok.code, 0, ok.err);
      assert.deepEqual((await fresh.get('secrets', 'shop', 'web-tls'))?.data, (await source.get('secrets', 'shop', 'web-tls'))?.data);
    } finally {
      await fresh.stop();
    }

    const passphraseFile = path.join(dir, 'passphrase');
    await fs.writeFile(passphraseFile, 'correct horse battery staple\n');
    const withPassphrase = path.join(dir, 'passphrase.tar.gz');
    const p = await upkeep(['--kubeconfig', source.kubeconfig, 'backup', 'create', withPassphrase, '--encrypt-secrets', '--passphrase-file', passphraseFile, '--include-namespaces', 'shop', '--include-resources', 'secrets']);
    assert.equal(p.code, 0, p.err);
    assert.ok(!zlib.gunzipSync(await fs.readFile(withPassphrase)).includes(Buffer.from('cGxhaW50ZXh0LWNhbmFyeS03ZjNhOQ==')));
    await fs.writeFile(path.join(dir, 'bad-passphrase'), 'wrong\n');
    const bad = await upkeep(['backup', 'verify', '--checksums-only', withPassphrase, '--passphrase-file', path.join(dir, 'bad-passphrase')]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /wrong passphrase/);
  });

  it('names a group whose discovery fails: exit 1 and no file, or --allow-partial and the archive records it', async () => {
    const proxy = await failingGroupProxy(source);
    try {
      const file = path.join(dir, 'partial.tar.gz');
      const failed = await upkeep(['--kubeconfig', proxy.kubeconfig, 'backup', 'create', file]);
      assert.equal(failed.code, 1);
      assert.match(failed.err, /^error: cannot discover metrics\.k8s\.io\/v1beta1: the server is currently unable to handle the request$/m);
      assert.match(failed.err, /backup incomplete: 1 group or resource could not be read \(metrics\.k8s\.io\/v1beta1\); no archive was written \(use --allow-partial/);
      await assert.rejects(fs.stat(file));
      await assert.rejects(fs.stat(`${file}.part`));
      const partial = await upkeep(['--kubeconfig', proxy.kubeconfig, 'backup', 'create', file, '--allow-partial', '--include-namespaces', 'shop']);
      assert.equal(partial.code, 0, partial.err);
      assert.match(partial.out, /Warning: metrics\.k8s\.io\/v1beta1 is not in the backup \(discovery failed\)/);
      const d = await upkeep(['backup', 'describe', file]);
      assert.match(d.out, /Complete: +no: 1 groups or resources could not be read\n +metrics\.k8s\.io\/v1beta1: /);
    } finally {
      await proxy.stop();
    }
  });
});

/**
 * A plain-HTTP front for the sandbox that also lists metrics.k8s.io/v1beta1 in (legacy) discovery
 * and answers it 503, as kube-apiserver does when a metrics-server APIService is down.
 */
async function failingGroupProxy(sb: TestSandbox): Promise<{ kubeconfig: string; stop(): Promise<void> }> {
  const upstream = new URL(sb.sandbox.url);
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/apis/metrics.k8s.io')) {
      res.writeHead(503, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', message: 'the server is currently unable to handle the request', code: 503 }));
      return;
    }
    const discovery = url === '/api' || url === '/apis';
    const headers = { ...req.headers, host: upstream.host, ...(discovery ? { accept: 'application/json' } : {}) };
    const forward = https.request({ hostname: upstream.hostname, port: upstream.port, path: url, method: req.method, headers, rejectUnauthorized: false }, (up) => {
      if (url !== '/apis') {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const list = JSON.parse(Buffer.concat(chunks).toString());
        list.groups.push({ name: 'metrics.k8s.io', versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }], preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' } });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(list));
      });
    });
    req.pipe(forward);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const kubeconfig = path.join(sb.dir, 'proxy.kubeconfig');
  await fs.writeFile(
    kubeconfig,
    YAML.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'proxy', cluster: { server: `http://127.0.0.1:${port}` } }],
      users: [{ name: 'proxy', user: { token: sb.sandbox.token } }],
      contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'proxy' } }],
      'current-context': 'proxy',
    }),
  );
  return {
    kubeconfig,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
