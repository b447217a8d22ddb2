// The Kubernetes version skew policy (kubernetes.io/releases/version-skew-policy), as data, and the
// check of a set of running components against it. All rules are relative to kube-apiserver and
// speak of minor versions only; in HA clusters the newest component must not be newer than the
// *oldest* apiserver, and the oldest must be close enough to the *newest* one.
import { type Version, addMinor, formatMinor, formatVersion, maxVersion, minVersion, minorOrder, newestOf, parseVersion } from './version.js';

export type Component =
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'cloud-controller-manager'
  | 'kubelet'
  | 'kube-proxy'
  | 'kubectl';

export interface ComponentVersion {
  component: Component;
  node?: string;
  version: Version;
}

export interface SkewViolation {
  component: Component;
  node?: string;
  version: string;
  /** 'v1.28 to v1.31', or 'v1.30' when only one minor fits. */
  allowed: string;
  /** The policy's sentence that is broken. */
  rule: string;
  severity: 'blocking' | 'warning';
  /** 'SkewKubeletTooOld', 'SkewKubeApiserverHA', 'SkewKubeProxyKubelet', ... */
  code?: string;
  /** Which bound was crossed. */
  direction?: 'too-old' | 'too-new';
  /** For kube-proxy checked against the kubelet on its node: that kubelet's version. */
  relativeTo?: string;
}

/**
 * How far behind a component may be. The first rule whose conditions hold wins. `componentFrom`
 * is tested against the oldest version the rule would allow, so "kubelet < 1.25 may only be two
 * minors older" holds for every kubelet the range admits.
 */
export interface OlderRule {
  /** The rule applies when the newest kube-apiserver is at least this minor. */
  controlPlaneFrom?: string;
  /** ...and the component itself is at least this minor. */
  componentFrom?: string;
  minors: number;
}

export interface SkewPolicyEntry {
  /** Minors the component may be newer than the oldest kube-apiserver. */
  newer: number;
  /** Minors it may be older than the newest kube-apiserver. */
  older: OlderRule[];
  /** The policy's words for the lower bound and the upper bound. */
  olderRule: string;
  newerRule: string;
}

// n-3 for nodes came with KEP-3935 (website PR #42218): "starting with Kubernetes v1.25 nodes and
// v1.28 control planes". Before that, and for kubelets older than 1.25, n-2.
const NODE_OLDER: OlderRule[] = [{ controlPlaneFrom: '1.28', componentFrom: '1.25', minors: 3 }, { minors: 2 }];

const CONTROL_PLANE_RULE =
  'kube-controller-manager, kube-scheduler, and cloud-controller-manager must not be newer than the kube-apiserver instances they communicate with; they are expected to match the kube-apiserver minor version, but may be up to one minor version older.';

export const SKEW_POLICY: Record<Component, SkewPolicyEntry> = {
  'kube-apiserver': {
    newer: 1,
    older: [{ minors: 1 }],
    olderRule: 'In highly-available clusters, the newest and oldest kube-apiserver instances must be within one minor version.',
    newerRule: 'In highly-available clusters, the newest and oldest kube-apiserver instances must be within one minor version.',
  },
  kubelet: {
    newer: 0,
    older: NODE_OLDER,
    olderRule: 'kubelet may be up to three minor versions older than kube-apiserver (kubelet < 1.25 may only be up to two minor versions older).',
    newerRule: 'kubelet must not be newer than kube-apiserver.',
  },
  'kube-proxy': {
    newer: 0,
    older: NODE_OLDER,
    olderRule: 'kube-proxy may be up to three minor versions older than kube-apiserver (kube-proxy < 1.25 may only be up to two minor versions older).',
    newerRule: 'kube-proxy must not be newer than kube-apiserver.',
  },
  'kube-controller-manager': { newer: 0, older: [{ minors: 1 }], olderRule: CONTROL_PLANE_RULE, newerRule: CONTROL_PLANE_RULE },
  'kube-scheduler': { newer: 0, older: [{ minors: 1 }], olderRule: CONTROL_PLANE_RULE, newerRule: CONTROL_PLANE_RULE },
  'cloud-controller-manager': { newer: 0, older: [{ minors: 1 }], olderRule: CONTROL_PLANE_RULE, newerRule: CONTROL_PLANE_RULE },
  kubectl: {
    newer: 1,
    older: [{ minors: 1 }],
    olderRule: 'kubectl is supported within one minor version (older or newer) of kube-apiserver.',
    newerRule: 'kubectl is supported within one minor version (older or newer) of kube-apiserver.',
  },
};

/** kube-proxy against the kubelet on the same node: ±3, or ±2 for kube-proxy < 1.25. */
export const KUBE_PROXY_KUBELET_RULE =
  'kube-proxy may be up to three minor versions older or newer than the kubelet instance it runs alongside (kube-proxy < 1.25 may only be up to two minor versions older or newer).';
const KUBE_PROXY_KUBELET_LAG: OlderRule[] = [{ componentFrom: '1.25', minors: 3 }, { minors: 2 }];

const ord = minorOrder;
function ordOf(minor: string): number {
  return minorOrder(parseVersion(minor));
}

function lagFor(rules: OlderRule[], reference: Version, bound: (minors: number) => Version): number {
  for (const r of rules) {
    if (r.controlPlaneFrom !== undefined && ord(reference) < ordOf(r.controlPlaneFrom)) continue;
    if (r.componentFrom !== undefined && ord(bound(r.minors)) < ordOf(r.componentFrom)) continue;
    return r.minors;
  }
  return 0;
}

/** How many minors older than `apiserver` the component may be (3 for kubelets from 1.28 on, ...). */
export function maxOlderMinors(component: Component, apiserver: Version): number {
  return lagFor(SKEW_POLICY[component].older, apiserver, (n) => addMinor(apiserver, -n));
}

/**
 * The minors `component` may run at next to these kube-apiserver instances. For kube-proxy, pass
 * the kubelet on its node to also apply the kube-proxy/kubelet rule. Bounds are minor-only versions.
 */
export function allowedRange(component: Component, apiservers: Version[], kubelet?: Version): { min: Version; max: Version } {
  const newest = maxVersion(apiservers);
  const oldest = minVersion(apiservers);
  if (!newest || !oldest) throw new RangeError('allowedRange needs at least one kube-apiserver version');
  const entry = SKEW_POLICY[component];
  // For kube-apiserver itself this is [newest-1, oldest+1]: instances within one minor of each other.
  let min = addMinor(newest, -maxOlderMinors(component, newest));
  let max = addMinor(oldest, entry.newer);
  if (component === 'kube-proxy' && kubelet) {
    const below = lagFor(KUBE_PROXY_KUBELET_LAG, kubelet, (n) => addMinor(kubelet, -n));
    const above = lagFor(KUBE_PROXY_KUBELET_LAG, kubelet, (n) => addMinor(kubelet, n));
    if (ord(kubelet) - below > ord(min)) min = addMinor(kubelet, -below);
    if (ord(kubelet) + above < ord(max)) max = addMinor(kubelet, above);
  }
  return { min, max };
}

export function formatRange(r: { min: Version; max: Version }): string {
  return ord(r.min) === ord(r.max) ? formatMinor(r.min) : `${formatMinor(r.min)} to ${formatMinor(r.max)}`;
}

function pascal(c: Component): string {
  return c
    .split('-')
    .map((w) => (w === 'kubectl' ? 'Kubectl' : w[0].toUpperCase() + w.slice(1)))
    .join('');
}

function violation(
  c: ComponentVersion,
  range: { min: Version; max: Version },
  rules: { olderRule: string; newerRule: string },
  code: (dir: 'TooOld' | 'TooNew') => string,
): SkewViolation | undefined {
  const v = ord(c.version);
  const dir = v < ord(range.min) ? 'too-old' : v > ord(range.max) ? 'too-new' : undefined;
  if (!dir) return undefined;
  const out: SkewViolation = {
    component: c.component,
    version: formatVersion(c.version),
    allowed: formatRange(range),
    rule: dir === 'too-old' ? rules.olderRule : rules.newerRule,
    // kubectl is a client on someone's laptop, not cluster state: worth fixing, never a blocker.
    severity: c.component === 'kubectl' ? 'warning' : 'blocking',
    code: code(dir === 'too-old' ? 'TooOld' : 'TooNew'),
    direction: dir,
  };
  if (c.node !== undefined) out.node = c.node;
  return out;
}

/**
 * Check running components against the policy. kube-apiserver versions come from the input; with
 * none, nothing can be checked. kube-controller-manager, kube-scheduler and cloud-controller-manager
 * that name a node are checked against the kube-apiserver on that node when there is one (kubeadm
 * points them at the local API endpoint), otherwise against all instances (a load balancer).
 */
export function checkSkew(components: ComponentVersion[]): SkewViolation[] {
  const apis = components.filter((c) => c.component === 'kube-apiserver');
  if (apis.length === 0) return [];
  const apiVersions = apis.map((c) => c.version);
  const out: SkewViolation[] = [];

  const newest = newestOf(apiVersions);
  const haRange = { min: addMinor(newest, -1), max: newest };
  for (const a of apis) {
    if (ord(a.version) < ord(haRange.min)) {
      const v = violation(a, haRange, SKEW_POLICY['kube-apiserver'], () => 'SkewKubeApiserverHA');
      if (v) out.push(v);
    }
  }

  const kubeletOn = new Map<string, Version>();
  for (const c of components) if (c.component === 'kubelet' && c.node !== undefined) kubeletOn.set(c.node, c.version);
  const proxyVersionsChecked = new Set<string>();

  for (const c of components) {
    switch (c.component) {
      case 'kube-apiserver':
        break;
      case 'kubelet':
      case 'kubectl': {
        const v = violation(c, allowedRange(c.component, apiVersions), SKEW_POLICY[c.component], (d) => `Skew${pascal(c.component)}${d}`);
        if (v) out.push(v);
        break;
      }
      case 'kube-proxy': {
        // One DaemonSet image usually runs everywhere: report the apiserver rule once per version.
        const key = formatVersion(c.version);
        if (!proxyVersionsChecked.has(key)) {
          proxyVersionsChecked.add(key);
          const v = violation(c, allowedRange('kube-proxy', apiVersions), SKEW_POLICY['kube-proxy'], (d) => `SkewKubeProxy${d}`);
          if (v) out.push({ ...v, node: undefined });
        }
        const kubelet = c.node !== undefined ? kubeletOn.get(c.node) : undefined;
        if (kubelet) {
          // Only the kubelet bound here: the apiserver bound was reported above.
          const below = lagFor(KUBE_PROXY_KUBELET_LAG, kubelet, (n) => addMinor(kubelet, -n));
          const above = lagFor(KUBE_PROXY_KUBELET_LAG, kubelet, (n) => addMinor(kubelet, n));
          const range = { min: addMinor(kubelet, -below), max: addMinor(kubelet, above) };
          const rules = { olderRule: KUBE_PROXY_KUBELET_RULE, newerRule: KUBE_PROXY_KUBELET_RULE };
          const v = violation(c, range, rules, () => 'SkewKubeProxyKubelet');
          if (v) out.push({ ...v, relativeTo: formatVersion(kubelet) });
        }
        break;
      }
      default: {
        const local = c.node !== undefined ? apis.filter((a) => a.node === c.node).map((a) => a.version) : [];
        const range = allowedRange(c.component, local.length > 0 ? local : apiVersions);
        const v = violation(c, range, SKEW_POLICY[c.component], (d) => `Skew${pascal(c.component)}${d}`);
        if (v) out.push(v);
      }
    }
  }
  for (const v of out) if (v.node === undefined) delete v.node;
  return out;
}
