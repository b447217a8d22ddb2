import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RELEASES_AS_OF, isEndOfLife, knownMinors, latestPatch, release, supportedMinors } from './releases.js';
import { formatVersion, parseVersion } from './version.js';

describe('release', () => {
  const cases: Array<{ key: string | ReturnType<typeof parseVersion>; latestPatch?: string; endOfLife?: string; etcd?: string; coredns?: string }> = [
    { key: '1.31', latestPatch: 'v1.31.14', endOfLife: '2025-11-11', etcd: '3.5.24-0', coredns: 'v1.11.3' },
    { key: 'v1.31.4', latestPatch: 'v1.31.14' }, // any version of the minor finds it
    { key: parseVersion('1.29.2'), latestPatch: 'v1.29.15', endOfLife: '2025-02-28', coredns: 'v1.11.1' },
    { key: '1.35', latestPatch: 'v1.35.9', endOfLife: '2027-02-28', etcd: '3.6.6-0', coredns: 'v1.13.1' },
    { key: '1.24', latestPatch: 'v1.24.17', endOfLife: '2023-07-28', coredns: 'v1.8.6' },
    { key: '1.23' }, // older than the table
    { key: '1.99' },
    { key: 'not-a-version' },
  ];
  for (const c of cases) {
    it(`looks up ${typeof c.key === 'string' ? c.key : formatVersion(c.key)}`, () => {
      const r = release(c.key);
      if (c.latestPatch === undefined) {
        assert.equal(r, undefined);
        return;
      }
      assert.ok(r);
      assert.equal(r.latestPatch, c.latestPatch);
      if (c.endOfLife) assert.equal(r.endOfLife, c.endOfLife);
      if (c.etcd) assert.equal(r.etcd, c.etcd);
      if (c.coredns) assert.equal(r.coredns, c.coredns);
    });
  }

  it('hands out copies: a caller cannot change the bundled table', () => {
    const r = release('1.31');
    assert.ok(r);
    r.latestPatch = 'v1.31.999';
    assert.equal(release('1.31')?.latestPatch, 'v1.31.14');
  });
});

describe('supportedMinors', () => {
  const cases: Array<[string, string[]]> = [
    ['2026-11-21', ['1.37', '1.36', '1.35']], // 1.34 reached end of life on 2026-10-27
    ['2026-10-27', ['1.37', '1.36', '1.35']], // 1.34's last day: still only the latest three
    ['2025-06-01', ['1.33', '1.32', '1.31']],
    ['2024-12-10', ['1.31', '1.30', '1.29']], // the day before 1.32 came out
    ['2024-12-11', ['1.32', '1.31', '1.30']],
    ['2023-01-01', ['1.26', '1.25', '1.24']],
  ];
  for (const [day, want] of cases) {
    it(`on ${day}: ${want.join(', ')}`, () => assert.deepEqual(supportedMinors(new Date(`${day}T12:00:00Z`)), want));
  }
});

describe('isEndOfLife', () => {
  const cases: Array<[string, string, boolean]> = [
    ['1.33', '2026-06-28', false], // the end-of-life day itself is still supported
    ['1.33', '2026-06-29', true],
    ['1.35', '2026-11-21', false],
    ['1.30', '2026-11-21', true],
    ['1.99', '2026-11-21', false], // unknown: not claimed either way
  ];
  for (const [minor, day, want] of cases) {
    it(`${minor} on ${day}: ${want}`, () => assert.equal(isEndOfLife(minor, new Date(`${day}T12:00:00Z`)), want));
  }
});

describe('latestPatch', () => {
  it('gives the newest known patch of a minor as a Version', () => {
    assert.equal(formatVersion(latestPatch('1.29') ?? parseVersion('0.0.0')), 'v1.29.15');
    assert.equal(formatVersion(latestPatch('v1.33') ?? parseVersion('0.0.0')), 'v1.33.13');
    assert.equal(latestPatch('1.40'), undefined);
  });
});

describe('the bundled table', () => {
  const minors = knownMinors();
  it('covers 1.24 through 1.37 without gaps', () => {
    assert.equal(minors[0], '1.24');
    minors.forEach((m, i) => assert.equal(m, `1.${24 + i}`));
    assert.ok(minors.includes('1.37'));
  });
  for (const m of minors) {
    it(`${m}: latest patch, dates and as-of date are consistent`, () => {
      const r = release(m);
      assert.ok(r);
      assert.equal(`${parseVersion(r.latestPatch).major}.${parseVersion(r.latestPatch).minor}`, m);
      assert.ok(r.releaseDate < r.endOfLife);
      // 1.19 and newer get about 14 months of patches (12 to 16 allowing for late final patches).
      const months = (Date.parse(r.endOfLife) - Date.parse(r.releaseDate)) / (30.44 * 24 * 3600 * 1000);
      assert.ok(months > 12 && months < 16, `${m}: ${months.toFixed(1)} months`);
      assert.ok(r.releaseDate <= RELEASES_AS_OF);
    });
  }
});
