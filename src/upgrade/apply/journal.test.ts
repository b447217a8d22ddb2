import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { enterPhase, failStep, mayResume, mayStart, newJournal, nextPhase, nextWave, nodeState, setState, updateStep, type Journal, type RunState } from './journal.js';
import type { Step } from './steps.js';

const T0 = '2026-12-03T13:00:00Z';
const step = (id: number, wave: number, node: string): Step => ({ id, wave, hop: 'v1.31 -> v1.32', kind: 'upgrade', node, role: 'worker', from: 'v1.31.4', to: 'v1.32.13', drain: true });
const fresh = (): Journal => newJournal('upgrade', [step(1, 1, 'node01'), step(2, 2, 'node02'), step(3, 2, 'node03')], { target: 'v1.32.13', strategy: 'one-by-one', options: {}, holder: 'me@host pid 1' }, T0);

describe('the journal state machine', () => {
  it('phases go pending -> draining -> upgrading -> waiting-ready -> gates -> uncordoning -> done, and stay done', () => {
    const seen = ['pending'];
    let p = nextPhase('pending');
    for (let i = 0; i < 10 && p !== 'done'; i++) {
      seen.push(p);
      p = nextPhase(p);
    }
    assert.deepEqual([...seen, p], ['pending', 'draining', 'upgrading', 'waiting-ready', 'gates', 'uncordoning', 'done']);
    assert.equal(nextPhase('done'), 'done');
  });

  it('resume continues with the first wave that has a step not done; undefined once all are done', () => {
    let j = fresh();
    assert.equal(nextWave(j), 1);
    j = enterPhase(j, 1, 'done', T0);
    assert.equal(nextWave(j), 2);
    j = enterPhase(enterPhase(j, 2, 'done', T0), 3, 'upgrading', T0);
    assert.equal(nextWave(j), 2);
    j = enterPhase(j, 3, 'done', T0);
    assert.equal(nextWave(j), undefined);
  });

  it('a failed gate keeps the step in its phase with the gate; entering the phase again clears it', () => {
    let j = enterPhase(fresh(), 1, 'waiting-ready', T0);
    j = failStep(j, 1, 'node-ready', 'node01 is not Ready after 300s', '2026-12-03T13:05:00Z');
    assert.equal(j.state, 'failed');
    assert.deepEqual(j.steps[0].failed, { gate: 'node-ready', message: 'node01 is not Ready after 300s', at: '2026-12-03T13:05:00Z' });
    assert.equal(j.steps[0].phase, 'waiting-ready');
    j = enterPhase(setState(j, 'running', T0), 1, 'waiting-ready', T0);
    assert.equal(j.steps[0].failed, undefined);
    assert.equal(j.steps[0].startedAt, T0);
  });

  const verdicts: Array<{ state: RunState | 'none'; start: boolean; resume: boolean }> = [
    { state: 'none', start: true, resume: false },
    { state: 'running', start: false, resume: true },
    { state: 'failed', start: false, resume: true },
    { state: 'aborting', start: false, resume: true },
    { state: 'aborted', start: true, resume: false },
    { state: 'done', start: true, resume: false },
  ];
  for (const v of verdicts) {
    it(`a run that is ${v.state}: apply ${v.start ? 'may' : 'may not'} start, resume ${v.resume ? 'may' : 'may not'} carry it on`, () => {
      const j = v.state === 'none' ? undefined : setState(fresh(), v.state, T0);
      assert.equal(mayStart(j).ok, v.start);
      assert.equal(mayResume(j).ok, v.resume);
    });
  }

  it('says where each node was left', () => {
    let j = updateStep(enterPhase(fresh(), 1, 'upgrading', T0), 1, { wasCordoned: false }, T0);
    j = updateStep(enterPhase(j, 2, 'done', T0), 2, { wasCordoned: true }, T0);
    assert.deepEqual(j.steps.map(nodeState), [
      'cordoned by this run, drained, upgrading v1.31.4 -> v1.32.13',
      'done at v1.32.13 (left cordoned, as it was before)',
      'untouched at v1.31.4',
    ]);
  });
});
