// Which Deployments --surge scales up before their node is drained, and by how much.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment, Pod } from '../api/types.js';
import { decideSurge, readJournal, SURGE_ANNOTATION, surgeNotice, type SurgeDecision } from './surge.js';

const deployment = (replicas: number, extra: { generation?: number; observed?: number; journal?: string } = {}): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', uid: 'd1', generation: extra.generation ?? 1, ...(extra.journal ? { annotations: { [SURGE_ANNOTATION]: extra.journal } } : {}) },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: {} },
  status: { observedGeneration: extra.observed ?? 1 },
});

const pod = (name: string, node: string, opts: { ready?: boolean; rs?: string; terminating?: boolean } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'default',
    uid: name,
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: opts.rs ?? 'rs1', controller: true }],
    ...(opts.terminating ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}),
  },
  spec: { nodeName: node, containers: [] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
});

describe('decideSurge', () => {
  const cases: { story: string; deployment: Deployment; pods: Pod[]; want: SurgeDecision }[] = [
    {
      story: 'a single replica on the node: surge by one',
      deployment: deployment(1),
      pods: [pod('a', 'node01')],
      want: { kind: 'surge', from: 1, to: 2, count: 1 },
    },
    {
      story: 'both ready replicas on the node: surge by two',
      deployment: deployment(2),
      pods: [pod('a', 'node01'), pod('b', 'node01')],
      want: { kind: 'surge', from: 2, to: 4, count: 2 },
    },
    {
      story: 'a ready replica elsewhere keeps it available: no surge',
      deployment: deployment(3),
      pods: [pod('a', 'node01'), pod('b', 'node02'), pod('c', 'node03')],
      want: { kind: 'none', reason: '2 ready replicas elsewhere keep it available' },
    },
    {
      story: 'only unready or terminating replicas elsewhere: they do not count, so surge',
      deployment: deployment(3),
      pods: [pod('a', 'node01'), pod('b', 'node02', { ready: false }), pod('c', 'node03', { terminating: true })],
      want: { kind: 'surge', from: 3, to: 4, count: 1 },
    },
    {
      story: 'no ready replica on the node: nothing to keep available',
      deployment: deployment(1),
      pods: [pod('a', 'node01', { ready: false })],
      want: { kind: 'none', reason: 'no ready replica on node01' },
    },
    {
      story: 'in the middle of a rollout (two ReplicaSets): not surged',
      deployment: deployment(2),
      pods: [pod('a', 'node01'), pod('b', 'node01', { rs: 'rs2' })],
      want: { kind: 'skip', reason: 'a rollout is in progress' },
    },
    {
      story: 'a spec change not yet observed: not surged',
      deployment: deployment(1, { generation: 2, observed: 1 }),
      pods: [pod('a', 'node01')],
      want: { kind: 'skip', reason: 'a rollout is in progress' },
    },
    {
      story: 'already carrying a journal (another drain surges it): left alone',
      deployment: deployment(2, { journal: '{"originalReplicas":1,"replicas":2,"node":"node02","at":"x"}' }),
      pods: [pod('a', 'node01')],
      want: { kind: 'skip', reason: `it already carries ${SURGE_ANNOTATION} (another drain is surging it)` },
    },
  ];
  for (const c of cases) it(c.story, () => assert.deepEqual(decideSurge(c.deployment, c.pods, 'node01'), c.want));
});

describe('readJournal', () => {
  const cases: [string, string | undefined, ReturnType<typeof readJournal>][] = [
    ['a journal', '{"originalReplicas":1,"replicas":2,"node":"node01","at":"2025-01-01T00:00:00Z"}', { originalReplicas: 1, replicas: 2, node: 'node01', at: '2025-01-01T00:00:00Z' }],
    ['no annotation', undefined, undefined],
    ['not JSON', 'yes', undefined],
    ['numbers missing', '{"node":"node01"}', undefined],
  ];
  for (const [story, raw, want] of cases) {
    it(story, () => assert.deepEqual(readJournal(deployment(1, raw === undefined ? {} : { journal: raw })), want));
  }
});

describe('surgeNotice', () => {
  it('names the workload, the interrupted drain and the command that puts it back', () => {
    assert.equal(
      surgeNotice({ workload: 'Deployment shop/api', namespace: 'shop', name: 'api', journal: { originalReplicas: 60, replicas: 120, node: 'node02', at: '2026-12-03T13:00:00Z' } }),
      'Deployment shop/api: still surged from 60 replicas to 120 by an interrupted drain of node02 since 2026-12-03T13:00:00Z; to put it back run: upkeep uncordon node02 (or upkeep drain node02 --surge)',
    );
    assert.equal(
      surgeNotice({ workload: 'Deployment a/b', namespace: 'a', name: 'b', journal: { originalReplicas: 1, replicas: 2, node: '', at: '' } }),
      'Deployment a/b: still surged from 1 replica to 2 by an interrupted drain; to put it back run: upkeep drain NODE --surge',
    );
  });
});
