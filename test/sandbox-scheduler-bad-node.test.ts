// One bad object never stops the scheduler: a node stored with taints that are not a list (as an
// older sandbox accepted) is skipped and logged once, and pods still get scheduled elsewhere.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, nodeOf, testSandbox, type TestSandbox } from './helpers/sandbox.js';

describe('the scheduler and a node it cannot read', () => {
  let env: TestSandbox;
  const lines: string[] = [];
  before(async () => {
    env = await testSandbox({ log: (l) => lines.push(l) });
    await eventually('seed pods running', async () => (await env.list('pods', 'default')).length >= 4);
  });
  after(async () => env.stop());

  it('skips node01 (taints: "oops", written straight into the store) and places a new pod on another node', async () => {
    const node = await env.get('nodes', '', 'node01');
    assert.ok(node);
    // Bypasses the API (and its validation) on purpose: the object a store may hold from before.
    await env.sandbox.registry.store.update('nodes', { ...node, spec: { ...(node.spec ?? {}), taints: 'oops' } }, node.metadata.resourceVersion ?? '');
    const run = await env.kubectl(['run', 'after-bad-node', '--image=nginx']);
    assert.equal(run.code, 0, run.stderr);
    const placed = await eventually('pod scheduled', async () => nodeOf((await env.get('pods', 'default', 'after-bad-node')) ?? { metadata: {} }));
    assert.notEqual(placed, 'node01');
    assert.equal(lines.filter((l) => l.startsWith('scheduler: skipping node node01:')).length, 1);
  });
});
