import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alreadyPresentMessage, createdMessage, needsPull, parseEventSettings, pullPolicyOf, pulledMessage } from './lifecycle-events.js';

describe('the kubelet container events, in its words', () => {
  const policies: Array<[string, string | undefined, string]> = [
    ['nginx', undefined, 'Always'],
    ['nginx:latest', undefined, 'Always'],
    ['nginx:1.27.3', undefined, 'IfNotPresent'],
    ['registry.example.com:5000/app', undefined, 'Always'],
    ['nginx@sha256:abc', undefined, 'IfNotPresent'],
    ['nginx:1.27.3', 'Always', 'Always'],
    ['nginx', 'Never', 'Never'],
  ];
  for (const [image, given, want] of policies) {
    it(`pulls ${image} (imagePullPolicy ${given ?? 'unset'}) as ${want}`, () => assert.equal(pullPolicyOf({ image, imagePullPolicy: given }), want));
  }

  it('pulls when the policy says so', () => {
    assert.deepEqual(
      [needsPull('Always', true), needsPull('IfNotPresent', true), needsPull('IfNotPresent', false), needsPull('Never', false)],
      [true, false, true, false],
    );
  });

  const created: Array<[string, string]> = [
    ['v1.31.4', 'Created container web'],
    ['v1.32.0', 'Created container: web'],
    ['v1.33.1', 'Created container: web'],
  ];
  for (const [version, want] of created) it(`kubelet ${version} says "${want}"`, () => assert.equal(createdMessage(version, 'web'), want));

  it('tells a pull with its duration and the image size, or that the image was there', () => {
    assert.match(pulledMessage('nginx:1.27.3', 1234.9), /^Successfully pulled image "nginx:1\.27\.3" in 1\.234s \(1\.234s including waiting\)\. Image size: \d+ bytes\.$/);
    assert.equal(pulledMessage('nginx:1.27.3', 1), pulledMessage('nginx:1.27.3', 1), 'the size of an image is stable');
    assert.equal(alreadyPresentMessage('nginx:1.27.3'), 'Container image "nginx:1.27.3" already present on machine');
  });

  it('reads spec.events of a scenario', () => {
    const fail = (m: string) => new Error(m);
    assert.equal(parseEventSettings(undefined, 's.yaml', fail), undefined);
    assert.deepEqual(parseEventSettings({}, 's.yaml', fail), { containers: true });
    assert.deepEqual(parseEventSettings({ containers: false }, 's.yaml', fail), { containers: false });
    assert.throws(() => parseEventSettings({ containers: 'no' }, 's.yaml', fail), /^Error: s\.yaml: spec\.events\.containers must be true or false, not "no"$/);
    assert.throws(() => parseEventSettings([], 's.yaml', fail), /^Error: s\.yaml: spec\.events must be a mapping, e\.g\. \{containers: false\}$/);
  });
});
