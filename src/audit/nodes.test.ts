import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateSigningRequest, Node } from '../api/types.js';
import { CORDON_ANNOTATION } from '../drain/cordon.js';
import { MAINTENANCES } from './maintenance.js';
import { nodeFindings, pendingCSRs } from './nodes.js';
import { auditInput } from './rules.js';
import { healthy, node } from './testing/cluster.js';

describe('nodeFindings: NotReady and cordoned nodes, and who cordoned them', () => {
  const byUpkeep = (n: Node): Node => ({ ...n, metadata: { ...n.metadata, annotations: { [CORDON_ANNOTATION]: JSON.stringify({ by: 'alice', at: '2026-12-01T10:00:00Z', reason: 'disk swap' }) } } });
  const cases: Array<[string, Node[], string[]]> = [
    ['all Ready and schedulable', [node('controlplane', { cp: true }), node('node01')], []],
    ['a NotReady control-plane node blocks', [node('controlplane', { cp: true, ready: 'False' })], ['blocking NodeNotReady node/controlplane']],
    ['a worker whose kubelet stopped posting: a warning', [node('node01', { ready: 'Unknown' })], ['warning NodeNotReady node/node01']],
    ['cordoned outside upkeep', [node('node01', { cordoned: true })], ['info NodeCordoned node/node01 cordoned outside upkeep (kubectl cordon, or a tool; the node keeps no record of who)']],
    [
      'cordoned by kubectl: its field manager in managedFields',
      [{ ...node('node01', { cordoned: true }), metadata: { name: 'node01', managedFields: [{ manager: 'kubelet', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': {} } }, { manager: 'kubectl-cordon', operation: 'Update', time: '2026-12-01T09:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:unschedulable': {} } } }] } }],
      ['info NodeCordoned node/node01 cordoned outside upkeep, by field manager kubectl-cordon at 2026-12-01T09:00:00Z (managedFields)'],
    ],
    ['cordoned by upkeep: who, when, why', [byUpkeep(node('node01', { cordoned: true }))], ['info NodeCordoned node/node01 cordoned by alice at 2026-12-01T10:00:00Z (disk swap)']],
  ];
  for (const [story, nodes, expected] of cases) {
    it(story, () => {
      const findings = nodeFindings(nodes, MAINTENANCES.drain);
      assert.deepEqual(
        findings.map((f) => `${f.severity} ${f.code} ${f.object}${f.code === 'NodeCordoned' ? ` ${f.message.slice(f.message.indexOf('already ') + 8, f.message.indexOf(': an uncordon'))}` : ''}`),
        expected,
      );
    });
  }
});

describe('audit rule pendingCSRs', () => {
  const csr = (name: string, condition?: string): CertificateSigningRequest => ({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: { request: '', signerName: 'kubernetes.io/kubelet-serving', username: 'system:node:node01' },
    ...(condition ? { status: { conditions: [{ type: condition, status: 'True' }] } } : {}),
  });
  const cases: Array<[string, CertificateSigningRequest[] | undefined, string[]]> = [
    ['not read (not served)', undefined, []],
    ['approved and denied ones: nothing', [csr('a', 'Approved'), csr('d', 'Denied')], []],
    ['one pending', [csr('a', 'Approved'), csr('csr-x')], ['info CertificateSigningRequestPending certificatesigningrequest.certificates.k8s.io/csr-x']],
  ];
  for (const [story, csrs, expected] of cases) {
    it(story, () => {
      const s = { ...healthy(), certificateSigningRequests: csrs };
      assert.deepEqual(pendingCSRs(auditInput(s, MAINTENANCES.drain)).map((f) => `${f.severity} ${f.code} ${f.object}`), expected);
    });
  }
});
