// Kubernetes versions as they appear in the wild: `v1.31.4` (kubectl version, image tags),
// `1.31.4` (kube-proxy tags, package versions), `1.31` (a minor, `--to v1.31`),
// `v1.31.0-rc.1` (pre-releases), `v1.30.4-eks-a737599` (vendor builds in nodeInfo.kubeletVersion),
// `v1.34.12+k3s1` (build metadata). The skew policy speaks only of minors; patches matter for targets.

/** A version string upkeep cannot read. Exit code 2 (bad input), like any usage error. */
export class VersionError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'VersionError';
  }
}

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** Whatever follows `-` after the patch: `rc.1`, `alpha.2`, or a vendor suffix such as `eks-1234`. */
  pre?: string;
  raw: string;
  /** Build metadata after `+` (`k3s1`); ignored when comparing, as in semver. */
  build?: string;
  /** True when only MAJOR.MINOR was given (`1.31`): the patch is unknown, not zero. */
  minorOnly?: boolean;
}

/** The largest MAJOR, MINOR or PATCH upkeep reads. */
export const MAX_COMPONENT = 99_999;

const VERSION_RE = /^[vV]?(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

export function parseVersion(s: string): Version {
  const raw = typeof s === 'string' ? s : String(s);
  const m = VERSION_RE.exec(raw.trim());
  if (!m) {
    throw new VersionError(`invalid version ${JSON.stringify(raw)}: expected vMAJOR.MINOR[.PATCH], e.g. v1.31.4 or 1.31`);
  }
  const [, major, minor, patch, pre, build] = m;
  if (patch === undefined && pre !== undefined) {
    throw new VersionError(`invalid version ${JSON.stringify(raw)}: a pre-release needs a patch version, e.g. v1.31.0-rc.1`);
  }
  // Go reads version numbers as uint64; upkeep bounds them far lower, so that a typo such as
  // v1.10000000 is refused here instead of planning ten million hops.
  for (const [what, n] of [['major', major], ['minor', minor], ['patch', patch]] as const) {
    if (n !== undefined && (n.length > 6 || Number(n) > MAX_COMPONENT)) {
      throw new VersionError(`invalid version ${JSON.stringify(raw)}: ${what} version ${n} is out of range (at most ${MAX_COMPONENT})`);
    }
  }
  const v: Version = { major: Number(major), minor: Number(minor), patch: patch === undefined ? 0 : Number(patch), raw };
  if (pre !== undefined) v.pre = pre;
  if (build !== undefined) v.build = build;
  if (patch === undefined) v.minorOnly = true;
  return v;
}

/** Like parseVersion, but undefined instead of throwing (for discovered strings that may be odd). */
export function tryParseVersion(s: string | undefined): Version | undefined {
  if (s === undefined) return undefined;
  try {
    return parseVersion(s);
  } catch {
    return undefined;
  }
}

function comparePre(a: string | undefined, b: string | undefined): number {
  // A version without a pre-release ranks above the same version with one (1.31.0 > 1.31.0-rc.1).
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; i < Math.max(as.length, bs.length); i++) {
    const x = as[i];
    const y = bs[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d < 0 ? -1 : 1;
    } else if (xn !== yn) {
      return xn ? -1 : 1; // numeric identifiers rank below alphanumeric ones
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/** MAJOR.MINOR.PATCH only: a vendor build `v1.30.4-eks-x` is the same release as `v1.30.4`. */
export function compareCore(a: Version, b: Version): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  return 0;
}

/** Semver order: core, then pre-release (absent ranks highest); build metadata ignored. */
export function compareVersions(a: Version, b: Version): number {
  return compareCore(a, b) || comparePre(a.pre, b.pre);
}

/** `v1.31.4`, `v1.31.0-rc.1`; a minor-only version prints as `v1.31`. */
export function formatVersion(v: Version): string {
  if (v.minorOnly) return formatMinor(v);
  let s = `v${v.major}.${v.minor}.${v.patch}`;
  if (v.pre !== undefined) s += `-${v.pre}`;
  if (v.build !== undefined) s += `+${v.build}`;
  return s;
}

/** `v1.31` */
export function formatMinor(v: Version): string {
  return `v${v.major}.${v.minor}`;
}

/** `1.31`: the key of the releases table and of removed-API data. */
export function minorKey(v: Version): string {
  return `${v.major}.${v.minor}`;
}

/** A minor as one number (v1.31.4 -> 1031), so that comparisons never throw (Kubernetes has only ever had major 1). */
export function minorOrder(v: Version): number {
  return v.major * 1000 + v.minor;
}

/** a.minor - b.minor. Kubernetes has only ever had major 1; mixing majors is an input error. */
export function minorDiff(a: Version, b: Version): number {
  if (a.major !== b.major) {
    throw new VersionError(`cannot compare minors across major versions: ${formatVersion(a)} and ${formatVersion(b)}`);
  }
  return a.minor - b.minor;
}

/** The minor `n` away from v, patch unknown: addMinor(v1.29.4, 1) = v1.30. */
export function addMinor(v: Version, n: number): Version {
  const minor = v.minor + n;
  return { major: v.major, minor, patch: 0, minorOnly: true, raw: `${v.major}.${minor}` };
}

/** A pre-release in Kubernetes' sense (alpha, beta, rc), as opposed to a vendor build suffix. */
export function isPrerelease(v: Version): boolean {
  return v.pre !== undefined && /^(alpha|beta|rc)(\.|$)/.test(v.pre);
}

export function maxVersion(vs: readonly Version[]): Version | undefined {
  return vs.reduce<Version | undefined>((m, v) => (m === undefined || compareVersions(v, m) > 0 ? v : m), undefined);
}

export function minVersion(vs: readonly Version[]): Version | undefined {
  return vs.reduce<Version | undefined>((m, v) => (m === undefined || compareVersions(v, m) < 0 ? v : m), undefined);
}

/** The newest of versions there is always one of (a cluster's kube-apiservers); an empty list is a bug. */
export function newestOf(vs: readonly Version[]): Version {
  const v = maxVersion(vs);
  if (!v) throw new RangeError('newestOf needs at least one version');
  return v;
}

/** The oldest of versions there is always one of (a cluster's kube-apiservers); an empty list is a bug. */
export function oldestOf(vs: readonly Version[]): Version {
  const v = minVersion(vs);
  if (!v) throw new RangeError('oldestOf needs at least one version');
  return v;
}
