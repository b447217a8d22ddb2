import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Component, type ComponentVersion, allowedRange, checkSkew, formatRange, maxOlderMinors } from './skew.js';
import { parseVersion } from './version.js';

const v = parseVersion;

describe('allowedRange', () => {
  const cases: Array<{ name: string; component: Component; apiservers: string[]; kubelet?: string; want: string }> = [
    { name: 'kubelet: up to three minors older from control plane 1.28', component: 'kubelet', apiservers: ['v1.31.2'], want: 'v1.28 to v1.31' },
    { name: 'kubelet: n-3 starts at control plane 1.28 with kubelet 1.25', component: 'kubelet', apiservers: ['v1.28.0'], want: 'v1.25 to v1.28' },
    { name: 'kubelet: n-2 before (control plane 1.27 would need a 1.24 kubelet)', component: 'kubelet', apiservers: ['v1.27.16'], want: 'v1.25 to v1.27' },
    { name: 'kubelet: n-2 in the 1.2x days', component: 'kubelet', apiservers: ['v1.24.0'], want: 'v1.22 to v1.24' },
    { name: 'kubelet: HA apiservers at N and N-1 narrow it to N-1..N-3', component: 'kubelet', apiservers: ['v1.31.0', 'v1.30.5'], want: 'v1.28 to v1.30' },
    { name: 'kube-proxy: like the kubelet', component: 'kube-proxy', apiservers: ['v1.31.0'], want: 'v1.28 to v1.31' },
    { name: 'kube-proxy next to an old kubelet: up to 3 newer than it', component: 'kube-proxy', apiservers: ['v1.31.0'], kubelet: 'v1.28.3', want: 'v1.28 to v1.31' },
    { name: 'kube-proxy next to a 1.22 kubelet: 2 older (< 1.25), 3 newer', component: 'kube-proxy', apiservers: ['v1.26.0'], kubelet: 'v1.22.0', want: 'v1.24 to v1.25' },
    { name: 'controller-manager: same minor or one older', component: 'kube-controller-manager', apiservers: ['v1.31.0'], want: 'v1.30 to v1.31' },
    { name: 'scheduler behind a load balancer in a half-upgraded HA cluster: N-1 only', component: 'kube-scheduler', apiservers: ['v1.31.0', 'v1.30.0'], want: 'v1.30' },
    { name: 'cloud-controller-manager: same rule', component: 'cloud-controller-manager', apiservers: ['v1.29.0'], want: 'v1.28 to v1.29' },
    { name: 'kubectl: within one minor either way', component: 'kubectl', apiservers: ['v1.31.0'], want: 'v1.30 to v1.32' },
    { name: 'kubectl in a half-upgraded HA cluster', component: 'kubectl', apiservers: ['v1.31.0', 'v1.30.0'], want: 'v1.30 to v1.31' },
    { name: 'another kube-apiserver instance: within one minor of all others', component: 'kube-apiserver', apiservers: ['v1.31.0', 'v1.30.0'], want: 'v1.30 to v1.31' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(formatRange(allowedRange(c.component, c.apiservers.map(v), c.kubelet ? v(c.kubelet) : undefined)), c.want);
    });
  }

  it('needs at least one apiserver', () => {
    assert.throws(() => allowedRange('kubelet', []), RangeError);
  });

  it('maxOlderMinors follows the n-3 / n-2 change', () => {
    assert.deepEqual(
      ['v1.26.0', 'v1.27.0', 'v1.28.0', 'v1.33.0'].map((a) => maxOlderMinors('kubelet', v(a))),
      [2, 2, 3, 3],
    );
  });
});

function cv(component: Component, version: string, node?: string): ComponentVersion {
  return node === undefined ? { component, version: v(version) } : { component, node, version: v(version) };
}

describe('checkSkew', () => {
  const cases: Array<{ name: string; components: ComponentVersion[]; want: Array<{ code: string; node?: string; allowed: string; severity?: string }> }> = [
    // kubelet, both sides of both bounds
    { name: 'kubelet at the apiserver minor', components: [cv('kube-apiserver', 'v1.31.2', 'cp'), cv('kubelet', 'v1.31.9', 'node01')], want: [] },
    {
      name: 'kubelet one minor newer than the apiserver',
      components: [cv('kube-apiserver', 'v1.31.2', 'cp'), cv('kubelet', 'v1.32.0', 'node01')],
      want: [{ code: 'SkewKubeletTooNew', node: 'node01', allowed: 'v1.28 to v1.31' }],
    },
    { name: 'kubelet three minors older (n-3)', components: [cv('kube-apiserver', 'v1.31.2', 'cp'), cv('kubelet', 'v1.28.15', 'node01')], want: [] },
    {
      name: 'kubelet four minors older',
      components: [cv('kube-apiserver', 'v1.31.2', 'cp'), cv('kubelet', 'v1.27.16', 'node01')],
      want: [{ code: 'SkewKubeletTooOld', node: 'node01', allowed: 'v1.28 to v1.31' }],
    },
    // the n-2 / n-3 change
    { name: 'control plane 1.28 with a 1.25 kubelet: n-3 applies', components: [cv('kube-apiserver', 'v1.28.0', 'cp'), cv('kubelet', 'v1.25.16', 'node01')], want: [] },
    {
      name: 'control plane 1.28 with a 1.24 kubelet: four older',
      components: [cv('kube-apiserver', 'v1.28.0', 'cp'), cv('kubelet', 'v1.24.17', 'node01')],
      want: [{ code: 'SkewKubeletTooOld', node: 'node01', allowed: 'v1.25 to v1.28' }],
    },
    {
      name: 'control plane 1.27 with a 1.24 kubelet: three older but the kubelet is < 1.25, so n-2',
      components: [cv('kube-apiserver', 'v1.27.3', 'cp'), cv('kubelet', 'v1.24.17', 'node01')],
      want: [{ code: 'SkewKubeletTooOld', node: 'node01', allowed: 'v1.25 to v1.27' }],
    },
    { name: 'control plane 1.27 with a 1.25 kubelet: n-2', components: [cv('kube-apiserver', 'v1.27.3', 'cp'), cv('kubelet', 'v1.25.0', 'node01')], want: [] },
    {
      name: 'control plane 1.26 with a 1.23 kubelet: n-2 era',
      components: [cv('kube-apiserver', 'v1.26.0', 'cp'), cv('kubelet', 'v1.23.17', 'node01')],
      want: [{ code: 'SkewKubeletTooOld', node: 'node01', allowed: 'v1.24 to v1.26' }],
    },
    // HA narrows the kubelet range
    {
      name: 'HA apiservers at 1.31 and 1.30: a 1.31 kubelet is newer than the 1.30 instance',
      components: [cv('kube-apiserver', 'v1.31.0', 'cp1'), cv('kube-apiserver', 'v1.30.5', 'cp2'), cv('kubelet', 'v1.31.0', 'node01'), cv('kubelet', 'v1.28.0', 'node02')],
      want: [{ code: 'SkewKubeletTooNew', node: 'node01', allowed: 'v1.28 to v1.30' }],
    },
    // kube-apiserver instances
    { name: 'HA apiservers one minor apart', components: [cv('kube-apiserver', 'v1.31.0', 'cp1'), cv('kube-apiserver', 'v1.30.5', 'cp2')], want: [] },
    {
      name: 'HA apiservers two minors apart: the old one is out',
      components: [cv('kube-apiserver', 'v1.31.0', 'cp1'), cv('kube-apiserver', 'v1.29.5', 'cp2'), cv('kube-apiserver', 'v1.31.0', 'cp3')],
      want: [{ code: 'SkewKubeApiserverHA', node: 'cp2', allowed: 'v1.30 to v1.31' }],
    },
    // controller-manager / scheduler / cloud-controller-manager
    { name: 'controller-manager one minor older (live upgrade)', components: [cv('kube-apiserver', 'v1.31.0', 'cp'), cv('kube-controller-manager', 'v1.30.14', 'cp')], want: [] },
    {
      name: 'controller-manager two minors older',
      components: [cv('kube-apiserver', 'v1.31.0', 'cp'), cv('kube-controller-manager', 'v1.29.0', 'cp')],
      want: [{ code: 'SkewKubeControllerManagerTooOld', node: 'cp', allowed: 'v1.30 to v1.31' }],
    },
    {
      name: 'scheduler newer than its apiserver',
      components: [cv('kube-apiserver', 'v1.31.0', 'cp'), cv('kube-scheduler', 'v1.32.0', 'cp')],
      want: [{ code: 'SkewKubeSchedulerTooNew', node: 'cp', allowed: 'v1.30 to v1.31' }],
    },
    {
      name: 'cloud-controller-manager two minors older',
      components: [cv('kube-apiserver', 'v1.31.0'), cv('cloud-controller-manager', 'v1.29.0')],
      want: [{ code: 'SkewCloudControllerManagerTooOld', allowed: 'v1.30 to v1.31' }],
    },
    {
      name: 'half-upgraded HA: each controller-manager is checked against the apiserver on its node (kubeadm)',
      components: [
        cv('kube-apiserver', 'v1.31.0', 'cp1'),
        cv('kube-apiserver', 'v1.30.5', 'cp2'),
        cv('kube-controller-manager', 'v1.31.0', 'cp1'),
        cv('kube-controller-manager', 'v1.31.0', 'cp2'),
      ],
      want: [{ code: 'SkewKubeControllerManagerTooNew', node: 'cp2', allowed: 'v1.29 to v1.30' }],
    },
    {
      name: 'half-upgraded HA: a scheduler with no node goes through a load balancer and must match the oldest',
      components: [cv('kube-apiserver', 'v1.31.0', 'cp1'), cv('kube-apiserver', 'v1.30.5', 'cp2'), cv('kube-scheduler', 'v1.31.0')],
      want: [{ code: 'SkewKubeSchedulerTooNew', allowed: 'v1.30' }],
    },
    // kube-proxy
    { name: 'kube-proxy three older than the apiserver', components: [cv('kube-apiserver', 'v1.31.0'), cv('kube-proxy', 'v1.28.0')], want: [] },
    { name: 'kube-proxy four older', components: [cv('kube-apiserver', 'v1.31.0'), cv('kube-proxy', 'v1.27.0')], want: [{ code: 'SkewKubeProxyTooOld', allowed: 'v1.28 to v1.31' }] },
    { name: 'kube-proxy newer than the apiserver', components: [cv('kube-apiserver', 'v1.31.0'), cv('kube-proxy', 'v1.32.0')], want: [{ code: 'SkewKubeProxyTooNew', allowed: 'v1.28 to v1.31' }] },
    {
      name: 'kube-proxy three newer than the kubelet beside it',
      components: [cv('kube-apiserver', 'v1.31.0'), cv('kubelet', 'v1.28.0', 'node01'), cv('kube-proxy', 'v1.31.0', 'node01')],
      want: [],
    },
    {
      name: 'kube-proxy 1.24 three older than its 1.27 kubelet: < 1.25 allows only two',
      components: [cv('kube-apiserver', 'v1.27.0'), cv('kubelet', 'v1.27.0', 'node01'), cv('kube-proxy', 'v1.24.0', 'node01')],
      want: [
        { code: 'SkewKubeProxyTooOld', allowed: 'v1.25 to v1.27' },
        { code: 'SkewKubeProxyKubelet', node: 'node01', allowed: 'v1.25 to v1.30' },
      ],
    },
    {
      name: 'one too-new kube-proxy image on many nodes is reported once against the apiserver',
      components: [cv('kube-apiserver', 'v1.31.0'), cv('kubelet', 'v1.31.0', 'a'), cv('kubelet', 'v1.31.0', 'b'), cv('kube-proxy', 'v1.32.0', 'a'), cv('kube-proxy', 'v1.32.0', 'b')],
      want: [{ code: 'SkewKubeProxyTooNew', allowed: 'v1.28 to v1.31' }],
    },
    // kubectl: a warning, never blocking
    { name: 'kubectl one newer', components: [cv('kube-apiserver', 'v1.31.0'), cv('kubectl', 'v1.32.2')], want: [] },
    { name: 'kubectl two newer', components: [cv('kube-apiserver', 'v1.31.0'), cv('kubectl', 'v1.33.0')], want: [{ code: 'SkewKubectlTooNew', allowed: 'v1.30 to v1.32', severity: 'warning' }] },
    { name: 'kubectl one older', components: [cv('kube-apiserver', 'v1.31.0'), cv('kubectl', 'v1.30.0')], want: [] },
    { name: 'kubectl two older', components: [cv('kube-apiserver', 'v1.31.0'), cv('kubectl', 'v1.29.0')], want: [{ code: 'SkewKubectlTooOld', allowed: 'v1.30 to v1.32', severity: 'warning' }] },
    // nothing to compare with
    { name: 'no kube-apiserver: nothing can be checked', components: [cv('kubelet', 'v1.20.0', 'node01')], want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = checkSkew(c.components).map((x) => ({
        code: x.code ?? '',
        ...(x.node !== undefined ? { node: x.node } : {}),
        allowed: x.allowed,
        ...(c.want.some((w) => w.severity) ? { severity: x.severity } : {}),
      }));
      assert.deepEqual(got, c.want);
    });
  }

  it("says which rule is broken, in the policy's words, and blocks", () => {
    const [tooOld] = checkSkew([cv('kube-apiserver', 'v1.31.0'), cv('kubelet', 'v1.27.1', 'node01')]);
    assert.equal(tooOld.severity, 'blocking');
    assert.equal(tooOld.version, 'v1.27.1');
    assert.equal(tooOld.direction, 'too-old');
    assert.match(tooOld.rule, /kubelet may be up to three minor versions older than kube-apiserver/);
    const [tooNew] = checkSkew([cv('kube-apiserver', 'v1.31.0'), cv('kubelet', 'v1.32.1', 'node01')]);
    assert.equal(tooNew.rule, 'kubelet must not be newer than kube-apiserver.');
  });
});
