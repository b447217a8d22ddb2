import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.js';
import { imageDrift, imageInventory, imageOwner, imageTag, pullPolicyTraps, tagsWithoutDigest, unpinned, unpinnedImages } from './images.js';
import { auditInput, type Maintenance } from './rules.js';
import { drainOptions } from '../drain/types.js';
import { deployment, healthy, pod, replica } from './testing/cluster.js';

const MAINTENANCE: Maintenance = {
  operation: 'the upgrade',
  nodeDone: 'upgraded',
  drain: { options: drainOptions({ ignoreDaemonSets: true }), flags: ['--ignore-daemonsets'], name: "the runbook's drain" },
};

describe('image tags', () => {
  const cases: Array<[string, string | undefined]> = [
    ['registry.k8s.io/kube-apiserver:v1.31.4', 'v1.31.4'],
    ['registry.k8s.io/etcd:3.5.15-0', '3.5.15-0'],
    ['registry.k8s.io/coredns/coredns:v1.11.3', 'v1.11.3'],
    ['localhost:5000/kube-proxy', undefined],
    ['localhost:5000/kube-proxy:v1.30.1', 'v1.30.1'],
    ['nginx@sha256:abc', undefined],
    ['nginx:1.27@sha256:abc', '1.27'],
  ];
  for (const [image, tag] of cases) it(`${image} -> ${tag ?? 'no tag'}`, () => assert.equal(imageTag(image), tag));
});

describe('pinned images', () => {
  const cases: Array<[string, string | null]> = [
    ['nginx:1.27.3', null],
    ['nginx:latest', 'latest'],
    ['nginx', 'no tag: pulls latest'],
    ['registry.local:5000/team/nginx', 'no tag: pulls latest'],
    ['registry.local:5000/team/nginx:2.1', null],
    ['nginx@sha256:abcd', null],
    ['nginx:latest@sha256:abcd', null],
  ];
  for (const [image, why] of cases) {
    it(`${image} -> ${why ?? 'pinned'}`, () => assert.equal(unpinned(image), why));
  }
});

describe("an image's owner: the controller, up through ReplicaSet to Deployment and Job to CronJob", () => {
  const job: KubeObject = {
    kind: 'Job',
    metadata: { name: 'nightly-1', namespace: 'default', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'u1', controller: true }] },
  };
  const workloads = new Map<string, KubeObject>([...deployment('blue', 3), job].map((w) => [`${w.kind}/default/${w.metadata.name}`, w]));
  const cases: Array<[string, ReturnType<typeof pod>, string]> = [
    ['a ReplicaSet pod: its Deployment', replica('blue', 'a', 'node01'), 'Deployment default/blue'],
    ['a Job pod: its CronJob', pod('nightly-1-x', 'node01', { owner: ['Job', 'nightly-1'] }), 'CronJob default/nightly'],
    ['a StatefulSet pod: the StatefulSet', pod('db-0', 'node01', { owner: ['StatefulSet', 'db'] }), 'StatefulSet default/db'],
    ['a ReplicaSet no one owns: the ReplicaSet', pod('x', 'node01', { owner: ['ReplicaSet', 'lonely'] }), 'ReplicaSet default/lonely'],
    ['a bare pod: itself', pod('green', 'node01'), 'Pod default/green'],
  ];
  for (const [story, p, owner] of cases) {
    it(story, () => {
      const o = imageOwner(p, workloads);
      assert.equal(`${o.kind} ${o.namespace}/${o.name}`, owner);
    });
  }
});

describe('audit rule unpinnedImages: workloads on :latest or no tag, once each', () => {
  const cases: Array<{ story: string; change: (s: ReturnType<typeof healthy>) => void; expect: string[] }> = [
    { story: 'version tags everywhere; the mirror pods are the kubelet\'s', change: () => undefined, expect: [] },
    {
      story: 'blue moves to :latest: one finding for the Deployment, however many replicas',
      change: (s) => (s.pods = s.pods.map((p) => (p.metadata.labels?.app === 'blue' ? { ...p, spec: { ...p.spec, containers: [{ name: 'app', image: 'nginx:latest' }] } } : p))),
      expect: ['deployment.apps default/blue runs nginx:latest (container app)'],
    },
    {
      story: 'no tag, or a registry port and no tag, pulls latest; a digest is pinned; sorted by namespace and name',
      change: (s) => {
        s.workloads.push(...deployment('pinned', 2));
        s.pods.push(
          replica('pinned', 'a', 'node01', { image: 'nginx@sha256:0123' }),
          replica('pinned', 'b', 'node02', { image: 'registry.local:5000/nginx' }),
          pod('green', 'node01', { image: 'busybox', ns: 'apps' }),
        );
      },
      expect: ['pod apps/green runs busybox (container app, no tag: pulls latest)', 'deployment.apps default/pinned runs registry.local:5000/nginx (container app, no tag: pulls latest)'],
    },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const s = healthy();
      c.change(s);
      const findings = unpinnedImages(auditInput(s, MAINTENANCE));
      assert.deepEqual(
        findings.map((f) => f.message.slice(0, f.message.indexOf(': pods recreated'))),
        c.expect,
      );
    });
  }

  it('says what a moving tag does to a rollback, and the fix', () => {
    const s = healthy();
    s.pods.push(pod('green', 'node01', { image: 'nginx:latest' }));
    assert.deepEqual(unpinnedImages(auditInput(s, MAINTENANCE)), [
      {
        severity: 'warning',
        code: 'ImageNotPinned',
        object: 'pod default/green',
        message:
          'pod default/green runs nginx:latest (container app): pods recreated during the node drains pull whatever that tag points to then, and a rollback cannot return to the build that ran before',
        fix: 'pin a version tag or a digest (image@sha256:...) before the upgrade',
      },
    ]);
  });
});

describe('image rules over what the nodes run (status.containerStatuses[].imageID)', () => {
  const digest = (d: string) => `sha256:${d.repeat(64)}`;
  /** blue's replicas running `image`, with the digests given (one per replica), under `policy`. */
  function blue(image: string, digests: string[], policy?: string) {
    const s = healthy();
    s.pods = s.pods.map((p, i) => {
      if (p.metadata.labels?.app !== 'blue') return p;
      const d = digests[(i - 4) % digests.length];
      return {
        ...p,
        spec: { ...p.spec, containers: [{ name: 'app', image, ...(policy ? { imagePullPolicy: policy } : {}) }] },
        status: { ...p.status, containerStatuses: [{ name: 'app', image, imageID: `docker.io/library/nginx@${digest(d)}`, ready: true, restartCount: 0 }] },
      };
    });
    return s;
  }
  const line = (f: { severity: string; code: string }) => `${f.severity} ${f.code}`;
  const cases: Array<[string, ReturnType<typeof blue>, string[]]> = [
    ['a version tag, one digest: info, the digest is the pin', blue('nginx:1.27.3', ['a']), ['info ImageTagWithoutDigest']],
    ['a digest: nothing', blue(`nginx@${digest('a')}`, ['a']), []],
    [':latest without a digest: not pinned', blue('nginx:latest', ['a']), ['warning ImageNotPinned']],
    [':latest with a digest: pinned', blue(`nginx:latest@${digest('a')}`, ['a']), []],
    [':latest with IfNotPresent: each node keeps its own build', blue('nginx:latest', ['a'], 'IfNotPresent'), ['warning ImageNotPinned', 'warning ImagePullPolicyMovingTag']],
    ['one tag, two digests across replicas: drift', blue('nginx:1.27.3', ['a', 'b']), ['warning ImageDrift', 'info ImageTagWithoutDigest']],
  ];
  for (const [story, s, expected] of cases) {
    it(story, () => {
      const input = auditInput(s, MAINTENANCE);
      assert.deepEqual([...unpinnedImages(input), ...pullPolicyTraps(input), ...imageDrift(input), ...tagsWithoutDigest(input)].map(line), expected);
    });
  }

  it('the fix of an unpinned image names the digest the nodes run', () => {
    const [f] = unpinnedImages(auditInput(blue('nginx:latest', ['a']), MAINTENANCE));
    assert.equal(f.fix, `pin a version tag or a digest (image@sha256:...) before the upgrade; the nodes run nginx:latest@${digest('a')}`);
  });

  it('the inventory: pod, container, image, imageID, pull policy (defaulted as the API server does)', () => {
    const s = blue('nginx:1.27.3', ['a']);
    s.pods.push(pod('green', 'node01', { image: 'busybox' }));
    assert.deepEqual(
      imageInventory(s.pods).map((r) => `${r.pod.namespace}/${r.pod.name} ${r.container} ${r.image} ${r.imageID || '-'} ${r.pullPolicy}`),
      [
        `default/blue-rs-a app nginx:1.27.3 docker.io/library/nginx@${digest('a')} IfNotPresent`,
        `default/blue-rs-b app nginx:1.27.3 docker.io/library/nginx@${digest('a')} IfNotPresent`,
        `default/blue-rs-c app nginx:1.27.3 docker.io/library/nginx@${digest('a')} IfNotPresent`,
        'default/green app busybox - Always',
      ],
    );
  });
});
