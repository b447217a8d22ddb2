import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CustomResourceDefinition } from '../../api/types.js';
import { StatusError } from '../../api/status.js';
import { scaledClock } from '../clock.js';
import { MemoryStore } from '../store/memory.js';
import { Registry, TYPED, crdTypes } from './registry.js';
import type { ResourceType } from './resources.js';

function crd(spec: CustomResourceDefinition['spec']): CustomResourceDefinition {
  return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${spec.names.plural}.${spec.group}` }, spec };
}

describe('crdTypes: the resource types a CustomResourceDefinition serves', () => {
  const cases: Array<{ story: string; crd: CustomResourceDefinition; want: ResourceType[] }> = [
    {
      story: 'a namespaced kind with status and scale: one type per served version, storage marked',
      crd: crd({
        group: 'example.com',
        scope: 'Namespaced',
        names: { kind: 'Backup', plural: 'backups', shortNames: ['bk'], categories: ['all'] },
        versions: [
          { name: 'v1', served: true, storage: true, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } } },
          { name: 'v1beta1', served: false, storage: false },
        ],
      }),
      want: [
        {
          group: 'example.com',
          version: 'v1',
          resource: 'backups',
          singular: 'backup',
          kind: 'Backup',
          namespaced: true,
          shortNames: ['bk'],
          categories: ['all'],
          subresources: [
            { name: 'status', kind: 'Backup', verbs: ['get', 'patch', 'update'] },
            { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
          ],
          statusSubresource: true,
          generation: true,
          crd: { name: 'backups.example.com', additionalPrinterColumns: undefined, storage: true },
        },
      ],
    },
    {
      story: 'a cluster-scoped kind with its own singular and printer columns, served in two versions',
      crd: crd({
        group: 'ops.example.com',
        scope: 'Cluster',
        names: { kind: 'Window', plural: 'windows', singular: 'maintenancewindow' },
        versions: [
          { name: 'v1', served: true, storage: false, additionalPrinterColumns: [{ name: 'Start', type: 'date', jsonPath: '.spec.start' }] },
          { name: 'v2', served: true, storage: true },
        ],
      }),
      want: [
        {
          group: 'ops.example.com',
          version: 'v1',
          resource: 'windows',
          singular: 'maintenancewindow',
          kind: 'Window',
          namespaced: false,
          shortNames: undefined,
          categories: undefined,
          subresources: [],
          statusSubresource: false,
          generation: true,
          crd: { name: 'windows.ops.example.com', additionalPrinterColumns: [{ name: 'Start', type: 'date', jsonPath: '.spec.start' }], storage: false },
        },
        {
          group: 'ops.example.com',
          version: 'v2',
          resource: 'windows',
          singular: 'maintenancewindow',
          kind: 'Window',
          namespaced: false,
          shortNames: undefined,
          categories: undefined,
          subresources: [],
          statusSubresource: false,
          generation: true,
          crd: { name: 'windows.ops.example.com', additionalPrinterColumns: undefined, storage: true },
        },
      ],
    },
  ];
  for (const { story, crd, want } of cases) {
    it(story, () => assert.deepEqual(crdTypes(crd), want));
  }
});

async function registryWithDefaultNamespace(): Promise<Registry> {
  const registry = new Registry(new MemoryStore(), { clock: scaledClock(1) });
  await registry.create(registry.type('', 'v1', 'namespaces')!, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  return registry;
}

describe('Registry', () => {
  it("reports a workload's scale with its selector in canonical form (requirements sorted by key)", async () => {
    const registry = await registryWithDefaultNamespace();
    const deployments = registry.type('apps', 'v1', 'deployments')!;
    const selector = { matchLabels: { tier: 'fe', app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'canary'] }] };
    await registry.create(deployments, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 3, selector, template: { metadata: { labels: { app: 'web', tier: 'fe', env: 'prod' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
    });
    const scale = await registry.getScale(deployments, 'default', 'web');
    assert.deepEqual(scale.spec, { replicas: 3 });
    assert.deepEqual(scale.status, { replicas: 0, selector: 'app=web,env in (canary,prod),tier=fe' });
  });

  it('a generated name that is taken is generated again from 1.31 (KEP-4420), and is the client\'s 409 before', async () => {
    for (const [version, want] of [['v1.31.4', 'web-bbbbb'], ['v1.30.9', 'refused']] as const) {
      const registry = await registryWithDefaultNamespace();
      registry.serverVersion = () => version;
      const suffixes = ['aaaaa', 'aaaaa', 'bbbbb'];
      registry.nameSuffix = () => suffixes.shift() ?? 'zzzzz';
      const configmaps = registry.type('', 'v1', 'configmaps')!;
      const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'web-' } };
      assert.equal((await registry.create(configmaps, 'default', body)).metadata.name, 'web-aaaaa');
      const second = registry.create(configmaps, 'default', body);
      if (want !== 'refused') assert.equal((await second).metadata.name, want, version);
      else {
        await assert.rejects(second, (e: unknown) => e instanceof StatusError && e.code === 409 && e.reason === 'AlreadyExists' && e.message === 'configmaps "web-aaaaa" already exists, the server was not able to generate a unique name for the object', version);
      }
    }
  });

  it("a component's typed write skips decoding, not validation: an invalid label is refused, a client's unknown field dropped", async () => {
    const registry = await registryWithDefaultNamespace();
    const configmaps = registry.type('', 'v1', 'configmaps')!;
    const typed = registry.create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { 'bad key!': 'x' } } }, TYPED);
    await assert.rejects(typed, (e: unknown) => e instanceof StatusError && e.code === 422 && /metadata.labels: Invalid value: "bad key!"/.test(e.message));
    const warnings: string[] = [];
    const fromClient = await registry.create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd' }, extra: 1 }, { warnings });
    assert.deepEqual(warnings, ['unknown field "extra"']);
    assert.equal('extra' in fromClient, false);
  });

  it('refuses a workload whose selector does not select its own template (expressions included)', async () => {
    const registry = await registryWithDefaultNamespace();
    const deployments = registry.type('apps', 'v1', 'deployments')!;
    const create = registry.create(deployments, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
        template: { metadata: { labels: { app: 'web', env: 'dev' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
      },
    });
    await assert.rejects(create, (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, 422);
      assert.equal(e.status.message, 'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web", "env":"dev"}: `selector` does not match template `labels`');
      return true;
    });
  });

  it('binds a pod to a node: spec.nodeName and a PodScheduled condition; a second binding conflicts', async () => {
    const registry = await registryWithDefaultNamespace();
    const pods = registry.type('', 'v1', 'pods')!;
    await registry.create(pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await registry.bind('default', 'p', { target: { kind: 'Node', name: 'n1' } });
    const bound = await registry.get(pods, 'default', 'p');
    assert.equal((bound.spec as { nodeName?: string }).nodeName, 'n1');
    const conditions = (bound.status as { conditions: Array<Record<string, unknown>> }).conditions;
    assert.deepEqual(
      conditions.map((c) => [c.type, c.status, c.lastProbeTime]),
      [['PodScheduled', 'True', null]],
    );
    await assert.rejects(registry.bind('default', 'p', { target: { kind: 'Node', name: 'n2' } }), (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, 409);
      assert.equal(e.status.message, 'Operation cannot be fulfilled on pods "p": pod p is already assigned to node "n1"');
      return true;
    });
  });
});
