// Server-side apply's field ownership with real kubectl 1.31: managedFields recorded per manager,
// a conflict when another manager owns a field (409 listing it), --force-conflicts taking it,
// and a field dropped from the applied configuration removed when its applier owned it alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../src/api/types.js';
import { testSandbox, type TestSandbox } from './helpers/sandbox.js';
import { pinnedKubectl } from './helpers/raw.js';

function deployment(replicas: number | undefined, extraLabel = ''): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    `  labels: {app: web${extraLabel ? `, ${extraLabel}` : ''}}`,
    'spec:',
    ...(replicas === undefined ? [] : [`  replicas: ${replicas}`]),
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec: {containers: [{name: web, image: "nginx:1.27"}]}',
    '',
  ].join('\n');
}

describe('server-side apply field ownership', () => {
  let env: TestSandbox;
  before(async () => {
    env = await testSandbox({ controllers: false });
  });
  after(async () => env.stop());
  const kubectl = (args: string[], input?: string) => pinnedKubectl('1.31', env.kubeconfig, env.dir, args, input);
  const managers = (o: KubeObject | undefined) => (o?.metadata.managedFields ?? []).map((e) => `${e.manager}/${e.operation}`);

  it('records the manager of a client-side apply, and a server-side apply conflicts with it', async () => {
    const first = await kubectl(['apply', '-f', '-'], deployment(2));
    assert.equal(first.code, 0, first.stderr);
    const stored = await env.get('deployments.apps', 'default', 'web');
    assert.deepEqual(managers(stored), ['kubectl-client-side-apply/Update']);
    const fields = JSON.stringify(stored?.metadata.managedFields?.[0]?.fieldsV1);
    assert.match(fields, /"f:spec":\{.*"f:replicas":\{\}/);
    const ssa = await kubectl(['apply', '--server-side', '--field-manager=deployer', '-f', '-'], deployment(3));
    assert.equal(ssa.code, 1);
    assert.match(ssa.stderr, /Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps\/v1: \.spec\.replicas/);
  });

  it('--force-conflicts takes the field over', async () => {
    const r = await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=deployer', '-f', '-'], deployment(3));
    assert.equal(r.code, 0, r.stderr);
    const stored = await env.get('deployments.apps', 'default', 'web');
    assert.equal((stored?.spec as { replicas?: number } | undefined)?.replicas, 3);
    assert.deepEqual(managers(stored).sort(), ['deployer/Apply', 'kubectl-client-side-apply/Update']);
    assert.doesNotMatch(JSON.stringify(stored?.metadata.managedFields?.find((e) => e.manager === 'kubectl-client-side-apply')?.fieldsV1), /f:replicas/);
  });

  it('re-applying without a field its applier owned alone removes it; a shared one stays', async () => {
    const add = await kubectl(['apply', '--server-side', '--field-manager=deployer', '-f', '-'], deployment(3, 'tier: front'));
    assert.equal(add.code, 0, add.stderr);
    assert.equal((await env.get('deployments.apps', 'default', 'web'))?.metadata.labels?.tier, 'front');
    const drop = await kubectl(['apply', '--server-side', '--field-manager=deployer', '-f', '-'], deployment(3));
    assert.equal(drop.code, 0, drop.stderr);
    const stored = await env.get('deployments.apps', 'default', 'web');
    assert.equal(stored?.metadata.labels?.tier, undefined);
    assert.equal(stored?.metadata.labels?.app, 'web');
  });

  it('kubectl scale moves spec.replicas to its manager', async () => {
    const r = await kubectl(['scale', 'deployment/web', '--replicas=5']);
    assert.equal(r.code, 0, r.stderr);
    const stored = await env.get('deployments.apps', 'default', 'web');
    assert.doesNotMatch(JSON.stringify(stored?.metadata.managedFields?.find((e) => e.manager === 'deployer')?.fieldsV1), /f:replicas/);
    const again = await kubectl(['apply', '--server-side', '--field-manager=deployer', '-f', '-'], deployment(3));
    assert.equal(again.code, 1);
    // The default manager is the User-Agent's program name: this binary is called kubectl.1.31.
    assert.match(again.stderr, /Apply failed with 1 conflict: conflict with "kubectl\.1\.31" using apps\/v1: \.spec\.replicas/);
  });
});
