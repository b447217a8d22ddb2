import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../api/types.js';
import { desiredTaints, fullDisruption } from './nodelifecycle.js';

const NOW = '2026-12-03T13:00:00Z';

function node(name: string, ready: 'True' | 'False' | 'Unknown', unschedulable = false): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: unschedulable ? { unschedulable } : {}, status: { conditions: [{ type: 'Ready', status: ready }] } };
}

describe('the node lifecycle decisions', () => {
  it('is in full disruption only when every node is not Ready', () => {
    const table: Array<[string, Node[], boolean]> = [
      ['no nodes', [], false],
      ['all Ready', [node('a', 'True'), node('b', 'True')], false],
      ['one unreachable', [node('a', 'Unknown'), node('b', 'True')], false],
      ['all unreachable (an API-side outage)', [node('a', 'Unknown'), node('b', 'Unknown')], true],
      ['all not Ready, mixed', [node('a', 'False'), node('b', 'Unknown')], true],
    ];
    for (const [story, nodes, want] of table) assert.equal(fullDisruption(nodes), want, story);
  });

  it('taints an unreachable node NoExecute, except in full disruption', () => {
    const keys = (n: Node, disrupted: boolean) => desiredTaints(n, NOW, disrupted).map((t) => `${t.key}:${t.effect}`);
    assert.deepEqual(keys(node('a', 'Unknown'), false), ['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
    assert.deepEqual(keys(node('a', 'Unknown'), true), ['node.kubernetes.io/unreachable:NoSchedule']);
    assert.deepEqual(keys(node('a', 'False'), true), ['node.kubernetes.io/not-ready:NoSchedule']);
    assert.deepEqual(keys(node('a', 'True', true), true), ['node.kubernetes.io/unschedulable:NoSchedule']);
    assert.deepEqual(keys(node('a', 'True'), false), []);
  });

  it('removes an existing NoExecute taint when full disruption begins', () => {
    const tainted = node('a', 'Unknown');
    tainted.spec = { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: NOW }, { key: 'dedicated', value: 'db', effect: 'NoSchedule' }] };
    assert.deepEqual(
      desiredTaints(tainted, NOW, true).map((t) => `${t.key}:${t.effect}`),
      ['dedicated:NoSchedule', 'node.kubernetes.io/unreachable:NoSchedule'],
    );
  });
});
