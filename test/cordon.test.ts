// upkeep cordon/uncordon on the sandbox: kubectl's lines and dry-run modes, and ownership.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type TestSandbox, testSandbox } from './helpers/sandbox.js';
import { upkeep } from './helpers/cli.js';

type Obj = Record<string, unknown>;

describe('upkeep cordon and uncordon', () => {
  let sb: TestSandbox;
  let k: string[];
  before(async () => {
    sb = await testSandbox();
    k = ['--kubeconfig', sb.kubeconfig];
  });
  after(async () => sb?.stop());
  const unschedulable = async (n: string) => ((await sb.get('nodes', '', n))?.spec as Obj)?.unschedulable === true;

  it('cordons like kubectl and records that upkeep did it', async () => {
    const r = await upkeep([...k, 'cordon', 'node01']);
    assert.deepEqual([r.code, r.out, r.err], [0, 'node/node01 cordoned\n', '']);
    assert.match((await sb.kubectl(['get', 'node', 'node01'])).stdout, /Ready,SchedulingDisabled/);
    const annotation = (await sb.get('nodes', '', 'node01'))?.metadata.annotations?.['upkeep.dev/cordoned'];
    assert.equal(JSON.parse(annotation ?? '{}').by, 'upkeep');
    assert.equal((await upkeep([...k, 'cordon', 'node01'])).out, 'node/node01 already cordoned\n');
  });

  it('uncordons a node it cordoned, and removes its record', async () => {
    const r = await upkeep([...k, 'uncordon', 'node01']);
    assert.deepEqual([r.code, r.out], [0, 'node/node01 uncordoned\n']);
    assert.equal(await unschedulable('node01'), false);
    assert.equal((await sb.get('nodes', '', 'node01'))?.metadata.annotations?.['upkeep.dev/cordoned'], undefined);
  });

  it('refuses to uncordon a node someone else cordoned (exit 3), unless --force', async () => {
    await sb.kubectl(['cordon', 'node02']);
    const r = await upkeep([...k, 'uncordon', 'node02']);
    assert.equal(r.code, 3);
    assert.match(r.err, /^error: node\/node02 was cordoned by someone else, not by upkeep; it stays cordoned \(use --force to uncordon it anyway\)$/m);
    assert.equal(await unschedulable('node02'), true, 'left as it was');
    const forced = await upkeep([...k, 'uncordon', 'node02', '--force']);
    assert.deepEqual([forced.code, forced.out], [0, 'node/node02 uncordoned\n']);
  });

  it('dry runs change nothing and say so', async () => {
    assert.equal((await upkeep([...k, 'cordon', 'node03', '--dry-run=client'])).out, 'node/node03 cordoned (dry run)\n');
    assert.equal((await upkeep([...k, 'cordon', 'node03', '--dry-run=server'])).out, 'node/node03 cordoned (server dry run)\n');
    assert.equal(await unschedulable('node03'), false);
  });

  it('selects nodes by label, and rejects a name with a selector', async () => {
    await sb.kubectl(['label', 'node', 'node02', 'node03', 'pool=batch']);
    const r = await upkeep([...k, 'cordon', '-l', 'pool=batch']);
    assert.equal(r.out, 'node/node02 cordoned\nnode/node03 cordoned\n');
    const both = await upkeep([...k, 'cordon', 'node01', '-l', 'pool=batch']);
    assert.deepEqual([both.code, both.err], [2, 'error: cannot specify both a node name and a --selector option\n']);
    const dryRun = await upkeep([...k, 'uncordon', '-l', 'pool=batch', '--dry-run=server']);
    assert.deepEqual([dryRun.code, dryRun.out], [0, 'node/node02 uncordoned (server dry run)\nnode/node03 uncordoned (server dry run)\n']);
    assert.equal(await unschedulable('node02'), true, 'a dry run changes nothing');
    const un = await upkeep([...k, 'uncordon', '-l', 'pool=batch']);
    assert.deepEqual([un.code, un.out], [0, 'node/node02 uncordoned\nnode/node03 uncordoned\n']);
    assert.equal(await unschedulable('node03'), false);
    const none = await upkeep([...k, 'uncordon', '-l', 'pool=none']);
    assert.deepEqual([none.code, none.out, none.err], [0, '', 'No resources found\n']);
  });

  it('fails clearly for a missing node and a bad flag', async () => {
    const missing = await upkeep([...k, 'cordon', 'node99']);
    assert.deepEqual([missing.code, missing.err], [1, 'Error from server (NotFound): nodes "node99" not found\n']);
    const bad = await upkeep([...k, 'cordon', 'node01', '--dry-run=maybe']);
    assert.deepEqual([bad.code, bad.err], [2, 'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".\n']);
    const none = await upkeep([...k, 'cordon']);
    assert.equal(none.code, 2);
  });
});
