// The hints of upgrade and audit name the program as it was started (`kubectl upkeep` as the
// kubectl plugin), and upgrade apply's --dry-run takes kubectl's spellings.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findingsForProgram } from './audit.js';
import { planOnly, resumeCommand, type RunGlobals } from './upgrade.js';
import { UsageError } from '../errors.js';

describe('resumeCommand', () => {
  const cases: { story: string; g: RunGlobals; want: string }[] = [
    { story: 'upkeep by default', g: {}, want: 'upkeep upgrade resume' },
    { story: 'the plugin, with the same cluster', g: { programName: 'kubectl upkeep', kubeconfig: '/tmp/k', context: 'prod' }, want: 'kubectl upkeep --kubeconfig /tmp/k --context prod upgrade resume' },
  ];
  for (const c of cases) it(c.story, () => assert.equal(resumeCommand(c.g).join(' '), c.want));
});

describe('findingsForProgram', () => {
  const finding = { severity: 'blocking', code: 'DrainRefused', message: 'node01 has a bare pod', fix: 'drain with --force (upkeep drain node01 --force --dry-run shows every pod\'s fate)' };
  it('names kubectl upkeep as the plugin', () =>
    assert.deepEqual(findingsForProgram([finding], 'kubectl upkeep'), [{ ...finding, fix: 'drain with --force (kubectl upkeep drain node01 --force --dry-run shows every pod\'s fate)' }]));
  it('leaves upkeep alone', () => assert.deepEqual(findingsForProgram([finding], 'upkeep'), [finding]));
});

describe('planOnly (upgrade apply --dry-run)', () => {
  const cases: { given: unknown; want: boolean }[] = [
    { given: undefined, want: false },
    { given: true, want: true },
    { given: 'client', want: true },
    { given: 'none', want: false },
  ];
  for (const c of cases) it(`--dry-run ${String(c.given)}`, () => assert.equal(planOnly(c.given), c.want));
  it('--dry-run=server is bad input', () => assert.throws(() => planOnly('server'), UsageError));
  it('--dry-run=maybe is bad input', () => assert.throws(() => planOnly('maybe'), /Invalid dry-run value \(maybe\)/));
});
