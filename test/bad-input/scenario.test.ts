// Bad scenario files for `sandbox serve`: the whole file is checked before anything starts, one
// line names the file and the field (`FILE: spec.nodes[3].capacity.cpu: ...`), exit 2, and no
// kubeconfig is written.
import { describe } from 'node:test';
import { type BadInput, badInputs } from '../helpers/bad-input.js';

const HEAD = 'apiVersion: upkeep.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n';

function scenario(story: string, body: string, err: RegExp, names = 's.yaml'): BadInput {
  return { story, files: { 's.yaml': body }, args: ['sandbox', 'serve', '--scenario', 's.yaml', '--kubeconfig-out', 'kc.yaml'], code: 2, err, names };
}

const cases: BadInput[] = [
  scenario('taints as a string', `${HEAD}  nodes: [{name: a, taints: oops}]\n`, /^error: s\.yaml: spec\.nodes\[0\]\.taints: Invalid value: "oops": must be a list of taints/, 'spec.nodes[0].taints'),
  scenario('a taint effect Sometimes', `${HEAD}  nodes: [{name: a, taints: [{key: k, effect: Sometimes}]}]\n`, /^error: s\.yaml: spec\.nodes\[0\]\.taints\[0\]\.effect: Unsupported value: "Sometimes"/, 'Sometimes'),
  scenario('a taint without a key', `${HEAD}  nodes: [{name: a, taints: [{effect: NoSchedule}]}]\n`, /spec\.nodes\[0\]\.taints\[0\]\.key: Invalid value/, 'taints[0].key'),
  scenario('a taint that is a string in the list', `${HEAD}  nodes: [{name: a, taints: [oops]}]\n`, /spec\.nodes\[0\]\.taints\[0\]: Invalid value: "oops"/, 'taints[0]'),
  scenario('negative memory', `${HEAD}  nodes: [{name: a, capacity: {memory: -1Gi}}]\n`, /spec\.nodes\[0\]\.capacity\.memory: Invalid value: "-1Gi": must be greater than or equal to 0/, 'capacity.memory'),
  scenario('pods: abc', `${HEAD}  nodes: [{name: a, capacity: {pods: abc}}]\n`, /spec\.nodes\[0\]\.capacity\.pods: Invalid value: "abc"/, 'capacity.pods'),
  scenario('pods: 1.5', `${HEAD}  nodes: [{name: a, capacity: {pods: "1.5"}}]\n`, /spec\.nodes\[0\]\.capacity\.pods: Invalid value: "1\.5": must be a whole number of pods/, 'capacity.pods'),
  scenario('cpu: lots in the fourth node', `${HEAD}  nodes: [{name: a}, {name: b}, {name: c}, {name: d, capacity: {cpu: lots}}]\n`, /^error: s\.yaml: spec\.nodes\[3\]\.capacity\.cpu: Invalid value: "lots"/, 'spec.nodes[3].capacity.cpu'),
  scenario('capacity as a list', `${HEAD}  nodes: [{name: a, capacity: [cpu]}]\n`, /spec\.nodes\[0\]\.capacity: Invalid value: a list: must be a mapping/, 'capacity'),
  scenario('a name with a newline', `${HEAD}  nodes: [{name: "a\\nb"}]\n`, /spec\.nodes\[0\]\.name: Invalid value: "a\\nb": must be a lowercase RFC 1123 subdomain/, 'spec.nodes[0].name'),
  scenario('a mapping as a name', `${HEAD}  nodes: [{name: {x: 1}}]\n`, /spec\.nodes\[0\]\.name: Invalid value: a mapping: must be a string/, 'spec.nodes[0].name'),
  scenario('an upper-case name', `${HEAD}  nodes: [{name: Node01}]\n`, /spec\.nodes\[0\]\.name: Invalid value: "Node01"/, 'Node01'),
  scenario('a name of 300 characters', `${HEAD}  nodes: [{name: ${'a'.repeat(300)}}]\n`, /spec\.nodes\[0\]\.name: Invalid value: "a+\.\.\.: must be no more than 253 characters/, 'spec.nodes[0].name'),
  scenario('count: 1000000000', `${HEAD}  nodes: [{namePrefix: w-, count: 1000000000}]\n`, /spec\.nodes\[0\]\.count: Invalid value: 1000000000: must be at most 10000 \(the sandbox's node limit\)/, '10000'),
  scenario('count: 0', `${HEAD}  nodes: [{namePrefix: w-, count: 0}]\n`, /spec\.nodes\[0\]\.count: Invalid value: 0: must be a positive whole number/, 'count'),
  scenario('count: -3', `${HEAD}  nodes: [{namePrefix: w-, count: -3}]\n`, /spec\.nodes\[0\]\.count: Invalid value: -3/, 'count'),
  scenario('count: many', `${HEAD}  nodes: [{namePrefix: w-, count: many}]\n`, /spec\.nodes\[0\]\.count: Invalid value: "many"/, 'count'),
  scenario('count: 2.5', `${HEAD}  nodes: [{namePrefix: w-, count: 2.5}]\n`, /spec\.nodes\[0\]\.count: Invalid value: 2\.5/, 'count'),
  scenario('more nodes together than the limit', `${HEAD}  nodes: [{namePrefix: a-, count: 6000}, {namePrefix: b-, count: 6000}]\n`, /spec\.nodes: Too many: 12000: must have at most 10000 nodes/, '10000'),
  scenario('a namePrefix with a space', `${HEAD}  nodes: [{namePrefix: "w ", count: 2}]\n`, /spec\.nodes\[0\]\.namePrefix: Invalid value/, 'namePrefix'),
  scenario('neither name nor namePrefix', `${HEAD}  nodes: [{role: worker}]\n`, /spec\.nodes\[0\]: Required value: name or namePrefix/, 'spec.nodes[0]'),
  scenario('role: master', `${HEAD}  nodes: [{name: a, role: master}]\n`, /spec\.nodes\[0\]\.role: Unsupported value: "master"/, 'master'),
  scenario('version: 1.31', `${HEAD}  nodes: [{name: a, version: "1.31"}]\n`, /spec\.nodes\[0\]\.version: Invalid value: "1\.31": must be a version like v1\.31\.4/, 'version'),
  scenario('a label key with two slashes', `${HEAD}  nodes: [{name: a, labels: {"a/b/c": x}}]\n`, /spec\.nodes\[0\]\.labels: Invalid value: "a\/b\/c"/, 'a/b/c'),
  scenario('a label value that is a list', `${HEAD}  nodes: [{name: a, labels: {zone: [a]}}]\n`, /spec\.nodes\[0\]\.labels\.zone: Invalid value: a list/, 'labels.zone'),
  scenario('nodes as a mapping', `${HEAD}  nodes: {a: 1}\n`, /spec\.nodes: Invalid value: a mapping: must be a list/, 'spec.nodes'),
  scenario('a node that is a string', `${HEAD}  nodes: [node01]\n`, /spec\.nodes\[0\]: Invalid value: "node01": must be a mapping/, 'spec.nodes[0]'),
  scenario('objects as a string', `${HEAD}  objects: oops\n`, /spec\.objects: Invalid value: "oops": must be a list/, 'spec.objects'),
  scenario('an object in a namespace that does not exist', `${HEAD}  objects: [{apiVersion: v1, kind: ConfigMap, metadata: {name: cm, namespace: nope}}]\n`, /spec\.objects\[0\]\.metadata\.namespace: Not found: "nope": declare it \(kind: Namespace\)/, 'nope'),
  scenario('an object without kind', `${HEAD}  objects: [{apiVersion: v1, metadata: {name: x}}]\n`, /spec\.objects\[0\]\.kind: Required value/, 'spec.objects[0].kind'),
  scenario('an object without metadata', `${HEAD}  objects: [{apiVersion: v1, kind: ConfigMap}]\n`, /spec\.objects\[0\]\.metadata: Required value/, 'spec.objects[0].metadata'),
  scenario('an object name with an underscore', `${HEAD}  objects: [{apiVersion: v1, kind: ConfigMap, metadata: {name: my_cm}}]\n`, /spec\.objects\[0\]\.metadata\.name: Invalid value: "my_cm"/, 'my_cm'),
  scenario('a billion replicas', `${HEAD}  objects: [{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {replicas: 1000000000}}]\n`, /spec\.objects\[0\]\.spec\.replicas: Invalid value: 1000000000: must be a whole number from 0 to 100000/, '100000'),
  scenario('a bad object in a further document', `${HEAD}  nodes: [{name: a}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: Bad}\n`, /document 2\.metadata\.name: Invalid value: "Bad"/, 'document 2'),
  scenario('several problems: the first and the count', `${HEAD}  nodes: [{name: a, taints: oops}, {name: b, capacity: {cpu: lots}}]\n`, /spec\.nodes\[0\]\.taints: .* \(and 1 more error\)$/, 'and 1 more error'),
  scenario('a first document that is not a Scenario', 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n', /^error: s\.yaml: the first document must be a Scenario/, 's.yaml'),
  scenario('a wrong apiVersion', 'apiVersion: upkeep.dev/v2\nkind: Scenario\n', /^error: s\.yaml: unsupported apiVersion "upkeep\.dev\/v2"/, 'upkeep.dev/v2'),
  scenario('not YAML', '{{{', /^error: s\.yaml: /, 's.yaml'),
  scenario('an empty file', '', /^error: s\.yaml: the first document must be a Scenario/, 's.yaml'),
  scenario('etcd topology: sideways', `${HEAD}  controlPlane: {etcd: {topology: sideways}}\n`, /spec\.controlPlane\.etcd\.topology must be "stacked" or "external"/, 'sideways'),
  scenario('controlPlane version 1.31', `${HEAD}  controlPlane: {version: "1.31"}\n`, /spec\.controlPlane\.version "1\.31" is not a version like v1\.31\.4/, '1.31'),
  { story: 'a scenario that is neither built in nor a file', args: ['sandbox', 'serve', '--scenario', 'nosuch', '--kubeconfig-out', 'kc.yaml'], code: 2, err: /^error: scenario "nosuch" is neither a built-in scenario \(.*\) nor a file$/, names: 'nosuch' },
  { story: 'a scenario that is a directory', setup: async () => undefined, args: ['sandbox', 'serve', '--scenario', '.', '--kubeconfig-out', 'kc.yaml'], code: 2, err: /^error: cannot read scenario \.: /, names: 'scenario .' },
];

describe('bad scenario files', { concurrency: 6, timeout: 300_000 }, () => badInputs(cases));
