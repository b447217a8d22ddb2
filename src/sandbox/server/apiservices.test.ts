import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Service } from '../../api/types.js';
import { type APIService, apiServiceAvailability, apiServiceOnCreate, availableStatus, desiredAPIServices, validateAPIService } from './apiservices.js';
import { BUILTIN_RESOURCES, type ResourceType } from './resources.js';
import { apiServicePrinter } from './printers/apiservices.js';
import { resourcePrefix } from '../store/etcd.js';

describe('kube-apiserver registers a local APIService per served group version', () => {
  const served = desiredAPIServices(BUILTIN_RESOURCES);
  const byName = new Map(served.map((a) => [a.metadata.name, a]));

  it('names them version.group ("v1." for the core group), never one for apiregistration.k8s.io itself', () => {
    // (events.k8s.io/v1 arrives with its own branch; its APIService then joins the list.)
    assert.deepEqual(served.map((a) => a.metadata.name).filter((n) => n !== 'v1.events.k8s.io'), [
      'v1.',
      'v1.apiextensions.k8s.io',
      'v1.apps',
      'v1.authentication.k8s.io',
      'v1.authorization.k8s.io',
      'v1.autoscaling',
      'v1.batch',
      'v1.certificates.k8s.io',
      'v1.coordination.k8s.io',
      'v1.discovery.k8s.io',
      'v1.networking.k8s.io',
      'v1.policy',
      'v1.rbac.authorization.k8s.io',
      'v1.scheduling.k8s.io',
      'v1.storage.k8s.io',
      'v2.autoscaling',
    ]);
    assert.equal(byName.has('v1.apiregistration.k8s.io'), false);
  });

  const cases: Array<[string, string, string, number, number]> = [
    ['v1.', '', 'v1', 18000, 1],
    ['v1.apps', 'apps', 'v1', 17800, 15],
    ['v2.autoscaling', 'autoscaling', 'v2', 17500, 30],
    ['v1.autoscaling', 'autoscaling', 'v1', 17500, 15],
    ['v1.rbac.authorization.k8s.io', 'rbac.authorization.k8s.io', 'v1', 17000, 15],
    ['v1.discovery.k8s.io', 'discovery.k8s.io', 'v1', 16200, 15],
  ];
  for (const [name, group, version, groupPriorityMinimum, versionPriority] of cases) {
    it(`${name}: the priorities of kube-apiserver's table, labelled onstart`, () => {
      const a = byName.get(name);
      assert.deepEqual(a?.spec, { ...(group ? { group } : {}), version, groupPriorityMinimum, versionPriority });
      assert.deepEqual(a?.metadata.labels, { 'kube-aggregator.kubernetes.io/automanaged': 'onstart' });
    });
  }

  it('are kept in etcd where kube-apiserver keeps them: /registry/apiregistration.k8s.io/apiservices/<name>', () => {
    assert.equal(resourcePrefix('apiservices.apiregistration.k8s.io'), 'apiregistration.k8s.io/apiservices');
  });

  it('a CRD\'s served versions get one each, priorities 1000/100, kept in sync ("true")', () => {
    const crd = (version: string): ResourceType => ({ group: 'example.com', version, resource: 'widgets', singular: 'widget', kind: 'Widget', namespaced: true, subresources: [], statusSubresource: false, generation: true, crd: { name: 'widgets.example.com', storage: version === 'v1' } });
    const out = desiredAPIServices([crd('v1'), crd('v1beta1')]);
    assert.deepEqual(out.map((a) => [a.metadata.name, a.spec?.groupPriorityMinimum, a.spec?.versionPriority, a.metadata.labels?.['kube-aggregator.kubernetes.io/automanaged']]), [
      ['v1.example.com', 1000, 100, 'true'],
      ['v1beta1.example.com', 1000, 100, 'true'],
    ]);
  });
});

describe('the AvailableConditionController\'s verdict', () => {
  const svc: Service = { metadata: { name: 'metrics-server', namespace: 'kube-system' }, spec: { clusterIP: '10.96.20.7', ports: [{ name: 'https', port: 443 }] } };
  const eps = (addresses: number, portName = 'https'): Endpoints => ({
    metadata: { name: 'metrics-server', namespace: 'kube-system' },
    subsets: addresses ? [{ addresses: Array.from({ length: addresses }, (_, i) => ({ ip: `10.244.1.${i + 2}` })), ports: [{ name: portName, port: 10250 }] }] : [],
  });
  const spec = { group: 'metrics.k8s.io', version: 'v1beta1', service: { namespace: 'kube-system', name: 'metrics-server' }, groupPriorityMinimum: 100, versionPriority: 100 };
  const cases: Array<{ story: string; services: Service[]; endpoints: Endpoints[]; spec?: APIService['spec']; want: [string, string, string] }> = [
    { story: 'local', services: [], endpoints: [], spec: { group: 'apps', version: 'v1' }, want: ['True', 'Local', 'Local APIServices are always available'] },
    { story: 'no Service', services: [], endpoints: [], want: ['False', 'ServiceNotFound', 'service/metrics-server in "kube-system" is not present'] },
    { story: 'Service on another port', services: [{ ...svc, spec: { ports: [{ port: 6443 }] } }], endpoints: [eps(1)], want: ['False', 'ServicePortError', 'service/metrics-server in "kube-system" is not listening on port 443'] },
    { story: 'no Endpoints object', services: [svc], endpoints: [], want: ['False', 'EndpointsNotFound', 'cannot find endpoints for service/metrics-server in "kube-system"'] },
    { story: 'Endpoints without addresses', services: [svc], endpoints: [eps(0)], want: ['False', 'MissingEndpoints', 'endpoints for service/metrics-server in "kube-system" have no addresses with port name "https"'] },
    { story: 'addresses on another port name', services: [svc], endpoints: [eps(2, 'metrics')], want: ['False', 'MissingEndpoints', 'endpoints for service/metrics-server in "kube-system" have no addresses with port name "https"'] },
    {
      story: 'ready endpoints: nothing answers the discovery check in the sandbox',
      services: [svc],
      endpoints: [eps(1)],
      want: ['False', 'FailedDiscoveryCheck', 'failing or missing response from https://10.96.20.7:443/apis/metrics.k8s.io/v1beta1: Get "https://10.96.20.7:443/apis/metrics.k8s.io/v1beta1": dial tcp 10.96.20.7:443: connect: connection refused'],
    },
    { story: 'an ExternalName Service passes', services: [{ ...svc, spec: { type: 'ExternalName', externalName: 'metrics.example.com' } }], endpoints: [], want: ['True', 'Passed', 'service is an ExternalName'] },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const lookup = {
        service: (ns: string, name: string) => c.services.find((s) => s.metadata.namespace === ns && s.metadata.name === name),
        endpoints: (ns: string, name: string) => c.endpoints.find((e) => e.metadata.namespace === ns && e.metadata.name === name),
      };
      const v = apiServiceAvailability(c.spec ?? spec, lookup);
      assert.deepEqual([v.status, v.reason, v.message], c.want);
    });
  }

  it('keeps the transition time while the status holds', () => {
    const a: APIService = { metadata: { name: 'v1beta1.metrics.k8s.io' }, status: { conditions: [{ type: 'Available', status: 'False', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'ServiceNotFound', message: 'x' }] } };
    assert.equal(availableStatus(a, { status: 'False', reason: 'MissingEndpoints', message: 'y' }, '2026-02-02T00:00:00Z')?.conditions?.[0].lastTransitionTime, '2026-01-01T00:00:00Z');
    assert.equal(availableStatus(a, { status: 'True', reason: 'Passed', message: 'all checks passed' }, '2026-02-02T00:00:00Z')?.conditions?.[0].lastTransitionTime, '2026-02-02T00:00:00Z');
  });
});

describe('APIServices on create and in a table', () => {
  it('a local APIService is Available at once; one with a Service starts without status, port 443', () => {
    const local = apiServiceOnCreate({ metadata: { name: 'v1.example.com' }, spec: { group: 'example.com', version: 'v1', groupPriorityMinimum: 1000, versionPriority: 15 }, status: { conditions: [] } }, '2026-03-01T10:00:00Z');
    assert.deepEqual(local.status, { conditions: [{ type: 'Available', status: 'True', lastTransitionTime: '2026-03-01T10:00:00Z', reason: 'Local', message: 'Local APIServices are always available' }] });
    const remote = apiServiceOnCreate({ metadata: { name: 'v1beta1.metrics.k8s.io' }, spec: { group: 'metrics.k8s.io', version: 'v1beta1', service: { namespace: 'kube-system', name: 'metrics-server' } }, status: { conditions: [{ type: 'Available', status: 'True' }] } }, '2026-03-01T10:00:00Z');
    assert.equal(remote.status, undefined);
    assert.deepEqual(remote.spec?.service, { namespace: 'kube-system', name: 'metrics-server', port: 443 });
  });

  it('validates the name and priorities as kube-aggregator does', () => {
    const causes = validateAPIService({ metadata: { name: 'metrics' }, spec: { group: 'metrics.k8s.io', version: 'v1beta1', groupPriorityMinimum: 0, versionPriority: 2000 } });
    assert.deepEqual(causes.map((c) => `${c.field}: ${c.message}`), [
      'metadata.name: Invalid value: "metrics": must be `spec.version+"."+spec.group`: "v1beta1.metrics.k8s.io"',
      'spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000',
      'spec.versionPriority: Invalid value: 2000: must be positive and less than 1000',
    ]);
    assert.deepEqual(validateAPIService({ metadata: { name: 'v1.' }, spec: { group: '', version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 } }), []);
  });

  it('prints Service "Local" or namespace/name and Available "True" or "False (Reason)"', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const local: APIService = { metadata: { name: 'v1.apps', creationTimestamp: '2026-03-01T10:00:00Z' }, spec: { group: 'apps', version: 'v1' }, status: { conditions: [{ type: 'Available', status: 'True', reason: 'Local' }] } };
    const remote: APIService = { metadata: { name: 'v1beta1.metrics.k8s.io', creationTimestamp: '2026-03-01T11:59:00Z' }, spec: { service: { namespace: 'kube-system', name: 'metrics-server' } }, status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints' }] } };
    const fresh: APIService = { metadata: { name: 'v1.x.io', creationTimestamp: '2026-03-01T11:59:58Z' }, spec: { service: { namespace: 'x', name: 'y' } } };
    assert.deepEqual(apiServicePrinter.columns.map((c) => c.name), ['Name', 'Service', 'Available', 'Age']);
    assert.deepEqual(apiServicePrinter.cells(local, now), ['v1.apps', 'Local', 'True', '120m']);
    assert.deepEqual(apiServicePrinter.cells(remote, now), ['v1beta1.metrics.k8s.io', 'kube-system/metrics-server', 'False (MissingEndpoints)', '60s']);
    assert.deepEqual(apiServicePrinter.cells(fresh, now), ['v1.x.io', 'x/y', 'Unknown', '2s']);
  });
});
