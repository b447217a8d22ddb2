// upkeep's own version, from its package.json: the one home for it (the version command, the
// User-Agent every request carries).
import { createRequire } from 'node:module';

function readVersion(): string {
  // dist/src/util/version.js -> the package root, as shipped (package.json "files").
  const pkg: unknown = createRequire(import.meta.url)('../../../package.json');
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

export const UPKEEP_VERSION: string = readVersion();
