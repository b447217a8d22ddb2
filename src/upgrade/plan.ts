// The upgrade plan: from what discovery found (ClusterVersions) and a target, a chain of
// one-minor control-plane hops, which kubelets must move before each hop, kubeadm's
// COMPONENT NODE CURRENT TARGET rows, and findings. Pure: no I/O, `today` comes in.
//
// The rules it follows (kubernetes.io/releases/version-skew-policy):
// - kube-apiserver never skips a minor, even in a single-instance cluster: one hop per minor.
// - controller-manager and scheduler move with the apiserver in each hop (same minor, may lag one).
// - kubelets must never be newer than the oldest apiserver and may lag 3 minors (2 before 1.25 /
//   control plane 1.28). Before a hop to minor M, kubelets older than what apiserver M allows move
//   first, to the control plane's version at that moment; the rest stay where they are.
// - kubelet upgrades may skip minors as long as skew holds (KEP-3935's own example: control plane
//   v1.40 -> v1.41 -> v1.42 -> v1.43, nodes v1.40 -> v1.43). Every minor kubelet upgrade needs a
//   drain: in-place minor kubelet upgrades are not supported.
// - Control-plane nodes' kubelets follow each hop (kubeadm's procedure upgrades them right after
//   `kubeadm upgrade apply|node`); workers move to the target after the last hop.
import { type ApiUsage, findRemovedApis, objectRef } from './removedapis.js';
import { RELEASES_AS_OF, isEndOfLife, latestPatch, newestKnownMinor, release, supportedMinors } from './releases.js';
import { type ComponentVersion, type SkewViolation, allowedRange, checkSkew, formatRange, maxOlderMinors } from './skew.js';
import {
  type Version,
  addMinor,
  compareCore,
  formatMinor,
  formatVersion,
  isPrerelease,
  maxVersion,
  minVersion,
  minorKey,
  tryParseVersion,
} from './version.js';

export interface ClusterVersions {
  apiservers: Array<{ node: string; version: Version }>;
  controllerManagers: Array<{ node: string; version: Version }>;
  schedulers: Array<{ node: string; version: Version }>;
  etcd: { topology: 'stacked' | 'external'; members: Array<{ node?: string; version: string }> };
  kubelets: Array<{ node: string; version: Version; controlPlane: boolean }>;
  kubeProxy?: Version;
  coreDNS?: string;
  serverVersion: Version;
}

export type Severity = 'blocking' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  code: string;
  object?: string;
  message: string;
  fix: string;
  hop?: string;
}

export interface ComponentRow {
  component: string;
  node: string;
  current: string;
  target: string;
}

/** One kubelet upgrade: before a hop (kubeletsFirst) or after its control-plane step (kubeletsAfter). */
export interface KubeletMove {
  node: string;
  from: string;
  to: string;
  why: string;
  /** Minors jumped over ('1.27', '1.28'), allowed by the skew policy; empty when none. */
  skips?: string[];
}

export interface Hop {
  from: Version;
  to: Version;
  /** Kubelets that must be upgraded before this hop's control-plane step. */
  kubeletsFirst: KubeletMove[];
  /** kubeadm's "Upgrade to ..." table: kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, CoreDNS, etcd. */
  controlPlane: ComponentRow[];
  /** One kubelet row per node (kubeadm's manual-upgrade table): CURRENT when the control-plane step starts, TARGET after the hop. */
  kubelets: ComponentRow[];
  findings: Finding[];
  /** Kubelets upgraded after this hop's control-plane step (control-plane nodes; every node in the last hop). */
  kubeletsAfter?: KubeletMove[];
  /** 'v1.31 -> v1.32' (or 'v1.31.4 -> v1.31.14' for a patch upgrade): the value of Finding.hop. */
  label?: string;
}

export interface UpgradePlan {
  current: Version;
  target: Version | null;
  hops: Hop[];
  findings: Finding[];
  blocking: boolean;
  releasesAsOf: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** A new minor comes out about every four months; older than that, the table is probably missing one. */
const STALE_AFTER_DAYS = 120;

function ord(v: Version): number {
  return v.major * 1000 + v.minor;
}

function maxCore(a: Version, b: Version): Version {
  return compareCore(b, a) > 0 ? b : a;
}

/** The newer of two add-on tags ('3.5.16-0', 'v1.11.3'); the current one when either can't be read. */
function newerTag(current: string, candidate: string): string {
  if (candidate === '') return current;
  const c = tryParseVersion(current);
  const n = tryParseVersion(candidate);
  if (!c || !n) return current;
  return compareCore(n, c) > 0 ? candidate : current;
}

function hopLabel(from: Version, to: Version): string {
  return ord(from) === ord(to) ? `${formatVersion(from)} -> ${formatVersion(to)}` : `${formatMinor(from)} -> ${formatMinor(to)}`;
}

function minorsBetween(from: Version, to: Version): string[] {
  const out: string[] = [];
  for (let m = from.minor + 1; m < to.minor; m++) out.push(`${from.major}.${m}`);
  return out;
}

function staticPod(component: string, node: string | undefined): string {
  return node ? `pod kube-system/${component}-${node}` : component;
}

function skewFinding(v: SkewViolation): Finding {
  const where = v.node ? ` on node/${v.node}` : '';
  let object: string;
  let fix: string;
  switch (v.component) {
    case 'kubelet':
      object = `node/${v.node}`;
      fix =
        v.direction === 'too-old'
          ? `Drain node/${v.node}, upgrade its kubelet to a version in ${v.allowed} (the control plane's minor is the usual choice), restart the kubelet and uncordon.`
          : `Downgrading a kubelet is not supported: replace node/${v.node} with one running ${v.allowed}, or upgrade the control plane (one minor at a time) until the kubelet is no newer than every kube-apiserver.`;
      break;
    case 'kube-proxy':
      object = 'daemonset.apps kube-system/kube-proxy';
      fix =
        v.code === 'SkewKubeProxyKubelet'
          ? `Upgrade the kubelet on node/${v.node} or set the kube-proxy image to a version in ${v.allowed} (kubeadm upgrade apply sets it to the control plane's version).`
          : `Set the kube-proxy DaemonSet image to a version in ${v.allowed}; kubeadm upgrade apply sets it to the control plane's version.`;
      break;
    case 'kubectl':
      object = 'kubectl';
      fix = `Install a kubectl in ${v.allowed} (from the pkgs.k8s.io repository of that minor).`;
      break;
    case 'kube-apiserver':
      object = staticPod(v.component, v.node);
      fix = `Upgrade kube-apiserver${where} one minor at a time until it is in ${v.allowed} (kubeadm upgrade node on that control-plane node); until then the other instances must not be upgraded further.`;
      break;
    default:
      object = staticPod(v.component, v.node);
      fix =
        v.direction === 'too-old'
          ? `Upgrade ${v.component}${where} to ${v.allowed} (kubeadm upgrade apply on the first control-plane node, kubeadm upgrade node on the others).`
          : `Upgrade the kube-apiserver instances it talks to first (one minor at a time), or run ${v.component}${where} at ${v.allowed}.`;
  }
  const against = v.relativeTo ? ` (kubelet on that node: ${v.relativeTo})` : '';
  return {
    severity: v.severity,
    code: v.code ?? 'SkewViolation',
    object,
    message: `${v.component} ${v.version}${where} is outside the supported version skew${against}: allowed ${v.allowed}. ${v.rule}`,
    fix,
  };
}

interface State {
  apis: Array<{ node: string; version: Version }>;
  cms: Array<{ node: string; version: Version }>;
  scheds: Array<{ node: string; version: Version }>;
  kubelets: Array<{ node: string; version: Version; controlPlane: boolean }>;
  kubeProxy?: Version;
  coreDNS?: string;
  etcd: Array<{ node?: string; version: string }>;
}

function currentComponents(cluster: ClusterVersions, apis: Array<{ node: string; version: Version }>): ComponentVersion[] {
  const out: ComponentVersion[] = [];
  const withNode = (node: string) => (node ? { node } : {});
  for (const a of apis) out.push({ component: 'kube-apiserver', ...withNode(a.node), version: a.version });
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

/** Findings about the cluster as it is, whatever the target. */
function currentFindings(cluster: ClusterVersions, apis: Array<{ node: string; version: Version }>, today: Date): Finding[] {
  const out: Finding[] = checkSkew(currentComponents(cluster, apis)).map(skewFinding);

  // kubeadm's own warning when the control plane is half-upgraded.
  const byVersion = new Map<string, string[]>();
  for (const a of apis) byVersion.set(formatVersion(a.version), [...(byVersion.get(formatVersion(a.version)) ?? []), a.node]);
  if (byVersion.size > 1) {
    const list = [...byVersion].map(([v, nodes]) => `${v} on [${nodes.join(' ')}]`).join(', ');
    out.push({
      severity: 'warning',
      code: 'ApiserverVersionsDiffer',
      message: `Different API server versions in the cluster were discovered: ${list}.`,
      fix: 'Please upgrade your control plane nodes to the same version of Kubernetes (kubeadm upgrade node on each remaining control-plane node).',
    });
  }

  // Kubelets at the oldest minor the policy allows block the next control-plane upgrade.
  const newest = maxVersion(apis.map((a) => a.version)) as Version;
  const range = allowedRange('kubelet', apis.map((a) => a.version));
  for (const k of cluster.kubelets) {
    if (ord(k.version) === ord(range.min) && ord(range.min) < ord(newest)) {
      out.push({
        severity: 'warning',
        code: 'KubeletLagging',
        object: `node/${k.node}`,
        message: `kubelet ${formatVersion(k.version)} on node/${k.node} is ${ord(newest) - ord(k.version)} minor versions behind kube-apiserver ${formatVersion(newest)}, the most the policy allows: running kubelets persistently ${maxOlderMinors('kubelet', newest)} minor versions behind means they must be upgraded before the control plane can be upgraded.`,
        fix: `Drain node/${k.node}, upgrade its kubelet (up to ${formatMinor(minVersion(apis.map((a) => a.version)) as Version)}), restart it and uncordon, before the next control-plane upgrade.`,
      });
    }
  }

  const cur = minVersion(apis.map((a) => a.version)) as Version;
  const rel = release(cur);
  if (rel && isEndOfLife(cur, today)) {
    out.push({
      severity: 'warning',
      code: 'ClusterEndOfLife',
      message: `Kubernetes ${formatMinor(cur)} reached end of life on ${rel.endOfLife}: it gets no more patches, not even security fixes.`,
      fix: `Upgrade, one minor at a time, to a supported minor (${supportedMinors(today).map((m) => `v${m}`).join(', ') || 'see kubernetes.io/releases'}).`,
    });
  }

  const ageDays = Math.floor((today.getTime() - Date.parse(`${RELEASES_AS_OF}T00:00:00Z`)) / DAY_MS);
  if (ageDays > STALE_AFTER_DAYS) {
    out.push({
      severity: 'info',
      code: 'ReleaseTableStale',
      message: `upkeep's release table is from ${RELEASES_AS_OF} (${ageDays} days ago; newest known minor v${newestKnownMinor()}); newer releases and patches may exist.`,
      fix: 'Check kubernetes.io/releases, and update upkeep for a current table.',
    });
  }
  return out;
}

/** The concrete version a target resolves to: an explicit patch as given, a bare minor to its latest known patch. */
function resolveTarget(target: Version, current: Version): Version {
  if (!target.minorOnly) return target;
  const latest = latestPatch(minorKey(target));
  if (latest && ord(current) === ord(target) && compareCore(current, latest) > 0) {
    // The table is older than the cluster's patch: stay on what runs.
    return { major: current.major, minor: current.minor, patch: current.patch, raw: `v${current.major}.${current.minor}.${current.patch}` };
  }
  return latest ?? target;
}

function kubeadmNotes(): Finding[] {
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

/**
 * Plan an upgrade to `target` (null: report the cluster's current skew violations only).
 * `extra.findings` (preflight) are included; `extra.removedApiUsages` are checked for every hop.
 */
export function planUpgrade(
  cluster: ClusterVersions,
  target: Version | null,
  extra?: { findings?: Finding[]; removedApiUsages?: ApiUsage[]; today?: Date },
): UpgradePlan {
  const today = extra?.today ?? new Date();
  const apis = cluster.apiservers.length > 0 ? cluster.apiservers : [{ node: '', version: cluster.serverVersion }];
  // kubeadm's "Cluster version" is the highest apiserver; hops start from the lowest.
  const current = maxVersion(apis.map((a) => a.version)) as Version;
  const base = minVersion(apis.map((a) => a.version)) as Version;

  const findings: Finding[] = [...currentFindings(cluster, apis, today), ...(extra?.findings ?? [])];
  const done = (resolved: Version | null, hops: Hop[], notes: Finding[] = []): UpgradePlan => {
    for (const h of hops) findings.push(...h.findings);
    findings.push(...notes);
    return { current, target: resolved, hops, findings, blocking: findings.some((f) => f.severity === 'blocking'), releasesAsOf: RELEASES_AS_OF };
  };
  if (target === null) return done(null, []);

  const asked = formatVersion(target);
  if (target.major !== current.major) {
    findings.push({
      severity: 'blocking',
      code: 'UnsupportedTarget',
      message: `Specified version to upgrade to "${asked}" has a different major version than the cluster (${formatVersion(current)}).`,
      fix: `Choose a v${current.major}.x target.`,
    });
    return done(target, []);
  }

  const isDowngrade = target.minorOnly ? ord(target) < ord(current) : compareCore(target, current) < 0;
  if (isDowngrade) {
    findings.push({
      severity: 'blocking',
      code: 'Downgrade',
      message: `Specified version "${asked}" is lower than the cluster version ${formatVersion(current)}; upkeep plans upgrades only.`,
      fix:
        ord(target) < ord(current)
          ? `Control-plane minor downgrades are not supported (etcd may already hold objects only the newer version understands): to go back, restore the etcd snapshot taken before the upgrade. Otherwise choose a target at or above ${formatVersion(current)}.`
          : `Choose a target at or above ${formatVersion(current)} (or plan with no target to check the cluster as it is).`,
    });
    return done(target, []);
  }

  const resolved = resolveTarget(target, current);
  const targetKey = minorKey(resolved);
  const targetRelease = release(resolved);
  if (!targetRelease) {
    findings.push({
      severity: 'blocking',
      code: 'UnknownVersion',
      message: `${formatMinor(resolved)} is not in upkeep's release table (as of ${RELEASES_AS_OF}; newest known v${newestKnownMinor()}): upkeep cannot confirm it exists, nor which patch, etcd and CoreDNS it brings, nor which APIs it removes.`,
      fix: `Check kubernetes.io/releases; update upkeep for a newer release table, or choose a target up to v${newestKnownMinor()}.`,
    });
  } else {
    const latest = tryParseVersion(targetRelease.latestPatch);
    if (!target.minorOnly && latest && compareCore(resolved, latest) > 0) {
      findings.push({
        severity: 'warning',
        code: 'UnknownPatch',
        message: `${asked} is newer than the latest ${formatMinor(resolved)} patch upkeep knows (${targetRelease.latestPatch}, as of ${RELEASES_AS_OF}).`,
        fix: `Check that ${asked} exists (kubernetes.io/releases/${targetKey}); otherwise use ${targetRelease.latestPatch}.`,
      });
    }
    if (isEndOfLife(resolved, today)) {
      findings.push({
        severity: 'warning',
        code: 'TargetEndOfLife',
        message: `The target ${formatMinor(resolved)} reached end of life on ${targetRelease.endOfLife}: it gets no more patches, not even security fixes.`,
        fix: `Upgrade further, to a supported minor (${supportedMinors(today).map((m) => `v${m}`).join(', ') || 'see kubernetes.io/releases'}).`,
      });
    }
  }
  if (isPrerelease(resolved)) {
    findings.push({
      severity: 'warning',
      code: 'PreReleaseTarget',
      message: `${asked} is a pre-release; kubeadm refuses it unless allowed explicitly.`,
      fix: /^rc/.test(resolved.pre ?? '')
        ? 'Use a released version, or pass --allow-release-candidate-upgrades to kubeadm upgrade plan/apply (test clusters only).'
        : 'Use a released version, or pass --allow-experimental-upgrades to kubeadm upgrade plan/apply (test clusters only).',
    });
  }

  const controlPlaneAtTarget = [...apis, ...cluster.controllerManagers, ...cluster.schedulers].every((c) => compareCore(c.version, resolved) >= 0);
  const kubeletsAtTarget = cluster.kubelets.every((k) => compareCore(k.version, resolved) >= 0);
  if (controlPlaneAtTarget && kubeletsAtTarget) {
    findings.push({
      severity: 'info',
      code: 'AlreadyAtTarget',
      message: `The control plane and every kubelet are already at ${formatVersion(resolved)} or newer: nothing to upgrade.`,
      fix: 'None needed.',
    });
    return done(resolved, []);
  }

  const latestOfCurrent = tryParseVersion(release(base)?.latestPatch);
  if (ord(resolved) > ord(base) && latestOfCurrent && compareCore(base, latestOfCurrent) < 0) {
    findings.push({
      severity: 'info',
      code: 'LatestPatchFirst',
      message: `The control plane runs ${formatVersion(base)}; the latest version in the ${formatMinor(base)} series is ${formatVersion(latestOfCurrent)}. The skew policy recommends being on the most recent patch of the current minor before a minor upgrade.`,
      fix: `Optionally kubeadm upgrade apply ${formatVersion(latestOfCurrent)} first.`,
    });
  }

  const hops = buildHops(cluster, apis, base, resolved, extra?.removedApiUsages ?? []);
  if (hops.length > 1) {
    findings.push({
      severity: 'info',
      code: 'OneMinorAtATime',
      message: `kube-apiserver must not skip minor versions, even in a single-instance cluster: ${formatMinor(base)} to ${formatMinor(resolved)} takes ${hops.length} control-plane upgrades (${hops.map((h) => formatVersion(h.to)).join(', ')}).`,
      fix: 'Run the hops in order; each one is a complete kubeadm upgrade (plan, apply on the first control-plane node, upgrade node on the others).',
    });
  }
  return done(resolved, hops, kubeadmNotes());
}

function buildHops(cluster: ClusterVersions, apis: Array<{ node: string; version: Version }>, base: Version, target: Version, usages: ApiUsage[]): Hop[] {
  const state: State = {
    apis: apis.map((a) => ({ ...a })),
    cms: cluster.controllerManagers.map((c) => ({ ...c })),
    scheds: cluster.schedulers.map((s) => ({ ...s })),
    kubelets: cluster.kubelets.map((k) => ({ ...k })),
    kubeProxy: cluster.kubeProxy,
    coreDNS: cluster.coreDNS,
    etcd: cluster.etcd.topology === 'stacked' ? cluster.etcd.members.map((m) => ({ ...m })) : [],
  };
  const steps: Version[] = [];
  for (let m = base.minor + 1; m < target.minor; m++) {
    const v = addMinor(base, m - base.minor);
    steps.push(latestPatch(minorKey(v)) ?? v);
  }
  steps.push(target);

  const hops: Hop[] = [];
  steps.forEach((to, i) => hops.push(hop(state, to, i === steps.length - 1, cluster.etcd.topology, usages)));
  return hops;
}

function hop(state: State, to: Version, last: boolean, etcdTopology: 'stacked' | 'external', usages: ApiUsage[]): Hop {
  const from = minVersion(state.apis.map((a) => a.version)) as Version;
  const label = hopLabel(from, to);
  const findings: Finding[] = [];
  const crossesMinor = ord(to) > ord(from);

  // 1. Kubelets the new apiserver would leave out of policy move first, to the control plane's
  //    version now (a kubelet must never be newer than the oldest apiserver).
  const apisAfter = state.apis.map((a) => maxCore(a.version, to));
  const range = allowedRange('kubelet', apisAfter);
  const kubeletsFirst: KubeletMove[] = [];
  for (const k of state.kubelets) {
    if (ord(k.version) >= ord(range.min)) continue;
    const skips = minorsBetween(k.version, from);
    const skipText = skips.length > 0 ? `; skipping ${skips.map((m) => `v${m}`).join(', ')} is allowed: kubelet upgrades may skip minors as long as skew holds` : '';
    const move: KubeletMove = {
      node: k.node,
      from: formatVersion(k.version),
      to: formatVersion(from),
      why: `kubelet ${formatVersion(k.version)} would be ${ord(to) - ord(k.version)} minor versions older than kube-apiserver ${formatMinor(to)}, which allows ${formatRange(range)}${skipText}`,
      skips,
    };
    kubeletsFirst.push(move);
    findings.push({
      severity: 'warning',
      code: 'KubeletUpgradeFirst',
      object: `node/${k.node}`,
      message: `kubelet ${move.from} on node/${k.node} must be upgraded before the control plane moves to ${formatMinor(to)}: ${move.why}.`,
      fix: `Drain node/${k.node}, upgrade kubelet and kubectl to ${move.to} (pkgs.k8s.io repository ${formatMinor(from)}), restart the kubelet, uncordon; then upgrade the control plane.`,
      hop: label,
    });
    k.version = from;
  }
  // kubeadm up to 1.28 refuses (skippably) kubelets more than one minor behind the target.
  if (crossesMinor && to.minor <= 28) {
    const old = state.kubelets.filter((k) => ord(to) - ord(k.version) > 1);
    if (old.length > 0) {
      findings.push({
        severity: 'warning',
        code: 'KubeadmKubeletSkewCheck',
        message: `kubeadm ${formatMinor(to)} allows kubelets only one minor behind the target: upgrade apply will report "There are kubelets in this cluster that are too old" for ${old.map((k) => `node/${k.node} (${formatVersion(k.version)})`).join(', ')}.`,
        fix: `Upgrade those kubelets to ${formatMinor(from)} first, or pass --force to kubeadm upgrade apply (it skips only skippable checks); the skew policy itself allows them.`,
        hop: label,
      });
    }
  }

  // 2. The control-plane step, in kubeadm's table order.
  const controlPlane: ComponentRow[] = [];
  const move = (component: string, list: Array<{ node: string; version: Version }>) => {
    for (const c of list) {
      const next = maxCore(c.version, to);
      controlPlane.push({ component, node: c.node, current: formatVersion(c.version), target: formatVersion(next) });
      c.version = next;
    }
  };
  move('kube-apiserver', state.apis);
  move('kube-controller-manager', state.cms);
  move('kube-scheduler', state.scheds);
  if (state.kubeProxy) {
    const next = maxCore(state.kubeProxy, to);
    controlPlane.push({ component: 'kube-proxy', node: '', current: formatVersion(state.kubeProxy), target: formatVersion(next) });
    state.kubeProxy = next;
  }
  const rel = release(to);
  if (state.coreDNS !== undefined) {
    const next = newerTag(state.coreDNS, rel?.coredns ?? '');
    controlPlane.push({ component: 'CoreDNS', node: '', current: state.coreDNS, target: next });
    state.coreDNS = next;
  }
  for (const m of state.etcd) {
    const next = newerTag(m.version, rel?.etcd ?? '');
    controlPlane.push({ component: 'etcd', node: m.node ?? '', current: m.version, target: next });
    m.version = next;
  }
  if (rel && (rel.etcd === '' || rel.coredns === '')) {
    findings.push({
      severity: 'info',
      code: 'AddonVersionUnknown',
      message: `upkeep does not know which etcd/CoreDNS versions kubeadm ${formatMinor(to)} installs; the plan keeps the running ones.`,
      fix: `Run kubeadm upgrade plan ${formatVersion(to)} with kubeadm ${formatMinor(to)} to see its targets.`,
      hop: label,
    });
  }
  if (etcdTopology === 'external' && crossesMinor) {
    findings.push({
      severity: 'info',
      code: 'ExternalEtcd',
      message: `etcd is external: kubeadm does not upgrade it${rel?.etcd ? `; kubeadm ${formatMinor(to)} itself would run etcd ${rel.etcd}` : ''}.`,
      fix: `Check that the external etcd version is supported by Kubernetes ${formatMinor(to)} and upgrade it separately if needed (take a snapshot first).`,
      hop: label,
    });
  }
  if (crossesMinor) {
    findings.push({
      severity: 'info',
      code: 'PackageRepository',
      message: `The pkgs.k8s.io package repository is per minor: kubeadm, kubelet and kubectl ${formatMinor(to)} are only in the ${formatMinor(to)} repository.`,
      fix: `On each node, switch the repository from ${formatMinor(from)} to ${formatMinor(to)} before installing (deb: /etc/apt/sources.list.d/kubernetes.list; rpm: /etc/yum.repos.d/kubernetes.repo), then upgrade kubeadm first.`,
      hop: label,
    });
  }

  // 3. Removed APIs this hop takes away.
  if (crossesMinor) {
    for (const u of findRemovedApis(usages, minorKey(from), minorKey(to))) {
      const evidence =
        u.source === 'served'
          ? 'the cluster serves it'
          : u.source === 'last-applied'
            ? 'its kubectl.kubernetes.io/last-applied-configuration annotation'
            : 'a managedFields entry: a client writes it with that version';
      const replacement = u.api.replacement === 'none' ? 'it has no replacement' : `use ${u.api.replacement}`;
      if (u.source === 'served') {
        findings.push({
          severity: 'warning',
          code: 'RemovedApiServed',
          object: `${u.apiVersion}${u.api.kind ? ` ${u.api.kind}` : ''}`,
          message: `${u.apiVersion} ${u.api.kind} is served now and no longer served from v${u.api.removedIn} (${evidence}); any client or manifest still using it will fail after this hop: ${replacement}.`,
          fix: `Find callers with the apiserver_requested_deprecated_apis metric or audit events annotated k8s.io/deprecated, and move them to ${u.api.replacement === 'none' ? 'an alternative' : u.api.replacement}.${u.api.notes ? ` ${u.api.notes}` : ''}`,
          hop: label,
        });
        continue;
      }
      const obj = objectRef(u, u.api);
      findings.push({
        severity: 'blocking',
        code: 'RemovedApi',
        object: obj,
        message: `${obj} uses ${u.apiVersion} ${u.api.kind} (${evidence}), which v${u.api.removedIn} no longer serves; ${replacement}.`,
        fix:
          u.api.replacement === 'none'
            ? `${u.api.notes ?? 'Remove the use of this API'} Then delete the object and the manifests that create it before upgrading to v${u.api.removedIn}.`
            : u.source === 'last-applied'
              ? `Change the manifest to apiVersion ${u.api.replacement} and re-apply it, so the annotation records the new version (the stored object is already readable as ${u.api.replacement}).${u.api.notes ? ` ${u.api.notes}` : ''}`
              : `Update the client that writes ${u.apiVersion} (the managedFields manager) to ${u.api.replacement}; if the entry is stale, re-applying the object with ${u.api.replacement} clears it.${u.api.notes ? ` ${u.api.notes}` : ''}`,
        hop: label,
      });
    }
  }

  // 4. Kubelets after the control-plane step: control-plane nodes every hop, every node at the end.
  const kubelets: ComponentRow[] = [];
  const kubeletsAfter: KubeletMove[] = [];
  for (const k of state.kubelets) {
    const next = k.controlPlane || last ? maxCore(k.version, to) : k.version;
    kubelets.push({ component: 'kubelet', node: k.node, current: formatVersion(k.version), target: formatVersion(next) });
    if (compareCore(next, k.version) !== 0) {
      const skips = minorsBetween(k.version, next);
      kubeletsAfter.push({
        node: k.node,
        from: formatVersion(k.version),
        to: formatVersion(next),
        why: k.controlPlane && !last ? 'control-plane node: its kubelet follows the control plane' : `the target is ${formatVersion(to)}`,
        skips,
      });
    }
    k.version = next;
  }

  const skipping = [...kubeletsFirst, ...kubeletsAfter].filter((m) => (m.skips ?? []).length > 0);
  if (skipping.length > 0) {
    findings.push({
      severity: 'info',
      code: 'KubeletSkipsMinors',
      message: `${skipping.map((m) => `node/${m.node} (${m.from} -> ${m.to})`).join(', ')} skip minor versions. The skew policy allows it (KEP-3935: control plane v1.40 -> v1.41 -> v1.42 -> v1.43, nodes v1.40 -> v1.43); kubeadm documents node upgrades one minor at a time.`,
      fix: "Drain first (in-place minor kubelet upgrades are not supported) and point the node at the pkgs.k8s.io repository of the minor it moves to; or join a replacement node at that version and retire the old one.",
      hop: label,
    });
  }

  return { from, to, kubeletsFirst, controlPlane, kubelets, findings, kubeletsAfter, label };
}
