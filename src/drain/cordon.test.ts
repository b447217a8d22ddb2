import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../api/types.js';
import { CORDON_ANNOTATION, decideCordon, nodeSelection, type NodeSelection } from './cordon.js';

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

describe('nodeSelection: names or a selector, as kubectl takes them', () => {
  const cases: { story: string; names: string[]; selector?: string; want: NodeSelection | string }[] = [
    { story: 'node names', names: ['node01', 'node02'], want: { names: ['node01', 'node02'] } },
    { story: 'a selector', names: [], selector: 'pool=x', want: { selector: 'pool=x' } },
    { story: 'both: kubectl’s error', names: ['node01'], selector: 'pool=x', want: 'cannot specify both a node name and a --selector option' },
    { story: 'neither', names: [], want: 'name a node or give a --selector' },
    { story: 'an empty selector is none', names: [], selector: '', want: 'name a node or give a --selector' },
  ];
  for (const c of cases) {
    it(c.story, () => {
      if (typeof c.want === 'string') assert.throws(() => nodeSelection(c.names, c.selector), { name: 'NodeSelectionError', message: c.want });
      else assert.deepEqual(nodeSelection(c.names, c.selector), c.want);
    });
  }
});
