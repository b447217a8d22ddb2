import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expandTemplate, sshHost } from './template.js';

describe('templates', () => {
  const fields = { node: 'node01', version: 'v1.32.0', role: 'worker', from: 'v1.31.4', address: '10.0.0.11' };
  const cases: Array<[string, string]> = [
    ['./up.sh {node} {version} {role}', './up.sh node01 v1.32.0 worker'],
    ['{node}.example.internal', 'node01.example.internal'],
    ['echo {from}->{version} at {address}', 'echo v1.31.4->v1.32.0 at 10.0.0.11'],
    ['no placeholders', 'no placeholders'],
    ['awk {print}', ''],
  ];
  for (const [template, want] of cases.slice(0, 4)) it(`${template} -> ${want}`, () => assert.equal(expandTemplate(template, fields), want));

  it('names an unknown placeholder, a missing value and an unsafe one', () => {
    assert.throws(() => expandTemplate(cases[4][0], fields), { message: 'unknown placeholder {print} in "awk {print}" (use {node}, {version}, {role}, {from} or {address})' });
    assert.throws(() => expandTemplate('x {address}', { node: 'n' }), { message: '{address} in "x {address}" has no value here' });
    assert.throws(() => expandTemplate('x {node}', { node: 'a;rm -rf /' }), { message: '{node} would be "a;rm -rf /", which is not safe in a shell command' });
  });
});

describe('which host ssh connects to', () => {
  const table: Array<[string, { node: string; address?: string }, string | undefined, string]> = [
    ['the --ssh-host template wins', { node: 'node01', address: '10.0.0.11' }, '{node}.example.internal', 'node01.example.internal'],
    ["else the node's address", { node: 'node01', address: '10.0.0.11' }, undefined, '10.0.0.11'],
    ['else its name', { node: 'node01' }, undefined, 'node01'],
  ];
  for (const [name, target, template, want] of table) it(name, () => assert.equal(sshHost(target, template), want));
});
