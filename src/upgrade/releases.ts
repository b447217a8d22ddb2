// The bundled release table: which minors exist, their latest known patch, release and
// end-of-life dates, and what kubeadm installs for etcd and CoreDNS. Pure lookups, no network.
import * as data from './data/releases.js';
import { RELEASE_DATA, type ReleaseData } from './data/releases.js';
import { type Version, minorKey, parseVersion, tryParseVersion } from './version.js';

/**
 * A minor release: the data file's shape (etcd and coredns are kubeadm's image tags for the minor,
 * '3.5.24-0' and 'v1.11.3'; '' when unknown).
 */
export type Release = data.ReleaseData;

export const RELEASES_AS_OF: string = data.RELEASES_AS_OF;

const BY_MINOR = new Map<string, ReleaseData>(RELEASE_DATA.map((r) => [r.minor, r]));

function keyOf(minor: string | Version): string | undefined {
  if (typeof minor !== 'string') return minorKey(minor);
  const v = tryParseVersion(minor);
  return v ? minorKey(v) : undefined;
}

/** The release of a minor, given as '1.31', 'v1.31', 'v1.31.4' or a Version. */
export function release(minor: string | Version): Release | undefined {
  const k = keyOf(minor);
  const r = k === undefined ? undefined : BY_MINOR.get(k);
  return r ? { ...r } : undefined;
}

/** Every minor in the table, oldest first ('1.24', ..., '1.37'). */
export function knownMinors(): string[] {
  return RELEASE_DATA.map((r) => r.minor);
}

/** The newest minor in the table. */
export function newestKnownMinor(): string {
  return RELEASE_DATA[RELEASE_DATA.length - 1].minor;
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** True when `today` is after the minor's end-of-life date (no more patches, not even security fixes). */
export function isEndOfLife(minor: string | Version, today: Date): boolean {
  const r = release(minor);
  return r !== undefined && r.endOfLife < day(today);
}

/**
 * The minors still receiving patches on `today`, newest first: the project maintains the latest
 * three ("release branches for the most recent three minor releases"). During the two months of
 * overlap after a new minor, a fourth is technically still patched; it is left out.
 */
export function supportedMinors(today: Date): string[] {
  const t = day(today);
  return RELEASE_DATA.filter((r) => r.releaseDate <= t && r.endOfLife >= t)
    .map((r) => r.minor)
    .reverse()
    .slice(0, 3);
}

/** The latest patch of a minor known to the table, e.g. latestPatch('1.31') = v1.31.14. */
export function latestPatch(minor: string): Version | undefined {
  const r = release(minor);
  return r ? parseVersion(r.latestPatch) : undefined;
}
