import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import { applyLimitRanges, quotaError } from './quota.js';

const pod = (name: string, resources: object = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'i', resources }] } });
const quota = (hard: object): KubeObject => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute', namespace: 'ns' }, spec: { hard } });
const range = (limit: object): KubeObject => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'ns' }, spec: { limits: [{ type: 'Container', ...limit }] } });

test('ResourceQuota refuses what would exceed it, in kube-apiserver words', () => {
  const cases: Array<{ name: string; o: KubeObject; existing: KubeObject[]; hard: object; message?: string }> = [
    { name: 'room left', o: pod('p3'), existing: [pod('p1')], hard: { pods: '2' } },
    { name: 'pods', o: pod('p3'), existing: [pod('p1'), pod('p2')], hard: { pods: '2' }, message: 'pods "p3" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2' },
    {
      name: 'cpu requests',
      o: pod('p2', { requests: { cpu: '500m' } }),
      existing: [pod('p1', { requests: { cpu: '1' } })],
      hard: { 'requests.cpu': '1' },
      message: 'pods "p2" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=1, limited: requests.cpu=1',
    },
    { name: 'unspecified', o: pod('p2'), existing: [], hard: { 'limits.memory': '1Gi' }, message: 'pods "p2" is forbidden: failed quota: compute: must specify limits.memory' },
  ];
  for (const c of cases) {
    const e = quotaError('pods', '', c.o, c.existing, [quota(c.hard)]);
    assert.equal(e?.status.message, c.message, c.name);
    if (e) assert.equal(e.code, 403, c.name);
  }
});

test('LimitRange defaults container resources and refuses values past its max', () => {
  const defaulted = applyLimitRanges(pod('p'), [range({ default: { cpu: '500m' }, defaultRequest: { cpu: '100m' } })], 'p');
  assert.deepEqual((defaulted.spec as { containers: Array<{ resources: unknown }> }).containers[0].resources, { limits: { cpu: '500m' }, requests: { cpu: '100m' } });
  assert.throws(
    () => applyLimitRanges(pod('p', { limits: { cpu: '2' } }), [range({ max: { cpu: '1' } })], 'p'),
    (e: unknown) => e instanceof StatusError && e.code === 403 && e.status.message === 'pods "p" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
  );
});
