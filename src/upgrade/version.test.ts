import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  VersionError,
  addMinor,
  compareCore,
  compareVersions,
  formatMinor,
  formatVersion,
  isPrerelease,
  minorDiff,
  parseVersion,
} from './version.js';

describe('parseVersion', () => {
  const cases: Array<{ input: string; want: { major: number; minor: number; patch: number; pre?: string; build?: string; minorOnly?: boolean } }> = [
    { input: 'v1.31.4', want: { major: 1, minor: 31, patch: 4 } },
    { input: '1.34.1', want: { major: 1, minor: 34, patch: 1 } }, // kube-proxy image tag, no "v"
    { input: '1.31', want: { major: 1, minor: 31, patch: 0, minorOnly: true } }, // upkeep plan --to 1.31
    { input: 'v1.31', want: { major: 1, minor: 31, patch: 0, minorOnly: true } },
    { input: '1.31.0-rc.1', want: { major: 1, minor: 31, patch: 0, pre: 'rc.1' } },
    { input: 'v1.36.0-alpha.2', want: { major: 1, minor: 36, patch: 0, pre: 'alpha.2' } },
    { input: 'v1.31.4-eks-1234', want: { major: 1, minor: 31, patch: 4, pre: 'eks-1234' } }, // kubeletVersion on EKS
    { input: 'v1.34.12+k3s1', want: { major: 1, minor: 34, patch: 12, build: 'k3s1' } },
    { input: '  v1.30.2\n', want: { major: 1, minor: 30, patch: 2 } },
  ];
  for (const c of cases) {
    it(`reads ${JSON.stringify(c.input)}`, () => {
      const v = parseVersion(c.input);
      assert.deepEqual(
        { major: v.major, minor: v.minor, patch: v.patch, pre: v.pre, build: v.build, minorOnly: v.minorOnly },
        { pre: undefined, build: undefined, minorOnly: undefined, ...c.want },
      );
      assert.equal(v.raw, c.input);
    });
  }

  for (const bad of ['', 'v1', 'latest', 'stable-1.31', '1.x.2', 'v1.31.4.5', '1.31-rc.1', 'v 1.31.4']) {
    it(`rejects ${JSON.stringify(bad)} with a VersionError (exit 2) that quotes the input`, () => {
      assert.throws(
        () => parseVersion(bad),
        (e: unknown) => e instanceof VersionError && e.exitCode === 2 && e.message.includes(JSON.stringify(bad)) && /e\.g\. v1\.31/.test(e.message),
      );
    });
  }

  const outOfRange: Array<[string, string]> = [
    ['v1.10000000', 'invalid version "v1.10000000": minor version 10000000 is out of range (at most 99999)'],
    ['v1.30.99999999999999999999', 'invalid version "v1.30.99999999999999999999": patch version 99999999999999999999 is out of range (at most 99999)'],
    ['123456.1.0', 'invalid version "123456.1.0": major version 123456 is out of range (at most 99999)'],
  ];
  for (const [input, message] of outOfRange) {
    it(`refuses ${input}: a number out of range, never a runaway plan`, () => {
      assert.throws(() => parseVersion(input), (e: unknown) => e instanceof VersionError && e.message === message);
    });
  }
});

describe('compareVersions', () => {
  const cases: Array<[string, string, -1 | 0 | 1]> = [
    ['v1.31.4', 'v1.31.10', -1], // numeric, not lexical
    ['v1.32.0', 'v1.31.99', 1],
    ['v1.31.4', '1.31.4', 0],
    ['v1.31.0-rc.1', 'v1.31.0', -1], // a release candidate comes before the release
    ['v1.31.0-rc.1', 'v1.31.0-rc.2', -1],
    ['v1.31.0-rc.10', 'v1.31.0-rc.9', 1],
    ['v1.31.0-alpha.3', 'v1.31.0-beta.0', -1],
    ['v1.31.0-rc.0', 'v1.30.14', 1],
    ['v1.34.12+k3s1', 'v1.34.12', 0], // build metadata does not order
  ];
  for (const [a, b, want] of cases) {
    it(`${a} vs ${b} = ${want}`, () => {
      assert.equal(Math.sign(compareVersions(parseVersion(a), parseVersion(b))), want);
      assert.equal(Math.sign(compareVersions(parseVersion(b), parseVersion(a))), -want || 0);
    });
  }

  it('compareCore treats a vendor build as the release it was built from', () => {
    assert.equal(compareCore(parseVersion('v1.30.4-eks-a737599'), parseVersion('v1.30.4')), 0);
    assert.equal(Math.sign(compareVersions(parseVersion('v1.30.4-eks-a737599'), parseVersion('v1.30.4'))), -1);
  });
});

describe('formatVersion / formatMinor', () => {
  const cases: Array<[string, string, string]> = [
    ['1.31.4', 'v1.31.4', 'v1.31'],
    ['1.31', 'v1.31', 'v1.31'], // the patch is unknown, not zero
    ['1.31.0-rc.1', 'v1.31.0-rc.1', 'v1.31'],
    ['v1.34.12+k3s1', 'v1.34.12+k3s1', 'v1.34'],
  ];
  for (const [input, full, minor] of cases) {
    it(`${input} -> ${full}`, () => {
      assert.equal(formatVersion(parseVersion(input)), full);
      assert.equal(formatMinor(parseVersion(input)), minor);
    });
  }
});

describe('minorDiff / addMinor / isPrerelease', () => {
  it('counts minors between versions, whatever the patches', () => {
    assert.equal(minorDiff(parseVersion('v1.33.0'), parseVersion('v1.29.15')), 4);
    assert.equal(minorDiff(parseVersion('1.29'), parseVersion('1.33')), -4);
  });
  it('refuses to compare minors across majors', () => {
    assert.throws(() => minorDiff(parseVersion('v2.0.0'), parseVersion('v1.31.0')), VersionError);
  });
  it('steps to a neighbouring minor with an unknown patch', () => {
    assert.equal(formatVersion(addMinor(parseVersion('v1.29.4'), 1)), 'v1.30');
    assert.equal(formatVersion(addMinor(parseVersion('v1.29.4'), -3)), 'v1.26');
  });
  const pre: Array<[string, boolean]> = [
    ['v1.31.0-rc.1', true],
    ['v1.31.0-alpha.0', true],
    ['v1.31.0-beta.2', true],
    ['v1.31.4-eks-1234', false],
    ['v1.31.4', false],
  ];
  for (const [s, want] of pre) {
    it(`isPrerelease(${s}) = ${want}`, () => assert.equal(isPrerelease(parseVersion(s)), want));
  }
});
