import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.js';
import { comparable, diffPaths, jsonEqual, mergePatch } from './compare.js';

describe('diffPaths', () => {
  const cases: Array<{ name: string; a: unknown; b: unknown; want: string[] }> = [
    { name: 'equal, keys in another order', a: { x: 1, y: { z: [1, 2] } }, b: { y: { z: [1, 2] }, x: 1 }, want: [] },
    { name: 'a changed leaf', a: { spec: { replicas: 3 } }, b: { spec: { replicas: 2 } }, want: ['spec.replicas'] },
    { name: 'added and removed keys', a: { data: { a: '1' } }, b: { data: { b: '2' } }, want: ['data.a', 'data.b'] },
    { name: 'an array element', a: { ports: [{ port: 80 }, { port: 443 }] }, b: { ports: [{ port: 80 }, { port: 8443 }] }, want: ['ports[1].port'] },
    { name: 'arrays of another length', a: { args: [1] }, b: { args: [1, 2] }, want: ['args'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(diffPaths(c.a, c.b), c.want));
});

describe('mergePatch', () => {
  const cases: Array<{ name: string; from: unknown; to: unknown; want: unknown }> = [
    { name: 'equal: no patch', from: { a: 1 }, to: { a: 1 }, want: undefined },
    { name: 'a changed field', from: { spec: { replicas: 3, x: 1 } }, to: { spec: { replicas: 2, x: 1 } }, want: { spec: { replicas: 2 } } },
    { name: 'a field removed becomes null', from: { data: { a: '1', b: '2' } }, to: { data: { a: '1' } }, want: { data: { b: null } } },
    { name: 'arrays are replaced whole', from: { l: [1, 2] }, to: { l: [1] }, want: { l: [1] } },
    { name: 'a new object', from: {}, to: { metadata: { labels: { a: 'b' } } }, want: { metadata: { labels: { a: 'b' } } } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(mergePatch(c.from, c.to), c.want));
});

describe('comparable', () => {
  it("drops what the server and controllers own, keeps the user's fields", () => {
    const live: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: 'u1',
        resourceVersion: '42',
        generation: 3,
        creationTimestamp: '2026-01-01T00:00:00Z',
        managedFields: [{ manager: 'kubectl' }],
        annotations: { 'deployment.kubernetes.io/revision': '3' },
        labels: { app: 'web' },
      },
      spec: { replicas: 3 },
      status: { readyReplicas: 3 },
    };
    assert.deepEqual(comparable(live, { groupResource: 'deployments.apps', hasStatusSubresource: true }), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
      spec: { replicas: 3 },
    });
  });
  it('keeps status where there is no status subresource (a custom resource)', () => {
    const cr: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, status: { phase: 'Ready' } };
    assert.ok(jsonEqual(comparable(cr, { groupResource: 'widgets.example.com', hasStatusSubresource: false }), cr));
  });
});
