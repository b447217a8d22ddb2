// When a workload counts as back at its desired availability (--wait-ready).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availability, type Availability, type ReplicatedWorkload, type WorkloadKind } from './waitready.js';

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
