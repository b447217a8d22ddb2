// When a workload counts as back at its desired availability (--wait-ready).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availability, whyNotReady, type Availability, type ReplicatedWorkload, type WorkloadKind } from './waitready.js';
import type { Event, Pod, PodCondition } from '../api/types.js';

const workload = (replicas: number | undefined, status: { availableReplicas?: number; readyReplicas?: number }, generation = 1): ReplicatedWorkload => ({
  metadata: { name: 'w', namespace: 'default', generation },
  spec: { selector: {}, template: {}, ...(replicas === undefined ? {} : { replicas }) },
  status: { observedGeneration: 1, ...status },
});

describe('availability', () => {
  const cases: { story: string; kind: WorkloadKind; obj: ReplicatedWorkload; want: Availability }[] = [
    { story: 'a Deployment with all replicas available', kind: 'Deployment', obj: workload(3, { availableReplicas: 3, readyReplicas: 3 }), want: { ready: true, have: 3, want: 3, text: '3/3 available' } },
    { story: 'a Deployment short of one: ready pods not yet available do not count', kind: 'Deployment', obj: workload(3, { availableReplicas: 2, readyReplicas: 3 }), want: { ready: false, have: 2, want: 3, text: '2/3 available' } },
    { story: 'a Deployment with no status numbers yet', kind: 'Deployment', obj: workload(1, {}), want: { ready: false, have: 0, want: 1, text: '0/1 available' } },
    {
      story: 'a status about an older spec does not count',
      kind: 'Deployment',
      obj: workload(3, { availableReplicas: 3 }, 2),
      want: { ready: false, have: 3, want: 3, text: '3/3 available (status not yet updated for the latest change)' },
    },
    { story: 'a StatefulSet counts ready replicas', kind: 'StatefulSet', obj: workload(2, { readyReplicas: 2, availableReplicas: 1 }), want: { ready: true, have: 2, want: 2, text: '2/2 ready' } },
    { story: 'replicas unset means 1', kind: 'ReplicaSet', obj: workload(undefined, { availableReplicas: 1 }), want: { ready: true, have: 1, want: 1, text: '1/1 available' } },
    { story: 'scaled to zero is back at once', kind: 'ReplicationController', obj: workload(0, {}), want: { ready: true, have: 0, want: 0, text: '0/0 available' } },
  ];
  for (const c of cases) it(c.story, () => assert.deepEqual(availability(c.kind, c.obj), c.want));
});

describe('whyNotReady: the scheduler\'s and the kubelet\'s reasons for replacements not Ready', () => {
  const UNSCHEDULABLE = "0/4 nodes are available: 1 node(s) were unschedulable, 3 node(s) didn't match Pod's node affinity/selector.";
  const pod = (name: string, extra: { nodeName?: string; phase?: string; conditions?: PodCondition[]; waiting?: { reason: string; message?: string } } = {}): Pod => ({
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { containers: [{ name: 'app' }], ...(extra.nodeName ? { nodeName: extra.nodeName } : {}) },
    status: {
      phase: extra.phase ?? 'Pending',
      conditions: extra.conditions ?? [],
      ...(extra.waiting ? { containerStatuses: [{ name: 'app', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: extra.waiting } }] } : {}),
    },
  });
  const failedScheduling = (podName: string, message: string, at: string): Event => ({
    metadata: { name: `${podName}.1`, namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: podName, uid: `uid-${podName}` },
    reason: 'FailedScheduling',
    message,
    lastTimestamp: at,
  });
  const unschedulable = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: UNSCHEDULABLE }];
  const cases: { story: string; pods: Pod[]; events: Event[]; want: string | undefined }[] = [
    { story: 'the PodScheduled condition says why', pods: [pod('pinned-a', { conditions: unschedulable })], events: [], want: `pod default/pinned-a Pending: ${UNSCHEDULABLE}` },
    {
      story: 'no condition message: the latest FailedScheduling event',
      pods: [pod('pinned-a')],
      events: [failedScheduling('pinned-a', 'old reason', '2026-01-01T00:00:00Z'), failedScheduling('pinned-a', UNSCHEDULABLE, '2026-01-01T00:01:00Z')],
      want: `pod default/pinned-a Pending: ${UNSCHEDULABLE}`,
    },
    {
      story: 'two pods with the same reason are counted together',
      pods: [pod('a', { conditions: unschedulable }), pod('b', { conditions: unschedulable })],
      events: [],
      want: `2 pods (default/a, default/b) Pending: ${UNSCHEDULABLE}`,
    },
    { story: 'scheduled, but a container waits', pods: [pod('c', { nodeName: 'node02', waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope"' } })], events: [], want: 'pod default/c Pending on node02: ImagePullBackOff (Back-off pulling image "nope")' },
    { story: 'a Ready pod is no reason', pods: [pod('d', { nodeName: 'node02', phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] })], events: [], want: undefined },
  ];
  for (const c of cases) it(c.story, () => assert.equal(whyNotReady(c.pods, c.events), c.want));
});
