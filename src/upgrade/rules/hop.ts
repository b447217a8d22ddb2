// The rules of one control-plane hop, in the order they run (as kubectl's drain filters: a fixed,
// readable order; decisions as data). Each reads the versions as the rules before it left them
// and the hop, and returns what it moves (the hop's rows), the versions after it, and findings:
//   1. kubeletsFirst          kubelets the new apiserver would leave out of policy move first
//   2. kubeadmKubeletCheck    kubeadm <= 1.28 refuses kubelets more than one minor behind
//   3. controlPlaneStep       kube-apiserver, controller-manager, scheduler, kube-proxy, CoreDNS, etcd
//   4. addonVersionsUnknown   the release table does not say which etcd/CoreDNS kubeadm installs
//   5. externalEtcd           kubeadm does not upgrade external etcd
//   6. packageRepository      pkgs.k8s.io has one repository per minor
//   7. removedApis            APIs this hop stops serving that the cluster still uses
//   8. kubeletsAfter          control-plane kubelets follow every hop; every kubelet the last one
//   9. kubeletsSkipMinors     kubelets that skip minors (allowed, noted)
import type { ComponentRow, Finding, Instance, KubeletMove } from '../plan.js';
import { type ApiUsage, type RemovedApi, findRemovedApis, objectRef } from '../removedapis.js';
import { release } from '../releases.js';
import { allowedRange, formatRange } from '../skew.js';
import { type Version, compareCore, formatMinor, formatVersion, minorKey, minorOrder as ord, tryParseVersion } from '../version.js';

/** The versions a plan moves, as they stand when a rule runs. */
export interface PlanState {
  apiservers: Instance[];
  controllerManagers: Instance[];
  schedulers: Instance[];
  kubelets: Array<Instance & { controlPlane: boolean }>;
  kubeProxy?: Version;
  coreDNS?: string;
  /** Stacked etcd members; external etcd is not kubeadm's to move. */
  etcd: Array<{ node?: string; version: string }>;
}

/** What a hop shows, built up rule by rule. */
export interface HopMoves {
  kubeletsFirst: KubeletMove[];
  controlPlane: ComponentRow[];
  kubelets: ComponentRow[];
  kubeletsAfter: KubeletMove[];
}

export interface HopContext {
  /** The oldest kube-apiserver when the hop starts. */
  from: Version;
  to: Version;
  /** 'v1.31 -> v1.32': Finding.hop. */
  label: string;
  /** The last hop: every kubelet moves to the target after it. */
  last: boolean;
  etcdTopology: 'stacked' | 'external';
  /** What the cluster uses of APIs that may be removed. */
  usages: readonly ApiUsage[];
  /** What the rules before this one moved. */
  moves: Readonly<HopMoves>;
}

export interface RuleResult {
  /** Rows this rule adds to the hop. */
  moves?: Partial<HopMoves>;
  /** The versions it changes, as the rules after it (and the next hop) see them. */
  state?: Partial<PlanState>;
  findings?: Finding[];
}

export type HopRule = (state: Readonly<PlanState>, hop: HopContext) => RuleResult;

function maxCore(a: Version, b: Version): Version {
  return compareCore(b, a) > 0 ? b : a;
}

/** The minors strictly between two versions ('1.27', '1.28'): those a kubelet upgrade skips. */
export function minorsBetween(from: Version, to: Version): string[] {
  const out: string[] = [];
  for (let m = from.minor + 1; m < to.minor; m++) out.push(`${from.major}.${m}`);
  return out;
}

/** The newer of two add-on tags ('3.5.16-0', 'v1.11.3'); the current one when either can't be read. */
export function newerTag(current: string, candidate: string): string {
  if (candidate === '') return current;
  const c = tryParseVersion(current);
  const n = tryParseVersion(candidate);
  if (!c || !n) return current;
  return compareCore(n, c) > 0 ? candidate : current;
}

/** 'v1.31 -> v1.32', or 'v1.31.4 -> v1.31.14' for a patch upgrade. */
export function hopLabel(from: Version, to: Version): string {
  return ord(from) === ord(to) ? `${formatVersion(from)} -> ${formatVersion(to)}` : `${formatMinor(from)} -> ${formatMinor(to)}`;
}

function crossesMinor(hop: HopContext): boolean {
  return ord(hop.to) > ord(hop.from);
}

/** 1. Kubelets the new apiserver would leave out of policy move first, to the control plane's version now (never newer than the oldest apiserver). */
export const kubeletsFirst: HopRule = (state, hop) => {
  const range = allowedRange('kubelet', state.apiservers.map((a) => maxCore(a.version, hop.to)));
  const moves: KubeletMove[] = [];
  const findings: Finding[] = [];
  const kubelets = state.kubelets.map((k) => {
    if (ord(k.version) >= ord(range.min)) return k;
    const skips = minorsBetween(k.version, hop.from);
    const skipText = skips.length > 0 ? `; skipping ${skips.map((m) => `v${m}`).join(', ')} is allowed: kubelet upgrades may skip minors as long as skew holds` : '';
    const move: KubeletMove = {
      node: k.node,
      from: formatVersion(k.version),
      to: formatVersion(hop.from),
      why: `kubelet ${formatVersion(k.version)} would be ${ord(hop.to) - ord(k.version)} minor versions older than kube-apiserver ${formatMinor(hop.to)}, which allows ${formatRange(range)}${skipText}`,
      skips,
    };
    moves.push(move);
    findings.push({
      severity: 'warning',
      code: 'KubeletUpgradeFirst',
      object: `node/${k.node}`,
      message: `kubelet ${move.from} on node/${k.node} must be upgraded before the control plane moves to ${formatMinor(hop.to)}: ${move.why}.`,
      fix: `Drain node/${k.node}, upgrade kubelet and kubectl to ${move.to} (pkgs.k8s.io repository ${formatMinor(hop.from)}), restart the kubelet, uncordon; then upgrade the control plane.`,
      hop: hop.label,
    });
    return { ...k, version: hop.from };
  });
  return { moves: { kubeletsFirst: moves }, state: { kubelets }, findings };
};

/** 2. kubeadm up to 1.28 refuses (skippably) kubelets more than one minor behind the target. */
export const kubeadmKubeletCheck: HopRule = (state, hop) => {
  if (!crossesMinor(hop) || hop.to.minor > 28) return {};
  const old = state.kubelets.filter((k) => ord(hop.to) - ord(k.version) > 1);
  if (old.length === 0) return {};
  return {
    findings: [
      {
        severity: 'warning',
        code: 'KubeadmKubeletSkewCheck',
        message: `kubeadm ${formatMinor(hop.to)} allows kubelets only one minor behind the target: upgrade apply will report "There are kubelets in this cluster that are too old" for ${old.map((k) => `node/${k.node} (${formatVersion(k.version)})`).join(', ')}.`,
        fix: `Upgrade those kubelets to ${formatMinor(hop.from)} first, or pass --force to kubeadm upgrade apply (it skips only skippable checks); the skew policy itself allows them.`,
        hop: hop.label,
      },
    ],
  };
};

/** 3. The control-plane step, in kubeadm's table order; nothing moves backwards. */
export const controlPlaneStep: HopRule = (state, hop) => {
  const rows: ComponentRow[] = [];
  const move = (component: string, list: readonly Instance[]): Instance[] =>
    list.map((c) => {
      const next = maxCore(c.version, hop.to);
      rows.push({ component, node: c.node, current: formatVersion(c.version), target: formatVersion(next) });
      return { ...c, version: next };
    });
  const next: Partial<PlanState> = {
    apiservers: move('kube-apiserver', state.apiservers),
    controllerManagers: move('kube-controller-manager', state.controllerManagers),
    schedulers: move('kube-scheduler', state.schedulers),
  };
  if (state.kubeProxy) {
    next.kubeProxy = maxCore(state.kubeProxy, hop.to);
    rows.push({ component: 'kube-proxy', node: '', current: formatVersion(state.kubeProxy), target: formatVersion(next.kubeProxy) });
  }
  const rel = release(hop.to);
  if (state.coreDNS !== undefined) {
    next.coreDNS = newerTag(state.coreDNS, rel?.coredns ?? '');
    rows.push({ component: 'CoreDNS', node: '', current: state.coreDNS, target: next.coreDNS });
  }
  next.etcd = state.etcd.map((m) => {
    const version = newerTag(m.version, rel?.etcd ?? '');
    rows.push({ component: 'etcd', node: m.node ?? '', current: m.version, target: version });
    return { ...m, version };
  });
  return { moves: { controlPlane: rows }, state: next };
};

/** 4. The release table does not say which etcd and CoreDNS kubeadm installs for this minor. */
export const addonVersionsUnknown: HopRule = (_state, hop) => {
  const rel = release(hop.to);
  if (!rel || (rel.etcd !== '' && rel.coredns !== '')) return {};
  return {
    findings: [
      {
        severity: 'info',
        code: 'AddonVersionUnknown',
        message: `upkeep does not know which etcd/CoreDNS versions kubeadm ${formatMinor(hop.to)} installs; the plan keeps the running ones.`,
        fix: `Run kubeadm upgrade plan ${formatVersion(hop.to)} with kubeadm ${formatMinor(hop.to)} to see its targets.`,
        hop: hop.label,
      },
    ],
  };
};

/** 5. kubeadm does not upgrade external etcd. */
export const externalEtcd: HopRule = (_state, hop) => {
  if (hop.etcdTopology !== 'external' || !crossesMinor(hop)) return {};
  const rel = release(hop.to);
  return {
    findings: [
      {
        severity: 'info',
        code: 'ExternalEtcd',
        message: `etcd is external: kubeadm does not upgrade it${rel?.etcd ? `; kubeadm ${formatMinor(hop.to)} itself would run etcd ${rel.etcd}` : ''}.`,
        fix: `Check that the external etcd version is supported by Kubernetes ${formatMinor(hop.to)} and upgrade it separately if needed (take a snapshot first).`,
        hop: hop.label,
      },
    ],
  };
};

/** 6. The pkgs.k8s.io package repository is per minor. */
export const packageRepository: HopRule = (_state, hop) => {
  if (!crossesMinor(hop)) return {};
  return {
    findings: [
      {
        severity: 'info',
        code: 'PackageRepository',
        message: `The pkgs.k8s.io package repository is per minor: kubeadm, kubelet and kubectl ${formatMinor(hop.to)} are only in the ${formatMinor(hop.to)} repository.`,
        fix: `On each node, switch the repository from ${formatMinor(hop.from)} to ${formatMinor(hop.to)} before installing (deb: /etc/apt/sources.list.d/kubernetes.list; rpm: /etc/yum.repos.d/kubernetes.repo), then upgrade kubeadm first.`,
        hop: hop.label,
      },
    ],
  };
};

const EVIDENCE: Record<ApiUsage['source'], string> = {
  served: 'the cluster serves it',
  'last-applied': 'its kubectl.kubernetes.io/last-applied-configuration annotation',
  managedFields: 'a managedFields entry: a client writes it with that version',
};

/** A removed API the cluster serves: callers break after the hop (a warning, nothing stored is lost). */
function removedApiServed(u: ApiUsage & { api: RemovedApi }, label: string): Finding {
  const replacement = u.api.replacement === 'none' ? 'it has no replacement' : `use ${u.api.replacement}`;
  return {
    severity: 'warning',
    code: 'RemovedApiServed',
    object: `${u.apiVersion}${u.api.kind ? ` ${u.api.kind}` : ''}`,
    message: `${u.apiVersion} ${u.api.kind} is served now and no longer served from v${u.api.removedIn} (${EVIDENCE[u.source]}); any client or manifest still using it will fail after this hop: ${replacement}.`,
    fix: `Find callers with the apiserver_requested_deprecated_apis metric or audit events annotated k8s.io/deprecated, and move them to ${u.api.replacement === 'none' ? 'an alternative' : u.api.replacement}.${u.api.notes ? ` ${u.api.notes}` : ''}`,
    hop: label,
  };
}

/** An object written with a removed API: blocking until its manifest or writer moves on. */
function removedApiUsed(u: ApiUsage & { api: RemovedApi }, label: string): Finding {
  const obj = objectRef(u, u.api);
  const replacement = u.api.replacement === 'none' ? 'it has no replacement' : `use ${u.api.replacement}`;
  const notes = u.api.notes ? ` ${u.api.notes}` : '';
  return {
    severity: 'blocking',
    code: 'RemovedApi',
    object: obj,
    message: `${obj} uses ${u.apiVersion} ${u.api.kind} (${EVIDENCE[u.source]}), which v${u.api.removedIn} no longer serves; ${replacement}.`,
    fix:
      u.api.replacement === 'none'
        ? `${u.api.notes ?? 'Remove the use of this API'} Then delete the object and the manifests that create it before upgrading to v${u.api.removedIn}.`
        : u.source === 'last-applied'
          ? `Change the manifest to apiVersion ${u.api.replacement} and re-apply it, so the annotation records the new version (the stored object is already readable as ${u.api.replacement}).${notes}`
          : `Update the client that writes ${u.apiVersion} (the managedFields manager) to ${u.api.replacement}; if the entry is stale, re-applying the object with ${u.api.replacement} clears it.${notes}`,
    hop: label,
  };
}

/** 7. Removed APIs this hop takes away. */
export const removedApis: HopRule = (_state, hop) => {
  if (!crossesMinor(hop)) return {};
  const usages = findRemovedApis(hop.usages, minorKey(hop.from), minorKey(hop.to));
  return { findings: usages.map((u) => (u.source === 'served' ? removedApiServed(u, hop.label) : removedApiUsed(u, hop.label))) };
};

/** 8. Kubelets after the control-plane step: control-plane nodes every hop, every node at the end. */
export const kubeletsAfter: HopRule = (state, hop) => {
  const rows: ComponentRow[] = [];
  const moves: KubeletMove[] = [];
  const kubelets = state.kubelets.map((k) => {
    const next = k.controlPlane || hop.last ? maxCore(k.version, hop.to) : k.version;
    rows.push({ component: 'kubelet', node: k.node, current: formatVersion(k.version), target: formatVersion(next) });
    if (compareCore(next, k.version) === 0) return k;
    moves.push({
      node: k.node,
      from: formatVersion(k.version),
      to: formatVersion(next),
      why: k.controlPlane && !hop.last ? 'control-plane node: its kubelet follows the control plane' : `the target is ${formatVersion(hop.to)}`,
      skips: minorsBetween(k.version, next),
    });
    return { ...k, version: next };
  });
  return { moves: { kubelets: rows, kubeletsAfter: moves }, state: { kubelets } };
};

/** 9. Kubelets that skip minors: the skew policy allows it, kubeadm's docs go one minor at a time. */
export const kubeletsSkipMinors: HopRule = (_state, hop) => {
  const skipping = [...hop.moves.kubeletsFirst, ...hop.moves.kubeletsAfter].filter((m) => (m.skips ?? []).length > 0);
  if (skipping.length === 0) return {};
  return {
    findings: [
      {
        severity: 'info',
        code: 'KubeletSkipsMinors',
        message: `${skipping.map((m) => `node/${m.node} (${m.from} -> ${m.to})`).join(', ')} skip minor versions. The skew policy allows it (KEP-3935: control plane v1.40 -> v1.41 -> v1.42 -> v1.43, nodes v1.40 -> v1.43); kubeadm documents node upgrades one minor at a time.`,
        fix: 'Drain first (in-place minor kubelet upgrades are not supported) and point the node at the pkgs.k8s.io repository of the minor it moves to; or join a replacement node at that version and retire the old one.',
        hop: hop.label,
      },
    ],
  };
};

/** In the order a hop runs them. */
export const HOP_RULES: readonly HopRule[] = [
  kubeletsFirst,
  kubeadmKubeletCheck,
  controlPlaneStep,
  addonVersionsUnknown,
  externalEtcd,
  packageRepository,
  removedApis,
  kubeletsAfter,
  kubeletsSkipMinors,
];
