import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.js';
import { crdPrinter, humanDuration, printerFor, toTable, type Printer } from './printers.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** An RFC 3339 timestamp `ms` before NOW. */
function ago(ms: number): string {
  return new Date(NOW - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function obj(fields: Record<string, unknown> & { metadata?: Record<string, unknown> }): KubeObject {
  return { ...fields, metadata: { name: 'x', creationTimestamp: ago(5 * DAY), ...(fields.metadata ?? {}) } };
}

/** The row as {column name: cell}, the way a user reads it off `kubectl get -o wide`. */
function row(printer: Printer, o: KubeObject): Record<string, unknown> {
  const cells = printer.cells(o, NOW);
  assert.equal(cells.length, printer.columns.length, 'one cell per column');
  const out: Record<string, unknown> = {};
  printer.columns.forEach((c, i) => (out[c.name] = cells[i]));
  return out;
}

/** Only the columns a story is about. */
function pick(r: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, r[k]]));
}

describe('humanDuration (kube duration.HumanDuration)', () => {
  const cases: Array<[string, number, string]> = [
    ['more than 2s in the future is invalid', -2 * SEC, '<invalid>'],
    ['slight clock skew counts as now', -1500, '0s'],
    ['just created', 0, '0s'],
    ['seconds up to two minutes', 119 * SEC + 999, '119s'],
    ['two minutes', 2 * MIN, '2m'],
    ['minutes and seconds below ten minutes', 2 * MIN + 30 * SEC, '2m30s'],
    ['9m59s', 9 * MIN + 59 * SEC, '9m59s'],
    ['whole minutes from ten minutes', 10 * MIN + 30 * SEC, '10m'],
    ['up to three hours in minutes', 179 * MIN, '179m'],
    ['three hours', 3 * HOUR, '3h'],
    ['hours and minutes below eight hours', 3 * HOUR + 2 * MIN, '3h2m'],
    ['whole hours from eight hours', 8 * HOUR + 59 * MIN, '8h'],
    ['47 hours', 47 * HOUR + 59 * MIN, '47h'],
    ['two days', 48 * HOUR, '2d'],
    ['days and hours below eight days', 5 * DAY + 3 * HOUR, '5d3h'],
    ['whole days from eight days', 8 * DAY + 23 * HOUR, '8d'],
    ['729 days', 729 * DAY, '729d'],
    ['two years', 730 * DAY, '2y'],
    ['years and days below eight years', 760 * DAY, '2y30d'],
    ['whole years from eight years', 8 * 365 * DAY + 100 * DAY, '8y'],
  ];
  for (const [story, ms, want] of cases) {
    it(`${story}: ${want}`, () => assert.equal(humanDuration(ms), want));
  }
});

describe('column definitions match kube-apiserver 1.32', () => {
  const cases: Array<[string, string, string[], string[]]> = [
    ['', 'nodes', ['Name', 'Status', 'Roles', 'Age', 'Version'], ['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']],
    ['', 'pods', ['Name', 'Ready', 'Status', 'Restarts', 'Age'], ['IP', 'Node', 'Nominated Node', 'Readiness Gates']],
    ['', 'events', ['Last Seen', 'Type', 'Reason', 'Object', 'Message'], ['Subobject', 'Source', 'First Seen', 'Count', 'Name']],
    ['', 'services', ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age'], ['Selector']],
    ['', 'serviceaccounts', ['Name', 'Secrets', 'Age'], []],
    ['', 'persistentvolumeclaims', ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age'], ['VolumeMode']],
    ['apps', 'deployments', ['Name', 'Ready', 'Up-to-date', 'Available', 'Age'], ['Containers', 'Images', 'Selector']],
    ['apps', 'daemonsets', ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age'], ['Containers', 'Images', 'Selector']],
    ['apps', 'statefulsets', ['Name', 'Ready', 'Age'], ['Containers', 'Images']],
    ['batch', 'jobs', ['Name', 'Status', 'Completions', 'Duration', 'Age'], ['Containers', 'Images', 'Selector']],
    ['batch', 'cronjobs', ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age'], ['Containers', 'Images', 'Selector']],
    ['policy', 'poddisruptionbudgets', ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age'], []],
    ['rbac.authorization.k8s.io', 'clusterrolebindings', ['Name', 'Role', 'Age'], ['Users', 'Groups', 'ServiceAccounts']],
    ['scheduling.k8s.io', 'priorityclasses', ['Name', 'Value', 'Global-Default', 'Age', 'PreemptionPolicy'], []],
    ['rbac.authorization.k8s.io', 'roles', ['Name', 'Created At'], []],
    ['apiextensions.k8s.io', 'customresourcedefinitions', ['Name', 'Created At'], []],
    ['example.com', 'widgets', ['Name', 'Created At'], []],
  ];
  for (const [group, resource, normal, wide] of cases) {
    it(`${resource}: ${normal.join(', ')}${wide.length ? ` (wide: ${wide.join(', ')})` : ''}`, () => {
      const cols = printerFor(group, resource).columns;
      assert.deepEqual(cols.filter((c) => c.priority === 0).map((c) => c.name), normal);
      assert.deepEqual(cols.filter((c) => c.priority === 1).map((c) => c.name), wide);
      // kubectl finds the name column by its format.
      const named = cols.filter((c) => c.format === 'name').map((c) => c.name);
      assert.deepEqual(named, ['Name']);
      for (const c of cols) assert.ok(['string', 'integer', 'boolean', 'date', 'number'].includes(c.type), c.name);
    });
  }

  it('pod Restarts is a string column (it carries "2 (5m ago)") and PDB Allowed Disruptions an integer', () => {
    assert.equal(printerFor('', 'pods').columns.find((c) => c.name === 'Restarts')?.type, 'string');
    assert.equal(printerFor('policy', 'poddisruptionbudgets').columns.find((c) => c.name === 'Allowed Disruptions')?.type, 'integer');
    assert.equal(printerFor('rbac.authorization.k8s.io', 'roles').columns[1].type, 'date');
  });
});

describe('nodes', () => {
  const ready = { type: 'Ready', status: 'True' };
  const info = {
    kubeletVersion: 'v1.32.4',
    osImage: 'Ubuntu 24.04 LTS',
    kernelVersion: '6.8.0-45-generic',
    containerRuntimeVersion: 'containerd://1.7.22',
  };
  const cases: Array<{ story: string; node: KubeObject; want: Record<string, unknown> }> = [
    {
      story: 'a Ready worker shows its version and addresses',
      node: obj({
        metadata: { name: 'worker-1' },
        status: {
          conditions: [{ type: 'MemoryPressure', status: 'False' }, ready],
          nodeInfo: info,
          addresses: [
            { type: 'Hostname', address: 'worker-1' },
            { type: 'InternalIP', address: '10.0.0.11' },
          ],
        },
      }),
      want: {
        Name: 'worker-1',
        Status: 'Ready',
        Roles: '<none>',
        Age: '5d',
        Version: 'v1.32.4',
        'Internal-IP': '10.0.0.11',
        'External-IP': '<none>',
        'OS-Image': 'Ubuntu 24.04 LTS',
        'Kernel-Version': '6.8.0-45-generic',
        'Container-Runtime': 'containerd://1.7.22',
      },
    },
    {
      story: 'a cordoned Ready node is Ready,SchedulingDisabled',
      node: obj({ spec: { unschedulable: true }, status: { conditions: [ready], nodeInfo: info } }),
      want: { Status: 'Ready,SchedulingDisabled' },
    },
    {
      story: "a control-plane node's roles come sorted from its node-role labels",
      node: obj({
        metadata: {
          labels: {
            'node-role.kubernetes.io/master': '',
            'node-role.kubernetes.io/control-plane': '',
            'kubernetes.io/hostname': 'cp-1',
          },
        },
        status: { conditions: [ready] },
      }),
      want: { Roles: 'control-plane,master' },
    },
    {
      story: 'the legacy kubernetes.io/role label names a role by its value',
      node: obj({ metadata: { labels: { 'kubernetes.io/role': 'worker', 'node-role.kubernetes.io/': '' } }, status: {} }),
      want: { Roles: 'worker' },
    },
    {
      story: 'a node whose kubelet stopped posting is NotReady (Ready=Unknown also prints NotReady)',
      node: obj({ status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }),
      want: { Status: 'NotReady' },
    },
    {
      story: 'a drained NotReady node',
      node: obj({ spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }] } }),
      want: { Status: 'NotReady,SchedulingDisabled' },
    },
    {
      story: 'a node that never reported a Ready condition is Unknown, with <unknown> system info',
      node: obj({ status: {} }),
      want: { Status: 'Unknown', Version: '', 'OS-Image': '<unknown>', 'Container-Runtime': '<unknown>' },
    },
    {
      story: 'a node without creationTimestamp has an <unknown> age',
      node: { metadata: { name: 'n' }, status: { conditions: [ready] } },
      want: { Age: '<unknown>' },
    },
  ];
  for (const { story, node, want } of cases) {
    it(story, () => assert.deepEqual(pick(row(printerFor('', 'nodes'), node), Object.keys(want)), want));
  }
});

describe('pods', () => {
  const running = (name = 'app', extra: Record<string, unknown> = {}) => ({
    name,
    ready: true,
    started: true,
    restartCount: 0,
    state: { running: { startedAt: ago(HOUR) } },
    ...extra,
  });
  const pod = (spec: Record<string, unknown>, status: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
    obj({ metadata: { name: 'web-0', namespace: 'default', ...metadata }, spec: { containers: [{ name: 'app' }], ...spec }, status });

  const cases: Array<{ story: string; pod: KubeObject; want: Record<string, unknown> }> = [
    {
      story: 'a running pod that is ready',
      pod: pod(
        { nodeName: 'worker-1' },
        { phase: 'Running', podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }], containerStatuses: [running()] },
      ),
      want: {
        Name: 'web-0',
        Ready: '1/1',
        Status: 'Running',
        Restarts: '0',
        Age: '5d',
        IP: '10.244.1.5',
        Node: 'worker-1',
        'Nominated Node': '<none>',
        'Readiness Gates': '<none>',
      },
    },
    {
      story: 'a pending pod not yet scheduled',
      pod: pod({}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] }),
      want: { Ready: '0/1', Status: 'Pending', IP: '<none>', Node: '<none>' },
    },
    {
      story: 'a container that restarted twice shows when it last did',
      pod: pod(
        {},
        {
          phase: 'Running',
          containerStatuses: [
            running('app', { restartCount: 2, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * MIN + 10 * SEC) } } }),
          ],
        },
      ),
      want: { Ready: '1/1', Status: 'Running', Restarts: '2 (5m10s ago)' },
    },
    {
      story: 'restarts without a recorded last termination show the bare count',
      pod: pod({}, { phase: 'Running', containerStatuses: [running('app', { restartCount: 3 })] }),
      want: { Restarts: '3' },
    },
    {
      story: 'a crash-looping container',
      pod: pod(
        {},
        {
          phase: 'Running',
          containerStatuses: [
            {
              name: 'app',
              ready: false,
              restartCount: 5,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(40 * SEC) } },
            },
          ],
        },
      ),
      want: { Ready: '0/1', Status: 'CrashLoopBackOff', Restarts: '5 (40s ago)' },
    },
    {
      story: 'a container being created',
      pod: pod({}, { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, state: { waiting: { reason: 'ContainerCreating' } } }] }),
      want: { Ready: '0/1', Status: 'ContainerCreating' },
    },
    {
      story: 'a completed Job pod',
      pod: pod(
        { restartPolicy: 'Never' },
        {
          phase: 'Succeeded',
          containerStatuses: [{ name: 'app', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        },
      ),
      want: { Ready: '0/1', Status: 'Completed', Restarts: '0' },
    },
    {
      story: 'a failed container',
      pod: pod({}, { phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 2, reason: 'Error' } } }] }),
      want: { Status: 'Error' },
    },
    {
      story: 'a container killed without a reason shows its exit code',
      pod: pod({}, { phase: 'Running', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137 } } }] }),
      want: { Status: 'ExitCode:137' },
    },
    {
      story: 'a container killed by a signal',
      pod: pod({}, { phase: 'Running', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, signal: 9 } } }] }),
      want: { Status: 'Signal:9' },
    },
    {
      story: 'a pod evicted by the kubelet shows the pod reason',
      pod: pod({}, { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }),
      want: { Status: 'Evicted', Ready: '0/1' },
    },
    {
      story: 'an init container still running',
      pod: pod(
        { initContainers: [{ name: 'migrate' }] },
        {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'migrate', ready: false, state: { running: { startedAt: ago(MIN) } } }],
          containerStatuses: [{ name: 'app', ready: false, state: { waiting: { reason: 'PodInitializing' } } }],
        },
      ),
      want: { Ready: '0/1', Status: 'Init:0/1' },
    },
    {
      story: 'the second of two init containers running',
      pod: pod(
        { initContainers: [{ name: 'a' }, { name: 'b' }] },
        {
          phase: 'Pending',
          initContainerStatuses: [
            { name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
            { name: 'b', state: { running: {} } },
          ],
        },
      ),
      want: { Status: 'Init:1/2' },
    },
    {
      story: 'an init container that cannot pull its image',
      pod: pod(
        { initContainers: [{ name: 'migrate' }] },
        { phase: 'Pending', initContainerStatuses: [{ name: 'migrate', state: { waiting: { reason: 'ErrImagePull' } } }] },
      ),
      want: { Status: 'Init:ErrImagePull' },
    },
    {
      story: 'a failed init container, restarted once',
      pod: pod(
        { initContainers: [{ name: 'migrate' }] },
        {
          phase: 'Pending',
          initContainerStatuses: [
            {
              name: 'migrate',
              restartCount: 1,
              state: { terminated: { exitCode: 1, reason: 'Error' } },
              lastState: { terminated: { exitCode: 1, finishedAt: ago(3 * MIN) } },
            },
          ],
        },
      ),
      want: { Status: 'Init:Error', Restarts: '1 (3m ago)' },
    },
    {
      story: 'a sidecar (restartable init container) counts towards READY',
      pod: pod(
        { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
        {
          phase: 'Running',
          conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
          initContainerStatuses: [running('proxy', { restartCount: 1 })],
          containerStatuses: [running()],
        },
      ),
      want: { Ready: '2/2', Status: 'Running', Restarts: '1' },
    },
    {
      story: 'a pod being deleted is Terminating',
      pod: pod({}, { phase: 'Running', containerStatuses: [running()] }, { deletionTimestamp: ago(10 * SEC) }),
      want: { Status: 'Terminating', Ready: '1/1' },
    },
    {
      story: 'a completed pod being deleted stays Completed',
      pod: pod(
        {},
        { phase: 'Succeeded', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] },
        { deletionTimestamp: ago(10 * SEC) },
      ),
      want: { Status: 'Completed' },
    },
    {
      story: 'a pod on an unreachable node being deleted is Unknown',
      pod: pod({}, { phase: 'Running', reason: 'NodeLost', containerStatuses: [running()] }, { deletionTimestamp: ago(MIN) }),
      want: { Status: 'Unknown' },
    },
    {
      story: 'a pod held by scheduling gates',
      pod: pod(
        { schedulingGates: [{ name: 'example.com/quota' }] },
        { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] },
      ),
      want: { Status: 'SchedulingGated' },
    },
    {
      story: 'one container completed while another still runs in a ready pod',
      pod: pod(
        { containers: [{ name: 'app' }, { name: 'job' }] },
        {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [running(), { name: 'job', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        },
      ),
      want: { Ready: '1/2', Status: 'Running' },
    },
    {
      story: '... and in a pod that is not ready',
      pod: pod(
        { containers: [{ name: 'app' }, { name: 'job' }] },
        {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'False' }],
          containerStatuses: [running(), { name: 'job', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        },
      ),
      want: { Status: 'NotReady' },
    },
    {
      story: 'readiness gates count the true ones; nominated node shows',
      pod: pod(
        { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
        {
          phase: 'Pending',
          nominatedNodeName: 'worker-2',
          conditions: [
            { type: 'example.com/lb', status: 'True' },
            { type: 'example.com/dns', status: 'False' },
          ],
        },
      ),
      want: { 'Readiness Gates': '1/2', 'Nominated Node': 'worker-2' },
    },
  ];
  for (const { story, pod: p, want } of cases) {
    it(story, () => assert.deepEqual(pick(row(printerFor('', 'pods'), p), Object.keys(want)), want));
  }

  it('marks succeeded and failed pods with a Completed row condition', () => {
    const printer = printerFor('', 'pods');
    assert.deepEqual(printer.conditions?.(pod({}, { phase: 'Succeeded' })), [
      { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
    ]);
    assert.equal(printer.conditions?.(pod({}, { phase: 'Failed' }))?.[0].reason, 'Failed');
    assert.equal(printer.conditions?.(pod({}, { phase: 'Running' })), undefined);
  });
});

describe('other built-in printers', () => {
  const cases: Array<{ story: string; group: string; resource: string; obj: KubeObject; want: Record<string, unknown> }> = [
    {
      story: 'a namespace',
      group: '',
      resource: 'namespaces',
      obj: obj({ metadata: { name: 'kube-system' }, status: { phase: 'Active' } }),
      want: { Name: 'kube-system', Status: 'Active', Age: '5d' },
    },
    {
      story: 'a ClusterIP service',
      group: '',
      resource: 'services',
      obj: obj({
        spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], selector: { 'k8s-app': 'kube-dns' }, ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
      }),
      want: { Type: 'ClusterIP', 'Cluster-IP': '10.96.0.10', 'External-IP': '<none>', 'Port(s)': '53/UDP,53/TCP', Selector: 'k8s-app=kube-dns' },
    },
    {
      story: 'a LoadBalancer service still waiting for an address, with a node port',
      group: '',
      resource: 'services',
      obj: obj({ spec: { type: 'LoadBalancer', clusterIPs: ['10.96.3.4'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }, status: { loadBalancer: {} } }),
      want: { 'External-IP': '<pending>', 'Port(s)': '80:30080/TCP', Selector: '<none>' },
    },
    {
      story: 'a headless service without ports',
      group: '',
      resource: 'services',
      obj: obj({ spec: { clusterIP: 'None', clusterIPs: ['None'] } }),
      want: { Type: 'ClusterIP', 'Cluster-IP': 'None', 'Port(s)': '<none>' },
    },
    {
      story: 'endpoints list three addresses and count the rest',
      group: '',
      resource: 'endpoints',
      obj: obj({
        subsets: [
          { addresses: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((ip) => ({ ip })), ports: [{ port: 8080 }] },
          { addresses: [{ ip: 'fd00::1' }], ports: [{ port: 8080 }] },
        ],
      }),
      want: { Endpoints: '10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 2 more...' },
    },
    {
      story: 'endpoints with no subsets',
      group: '',
      resource: 'endpoints',
      obj: obj({}),
      want: { Endpoints: '<none>' },
    },
    {
      story: 'a config map counts data and binary data keys',
      group: '',
      resource: 'configmaps',
      obj: obj({ data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }),
      want: { Data: 3 },
    },
    {
      story: 'a secret',
      group: '',
      resource: 'secrets',
      obj: obj({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } }),
      want: { Type: 'kubernetes.io/tls', Data: 2, Age: '5d' },
    },
    {
      story: 'a service account without token secrets',
      group: '',
      resource: 'serviceaccounts',
      obj: obj({ metadata: { name: 'default' } }),
      want: { Name: 'default', Secrets: 0 },
    },
    {
      story: 'an event seen three times',
      group: '',
      resource: 'events',
      obj: obj({
        metadata: { name: 'web-0.17f', creationTimestamp: ago(10 * MIN) },
        involvedObject: { kind: 'Pod', name: 'web-0', fieldPath: 'spec.containers{app}' },
        reason: 'BackOff',
        type: 'Warning',
        message: 'Back-off restarting failed container\n',
        source: { component: 'kubelet', host: 'worker-1' },
        firstTimestamp: ago(10 * MIN),
        lastTimestamp: ago(30 * SEC),
        count: 3,
      }),
      want: {
        'Last Seen': '30s',
        Type: 'Warning',
        Reason: 'BackOff',
        Object: 'pod/web-0',
        Subobject: 'spec.containers{app}',
        Source: 'kubelet, worker-1',
        Message: 'Back-off restarting failed container',
        'First Seen': '10m',
        Count: 3,
        Name: 'web-0.17f',
      },
    },
    {
      story: 'a new-style event with a series and only eventTime',
      group: '',
      resource: 'events',
      obj: obj({
        involvedObject: { kind: 'Node', name: 'worker-1' },
        reason: 'NodeNotReady',
        type: 'Normal',
        message: 'Node worker-1 status is now: NodeNotReady',
        eventTime: ago(2 * HOUR),
        series: { count: 7, lastObservedTime: ago(3 * MIN) },
        reportingComponent: 'node-controller',
      }),
      want: { 'Last Seen': '3m', 'First Seen': '120m', Count: 7, Object: 'node/worker-1', Source: 'node-controller' },
    },
    {
      story: 'an events.k8s.io/v1 event prints like a core one',
      group: 'events.k8s.io',
      resource: 'events',
      obj: obj({
        apiVersion: 'events.k8s.io/v1',
        regarding: { kind: 'Pod', name: 'web-1' },
        reason: 'Scheduled',
        type: 'Normal',
        note: 'Successfully assigned default/web-1 to worker-2',
        eventTime: ago(90 * SEC),
        reportingController: 'default-scheduler',
      }),
      want: { 'Last Seen': '90s', Object: 'pod/web-1', Message: 'Successfully assigned default/web-1 to worker-2', Count: 1, Source: 'default-scheduler' },
    },
    {
      story: 'a bound persistent volume',
      group: '',
      resource: 'persistentvolumes',
      obj: obj({
        spec: {
          capacity: { storage: '10Gi' },
          accessModes: ['ReadWriteMany', 'ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          claimRef: { namespace: 'db', name: 'data-pg-0' },
          storageClassName: 'standard',
        },
        status: { phase: 'Bound' },
      }),
      want: {
        Capacity: '10Gi',
        'Access Modes': 'RWO,RWX',
        'Reclaim Policy': 'Retain',
        Status: 'Bound',
        Claim: 'db/data-pg-0',
        StorageClass: 'standard',
        VolumeAttributesClass: '<unset>',
        Reason: '',
        VolumeMode: '<unset>',
      },
    },
    {
      story: 'a pending claim shows no capacity yet',
      group: '',
      resource: 'persistentvolumeclaims',
      obj: obj({ spec: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' }, status: { phase: 'Pending' } }),
      want: { Status: 'Pending', Volume: '', Capacity: '', 'Access Modes': '', StorageClass: 'fast', VolumeMode: 'Filesystem' },
    },
    {
      story: 'a bound claim',
      group: '',
      resource: 'persistentvolumeclaims',
      obj: obj({ spec: { volumeName: 'pv-1' }, status: { phase: 'Bound', capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'] } }),
      want: { Volume: 'pv-1', Capacity: '5Gi', 'Access Modes': 'RWO' },
    },
    {
      story: 'a deployment with 2 of 3 pods ready',
      group: 'apps',
      resource: 'deployments',
      obj: obj({
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web', tier: 'fe' } },
          template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } },
        },
        status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
      }),
      want: { Ready: '2/3', 'Up-to-date': 3, Available: 2, Containers: 'web,log', Images: 'nginx:1.27,busybox', Selector: 'app=web,tier=fe' },
    },
    {
      story: 'a replica set with a set-based selector',
      group: 'apps',
      resource: 'replicasets',
      obj: obj({
        spec: { replicas: 2, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'canary'] }, { key: 'beta', operator: 'DoesNotExist' }] }, template: { spec: { containers: [] } } },
        status: { replicas: 2, readyReplicas: 1 },
      }),
      want: { Desired: 2, Current: 2, Ready: 1, Selector: 'app=web,!beta,env in (canary,prod)' },
    },
    {
      story: 'a daemon set restricted to linux nodes',
      group: 'apps',
      resource: 'daemonsets',
      obj: obj({
        spec: { selector: { matchLabels: { 'k8s-app': 'kube-proxy' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.32.4' }] } } },
        status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
      }),
      want: { Desired: 3, Current: 3, Ready: 2, 'Up-to-date': 3, Available: 2, 'Node Selector': 'kubernetes.io/os=linux', Selector: 'k8s-app=kube-proxy' },
    },
    {
      story: 'a stateful set',
      group: 'apps',
      resource: 'statefulsets',
      obj: obj({ spec: { replicas: 3, template: { spec: { containers: [{ name: 'pg', image: 'postgres:16' }] } } }, status: { readyReplicas: 3 } }),
      want: { Ready: '3/3', Containers: 'pg', Images: 'postgres:16' },
    },
    {
      story: 'a controller revision names its controller with kind and group',
      group: 'apps',
      resource: 'controllerrevisions',
      obj: obj({ metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-proxy', uid: 'u', controller: true }] }, revision: 4 }),
      want: { Controller: 'daemonset.apps/kube-proxy', Revision: 4 },
    },
    {
      story: 'a completed job shows how long it took',
      group: 'batch',
      resource: 'jobs',
      obj: obj({
        spec: { completions: 1, parallelism: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } }, template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34' }] } } },
        status: { succeeded: 1, startTime: ago(10 * MIN), completionTime: ago(10 * MIN - 42 * SEC), conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] },
      }),
      want: { Status: 'Complete', Completions: '1/1', Duration: '42s', Selector: 'batch.kubernetes.io/controller-uid=abc' },
    },
    {
      story: 'a running work-queue job with parallelism',
      group: 'batch',
      resource: 'jobs',
      obj: obj({ spec: { parallelism: 4 }, status: { succeeded: 1, startTime: ago(3 * HOUR + 2 * MIN) } }),
      want: { Status: 'Running', Completions: '1/1 of 4', Duration: '3h2m' },
    },
    {
      story: 'a failed job',
      group: 'batch',
      resource: 'jobs',
      obj: obj({ spec: { completions: 3 }, status: { failed: 6, conditions: [{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True' }] } }),
      want: { Status: 'Failed', Completions: '0/3', Duration: '' },
    },
    {
      story: 'a suspended job',
      group: 'batch',
      resource: 'jobs',
      obj: obj({ spec: { completions: 1, suspend: true }, status: { conditions: [{ type: 'Suspended', status: 'True' }] } }),
      want: { Status: 'Suspended' },
    },
    {
      story: 'a cron job',
      group: 'batch',
      resource: 'cronjobs',
      obj: obj({ spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } }, status: { active: [{ name: 'j1' }], lastScheduleTime: ago(4 * MIN) } }),
      want: { Schedule: '*/5 * * * *', Timezone: '<none>', Suspend: 'False', Active: 1, 'Last Schedule': '4m', Selector: '<none>' },
    },
    {
      story: 'a PDB with only minAvailable',
      group: 'policy',
      resource: 'poddisruptionbudgets',
      obj: obj({ spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } }),
      want: { 'Min Available': '2', 'Max Unavailable': 'N/A', 'Allowed Disruptions': 1 },
    },
    {
      story: 'a PDB with a percentage maxUnavailable that allows no disruption',
      group: 'policy',
      resource: 'poddisruptionbudgets',
      obj: obj({ spec: { maxUnavailable: '10%' }, status: {} }),
      want: { 'Min Available': 'N/A', 'Max Unavailable': '10%', 'Allowed Disruptions': 0 },
    },
    {
      story: 'a node lease',
      group: 'coordination.k8s.io',
      resource: 'leases',
      obj: obj({ metadata: { name: 'worker-1' }, spec: { holderIdentity: 'worker-1', leaseDurationSeconds: 40 } }),
      want: { Name: 'worker-1', Holder: 'worker-1' },
    },
    {
      story: 'a cluster role binding lists its subjects in wide output',
      group: 'rbac.authorization.k8s.io',
      resource: 'clusterrolebindings',
      obj: obj({
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [
          { kind: 'Group', name: 'system:masters' },
          { kind: 'User', name: 'alice' },
          { kind: 'User', name: 'bob' },
          { kind: 'ServiceAccount', namespace: 'kube-system', name: 'admin' },
        ],
      }),
      want: { Role: 'ClusterRole/cluster-admin', Users: 'alice, bob', Groups: 'system:masters', ServiceAccounts: 'kube-system/admin' },
    },
    {
      story: 'a role prints kube-apiserver\'s default table: Name and Created At',
      group: 'rbac.authorization.k8s.io',
      resource: 'roles',
      obj: obj({ metadata: { name: 'reader', creationTimestamp: '2024-03-05T07:08:09Z' } }),
      want: { Name: 'reader', 'Created At': '2024-03-05T07:08:09Z' },
    },
    {
      story: 'the default table prints Go\'s zero time when there is no creationTimestamp',
      group: 'apiextensions.k8s.io',
      resource: 'customresourcedefinitions',
      obj: { metadata: { name: 'widgets.example.com' } },
      want: { 'Created At': '0001-01-01T00:00:00Z' },
    },
    {
      story: 'the default storage class is marked in its name',
      group: 'storage.k8s.io',
      resource: 'storageclasses',
      obj: obj({ metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' }),
      want: { Name: 'standard (default)', Provisioner: 'rancher.io/local-path', ReclaimPolicy: 'Delete', VolumeBindingMode: 'WaitForFirstConsumer', AllowVolumeExpansion: false },
    },
    {
      story: 'a priority class',
      group: 'scheduling.k8s.io',
      resource: 'priorityclasses',
      obj: obj({ metadata: { name: 'system-node-critical' }, value: 2000001000, globalDefault: false, preemptionPolicy: 'PreemptLowerPriority' }),
      want: { Value: 2000001000, 'Global-Default': false, PreemptionPolicy: 'PreemptLowerPriority' },
    },
    {
      story: 'an ingress with TLS',
      group: 'networking.k8s.io',
      resource: 'ingresses',
      obj: obj({ spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example.com' }, {}], tls: [{ hosts: ['a.example.com'] }] }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } }),
      want: { Class: 'nginx', Hosts: 'a.example.com', Address: '192.0.2.10', Ports: '80, 443' },
    },
    {
      story: 'a network policy selecting every pod',
      group: 'networking.k8s.io',
      resource: 'networkpolicies',
      obj: obj({ spec: { podSelector: {} } }),
      want: { 'Pod-Selector': '<none>' },
    },
    {
      story: 'a resource quota splits requests and limits',
      group: '',
      resource: 'resourcequotas',
      obj: obj({ status: { hard: { 'limits.cpu': '4', pods: '10', 'requests.cpu': '2' }, used: { 'limits.cpu': '1', 'requests.cpu': '500m' } } }),
      want: { Request: 'pods: 0/10, requests.cpu: 500m/2', Limit: 'limits.cpu: 1/4' },
    },
  ];
  for (const { story, group, resource, obj: o, want } of cases) {
    it(`${resource}: ${story}`, () => assert.deepEqual(pick(row(printerFor(group, resource), o), Object.keys(want)), want));
  }
});

describe('crdPrinter', () => {
  const columns = [
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', priority: 1, description: 'Current phase' },
    { name: 'Endpoint', type: 'string', jsonPath: ".metadata.annotations['example\\.com/endpoint']" },
    { name: 'Selector', type: 'string', jsonPath: '.spec.selector' },
    { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Last Backup', type: 'date', jsonPath: '.status.lastBackup' },
  ];
  const printer = crdPrinter(columns);

  it('puts Name first, then the CRD columns with their types, priorities and descriptions', () => {
    assert.deepEqual(
      printer.columns.map((c) => [c.name, c.type, c.priority, c.format]),
      [
        ['Name', 'string', 0, 'name'],
        ['Replicas', 'integer', 0, ''],
        ['Ready', 'string', 0, ''],
        ['Phase', 'string', 1, ''],
        ['Endpoint', 'string', 0, ''],
        ['Selector', 'string', 0, ''],
        ['Paused', 'boolean', 0, ''],
        ['Age', 'date', 0, ''],
        ['Last Backup', 'date', 0, ''],
      ],
    );
    assert.equal(printer.columns[3].description, 'Current phase');
    assert.equal(printer.columns[1].description, 'Custom resource definition column (in JSONPath format): .spec.replicas');
  });

  const cases: Array<{ story: string; obj: KubeObject; want: Record<string, unknown> }> = [
    {
      story: 'a healthy widget: filter, escaped annotation key, object rendered as JSON, dates as ages',
      obj: obj({
        metadata: { name: 'w1', creationTimestamp: ago(3 * HOUR), annotations: { 'example.com/endpoint': 'https://w1' } },
        spec: { replicas: 3, selector: { tier: 'b', app: 'a<b' }, paused: false },
        status: {
          phase: 'Running',
          lastBackup: ago(90 * SEC),
          conditions: [
            { type: 'Synced', status: 'False' },
            { type: 'Ready', status: 'True' },
          ],
        },
      }),
      want: {
        Name: 'w1',
        Replicas: 3,
        Ready: 'True',
        Phase: 'Running',
        Endpoint: 'https://w1',
        Selector: '{"app":"a\\u003cb","tier":"b"}',
        Paused: false,
        Age: '3h',
        'Last Backup': '90s',
      },
    },
    {
      story: 'missing fields print as null (kubectl shows <none>); an unparsable date is <invalid>',
      obj: obj({ metadata: { name: 'w2' }, spec: { replicas: '3' }, status: { lastBackup: 'yesterday', conditions: [{ type: 'Synced', status: 'True' }] } }),
      want: { Replicas: null, Ready: null, Phase: null, Endpoint: null, Selector: null, Paused: null, 'Last Backup': '<invalid>' },
    },
    {
      story: 'filtering something that is not a list gives an empty cell',
      obj: obj({ status: { conditions: { type: 'Ready' } } }),
      want: { Ready: null },
    },
  ];
  for (const { story, obj: o, want } of cases) {
    it(story, () => assert.deepEqual(pick(row(printer, o), Object.keys(want)), want));
  }

  it('defaults to Name and Age when the CRD declares no columns', () => {
    for (const p of [crdPrinter(undefined), crdPrinter([])]) {
      assert.deepEqual(p.columns.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
      assert.deepEqual(p.cells(obj({ metadata: { name: 'w' } }), NOW), ['w', '5d']);
    }
  });

  it('renders numbers in string columns like Go (floats from 1e6 in exponent form)', () => {
    const p = crdPrinter([{ name: 'Ratio', type: 'string', jsonPath: '.spec.ratio' }]);
    const cell = (ratio: number) => p.cells(obj({ spec: { ratio } }), NOW)[1];
    assert.equal(cell(0.25), '0.25');
    assert.equal(cell(12), '12');
    assert.equal(cell(1234567.5), '1.2345675e+06');
    assert.equal(cell(0.00001), '1e-05');
  });

  it('supports index, negative index and wildcard paths', () => {
    const p = crdPrinter([
      { name: 'First', type: 'string', jsonPath: '.spec.items[0].name' },
      { name: 'Last', type: 'string', jsonPath: '.spec.items[-1].name' },
      { name: 'Any', type: 'string', jsonPath: '.spec.items[*].name' },
    ]);
    const o = obj({ spec: { items: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } });
    assert.deepEqual(p.cells(o, NOW).slice(1), ['a', 'c', 'a']);
  });

  it('supports filters with spaces, single quotes, numbers, booleans and existence', () => {
    const p = crdPrinter([
      { name: 'Spaced', type: 'string', jsonPath: ".status.conditions[?(@.type == 'Ready')].reason" },
      { name: 'Number', type: 'string', jsonPath: '.spec.ports[?(@.port>=8000)].name' },
      { name: 'Bool', type: 'string', jsonPath: '.spec.ports[?(@.primary==true)].name' },
      { name: 'Exists', type: 'string', jsonPath: '.spec.ports[?(@.appProtocol)].name' },
      { name: 'NoMatch', type: 'string', jsonPath: '.spec.ports[?(@.name=="nope")].name' },
    ]);
    const o = obj({
      spec: { ports: [{ name: 'http', port: 80, primary: true }, { name: 'admin', port: 8443, appProtocol: 'https' }] },
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'Degraded' }] },
    });
    assert.deepEqual(p.cells(o, NOW).slice(1), ['Degraded', 'admin', 'http', 'admin', null]);
  });

  it('stops at a column whose JSONPath does not parse, as kube does', () => {
    const p = crdPrinter([
      { name: 'Ok', type: 'string', jsonPath: '.spec.a' },
      { name: 'Bad', type: 'string', jsonPath: '.spec[?(@.x ==' },
      { name: 'After', type: 'string', jsonPath: '.spec.b' },
    ]);
    assert.deepEqual(p.columns.map((c) => c.name), ['Name', 'Ok']);
  });
});

describe('toTable', () => {
  const pods: KubeObject[] = [
    obj({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web-0',
        namespace: 'shop',
        uid: 'u-1',
        resourceVersion: '41',
        labels: { app: 'web' },
        annotations: { note: 'x' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u-0', controller: true }],
        managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
      },
      spec: { containers: [{ name: 'app' }] },
      status: { phase: 'Succeeded' },
    }),
  ];
  const printer = printerFor('', 'pods');

  it('carries PartialObjectMetadata without managedFields by default (kubectl reads namespace and labels from it)', () => {
    const table = toTable(printer, pods, NOW, { includeObject: 'Metadata', resourceVersion: '42' });
    assert.equal(table.kind, 'Table');
    assert.equal(table.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(table.metadata, { resourceVersion: '42' });
    assert.equal(table.columnDefinitions, printer.columns);
    const r = table.rows[0];
    assert.deepEqual(r.cells, ['web-0', '0/1', 'Succeeded', '0', '5d', '<none>', '<none>', '<none>', '<none>']);
    assert.equal(r.conditions?.[0].type, 'Completed');
    const object = r.object as { kind: string; apiVersion: string; metadata: Record<string, unknown> };
    assert.equal(object.kind, 'PartialObjectMetadata');
    assert.equal(object.apiVersion, 'meta.k8s.io/v1');
    assert.equal(object.metadata.managedFields, undefined);
    assert.deepEqual(
      Object.keys(object.metadata).sort(),
      ['annotations', 'creationTimestamp', 'labels', 'name', 'namespace', 'ownerReferences', 'resourceVersion', 'uid'],
    );
    assert.equal(object.metadata.namespace, 'shop');
    // The stored object is left alone.
    assert.ok(pods[0].metadata.managedFields);
  });

  it('carries the whole object for includeObject=Object and nothing for None', () => {
    assert.equal(toTable(printer, pods, NOW, { includeObject: 'Object', resourceVersion: '1' }).rows[0].object, pods[0]);
    assert.equal('object' in toTable(printer, pods, NOW, { includeObject: 'None', resourceVersion: '1' }).rows[0], false);
  });

  it('passes on pagination and can leave out the headers', () => {
    const table = toTable(printer, pods, NOW, {
      includeObject: 'None',
      resourceVersion: '7',
      continue: 'tok',
      remainingItemCount: 12,
      noHeaders: true,
    });
    assert.deepEqual(table.metadata, { resourceVersion: '7', continue: 'tok', remainingItemCount: 12 });
    assert.deepEqual(table.columnDefinitions, []);
    assert.deepEqual(toTable(printer, [], NOW, { includeObject: 'Metadata', resourceVersion: '7' }).rows, []);
  });

  it('is JSON-serialisable with primitive cells', () => {
    const table = toTable(printerFor('', 'nodes'), [obj({ status: { conditions: [{ type: 'Ready', status: 'True' }] } })], NOW, {
      includeObject: 'Metadata',
      resourceVersion: '3',
    });
    const back = JSON.parse(JSON.stringify(table)) as typeof table;
    assert.deepEqual(back.rows[0].cells, table.rows[0].cells);
    for (const c of table.rows[0].cells) assert.ok(['string', 'number', 'boolean'].includes(typeof c));
  });

  it('builds a table of 10,000 pods', () => {
    // How fast is a figure of bench/apiserver.ts (Table printing in-process), not an assertion.
    const many: KubeObject[] = [];
    for (let i = 0; i < 10_000; i++) {
      many.push(
        obj({
          metadata: { name: `p-${i}`, namespace: `ns-${i % 50}`, labels: { app: 'a' }, managedFields: [{ manager: 'm' }] },
          spec: { nodeName: `n-${i % 100}`, containers: [{ name: 'c' }, { name: 'd' }] },
          status: {
            phase: 'Running',
            podIPs: [{ ip: '10.0.0.1' }],
            containerStatuses: [
              { name: 'c', ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { finishedAt: ago(HOUR) } } },
              { name: 'd', ready: true, state: { running: {} } },
            ],
          },
        }),
      );
    }
    const table = toTable(printer, many, NOW, { includeObject: 'Metadata', resourceVersion: '1' });
    assert.equal(table.rows.length, 10_000);
    assert.deepEqual(table.rows[9_999].cells.slice(0, 4), ['p-9999', '2/2', 'Running', '1 (60m ago)']);
  });
});
