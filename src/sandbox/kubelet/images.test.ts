import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../api/types.js';
import { normalizeImage, parseRegistry, pullFailure } from './images.js';

describe('image references as containerd normalises them', () => {
  const cases: Array<[string, string]> = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27.3', 'docker.io/library/nginx:1.27.3'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['registry.example.com/shop/app:1.2', 'registry.example.com/shop/app:1.2'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['registry.k8s.io/pause@sha256:abc', 'registry.k8s.io/pause@sha256:abc'],
  ];
  for (const [ref, want] of cases) it(ref, () => assert.equal(normalizeImage(ref), want));
});

describe('which pulls fail', () => {
  const registry = parseRegistry({ images: ['nginx:1.27.3', 'redis', 'registry.example.com/shop/app:1'], private: { host: 'registry.example.com', secret: 'regcred' } }, 's', (m) => new Error(m));
  const pod = (secrets: string[] = []): Pod => ({ metadata: { name: 'p' }, spec: { containers: [], imagePullSecrets: secrets.map((name) => ({ name })) } });
  const cases: Array<{ story: string; image: string; secrets?: string[]; want: string | undefined }> = [
    { story: 'a listed tag', image: 'nginx:1.27.3', want: undefined },
    { story: 'a missing tag', image: 'nginx:9.9.9', want: 'failed to pull and unpack image "docker.io/library/nginx:9.9.9": failed to resolve reference "docker.io/library/nginx:9.9.9": docker.io/library/nginx:9.9.9: not found' },
    { story: 'any tag of a repository listed without one', image: 'redis:7.2', want: undefined },
    { story: 'kubeadm images always exist', image: 'registry.k8s.io/kube-proxy:v1.31.4', want: undefined },
    { story: 'the private host without the pull secret', image: 'registry.example.com/shop/app:1', want: 'failed to pull and unpack image "registry.example.com/shop/app:1": failed to resolve reference "registry.example.com/shop/app:1": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials' },
    { story: 'the private host with it', image: 'registry.example.com/shop/app:1', secrets: ['regcred'], want: undefined },
  ];
  for (const c of cases) it(c.story, () => assert.equal(pullFailure(registry, pod(c.secrets), c.image), c.want));
  it('without spec.registry every image exists', () => assert.equal(pullFailure(undefined, pod(), 'nothing/at:all'), undefined));
  it('refuses a registry without a secret for its private host', () => {
    assert.throws(() => parseRegistry({ private: { host: 'r.example.com' } }, 's', (m) => new Error(m)), { message: 's: spec.registry.private needs host and secret (the imagePullSecret pods must name)' });
  });
});
