// A drain of a node with many pods prints kubectl's lines and nothing from Node itself: no
// MaxListenersExceededWarning (one abort listener per pod on the drain's signal used to add
// up past Node's limit of 10 at 11 pods waiting at once).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { upkeep } from './helpers/cli.js';
import { testSandbox, type TestSandbox } from './helpers/sandbox.js';

const PINNED = `apiVersion: apps/v1
kind: Deployment
metadata: {name: many, namespace: default}
spec:
  replicas: 14
  selector: {matchLabels: {app: many}}
  template:
    metadata: {labels: {app: many}}
    spec:
      nodeSelector: {kubernetes.io/hostname: node03}
      terminationGracePeriodSeconds: 5
      containers: [{name: app, image: registry.k8s.io/pause:3.9}]
`;

describe('a drain of a node with 14 pods', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await testSandbox();
    const applied = await sb.kubectl(['apply', '-f', '-'], { input: PINNED });
    assert.equal(applied.code, 0, applied.stderr);
    const ready = await sb.kubectl(['wait', '--for=condition=Available', 'deployment/many', '--timeout=60s']);
    assert.equal(ready.code, 0, ready.stderr);
  });
  after(async () => {
    await sb?.stop();
  });

  it('evicts them all with no warning from Node', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(`${w.name}: ${w.message}`);
    };
    process.on('warning', onWarning);
    try {
      const r = await upkeep(['--kubeconfig', sb.kubeconfig, 'drain', 'node03', '--ignore-daemonsets', '--timeout', '2m']);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out.split('\n').filter((l) => /^pod\/many-\S+ evicted$/.test(l)).length, 14, r.out);
      assert.match(r.out, /\nnode\/node03 drained\n$/);
      assert.doesNotMatch(r.err, /MaxListeners/);
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings.filter((w) => w.includes('MaxListeners')), []);
  });
});
