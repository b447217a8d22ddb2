import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { decodeEventsV1Body, fromEventsV1, toEventsV1, validateEventsV1Create } from './eventsv1.js';

const META = { name: 'e1', namespace: 'default' };
const REF = { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u1', apiVersion: 'v1', fieldPath: 'spec.containers{web}' };

describe('events.k8s.io/v1 <-> core/v1 Event, as kube-apiserver converts', () => {
  const cases: Array<{ name: string; core: KubeObject; v1: KubeObject }> = [
    {
      name: 'a kubelet event recorded through core/v1',
      core: { kind: 'Event', apiVersion: 'v1', metadata: META, involvedObject: REF, reason: 'Started', message: 'Started container web', source: { component: 'kubelet', host: 'node01' }, firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:00:05Z', count: 3, type: 'Normal', eventTime: null, reportingComponent: 'kubelet', reportingInstance: 'node01' },
      v1: { kind: 'Event', apiVersion: 'events.k8s.io/v1', metadata: META, eventTime: null, reportingController: 'kubelet', reportingInstance: 'node01', reason: 'Started', regarding: REF, note: 'Started container web', type: 'Normal', deprecatedSource: { component: 'kubelet', host: 'node01' }, deprecatedFirstTimestamp: '2026-01-01T00:00:00Z', deprecatedLastTimestamp: '2026-01-01T00:00:05Z', deprecatedCount: 3 },
    },
    {
      name: 'an event recorded through events.k8s.io/v1, with a series, an action and a related object',
      core: { kind: 'Event', apiVersion: 'v1', metadata: META, involvedObject: REF, reason: 'Preempted', message: 'preempted by a higher priority pod', source: {}, firstTimestamp: null, lastTimestamp: null, type: 'Warning', eventTime: '2026-01-01T00:00:00.123456Z', series: { count: 4, lastObservedTime: '2026-01-01T00:03:00.000001Z' }, action: 'Preempting', related: { kind: 'Node', name: 'node01' }, reportingComponent: 'default-scheduler', reportingInstance: 'default-scheduler-cp1' },
      v1: { kind: 'Event', apiVersion: 'events.k8s.io/v1', metadata: META, eventTime: '2026-01-01T00:00:00.123456Z', series: { count: 4, lastObservedTime: '2026-01-01T00:03:00.000001Z' }, reportingController: 'default-scheduler', reportingInstance: 'default-scheduler-cp1', action: 'Preempting', reason: 'Preempted', regarding: REF, related: { kind: 'Node', name: 'node01' }, note: 'preempted by a higher priority pod', type: 'Warning', deprecatedSource: {}, deprecatedFirstTimestamp: null, deprecatedLastTimestamp: null },
    },
  ];
  for (const c of cases) {
    it(`${c.name}: both ways, in the Go structs' field order`, () => {
      const v1 = toEventsV1(c.core);
      assert.deepEqual(v1, c.v1);
      assert.deepEqual(Object.keys(v1), Object.keys(c.v1));
      const core = fromEventsV1(c.v1);
      assert.deepEqual(core, c.core);
      assert.deepEqual(Object.keys(core), Object.keys(c.core));
    });
  }
});

describe('events.k8s.io/v1 requests', () => {
  it('fills in a missing apiVersion and kind, and refuses another version', () => {
    assert.deepEqual(decodeEventsV1Body({ metadata: { name: 'x' } }), { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'x' } });
    assert.throws(() => decodeEventsV1Body({ apiVersion: 'v1', kind: 'Event', metadata: {} }), /^StatusError: the API version in the data \(v1\) does not match the expected API version \(events\.k8s\.io\/v1\)$/);
  });

  const invalid: Array<[string, KubeObject, string[]]> = [
    ['an empty event', { metadata: { name: 'x' } }, ['reportingController', 'reportingInstance', 'action', 'reason', 'eventTime', 'type']],
    [
      'deprecated fields set',
      { metadata: { name: 'x' }, reportingController: 'c', reportingInstance: 'i', action: 'A', reason: 'R', eventTime: '2026-01-01T00:00:00.000000Z', type: 'Normal', deprecatedCount: 2, deprecatedSource: { component: 'c' } },
      ['deprecatedCount', 'deprecatedSource'],
    ],
  ];
  for (const [name, body, fields] of invalid) {
    it(`refuses ${name} naming ${fields.join(', ')}`, () => {
      try {
        validateEventsV1Create(body);
        assert.fail('accepted');
      } catch (e) {
        assert.ok(e instanceof StatusError);
        assert.equal(e.code, 422);
        assert.deepEqual(e.status.details?.causes?.map((c) => c.field), fields);
      }
    });
  }

  it('accepts a complete event', () => {
    validateEventsV1Create({ metadata: { name: 'x' }, reportingController: 'c', reportingInstance: 'i', action: 'A', reason: 'R', eventTime: '2026-01-01T00:00:00.000000Z', type: 'Warning' });
  });
});
