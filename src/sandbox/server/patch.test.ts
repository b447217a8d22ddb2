import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/status.js';
import {
  PatchApplyError,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  decodePatchBody,
  goJsonSyntaxError,
  patchTypeFromContentType,
  supportsStrategicMerge,
  unsupportedPatchTypeError,
} from './patch.js';

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-0',
    namespace: 'default',
    labels: { app: 'web', 'app.kubernetes.io/name': 'web', 'a~b': 'tilde' },
    finalizers: ['example.com/keep'],
  },
  spec: {
    nodeName: 'n1',
    containers: [
      { name: 'app', image: 'nginx:1.27', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }] },
      { name: 'log', image: 'busybox:1.36' },
    ],
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
  },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'PodScheduled', status: 'True' },
    ],
  },
});

const node = () => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } },
  spec: { podCIDR: '10.0.0.0/24', taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', effect: 'NoExecute' }] },
  status: {
    addresses: [{ type: 'InternalIP', address: '10.1.0.1' }, { type: 'Hostname', address: 'n1' }],
    conditions: [{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'False' }],
  },
});

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  assert.fail('expected a StatusError');
}

describe('patchTypeFromContentType', () => {
  const cases: [string | undefined, string | undefined][] = [
    ['application/json-patch+json', 'json'],
    ['application/merge-patch+json', 'merge'],
    ['application/strategic-merge-patch+json', 'strategic'],
    ['application/apply-patch+yaml', 'apply'],
    ['application/merge-patch+json; charset=utf-8', 'merge'],
    ['application/json', undefined],
    ['application/apply-patch+cbor', undefined],
    [undefined, undefined],
  ];
  for (const [header, want] of cases) {
    it(`${header} -> ${want}`, () => assert.equal(patchTypeFromContentType(header), want));
  }
});

describe('supportsStrategicMerge and the 415 for other kinds', () => {
  it('knows built-in kinds by group and refuses custom resources', () => {
    assert.equal(supportsStrategicMerge('Node', ''), true);
    assert.equal(supportsStrategicMerge('Deployment', 'apps'), true);
    assert.equal(supportsStrategicMerge('PodDisruptionBudget', 'policy'), true);
    assert.equal(supportsStrategicMerge('Deployment', ''), false, 'Deployment lives in apps, not core');
    assert.equal(supportsStrategicMerge('Gateway', 'gateway.networking.k8s.io'), false);
  });
  it('tells a custom resource client which patch types it may use instead', () => {
    const err = unsupportedPatchTypeError('Gateway', 'gateway.networking.k8s.io');
    assert.equal(err.code, 415);
    assert.equal(err.reason, 'UnsupportedMediaType');
    assert.equal(
      err.message,
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  });
});

describe('applyJsonPatch', () => {
  const cases: { name: string; ops: unknown[]; check: (out: ReturnType<typeof pod>) => void }[] = [
    {
      name: 'add sets a new label',
      ops: [{ op: 'add', path: '/metadata/labels/tier', value: 'frontend' }],
      check: (out) => assert.equal(out.metadata.labels['tier' as 'app'], 'frontend'),
    },
    {
      name: 'add with "-" appends a toleration',
      ops: [{ op: 'add', path: '/spec/tolerations/-', value: { key: 'x', operator: 'Exists' } }],
      check: (out) => assert.deepEqual(out.spec.tolerations.map((t) => t.key), ['dedicated', 'x']),
    },
    {
      name: 'add at index 0 inserts before the first container',
      ops: [{ op: 'add', path: '/spec/containers/0', value: { name: 'init', image: 'alpine' } }],
      check: (out) => assert.deepEqual(out.spec.containers.map((c) => c.name), ['init', 'app', 'log']),
    },
    {
      name: 'remove deletes a label, with ~1 standing for "/"',
      ops: [{ op: 'remove', path: '/metadata/labels/app.kubernetes.io~1name' }],
      check: (out) => assert.deepEqual(Object.keys(out.metadata.labels), ['app', 'a~b']),
    },
    {
      name: 'replace with ~0 standing for "~"',
      ops: [{ op: 'replace', path: '/metadata/labels/a~0b', value: 'x' }],
      check: (out) => assert.equal(out.metadata.labels['a~b'], 'x'),
    },
    {
      name: 'replace changes a container image by index',
      ops: [{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.28' }],
      check: (out) => assert.equal(out.spec.containers[0].image, 'nginx:1.28'),
    },
    {
      name: 'replace of a missing object key adds it, as evanphx/json-patch v4 does',
      ops: [{ op: 'replace', path: '/spec/schedulerName', value: 'custom' }],
      check: (out) => assert.equal((out.spec as Record<string, unknown>).schedulerName, 'custom'),
    },
    {
      name: 'move renames a label',
      ops: [{ op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/application' }],
      check: (out) => assert.deepEqual(out.metadata.labels, { 'app.kubernetes.io/name': 'web', 'a~b': 'tilde', application: 'web' }),
    },
    {
      name: 'copy duplicates a container without aliasing it',
      ops: [
        { op: 'copy', from: '/spec/containers/1', path: '/spec/containers/-' },
        { op: 'replace', path: '/spec/containers/2/name', value: 'log2' },
      ],
      check: (out) => assert.deepEqual(out.spec.containers.map((c) => c.name), ['app', 'log', 'log2']),
    },
    {
      name: 'test guards a replace (optimistic update of a label)',
      ops: [
        { op: 'test', path: '/metadata/labels/app', value: 'web' },
        { op: 'replace', path: '/metadata/labels/app', value: 'api' },
      ],
      check: (out) => assert.equal(out.metadata.labels.app, 'api'),
    },
    {
      name: 'test compares objects structurally',
      ops: [{ op: 'test', path: '/status/conditions/1', value: { status: 'True', type: 'PodScheduled' } }],
      check: (out) => assert.equal(out.status.phase, 'Running'),
    },
    {
      name: 'a null body is an empty patch',
      ops: null as unknown as unknown[],
      check: (out) => assert.deepEqual(out, pod()),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = pod();
      const input = pod();
      const out = applyJsonPatch(input, c.ops) as ReturnType<typeof pod>;
      c.check(out);
      assert.deepEqual(input, before, 'the input object is not mutated');
    });
  }

  const failures: { name: string; ops: unknown; code: number; message: string; detail?: string }[] = [
    {
      name: 'a failing test op is 422 Invalid with the apiserver generic message',
      ops: [{ op: 'test', path: '/metadata/labels/app', value: 'api' }, { op: 'replace', path: '/metadata/labels/app', value: 'x' }],
      code: 422,
      message: 'the server rejected our request due to an error in our request',
      detail: 'testing value /metadata/labels/app failed: test failed',
    },
    {
      name: 'removing a missing label is 422',
      ops: [{ op: 'remove', path: '/metadata/labels/nope' }],
      code: 422,
      message: 'the server rejected our request due to an error in our request',
      detail: "error in remove for path: '/metadata/labels/nope': Unable to remove nonexistent key: nope: missing value",
    },
    {
      name: 'adding under a missing parent is 422',
      ops: [{ op: 'add', path: '/metadata/annotations/a', value: 'x' }],
      code: 422,
      message: 'the server rejected our request due to an error in our request',
      detail: 'add operation does not apply: doc is missing path: "/metadata/annotations/a": missing value',
    },
    {
      name: 'replacing past the end of a list is 422',
      ops: [{ op: 'replace', path: '/spec/containers/5/image', value: 'x' }],
      code: 422,
      message: 'the server rejected our request due to an error in our request',
      detail: 'replace operation does not apply: doc is missing path: /spec/containers/5/image: missing value',
    },
    {
      name: 'an unknown op is 422',
      ops: [{ op: 'frobnicate', path: '/spec' }],
      code: 422,
      message: 'the server rejected our request due to an error in our request',
      detail: 'Unexpected kind: frobnicate',
    },
    {
      name: 'a merge-style object sent as a JSON patch is 400 BadRequest',
      ops: { metadata: { labels: { a: 'b' } } },
      code: 400,
      message: 'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp',
    },
    {
      name: 'an op whose "op" is not a string is 400',
      ops: [{ op: 5, path: '/a' }],
      code: 400,
      message: 'error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string',
    },
    {
      name: 'more than 10000 operations is 413',
      ops: Array.from({ length: 10001 }, () => ({ op: 'test', path: '/kind', value: 'Pod' })),
      code: 413,
      message: 'The allowed maximum operations in a JSON patch is 10000, got 10001',
    },
  ];
  for (const f of failures) {
    it(f.name, () => {
      const input = pod();
      const err = statusOf(() => applyJsonPatch(input, f.ops));
      assert.equal(err.code, f.code);
      assert.equal(err.message, f.message);
      if (f.code === 422) {
        assert.equal(err.reason, 'Invalid');
        assert.ok(err instanceof PatchApplyError);
        assert.equal(err.detail, f.detail);
      }
      if (f.code === 400) assert.equal(err.reason, 'BadRequest');
      assert.deepEqual(input, pod(), 'a failed patch leaves the input as it was');
    });
  }
});

describe('decodePatchBody', () => {
  const cases: { name: string; body: string; type: 'json' | 'merge' | 'strategic'; validation?: 'Ignore' | 'Warn'; message: string }[] = [
    { name: 'truncated JSON patch', body: '[{"op":', type: 'json', message: 'error decoding patch: unexpected end of JSON input' },
    { name: 'an unquoted word in a strategic patch', body: 'nope', type: 'strategic', message: "invalid character 'o' in literal null (expecting 'u')" },
    { name: 'a trailing comma', body: '{"spec":[1,]}', type: 'merge', message: "error decoding patch: invalid character ']' looking for beginning of value" },
    { name: 'a missing colon', body: '{"spec" 1}', type: 'strategic', message: "invalid character '1' after object key" },
    { name: 'a missing comma', body: '{"a":1 "b":2}', type: 'strategic', message: 'invalid character \'"\' after object key:value pair' },
    { name: 'garbage after the value', body: '{} x', type: 'strategic', message: "invalid character 'x' after top-level value" },
    { name: 'a list as merge patch', body: '[]', type: 'merge', message: 'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}' },
    { name: 'a list as strategic patch', body: '[{"op":"add"}]', type: 'strategic', message: 'json: cannot unmarshal array into Go value of type map[string]interface {}' },
    {
      name: 'an object as JSON patch with fieldValidation=Ignore',
      body: '{"op":"add"}',
      type: 'json',
      validation: 'Ignore',
      message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    },
    { name: 'bad JSON merge patch with fieldValidation=Ignore', body: '{', type: 'merge', validation: 'Ignore', message: 'Invalid JSON Patch' },
  ];
  for (const c of cases) {
    it(`${c.name} is 400: ${c.message}`, () => {
      const err = statusOf(() => decodePatchBody(c.body, c.type, c.validation));
      assert.equal(err.code, 400);
      assert.equal(err.reason, 'BadRequest');
      assert.equal(err.message, c.message);
    });
  }
  it('returns the parsed body when it is well formed', () => {
    assert.deepEqual(decodePatchBody('{"spec":{"unschedulable":true}}', 'strategic'), { spec: { unschedulable: true } });
    assert.deepEqual(decodePatchBody(' [ ] ', 'json'), []);
  });
  it('reports Go escapes in syntax errors', () => {
    assert.equal(goJsonSyntaxError('{"a":"x\ty"}'), "invalid character '\\t' in string literal");
    assert.equal(goJsonSyntaxError('"\\q"'), "invalid character 'q' in string escape code");
    assert.equal(goJsonSyntaxError('-x'), "invalid character 'x' in numeric literal");
    assert.equal(goJsonSyntaxError('{"a":01}'), "invalid character '1' after object key:value pair");
    assert.equal(goJsonSyntaxError(''), 'unexpected end of JSON input');
  });
});

describe('applyMergePatch', () => {
  const cases: { name: string; patch: unknown; want: (p: ReturnType<typeof pod>) => unknown }[] = [
    {
      name: 'adds and removes labels (null deletes)',
      patch: { metadata: { labels: { tier: 'fe', app: null } } },
      want: (p) => ({ ...p, metadata: { ...p.metadata, labels: { 'app.kubernetes.io/name': 'web', 'a~b': 'tilde', tier: 'fe' } } }),
    },
    {
      name: 'replaces lists whole: a container list patch drops the other container',
      patch: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } },
      want: (p) => ({ ...p, spec: { ...p.spec, containers: [{ name: 'app', image: 'nginx:1.28' }] } }),
    },
    {
      name: 'drops nulls inside a newly added object',
      patch: { metadata: { annotations: { a: 'x', b: null } } },
      want: (p) => ({ ...p, metadata: { ...p.metadata, annotations: { a: 'x' } } }),
    },
    { name: 'a null patch changes nothing', patch: null, want: (p) => p },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const input = pod();
      assert.deepEqual(applyMergePatch(input, c.patch), c.want(pod()));
      assert.deepEqual(input, pod());
    });
  }
});

describe('applyStrategicMergePatch', () => {
  it("cordons a node with kubectl's real body", () => {
    const out = applyStrategicMergePatch(node(), { spec: { unschedulable: true } }, 'Node', '') as ReturnType<typeof node>;
    assert.deepEqual(out.spec, { ...node().spec, unschedulable: true });
    assert.deepEqual(out.status, node().status);
  });

  it("uncordons a node with kubectl's real body", () => {
    const cordoned = { ...node(), spec: { ...node().spec, unschedulable: true } };
    const out = applyStrategicMergePatch(cordoned, { spec: { unschedulable: null } }, 'Node', '') as ReturnType<typeof node>;
    assert.deepEqual(out.spec, node().spec);
  });

  it('replaces node taints whole: the list has no patch strategy in k8s.io/api', () => {
    const out = applyStrategicMergePatch(node(), { spec: { taints: [{ key: 'c', effect: 'NoSchedule' }] } }, 'Node', '') as ReturnType<typeof node>;
    assert.deepEqual(out.spec.taints, [{ key: 'c', effect: 'NoSchedule' }]);
  });

  it('merges node addresses by type', () => {
    const out = applyStrategicMergePatch(node(), { status: { addresses: [{ type: 'InternalIP', address: '10.1.0.9' }] } }, 'Node', '') as ReturnType<typeof node>;
    assert.deepEqual(out.status.addresses, [
      { type: 'InternalIP', address: '10.1.0.9' },
      { type: 'Hostname', address: 'n1' },
    ]);
  });

  it('changes one container image, merging containers by name', () => {
    const input = pod();
    const out = applyStrategicMergePatch(input, { spec: { containers: [{ name: 'log', image: 'busybox:1.37' }] } }, 'Pod', '') as ReturnType<typeof pod>;
    assert.deepEqual(out.spec.containers, [pod().spec.containers[0], { name: 'log', image: 'busybox:1.37' }]);
    assert.deepEqual(input, pod(), 'the input object is not mutated');
  });

  it('merges env by name inside a container', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '3' }] }] } }, 'Pod', '') as ReturnType<typeof pod>;
    assert.deepEqual(out.spec.containers[0].env, [{ name: 'A', value: '1' }, { name: 'B', value: '3' }]);
    assert.equal(out.spec.containers[0].image, 'nginx:1.27');
  });

  it('puts a container new to the list first, as the apiserver orders SMP lists', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { containers: [{ name: 'sidecar', image: 'envoy' }] } }, 'Pod', '') as ReturnType<typeof pod>;
    assert.deepEqual(out.spec.containers.map((c) => c.name), ['sidecar', 'app', 'log']);
  });

  it('deletes a container with $patch: delete', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { containers: [{ name: 'log', $patch: 'delete' }] } }, 'Pod', '') as ReturnType<typeof pod>;
    assert.deepEqual(out.spec.containers.map((c) => c.name), ['app']);
  });

  it('replaces the container list with $patch: replace', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } }, 'Pod', '') as ReturnType<typeof pod>;
    assert.deepEqual(out.spec.containers, [{ name: 'only', image: 'x' }]);
  });

  it('replaces a map with $patch: replace', () => {
    const out = applyStrategicMergePatch(pod(), { metadata: { labels: { $patch: 'replace', only: 'me' } } }, 'Pod', '') as ReturnType<typeof pod>;
    assert.deepEqual(out.metadata.labels, { only: 'me' });
  });

  it('adds and removes labels', () => {
    const out = applyStrategicMergePatch(pod(), { metadata: { labels: { tier: 'fe', app: null } } }, 'Pod', '') as ReturnType<typeof pod>;
    assert.deepEqual(out.metadata.labels, { 'app.kubernetes.io/name': 'web', 'a~b': 'tilde', tier: 'fe' });
  });

  it('merges pod conditions by type, keeping the others', () => {
    const out = applyStrategicMergePatch(pod(), { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'Pod', '') as ReturnType<typeof pod>;
    assert.deepEqual(out.status.conditions, [
      { type: 'Ready', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
    ]);
  });

  it('replaces tolerations whole (atomic in k8s.io/api)', () => {
    const out = applyStrategicMergePatch(pod(), { spec: { tolerations: [{ key: 'other', operator: 'Exists' }] } }, 'Pod', '') as ReturnType<typeof pod>;
    assert.deepEqual(out.spec.tolerations, [{ key: 'other', operator: 'Exists' }]);
  });

  it('merges finalizers as a set and removes one with $deleteFromPrimitiveList', () => {
    const added = applyStrategicMergePatch(pod(), { metadata: { finalizers: ['example.com/keep', 'example.com/other'] } }, 'Pod', '') as ReturnType<typeof pod>;
    assert.deepEqual(added.metadata.finalizers, ['example.com/keep', 'example.com/other']);
    const removed = applyStrategicMergePatch(added, { metadata: { '$deleteFromPrimitiveList/finalizers': ['example.com/keep'] } }, 'Pod', '') as ReturnType<typeof pod>;
    assert.deepEqual(removed.metadata.finalizers, ['example.com/other']);
  });

  it('honours $setElementOrder for containers', () => {
    const out = applyStrategicMergePatch(
      pod(),
      { spec: { '$setElementOrder/containers': [{ name: 'log' }, { name: 'app' }], containers: [{ name: 'app', image: 'nginx:1.28' }] } },
      'Pod',
      '',
    ) as ReturnType<typeof pod>;
    assert.deepEqual(out.spec.containers.map((c) => `${c.name}=${c.image}`), ['log=busybox:1.36', 'app=nginx:1.28']);
  });

  it('drops keys missing from $retainKeys', () => {
    const deploy = { kind: 'Deployment', metadata: { name: 'd' }, spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    const out = applyStrategicMergePatch(deploy, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, 'Deployment', 'apps');
    assert.deepEqual(out, { kind: 'Deployment', metadata: { name: 'd' }, spec: { strategy: { type: 'Recreate' } } });
  });

  it('reaches the pod template of a CronJob', () => {
    const cron = {
      kind: 'CronJob',
      metadata: { name: 'c' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } } } } },
    };
    const out = applyStrategicMergePatch(cron, { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', image: 'z' }] } } } } } }, 'CronJob', 'batch');
    assert.deepEqual(out, {
      kind: 'CronJob',
      metadata: { name: 'c' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'z' }] } } } } },
    });
  });

  const failures: { name: string; patch: unknown; code: number; message: string }[] = [
    { name: 'a list body is 400', patch: [], code: 400, message: 'json: cannot unmarshal array into Go value of type map[string]interface {}' },
    {
      name: 'a container without its merge key is 500',
      patch: { spec: { containers: [{ image: 'x' }] } },
      code: 500,
      message: 'map: map[image:x] does not contain declared merge key: name',
    },
    { name: 'a bad $retainKeys is 400', patch: { spec: { $retainKeys: 'nodeName' } }, code: 400, message: 'invalid patch format of retainKeys' },
    {
      name: 'a $deleteFromPrimitiveList without a field is 400',
      patch: { metadata: { $deleteFromPrimitiveList: ['x'] } },
      code: 400,
      message: 'invalid patch format of primitive list',
    },
    { name: 'an unknown $patch directive is 500', patch: { metadata: { $patch: 'merge-ish' } }, code: 500, message: 'unknown patch type: merge-ish in map: map[$patch:merge-ish]' },
  ];
  for (const f of failures) {
    it(f.name, () => {
      const err = statusOf(() => applyStrategicMergePatch(pod(), f.patch, 'Pod', ''));
      assert.equal(err.code, f.code);
      assert.equal(err.message, f.message);
    });
  }
});
