import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError, qualifiedResource } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { fieldSelectorMatcher, fieldSelectorsFor, parseFieldSelector } from './fields.js';

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError, `expected a StatusError, got ${String(e)}`);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    return e.message;
  }
  assert.fail('expected a 400 BadRequest');
}

const pods: KubeObject[] = [
  {
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'shop' },
    spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'web', hostNetwork: false },
    status: { phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }] },
  },
  {
    kind: 'Pod',
    metadata: { name: 'job-x', namespace: 'batch' },
    spec: { nodeName: 'n1', restartPolicy: 'Never' },
    status: { phase: 'Succeeded' },
  },
  {
    kind: 'Pod',
    metadata: { name: 'agent', namespace: 'kube-system' },
    spec: { nodeName: 'n2', hostNetwork: true },
    status: { phase: 'Running', nominatedNodeName: 'n3' },
  },
  { kind: 'Pod', metadata: { name: 'pending', namespace: 'shop' }, spec: {}, status: { phase: 'Pending' } },
];

function select(resource: string, group: string, selector: string, objects: KubeObject[]): string[] {
  const match = fieldSelectorMatcher(parseFieldSelector(selector), fieldSelectorsFor(group, resource), qualifiedResource(resource, group));
  return objects.filter(match).map((o) => `${o.metadata.name}`);
}

describe('parseFieldSelector', () => {
  const cases: [string, { field: string; op: string; value: string }[]][] = [
    ['spec.nodeName=n1', [{ field: 'spec.nodeName', op: '=', value: 'n1' }]],
    ['spec.nodeName==n1', [{ field: 'spec.nodeName', op: '=', value: 'n1' }]],
    [
      'status.phase!=Succeeded,status.phase!=Failed',
      [
        { field: 'status.phase', op: '!=', value: 'Failed' },
        { field: 'status.phase', op: '!=', value: 'Succeeded' },
      ],
    ],
    ['metadata.name=a\\,b\\=c\\\\d', [{ field: 'metadata.name', op: '=', value: 'a,b=c\\d' }]],
    ['spec.nodeName=', [{ field: 'spec.nodeName', op: '=', value: '' }]],
    ['metadata.name=x,', [{ field: 'metadata.name', op: '=', value: 'x' }]],
    ['', []],
  ];
  for (const [text, want] of cases) {
    it(JSON.stringify(text), () => assert.deepEqual(parseFieldSelector(text), want));
  }

  const errs: [string, string][] = [
    ['spec.nodeName', "invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'"],
    ['a=b,c', "invalid selector: 'a=b,c'; can't understand 'c'"],
    ['metadata.name=a=b', 'invalid field selector: unescaped character in value: 61'],
    ['metadata.name=a\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['metadata.name=a\\', 'invalid field selector: invalid escape sequence: \\'],
  ];
  for (const [text, message] of errs) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.equal(badRequest(() => parseFieldSelector(text)), message));
  }
});

describe('pod field selectors', () => {
  const cases: [string, string[]][] = [
    ['spec.nodeName=n1', ['web-0', 'job-x']], // kubectl drain's list of a node's pods
    ['spec.host=n2', ['agent']],
    ['spec.nodeName=', ['pending']],
    ['spec.nodeName=n1,status.phase!=Succeeded', ['web-0']],
    ['status.phase=Running', ['web-0', 'agent']],
    ['spec.restartPolicy=Never', ['job-x']],
    ['spec.schedulerName=default-scheduler', ['web-0']],
    ['spec.serviceAccountName=web', ['web-0']],
    ['spec.hostNetwork=true', ['agent']],
    ['spec.hostNetwork=false', ['web-0', 'job-x', 'pending']],
    ['status.podIP=10.0.0.5', ['web-0']],
    ['status.nominatedNodeName=n3', ['agent']],
    ['metadata.namespace=shop', ['web-0', 'pending']],
    ['metadata.name==agent', ['agent']],
    ['', ['web-0', 'job-x', 'agent', 'pending']],
  ];
  for (const [selector, want] of cases) {
    it(`${selector || '(none)'} selects ${want.join(', ')}`, () => assert.deepEqual(select('pods', '', selector, pods), want));
  }
  it('rejects a field pods do not support', () => {
    assert.equal(badRequest(() => select('pods', '', 'spec.priority=1', pods)), 'field label not supported: spec.priority');
  });
});

describe('field selectors of other kinds', () => {
  const nodes: KubeObject[] = [
    { kind: 'Node', metadata: { name: 'n1' }, spec: { unschedulable: true } },
    { kind: 'Node', metadata: { name: 'n2' }, spec: {} },
  ];
  it('selects cordoned nodes by spec.unschedulable', () => {
    assert.deepEqual(select('nodes', '', 'spec.unschedulable=true', nodes), ['n1']);
    assert.deepEqual(select('nodes', '', 'spec.unschedulable=false', nodes), ['n2']);
  });
  it('refuses metadata.namespace on nodes, as the apiserver does', () => {
    assert.equal(badRequest(() => select('nodes', '', 'metadata.namespace=x', nodes)), 'field label not supported: metadata.namespace');
  });

  const events: KubeObject[] = [
    {
      kind: 'Event',
      metadata: { name: 'web-0.1', namespace: 'shop' },
      involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'shop', uid: 'u1' },
      reason: 'Evicted',
      type: 'Normal',
      source: { component: 'kubelet' },
    },
    {
      kind: 'Event',
      metadata: { name: 'n1.1', namespace: 'default' },
      involvedObject: { kind: 'Node', name: 'n1' },
      reason: 'NodeNotSchedulable',
      type: 'Normal',
      reportingComponent: 'upkeep',
    },
  ];
  const eventCases: [string, string[]][] = [
    ['involvedObject.kind=Pod,involvedObject.name=web-0', ['web-0.1']],
    ['involvedObject.uid=u1', ['web-0.1']],
    ['reason=NodeNotSchedulable', ['n1.1']],
    ['source=upkeep', ['n1.1']],
    ['source=kubelet', ['web-0.1']],
    ['reportingComponent=upkeep', ['n1.1']],
    ['type!=Warning', ['web-0.1', 'n1.1']],
  ];
  for (const [selector, want] of eventCases) {
    it(`events: ${selector}`, () => assert.deepEqual(select('events', '', selector, events), want));
  }

  it('selects secrets by type and services by type', () => {
    const secrets: KubeObject[] = [
      { kind: 'Secret', metadata: { name: 'tls' }, type: 'kubernetes.io/tls' },
      { kind: 'Secret', metadata: { name: 'opaque' }, type: 'Opaque' },
    ];
    assert.deepEqual(select('secrets', '', 'type=kubernetes.io/tls', secrets), ['tls']);
    const services: KubeObject[] = [
      { kind: 'Service', metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.10' } },
      { kind: 'Service', metadata: { name: 'ip' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.11' } },
    ];
    assert.deepEqual(select('services', '', 'spec.type=LoadBalancer', services), ['lb']);
    assert.deepEqual(select('services', 'core', 'spec.clusterIP=10.96.0.11', services), ['ip']);
  });

  it('selects namespaces by phase and jobs by succeeded count', () => {
    const namespaces: KubeObject[] = [
      { kind: 'Namespace', metadata: { name: 'old' }, status: { phase: 'Terminating' } },
      { kind: 'Namespace', metadata: { name: 'live' }, status: { phase: 'Active' } },
    ];
    assert.deepEqual(select('namespaces', '', 'status.phase=Terminating', namespaces), ['old']);
    const jobs: KubeObject[] = [
      { kind: 'Job', metadata: { name: 'done', namespace: 'b' }, status: { succeeded: 1 } },
      { kind: 'Job', metadata: { name: 'new', namespace: 'b' }, status: {} },
    ];
    assert.deepEqual(select('jobs', 'batch', 'status.successful=0', jobs), ['new']);
  });

  const unsupported: [string, string, string, string][] = [
    ['deployments', 'apps', 'spec.replicas=1', '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    ['jobs', 'batch', 'spec.parallelism=1', 'field label "spec.parallelism" not supported for Job'],
    ['widgets', 'example.com', 'spec.size=1', 'field label not supported: spec.size'],
    ['secrets', '', 'data.x=1', 'field label not supported: data.x'],
  ];
  for (const [resource, group, selector, message] of unsupported) {
    it(`${qualifiedResource(resource, group)} refuses ${selector}`, () => assert.equal(badRequest(() => select(resource, group, selector, [])), message));
  }

  it('selects any kind, custom resources included, by metadata fields', () => {
    const widgets: KubeObject[] = [
      { kind: 'Widget', metadata: { name: 'a', namespace: 'x' } },
      { kind: 'Widget', metadata: { name: 'b', namespace: 'y' } },
    ];
    assert.deepEqual(select('widgets', 'example.com', 'metadata.namespace=y', widgets), ['b']);
    assert.deepEqual(select('deployments', 'apps', 'metadata.name!=a', widgets), ['b']);
  });
});
