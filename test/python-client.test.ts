// The official Python client (Debian's python3-kubernetes, run with /usr/bin/python3) against the
// sandbox: list, watch (it sends watch=True), create, patch, delete and utils.create_from_yaml.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { type TestSandbox, testSandbox } from './helpers/sandbox.js';

const PYTHON = '/usr/bin/python3';

function python(sb: TestSandbox, script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PYTHON, ['-c', script, sb.kubeconfig], { timeout: 60_000, env: { ...process.env, HOME: sb.dir } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const PRELUDE = `
import json, sys, threading, time
from kubernetes import client, config, utils, watch
config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
`;

function lastJson(stdout: string): Record<string, unknown> {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Record<string, unknown>;
}

const hasClient = existsSync(PYTHON);

describe('the official Python client against the sandbox', { skip: !hasClient && `${PYTHON} is not installed` }, () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await testSandbox();
  });
  after(async () => sb?.stop());

  it('lists nodes and namespaces', async () => {
    const r = await python(sb, `${PRELUDE}
nodes = sorted(n.metadata.name for n in core.list_node().items)
namespaces = sorted(n.metadata.name for n in core.list_namespace().items)
print(json.dumps({"nodes": nodes, "hasKubeSystem": "kube-system" in namespaces}))`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastJson(r.stdout), { nodes: ['controlplane', 'node01', 'node02', 'node03'], hasKubeSystem: true });
  });

  it('creates, patches, watches and deletes a ConfigMap', async () => {
    const r = await python(sb, `${PRELUDE}
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings", labels={"app": "py"}), data={"mode": "fast"})
created = core.create_namespaced_config_map("default", cm)
patched = core.patch_namespaced_config_map("settings", "default", {"data": {"mode": "slow"}})
rv = created.metadata.resource_version
def later():
    time.sleep(0.5)
    core.delete_namespaced_config_map("settings", "default")
threading.Thread(target=later).start()
events = []
w = watch.Watch()
for e in w.stream(core.list_namespaced_config_map, "default", label_selector="app=py", resource_version=rv, timeout_seconds=20):
    events.append([e["type"], e["object"].data["mode"]])
    if e["type"] == "DELETED":
        w.stop()
left = [c.metadata.name for c in core.list_namespaced_config_map("default", label_selector="app=py").items]
print(json.dumps({"patched": patched.data["mode"], "events": events, "left": left}))`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastJson(r.stdout), { patched: 'slow', events: [['MODIFIED', 'slow'], ['DELETED', 'slow']], left: [] });
  });

  it('creates a Namespace, Deployment and Service from YAML with utils.create_from_yaml', async () => {
    const file = path.join(sb.dir, 'app.yaml');
    await fs.writeFile(
      file,
      `apiVersion: v1
kind: Namespace
metadata: {name: pyapp}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: pyapp}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27.3"}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: pyapp}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`,
    );
    const r = await python(sb, `${PRELUDE}
created = utils.create_from_yaml(client.ApiClient(), ${JSON.stringify(file)})
kinds = [o.kind for group in created for o in group]
apps = client.AppsV1Api()
print(json.dumps({"kinds": kinds, "replicas": apps.read_namespaced_deployment("web", "pyapp").spec.replicas}))`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastJson(r.stdout), { kinds: ['Namespace', 'Deployment', 'Service'], replicas: 2 });
  });

  it('gets a 404 ApiException with the Status body of a missing object', async () => {
    const r = await python(sb, `${PRELUDE}
try:
    core.read_namespaced_pod("missing", "default")
    print(json.dumps({"status": 200}))
except client.exceptions.ApiException as e:
    print(json.dumps({"status": e.status, "body": json.loads(e.body)}))`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastJson(r.stdout), {
      status: 404,
      body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "missing" not found', reason: 'NotFound', details: { name: 'missing', kind: 'pods' }, code: 404 },
    });
  });
});
