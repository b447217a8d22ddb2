// A throwaway test host reached over real OpenSSH: Debian's /usr/sbin/sshd on a free 127.0.0.1
// port with its own sshd_config, host key and user key in a temp dir (-D: no daemon, -e: log to
// stderr, -f: our config only; nothing outside the temp dir changes, except that a root sshd needs
// Debian's privilege separation directory /run/sshd, which the sshd package's service creates too).
// Every session runs through a ForceCommand wrapper that puts stand-ins first on PATH: kubeadm,
// apt-get, apt-mark, systemctl, dnf, yum, curl, gpg, tee and mkdir record each call (one line in
// calls.log: the node, the program and its arguments; sudo just runs its command); `systemctl restart kubelet` moves the
// sandbox node to the kubelet version apt/yum installed, through the sandbox's machine API.
// The client side: an `ssh` wrapper with its own ssh_config (Host <node>.test per node), as a
// user's ~/.ssh/config would say it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export interface TestHost {
  dir: string;
  /** The ssh program the upgrader runs: the system ssh with this host's ssh_config. */
  ssh: string;
  port: number;
  /** What the stand-ins' tee got on stdin (the repository files written). */
  teeInput(): Promise<string>;
  /** What the stand-ins recorded, one line per call: `<node>: <program> <args>`. */
  calls(): Promise<string[]>;
  /** Makes a program's stand-in fail (exit 100 with an apt-like error) from now on. */
  failProgram(program: string): Promise<void>;
  stop(): Promise<void>;
}

export interface TestHostOptions {
  /** Nodes with a Host <node>.test block in the client's ssh_config. */
  nodes: string[];
  /** The sandbox's machine API, for `systemctl restart kubelet`. */
  sandbox: { url: string; token: string; caCertPem: string };
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile(file, args, (err, _out, stderr) => (err ? reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`)) : resolve())));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The stand-ins: each records its call; a few do what the upgrade needs next. */
function standIns(dir: string): Record<string, string> {
  const record = `printf '%s: %s\\n' "$UPKEEP_TEST_NODE" "$(basename "$0") $*" >> ${dir}/calls.log
if [ -e ${dir}/fail-$(basename "$0") ]; then echo "E: $(basename "$0") failed on purpose (test)" >&2; exit 100; fi`;
  const plain = `#!/bin/sh\n${record}\n`;
  return {
    // sudo runs the command as it is (the remote command's text, sudo included, is in the journal).
    sudo: `#!/bin/sh\nexec "$@"\n`,
    kubeadm: `#!/bin/sh\n${record}\ncase "$*" in "version") echo 'kubeadm version: &version.Info{GitVersion:"stand-in"}';; "upgrade apply"*) echo first-control-plane > ${dir}/role-$UPKEEP_TEST_NODE;; "upgrade node") echo node > ${dir}/role-$UPKEEP_TEST_NODE;; esac\n`,
    'apt-get': plain,
    'apt-mark': plain,
    dnf: plain,
    yum: plain,
    mkdir: plain,
    curl: `#!/bin/sh\n${record}\necho '-----BEGIN PGP PUBLIC KEY BLOCK----- (stand-in)'\n`,
    // The end of a pipe records after its input ends, so a pipeline's calls are recorded in order.
    gpg: `#!/bin/sh\ncat > /dev/null\n${record}\n`,
    tee: `#!/bin/sh\ncat >> ${dir}/tee-input\n${record}\n`,
    systemctl: `#!/bin/sh\n${record}\nif [ "$*" = "restart kubelet" ]; then exec node ${dir}/restart-kubelet.mjs; fi\n`,
  };
}

/** `systemctl restart kubelet`: the version apt-get/yum installed last, the role kubeadm took, through the machine API. */
const RESTART_KUBELET = `import { readFileSync, existsSync } from 'node:fs';
const dir = process.env.UPKEEP_TEST_DIR, node = process.env.UPKEEP_TEST_NODE;
const calls = readFileSync(dir + '/calls.log', 'utf8').split('\\n').filter((l) => l.startsWith(node + ': '));
const installed = calls.map((l) => /kubelet[=-]'?(\\d+\\.\\d+\\.\\d+)/.exec(l)).filter(Boolean).pop();
if (!installed) { console.error('no kubelet package installed on ' + node); process.exit(1); }
const api = JSON.parse(readFileSync(dir + '/api.json', 'utf8'));
const headers = { authorization: 'Bearer ' + api.token, 'content-type': 'application/json' };
const machine = await (await fetch(api.url + '/sandbox/v1/nodes/' + node, { headers })).json();
const kubeadm = existsSync(dir + '/role-' + node) ? readFileSync(dir + '/role-' + node, 'utf8').trim() : 'node';
const role = kubeadm === 'first-control-plane' ? kubeadm : machine.staticPods ? 'control-plane' : 'worker';
const r = await fetch(api.url + '/sandbox/v1/nodes/' + node + '/upgrade', { method: 'POST', headers, body: JSON.stringify({ version: 'v' + installed[1], role, downSeconds: 5 }) });
if (!r.ok) { console.error(await r.text()); process.exit(1); }
`;

async function writeFiles(dir: string, port: number, o: TestHostOptions): Promise<void> {
  const bin = path.join(dir, 'bin');
  await fs.mkdir(bin);
  for (const [name, text] of Object.entries(standIns(dir))) await fs.writeFile(path.join(bin, name), text, { mode: 0o755 });
  await fs.writeFile(path.join(dir, 'calls.log'), '');
  await fs.writeFile(path.join(dir, 'restart-kubelet.mjs'), RESTART_KUBELET);
  await fs.writeFile(path.join(dir, 'ca.crt'), o.sandbox.caCertPem);
  await fs.writeFile(path.join(dir, 'api.json'), JSON.stringify({ url: o.sandbox.url, token: o.sandbox.token }));
  // The session: stand-ins first on PATH, the sandbox's CA trusted by node's fetch, then the command as sshd would run it.
  await fs.writeFile(
    path.join(dir, 'session'),
    `#!/bin/sh\nexport PATH=${bin}:$PATH UPKEEP_TEST_DIR=${dir} NODE_EXTRA_CA_CERTS=${dir}/ca.crt\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`,
    { mode: 0o755 },
  );
  await fs.writeFile(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${dir}/host_ed25519`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      'AcceptEnv UPKEEP_TEST_NODE',
      `ForceCommand ${dir}/session`,
      '',
    ].join('\n'),
  );
  const hostKey = (await fs.readFile(path.join(dir, 'host_ed25519.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
  await fs.writeFile(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  await fs.copyFile(path.join(dir, 'id_ed25519.pub'), path.join(dir, 'authorized_keys'));
  const hostBlocks = o.nodes.map((n) => `Host ${n}.test\n  HostName 127.0.0.1\n  SetEnv UPKEEP_TEST_NODE=${n}\n`).join('');
  await fs.writeFile(
    path.join(dir, 'ssh_config'),
    `${hostBlocks}Host *\n  Port ${port}\n  User ${os.userInfo().username}\n  IdentityFile ${dir}/id_ed25519\n  IdentitiesOnly yes\n  UserKnownHostsFile ${dir}/known_hosts\n  StrictHostKeyChecking yes\n  LogLevel ERROR\n`,
  );
  await fs.writeFile(path.join(dir, 'ssh'), `#!/bin/sh\nexec ssh -F ${dir}/ssh_config "$@"\n`, { mode: 0o755 });
}

/** A root sshd needs Debian's privilege separation directory (its service makes it at start). */
async function privsepDir(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  await fs.mkdir('/run/sshd', { mode: 0o755 }).catch((e: unknown) => {
    if (!(e instanceof Error && 'code' in e && e.code === 'EEXIST')) throw e;
  });
}

function waitListening(child: ChildProcess, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not start listening in 10 s:\n${log()}`)), 10_000);
    const check = () => {
      if (/Server listening on 127\.0\.0\.1/.test(log())) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited (${code}):\n${log()}`));
    });
  });
}

export async function startTestHost(o: TestHostOptions): Promise<TestHost> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'upkeep-sshd-'));
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'upkeep-test-host', '-f', path.join(dir, 'host_ed25519')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'upkeep-test-user', '-f', path.join(dir, 'id_ed25519')]);
  const port = await freePort();
  await writeFiles(dir, port, o);
  await privsepDir();
  let log = '';
  const child = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (c: Buffer) => (log += c.toString('utf8')));
  await waitListening(child, () => log);
  return {
    dir,
    ssh: path.join(dir, 'ssh'),
    port,
    async calls() {
      return (await fs.readFile(path.join(dir, 'calls.log'), 'utf8')).split('\n').filter(Boolean);
    },
    async teeInput() {
      return fs.readFile(path.join(dir, 'tee-input'), 'utf8').catch(() => '');
    },
    async failProgram(program) {
      await fs.writeFile(path.join(dir, `fail-${program}`), '');
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
