import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { restoreOrder } from './order.js';

describe('restoreOrder', () => {
  it("CRDs alone first; then Velero's high priorities, the rest alphabetically, the low priorities", () => {
    const archive = [
      'widgets.example.com',
      'deployments.apps',
      'services',
      'secrets',
      'serviceaccounts',
      'namespaces',
      'customresourcedefinitions.apiextensions.k8s.io',
      'validatingwebhookconfigurations.admissionregistration.k8s.io',
      'configmaps',
      'persistentvolumeclaims',
      'persistentvolumes',
      'clusterroles.rbac.authorization.k8s.io',
      'rolebindings.rbac.authorization.k8s.io',
      'pods',
      'replicasets.apps',
      'clusters.cluster.x-k8s.io',
      'cronjobs.batch',
      'storageclasses.storage.k8s.io',
    ];
    assert.deepEqual(restoreOrder(archive), {
      first: ['customresourcedefinitions.apiextensions.k8s.io'],
      then: [
        'namespaces',
        'storageclasses.storage.k8s.io',
        'persistentvolumes',
        'persistentvolumeclaims',
        'clusterroles.rbac.authorization.k8s.io',
        'serviceaccounts',
        'rolebindings.rbac.authorization.k8s.io',
        'secrets',
        'configmaps',
        'pods',
        'replicasets.apps',
        'services',
        'cronjobs.batch',
        'deployments.apps',
        'widgets.example.com',
        'clusters.cluster.x-k8s.io',
        'validatingwebhookconfigurations.admissionregistration.k8s.io',
      ],
    });
  });

  it('no CRDs: an empty first pass', () => {
    assert.deepEqual(restoreOrder(['configmaps', 'namespaces']), { first: [], then: ['namespaces', 'configmaps'] });
  });
});
