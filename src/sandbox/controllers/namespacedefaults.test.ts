import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap } from '../../api/types.js';
import { DESCRIPTION_ANNOTATION, ROOT_CA_DESCRIPTION, repairedRootCAConfigMap, rootCAConfigMap } from './namespacedefaults.js';

const PEM = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';

function cm(data: Record<string, string>, annotations?: Record<string, string>): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'x', resourceVersion: '7', annotations }, data };
}

describe('kube-root-ca.crt', () => {
  it('is created with the CA and the description annotation', () => {
    const o = rootCAConfigMap(PEM);
    assert.deepEqual(o.data, { 'ca.crt': PEM });
    assert.equal(o.metadata.annotations?.[DESCRIPTION_ANNOTATION], ROOT_CA_DESCRIPTION);
  });

  const cases: Array<{ story: string; cm: ConfigMap; repaired: boolean }> = [
    { story: 'an intact ConfigMap is left alone', cm: cm({ 'ca.crt': PEM }, { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION }), repaired: false },
    { story: 'edited CA data is put back', cm: cm({ 'ca.crt': 'tampered' }, { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION }), repaired: true },
    { story: 'an extra key is removed', cm: cm({ 'ca.crt': PEM, extra: '1' }, { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION }), repaired: true },
    { story: 'a missing description is added back', cm: cm({ 'ca.crt': PEM }), repaired: true },
  ];
  for (const c of cases) {
    it(c.story, () => {
      const r = repairedRootCAConfigMap(c.cm, PEM);
      assert.equal(r !== undefined, c.repaired);
      if (r) {
        assert.deepEqual(r.data, { 'ca.crt': PEM });
        assert.equal(r.metadata.annotations?.[DESCRIPTION_ANNOTATION], ROOT_CA_DESCRIPTION);
        assert.equal(r.metadata.resourceVersion, '7'); // an update, guarded by the version read
      }
    });
  }
});
