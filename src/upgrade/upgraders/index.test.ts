import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createUpgrader } from './index.js';

describe('createUpgrader: one line per bad flag', () => {
  const table: Array<[string, string, Parameters<typeof createUpgrader>[1], string]> = [
    ['an unknown kind', 'ansible', {}, 'invalid value "ansible" for --upgrader: must be sandbox, ssh, command'],
    ['command without --node-command', 'command', {}, "--upgrader command needs --node-command, e.g. --node-command './upgrade-node.sh {node} {version} {role}'"],
    ['a placeholder that does not exist', 'command', { nodeCommand: 'up {host}' }, 'invalid value "up {host}" for --node-command: unknown placeholder {host} in "up {host}" (use {node}, {version}, {role}, {from} or {address})'],
    ['ssh without --os', 'ssh', {}, '--upgrader ssh needs --os: debian, ubuntu, apt (apt); rhel, centos, rocky, alma, fedora, dnf, yum (dnf/yum)'],
    ['ssh with --os both', 'ssh', { os: 'both' }, 'invalid value "both" for --os with --upgrader ssh: must be one of debian, ubuntu, apt (apt); rhel, centos, rocky, alma, fedora, dnf, yum (dnf/yum)'],
    ['a malformed --ssh-option', 'ssh', { os: 'ubuntu', sshOptions: ['-p 22'] }, 'invalid value "-p 22" for --ssh-option: must be an ssh_config option like Port=2222 or IdentityFile=~/.ssh/upgrade'],
    ['a bad --node-add-command', 'ssh', { os: 'ubuntu', nodeAddCommand: 'add {node}' }, 'invalid value "add {node}" for --node-add-command: {node} in "add {node}" has no value here'],
  ];
  for (const [name, kind, options, message] of table) it(name, () => assert.throws(() => createUpgrader(kind, options), { name: 'UpgraderOptionsError', message }));

  it('builds each kind', () => {
    assert.equal(createUpgrader('ssh', { os: 'rocky', sshHost: '{node}.example.internal' }).upgrader.kind, 'ssh');
    const c = createUpgrader('command', { nodeCommand: './up.sh {node} {version} {role}', nodeRemoveCommand: './rm.sh {node}' });
    assert.equal(c.upgrader.kind, 'command');
    assert.ok(c.provisioner);
  });
});
