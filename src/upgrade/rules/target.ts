// The plan's rules about the target, run in this order before any hop is planned: a different
// major or a downgrade stops planning; a target the release table does not know, a patch newer
// than it knows, an end-of-life or pre-release target warn or block; a cluster already at the
// target stops with nothing to do; an older patch of the current minor gets kubeadm's advice.
// Each rule returns findings and, when planning stops there, the target the plan reports.
import type { ClusterVersions, Finding, Hop, Instance } from '../plan.js';
import { PROVIDER_NAME, controlPlaneUpgradeCommands } from '../managed.js';
import { RELEASES_AS_OF, isEndOfLife, latestPatch, newestKnownMinor, release, supportedMinors } from '../releases.js';
import {
  type Version,
  compareCore,
  formatMinor,
  formatVersion,
  isPrerelease,
  minorKey,
  minorOrder as ord,
  tryParseVersion,
} from '../version.js';

export interface TargetContext {
  cluster: ClusterVersions;
  /** The kube-apiservers, never empty. */
  apiservers: readonly Instance[];
  /** kubeadm's "Cluster version": the newest kube-apiserver. */
  current: Version;
  /** Where the hops start: the oldest kube-apiserver. */
  base: Version;
  /** The target as given (--to v1.32 or v1.32.4). */
  asked: Version;
  /** What it resolves to: an explicit patch as given, a bare minor its latest known patch. */
  resolved: Version;
  today: Date;
}

export interface TargetCheck {
  findings: Finding[];
  /** Planning stops here; the plan reports this target and no hops. */
  stop?: Version;
}

export type TargetRule = (t: TargetContext) => TargetCheck;

/** The concrete version a target resolves to: an explicit patch as given, a bare minor to its latest known patch. */
export function resolveTarget(target: Version, current: Version): Version {
  if (!target.minorOnly) return target;
  const latest = latestPatch(minorKey(target));
  if (latest && ord(current) === ord(target) && compareCore(current, latest) > 0) {
    // The table is older than the cluster's patch: stay on what runs.
    return { major: current.major, minor: current.minor, patch: current.patch, raw: `v${current.major}.${current.minor}.${current.patch}` };
  }
  return latest ?? target;
}

function supported(today: Date): string {
  return supportedMinors(today).map((m) => `v${m}`).join(', ') || 'see kubernetes.io/releases';
}

/** kubeadm refuses a target of another major. */
export const differentMajor: TargetRule = ({ asked, current }) => {
  if (asked.major === current.major) return { findings: [] };
  return {
    stop: asked,
    findings: [
      {
        severity: 'blocking',
        code: 'UnsupportedTarget',
        message: `Specified version to upgrade to "${formatVersion(asked)}" has a different major version than the cluster (${formatVersion(current)}).`,
        fix: `Choose a v${current.major}.x target.`,
      },
    ],
  };
};

/** upkeep plans upgrades only: a minor downgrade is not supported at all, a patch one is not planned. */
export const downgrade: TargetRule = ({ asked, current }) => {
  const isDowngrade = asked.minorOnly ? ord(asked) < ord(current) : compareCore(asked, current) < 0;
  if (!isDowngrade) return { findings: [] };
  return {
    stop: asked,
    findings: [
      {
        severity: 'blocking',
        code: 'Downgrade',
        message: `Specified version "${formatVersion(asked)}" is lower than the cluster version ${formatVersion(current)}; upkeep plans upgrades only.`,
        fix:
          ord(asked) < ord(current)
            ? `Control-plane minor downgrades are not supported (etcd may already hold objects only the newer version understands): to go back, restore the etcd snapshot taken before the upgrade. Otherwise choose a target at or above ${formatVersion(current)}.`
            : `Choose a target at or above ${formatVersion(current)} (or plan with no target to check the cluster as it is).`,
      },
    ],
  };
};

/**
 * Targets refused before any planning (bad input, exit 2), as kubeadm refuses them: another
 * major, one lower than the cluster version, or a minor newer than the release table knows
 * (planning hop by hop towards it would invent every release in between). `current` is
 * kubeadm's cluster version, the newest kube-apiserver. Pure; undefined when the target is fine.
 */
export function targetRefusal(asked: Version, current: Version): string | undefined {
  const given = formatVersion(asked);
  if (asked.major !== current.major) return `Specified version to upgrade to "${given}" has a different major version than the cluster version "${formatVersion(current)}"`;
  const lower = asked.minorOnly ? ord(asked) < ord(current) : compareCore(asked, current) < 0;
  if (lower) return `Specified version to upgrade to "${given}" is lower than the cluster version "${formatVersion(current)}": downgrades are not supported (to go back, restore the etcd snapshot taken before the upgrade)`;
  const newest = newestKnownMinor();
  const [nMajor, nMinor] = newest.split('.').map(Number);
  if (asked.major === nMajor && asked.minor > nMinor) {
    return `Specified version to upgrade to "${given}" is beyond upkeep's release table (newest known v${newest}, as of ${RELEASES_AS_OF}): choose a target up to v${newest}, or update upkeep`;
  }
  return undefined;
}

/** What the release table says of the target: unknown minor (blocking, and planning stops), unknown patch, end of life. */
export const targetRelease: TargetRule = ({ asked, resolved, today }) => {
  const targetRelease = release(resolved);
  if (!targetRelease) {
    return {
      // Never hop towards a minor nobody knows: every release in between would be invented.
      stop: asked,
      findings: [
        {
          severity: 'blocking',
          code: 'UnknownVersion',
          message: `${formatMinor(resolved)} is not in upkeep's release table (as of ${RELEASES_AS_OF}; newest known v${newestKnownMinor()}): upkeep cannot confirm it exists, nor which patch, etcd and CoreDNS it brings, nor which APIs it removes.`,
          fix: `Check kubernetes.io/releases; update upkeep for a newer release table, or choose a target up to v${newestKnownMinor()}.`,
        },
      ],
    };
  }
  const findings: Finding[] = [];
  const latest = tryParseVersion(targetRelease.latestPatch);
  if (!asked.minorOnly && latest && compareCore(resolved, latest) > 0) {
    findings.push({
      severity: 'warning',
      code: 'UnknownPatch',
      message: `${formatVersion(asked)} is newer than the latest ${formatMinor(resolved)} patch upkeep knows (${targetRelease.latestPatch}, as of ${RELEASES_AS_OF}).`,
      fix: `Check that ${formatVersion(asked)} exists (kubernetes.io/releases/${minorKey(resolved)}); otherwise use ${targetRelease.latestPatch}.`,
    });
  }
  if (isEndOfLife(resolved, today)) {
    findings.push({
      severity: 'warning',
      code: 'TargetEndOfLife',
      message: `The target ${formatMinor(resolved)} reached end of life on ${targetRelease.endOfLife}: it gets no more patches, not even security fixes.`,
      fix: `Upgrade further, to a supported minor (${supported(today)}).`,
    });
  }
  return { findings };
};

/** kubeadm refuses pre-releases unless a flag allows them. */
export const preRelease: TargetRule = ({ asked, resolved }) => {
  if (!isPrerelease(resolved)) return { findings: [] };
  return {
    findings: [
      {
        severity: 'warning',
        code: 'PreReleaseTarget',
        message: `${formatVersion(asked)} is a pre-release; kubeadm refuses it unless allowed explicitly.`,
        fix: /^rc/.test(resolved.pre ?? '')
          ? 'Use a released version, or pass --allow-release-candidate-upgrades to kubeadm upgrade plan/apply (test clusters only).'
          : 'Use a released version, or pass --allow-experimental-upgrades to kubeadm upgrade plan/apply (test clusters only).',
      },
    ],
  };
};

/** Nothing to upgrade: the control plane and every kubelet are at the target or newer. */
export const alreadyAtTarget: TargetRule = ({ cluster, apiservers, resolved }) => {
  const atTarget = (c: { version: Version }) => compareCore(c.version, resolved) >= 0;
  const controlPlane = [...apiservers, ...cluster.controllerManagers, ...cluster.schedulers];
  if (!controlPlane.every(atTarget) || !cluster.kubelets.every(atTarget)) return { findings: [] };
  return {
    stop: resolved,
    findings: [
      {
        severity: 'info',
        code: 'AlreadyAtTarget',
        message: `The control plane and every kubelet are already at ${formatVersion(resolved)} or newer: nothing to upgrade.`,
        fix: 'None needed.',
      },
    ],
  };
};

/** The skew policy recommends the latest patch of the current minor before a minor upgrade. */
export const latestPatchFirst: TargetRule = ({ base, resolved }) => {
  const latestOfCurrent = tryParseVersion(release(base)?.latestPatch);
  if (!(ord(resolved) > ord(base) && latestOfCurrent && compareCore(base, latestOfCurrent) < 0)) return { findings: [] };
  return {
    findings: [
      {
        severity: 'info',
        code: 'LatestPatchFirst',
        message: `The control plane runs ${formatVersion(base)}; the latest version in the ${formatMinor(base)} series is ${formatVersion(latestOfCurrent)}. The skew policy recommends being on the most recent patch of the current minor before a minor upgrade.`,
        fix: `Optionally kubeadm upgrade apply ${formatVersion(latestOfCurrent)} first.`,
      },
    ],
  };
};

/**
 * A managed control plane (EKS, GKE, AKS) is upgraded by its provider, one minor at a time:
 * a target past its minor stops the plan (nothing moves: workers never pass the control plane's
 * minor) with the provider's command; a target within it plans the workers only.
 */
export const managedControlPlane: TargetRule = ({ cluster, current, resolved }) => {
  const m = cluster.managed;
  if (!m) return { findings: [] };
  const provider = `${PROVIDER_NAME[m.provider]} (${m.evidence})`;
  if (ord(resolved) <= ord(current)) {
    return {
      findings: [
        {
          severity: 'info',
          code: 'ManagedControlPlane',
          message: `The control plane is managed by ${provider}: upkeep upgrades only the workers, never past the control plane's ${formatMinor(current)}.`,
          fix: 'None needed.',
        },
      ],
    };
  }
  const next: Version = { major: current.major, minor: current.minor + 1, patch: 0, minorOnly: true, raw: `${current.major}.${current.minor + 1}` };
  const path = ord(resolved) > ord(next) ? ` one minor at a time (${formatMinor(next)} first, up to ${formatMinor(resolved)})` : '';
  return {
    stop: resolved,
    findings: [
      {
        severity: 'blocking',
        code: 'ManagedControlPlane',
        message: `The control plane is managed by ${provider}: upkeep does not upgrade it (there is no kubeadm and no static pod to move), and the workers' kubelets must not pass its ${formatMinor(current)}.`,
        fix: `Upgrade the control plane with the provider${path}: ${controlPlaneUpgradeCommands(m, next).join(' or ')}; then plan again for the workers.`,
      },
    ],
  };
};

/** In the order the plan runs them; the first that stops ends planning. */
export const TARGET_RULES: readonly TargetRule[] = [differentMajor, downgrade, managedControlPlane, targetRelease, preRelease, alreadyAtTarget, latestPatchFirst];

/** kube-apiserver never skips a minor: a plan of several hops says so. */
export function oneMinorAtATime(base: Version, target: Version, hops: ReadonlyArray<Pick<Hop, 'to'>>): Finding[] {
  if (hops.length <= 1) return [];
  return [
    {
      severity: 'info',
      code: 'OneMinorAtATime',
      message: `kube-apiserver must not skip minor versions, even in a single-instance cluster: ${formatMinor(base)} to ${formatMinor(target)} takes ${hops.length} control-plane upgrades (${hops.map((h) => formatVersion(h.to)).join(', ')}).`,
      fix: 'Run the hops in order; each one is a complete kubeadm upgrade (plan, apply on the first control-plane node, upgrade node on the others).',
    },
  ];
}

/** What kubeadm does not do, and what kubectl get nodes shows: notes for every plan with hops. */
export function kubeadmNotes(): Finding[] {
  return [
    {
      severity: 'info',
      code: 'KubeadmDoesNotUpgradeKubelet',
      message: 'kubeadm upgrades the control plane, kube-proxy, CoreDNS and stacked etcd; it does not upgrade kubelet or kubectl.',
      fix: 'On each node: drain, install the kubelet and kubectl packages of the new version, systemctl daemon-reload && systemctl restart kubelet, uncordon.',
    },
    {
      severity: 'info',
      code: 'KubectlGetNodesShowsKubelet',
      message: "kubectl get nodes shows each node's kubelet version, so its VERSION column lags until the kubelets are upgraded; the control plane's version is kube-apiserver's (kubectl version).",
      fix: 'Check the control plane with kubectl version or kubeadm upgrade plan, and each node with kubectl get nodes.',
    },
  ];
}
