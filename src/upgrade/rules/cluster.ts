// The plan's rules about the cluster as it stands, whatever the target: the version skew policy
// now, kubeadm's half-upgraded control plane warning, kubelets at the edge of the policy, end of
// life, and the age of upkeep's release table. Each rule reads the cluster and returns findings.
import type { ClusterVersions, Finding, Instance } from '../plan.js';
import { RELEASES_AS_OF, isEndOfLife, newestKnownMinor, release, supportedMinors } from '../releases.js';
import { type ComponentVersion, type SkewViolation, allowedRange, checkSkew, maxOlderMinors } from '../skew.js';
import { formatMinor, formatVersion, minorOrder as ord, newestOf, oldestOf } from '../version.js';

export interface ClusterContext {
  cluster: ClusterVersions;
  /** The kube-apiservers, never empty: /version's when no static pod was found (a managed control plane). */
  apiservers: readonly Instance[];
  today: Date;
}

export type ClusterRule = (c: ClusterContext) => Finding[];

const DAY_MS = 24 * 60 * 60 * 1000;
/** A new minor comes out about every four months; older than that, the table is probably missing one. */
const STALE_AFTER_DAYS = 120;

function staticPod(component: string, node: string | undefined): string {
  return node ? `pod kube-system/${component}-${node}` : component;
}

function skewObjectAndFix(v: SkewViolation): { object: string; fix: string } {
  const where = v.node ? ` on node/${v.node}` : '';
  switch (v.component) {
    case 'kubelet':
      return {
        object: `node/${v.node}`,
        fix:
          v.direction === 'too-old'
            ? `Drain node/${v.node}, upgrade its kubelet to a version in ${v.allowed} (the control plane's minor is the usual choice), restart the kubelet and uncordon.`
            : `Downgrading a kubelet is not supported: replace node/${v.node} with one running ${v.allowed}, or upgrade the control plane (one minor at a time) until the kubelet is no newer than every kube-apiserver.`,
      };
    case 'kube-proxy':
      return {
        object: 'daemonset.apps kube-system/kube-proxy',
        fix:
          v.code === 'SkewKubeProxyKubelet'
            ? `Upgrade the kubelet on node/${v.node} or set the kube-proxy image to a version in ${v.allowed} (kubeadm upgrade apply sets it to the control plane's version).`
            : `Set the kube-proxy DaemonSet image to a version in ${v.allowed}; kubeadm upgrade apply sets it to the control plane's version.`,
      };
    case 'kubectl':
      return { object: 'kubectl', fix: `Install a kubectl in ${v.allowed} (from the pkgs.k8s.io repository of that minor).` };
    case 'kube-apiserver':
      return {
        object: staticPod(v.component, v.node),
        fix: `Upgrade kube-apiserver${where} one minor at a time until it is in ${v.allowed} (kubeadm upgrade node on that control-plane node); until then the other instances must not be upgraded further.`,
      };
    default:
      return {
        object: staticPod(v.component, v.node),
        fix:
          v.direction === 'too-old'
            ? `Upgrade ${v.component}${where} to ${v.allowed} (kubeadm upgrade apply on the first control-plane node, kubeadm upgrade node on the others).`
            : `Upgrade the kube-apiserver instances it talks to first (one minor at a time), or run ${v.component}${where} at ${v.allowed}.`,
      };
  }
}

/** A skew policy violation as a finding: the object kubectl would name, and what to upgrade or replace. */
export function skewFinding(v: SkewViolation): Finding {
  const where = v.node ? ` on node/${v.node}` : '';
  const { object, fix } = skewObjectAndFix(v);
  const against = v.relativeTo ? ` (kubelet on that node: ${v.relativeTo})` : '';
  return {
    severity: v.severity,
    code: v.code ?? 'SkewViolation',
    object,
    message: `${v.component} ${v.version}${where} is outside the supported version skew${against}: allowed ${v.allowed}. ${v.rule}`,
    fix,
  };
}

/** Every component discovery found, as the skew check reads them. */
export function currentComponents(cluster: ClusterVersions, apiservers: readonly Instance[]): ComponentVersion[] {
  const out: ComponentVersion[] = [];
  const withNode = (node: string) => (node ? { node } : {});
  for (const a of apiservers) out.push({ component: 'kube-apiserver', ...withNode(a.node), version: a.version });
  for (const c of cluster.controllerManagers) out.push({ component: 'kube-controller-manager', ...withNode(c.node), version: c.version });
  for (const s of cluster.schedulers) out.push({ component: 'kube-scheduler', ...withNode(s.node), version: s.version });
  for (const k of cluster.kubelets) out.push({ component: 'kubelet', node: k.node, version: k.version });
  if (cluster.kubeProxy) {
    // The DaemonSet runs one image on every node, next to each kubelet.
    if (cluster.kubelets.length === 0) out.push({ component: 'kube-proxy', version: cluster.kubeProxy });
    for (const k of cluster.kubelets) out.push({ component: 'kube-proxy', node: k.node, version: cluster.kubeProxy });
  }
  return out;
}

/** Components outside the version skew policy now. */
export const skewViolations: ClusterRule = (c) => checkSkew(currentComponents(c.cluster, c.apiservers)).map(skewFinding);

/** kubeadm's own warning when the control plane is half-upgraded. */
export const apiserverVersionsDiffer: ClusterRule = (c) => {
  const byVersion = new Map<string, string[]>();
  for (const a of c.apiservers) byVersion.set(formatVersion(a.version), [...(byVersion.get(formatVersion(a.version)) ?? []), a.node]);
  if (byVersion.size <= 1) return [];
  const list = [...byVersion].map(([v, nodes]) => `${v} on [${nodes.join(' ')}]`).join(', ');
  return [
    {
      severity: 'warning',
      code: 'ApiserverVersionsDiffer',
      message: `Different API server versions in the cluster were discovered: ${list}.`,
      fix: 'Please upgrade your control plane nodes to the same version of Kubernetes (kubeadm upgrade node on each remaining control-plane node).',
    },
  ];
};

/** Kubelets at the oldest minor the policy allows block the next control-plane upgrade. */
export const kubeletsLagging: ClusterRule = (c) => {
  const versions = c.apiservers.map((a) => a.version);
  const newest = newestOf(versions);
  const range = allowedRange('kubelet', versions);
  return c.cluster.kubelets
    .filter((k) => ord(k.version) === ord(range.min) && ord(range.min) < ord(newest))
    .map((k) => ({
      severity: 'warning',
      code: 'KubeletLagging',
      object: `node/${k.node}`,
      message: `kubelet ${formatVersion(k.version)} on node/${k.node} is ${ord(newest) - ord(k.version)} minor versions behind kube-apiserver ${formatVersion(newest)}, the most the policy allows: running kubelets persistently ${maxOlderMinors('kubelet', newest)} minor versions behind means they must be upgraded before the control plane can be upgraded.`,
      fix: `Drain node/${k.node}, upgrade its kubelet (up to ${formatMinor(oldestOf(versions))}), restart it and uncordon, before the next control-plane upgrade.`,
    }));
};

/** The control plane's minor gets no more patches. */
export const clusterEndOfLife: ClusterRule = (c) => {
  const current = oldestOf(c.apiservers.map((a) => a.version));
  const rel = release(current);
  if (!rel || !isEndOfLife(current, c.today)) return [];
  return [
    {
      severity: 'warning',
      code: 'ClusterEndOfLife',
      message: `Kubernetes ${formatMinor(current)} reached end of life on ${rel.endOfLife}: it gets no more patches, not even security fixes.`,
      fix: `Upgrade, one minor at a time, to a supported minor (${supportedMinors(c.today).map((m) => `v${m}`).join(', ') || 'see kubernetes.io/releases'}).`,
    },
  ];
};

/** upkeep's release table is old enough to be missing a minor. */
export const releaseTableStale: ClusterRule = (c) => {
  const ageDays = Math.floor((c.today.getTime() - Date.parse(`${RELEASES_AS_OF}T00:00:00Z`)) / DAY_MS);
  if (ageDays <= STALE_AFTER_DAYS) return [];
  return [
    {
      severity: 'info',
      code: 'ReleaseTableStale',
      message: `upkeep's release table is from ${RELEASES_AS_OF} (${ageDays} days ago; newest known minor v${newestKnownMinor()}); newer releases and patches may exist.`,
      fix: 'Check kubernetes.io/releases, and update upkeep for a current table.',
    },
  ];
};

/** In the order the plan lists them. */
export const CLUSTER_RULES: readonly ClusterRule[] = [skewViolations, apiserverVersionsDiffer, kubeletsLagging, clusterEndOfLife, releaseTableStale];
