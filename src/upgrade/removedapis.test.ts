import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ApiUsage, REMOVED_APIS, apiVersionOf, findRemovedApis, objectRef, removedApisIn } from './removedapis.js';
import { parseVersion } from './version.js';

describe('REMOVED_APIS', () => {
  // From the Deprecated API Migration Guide: every release's removals must be in the data.
  const expected: Array<[removedIn: string, apiVersion: string, kinds: string[], replacement: string]> = [
    ['1.16', 'extensions/v1beta1', ['NetworkPolicy'], 'networking.k8s.io/v1'],
    ['1.16', 'extensions/v1beta1', ['DaemonSet', 'Deployment', 'ReplicaSet'], 'apps/v1'],
    ['1.16', 'apps/v1beta1', ['Deployment', 'StatefulSet', 'ReplicaSet'], 'apps/v1'],
    ['1.16', 'apps/v1beta2', ['DaemonSet', 'Deployment', 'StatefulSet', 'ReplicaSet'], 'apps/v1'],
    ['1.22', 'networking.k8s.io/v1beta1', ['Ingress', 'IngressClass'], 'networking.k8s.io/v1'],
    ['1.22', 'extensions/v1beta1', ['Ingress'], 'networking.k8s.io/v1'],
    ['1.22', 'apiextensions.k8s.io/v1beta1', ['CustomResourceDefinition'], 'apiextensions.k8s.io/v1'],
    ['1.22', 'admissionregistration.k8s.io/v1beta1', ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], 'admissionregistration.k8s.io/v1'],
    ['1.22', 'apiregistration.k8s.io/v1beta1', ['APIService'], 'apiregistration.k8s.io/v1'],
    ['1.22', 'certificates.k8s.io/v1beta1', ['CertificateSigningRequest'], 'certificates.k8s.io/v1'],
    ['1.22', 'coordination.k8s.io/v1beta1', ['Lease'], 'coordination.k8s.io/v1'],
    ['1.22', 'rbac.authorization.k8s.io/v1beta1', ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], 'rbac.authorization.k8s.io/v1'],
    ['1.22', 'scheduling.k8s.io/v1beta1', ['PriorityClass'], 'scheduling.k8s.io/v1'],
    ['1.22', 'storage.k8s.io/v1beta1', ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], 'storage.k8s.io/v1'],
    ['1.25', 'policy/v1beta1', ['PodSecurityPolicy'], 'none'],
    ['1.25', 'batch/v1beta1', ['CronJob'], 'batch/v1'],
    ['1.25', 'policy/v1beta1', ['PodDisruptionBudget'], 'policy/v1'],
    ['1.25', 'discovery.k8s.io/v1beta1', ['EndpointSlice'], 'discovery.k8s.io/v1'],
    ['1.25', 'events.k8s.io/v1beta1', ['Event'], 'events.k8s.io/v1'],
    ['1.25', 'autoscaling/v2beta1', ['HorizontalPodAutoscaler'], 'autoscaling/v2'],
    ['1.25', 'node.k8s.io/v1beta1', ['RuntimeClass'], 'node.k8s.io/v1'],
    ['1.26', 'flowcontrol.apiserver.k8s.io/v1beta1', ['FlowSchema', 'PriorityLevelConfiguration'], 'flowcontrol.apiserver.k8s.io/v1beta3'],
    ['1.26', 'autoscaling/v2beta2', ['HorizontalPodAutoscaler'], 'autoscaling/v2'],
    ['1.27', 'storage.k8s.io/v1beta1', ['CSIStorageCapacity'], 'storage.k8s.io/v1'],
    ['1.29', 'flowcontrol.apiserver.k8s.io/v1beta2', ['FlowSchema', 'PriorityLevelConfiguration'], 'flowcontrol.apiserver.k8s.io/v1'],
    ['1.32', 'flowcontrol.apiserver.k8s.io/v1beta3', ['FlowSchema', 'PriorityLevelConfiguration'], 'flowcontrol.apiserver.k8s.io/v1'],
  ];
  for (const [removedIn, apiVersion, kinds, replacement] of expected) {
    it(`${apiVersion} ${kinds.join(', ')}: removed in ${removedIn}, use ${replacement}`, () => {
      for (const kind of kinds) {
        const e = REMOVED_APIS.find((a) => apiVersionOf(a) === apiVersion && a.kind === kind);
        assert.ok(e, `${apiVersion} ${kind} missing`);
        assert.equal(e.removedIn, removedIn);
        assert.equal(e.replacement, replacement);
      }
    });
  }

  it('every entry is deprecated before it is removed, and its replacement is served by then', () => {
    const ord = (m: string) => parseVersion(m).minor;
    for (const a of REMOVED_APIS) {
      assert.ok(ord(a.deprecatedIn) < ord(a.removedIn), `${apiVersionOf(a)} ${a.kind}`);
      if (a.replacement !== 'none') {
        assert.ok(a.replacementAvailableIn && ord(a.replacementAvailableIn) <= ord(a.removedIn), `${apiVersionOf(a)} ${a.kind}`);
        assert.notEqual(a.replacement, apiVersionOf(a));
      }
      assert.match(a.resource, /^[a-z]+$/);
    }
  });

  it('removedApisIn lists what one release stops serving', () => {
    assert.deepEqual(
      removedApisIn('v1.25').map((a) => `${apiVersionOf(a)} ${a.kind}`).sort(),
      [
        'autoscaling/v2beta1 HorizontalPodAutoscaler',
        'batch/v1beta1 CronJob',
        'discovery.k8s.io/v1beta1 EndpointSlice',
        'events.k8s.io/v1beta1 Event',
        'node.k8s.io/v1beta1 RuntimeClass',
        'policy/v1beta1 PodDisruptionBudget',
        'policy/v1beta1 PodSecurityPolicy',
      ],
    );
    assert.deepEqual(removedApisIn('1.33'), []);
  });
});

describe('findRemovedApis', () => {
  const cronjob: ApiUsage = { apiVersion: 'batch/v1beta1', kind: 'CronJob', namespace: 'default', name: 'backup', source: 'last-applied' };
  const psp: ApiUsage = { apiVersion: 'policy/v1beta1', kind: 'PodSecurityPolicy', name: 'restricted', source: 'managedFields' };
  const flowV1beta3: ApiUsage = { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kind: 'FlowSchema', name: 'probes', source: 'last-applied' };
  const ingress: ApiUsage = { apiVersion: 'extensions/v1beta1', kind: 'Ingress', namespace: 'web', name: 'shop', source: 'last-applied' };
  const cronjobV1: ApiUsage = { apiVersion: 'batch/v1', kind: 'CronJob', namespace: 'default', name: 'report', source: 'last-applied' };
  const servedFlow: ApiUsage = { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kind: '', name: 'flowcontrol.apiserver.k8s.io/v1beta3', source: 'served' };
  const mismatchedKind: ApiUsage = { apiVersion: 'batch/v1beta1', kind: 'Job', namespace: 'default', name: 'j', source: 'last-applied' };

  const cases: Array<{ name: string; usages: ApiUsage[]; from: string; to: string; want: string[] }> = [
    { name: 'a batch/v1beta1 CronJob, upgrading 1.24 -> 1.25', usages: [cronjob], from: '1.24', to: '1.25', want: ['default/backup CronJob 1.25'] },
    { name: 'the same CronJob over a long jump 1.24 -> 1.30', usages: [cronjob], from: '1.24', to: '1.30', want: ['default/backup CronJob 1.25'] },
    { name: '1.23 -> 1.24 does not remove it yet', usages: [cronjob], from: '1.23', to: '1.24', want: [] },
    { name: 'already gone before the upgrade (1.25 -> 1.26): a stale annotation, not this hop', usages: [cronjob], from: '1.25', to: '1.26', want: [] },
    { name: 'PodSecurityPolicy from managedFields', usages: [psp], from: 'v1.24.17', to: 'v1.25.16', want: ['/restricted PodSecurityPolicy 1.25'] },
    { name: 'flowcontrol v1beta3 on the hop to 1.32', usages: [flowV1beta3], from: '1.31', to: '1.32', want: ['/probes FlowSchema 1.32'] },
    { name: 'flowcontrol v1beta3 before 1.32', usages: [flowV1beta3], from: '1.29', to: '1.31', want: [] },
    { name: 'extensions/v1beta1 Ingress, removed in 1.22', usages: [ingress], from: '1.21', to: '1.22', want: ['web/shop Ingress 1.22'] },
    { name: 'a current API version is never flagged', usages: [cronjobV1], from: '1.24', to: '1.33', want: [] },
    { name: 'the kind must match the entry', usages: [mismatchedKind], from: '1.24', to: '1.25', want: [] },
    {
      name: 'a served group/version with no kind stands for all its kinds',
      usages: [servedFlow],
      from: '1.31',
      to: '1.32',
      want: ['/flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema 1.32', '/flowcontrol.apiserver.k8s.io/v1beta3 PriorityLevelConfiguration 1.32'],
    },
    { name: 'several usages, several removals', usages: [cronjob, ingress, flowV1beta3, cronjobV1], from: '1.20', to: '1.32', want: ['default/backup CronJob 1.25', 'web/shop Ingress 1.22', '/probes FlowSchema 1.32'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = findRemovedApis(c.usages, c.from, c.to).map((u) => `${u.namespace ?? ''}/${u.name} ${u.api.kind} ${u.api.removedIn}`);
      assert.deepEqual(got, c.want);
    });
  }

  it('names objects the way kubectl does', () => {
    const [hit] = findRemovedApis([cronjob, psp], '1.24', '1.25');
    assert.equal(objectRef(hit, hit.api), 'cronjob.batch default/backup');
    const [, cluster] = findRemovedApis([cronjob, psp], '1.24', '1.25');
    assert.equal(objectRef(cluster, cluster.api), 'podsecuritypolicy.policy restricted');
  });
});
