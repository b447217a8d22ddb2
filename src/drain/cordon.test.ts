import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../api/types.js';
import { CORDON_ANNOTATION, decideCordon } from './cordon.js';

const now = '2026-11-21T10:00:00Z';
function node(unschedulable: boolean, annotation?: string): Node {
  return { metadata: { name: 'node01', annotations: annotation ? { [CORDON_ANNOTATION]: annotation } : {} }, spec: unschedulable ? { unschedulable: true } : {} };
}
const ours = JSON.stringify({ by: 'upkeep', at: now });

describe('decideCordon', () => {
  const cases: Array<[string, Node, boolean, boolean, ReturnType<typeof decideCordon>]> = [
    ['cordon a schedulable node: one patch that records upkeep did it', node(false), true, false, { kind: 'patch', patch: { metadata: { annotations: { [CORDON_ANNOTATION]: ours } }, spec: { unschedulable: true } } }],
    ['cordon a cordoned node: nothing sent, as kubectl', node(true), true, false, { kind: 'noop', message: 'node/node01 already cordoned' }],
    ['uncordon a node upkeep cordoned', node(true, ours), false, false, { kind: 'patch', patch: { metadata: { annotations: { [CORDON_ANNOTATION]: null } }, spec: { unschedulable: null } } }],
    ['uncordon a node someone else cordoned: refused', node(true), false, false, { kind: 'refuse', message: 'node/node01 was cordoned by someone else, not by upkeep; it stays cordoned (use --force to uncordon it anyway)' }],
    ['uncordon a node someone else cordoned with --force', node(true), false, true, { kind: 'patch', patch: { metadata: { annotations: { [CORDON_ANNOTATION]: null } }, spec: { unschedulable: null } } }],
    ['uncordon a schedulable node: nothing to do', node(false), false, false, { kind: 'noop', message: 'node/node01 already uncordoned' }],
    ['a stale record on a schedulable node is removed', node(false, ours), false, false, { kind: 'patch', patch: { metadata: { annotations: { [CORDON_ANNOTATION]: null } } } }],
    ['a corrupt record does not count as ours', node(true, 'not json'), false, false, { kind: 'refuse', message: 'node/node01 was cordoned by someone else, not by upkeep; it stays cordoned (use --force to uncordon it anyway)' }],
  ];
  for (const [story, n, desired, force, want] of cases) {
    it(story, () => assert.deepEqual(decideCordon(n, desired, { force, now }), want));
  }
});
