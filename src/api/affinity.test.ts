import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasNodeConstraints, matchesNodeAffinity, matchesNodeSelectorTerm, matchesRequirement } from './affinity.js';
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, PodSpec } from './types.js';

const node = (name: string, labels: Record<string, string> = {}): Node => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } });
const req = (key: string, operator: string, values?: string[]): NodeSelectorRequirement => ({ key, operator, ...(values ? { values } : {}) });
const required = (...nodeSelectorTerms: NodeSelectorTerm[]): Pick<PodSpec, 'affinity'> => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } } });

describe('matchesRequirement: one NodeSelectorRequirement against a label value', () => {
  const cases: Array<[string, string | undefined, NodeSelectorRequirement, boolean]> = [
    ['In, value listed', 'ssd', req('disk', 'In', ['ssd', 'nvme']), true],
    ['In, value not listed', 'hdd', req('disk', 'In', ['ssd']), false],
    ['In, no label', undefined, req('disk', 'In', ['ssd']), false],
    ['In without values is invalid: no match', 'ssd', req('disk', 'In', []), false],
    ['NotIn, value listed', 'ssd', req('disk', 'NotIn', ['ssd']), false],
    ['NotIn, value not listed', 'hdd', req('disk', 'NotIn', ['ssd']), true],
    ['NotIn, no label: matches', undefined, req('disk', 'NotIn', ['ssd']), true],
    ['Exists, label there (even empty)', '', req('disk', 'Exists'), true],
    ['Exists, no label', undefined, req('disk', 'Exists'), false],
    ['Exists with values is invalid: no match', 'ssd', req('disk', 'Exists', ['ssd']), false],
    ['DoesNotExist, no label', undefined, req('disk', 'DoesNotExist'), true],
    ['DoesNotExist, label there', 'ssd', req('disk', 'DoesNotExist'), false],
    ['Gt, above', '8', req('cores', 'Gt', ['4']), true],
    ['Gt, equal is not above', '4', req('cores', 'Gt', ['4']), false],
    ['Lt, below', '3', req('cores', 'Lt', ['4']), true],
    ['Lt, equal is not below', '4', req('cores', 'Lt', ['4']), false],
    ['Gt compares integers, not strings', '10', req('cores', 'Gt', ['9']), true],
    ['Gt, negative bound', '-1', req('cores', 'Gt', ['-2']), true],
    ['Gt, a label that is not an integer', '8.5', req('cores', 'Gt', ['4']), false],
    ['Gt, an empty label is not 0', '', req('cores', 'Lt', ['4']), false],
    ['Gt, no label', undefined, req('cores', 'Gt', ['4']), false],
    ['Gt with two values is invalid', '8', req('cores', 'Gt', ['4', '5']), false],
    ['an unknown operator', 'ssd', req('disk', 'Equals', ['ssd']), false],
  ];
  for (const [story, value, r, want] of cases) it(story, () => assert.equal(matchesRequirement(value, r), want));
});

describe('matchesNodeSelectorTerm: expressions on labels and fields on metadata.name, ANDed', () => {
  const n = node('node01', { disk: 'ssd' });
  const cases: Array<[string, NodeSelectorTerm, boolean]> = [
    ['an empty term matches no node', {}, false],
    ['matchFields metadata.name In', { matchFields: [req('metadata.name', 'In', ['node01'])] }, true],
    ['matchFields metadata.name NotIn', { matchFields: [req('metadata.name', 'NotIn', ['node01'])] }, false],
    ['matchFields on another field never matches', { matchFields: [req('metadata.uid', 'In', ['x'])] }, false],
    ['matchFields only takes In and NotIn', { matchFields: [req('metadata.name', 'Exists')] }, false],
    ['expression and field both hold', { matchExpressions: [req('disk', 'In', ['ssd'])], matchFields: [req('metadata.name', 'In', ['node01'])] }, true],
    ['one of two expressions fails', { matchExpressions: [req('disk', 'In', ['ssd']), req('gpu', 'Exists')] }, false],
  ];
  for (const [story, term, want] of cases) it(story, () => assert.equal(matchesNodeSelectorTerm(term, n), want));
});

describe('matchesNodeAffinity: nodeSelector AND (terms ORed)', () => {
  const n = node('node01', { disk: 'ssd', zone: 'a' });
  const cases: Array<[string, Pick<PodSpec, 'nodeSelector' | 'affinity'> | undefined, boolean]> = [
    ['no spec: any node', undefined, true],
    ['nodeSelector all equal', { nodeSelector: { disk: 'ssd', zone: 'a' } }, true],
    ['nodeSelector one differs', { nodeSelector: { disk: 'ssd', zone: 'b' } }, false],
    ['nodeSelector on a missing label', { nodeSelector: { gpu: 'yes' } }, false],
    ['terms ORed: the second matches', required({ matchExpressions: [req('zone', 'In', ['b'])] }, { matchExpressions: [req('zone', 'In', ['a'])] }), true],
    ['terms ORed: none matches', required({ matchExpressions: [req('zone', 'In', ['b'])] }, { matchExpressions: [req('zone', 'In', ['c'])] }), false],
    ['a required affinity with no terms matches no node', required(), false],
    ['nodeSelector holds but affinity does not', { nodeSelector: { disk: 'ssd' }, ...required({ matchExpressions: [req('zone', 'NotIn', ['a'])] }) }, false],
  ];
  for (const [story, spec, want] of cases) it(story, () => assert.equal(matchesNodeAffinity(spec, n), want));
  it('hasNodeConstraints: a nodeSelector or a required affinity', () => {
    const specs: Array<Pick<PodSpec, 'nodeSelector' | 'affinity'> | undefined> = [undefined, {}, { nodeSelector: {} }, { nodeSelector: { a: 'b' } }, required()];
    assert.deepEqual(specs.map(hasNodeConstraints), [false, false, false, true, true]);
  });
});
