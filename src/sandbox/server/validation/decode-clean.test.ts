import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../api/types.js';
import { decodeBuiltin } from './index.js';
import { valueDepth } from './decode.js';

const podSpec = () => ({ containers: [{ name: 'app', image: 'pause', ports: [{ containerPort: 80 }] }], tolerations: [{ key: 'k', operator: 'Exists' }] });
const pod = (spec: unknown, status: unknown = { phase: 'Pending' }): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'web' } }, spec, status });
const refused = /cannot be handled as a Pod/;

describe('decoding objects that share parts with objects decoded before', () => {
  it('still checks every part that is new, whatever was decoded before', () => {
    const spec = podSpec();
    const first = pod(spec);
    decodeBuiltin(first);
    // [case, object, 'refused' or the unknown fields reported]
    const table: Array<[string, KubeObject, 'refused' | string[]]> = [
      ['the same spec with a new, valid status', pod(spec, { phase: 'Running' }), []],
      ['the same spec with a status of the wrong type', pod(spec, { phase: 7 }), 'refused'],
      ['a top-level copy of the spec whose new field has the wrong type', pod({ ...spec, hostname: 7 }), 'refused'],
      ['a fresh spec of the same content but a wrong nested type', pod({ ...podSpec(), containers: [{ name: 'app', image: 'pause', ports: [{ containerPort: 'eighty' }] }] }), 'refused'],
      ['a top-level copy sharing the checked containers', pod({ ...spec, hostname: 'h' }), []],
      ['the checked tolerations as containers (another type) are walked', pod({ ...spec, initContainers: spec.tolerations }), ['unknown field "spec.initContainers[0].key"', 'unknown field "spec.initContainers[0].operator"']],
    ];
    for (const [what, o, expected] of table) {
      const warnings: string[] = [];
      if (expected === 'refused') assert.throws(() => decodeBuiltin(o, { warnings }), refused, what);
      else {
        decodeBuiltin(o, { warnings });
        assert.deepEqual(warnings, expected, what);
      }
    }
  });

  it('measures the same depth as a full walk, with parts known or not', () => {
    const spec = podSpec();
    const objects = [pod(spec), pod(spec, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }), pod({ ...spec, hostname: 'h' }), pod({}), pod(spec)];
    for (const o of objects) {
      decodeBuiltin(o);
      // Decoding again (all parts now known) finds the same depth: an object nested too deep stays refused.
      decodeBuiltin(o);
      assert.equal(valueDepth(o), valueDepth(structuredClone(o)));
    }
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 300; i++) deep = (deep.a = {}) as Record<string, unknown>;
    const deepStatus = pod(spec, { phase: 'Pending', conditions: [{ type: 'x', status: 'y', reason: root }] });
    assert.throws(() => decodeBuiltin(deepStatus), refused, 'a wrong or deep value in a new status is still found');
  });
});
