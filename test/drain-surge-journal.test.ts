// A drain --surge that crashed leaves its Deployment scaled up with the journal annotation.
// Commands that touch that node or workload say so and how to put it back; `upkeep uncordon`
// of the node finishes the put-back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, testSandbox, type TestSandbox } from './helpers/sandbox.js';
import { upkeep } from './helpers/cli.js';
import type { KubeObject } from '../src/api/types.js';

const JOURNAL = 'upkeep.dev/surge';

function replicas(d: KubeObject | undefined): number | undefined {
  return (d?.spec as { replicas?: number } | undefined)?.replicas;
}

describe('a Deployment left surged by a crashed drain --surge', { timeout: 120_000 }, () => {
  let sb: TestSandbox;
  let k: string[];

  before(async () => {
    sb = await testSandbox();
    k = ['--kubeconfig', sb.kubeconfig];
    // What a drain of node01 killed after scaling leaves behind: cordoned, 3 -> 4, the journal.
    assert.equal((await upkeep([...k, 'cordon', 'node01'])).code, 0);
    const journal = JSON.stringify({ originalReplicas: 3, replicas: 4, node: 'node01', at: '2026-12-03T13:00:00Z' });
    const r = await sb.kubectl(['patch', 'deployment', 'blue', '--type=merge', '-p', JSON.stringify({ metadata: { annotations: { [JOURNAL]: journal } }, spec: { replicas: 4 } })]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => sb?.stop());

  it('a drain of another node says what is still surged and how to put it back, and leaves it', async () => {
    const r = await upkeep([...k, 'drain', 'node02', '--ignore-daemonsets']);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out + r.err,
      /Deployment default\/blue: still surged from 3 replicas to 4 by an interrupted drain of node01 since 2026-12-03T13:00:00Z; to put it back run: upkeep uncordon node01 \(or upkeep drain node01 --surge\)/,
    );
    assert.equal(replicas(await sb.get('deployments.apps', 'default', 'blue')), 4, "another node's drain does not put it back");
  });

  it('cordoning the node says so too', async () => {
    const r = await upkeep([...k, 'cordon', 'node01']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /Deployment default\/blue: still surged from 3 replicas to 4 by an interrupted drain of node01/);
  });

  it('uncordon of the node puts the Deployment back and drops the journal', async () => {
    const r = await upkeep([...k, 'uncordon', 'node01']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /node\/node01 uncordoned/);
    assert.match(r.err, /Deployment default\/blue: scaled back to 3 replicas/);
    const d = await eventually('the journal gone', async () => {
      const o = await sb.get('deployments.apps', 'default', 'blue');
      return o && !o.metadata.annotations?.[JOURNAL] ? o : undefined;
    });
    assert.equal(replicas(d), 3);
    const again = await upkeep([...k, 'drain', 'node03', '--ignore-daemonsets', '--dry-run=server']);
    assert.doesNotMatch(again.out + again.err, /still surged/);
  });
});
