import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Finding, bySeverity, objectName } from './finding.js';

describe('findings', () => {
  it('list blocking first, then warnings, then notes, each in the order found', () => {
    const f = (severity: Finding['severity'], code: string): Finding => ({ severity, code, message: '', fix: '' });
    const sorted = bySeverity([f('info', 'A'), f('warning', 'B'), f('blocking', 'C'), f('info', 'D'), f('blocking', 'E'), f('warning', 'F')]);
    assert.deepEqual(sorted.map((x) => `${x.severity} ${x.code}`), ['blocking C', 'blocking E', 'warning B', 'warning F', 'info A', 'info D']);
  });

  const names: Array<[string, string | undefined, string, string]> = [
    ['Deployment', 'default', 'blue', 'deployment.apps default/blue'],
    ['Pod', 'default', 'green', 'pod default/green'],
    ['PodDisruptionBudget', 'shop', 'web', 'poddisruptionbudget.policy shop/web'],
    ['CronJob', 'ops', 'nightly', 'cronjob.batch ops/nightly'],
    ['ReplicationController', 'default', 'old', 'replicationcontroller default/old'],
    ['Node', undefined, 'node01', 'node/node01'],
    ['Widget', 'default', 'w', 'widget default/w'],
  ];
  for (const [kind, namespace, name, expected] of names) it(`name ${kind} ${namespace ?? ''}/${name} as kubectl does: ${expected}`, () => assert.equal(objectName(kind, namespace, name), expected));
});
