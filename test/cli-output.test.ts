// The -o json|yaml contract (docs/output.md): every result a user scripts against has
// apiVersion upkeep.dev/v1alpha1, a documented kind and exactly its documented fields; a drain
// names its nodes alike in a dry run and a real run; YAML has no anchors or aliases.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { upkeep } from './helpers/cli.js';
import type { TestSandbox } from './helpers/sandbox.js';
import { seedSandbox } from './helpers/seed-sandbox.js';
import { OUTPUT_KINDS, contractProblems, kindMarkdown } from '../src/cli/output/contract.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Run upkeep with -o json, check the exit code, and return the parsed document. */
async function json(args: string[], code = 0): Promise<Record<string, unknown>> {
  const r = await upkeep([...args, '-o', 'json']);
  assert.equal(r.code, code, `upkeep ${args.join(' ')}: ${r.err}`);
  const doc: unknown = JSON.parse(r.out);
  assert.ok(doc !== null && typeof doc === 'object' && !Array.isArray(doc));
  return Object.fromEntries(Object.entries(doc));
}

function nodeNames(doc: Record<string, unknown>): unknown[] {
  return Array.isArray(doc.nodes) ? doc.nodes.map((n: unknown) => (n !== null && typeof n === 'object' && 'name' in n ? n.name : undefined)) : [];
}

describe('machine output contract', () => {
  it('docs/output.md shows every kind as contract.ts defines it', async () => {
    const doc = await fs.readFile(path.join(ROOT, 'docs/output.md'), 'utf8');
    for (const spec of OUTPUT_KINDS) assert.ok(doc.includes(kindMarkdown(spec)), `docs/output.md: the section of ${spec.kind} differs from src/cli/output/contract.ts`);
  });

  it('flags what breaks the contract', () => {
    assert.deepEqual(contractProblems({ apiVersion: 'upkeep.dev/v1alpha1', kind: 'Version', upkeepVersion: '0.1.0', nodeVersion: 'v20.0.0' }), []);
    assert.deepEqual(contractProblems([{ node: 'a' }]), ['not an object: array']);
    assert.deepEqual(contractProblems({ apiVersion: 'upkeep.dev/v1alpha1', kind: 'Version', upkeepVersion: 1, extra: true }), [
      'Version.upkeepVersion is number, not string',
      'Version.nodeVersion is missing',
      'Version.extra is not documented',
    ]);
    assert.deepEqual(contractProblems({ apiVersion: 'upkeep.dev/v1alpha1', kind: 'EtcdSnapshot', file: 'a', endpoint: 'b', size: 1, sha256: 'c', elapsedMs: 3.901028999999994 }), [
      'EtcdSnapshot.elapsedMs: 3.901028999999994 is not a whole number',
    ]);
  });

  describe('on a sandbox', () => {
    let sb: TestSandbox;
    let k: string[];
    before(async () => {
      sb = await seedSandbox();
      k = ['--kubeconfig', sb.kubeconfig];
    });
    after(async () => {
      await sb?.stop();
    });

    it('prints documented kinds for version, cordon, plan, etcd discover and the sandbox', async () => {
      const docs = [
        await json(['version']),
        await json([...k, 'cordon', 'node03', '--dry-run=server']),
        await json([...k, 'plan', '--to', '1.32'], 3), // the seed's bare pod on node01 blocks it
        await json([...k, 'etcd', 'discover']),
        await json([...k, 'sandbox', 'node', 'up', 'node03']),
      ];
      assert.deepEqual(
        docs.map((d) => d.kind),
        ['Version', 'NodeCordonList', 'UpgradePlan', 'EtcdDiscovery', 'SandboxNode'],
      );
      for (const d of docs) assert.deepEqual(contractProblems(d), [], String(d.kind));
      assert.deepEqual(docs[1]!.items, [{ object: { kind: 'Node', name: 'node03' }, unschedulable: true, changed: true, dryRun: 'server' }]);
      assert.deepEqual(docs[4]!.object, { kind: 'Node', name: 'node03' });
    });

    it('prints documented kinds for backup create, describe, verify and diff', async () => {
      const archive = path.join(sb.dir, 'backup.tar.gz');
      const docs = [
        await json([...k, 'backup', 'create', archive, '--include-namespaces', 'default']),
        await json(['backup', 'describe', archive]),
        await json(['backup', 'verify', archive, '--checksums-only']),
        await json([...k, 'backup', 'diff', archive]),
      ];
      assert.deepEqual(
        docs.map((d) => d.kind),
        ['Backup', 'BackupDescription', 'BackupVerification', 'BackupDiff'],
      );
      for (const d of docs) assert.deepEqual(contractProblems(d), [], String(d.kind));
    });

    it('etcd discover -w json is -o json', async () => {
      const w = await upkeep([...k, 'etcd', 'discover', '-w', 'json']);
      const o = await upkeep([...k, 'etcd', 'discover', '-o', 'json']);
      assert.equal(w.code, 0, w.err);
      assert.equal(w.out, o.out);
    });

    it('prints YAML without anchors or aliases', async () => {
      const r = await upkeep([...k, 'plan', '--to', '1.32', '-o', 'yaml']);
      assert.equal(r.code, 3, r.err); // blocked by the bare pod on node01 (drained below)
      assert.doesNotMatch(r.out, /(^|[\s:-])[&*]a\d+\b/m);
      assert.deepEqual(contractProblems(YAML.parse(r.out)), []);
    });

    it('prints documented kinds for audit, upgrade, node maintain and sandbox machines', async () => {
      const docs = [
        await json([...k, 'audit'], 3), // the seed's bare pod on node01 blocks a drain
        await json([...k, 'upgrade', 'apply', '--to', '1.32', '--dry-run'], 3), // and so the plan
        await json([...k, 'upgrade', 'apply', '--to', '1.32', '--dry-run=client'], 3),
        await json([...k, 'upgrade', 'status']),
        await json([...k, 'node', 'maintain', 'node03', '--dry-run']),
        await json([...k, 'sandbox', 'node', 'fault', 'node03', '--not-ready']),
        await json([...k, 'sandbox', 'node', 'fault', 'node03', '--clear']),
      ];
      assert.deepEqual(
        docs.map((d) => d.kind),
        ['AuditReport', 'UpgradeSteps', 'UpgradeSteps', 'UpgradeStatus', 'MaintenanceSteps', 'SandboxNode', 'SandboxNode'],
      );
      for (const d of docs) assert.deepEqual(contractProblems(d), [], String(d.kind));
      assert.deepEqual(docs[1], docs[2]);
      assert.deepEqual([docs[3]!.journal, docs[3]!.holder], [null, null]);
      assert.deepEqual([docs[5]!.object, docs[5]!.faults, docs[6]!.faults], [{ kind: 'Node', name: 'node03' }, { notReady: true }, {}]);
      const server = await upkeep([...k, 'upgrade', 'apply', '--to', '1.32', '--dry-run=server']);
      assert.deepEqual([server.code, server.err], [2, 'error: --dry-run=server is not supported here: --dry-run (client) prints every step and changes nothing\n']);
    });

    it('names drained nodes alike in the dry run and the real run, pods as objects', async () => {
      const flags = ['--ignore-daemonsets', '--force', '--delete-emptydir-data'];
      const impact = await json([...k, 'drain', 'node01', ...flags, '--dry-run=client']);
      const result = await json([...k, 'drain', 'node01', ...flags, '--timeout', '2m']);
      assert.deepEqual([impact.kind, result.kind], ['DrainImpact', 'DrainResult']);
      assert.deepEqual(contractProblems(impact), []);
      assert.deepEqual(contractProblems(result), []);
      assert.deepEqual([nodeNames(impact), nodeNames(result)], [['node01'], ['node01']]);
      const node = Array.isArray(result.nodes) ? result.nodes[0] : undefined;
      assert.ok(node && typeof node === 'object' && 'evicted' in node && Array.isArray(node.evicted) && node.evicted.length > 0);
      for (const pod of node.evicted) assert.deepEqual(Object.keys(pod), ['kind', 'namespace', 'name']);
    });

  });
});
