// kubectl's habits on upkeep's command line, each checked as a user meets it: bare `upkeep`,
// --version, -o=json, -v=N, --dry-run bare or with a value anywhere (against real kubectl's own
// warning), and completion from the command tree and the cluster in bash and through kubectl.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { upkeep } from './helpers/cli.js';
import type { TestSandbox } from './helpers/sandbox.js';
import { seedSandbox } from './helpers/seed-sandbox.js';
import { UPKEEP_VERSION } from '../src/util/version.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('kubectl habits without a cluster', () => {
  it('prints the help on stdout for a bare upkeep, exit 0', async () => {
    const r = await upkeep([]);
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    assert.match(r.out, /^Usage: upkeep \[options\] \[command\]\n/);
    assert.match(r.out, /\n {2}drain +Drain nodes in preparation for maintenance/);
  });

  it('answers --version and version -o json|yaml, with -o=json and --output=json alike', async () => {
    assert.deepEqual(await upkeep(['--version']), { code: 0, out: `upkeep ${UPKEEP_VERSION}\n`, err: '' });
    assert.deepEqual(await upkeep(['version']), { code: 0, out: `upkeep ${UPKEEP_VERSION}\n`, err: '' });
    const json = { apiVersion: 'upkeep.dev/v1alpha1', kind: 'Version', upkeepVersion: UPKEEP_VERSION, nodeVersion: process.version };
    for (const args of [['version', '-o', 'json'], ['-o=json', 'version'], ['version', '--output=json'], ['version', '-ojson']]) {
      const r = await upkeep(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
      assert.deepEqual(JSON.parse(r.out), json);
    }
    const yaml = await upkeep(['version', '-o=yaml']);
    assert.equal(yaml.out, `apiVersion: upkeep.dev/v1alpha1\nkind: Version\nupkeepVersion: ${UPKEEP_VERSION}\nnodeVersion: ${process.version}\n`);
  });

  it("takes klog's -v=N in every form", async () => {
    for (const args of [['-v=6', 'version'], ['-v', '6', 'version'], ['--v=6', 'version'], ['version', '-v6'], ['-v=0', 'version'], ['-v', 'version']]) {
      assert.deepEqual(await upkeep(args), { code: 0, out: `upkeep ${UPKEEP_VERSION}\n`, err: '' }, args.join(' '));
    }
  });

  it('takes an unreadable --key for a mistake (exit 2), not an unhealthy cluster', async () => {
    const r = await upkeep(['etcd', 'health', '--endpoints', 'https://127.0.0.1:1', '--cert', '/nonexistent/client.crt', '--key', '/nonexistent/client.key']);
    assert.deepEqual([r.code, r.out, r.err], [2, '', 'error: cannot read --cert /nonexistent/client.crt: no such file\n']);
  });

  it('never replaces a snapshot file without --force', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-cli-'));
    try {
      const file = path.join(dir, 'etcd.db');
      await fs.writeFile(file, 'the only good snapshot');
      const r = await upkeep(['etcd', 'snapshot', 'save', file, '--endpoints', '127.0.0.1:1']);
      assert.deepEqual([r.code, r.err], [2, `error: ${file} already exists: pass --force to replace it, or choose another file\n`]);
      assert.equal(await fs.readFile(file, 'utf8'), 'the only good snapshot');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown shell for completion, exit 2', async () => {
    const r = await upkeep(['completion', 'tcsh']);
    assert.deepEqual([r.code, r.err], [2, 'error: unsupported shell "tcsh": use bash, zsh or fish\n']);
  });
});

describe('kubectl habits on a sandbox', () => {
  let sb: TestSandbox;
  let k: string[];
  before(async () => {
    sb = await seedSandbox();
    k = ['--kubeconfig', sb.kubeconfig];
  });
  after(async () => {
    await sb?.stop();
  });

  it('reads a bare --dry-run before the node name as client, with kubectl’s warning', async () => {
    const explicit = await upkeep([...k, 'drain', 'node01', '--ignore-daemonsets', '--dry-run=client']);
    const bare = await upkeep([...k, 'drain', '--dry-run', 'node01', '--ignore-daemonsets']);
    assert.equal(bare.code, explicit.code);
    assert.equal(bare.out, explicit.out);
    assert.match(bare.out, /node01/);
    const warning = '--dry-run is deprecated and can be replaced with --dry-run=client.';
    assert.equal(bare.err, `Warning: ${warning}\n${explicit.err}`);
    // The warning is kubectl's own.
    const kubectl = await sb.kubectl(['drain', '--dry-run', 'node01', '--ignore-daemonsets']);
    assert.match(kubectl.stderr, new RegExp(warning.replace(/[.]/g, '\\.')));
  });

  it('takes --dry-run server as the next word, in any position', async () => {
    const r = await upkeep([...k, 'cordon', '--dry-run', 'server', 'node03']);
    assert.deepEqual([r.code, r.out, r.err], [0, 'node/node03 cordoned (server dry run)\n', '']);
    const after = await upkeep([...k, 'cordon', 'node03', '--dry-run', 'server']);
    assert.deepEqual([after.code, after.out], [0, 'node/node03 cordoned (server dry run)\n']);
  });

  it('warns when uncordoning a NotReady node', async () => {
    assert.equal((await upkeep([...k, 'cordon', 'node02'])).code, 0);
    assert.equal((await upkeep([...k, 'sandbox', 'node', 'down', 'node02'])).code, 0);
    const notReady = await sb.kubectl(['wait', '--for=condition=Ready=Unknown', 'node/node02', '--timeout=60s']);
    assert.equal(notReady.code, 0, notReady.stderr);
    const r = await upkeep([...k, 'uncordon', 'node02']);
    assert.deepEqual([r.code, r.out, r.err], [0, 'node/node02 uncordoned\n', 'Warning: node/node02 is NotReady: pods scheduled to it will not start until its kubelet reports Ready\n']);
    assert.equal((await upkeep([...k, 'sandbox', 'node', 'up', 'node02'])).code, 0);
  });

  it('names the sandbox context after its scenario and port', async () => {
    const kubeconfig = await fs.readFile(sb.kubeconfig, 'utf8');
    const port = new URL(sb.sandbox.url).port;
    assert.match(kubeconfig, new RegExp(`\\ncurrent-context: upkeep-seed-${port}\\n`));
  });

  it('completes commands, flags, formats, node names and contexts (cobra __complete)', async () => {
    const port = new URL(sb.sandbox.url).port;
    assert.equal((await upkeep(['__complete', 'dr'])).out, 'drain\tDrain nodes in preparation for maintenance, with an impact report\n:4\n');
    assert.equal((await upkeep(['__complete', 'drain', '--ignore-d'])).out, '--ignore-daemonsets\tIgnore DaemonSet-managed pods\n:4\n');
    assert.equal((await upkeep(['__complete', '-o', 'y'])).out, 'yaml\n:4\n');
    assert.equal((await upkeep(['__complete', ...k, 'drain', 'node0'])).out, 'node01\nnode02\nnode03\n:4\n');
    assert.equal((await upkeep(['__complete', ...k, 'sandbox', 'node', 'down', ''])).out, 'controlplane\nnode01\nnode02\nnode03\n:4\n');
    assert.equal((await upkeep(['__complete', ...k, '--context', ''])).out, `upkeep-seed-${port}\n:4\n`);
    assert.equal((await upkeep(['__complete', 'etcd', 'snapshot', 'status', ''])).out, ':0\n');
  });

  it('completes in bash from the script upkeep completion bash prints', async () => {
    const dir = path.join(sb.dir, 'bin');
    await fs.mkdir(dir, { recursive: true });
    await fs.symlink(path.join(ROOT, 'bin/upkeep'), path.join(dir, 'upkeep')).catch(() => undefined);
    const script = (await upkeep(['completion', 'bash'])).out;
    await fs.writeFile(path.join(sb.dir, 'completion.bash'), script);
    const line = `upkeep --kubeconfig ${sb.kubeconfig} cordon no`;
    const r = await run(
      'bash',
      ['-c', `source ${path.join(sb.dir, 'completion.bash')}; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); __upkeep_complete; printf '%s\\n' "\${COMPREPLY[@]}"`],
      { PATH: `${dir}:${process.env.PATH}` },
    );
    assert.deepEqual([r.code, r.stdout], [0, 'node01\nnode02\nnode03\n'], r.stderr);
  });

  it('completes kubectl upkeep ... through real kubectl (kubectl_complete-upkeep)', async () => {
    const dir = path.join(sb.dir, 'plugins');
    await fs.mkdir(dir, { recursive: true });
    for (const name of ['kubectl-upkeep', 'kubectl_complete-upkeep']) await fs.symlink(path.join(ROOT, 'bin', name), path.join(dir, name)).catch(() => undefined);
    const r = await run('kubectl', ['__complete', 'upkeep', '--kubeconfig', sb.kubeconfig, 'uncordon', 'node0'], { PATH: `${dir}:${process.env.PATH}` });
    assert.equal(r.stdout, 'node01\nnode02\nnode03\n:4\n', r.stderr);
    const help = await run('kubectl', ['upkeep', 'drain', '--help'], { PATH: `${dir}:${process.env.PATH}` });
    assert.match(help.stdout, /^Usage: kubectl upkeep drain /);
  });
});
