import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { parseScenario } from './scenario.js';
import { BUILTIN_SCENARIOS } from './builtin.js';
import { scenarioErrors, summarizeErrors } from './validate.js';

const HEAD = 'apiVersion: upkeep.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n';

function errorsOf(spec: string, ...docs: string[]): string[] {
  return scenarioErrors(YAML.parse(`${HEAD}spec:\n${spec}`), docs.map((d) => YAML.parse(d)));
}

describe('scenario validation', () => {
  it('accepts every built-in scenario', () => {
    for (const [name, text] of Object.entries(BUILTIN_SCENARIOS)) assert.doesNotThrow(() => parseScenario(text, name), name);
  });

  const table: Array<[string, string, string[]]> = [
    ['taints as a string', '  nodes: [{name: a, taints: oops}]', ['spec.nodes[0].taints: Invalid value: "oops": must be a list of taints ({key, value, effect})']],
    ['a taint effect Kubernetes does not have', '  nodes: [{name: a, taints: [{key: k, effect: Sometimes}]}]', ['spec.nodes[0].taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']],
    ['negative memory', '  nodes: [{name: a, capacity: {memory: -1Gi}}]', ['spec.nodes[0].capacity.memory: Invalid value: "-1Gi": must be greater than or equal to 0']],
    ['pods: abc', '  nodes: [{name: a, capacity: {pods: abc}}]', ['spec.nodes[0].capacity.pods: Invalid value: "abc": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'']],
    ['cpu: lots, in the fourth entry', '  nodes: [{name: a}, {name: b}, {name: c}, {name: d, capacity: {cpu: lots}}]', ['spec.nodes[3].capacity.cpu: Invalid value: "lots": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'']],
    ['a name with a newline', '  nodes: [{name: "a\\nb"}]', ['spec.nodes[0].name: Invalid value: "a\\nb": must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, \'-\' or \'.\', starting and ending with an alphanumeric character (e.g. \'example.com\')']],
    ['a mapping as a name', '  nodes: [{name: {x: 1}}]', ['spec.nodes[0].name: Invalid value: a mapping: must be a string']],
    ['a billion nodes', '  nodes: [{namePrefix: w-, count: 1000000000}]', ['spec.nodes[0].count: Invalid value: 1000000000: must be at most 10000 (the sandbox\'s node limit)']],
    ['too many nodes together', '  nodes: [{namePrefix: a-, count: 6000}, {namePrefix: b-, count: 6000}]', ['spec.nodes: Too many: 12000: must have at most 10000 nodes']],
    ['an object in a namespace that does not exist', '  objects: [{apiVersion: v1, kind: ConfigMap, metadata: {name: cm, namespace: nope}}]', ['spec.objects[0].metadata.namespace: Not found: "nope": declare it (kind: Namespace) in the scenario or use one of default, kube-system, kube-public, kube-node-lease']],
    ['a namespace declared in the file', '  objects: [{apiVersion: v1, kind: Namespace, metadata: {name: shop}}, {apiVersion: v1, kind: ConfigMap, metadata: {name: cm, namespace: shop}}]', []],
    ['replicas out of range', '  objects: [{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {replicas: 1000000000}}]', ['spec.objects[0].spec.replicas: Invalid value: 1000000000: must be a whole number from 0 to 100000']],
    ['an object without kind', '  objects: [{apiVersion: v1, metadata: {name: x}}]', ['spec.objects[0].kind: Required value']],
  ];
  for (const [story, spec, want] of table) {
    it(story, () => assert.deepEqual(errorsOf(spec), want));
  }

  it('checks further documents too, named by their position', () => {
    assert.deepEqual(errorsOf('  nodes: [{name: a}]', 'apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}'), [
      'document 2.metadata.name: Invalid value: "Bad_Name": must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, \'-\' or \'.\', starting and ending with an alphanumeric character (e.g. \'example.com\')',
    ]);
  });

  it('reports the file, the first error and how many more, on one line', () => {
    const text = `${HEAD}spec:\n  nodes: [{name: a, taints: oops}, {name: b, capacity: {cpu: lots}}, {namePrefix: w-, count: 1000000000}]\n`;
    assert.throws(() => parseScenario(text, 'cluster.yaml'), {
      name: 'ScenarioError',
      message: 'cluster.yaml: spec.nodes[0].taints: Invalid value: "oops": must be a list of taints ({key, value, effect}) (and 2 more errors)',
    });
    assert.equal(summarizeErrors(['a', 'b']), 'a (and 1 more error)');
  });
});
