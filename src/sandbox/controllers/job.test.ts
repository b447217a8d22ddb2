import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/types.js';
import { type JobCondition, backoffSeconds, ensureCondition, formatIndexes, isJobPodFailed, parseIndexes, wantActive } from './job.js';

describe('completedIndexes', () => {
  const cases: Array<[number[], string]> = [
    [[], ''],
    [[0], '0'],
    [[0, 1, 2], '0-2'],
    [[7, 1, 3, 4, 5], '1,3-5,7'],
    [[2, 2, 3], '2-3'],
  ];
  for (const [indexes, text] of cases) {
    it(`${JSON.stringify(indexes)} <-> "${text}"`, () => {
      assert.equal(formatIndexes(indexes), text);
      assert.deepEqual([...parseIndexes(text, 10)].sort((a, b) => a - b), [...new Set(indexes)].sort((a, b) => a - b));
    });
  }
  it('indexes beyond completions are dropped', () => assert.deepEqual([...parseIndexes('0-5', 3)], [0, 1, 2]));
});

describe('wantActive (manageJob)', () => {
  const cases: Array<[string, number, number | undefined, number, number, number]> = [
    ['parallelism caps a fixed-completion job', 2, 5, 0, 0, 2],
    ['never more than the completions still missing', 3, 5, 4, 2, 1],
    ['done: nothing more', 2, 5, 5, 0, 0],
    ['a work queue job runs parallelism pods until one succeeds', 3, undefined, 0, 1, 3],
    ['then lets the running ones finish, starting no more', 3, undefined, 1, 2, 2],
  ];
  for (const [story, parallelism, completions, succeeded, active, want] of cases) it(story, () => assert.equal(wantActive(parallelism, completions, succeeded, active), want));
});

describe('backoffSeconds', () => {
  const cases: Array<[number, number]> = [
    [0, 0],
    [1, 10],
    [2, 20],
    [3, 40],
    [6, 320],
    [7, 360],
    [20, 360],
  ];
  for (const [failures, want] of cases) it(`${failures} failures -> ${want} s`, () => assert.equal(backoffSeconds(failures), want));
});

describe('isJobPodFailed', () => {
  const p = (phase: string, deleting = false): Pod => ({ metadata: { name: 'p', ...(deleting ? { deletionTimestamp: '2025-06-01T12:00:00Z' } : {}) }, status: { phase } });
  const cases: Array<[string, Pod, boolean]> = [
    ['a Failed pod', p('Failed'), true],
    ['a running pod', p('Running'), false],
    ['an evicted (deleted) running pod counts as failed', p('Running', true), true],
    ['a deleted pod that had already succeeded does not', p('Succeeded', true), false],
  ];
  for (const [story, pod, want] of cases) it(story, () => assert.equal(isJobPodFailed(pod), want));
});

describe('ensureCondition (ensureJobConditionStatus)', () => {
  const c = (type: string, status: string, reason = 'R'): JobCondition => ({ type, status, reason, message: 'm', lastProbeTime: 't', lastTransitionTime: 't' });
  it('adds a True condition', () => assert.deepEqual(ensureCondition([], c('Suspended', 'True')), { conditions: [c('Suspended', 'True')], changed: true }));
  it('does not add a False one', () => assert.deepEqual(ensureCondition([], c('Suspended', 'False')), { conditions: [], changed: false }));
  it('flips an existing one', () => assert.deepEqual(ensureCondition([c('Suspended', 'True')], c('Suspended', 'False', 'JobResumed')).conditions, [c('Suspended', 'False', 'JobResumed')]));
  it('leaves an equal one alone', () => assert.equal(ensureCondition([c('Complete', 'True')], c('Complete', 'True')).changed, false));
});
