import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterVersions } from '../upgrade/plan.js';
import type { ApiUsage } from '../upgrade/removedapis.js';
import { parseVersion } from '../upgrade/version.js';
import { CHECKS, CHECK_RULES, removedApisAhead, runChecks } from './checks.js';
import { MAINTENANCES } from './maintenance.js';
import { auditInput } from './rules.js';
import { healthy, pod } from './testing/cluster.js';

function cluster(apiserver: string): ClusterVersions {
  const v = parseVersion(apiserver);
  return { apiservers: [{ node: 'controlplane', version: v }], controllerManagers: [], schedulers: [], etcd: { topology: 'stacked', members: [] }, kubelets: [], serverVersion: v };
}

describe('removedApisAhead: the plan rule over the next two minors', () => {
  const usages: ApiUsage[] = [
    { apiVersion: 'batch/v1beta1', kind: 'CronJob', namespace: 'default', name: 'backup', source: 'last-applied' },
    { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta2', kind: 'FlowSchema', name: 'fs', source: 'managedFields' },
  ];
  const cases: Array<[string, string, string[]]> = [
    ['v1.23: batch/v1beta1 CronJob goes in v1.25, within two minors', 'v1.23.17', ['blocking RemovedApi cronjob.batch default/backup']],
    ['v1.22: v1.25 is three minors away', 'v1.22.17', []],
    ['v1.27: flowcontrol v1beta2 goes in v1.29', 'v1.27.16', ['blocking RemovedApi flowschema.flowcontrol.apiserver.k8s.io fs']],
  ];
  for (const [story, version, expected] of cases) {
    it(story, () => {
      const s = { ...healthy(), cluster: cluster(version), apiUsages: usages };
      assert.deepEqual(removedApisAhead(auditInput(s, MAINTENANCES.upgrade)).map((f) => `${f.severity} ${f.code} ${f.object}`), expected);
    });
  }
});

describe('the checks', () => {
  it('each check runs its own rules, findings most severe first', () => {
    const s = healthy();
    s.pods.push(pod('green', 'node01', { image: 'nginx:latest' }));
    assert.deepEqual(
      runChecks(s, MAINTENANCES.drain, ['images']).map((f) => `${f.severity} ${f.code}`),
      ['warning ImageNotPinned'],
    );
    assert.deepEqual(
      runChecks(s, MAINTENANCES.drain, ['availability']).map((f) => `${f.severity} ${f.code}`),
      ['blocking DrainRefused', 'warning BarePod', 'info NoPodDisruptionBudget'],
    );
    assert.deepEqual(Object.keys(CHECK_RULES), [...CHECKS]);
  });
});
