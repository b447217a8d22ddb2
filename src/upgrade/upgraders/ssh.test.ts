import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sshArgs, sshSteps } from './ssh.js';
import { stepCommand } from '../hostcommands.js';

describe('ssh arguments', () => {
  const table: Array<[string, Parameters<typeof sshArgs>[0], string[]]> = [
    ['plain: batch mode, no tty, the command as one argument', { os: 'debian' }, ['-o', 'BatchMode=yes', '-T', 'h', '--', 'kubeadm version']],
    [
      'user and options, before BatchMode (ssh keeps the first value)',
      { os: 'debian', user: 'admin', options: ['Port=2222', 'BatchMode=no'] },
      ['-l', 'admin', '-o', 'Port=2222', '-o', 'BatchMode=no', '-o', 'BatchMode=yes', '-T', 'h', '--', 'kubeadm version'],
    ],
  ];
  for (const [name, o, want] of table) it(name, () => assert.deepEqual(sshArgs(o, 'h', 'kubeadm version'), want));
});

describe('the steps a node runs over ssh', () => {
  it('a control-plane node that is not the first: kubeadm upgrade node, never apply', () => {
    const steps = sshSteps('debian', { role: 'control-plane', to: 'v1.32.0' }).map(stepCommand);
    assert.ok(steps.includes('sudo kubeadm upgrade node'));
    assert.ok(!steps.some((s) => s.includes('upgrade apply')));
    assert.equal(steps.at(-1), 'sudo systemctl restart kubelet');
  });
  it('the first control-plane node applies unattended', () => {
    assert.ok(sshSteps('rhel', { role: 'first-control-plane', to: 'v1.32.0' }).map(stepCommand).includes('sudo kubeadm upgrade apply v1.32.0 --yes'));
  });
});
